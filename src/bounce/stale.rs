//! Addresses bounces suppressed, matched back to the list files that still hold them. The
//! daemon never edits lists (they are reviewed like code): it says which line to remove.

use std::path::{Path, PathBuf};

use super::BounceKind;
use crate::config::Project;
use crate::diag::{Diagnostic, Position};
use crate::store::StaleAddress;

/// One place an address is written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    pub list: String,
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
    /// A CSV file: `line` is the spreadsheet's row.
    pub csv: bool,
}

impl Place {
    /// `path:line`, relative to `base` when under it.
    pub fn show(&self, base: &Path) -> String {
        let p = self.path.strip_prefix(base).unwrap_or(&self.path);
        if self.csv {
            format!("{}:{} (CSV row {})", p.display(), self.line, self.line)
        } else {
            format!("{}:{}", p.display(), self.line)
        }
    }
}

/// A suppressed address still in the files.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaleMember {
    pub email: String,
    pub kind: BounceKind,
    pub status: Option<String>,
    /// The day the bounce that suppressed it arrived (UTC), YYYY-MM-DD.
    pub since: String,
    /// Where to remove it: every list file that names it.
    pub remove: Vec<Place>,
}

impl StaleMember {
    /// `hard bounce 5.1.1`, `complaint`, `repeated soft bounces 4.2.2`.
    pub fn why(&self) -> String {
        let what = match self.kind {
            BounceKind::Hard => "hard bounce",
            BounceKind::Soft => "repeated soft bounces",
            BounceKind::Complaint => "spam complaint",
            // Never suppress, so never stale; named for completeness.
            BounceKind::Policy => "policy refusal",
            BounceKind::Notice => "feedback notice",
        };
        match &self.status {
            Some(s) => format!("{what} {s}"),
            None => what.to_string(),
        }
    }
}

/// The suppressed addresses that some list file still holds, sorted by address.
pub fn stale_members(project: &Project, stale: &[StaleAddress]) -> Vec<StaleMember> {
    stale
        .iter()
        .filter_map(|s| {
            let mut remove: Vec<Place> = project
                .lists
                .lists
                .values()
                .flat_map(|l| {
                    l.members
                        .iter()
                        .filter(|m| m.email.key() == s.email_key)
                        .filter_map(|m| m.origin.as_ref())
                        .map(|o| Place {
                            list: l.id.to_string(),
                            path: o.path.to_path_buf(),
                            line: o.pos.line,
                            col: o.pos.col,
                            csv: o.csv,
                        })
                })
                .collect();
            remove.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
            remove.dedup();
            (!remove.is_empty()).then(|| StaleMember {
                email: s.email_key.clone(),
                kind: s.kind,
                status: s.status.clone(),
                since: s
                    .at
                    .to_utc()
                    .map(|t| t.date_naive().to_string())
                    .unwrap_or_default(),
                remove,
            })
        })
        .collect()
}

/// `check`'s warnings: one at each line that still holds a suppressed address.
pub fn warnings(stale: &[StaleMember]) -> Vec<Diagnostic> {
    stale
        .iter()
        .flat_map(|s| {
            s.remove.iter().map(move |p| {
                Diagnostic::warning(
                    &p.path,
                    Position {
                        line: p.line,
                        col: p.col,
                    },
                    format!(
                        "`{}` is suppressed after a {} on {}: nothing is sent to it",
                        s.email,
                        s.why(),
                        s.since
                    ),
                )
                .with_hint(if p.csv {
                    "delete this row from the spreadsheet (`bulletin lists --stale` lists every such address)"
                } else {
                    "remove this member (`bulletin lists --stale` lists every such address)"
                })
            })
        })
        .collect()
}

/// What the ledger says bounced, read without changing anything; nothing when there is no
/// ledger yet or it cannot be read (a check never fails for want of a database).
pub async fn read_stale(project: &Project) -> Vec<StaleAddress> {
    if let crate::config::DatabaseUrl::Sqlite(p) = &project.settings.database
        && !p.exists()
    {
        return Vec::new();
    }
    match crate::store::Store::open_read_only(&project.settings.database).await {
        Ok(store) => store.stale_addresses().await.unwrap_or_else(|e| {
            tracing::debug!(error = %e, "no bounces in the ledger to check against");
            Vec::new()
        }),
        Err(e) => {
            tracing::debug!(error = %e, "cannot read the ledger; bounces not checked");
            Vec::new()
        }
    }
}
