//! `bulletin lists`: each list's members after includes and suppressions, who is on which
//! list, and (`--stale`) the addresses bounces say to remove from the files.

use super::TableOrJson;
use crate::config::Project;
use std::io::Write;

pub use crate::list_summary::{ListRow, list_rows};

pub(super) fn lists(
    project: &Project,
    suppressions: &[crate::store::Suppression],
    format: TableOrJson,
) -> anyhow::Result<()> {
    let rows = list_rows(project, suppressions);
    let mut out = std::io::stdout().lock();
    match format {
        TableOrJson::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        TableOrJson::Table => {
            let w_id = rows.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
            let w_name = rows
                .iter()
                .map(|r| r.name.chars().count())
                .max()
                .unwrap_or(4)
                .max(4);
            writeln!(
                out,
                "{:<w_id$}  {:<w_name$}  {:>7}  REACHED BY",
                "ID", "NAME", "MEMBERS"
            )?;
            for r in &rows {
                let by = if r.bulletins.is_empty() {
                    "-".to_string()
                } else {
                    r.bulletins
                        .iter()
                        .map(|b| format!("{} {}", b.bulletin, b.reaches))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                writeln!(
                    out,
                    "{:<w_id$}  {:<w_name$}  {:>7}  {by}",
                    r.id, r.name, r.members
                )?;
            }
            let base = std::env::current_dir().unwrap_or_default();
            for r in rows.iter().filter(|r| !r.left_out.is_empty()) {
                writeln!(
                    out,
                    "\n{}: {} row(s) left out, not counted above:",
                    r.id,
                    r.left_out.len()
                )?;
                for row in &r.left_out {
                    let path = row.path.strip_prefix(&base).unwrap_or(&row.path);
                    writeln!(out, "  fix {}:{}  {}", path.display(), row.row, row.problem)?;
                }
                if !r.left_out.iter().all(|row| row.skipped) {
                    writeln!(
                        out,
                        "  sending waits until these are fixed (or the list says invalid_rows = \"skip\")"
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// `lists --stale`: each suppressed address still in a list file, and where to remove it.
pub(super) fn stale_lists(
    project: &Project,
    stale: &[crate::store::StaleAddress],
    format: TableOrJson,
) -> anyhow::Result<()> {
    let rows = crate::bounce::stale::stale_members(project, stale);
    let mut out = std::io::stdout().lock();
    if format == TableOrJson::Json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(out, "no list holds an address that bounces suppressed")?;
        return Ok(());
    }
    let base = std::env::current_dir().unwrap_or_default();
    for r in &rows {
        writeln!(out, "{}  {} on {}", r.email, r.why(), r.since)?;
        for p in &r.remove {
            writeln!(out, "  remove from {}", p.show(&base))?;
        }
    }
    writeln!(
        out,
        "{} address(es) to remove; they stay suppressed until then (`bulletin unsuppress` if one works again)",
        rows.len()
    )?;
    Ok(())
}
