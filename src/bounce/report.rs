//! Reading what comes back: RFC 3464 delivery status notifications and RFC 5965 abuse reports
//! (ARF), both `multipart/report`, possibly wrapped in another multipart. Anything else (an
//! out-of-office reply, a person writing back) is not a report and is left alone.

use super::mime::{ContentType, Entity, MAX_DEPTH, field_blocks};
use super::{BounceKind, StatusCode};

/// The `Action` of one recipient in a DSN (RFC 3464 §2.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Failed,
    Delayed,
    Delivered,
    Relayed,
    Expanded,
    Unknown,
}

impl Action {
    fn parse(s: &str) -> Action {
        match s.trim().to_ascii_lowercase().as_str() {
            "failed" => Action::Failed,
            "delayed" => Action::Delayed,
            "delivered" => Action::Delivered,
            "relayed" => Action::Relayed,
            "expanded" => Action::Expanded,
            _ => Action::Unknown,
        }
    }
}

/// What a DSN says about one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientStatus {
    pub action: Action,
    pub status: Option<StatusCode>,
    pub diagnostic: Option<String>,
}

/// What a message turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// A delivery status notification, one entry per recipient it reports on.
    Dsn(Vec<RecipientStatus>),
    /// An abuse report: `Feedback-Type` (abuse, fraud, virus, other, not-spam…).
    Feedback { feedback_type: String },
    /// Not a report.
    None,
}

impl Report {
    /// Parse a whole message.
    pub fn parse(message: &str) -> Report {
        find(&Entity::parse(message), 0)
    }

    /// The bounce this report amounts to, with the status and diagnostic that decided it:
    /// the most severe failure among its recipients; `None` for delays, successes and reports
    /// that say nothing actionable.
    pub fn verdict(&self) -> Option<(BounceKind, Option<StatusCode>, String)> {
        match self {
            Report::Feedback { feedback_type } => super::policy::feedback_kind(feedback_type)
                .map(|kind| (kind, None, format!("feedback-type {feedback_type}"))),
            Report::Dsn(recipients) => recipients
                .iter()
                .filter(|r| r.action == Action::Failed)
                .map(|r| {
                    let status = r
                        .status
                        .or_else(|| r.diagnostic.as_deref().and_then(StatusCode::find_in));
                    let kind = status.map_or(BounceKind::Soft, StatusCode::kind);
                    (kind, status, r.diagnostic.clone().unwrap_or_default())
                })
                .max_by_key(|(k, _, _)| k.severity()),
            Report::None => None,
        }
    }
}

fn find(e: &Entity<'_>, depth: usize) -> Report {
    if depth > MAX_DEPTH {
        return Report::None;
    }
    let ct: ContentType = e.content_type();
    if ct.mime == "multipart/report" {
        for p in e.parts() {
            match p.content_type().mime.as_str() {
                "message/delivery-status" | "message/global-delivery-status" => {
                    return Report::Dsn(delivery_status(&p.decoded_body()));
                }
                "message/feedback-report" => {
                    let body = p.decoded_body();
                    let feedback_type = field_blocks(&body)
                        .into_iter()
                        .flatten()
                        .find(|(k, _)| k == "feedback-type")
                        .map(|(_, v)| v)
                        .unwrap_or_else(|| "abuse".into());
                    return Report::Feedback { feedback_type };
                }
                _ => {}
            }
        }
        return Report::None;
    }
    if ct.mime.starts_with("multipart/") {
        for p in e.parts() {
            let r = find(&p, depth + 1);
            if r != Report::None {
                return r;
            }
        }
    }
    Report::None
}

/// The per-recipient blocks of a delivery-status body (the first block is per-message).
fn delivery_status(body: &str) -> Vec<RecipientStatus> {
    field_blocks(body)
        .into_iter()
        .filter(|b| b.iter().any(|(k, _)| k == "action"))
        .map(|b| {
            let get = |name: &str| b.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            RecipientStatus {
                action: Action::parse(&get("action").unwrap_or_default()),
                status: get("status").and_then(|s| StatusCode::parse(&s)),
                diagnostic: get("diagnostic-code"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(text: &str, status: &str, feedback: &str) -> String {
        text.replace("{{VERP}}", "bounces+1-0011223344556677@test.example")
            .replace("{{RCPT}}", "jo@agency.example")
            .replace("{{RCPT_LOCAL}}", "jo")
            .replace("{{STATUS}}", status)
            .replace("{{FEEDBACK}}", feedback)
            .replace('\n', "\r\n")
    }

    fn verdict(fixture: &str, status: &str) -> Option<(BounceKind, Option<String>)> {
        Report::parse(&fill(fixture, status, "abuse"))
            .verdict()
            .map(|(k, s, _)| (k, s.map(|s| s.to_string())))
    }

    const POSTFIX: &str = include_str!("../../tests/fixtures/bounces/postfix-user-unknown.eml");
    const GMAIL: &str = include_str!("../../tests/fixtures/bounces/gmail-failure.eml");
    const EXCHANGE: &str =
        include_str!("../../tests/fixtures/bounces/exchange-recipient-not-found.eml");
    const DELAYED: &str = include_str!("../../tests/fixtures/bounces/postfix-delayed.eml");
    const ARF: &str = include_str!("../../tests/fixtures/bounces/arf-complaint.eml");
    const OOO: &str = include_str!("../../tests/fixtures/bounces/out-of-office.eml");

    #[test]
    fn real_world_reports() {
        let hard = |s: &str| Some((BounceKind::Hard, Some(s.to_string())));
        let soft = |s: &str| Some((BounceKind::Soft, Some(s.to_string())));
        assert_eq!(verdict(POSTFIX, "5.1.1"), hard("5.1.1"));
        assert_eq!(verdict(POSTFIX, "5.2.2"), soft("5.2.2"));
        assert_eq!(verdict(GMAIL, "5.1.1"), hard("5.1.1"));
        assert_eq!(verdict(GMAIL, "4.2.2"), soft("4.2.2"));
        assert_eq!(verdict(EXCHANGE, ""), hard("5.1.10"));
        assert_eq!(verdict(DELAYED, ""), None);
        assert_eq!(Report::parse(&fill(DELAYED, "", "")).verdict(), None);
        assert!(matches!(
            Report::parse(&fill(DELAYED, "", "")),
            Report::Dsn(_)
        ));
        assert_eq!(Report::parse(&fill(OOO, "", "")), Report::None);
        assert_eq!(
            Report::parse(&fill(ARF, "", "abuse"))
                .verdict()
                .map(|v| v.0),
            Some(BounceKind::Complaint)
        );
        assert_eq!(Report::parse(&fill(ARF, "", "not-spam")).verdict(), None);
    }

    #[test]
    fn a_missing_status_falls_back_to_the_diagnostic_code() {
        let text = fill(POSTFIX, "5.1.1", "").replace("Status: 5.1.1\r\n", "");
        assert_eq!(
            Report::parse(&text)
                .verdict()
                .map(|v| (v.0, v.1.map(|s| s.to_string()))),
            Some((BounceKind::Hard, Some("5.1.1".into())))
        );
    }

    #[test]
    fn garbage_is_not_a_report() {
        for text in [
            "",
            "\r\n\r\n",
            "Content-Type: multipart/report; boundary=\"\"\r\n\r\n--\r\n",
            "Content-Type: multipart/report\r\n\r\nno boundary",
            &"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n".repeat(50),
        ] {
            assert_eq!(Report::parse(text).verdict(), None);
        }
    }
}
