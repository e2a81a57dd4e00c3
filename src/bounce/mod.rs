//! Bounces and complaints: the VERP return path each delivery is sent with, reading DSNs and
//! abuse reports that come back (from an MTA's pipe or an IMAP mailbox), and the policy that
//! turns them into suppressions. Lists stay in reviewed files: a bounce suppresses the address
//! in the ledger, and `lists --stale` says which file line to remove.

pub mod imap;
pub mod ingest;
pub mod mime;
pub mod report;
pub mod stale;
pub mod verp;

use std::fmt;

pub use ingest::{Ignored, Outcome, ingest};
pub use verp::Verp;

/// What kind of bounce came back; decides whether one is enough to suppress the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceKind {
    /// The address does not work (5.x.x): suppressed at once.
    Hard,
    /// A passing problem (4.x.x, a full mailbox): suppressed after repeated ones.
    Soft,
    /// The recipient reported the bulletin as spam: suppressed at once, never mailed again.
    Complaint,
}

impl BounceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BounceKind::Hard => "hard",
            BounceKind::Soft => "soft",
            BounceKind::Complaint => "complaint",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [BounceKind::Hard, BounceKind::Soft, BounceKind::Complaint]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

impl fmt::Display for BounceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

    /// Hard or soft. Every 5.x.x is permanent except what says nothing about the address: a
    /// full mailbox (5.2.2) and a message too big for it (5.3.4) are the recipient's passing
    /// state, so they count as soft and suppress only when they repeat.
    pub fn kind(self) -> BounceKind {
        match (self.class, self.subject, self.detail) {
            (5, 2, 2) | (5, 3, 4) => BounceKind::Soft,
            (5, _, _) => BounceKind::Hard,
            _ => BounceKind::Soft,
        }
    }
}

/// The kind of a relay's synchronous refusal (`550 5.1.1 …` at RCPT): by its enhanced status
/// code when it gives one, else by the reply code's first digit.
pub fn classify_reply(reply: &str) -> BounceKind {
    if let Some(code) = StatusCode::find_in(reply) {
        return code.kind();
    }
    let permanent = reply
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 3)
        .is_some_and(|w| w.starts_with('5'));
    if permanent {
        BounceKind::Hard
    } else {
        BounceKind::Soft
    }
}

/// When soft bounces add up to a suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftPolicy {
    /// This many soft bounces (of different messages)…
    pub limit: u32,
    /// …within this many seconds.
    pub window_secs: i64,
}

impl SoftPolicy {
    /// The policy `[bounces]` sets (`soft_limit` within `soft_window_days`).
    pub fn of(b: &crate::config::settings::Bounces) -> Self {
        SoftPolicy {
            limit: b.soft_limit,
            window_secs: i64::from(b.soft_window_days) * 86_400,
        }
    }
}

impl Default for SoftPolicy {
    fn default() -> Self {
        SoftPolicy {
            limit: 3,
            window_secs: 30 * 86_400,
        }
    }
}

/// One line on what a message did; ids and kinds only, never an address.
pub fn log(o: &Outcome) {
    match o {
        Outcome::Recorded {
            delivery,
            kind,
            suppressed,
        } => tracing::info!(
            delivery,
            %kind,
            suppressed,
            "bounce recorded{}",
            if *suppressed { "; the address is suppressed" } else { "" }
        ),
        Outcome::Duplicate { delivery, kind } => {
            tracing::info!(delivery, %kind, "bounce already recorded; nothing changed")
        }
        Outcome::Ignored(why @ (Ignored::NoValidToken | Ignored::UnknownDelivery)) => {
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
