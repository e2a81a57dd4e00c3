//! One message in, at most one ledger change out: find our VERP address (the envelope
//! recipient the MTA hands over, else the bounce's own headers, else anywhere in it, such as
//! the `Return-Path` of the original message an abuse report quotes), read the report, and let
//! the ledger apply the policy. Idempotent: the same report twice changes nothing.

use super::report::Report;
use super::{BounceKind, SoftPolicy, Verp};
use crate::store::{BounceRecorded, NewBounce, Store, StoreError};

/// Why a message changed nothing. None of these is an error for the MTA: an alias that fails
/// would bounce the bounce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// Not a DSN or an abuse report (an auto-reply, a person writing back).
    NotAReport,
    /// A report, but nothing in it is a failure or a complaint (a delay warning, a success
    /// notice, `not-spam` feedback).
    NothingToAct,
    /// No VERP address of ours with a valid tag: forged, tampered, or not about our mail.
    NoValidToken,
    /// The tag is valid but the ledger has no such delivery (a different database).
    UnknownDelivery,
}

impl Ignored {
    pub fn describe(self) -> &'static str {
        match self {
            Ignored::NotAReport => "not a delivery status notification or abuse report",
            Ignored::NothingToAct => "a report with no failure or complaint in it",
            Ignored::NoValidToken => "no bounce address of ours with a valid signature",
            Ignored::UnknownDelivery => "signed for a delivery this ledger does not hold",
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
}

/// The delivery a bounce is about: the envelope recipient first (what the MTA delivered to),
/// then the outer headers that carry it (Delivered-To, X-Original-To, To, Envelope-To), then
/// anywhere in the message.
pub fn delivery_of(verp: &Verp, message: &str, envelope_recipient: Option<&str>) -> Option<i64> {
    if let Some(d) = envelope_recipient.and_then(|r| verp.verify(r)) {
        return Some(d);
    }
    let outer = super::mime::Entity::parse(message);
    for name in ["delivered-to", "x-original-to", "envelope-to", "to"] {
        for (k, v) in &outer.headers {
            if k == name
                && let Some(&d) = verp.find_in(v).first()
            {
                return Some(d);
            }
        }
    }
    verp.find_in(message).first().copied()
}

/// Read one message and record what it says.
pub async fn ingest(
    store: &Store,
    verp: &Verp,
    policy: SoftPolicy,
    message: &[u8],
    envelope_recipient: Option<&str>,
    now: i64,
) -> Result<Outcome, StoreError> {
    let text = String::from_utf8_lossy(message);
    let report = Report::parse(&text);
    if report == Report::None {
        return Ok(Outcome::Ignored(Ignored::NotAReport));
    }
    let Some((kind, status, detail)) = report.verdict() else {
        return Ok(Outcome::Ignored(Ignored::NothingToAct));
    };
    let Some(delivery) = delivery_of(verp, &text, envelope_recipient) else {
        return Ok(Outcome::Ignored(Ignored::NoValidToken));
    };
    let status = status.map(|s| s.to_string());
    let detail: String = detail.chars().take(300).collect();
    let recorded = store
        .record_bounce(
            &NewBounce {
                delivery_id: delivery,
                kind,
                status: status.as_deref(),
                detail: &detail,
            },
            policy,
            now,
        )
        .await?;
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
