//! `config/lists/*.toml` (and their CSV member files): who receives what.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::doc::{At, FileCtx, Table};
use super::member::member;
pub use super::member::{Member, Origin};
use crate::address::EmailAddress;
use crate::diag::{Diagnostic, Diagnostics, Position};
use crate::ids::ListId;

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
    /// What the list does with a CSV row it cannot read.
    pub invalid_rows: InvalidRows,
    /// The CSV rows left out of `members` because they cannot be read, each as the error at
    /// its spreadsheet row: under [`InvalidRows::Strict`] these stop every send, under
    /// [`InvalidRows::Skip`] they are warnings.
    pub left_out: Vec<Diagnostic>,
    /// `signups = "review" | "open"`: the list takes confirmed sign-ups from the public form,
    /// appended to its members CSV. `None`: only an admin puts people on it.
    pub signup: Option<SignupConfig>,
    /// The members CSV the list names, when it is inside the project: what the desk's
    /// spreadsheet upload replaces.
    pub members_csv: Option<MembersCsv>,
}

/// How a list takes sign-ups: what happens to a confirmed one, which fields the form asks
/// for beside address and name, and the CSV an accepted person is appended to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupConfig {
    pub mode: SignupMode,
    pub fields: SignupFields,
    /// The list's members CSV (as the loader read it): accepted sign-ups become its rows.
    pub csv: PathBuf,
}

/// `signups = "review"`: an admin accepts or declines each confirmed sign-up; `"open"`: a
/// confirmed sign-up is on the list at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupMode {
    Review,
    Open,
}

impl SignupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SignupMode::Review => "review",
            SignupMode::Open => "open",
        }
    }
}

/// The optional fields of the sign-up form (`signup_fields = ["agency", "role"]`); address and
/// name are always asked. Agency and role both end up in the CSV's agency column
/// ("Agency, Role"), the way admins already write it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignupFields {
    pub agency: bool,
    pub role: bool,
}

/// A list's `members_csv`: where it is, and the header its `columns` maps each field to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembersCsv {
    pub path: PathBuf,
    /// `(field, header)` for each field `columns` maps (`email`, `name`, `agency`).
    pub columns: Vec<(&'static str, String)>,
}

/// `invalid_rows = "strict" | "skip"`: whether one unreadable row of an agency's CSV stops
/// the bulletin (the default: the admin sees it before anyone is missed) or is left out with
/// a warning (for lists whose exports are known to carry the odd bad row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InvalidRows {
    #[default]
    Strict,
    Skip,
}

impl List {
    /// The rows this list leaves out because of `invalid_rows = "skip"`, as warnings.
    pub fn skipped_rows(&self) -> impl Iterator<Item = Diagnostic> + '_ {
        self.left_out
            .iter()
            .filter(|_| self.invalid_rows == InvalidRows::Skip)
            .map(|d| left_out_warning(d, &self.id))
    }
}

/// A row a list with `invalid_rows = "skip"` leaves out: the row's error, as a warning.
pub(crate) fn left_out_warning(d: &Diagnostic, list: &ListId) -> Diagnostic {
    Diagnostic::warning(
        &d.path,
        d.pos,
        format!("{} (row left out of list `{list}`)", d.message),
    )
    .with_hint("fix or delete the row; until then it is left out (invalid_rows = \"skip\")")
}

/// Parse one list file (and its CSV). Problems go to the file's context; the CSV's problems are
/// returned separately because they belong to the CSV's path.
pub(crate) fn parse(ctx: &FileCtx<'_>, dir: &Path, root: &Path) -> (Option<List>, Diagnostics) {
    let mut csv_diags = Diagnostics::new();
    let doc = ctx.parse();
    let top = Table::root(ctx, &doc);
    let id = list_id(&top);
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
    let invalid_rows = invalid_rows(&top);
    let signup = signup_config(&top, dir);
    let mut left_out = Vec::new();
    let mut seen = Seen::default();
    let member_tables = top.array_of_tables("member");
    let mut members = toml_members(ctx, &member_tables, &mut seen, &mut csv_diags);
    let columns = column_mapping(&top);
    if let (Some((pos, _)), false) = (&columns, top.has("members_csv")) {
        ctx.warning(
            *pos,
            "`columns` maps the columns of a members_csv, and this list has none",
        )
        .hint("add members_csv = \"FILE.csv\", or remove `columns`");
    }
    let mapped = columns.map(|(_, m)| m).unwrap_or_default();
    let mut members_csv = None;
    if let Some(csv) = top.opt_str("members_csv") {
        members_csv = csv_inside_project(&csv.value, dir, root)
            .ok()
            .map(|path| MembersCsv {
                path,
                columns: mapped.iter().map(|(f, v)| (*f, v.value.clone())).collect(),
            });
        let place = CsvPlace {
            dir,
            root,
            mapped: &mapped,
        };
        members.extend(csv_members(
            ctx,
            &csv,
            place,
            &mut seen,
            (&mut csv_diags, &mut left_out),
        ));
    }
    if !top.has("member") && !top.has("members_csv") && !top.has("include") {
        ctx.warning(
            top.pos,
            "this list has no members, no members_csv and no include",
        )
        .hint("add [[member]] entries, members_csv = \"FILE.csv\" or include = [\"other-list\"]");
    }
    for m in &member_tables {
        m.finish_under(&top);
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
            invalid_rows,
            left_out,
            signup,
            members_csv,
        })
    })();
    (list, csv_diags)
}

/// The list's id: `id`, or the file name without it; one that differs from the file name is
/// warned.
fn list_id(top: &Table<'_, '_, '_>) -> Option<ListId> {
    let (ctx, stem) = (top.ctx, top.ctx.stem());
    match top.opt_str("id") {
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
                .hint(match crate::ids::suggest_id(&stem) {
                    Some(id) => {
                        format!("rename the file to `{id}.toml`, or set id = \"{id}\" inside it")
                    }
                    None => "rename the file, or set id = \"…\" inside it".into(),
                });
                None
            }
        },
    }
}

/// `invalid_rows = "strict" | "skip"`, strict without it (or after reporting another value).
fn invalid_rows(top: &Table<'_, '_, '_>) -> InvalidRows {
    let Some(v) = top.opt_str("invalid_rows") else {
        return InvalidRows::Strict;
    };
    match v.value.as_str() {
        "strict" => InvalidRows::Strict,
        "skip" => InvalidRows::Skip,
        other => {
            top.ctx.error(
                v.pos,
                format!("invalid_rows = \"{}\" is not a choice", other.escape_debug()),
            )
            .hint("write invalid_rows = \"strict\" (a bad CSV row stops sending: the default) or \"skip\" (it is left out with a warning)");
            InvalidRows::Strict
        }
    }
}

/// `signups` and `signup_fields`; a list that takes sign-ups must have a members CSV to append
/// them to (a list's own TOML is for the admin's hand, and its includes hold no one).
fn signup_config(top: &Table<'_, '_, '_>, dir: &Path) -> Option<SignupConfig> {
    let fields = signup_fields(top);
    let v = top.opt_str("signups")?;
    let mode = match v.value.as_str() {
        "review" => SignupMode::Review,
        "open" => SignupMode::Open,
        other => {
            top.ctx
                .error(
                    v.pos,
                    format!("signups = \"{}\" is not a choice", other.escape_debug()),
                )
                .hint("write signups = \"review\" (an admin accepts each confirmed sign-up) or \"open\" (a confirmed sign-up is on the list at once)");
            return None;
        }
    };
    let Some(csv) = top.opt_str("members_csv") else {
        top.ctx
            .error(v.pos, "a list that takes sign-ups needs a members_csv to add them to")
            .hint("add members_csv = \"FILE.csv\" (header: email,name,agency) next to signups; accepted sign-ups are appended to it");
        return None;
    };
    Some(SignupConfig {
        mode,
        fields,
        csv: dir.join(&csv.value),
    })
}

/// `signup_fields = ["agency", "role"]`: the optional questions of the form.
fn signup_fields(top: &Table<'_, '_, '_>) -> SignupFields {
    let mut f = SignupFields::default();
    for v in top.str_array("signup_fields").unwrap_or_default() {
        match v.value.as_str() {
            "agency" => f.agency = true,
            "role" => f.role = true,
            other => {
                top.ctx
                    .error(
                        v.pos,
                        format!("signup_fields: `{}` is not a field", other.escape_debug()),
                    )
                    .hint("the form always asks for address and name; it may also ask for \"agency\" and \"role\"");
            }
        }
    }
    if f != SignupFields::default()
        && !top.has("signups")
        && let Some(pos) = top.pos_of("signup_fields")
    {
        top.ctx
            .warning(
                pos,
                "`signup_fields` has no effect: this list takes no sign-ups",
            )
            .hint("add signups = \"review\" or \"open\", or remove signup_fields");
    }
    f
}

/// The addresses a list has taken so far (by case-insensitive key), each with where it was
/// first written: a second copy is warned and left out.
#[derive(Default)]
struct Seen(std::collections::HashMap<String, Position>);

impl Seen {
    /// Whether `email` is new to the list; a repeat is reported (at `path`) into `diags`.
    fn first_time(
        &mut self,
        email: &EmailAddress,
        at: (&Path, Position),
        diags: &mut Vec<Diagnostic>,
    ) -> bool {
        let (path, pos) = at;
        match self.0.entry(email.key()) {
            std::collections::hash_map::Entry::Occupied(first) => {
                diags.push(
                    Diagnostic::warning(
                        path,
                        pos,
                        format!(
                            "`{email}` is in this list twice (first at line {})",
                            first.get().line
                        ),
                    )
                    .with_hint("remove one: the address gets one copy either way"),
                );
                false
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(pos);
                true
            }
        }
    }
}

/// The `[[member]]` entries, each address once; repeats are warned into `dups`.
fn toml_members(
    ctx: &FileCtx<'_>,
    member_tables: &[Table<'_, '_, '_>],
    seen: &mut Seen,
    dups: &mut Diagnostics,
) -> Vec<Member> {
    let mut members = Vec::new();
    let mut toml_dups = Vec::new();
    for m in member_tables {
        let email = m.req_str("email", "\"jo.bloggs@nhs.example\"");
        let name = m.opt_str("name");
        let agency = m.opt_str("agency");
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
            && seen.first_time(&m.email, (&ctx.path, e.pos), &mut toml_dups)
        {
            m.origin = Some(Origin {
                path: ctx.path.as_path().into(),
                pos: e.pos,
                csv: false,
            });
            members.push(m);
        }
    }
    for d in toml_dups {
        dups.push(d);
    }
    members
}

/// Where a list's members_csv is looked for, and how its columns are mapped.
struct CsvPlace<'a> {
    /// The list's folder, which the CSV's path is relative to.
    dir: &'a Path,
    root: &'a Path,
    mapped: &'a super::members_csv::Mapped,
}

/// The members of the list's `members_csv`, each address once (counting the `[[member]]`s in
/// `seen`). The CSV's problems go to `csv_diags`, its unreadable rows to `left_out`.
fn csv_members(
    ctx: &FileCtx<'_>,
    csv: &At<String>,
    place: CsvPlace<'_>,
    seen: &mut Seen,
    (csv_diags, left_out): (&mut Diagnostics, &mut Vec<Diagnostic>),
) -> Vec<Member> {
    let read = csv_inside_project(&csv.value, place.dir, place.root).and_then(|path| {
        super::files::read_text(&path, super::files::CSV_CAP)
            .map(|text| (path, text))
            .map_err(|e| {
                (
                    format!(
                        "cannot read members_csv `{}`: {e}",
                        csv.value.escape_debug()
                    ),
                    e.hint()
                        .unwrap_or("the path is relative to this list's folder"),
                )
            })
    });
    let (csv_path, text) = match read {
        Err((msg, hint)) => {
            ctx.error(csv.pos, msg).hint(hint);
            return Vec::new();
        }
        Ok(read) => read,
    };
    let mut members = Vec::new();
    let mut ds = Vec::new();
    let cols = super::members_csv::Columns {
        list_path: &ctx.path,
        mapped: place.mapped,
    };
    let origin: std::sync::Arc<Path> = csv_path.as_path().into();
    for (mut m, pos) in super::members_csv::parse(&csv_path, &text, cols, &mut ds, left_out) {
        if seen.first_time(&m.email, (&csv_path, pos), &mut ds) {
            m.origin = Some(Origin {
                path: origin.clone(),
                pos,
                csv: true,
            });
            members.push(m);
        }
    }
    for d in ds {
        csv_diags.push(d);
    }
    members
}

/// `columns = { email = "Email Address", name = "Full Name", agency = "Organisation" }`: where
/// it is written, and each field's header (unknown fields are reported by `finish`).
fn column_mapping(top: &Table<'_, '_, '_>) -> Option<(Position, super::members_csv::Mapped)> {
    let pos = top.pos_of("columns")?;
    let t = top.opt_table("columns")?;
    let mut mapped = Vec::new();
    for field in super::members_csv::COLUMNS {
        if let Some(v) = t.opt_str(field) {
            if v.value.trim().is_empty() {
                t.ctx
                    .error(v.pos, format!("`columns`: {field} names an empty column"));
            } else {
                mapped.push((field, v));
            }
        }
    }
    t.finish();
    Some((pos, mapped))
}

/// The CSV a list names, if it is inside the project: relative, and still inside the project
/// root once `..` and symlinks are resolved. A list file must not become a way to read (and
/// have `check` echo) any file the daemon's user can read.
fn csv_inside_project(
    value: &str,
    dir: &Path,
    root: &Path,
) -> Result<PathBuf, (String, &'static str)> {
    const HINT: &str = "keep list CSVs in the project (e.g. config/lists/health.csv) and name them relative to this list's folder";
    if Path::new(value).is_absolute() {
        return Err((
            "`members_csv` must be a path inside the project, not an absolute path".into(),
            HINT,
        ));
    }
    let joined = dir.join(value);
    let real = std::fs::canonicalize(&joined).map_err(|e| {
        (
            format!("cannot read members_csv `{}`: {e}", value.escape_debug()),
            "the path is relative to this list's folder",
        )
    })?;
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if !real.starts_with(&real_root) {
        return Err((
            "`members_csv` leads outside the project folder (through `..` or a symlink)".into(),
            HINT,
        ));
    }
    Ok(joined)
}

/// Lists with their includes resolved: each list's distinct members (by case-insensitive
/// address), in first-seen order.
#[derive(Debug, Clone, Default)]
pub struct ResolvedLists {
    pub lists: BTreeMap<ListId, List>,
    pub members: BTreeMap<ListId, Vec<Member>>,
    /// The agencies of `config/agencies.toml`, by name (empty without one): the choices the
    /// sign-up form offers.
    pub agency_names: Vec<String>,
}

/// At most this many include paths are shown for one list: a wide web of includes should
/// not flood `lists --who`.
pub const MAX_PATHS: usize = 32;

impl ResolvedLists {
    /// Every include path by which the address with `key` is on `list`: each path starts at
    /// `list` and ends at a list that names the address itself (`[all-partners, police]` for
    /// all-partners ← police ← the member). Empty when it is not on the list.
    pub fn paths_to(&self, list: &ListId, key: &str) -> Vec<Vec<ListId>> {
        let mut out = Vec::new();
        let mut path = vec![list.clone()];
        self.walk(&mut path, key, &mut out);
        out
    }

    fn walk(&self, path: &mut Vec<ListId>, key: &str, out: &mut Vec<Vec<ListId>>) {
        let Some(l) = path.last().and_then(|id| self.lists.get(id)) else {
            return;
        };
        if l.members.iter().any(|m| m.email.key() == key) && out.len() < MAX_PATHS {
            out.push(path.clone());
        }
        for inc in &l.include {
            // Cycles are refused at load; the guard keeps a walk finite regardless.
            if out.len() >= MAX_PATHS || path.contains(&inc.value) {
                continue;
            }
            path.push(inc.value.clone());
            self.walk(path, key, out);
            path.pop();
        }
    }

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
    report_cycles(&lists, diags);
    let mut members = BTreeMap::new();
    for id in lists.keys() {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut visited = BTreeSet::new();
        collect(&lists, id, &mut visited, &mut seen, &mut out);
        members.insert(id.clone(), out);
    }
    ResolvedLists {
        lists,
        members,
        agency_names: Vec::new(),
    }
}

/// Include cycles, by one depth-first search over all lists that colours each list once
/// (in progress / done), so the work is linear in lists plus includes however they are
/// wired. Each include that leads back to a list still in progress closes a cycle, reported
/// there with its whole path. Iterative: a long chain of includes cannot exhaust the stack.
fn report_cycles(lists: &BTreeMap<ListId, List>, diags: &mut Diagnostics) {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        InProgress,
        Done,
    }
    let mut colour: BTreeMap<&ListId, Colour> = BTreeMap::new();
    let mut reported: BTreeSet<Vec<&ListId>> = BTreeSet::new();
    for root in lists.keys() {
        if colour.contains_key(root) {
            continue;
        }
        // The current path: each list with the index of its next include to follow.
        let mut path: Vec<(&ListId, usize)> = vec![(root, 0)];
        colour.insert(root, Colour::InProgress);
        while let Some((id, next)) = path.last_mut() {
            let l = &lists[*id];
            let Some(inc) = l.include.get(*next) else {
                colour.insert(*id, Colour::Done);
                path.pop();
                continue;
            };
            *next += 1;
            let target = &inc.value;
            if target == &l.id || !lists.contains_key(target) {
                continue; // reported above
            }
            match colour.get(target) {
                None => {
                    colour.insert(target, Colour::InProgress);
                    let target = lists.get_key_value(target).expect("checked").0;
                    path.push((target, 0));
                }
                Some(Colour::Done) => {}
                Some(Colour::InProgress) => {
                    let from = path
                        .iter()
                        .position(|(p, _)| *p == target)
                        .expect("a list in progress is on the path");
                    let mut cycle: Vec<&ListId> = path[from..].iter().map(|(p, _)| *p).collect();
                    let names: Vec<&str> = cycle
                        .iter()
                        .map(|id| id.as_str())
                        .chain([target.as_str()])
                        .collect();
                    let min = cycle
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, id)| **id)
                        .map_or(0, |(i, _)| i);
                    cycle.rotate_left(min);
                    if reported.insert(cycle) {
                        diags.push(
                            Diagnostic::error(
                                &l.path,
                                inc.pos,
                                format!("include cycle: {}", names.join(" → ")),
                            )
                            .with_hint("remove one of these includes"),
                        );
                    }
                }
            }
        }
    }
}

/// Every member reachable from `id` through includes, each list visited once (iteratively, in
/// the same order a recursive walk would take).
fn collect(
    lists: &BTreeMap<ListId, List>,
    id: &ListId,
    visited: &mut BTreeSet<ListId>,
    seen: &mut std::collections::HashSet<String>,
    out: &mut Vec<Member>,
) {
    let mut todo = vec![id];
    while let Some(id) = todo.pop() {
        if !visited.insert(id.clone()) {
            continue;
        }
        let Some(l) = lists.get(id) else { continue };
        for m in &l.members {
            if seen.insert(m.email.key()) {
                out.push(m.clone());
            }
        }
        todo.extend(l.include.iter().rev().map(|inc| &inc.value));
    }
}
