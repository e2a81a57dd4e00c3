//! The ledger's vocabulary: the states and kinds it stores as text, as types. Each is turned
//! into text (`as_str`) and read back (`parse`) only where SQL is written and read, so the rest
//! of the program compares enums, not strings; a value this build does not know is a
//! [`DecodeError`], never a panic or a silent default.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;

use crate::ids::{BulletinId, CampaignId, IssueOwner, ListId};

/// How the ledger stores a date (`YYYY-MM-DD`, so text order is date order).
pub(super) fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Read a stored date.
pub(super) fn parse_date(s: &str) -> Result<NaiveDate, DecodeError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| DecodeError::new("a date", s))
}

/// Read a stored owner of an issue: a campaign's id for an announcement, else a bulletin's.
pub(super) fn parse_owner(kind: IssueKind, s: &str) -> Result<IssueOwner, DecodeError> {
    match kind {
        IssueKind::Announcement => CampaignId::parse(s)
            .map(IssueOwner::Campaign)
            .map_err(|_| DecodeError::new("a campaign id", s)),
        _ => BulletinId::parse(s)
            .map(IssueOwner::Bulletin)
            .map_err(|_| DecodeError::new("a bulletin id", s)),
    }
}

/// A value in the ledger this build of bulletin does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the ledger holds {what} `{value}`, which this version of bulletin does not know\n  hint: was the database written by a newer bulletin, or edited by hand? run that version, or restore a backup"
)]
pub struct DecodeError {
    /// What the value was meant to be (`an issue state`).
    pub what: &'static str,
    pub value: String,
}

impl DecodeError {
    fn new(what: &'static str, value: &str) -> Self {
        DecodeError {
            what,
            value: value.to_string(),
        }
    }
}

/// A closed set of words, each stored as one fixed string.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Read the stored value.
            pub fn parse(s: &str) -> Result<Self, DecodeError> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|w| w.as_str() == s)
                    .ok_or_else(|| DecodeError::new($what, s))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

words!(
    /// Where a sign-up is (the `signups.state` column): waiting for its link to be used, then
    /// for an admin (a `review` list), then decided.
    SignupState, "a sign-up state", {
        Unconfirmed = "unconfirmed",
        Pending = "pending",
        Accepted = "accepted",
        Declined = "declined",
    }
);

words!(
    /// Where a delivery is in its life.
    DeliveryState, "a delivery state", {
        Pending = "pending",
        InFlight = "in_flight",
        Sent = "sent",
        Deferred = "deferred",
        Failed = "failed",
        Expired = "expired",
        Suppressed = "suppressed",
        /// The operator cancelled the issue before this delivery was attempted (or while it
        /// waited for a retry).
        Cancelled = "cancelled",
    }
);

words!(
    /// Where an issue is in its life (the `issues.state` column).
    IssueState, "an issue state", {
        Sending = "sending",
        /// The relay could not be used; the daemon tries again at the issue's `retry_at`.
        Paused = "paused",
        Done = "done",
        /// Stopped by the operator (`bulletin cancel`): nothing more is attempted.
        Cancelled = "cancelled",
    }
);

words!(
    /// What the daemon did with a scheduled fire (the `fires.state` column).
    FireState, "a fire state", {
        /// Waiting for `bulletin approve`; may later become `done` or `skipped`.
        Held = "held",
        Done = "done",
        Skipped = "skipped",
    }
);

words!(
    /// How an address came to be suppressed, so an admin can tell a reader's choice from a
    /// bounce.
    SuppressionHow, "a way of suppressing", {
        /// The reader confirmed on the unsubscribe page (the link in the message).
        Link = "link",
        /// The reader's mail client posted RFC 8058 one-click unsubscribe.
        OneClick = "one_click",
        /// An operator ran `bulletin suppress`.
        Admin = "admin",
        /// The address bounced.
        Bounce = "bounce",
        /// The reader mailed the `mailto:` of List-Unsubscribe, with a valid token in the subject.
        Mail = "mail",
    }
);

words!(
    /// What kind of bounce came back; decides whether it can suppress the address.
    BounceKind, "a bounce kind", {
        /// The address does not work (5.1.x, 5.2.1, 5.4.4…): suppressed at once.
        Hard = "hard",
        /// A passing problem (4.x.x, a full mailbox): suppressed after repeated ones.
        Soft = "soft",
        /// The recipient reported the bulletin as spam (an ARF `abuse` or `fraud` report):
        /// suppressed at once, never mailed again.
        Complaint = "complaint",
        /// A verdict on the message, the sender or the sending host (5.7.x, 5.6.x, 5.5.x, a
        /// blocklist): recorded and reported, never suppresses.
        Policy = "policy",
        /// A feedback report that is not a complaint (`auth-failure`, `virus`, `other`): often
        /// from a forwarding hop; recorded and reported, never suppresses.
        Notice = "notice",
    }
);

impl BounceKind {
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

impl SuppressionHow {
    /// Read the stored value; rows from before it was recorded (NULL) count as `admin`.
    pub fn parse_stored(s: Option<&str>) -> Result<Self, DecodeError> {
        s.map_or(Ok(SuppressionHow::Admin), Self::parse)
    }
}

/// What an issue row is: the issue itself or a copy of it for the editors, or an announcement.
/// Part of the issue's unique key with its bulletin (or campaign) and date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssueKind {
    /// The issue sent to its lists.
    Issue,
    /// The scheduled proof to the editors (once per issue).
    Proof,
    /// A proof asked for by hand (`send --test-to`), made at `at` (Unix seconds), the `n`th
    /// the ledger handed out: two asked for within the same second are two proofs. Stored as
    /// `proof:<at>:<n>`; `n` is `None` for `proof:<at>`, as ledgers before the number wrote it.
    TestProof { at: i64, n: Option<i64> },
    /// The editors' notice that the issue is held for approval.
    HeldNotice,
    /// A campaign's announcement (its row's bulletin column holds the campaign's id).
    Announcement,
}

impl IssueKind {
    const TEST_PROOF: &'static str = "proof:";

    pub fn as_str(self) -> Cow<'static, str> {
        match self {
            IssueKind::Issue => "issue".into(),
            IssueKind::Proof => "proof".into(),
            IssueKind::TestProof { at, n: None } => format!("{}{at}", Self::TEST_PROOF).into(),
            IssueKind::TestProof { at, n: Some(n) } => {
                format!("{}{at}:{n}", Self::TEST_PROOF).into()
            }
            IssueKind::HeldNotice => "held".into(),
            IssueKind::Announcement => "announce".into(),
        }
    }

    /// Read the stored value.
    pub fn parse(s: &str) -> Result<Self, DecodeError> {
        Ok(match s {
            "issue" => IssueKind::Issue,
            "proof" => IssueKind::Proof,
            "held" => IssueKind::HeldNotice,
            "announce" => IssueKind::Announcement,
            _ => {
                // Only the spelling `as_str` writes (`proof:7`, not `proof:+07`).
                let number = |t: &str| t.parse::<i64>().ok().filter(|v| v.to_string() == t);
                let bad = || DecodeError::new("an issue kind", s);
                let rest = s.strip_prefix(Self::TEST_PROOF).ok_or_else(bad)?;
                match rest.split_once(':') {
                    None => IssueKind::TestProof {
                        at: number(rest).ok_or_else(bad)?,
                        n: None,
                    },
                    Some((at, n)) => IssueKind::TestProof {
                        at: number(at).ok_or_else(bad)?,
                        n: Some(number(n).ok_or_else(bad)?),
                    },
                }
            }
        })
    }

    /// The kind without its particulars (`proof` for every proof): the `kind` label of
    /// `/metrics`.
    pub fn family(self) -> &'static str {
        match self {
            IssueKind::Issue => "issue",
            IssueKind::Proof | IssueKind::TestProof { .. } => "proof",
            IssueKind::HeldNotice => "held",
            IssueKind::Announcement => "announce",
        }
    }

    /// How people read it in `status` and `/admin`: a proof asked for by hand is "test proof"
    /// and when it was made, in the organisation's time zone.
    /// The kind in one word, without a test proof's time and number.
    pub fn word(self) -> &'static str {
        match self {
            IssueKind::Issue => "issue",
            IssueKind::Proof => "proof",
            IssueKind::TestProof { .. } => "test_proof",
            IssueKind::HeldNotice => "held",
            IssueKind::Announcement => "announce",
        }
    }

    /// A proof to the editors (scheduled or by hand), which `status` shows apart from issues.
    pub fn is_proof(self) -> bool {
        matches!(self, IssueKind::Proof | IssueKind::TestProof { .. })
    }

    pub fn label(self, tz: chrono_tz::Tz) -> String {
        match self {
            IssueKind::TestProof { at, n } => match chrono::DateTime::from_timestamp(at, 0) {
                Some(t) => format!(
                    "test proof {}{}",
                    t.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
                    n.map(|n| format!(" #{n}")).unwrap_or_default()
                ),
                None => self.to_string(),
            },
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for IssueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl serde::Serialize for IssueKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

/// What a suppression covers: everything, one list, or one bulletin. Stored as `*`,
/// `list:<id>` or `bulletin:<id>`. Who each stops is [`crate::suppress_rule`]'s to say.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SuppressionScope {
    All,
    List(ListId),
    Bulletin(BulletinId),
}

impl SuppressionScope {
    pub fn as_str(&self) -> Cow<'static, str> {
        match self {
            SuppressionScope::All => "*".into(),
            SuppressionScope::List(l) => format!("list:{l}").into(),
            SuppressionScope::Bulletin(b) => format!("bulletin:{b}").into(),
        }
    }

    /// Read the stored value.
    pub fn parse(s: &str) -> Result<Self, DecodeError> {
        let bad = || DecodeError::new("a suppression scope", s);
        if s == "*" {
            return Ok(SuppressionScope::All);
        }
        match s.split_once(':').ok_or_else(bad)? {
            ("list", id) => ListId::parse(id)
                .map(SuppressionScope::List)
                .map_err(|_| bad()),
            ("bulletin", id) => BulletinId::parse(id)
                .map(SuppressionScope::Bulletin)
                .map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for SuppressionScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl serde::Serialize for SuppressionScope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trips<T: Copy + PartialEq + fmt::Debug>(
        all: &[T],
        as_str: impl Fn(T) -> &'static str,
        parse: impl Fn(&str) -> Result<T, DecodeError>,
    ) {
        for &w in all {
            assert_eq!(parse(as_str(w)), Ok(w), "{}", as_str(w));
        }
        let mut texts: Vec<_> = all.iter().map(|&w| as_str(w)).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), all.len(), "two words share a spelling");
    }

    #[test]
    fn every_word_reads_back_as_itself() {
        round_trips(
            DeliveryState::ALL,
            DeliveryState::as_str,
            DeliveryState::parse,
        );
        round_trips(IssueState::ALL, IssueState::as_str, IssueState::parse);
        round_trips(FireState::ALL, FireState::as_str, FireState::parse);
        round_trips(
            SuppressionHow::ALL,
            SuppressionHow::as_str,
            SuppressionHow::parse,
        );
        round_trips(BounceKind::ALL, BounceKind::as_str, BounceKind::parse);
    }

    #[test]
    fn the_stored_spellings_are_the_ones_in_existing_ledgers() {
        assert_eq!(DeliveryState::InFlight.as_str(), "in_flight");
        assert_eq!(IssueState::Paused.as_str(), "paused");
        assert_eq!(FireState::Held.as_str(), "held");
        assert_eq!(SuppressionHow::OneClick.as_str(), "one_click");
        assert_eq!(IssueKind::TestProof { at: 7, n: None }.as_str(), "proof:7");
        assert_eq!(
            IssueKind::TestProof { at: 7, n: Some(2) }.as_str(),
            "proof:7:2"
        );
        assert_eq!(IssueKind::Announcement.as_str(), "announce");
        assert_eq!(IssueKind::HeldNotice.as_str(), "held");
        assert_eq!(
            SuppressionScope::List(ListId::parse("health").unwrap()).as_str(),
            "list:health"
        );
        assert_eq!(SuppressionScope::All.as_str(), "*");
    }

    #[test]
    fn unknown_values_are_errors_that_name_what_and_which() {
        let e = IssueState::parse("archived").unwrap_err();
        assert_eq!(e.what, "an issue state");
        assert!(e.to_string().contains("`archived`"), "{e}");
        assert!(e.to_string().contains("hint:"), "{e}");
        assert!(FireState::parse("HELD").is_err());
        assert!(DeliveryState::parse("").is_err());
        assert!(SuppressionHow::parse("carrier-pigeon").is_err());
        assert_eq!(
            SuppressionHow::parse_stored(None),
            Ok(SuppressionHow::Admin)
        );
        assert!(SuppressionHow::parse_stored(Some("x")).is_err());
        for bad in [
            "proof:",
            "proof:soon",
            "proof:+7",
            "proof:07",
            "proof:7:",
            "proof:7:02",
            "proof::2",
            "proof:7:2:1",
            "announce:x",
            "Issue",
            "",
        ] {
            assert!(IssueKind::parse(bad).is_err(), "{bad}");
        }
        for bad in [
            "",
            "**",
            "list:",
            "list:Bad Id",
            "bulletin",
            "campaign:x",
            "all",
        ] {
            assert!(SuppressionScope::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_are_stored_as_iso_text() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(date_text(d), "2026-12-01");
        assert_eq!(parse_date("2026-12-01"), Ok(d));
        for bad in ["", "2026-13-01", "1 Dec 2026", "2026-12-01x"] {
            assert_eq!(parse_date(bad).unwrap_err().what, "a date", "{bad}");
        }
    }

    fn id() -> impl Strategy<Value = String> {
        "[a-z0-9][a-z0-9-]{0,20}"
    }

    fn kind() -> impl Strategy<Value = IssueKind> {
        prop_oneof![
            Just(IssueKind::Issue),
            Just(IssueKind::Proof),
            Just(IssueKind::HeldNotice),
            Just(IssueKind::Announcement),
            (any::<i64>(), any::<Option<i64>>()).prop_map(|(at, n)| IssueKind::TestProof { at, n }),
        ]
    }

    fn scope() -> impl Strategy<Value = SuppressionScope> {
        prop_oneof![
            Just(SuppressionScope::All),
            id().prop_map(|s| SuppressionScope::List(ListId::parse(&s).unwrap())),
            id().prop_map(|s| SuppressionScope::Bulletin(BulletinId::parse(&s).unwrap())),
        ]
    }

    proptest! {
        #[test]
        fn kinds_read_back_as_themselves(k in kind()) {
            prop_assert_eq!(IssueKind::parse(&k.as_str()), Ok(k));
        }

        #[test]
        fn scopes_read_back_as_themselves(s in scope()) {
            prop_assert_eq!(SuppressionScope::parse(&s.as_str()), Ok(s));
        }

        #[test]
        fn any_text_parses_or_errs_never_panics(s in ".{0,40}") {
            let parsed = [
                IssueKind::parse(&s).map(|k| k.as_str().into_owned()),
                SuppressionScope::parse(&s).map(|k| k.as_str().into_owned()),
                IssueState::parse(&s).map(|k| k.as_str().to_string()),
                FireState::parse(&s).map(|k| k.as_str().to_string()),
            ];
            // What parses is exactly what would be stored again.
            for text in parsed.into_iter().flatten() {
                prop_assert_eq!(text, s.clone());
            }
        }
    }
}
