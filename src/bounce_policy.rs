//! What an answer about a message means for the person it was addressed to, and whether it
//! suppresses them: pure functions over status codes, reply codes and counts the ledger
//! gathers. The ledger only records what [`decide`] says.
//!
//! The rule that matters most: only an answer about the *address* (no such mailbox, mailbox
//! disabled, no such domain) may suppress a person. A verdict on the message, the sender or the
//! sending host (content rejected, sender not permitted, a DNS blocklist, DMARC) says nothing
//! about the address: it is recorded and reported, and suppresses nobody. A burst of "address"
//! failures far beyond what a list normally sheds is itself a sign that the relay, not the
//! people, is at fault: the breaker stops suppressing, lifts what the burst suppressed and
//! pauses the issue.
//!
//! A leaf module (the ledger calls it; it imports nothing of the ledger's).

use std::fmt;

/// What kind of bounce came back; decides whether it can suppress the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceKind {
    /// The address does not work (5.1.x, 5.2.1, 5.4.4…): suppressed at once.
    Hard,
    /// A passing problem (4.x.x, a full mailbox): suppressed after repeated ones.
    Soft,
    /// The recipient reported the bulletin as spam (an ARF `abuse` or `fraud` report):
    /// suppressed at once, never mailed again.
    Complaint,
    /// A verdict on the message, the sender or the sending host (5.7.x, 5.6.x, 5.5.x, a
    /// blocklist): recorded and reported, never suppresses.
    Policy,
    /// A feedback report that is not a complaint (`auth-failure`, `virus`, `other`): often
    /// from a forwarding hop; recorded and reported, never suppresses.
    Notice,
}

impl BounceKind {
    pub const ALL: &'static [BounceKind] = &[
        BounceKind::Hard,
        BounceKind::Soft,
        BounceKind::Complaint,
        BounceKind::Policy,
        BounceKind::Notice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BounceKind::Hard => "hard",
            BounceKind::Soft => "soft",
            BounceKind::Complaint => "complaint",
            BounceKind::Policy => "policy",
            BounceKind::Notice => "notice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// How severe, for choosing one verdict among a report's recipients: an address failure
    /// outranks a passing one, which outranks a verdict that suppresses nobody.
    pub fn severity(self) -> u8 {
        match self {
            BounceKind::Complaint => 4,
            BounceKind::Hard => 3,
            BounceKind::Soft => 2,
            BounceKind::Policy => 1,
            BounceKind::Notice => 0,
        }
    }
}

impl fmt::Display for BounceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The meaning of an RFC 3463 enhanced status code `class.subject.detail` that reports a
/// failure. Address-level codes are hard; a mailbox's passing state is soft; the message,
/// protocol, content and security subjects are verdicts on the message or sender (policy).
pub fn status_kind(class: u8, subject: u16, detail: u16) -> BounceKind {
    if class != 5 {
        return BounceKind::Soft;
    }
    match (subject, detail) {
        // Unspecified: older MTAs answer an unknown user with 5.0.0; the breaker guards
        // against a relay that uses it for everything.
        (0, _) => BounceKind::Hard,
        // 5.1.7 and 5.1.8 are about the *sender's* address.
        (1, 7) | (1, 8) => BounceKind::Policy,
        (1, _) => BounceKind::Hard,
        (2, 1) => BounceKind::Hard,
        // The message is over the site's size limit: about the message.
        (2, 3) => BounceKind::Policy,
        (2, _) => BounceKind::Soft,
        (3, _) => BounceKind::Soft,
        // 5.4.4 unable to route (no such domain); 5.4.1 is how Exchange Online refuses a
        // recipient its directory does not hold.
        (4, 1) | (4, 4) => BounceKind::Hard,
        (4, _) => BounceKind::Soft,
        (5, _) | (6, _) | (7, _) => BounceKind::Policy,
        _ => BounceKind::Soft,
    }
}

/// Words that mark a bare `5xx` reply (one without an enhanced code) as a verdict on the sender
/// or the sending host rather than on the address.
const POLICY_WORDS: &[&str] = &[
    "block",
    "spam",
    "policy",
    "reputation",
    "listed",
    "rbl",
    "dnsbl",
    "not permitted",
    "not allowed to send",
    "relay",
    "denied",
    "dmarc",
    "spf",
    "dkim",
];

/// The meaning of a failure reply that carries no enhanced status code: by its basic code
/// (RFC 5321 §4.2.3, RFC 7504), then by words a policy refusal uses.
pub fn reply_kind(code: u16, text: &str) -> BounceKind {
    if !(500..600).contains(&code) {
        return BounceKind::Soft;
    }
    let lower = text.to_ascii_lowercase();
    if POLICY_WORDS.iter().any(|w| lower.contains(w)) {
        return BounceKind::Policy;
    }
    match code {
        550 | 551 | 553 | 521 | 556 => BounceKind::Hard,
        552 => BounceKind::Soft,
        _ => BounceKind::Policy,
    }
}

/// What an ARF (RFC 5965) `Feedback-Type` amounts to: `abuse` and `fraud` are a person saying
/// "this is unwanted" (complaints); `not-spam` is nothing; the rest (`auth-failure`, `virus`,
/// `other`, unknown types) are notices about authentication or a forwarding hop, not a person's
/// wish, so they are recorded and never suppress.
pub fn feedback_kind(feedback_type: &str) -> Option<BounceKind> {
    let t = feedback_type.trim().to_ascii_lowercase();
    match t.as_str() {
        "not-spam" => None,
        "abuse" | "fraud" => Some(BounceKind::Complaint),
        _ => Some(BounceKind::Notice),
    }
}

/// When too many hard bounces of one issue arrive too fast to be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breaker {
    /// It trips when more than this share (per cent) of the issue's recipients…
    pub share_percent: u32,
    /// …and more than this many (so a small list is not tripped by two dead addresses)…
    pub minimum: u32,
    /// …bounce hard within this many seconds.
    pub window_secs: i64,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            share_percent: 5,
            minimum: 5,
            window_secs: 30 * 60,
        }
    }
}

impl Breaker {
    /// Whether `hard_in_window` hard bounces (this one included) among `recipients` trip it.
    pub fn trips(&self, hard_in_window: u64, recipients: u64) -> bool {
        let share = (recipients * u64::from(self.share_percent)).div_ceil(100);
        hard_in_window > share.max(u64::from(self.minimum))
    }
}

/// The bounce policy's parameters: when soft bounces add up to a suppression, and when a burst
/// of hard ones trips the breaker. `[bounces]` sets them (`Bounces::policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftPolicy {
    /// This many soft bounces (of different messages)…
    pub limit: u32,
    /// …within this many seconds.
    pub window_secs: i64,
    pub breaker: Breaker,
}

impl Default for SoftPolicy {
    fn default() -> Self {
        SoftPolicy {
            limit: 3,
            window_secs: 30 * 86_400,
            breaker: Breaker::default(),
        }
    }
}

/// What the ledger knows when a bounce arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub kind: BounceKind,
    /// Soft bounces of this address within the soft window, this one included.
    pub soft_in_window: u64,
    /// Hard bounces of this bounce's issue within the breaker's window, this one included.
    pub issue_hard_in_window: u64,
    /// Deliveries the issue has.
    pub issue_recipients: u64,
    /// The breaker already tripped for this issue.
    pub tripped: bool,
}

/// What to do with a bounce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Suppress the address for everything.
    Suppress,
    /// Record it; suppress nobody.
    Record,
    /// Record it, suppress nobody, lift what this issue's burst suppressed, give its refused
    /// deliveries another chance, pause the issue and alert.
    Trip,
}

/// The policy: complaints always suppress (a person's own wish); hard bounces suppress unless
/// they come in a burst the breaker does not believe; soft ones once they repeat; policy
/// verdicts and notices never.
pub fn decide(p: SoftPolicy, f: Facts) -> Decision {
    match f.kind {
        BounceKind::Complaint => Decision::Suppress,
        BounceKind::Hard if f.tripped => Decision::Record,
        BounceKind::Hard if p.breaker.trips(f.issue_hard_in_window, f.issue_recipients) => {
            Decision::Trip
        }
        BounceKind::Hard => Decision::Suppress,
        BounceKind::Soft if f.soft_in_window >= u64::from(p.limit.max(1)) => Decision::Suppress,
        BounceKind::Soft | BounceKind::Policy | BounceKind::Notice => Decision::Record,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(kind: BounceKind) -> Facts {
        Facts {
            kind,
            soft_in_window: 1,
            issue_hard_in_window: 1,
            issue_recipients: 1000,
            tripped: false,
        }
    }

    #[test]
    fn only_address_codes_are_hard() {
        let k = |c, s, d| status_kind(c, s, d);
        assert_eq!(k(5, 1, 1), BounceKind::Hard);
        assert_eq!(k(5, 1, 10), BounceKind::Hard);
        assert_eq!(k(5, 2, 1), BounceKind::Hard);
        assert_eq!(k(5, 4, 4), BounceKind::Hard);
        assert_eq!(k(5, 1, 8), BounceKind::Policy);
        assert_eq!(k(5, 7, 1), BounceKind::Policy);
        assert_eq!(k(5, 7, 26), BounceKind::Policy);
        assert_eq!(k(5, 7, 606), BounceKind::Policy);
        assert_eq!(k(5, 6, 0), BounceKind::Policy);
        assert_eq!(k(5, 5, 2), BounceKind::Policy);
        assert_eq!(k(5, 2, 2), BounceKind::Soft);
        assert_eq!(k(5, 3, 4), BounceKind::Soft);
        assert_eq!(k(4, 1, 1), BounceKind::Soft);
    }

    #[test]
    fn bare_replies_are_read_by_code_and_words() {
        assert_eq!(reply_kind(550, "no such user here"), BounceKind::Hard);
        assert_eq!(reply_kind(550, "Error: command failed"), BounceKind::Hard);
        assert_eq!(
            reply_kind(553, "mailbox name not allowed"),
            BounceKind::Hard
        );
        assert_eq!(reply_kind(552, "mailbox full"), BounceKind::Soft);
        assert_eq!(reply_kind(554, "transaction failed"), BounceKind::Policy);
        assert_eq!(
            reply_kind(
                550,
                "client host [192.0.2.1] blocked using zen.spamhaus.org"
            ),
            BounceKind::Policy
        );
        assert_eq!(reply_kind(550, "Relay access denied"), BounceKind::Policy);
        assert_eq!(reply_kind(451, "try later"), BounceKind::Soft);
    }

    #[test]
    fn only_abuse_and_fraud_feedback_are_complaints() {
        assert_eq!(feedback_kind("abuse"), Some(BounceKind::Complaint));
        assert_eq!(feedback_kind("Fraud"), Some(BounceKind::Complaint));
        assert_eq!(feedback_kind("auth-failure"), Some(BounceKind::Notice));
        assert_eq!(feedback_kind("virus"), Some(BounceKind::Notice));
        assert_eq!(feedback_kind("other"), Some(BounceKind::Notice));
        assert_eq!(feedback_kind("not-spam"), None);
    }

    #[test]
    fn policy_verdicts_and_notices_never_suppress() {
        let p = SoftPolicy::default();
        for kind in [BounceKind::Policy, BounceKind::Notice] {
            let mut f = facts(kind);
            f.soft_in_window = 100;
            f.issue_hard_in_window = 1000;
            assert_eq!(decide(p, f), Decision::Record);
        }
    }

    #[test]
    fn the_breaker_trips_above_a_share_and_a_minimum() {
        let b = Breaker::default();
        // 30 recipients: 5 % is 2, the minimum 5 rules.
        assert!(!b.trips(5, 30));
        assert!(b.trips(6, 30));
        // 10,000 recipients: 5 % is 500.
        assert!(!b.trips(500, 10_000));
        assert!(b.trips(501, 10_000));
    }

    proptest! {
        #[test]
        fn a_tripped_issue_suppresses_no_hard_bounce_and_complaints_always_suppress(
            hard in 0u64..100_000, recipients in 0u64..100_000, soft in 0u64..10,
        ) {
            let p = SoftPolicy::default();
            let f = Facts { kind: BounceKind::Hard, soft_in_window: soft, issue_hard_in_window: hard, issue_recipients: recipients, tripped: true };
            prop_assert_eq!(decide(p, f), Decision::Record);
            let f = Facts { kind: BounceKind::Complaint, tripped: false, ..f };
            prop_assert_eq!(decide(p, f), Decision::Suppress);
        }

        #[test]
        fn the_breaker_never_trips_within_the_share(recipients in 1u64..1_000_000, percent in 1u32..50, minimum in 0u32..50) {
            let b = Breaker { share_percent: percent, minimum, window_secs: 60 };
            let allowed = (recipients * u64::from(percent)).div_ceil(100).max(u64::from(minimum));
            prop_assert!(!b.trips(allowed, recipients));
            prop_assert!(b.trips(allowed + 1, recipients));
        }
    }
}
