//! What an answer about a message means for the person it was addressed to, and whether it
//! suppresses them: pure functions over status codes, reply codes and the counts the ledger
//! gathers. The ledger records what [`decide`] says and decides nothing itself.
//!
//! The rule that matters most: only an answer about the *address* (no such mailbox, mailbox
//! disabled, no such domain) may suppress a person. A verdict on the message, the sender or the
//! sending host (content rejected, sender not permitted, a DNS blocklist, DMARC) says nothing
//! about the address: it is recorded and reported, and suppresses nobody. A burst of "address"
//! failures far beyond what a list normally sheds is itself a sign that the relay, not the
//! people, is at fault: the breaker stops suppressing, lifts what the burst suppressed and
//! pauses the issue.

pub use crate::bounce_limits::{Breaker, SoftPolicy};
use crate::store::{
    BounceDecision as Decision, BounceFacts as Facts, BounceKind, BounceRecorded, BounceWindows,
    NewBounce, Store, StoreError,
};
use crate::timestamp::Timestamp;

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

/// Whether `hard_in_window` hard bounces (this one included) among `recipients` trip `b`: more
/// than its share of the recipients, and more than its minimum.
pub fn trips(b: &Breaker, hard_in_window: u64, recipients: u64) -> bool {
    let share = (recipients * u64::from(b.share_percent)).div_ceil(100);
    hard_in_window > share.max(u64::from(b.minimum))
}

/// The policy: complaints always suppress (a person's own wish); hard bounces suppress unless
/// they come in a burst the breaker does not believe; soft ones once they repeat; policy
/// verdicts and notices never.
pub fn decide(p: SoftPolicy, f: &Facts) -> Decision {
    match f.kind {
        BounceKind::Complaint => Decision::Suppress,
        BounceKind::Hard if f.tripped => Decision::Record,
        BounceKind::Hard if trips(&p.breaker, f.issue_hard_in_window, f.issue_recipients) => {
            Decision::Trip
        }
        BounceKind::Hard => Decision::Suppress,
        BounceKind::Soft if f.soft_in_window >= u64::from(p.limit.max(1)) => Decision::Suppress,
        BounceKind::Soft | BounceKind::Policy | BounceKind::Notice => Decision::Record,
    }
}

/// The windows the ledger counts bounces in for [`decide`].
pub fn windows(p: SoftPolicy) -> BounceWindows {
    BounceWindows {
        soft_secs: p.window_secs,
        breaker_secs: p.breaker.window_secs,
    }
}

/// Record a bounce or complaint for a delivery as [`decide`] rules under `policy`: the ledger
/// gathers the counts and records the outcome in one transaction (so parallel bounces of one
/// issue count each other), the rule is this module's.
pub async fn record(
    store: &Store,
    b: &NewBounce<'_>,
    policy: SoftPolicy,
    now: Timestamp,
) -> Result<BounceRecorded, StoreError> {
    store
        .record_bounce(b, windows(policy), |f| decide(policy, f), now)
        .await
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
            assert_eq!(decide(p, &f), Decision::Record);
        }
    }

    #[test]
    fn the_breaker_trips_above_a_share_and_a_minimum() {
        let b = Breaker::default();
        // 30 recipients: 5 % is 2, the minimum 5 rules.
        assert!(!trips(&b, 5, 30));
        assert!(trips(&b, 6, 30));
        // 10,000 recipients: 5 % is 500.
        assert!(!trips(&b, 500, 10_000));
        assert!(trips(&b, 501, 10_000));
    }

    proptest! {
        #[test]
        fn a_tripped_issue_suppresses_no_hard_bounce_and_complaints_always_suppress(
            hard in 0u64..100_000, recipients in 0u64..100_000, soft in 0u64..10,
        ) {
            let p = SoftPolicy::default();
            let f = Facts { kind: BounceKind::Hard, soft_in_window: soft, issue_hard_in_window: hard, issue_recipients: recipients, tripped: true };
            prop_assert_eq!(decide(p, &f), Decision::Record);
            let f = Facts { kind: BounceKind::Complaint, tripped: false, ..f };
            prop_assert_eq!(decide(p, &f), Decision::Suppress);
        }

        #[test]
        fn the_breaker_never_trips_within_the_share(recipients in 1u64..1_000_000, percent in 1u32..50, minimum in 0u32..50) {
            let b = Breaker { share_percent: percent, minimum, window_secs: 60 };
            let allowed = (recipients * u64::from(percent)).div_ceil(100).max(u64::from(minimum));
            prop_assert!(!trips(&b, allowed, recipients));
            prop_assert!(trips(&b, allowed + 1, recipients));
        }
    }
}
