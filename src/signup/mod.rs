//! Sign-up: a person asks to receive a bulletin, confirms from the link mailed to them, and is
//! then appended to the members CSV of the list that takes the bulletin's sign-ups (at once on
//! an `open` list, when an admin accepts on a `review` list). The ledger keeps the sign-up and
//! its consent record — evidence about a person — and the CSV keeps membership: lists stay
//! files, reviewed like the rest of the project.
//!
//! Pure pieces here (where a bulletin's sign-ups go, the form's checks, the confirmation
//! link's contents and mail, the CSV row); [`append`] writes through [`crate::project_edit`].

mod csv_row;
mod form;
mod limits;
mod mail;

pub use csv_row::{AppendError, append, appended, renamed, rewrite};
pub use form::{Application, FieldError, Form};
pub use limits::ClientLimits;
pub use mail::confirmation;

use crate::config::{List, Project, SignupConfig};
use crate::ids::{BulletinId, ListId};

/// The privacy notice a person agrees to by confirming: `templates/privacy-notice-<v>.md`. A
/// new wording is a new file and a new version, so each consent names the words it was given.
pub const NOTICE_VERSION: &str = "v1";

/// How long a confirmation link works.
pub const CONFIRM_HOURS: i64 = 48;

/// The purpose confirmation links are sealed for ([`crate::token::Signer::seal_for`]).
pub const CONFIRM_PURPOSE: &str = "signup-confirm";

/// Where a consent came from.
pub const SOURCES: [&str; 3] = ["form", "admin", "import"];

/// The list that takes `bulletin`'s sign-ups: the first of its lists, or of the lists they
/// include (depth first, in the order written), that says `signups`.
pub fn list_for<'p>(
    project: &'p Project,
    bulletin: &BulletinId,
) -> Option<(&'p List, &'p SignupConfig)> {
    let b = project.bulletin(bulletin.as_str())?;
    let mut todo: Vec<&ListId> = b.lists.iter().rev().collect();
    let mut seen = std::collections::BTreeSet::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Some(l) = project.lists.lists.get(id) else {
            continue;
        };
        if let Some(s) = &l.signup {
            return Some((l, s));
        }
        todo.extend(l.include.iter().rev().map(|i| &i.value));
    }
    None
}

/// The bulletins that take sign-ups, with their lists, in the settings' order.
pub fn open_bulletins(project: &Project) -> Vec<(&crate::config::settings::Bulletin, &List)> {
    project
        .settings
        .bulletins
        .iter()
        .filter_map(|b| list_for(project, &b.id).map(|(l, _)| (b, l)))
        .collect()
}

/// What a confirmation link carries: the sign-up, its nonce and when the link ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmLink {
    pub id: i64,
    pub nonce: String,
    pub expires: i64,
}

impl ConfirmLink {
    /// The text sealed into the link.
    pub fn text(&self) -> String {
        format!("{}\0{}\0{}", self.id, self.nonce, self.expires)
    }

    /// Read back what [`ConfirmLink::text`] wrote.
    pub fn parse(text: &str) -> Option<ConfirmLink> {
        let mut p = text.split('\0');
        let (id, nonce, expires) = (p.next()?, p.next()?, p.next()?);
        Some(ConfirmLink {
            id: id.parse().ok()?,
            nonce: nonce.to_string(),
            expires: expires.parse().ok()?,
        })
    }
}

/// 128 random bits, hex: a confirmation link's nonce.
pub fn nonce() -> String {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .expect("the system's random source");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_reads_back() {
        let l = ConfirmLink {
            id: 7,
            nonce: nonce(),
            expires: 1_800_000_000,
        };
        assert_eq!(ConfirmLink::parse(&l.text()), Some(l));
        assert_eq!(ConfirmLink::parse("7\0x"), None);
        assert_ne!(nonce(), nonce());
    }
}
