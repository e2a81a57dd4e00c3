//! One subscriber, as a list's `[[member]]` or a row of its members_csv gives it: the checks
//! both ways of writing a member share, owned by neither reader.

use crate::address::{DisplayName, EmailAddress};
use crate::diag::Position;

/// One subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub email: EmailAddress,
    pub name: Option<DisplayName>,
    pub agency: Option<String>,
    /// Where the address is written, so a stale one can be found and removed by hand.
    pub origin: Option<Origin>,
}

/// The file and position of a member's address: a list's TOML file, or the row of its CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// One allocation a file, shared by its members (a list may have 100,000).
    pub path: std::sync::Arc<std::path::Path>,
    pub pos: Position,
    /// Whether `path` is a CSV file (the line is then the spreadsheet's row).
    pub csv: bool,
}

/// At most 40 characters of text from a file, control characters escaped: enough to recognise
/// a mistake, never enough to leak a file's contents through a message.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = text
        .chars()
        .take(MAX)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

pub(super) type Report<'a> = dyn FnMut(Position, String, Option<&'static str>) + 'a;

/// One member from its fields (each with where it was written); problems go to `report`.
pub(super) fn member(
    email: Option<(&str, Position)>,
    name: Option<(&str, Position)>,
    agency: Option<(&str, Position)>,
    report: &mut Report<'_>,
) -> Option<Member> {
    let email = email.and_then(|(e, pos)| match EmailAddress::parse(e) {
        Ok(a) => Some(a),
        Err(err) => {
            report(
                pos,
                format!("invalid address `{}`: {err}", e.escape_debug()),
                err.hint(),
            );
            None
        }
    });
    let name = match name {
        None => Some(None),
        Some((n, pos)) => match DisplayName::parse(n) {
            Ok(d) if d.is_empty() => Some(None),
            Ok(d) => Some(Some(d)),
            Err(err) => {
                report(
                    pos,
                    format!("invalid name `{}`: {err}", n.escape_debug()),
                    err.hint(),
                );
                None
            }
        },
    };
    let agency = match agency {
        None => Some(None),
        Some((a, pos)) => {
            if a.chars().any(char::is_control) {
                report(
                    pos,
                    format!(
                        "invalid agency `{}`: it contains a line break or control character",
                        a.escape_debug()
                    ),
                    None,
                );
                None
            } else if a.trim().is_empty() {
                Some(None)
            } else {
                Some(Some(a.trim().to_string()))
            }
        }
    };
    Some(Member {
        email: email?,
        name: name?,
        agency: agency?,
        origin: None,
    })
}
