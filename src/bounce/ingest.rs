//! One message in, at most one ledger change out: read the report, find our VERP return path
//! (the envelope recipient the MTA hands over, else the bounce's own headers, else anywhere in
//! it, such as the `Return-Path` of the original message an abuse report quotes), check its
//! signature against the delivery's recipient in this ledger, and let the ledger apply the
//! policy. Idempotent: the same report twice changes nothing.
//!
//! A message that is not a report may be a reader's unsubscribe request, sent to the
//! List-Unsubscribe `mailto:` ([`super::unsubscribe`]): with a valid token in its subject, the
//! token's address is suppressed for the token's bulletin. Reports come first, so a bounce
//! quoting one of our messages is never read as a request.
//!
//! Reading is CPU work on up to 10 MiB of hostile text, so it runs on a blocking thread with a
//! time budget: the IMAP poller and the daemon's other work never wait behind it.

use std::time::Duration;

use super::mime::{self, Limit};
use super::report::Report;
use super::unsubscribe::{self, Request};
use super::verp::{self, Candidate, MAX_CANDIDATES, Signed};
use super::{BounceKind, SoftPolicy, StatusCode, Verp};
use crate::store::{
    BounceRecorded, NewBounce, Store, StoreError, SuppressionHow, SuppressionScope,
};
use crate::token::{Signer, Unsubscribe};

/// How long reading one message may take. A backstop: reading is linear in the message's
/// size, and the largest message `bulletin bounce` reads takes well under a second.
pub const READ_BUDGET: Duration = Duration::from_secs(10);

/// Why a message changed nothing. None of these is an error for the MTA: an alias that fails
/// would bounce the bounce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// Not a DSN or an abuse report (an auto-reply, a person writing back).
    NotAReport,
    /// Not a report, and its subject asks to unsubscribe without a valid token of ours
    /// (forged, mangled by a mail client, or signed with a secret since retired).
    InvalidUnsubscribe,
    /// A report, but nothing in it is a failure or a complaint (a delay warning, a success
    /// notice, `not-spam` feedback).
    NothingToAct,
    /// No VERP address of ours with a valid tag: forged, tampered, not about our mail, or
    /// signed for another ledger's delivery or another recipient.
    NoValidToken,
    /// The tag is valid but the ledger has no such delivery (a different database).
    UnknownDelivery,
    /// An old-style return path (signed for the delivery id alone) whose delivery went to
    /// someone the report does not name: most likely another ledger's delivery of that id.
    OtherRecipient,
    /// Past a cap on what is read of a message: a hostile or broken message, not a report.
    TooLarge(Limit),
    /// Not read within [`READ_BUDGET`].
    TooSlow,
}

impl Ignored {
    pub fn describe(self) -> &'static str {
        match self {
            Ignored::NotAReport => "not a delivery status notification or abuse report",
            Ignored::InvalidUnsubscribe => {
                "an unsubscribe request without a valid unsubscribe token; nobody was unsubscribed"
            }
            Ignored::NothingToAct => "a report with no failure or complaint in it",
            Ignored::NoValidToken => "no bounce address of ours with a valid signature",
            Ignored::UnknownDelivery => "signed for a delivery this ledger does not hold",
            Ignored::OtherRecipient => {
                "an old-style bounce address whose delivery went to someone the report does not name (another ledger's delivery?)"
            }
            Ignored::TooLarge(_) => "past a limit on what is read of a message",
            Ignored::TooSlow => "not read within the time allowed for one message",
        }
    }
}

/// What one message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ignored(Ignored),
    /// This report (or another of the same kind for the same delivery) was already recorded.
    Duplicate {
        delivery: i64,
        kind: BounceKind,
    },
    Recorded {
        delivery: i64,
        kind: BounceKind,
        /// Whether the address is now suppressed because of it.
        suppressed: bool,
        /// Whether it tripped its issue's bounce breaker.
        tripped: bool,
    },
    /// An unsubscribe request by mail with a valid token: its address is suppressed for its
    /// bulletin (`changed` is false when it already was).
    Unsubscribed {
        bulletin: crate::ids::BulletinId,
        changed: bool,
    },
}

/// The return paths a bounce may be about, best first and at most [`MAX_CANDIDATES`]: the
/// envelope recipient (what the MTA delivered to), then the outer headers that carry it
/// (Delivered-To, X-Original-To, Envelope-To, To), then anywhere in the message.
pub fn candidates(verp: &Verp, message: &str, envelope_recipient: Option<&str>) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = envelope_recipient
        .and_then(|r| verp.candidate(r))
        .into_iter()
        .collect();
    let outer = mime::Entity::parse(message);
    let fields = ["delivered-to", "x-original-to", "envelope-to", "to"]
        .into_iter()
        .flat_map(|name| outer.headers.iter().filter(move |(k, _)| k == name))
        .map(|(_, v)| v.as_str());
    for text in fields.chain([message]) {
        for c in verp.candidates_in(text) {
            if out.len() == MAX_CANDIDATES {
                return out;
            }
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// What reading a message found, before the ledger is asked anything.
struct Read {
    kind: BounceKind,
    status: Option<StatusCode>,
    detail: String,
    candidates: Vec<Candidate>,
    /// The message, to see whether it names a delivery's recipient.
    text: String,
}

/// What a message is, as far as reading it tells.
enum Found {
    Report(Read),
    Unsubscribe(Unsubscribe),
}

/// The pure part: caps, report, verdict, return paths; else an unsubscribe request.
fn read(
    verp: &Verp,
    signer: &Signer,
    message: Vec<u8>,
    envelope_recipient: Option<&str>,
) -> Result<Found, Ignored> {
    let text = String::from_utf8(message)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    if let Some(limit) = mime::over_limits(&text) {
        return Err(Ignored::TooLarge(limit));
    }
    let report = Report::parse(&text);
    if report == Report::None {
        let outer = mime::Entity::parse(&text);
        return match unsubscribe::request(outer.header("subject"), signer) {
            Request::Valid(u) => Ok(Found::Unsubscribe(u)),
            Request::Invalid => Err(Ignored::InvalidUnsubscribe),
            Request::None => Err(Ignored::NotAReport),
        };
    }
    let (kind, status, detail) = report.verdict().ok_or(Ignored::NothingToAct)?;
    Ok(Found::Report(Read {
        kind,
        status,
        detail: detail.chars().take(300).collect(),
        candidates: candidates(verp, &text, envelope_recipient),
        text,
    }))
}

/// The delivery the first return path signed for this ledger names: bound to this ledger and
/// the delivery's recipient, or signed the old way and the report names that recipient.
async fn delivery_of(
    store: &Store,
    verp: &Verp,
    r: &Read,
) -> Result<Result<i64, Ignored>, StoreError> {
    let mut why = Ignored::NoValidToken;
    for c in &r.candidates {
        let Some(email_key) = store.delivery_recipient(c.delivery).await? else {
            if verp.check(c, store.ledger_id(), "") == Signed::Legacy {
                why = Ignored::UnknownDelivery;
            }
            continue;
        };
        match verp.check(c, store.ledger_id(), &email_key) {
            Signed::Bound => return Ok(Ok(c.delivery)),
            Signed::Legacy if verp::mentions(&r.text, &email_key) => return Ok(Ok(c.delivery)),
            Signed::Legacy => why = Ignored::OtherRecipient,
            Signed::No => {}
        }
    }
    Ok(Err(why))
}

/// Read one message and record what it says. `signer` checks the tokens of unsubscribe
/// requests.
pub async fn ingest(
    store: &Store,
    verp: &Verp,
    signer: &Signer,
    policy: SoftPolicy,
    message: Vec<u8>,
    envelope_recipient: Option<&str>,
    now: crate::timestamp::Timestamp,
) -> Result<Outcome, StoreError> {
    let reader = verp.clone();
    let checker = signer.clone();
    let recipient = envelope_recipient.map(str::to_string);
    let task =
        tokio::task::spawn_blocking(move || read(&reader, &checker, message, recipient.as_deref()));
    let r = match tokio::time::timeout(READ_BUDGET, task).await {
        Ok(Ok(Ok(Found::Report(r)))) => r,
        Ok(Ok(Ok(Found::Unsubscribe(u)))) => return unsubscribe(store, u, now).await,
        Ok(Ok(Err(why))) => return Ok(Outcome::Ignored(why)),
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(_)) | Err(_) => return Ok(Outcome::Ignored(Ignored::TooSlow)),
    };
    let delivery = match delivery_of(store, verp, &r).await? {
        Ok(d) => d,
        Err(why) => return Ok(Outcome::Ignored(why)),
    };
    let status = r.status.map(|s| s.to_string());
    let bounce = NewBounce {
        delivery_id: delivery,
        kind: r.kind,
        status: status.as_deref(),
        detail: &r.detail,
    };
    let recorded = super::policy::record(store, &bounce, policy, now).await?;
    let kind = r.kind;
    Ok(match recorded {
        BounceRecorded::UnknownDelivery => Outcome::Ignored(Ignored::UnknownDelivery),
        BounceRecorded::Duplicate => Outcome::Duplicate { delivery, kind },
        BounceRecorded::Recorded {
            suppressed,
            tripped,
        } => Outcome::Recorded {
            delivery,
            kind,
            suppressed,
            tripped,
        },
    })
}

/// Suppress the token's address for the token's bulletin, as the unsubscribe page does.
async fn unsubscribe(
    store: &Store,
    u: Unsubscribe,
    now: crate::timestamp::Timestamp,
) -> Result<Outcome, StoreError> {
    let changed = store
        .suppress_how(
            &u.email.key(),
            &SuppressionScope::Bulletin(u.bulletin.clone()),
            Some("unsubscribe request by mail"),
            SuppressionHow::Mail,
            now,
        )
        .await?;
    Ok(Outcome::Unsubscribed {
        bulletin: u.bulletin,
        changed,
    })
}
