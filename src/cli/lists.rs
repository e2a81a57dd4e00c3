//! `bulletin lists`: each list's members after includes and suppressions, who is on which
//! list, and (`--stale`) the addresses bounces say to remove from the files.

use super::TableOrJson;
use crate::config::Project;
use std::io::Write;

/// One row of `lists --format json`.
#[derive(Debug, serde::Serialize)]
pub struct ListRow {
    pub id: String,
    pub name: String,
    pub members: usize,
}

/// Each list's members after includes, de-duplication and suppressions (of the whole address,
/// of that list, or of the lists through which alone it has them: [`crate::suppress_rule`]).
pub fn list_rows(project: &Project, suppressions: &[crate::store::Suppression]) -> Vec<ListRow> {
    let rule = crate::suppress_rule::Suppressions::new(suppressions);
    project
        .lists
        .lists
        .values()
        .map(|l| {
            let members = project.lists.members.get(&l.id).map_or(0, |ms| {
                ms.iter()
                    .filter(|m| {
                        rule.stopping(&project.lists, &l.id, &m.email.key())
                            .is_empty()
                    })
                    .count()
            });
            ListRow {
                id: l.id.to_string(),
                name: l.name.clone(),
                members,
            }
        })
        .collect()
}

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
                "{:<w_id$}  {:<w_name$}  {:>7}",
                "ID", "NAME", "MEMBERS"
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{:<w_id$}  {:<w_name$}  {:>7}",
                    r.id, r.name, r.members
                )?;
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
