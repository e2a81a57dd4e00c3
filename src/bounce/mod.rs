//! Bounces and complaints: the VERP return path each delivery is sent with, reading DSNs and
//! abuse reports that come back (from an MTA's pipe or an IMAP mailbox), and the policy that
//! turns them into suppressions ([`policy`]: the ledger records what it decides); and readers'
//! unsubscribe requests sent to the same mailbox.
//! Lists stay in reviewed files: a bounce suppresses the address in the ledger, and
//! `lists --stale` says which file line to remove.

pub mod imap;
pub mod ingest;
pub mod mime;
pub mod policy;
pub mod report;
pub mod stale;
pub mod unsubscribe;
pub mod verp;

use std::fmt;

pub use ingest::{Ignored, Outcome, ingest};
pub use verp::Verp;
// The stored word lives with the ledger, which must not import this module back.
pub use crate::store::BounceKind;
pub use policy::SoftPolicy;

/// An RFC 3463 enhanced status code, `class.subject.detail` (5.1.1: no such mailbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl StatusCode {
    /// `5.1.1`, possibly followed by a comment (`5.0.0 (permanent failure)`).
    pub fn parse(s: &str) -> Option<StatusCode> {
        let word = s.split_whitespace().next()?;
        let mut it = word.split('.');
        let (Some(c), Some(s), Some(d), None) = (it.next(), it.next(), it.next(), it.next()) else {
            return None;
        };
        let class: u8 = c.parse().ok()?;
        if !matches!(class, 2 | 4 | 5) || s.len() > 3 || d.len() > 3 {
            return None;
        }
        Some(StatusCode {
            class,
            subject: s.parse().ok()?,
            detail: d.parse().ok()?,
        })
    }

    /// The first enhanced status code in free text (`smtp; 550 5.1.1 <x>: Recipient address
    /// rejected`), as Diagnostic-Code fields and SMTP replies carry them.
    pub fn find_in(text: &str) -> Option<StatusCode> {
        text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map(|w| w.trim_end_matches('.'))
            .find_map(StatusCode::parse)
    }

    /// What the code means for the address ([`policy::status_kind`]).
    pub fn kind(self) -> BounceKind {
        policy::status_kind(self.class, self.subject, self.detail)
    }
}

/// The kind of a relay's synchronous refusal (`550 5.1.1 …` at RCPT): by its enhanced status
/// code when it gives one, else by the basic reply code and its words
/// ([`policy::reply_kind`]).
pub fn classify_reply(reply: &str) -> BounceKind {
    if let Some(code) = StatusCode::find_in(reply) {
        return code.kind();
    }
    let code = reply
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 3)
        .and_then(|w| w.parse::<u16>().ok());
    match code {
        Some(code) => policy::reply_kind(code, reply),
        None => BounceKind::Soft,
    }
}

/// What `bulletin bounce` tells the person (or MTA log) that ran it, one line: recorded or
/// ignored, and why. Ids and kinds only, never an address, as in [`log`].
pub fn summary(o: &Outcome) -> String {
    match o {
        Outcome::Recorded {
            delivery,
            kind,
            suppressed,
            tripped,
        } => {
            let mut s = format!("recorded: a {kind} bounce for delivery {delivery}");
            if *suppressed {
                s.push_str("; the address is now suppressed");
            }
            if *tripped {
                s.push_str("; it tripped the bounce breaker and the issue is paused (see `bulletin status`)");
            }
            s
        }
        Outcome::Unsubscribed { bulletin, changed } => {
            if *changed {
                format!(
                    "recorded: an unsubscribe request by mail; the address is now suppressed for `{bulletin}`"
                )
            } else {
                format!(
                    "ignored: an unsubscribe request by mail for `{bulletin}`, already suppressed; nothing changed"
                )
            }
        }
        Outcome::Duplicate { delivery, kind } => {
            format!(
                "ignored: a {kind} bounce for delivery {delivery} was already recorded; nothing changed"
            )
        }
        Outcome::Ignored(why @ Ignored::TooLarge(limit)) => {
            format!("ignored: {} ({})", why.describe(), limit.describe())
        }
        Outcome::Ignored(why) => format!("ignored: {}", why.describe()),
    }
}

/// One line on what a message did; ids and kinds only, never an address.
pub fn log(o: &Outcome) {
    if let Outcome::Recorded {
        tripped: true,
        delivery,
        kind,
        ..
    } = o
    {
        tracing::error!(
            delivery,
            %kind,
            "bounce breaker tripped: too many hard bounces for one issue too fast; nobody is suppressed for it and the issue is paused (see `bulletin status`)"
        );
    }
    match o {
        Outcome::Recorded {
            delivery,
            kind,
            suppressed,
            ..
        } => tracing::info!(
            delivery,
            %kind,
            suppressed,
            "bounce recorded{}",
            if *suppressed { "; the address is suppressed" } else { "" }
        ),
        Outcome::Unsubscribed { bulletin, changed } => {
            if *changed {
                tracing::info!(%bulletin, "unsubscribe request by mail: the address is suppressed for the bulletin")
            } else {
                tracing::info!(%bulletin, "unsubscribe request by mail: already suppressed; nothing changed")
            }
        }
        Outcome::Duplicate { delivery, kind } => {
            tracing::info!(delivery, %kind, "bounce already recorded; nothing changed")
        }
        Outcome::Ignored(why @ Ignored::TooLarge(limit)) => {
            tracing::warn!(
                reason = why.describe(),
                limit = limit.describe(),
                "message ignored"
            )
        }
        Outcome::Ignored(
            why @ (Ignored::NoValidToken
            | Ignored::InvalidUnsubscribe
            | Ignored::UnknownDelivery
            | Ignored::OtherRecipient
            | Ignored::TooSlow),
        ) => {
            tracing::warn!(reason = why.describe(), "message ignored")
        }
        Outcome::Ignored(why) => tracing::info!(reason = why.describe(), "message ignored"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_classify() {
        let k = |s: &str| StatusCode::parse(s).map(StatusCode::kind);
        assert_eq!(k("5.1.1"), Some(BounceKind::Hard));
        assert_eq!(k("5.0.0 (permanent failure)"), Some(BounceKind::Hard));
        assert_eq!(k("5.2.2"), Some(BounceKind::Soft));
        assert_eq!(k("5.3.4"), Some(BounceKind::Soft));
        assert_eq!(k("4.2.2"), Some(BounceKind::Soft));
        assert_eq!(k("4.4.7"), Some(BounceKind::Soft));
        assert_eq!(k("550"), None);
        assert_eq!(k("6.1.1"), None);
        assert_eq!(
            StatusCode::find_in("smtp; 550 5.1.1 <jo@x.example>: Recipient address rejected."),
            StatusCode::parse("5.1.1")
        );
        assert_eq!(StatusCode::find_in("version 1.2 of 10.0.0.1"), None);
    }

    #[test]
    fn synchronous_replies_classify() {
        assert_eq!(classify_reply("550 5.1.1 no such user"), BounceKind::Hard);
        assert_eq!(
            classify_reply("permanent error (552): 5.2.2 mailbox full"),
            BounceKind::Soft
        );
        assert_eq!(
            classify_reply("permanent error (550): Error: command failed"),
            BounceKind::Hard
        );
        assert_eq!(classify_reply("451 try later"), BounceKind::Soft);
    }
}
