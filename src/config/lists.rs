//! `config/lists/*.toml` (and their CSV member files): who receives what.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::doc::{At, FileCtx, Table};
use crate::address::{DisplayName, EmailAddress};
use crate::diag::{Diagnostic, Diagnostics, Position};
use crate::ids::ListId;

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
    pub path: PathBuf,
    pub pos: Position,
    /// Whether `path` is a CSV file (the line is then the spreadsheet's row).
    pub csv: bool,
}

/// A list as written in its file (before includes are resolved).
#[derive(Debug, Clone)]
pub struct List {
    pub id: ListId,
    pub name: String,
    pub description: Option<String>,
    pub include: Vec<At<ListId>>,
    pub members: Vec<Member>,
    pub path: PathBuf,
    pub pos: Position,
}

/// Parse one list file (and its CSV). Problems go to the file's context; the CSV's problems are
/// returned separately because they belong to the CSV's path.
pub(crate) fn parse(ctx: &FileCtx<'_>, dir: &Path) -> (Option<List>, Diagnostics) {
    let mut csv_diags = Diagnostics::new();
    let doc = ctx.parse();
    let top = Table::root(ctx, &doc);
    let stem = ctx
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    let id = match top.opt_str("id") {
        Some(v) => match ListId::parse(&v.value) {
            Ok(id) => {
                if id.as_str() != stem {
                    ctx.warning(
                        v.pos,
                        format!("list id `{id}` differs from its file name `{stem}.toml`"),
                    )
                    .hint("name the file after the id so people find it");
                }
                Some(id)
            }
            Err(e) => {
                ctx.error(v.pos, format!("list id `{}`: {e}", v.value));
                None
            }
        },
        None => match ListId::parse(&stem) {
            Ok(id) => Some(id),
            Err(e) => {
                ctx.error(
                    Position::START,
                    format!("the file name `{stem}` is not a valid list id: {e}"),
                )
                .hint("rename the file, or set id = \"…\" inside it");
                None
            }
        },
    };
    let name = top.req_str("name", "\"Health partners\"");
    let description = top.opt_str("description");
    let mut include = Vec::new();
    for v in top.str_array("include").unwrap_or_default() {
        match ListId::parse(&v.value) {
            Ok(id) => include.push(At::new(id, v.pos)),
            Err(e) => {
                ctx.error(v.pos, format!("included list `{}`: {e}", v.value));
            }
        }
    }
    let mut members = Vec::new();
    let mut seen: BTreeMap<String, Position> = BTreeMap::new();
    let mut dup =
        |email: &EmailAddress, pos: Position, path: &Path, diags: &mut Vec<Diagnostic>| {
            if let Some(first) = seen.get(&email.key()) {
                diags.push(
                    Diagnostic::warning(
                        path,
                        pos,
                        format!(
                            "`{email}` is in this list twice (first at line {})",
                            first.line
                        ),
                    )
                    .with_hint("remove one: the address gets one copy either way"),
                );
                false
            } else {
                seen.insert(email.key(), pos);
                true
            }
        };
    let mut toml_dups = Vec::new();
    for m in top.array_of_tables("member") {
        let email = m.req_str("email", "\"jo.bloggs@nhs.example\"");
        let name = m.opt_str("name");
        let agency = m.opt_str("agency");
        m.finish();
        let member = member(
            email.as_ref().map(|e| (e.value.as_str(), e.pos)),
            name.as_ref().map(|n| (n.value.as_str(), n.pos)),
            agency.as_ref().map(|a| (a.value.as_str(), a.pos)),
            &mut |pos, msg, hint| {
                let b = ctx.error(pos, msg);
                if let Some(h) = hint {
                    b.hint(h);
                }
            },
        );
        if let (Some(mut m), Some(e)) = (member, &email)
            && dup(&m.email, e.pos, &ctx.path, &mut toml_dups)
        {
            m.origin = Some(Origin {
                path: ctx.path.clone(),
                pos: e.pos,
                csv: false,
            });
            members.push(m);
        }
    }
    for d in toml_dups {
        csv_diags.push(d);
    }
    if let Some(csv) = top.opt_str("members_csv") {
        let csv_path = dir.join(&csv.value);
        match std::fs::read_to_string(&csv_path) {
            Err(e) => {
                ctx.error(
                    csv.pos,
                    format!("cannot read members_csv `{}`: {e}", csv_path.display()),
                )
                .hint("the path is relative to this list's folder");
            }
            Ok(text) => {
                let mut ds = Vec::new();
                for (mut m, pos) in parse_csv(&csv_path, &text, &mut ds) {
                    if dup(&m.email, pos, &csv_path, &mut ds) {
                        m.origin = Some(Origin {
                            path: csv_path.clone(),
                            pos,
                            csv: true,
                        });
                        members.push(m);
                    }
                }
                for d in ds {
                    csv_diags.push(d);
                }
            }
        }
    }
    if !top.has("member") && !top.has("members_csv") && !top.has("include") {
        ctx.warning(
            top.pos,
            "this list has no members, no members_csv and no include",
        )
        .hint("add [[member]] entries, members_csv = \"FILE.csv\" or include = [\"other-list\"]");
    }
    top.finish();
    let list = (|| {
        Some(List {
            id: id?,
            name: name?.value,
            description: description.map(|d| d.value),
            include,
            members,
            path: ctx.path.clone(),
            pos: Position::START,
        })
    })();
    (list, csv_diags)
}

type Report<'a> = dyn FnMut(Position, String, Option<&'static str>) + 'a;

fn member(
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

/// The start of each field of one CSV line, as character columns (1-based), quote-aware.
fn field_columns(line: &str) -> Vec<usize> {
    let mut cols = vec![1];
    let mut in_quotes = false;
    for (i, c) in line.chars().enumerate() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => cols.push(i + 2),
            _ => {}
        }
    }
    cols
}

/// Members from a CSV with the header `email,name,agency`; positions are the CSV's row and the
/// field's column, so a spreadsheet user can find the cell.
fn parse_csv(path: &Path, text: &str, diags: &mut Vec<Diagnostic>) -> Vec<(Member, Position)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            diags.push(Diagnostic::error(
                path,
                Position::START,
                format!("cannot read the CSV header: {e}"),
            ));
            return Vec::new();
        }
    };
    let known = ["email", "name", "agency"];
    let mut col_of = BTreeMap::new();
    let header_cols = field_columns(lines.first().copied().unwrap_or(""));
    for (i, h) in headers.iter().enumerate() {
        let h_lc = h.trim_start_matches('\u{feff}').to_lowercase();
        let pos = Position {
            line: 1,
            col: header_cols.get(i).copied().unwrap_or(1),
        };
        if known.contains(&h_lc.as_str()) {
            if col_of.insert(h_lc.clone(), i).is_some() {
                diags.push(Diagnostic::error(
                    path,
                    pos,
                    format!("column `{h_lc}` appears twice in the header"),
                ));
            }
        } else {
            let d = Diagnostic::error(path, pos, format!("unknown column `{h}` in the header"));
            diags.push(match crate::diag::did_you_mean(&h_lc, known) {
                Some(s) => d.with_hint(format!(
                    "did you mean `{s}`? The header is email,name,agency"
                )),
                None => d.with_hint("the header is email,name,agency"),
            });
        }
    }
    let Some(&email_col) = col_of.get("email") else {
        diags.push(
            Diagnostic::error(path, Position::START, "the CSV has no `email` column")
                .with_hint("the first row must be the header email,name,agency"),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(1, |p| p.line() as usize);
                diags.push(Diagnostic::error(
                    path,
                    Position { line, col: 1 },
                    format!("CSV: {e}"),
                ));
                break;
            }
        }
        let line = record.position().map_or(1, |p| p.line() as usize);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let cols = field_columns(lines.get(line - 1).copied().unwrap_or(""));
        let pos_of = |i: usize| Position {
            line,
            col: cols.get(i).copied().unwrap_or(1),
        };
        let get = |key: &str| {
            col_of
                .get(key)
                .and_then(|&i| record.get(i).map(|v| (v, pos_of(i))))
        };
        let email_pos = pos_of(email_col);
        let mut report = |pos: Position, msg: String, hint: Option<&'static str>| {
            let d = Diagnostic::error(path, pos, msg);
            diags.push(match hint {
                Some(h) => d.with_hint(h),
                None => d,
            });
        };
        let email = get("email").filter(|(e, _)| !e.is_empty());
        if email.is_none() {
            report(email_pos, "this row has no email address".into(), None);
            continue;
        }
        if let Some(m) = member(email, get("name"), get("agency"), &mut report) {
            out.push((m, email_pos));
        }
    }
    out
}

/// Lists with their includes resolved: each list's distinct members (by case-insensitive
/// address), in first-seen order.
#[derive(Debug, Clone, Default)]
pub struct ResolvedLists {
    pub lists: BTreeMap<ListId, List>,
    pub members: BTreeMap<ListId, Vec<Member>>,
}

impl ResolvedLists {
    /// The distinct members of several lists together: someone on three lists is here once.
    pub fn union(&self, ids: &[ListId]) -> Vec<Member> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for id in ids {
            for m in self.members.get(id).into_iter().flatten() {
                if seen.insert(m.email.key()) {
                    out.push(m.clone());
                }
            }
        }
        out
    }
}

/// Check ids and includes across all lists and resolve them.
pub(crate) fn resolve(parsed: Vec<List>, diags: &mut Diagnostics) -> ResolvedLists {
    let mut lists: BTreeMap<ListId, List> = BTreeMap::new();
    for l in parsed {
        if let Some(first) = lists.get(&l.id) {
            diags.push(
                Diagnostic::error(
                    &l.path,
                    l.pos,
                    format!(
                        "list id `{}` is already used by {}",
                        l.id,
                        first.path.display()
                    ),
                )
                .with_hint("each list needs its own id"),
            );
            continue;
        }
        lists.insert(l.id.clone(), l);
    }
    for l in lists.values() {
        for inc in &l.include {
            if !lists.contains_key(&inc.value) {
                let d = Diagnostic::error(
                    &l.path,
                    inc.pos,
                    format!("unknown list `{}` in `include`", inc.value),
                );
                diags.push(
                    match crate::diag::did_you_mean(
                        inc.value.as_str(),
                        lists.keys().map(ListId::as_str),
                    ) {
                        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                        None => d.with_hint("lists are the files in config/lists/"),
                    },
                );
            } else if inc.value == l.id {
                diags.push(Diagnostic::error(
                    &l.path,
                    inc.pos,
                    format!("list `{}` includes itself", l.id),
                ));
            }
        }
    }
    // Cycles: depth-first search, reporting each cycle once, at the include that closes it.
    let mut reported: BTreeSet<Vec<ListId>> = BTreeSet::new();
    for start in lists.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((cur, path)) = stack.pop() {
            let Some(l) = lists.get(&cur) else { continue };
            for inc in &l.include {
                if inc.value == l.id {
                    continue;
                }
                if inc.value == *start {
                    let mut cycle = path.clone();
                    let min = cycle
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, id)| *id)
                        .map_or(0, |(i, _)| i);
                    cycle.rotate_left(min);
                    if reported.insert(cycle.clone()) {
                        let names: Vec<&str> = path
                            .iter()
                            .map(ListId::as_str)
                            .chain([start.as_str()])
                            .collect();
                        diags.push(
                            Diagnostic::error(
                                &l.path,
                                inc.pos,
                                format!("include cycle: {}", names.join(" → ")),
                            )
                            .with_hint("remove one of these includes"),
                        );
                    }
                } else if !path.contains(&inc.value) && lists.contains_key(&inc.value) {
                    let mut p = path.clone();
                    p.push(inc.value.clone());
                    stack.push((inc.value.clone(), p));
                }
            }
        }
    }
    let mut members = BTreeMap::new();
    for id in lists.keys() {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut visited = BTreeSet::new();
        collect(&lists, id, &mut visited, &mut seen, &mut out);
        members.insert(id.clone(), out);
    }
    ResolvedLists { lists, members }
}

fn collect(
    lists: &BTreeMap<ListId, List>,
    id: &ListId,
    visited: &mut BTreeSet<ListId>,
    seen: &mut BTreeSet<String>,
    out: &mut Vec<Member>,
) {
    if !visited.insert(id.clone()) {
        return;
    }
    let Some(l) = lists.get(id) else { return };
    for m in &l.members {
        if seen.insert(m.email.key()) {
            out.push(m.clone());
        }
    }
    for inc in &l.include {
        collect(lists, &inc.value, visited, seen, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_are_quote_aware() {
        assert_eq!(field_columns("a,b,c"), vec![1, 3, 5]);
        assert_eq!(field_columns("\"x, y\",b"), vec![1, 8]);
    }
}
