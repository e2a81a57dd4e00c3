//! The lists (admins only): each list's members, where they are written and which addresses
//! bounces say to remove; and an agency's spreadsheet uploaded in place of a list's members
//! CSV, shown as what it would change (row by row, with the rows refused and why) before
//! anything is written. Confirming writes the CSV through [`crate::project_edit::save`], so a
//! list somebody changed meanwhile is refused, not overwritten.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, Multipart, Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};

use super::DeskUser;
use crate::config::Project;
use crate::config::lists::List;
use crate::ids::ListId;
use crate::project_edit::{EditError, ProjectPath, Version};
use crate::spreadsheet::{Current, Diff, Known};
use crate::web::state::{AppState, error_page};

/// The lists pages and the confirm of an upload (the desk's form body limit).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/desk/lists", get(index))
        .route("/desk/lists/{list}", get(show))
        .route("/desk/lists/{list}/confirm", post(confirm))
}

/// The spreadsheet upload, mounted with its own, larger body limit.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/desk/lists/{list}/upload", post(upload))
}

/// The answer to an editor at an admin's page.
pub(super) fn admins_only(s: &AppState, user: &DeskUser) -> Option<Response> {
    (!user.may_manage_lists()).then(|| {
        error_page(
            s,
            StatusCode::FORBIDDEN,
            "Only admins can do this",
            "Lists and suppressions are changed by the desk's admins. Ask one of them.",
        )
    })
}

/// A form whose token is not the session's.
pub(super) fn bad_token(s: &AppState) -> Response {
    error_page(
        s,
        StatusCode::FORBIDDEN,
        "The form has expired",
        "Go back, reload the page and try again.",
    )
}

fn respond(status: StatusCode, page: Markup) -> Response {
    (status, Html(page.into_string())).into_response()
}

/// A desk page for `user`.
fn desk_page(s: &AppState, user: &DeskUser, title: &str, main: Markup) -> Markup {
    super::layout::page(&s.live().project.settings.organisation, user, title, main)
}

/// An upload shown as a diff, kept until it is confirmed (by the person who uploaded it).
struct Pending {
    list: ListId,
    by: String,
    path: ProjectPath,
    base: Version,
    csv: String,
    summary: String,
    at: Instant,
}

/// Uploads waiting for their confirm, by id. Kept in memory: an upload not confirmed within
/// the hour (or lost to a restart) is simply uploaded again.
static PENDING: LazyLock<Mutex<HashMap<String, Pending>>> = LazyLock::new(Default::default);
const PENDING_FOR: Duration = Duration::from_secs(3600);
const PENDING_MAX: usize = 64;

fn keep_pending(p: Pending) -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    // Without randomness no id is safe to hand out; an empty one never matches.
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        return String::new();
    }
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut all = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    all.retain(|_, p| p.at.elapsed() < PENDING_FOR);
    if all.len() >= PENDING_MAX
        && let Some(oldest) = all.iter().min_by_key(|(_, p)| p.at).map(|(k, _)| k.clone())
    {
        all.remove(&oldest);
    }
    all.insert(id.clone(), p);
    id
}

fn take_pending(id: &str) -> Option<Pending> {
    let mut all = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    all.remove(id).filter(|p| p.at.elapsed() < PENDING_FOR)
}

/// `path` relative to `root`, `..` resolved by name: the project path an edit names.
fn project_path(root: &Path, path: &Path) -> Option<ProjectPath> {
    let rel = path.strip_prefix(root).ok()?;
    let mut out = PathBuf::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    ProjectPath::new(out).ok()
}

/// What a list's members CSV holds now, read for an upload.
struct ListCsv {
    path: ProjectPath,
    base: Version,
    current: Current,
}

/// Why a list's CSV cannot take an upload.
#[derive(Debug, thiserror::Error)]
enum ListCsvError {
    #[error("this list's members are written in its own file, not in a spreadsheet")]
    NoCsv,
    #[error("the list's spreadsheet is not inside the project")]
    Outside,
    #[error("cannot read {0}: {1}")]
    Unreadable(ProjectPath, std::io::Error),
    #[error("{0} is not saved as UTF-8")]
    NotUtf8(ProjectPath),
    #[error("{0}: {1}")]
    Read(ProjectPath, crate::spreadsheet::ReadError),
}

fn list_csv(project: &Project, list: &List) -> Result<ListCsv, ListCsvError> {
    let csv = list.members_csv.as_ref().ok_or(ListCsvError::NoCsv)?;
    let path = project_path(&project.root, &csv.path).ok_or(ListCsvError::Outside)?;
    let bytes = std::fs::read(&csv.path).map_err(|e| ListCsvError::Unreadable(path.clone(), e))?;
    let text = String::from_utf8(bytes.clone()).map_err(|_| ListCsvError::NotUtf8(path.clone()))?;
    let field = |f: &str| {
        csv.columns
            .iter()
            .find(|(k, _)| *k == f)
            .map(|(_, v)| v.clone())
    };
    let known = Known {
        email: field("email"),
        name: field("name"),
        agency: field("agency"),
    };
    let current = Current::parse(&text, &known).map_err(|e| ListCsvError::Read(path.clone(), e))?;
    Ok(ListCsv {
        path,
        base: Version::of(&bytes),
        current,
    })
}

async fn index(State(s): State<AppState>, user: DeskUser) -> Response {
    if let Some(r) = admins_only(&s, &user) {
        return r;
    }
    let project = s.live().project;
    let (suppressions, stale) = match ledger_view(&s).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let rows = crate::list_summary::list_rows(&project, &suppressions);
    let stale = crate::bounce::stale::stale_members(&project, &stale);
    let body = html! {
        p { "Each list's members after includes and suppressions. Open a list to see where its members are written or to upload an agency's spreadsheet." }
        table {
            caption { "Lists" }
            thead { tr { th scope="col" { "List" } th scope="col" { "Members" } th scope="col" { "Written in" } th scope="col" { "Rows left out" } } }
            tbody {
                @for r in &rows {
                    tr {
                        td { a href={ "/desk/lists/" (r.id) } { (r.name) } " (" (r.id) ")" }
                        td { (r.members) }
                        td { (sources(&project, &r.id)) }
                        td { (r.left_out.len()) }
                    }
                }
            }
        }
        (stale_table(&project, &stale, None))
    };
    respond(StatusCode::OK, desk_page(&s, &user, "Lists", body))
}

/// The suppressions and the stale addresses from the ledger, or the error page.
async fn ledger_view(
    s: &AppState,
) -> Result<
    (
        Vec<crate::store::Suppression>,
        Vec<crate::store::StaleAddress>,
    ),
    Response,
> {
    let unavailable = |_| {
        error_page(
            s,
            StatusCode::SERVICE_UNAVAILABLE,
            "The ledger cannot be read",
            "Try again in a minute.",
        )
    };
    let suppressions = s.store.suppressions().await.map_err(unavailable)?;
    let stale = s.store.stale_addresses().await.map_err(unavailable)?;
    Ok((suppressions, stale))
}

/// Where a list's members are written: its CSV, its own `[[member]]`s, the lists it includes.
fn sources(project: &Project, id: &str) -> Markup {
    let Some(list) = project.lists.lists.get(id) else {
        return html! {};
    };
    let own = list
        .members
        .iter()
        .filter(|m| !m.origin.as_ref().is_some_and(|o| o.csv))
        .count();
    let csv = list
        .members_csv
        .as_ref()
        .and_then(|c| project_path(&project.root, &c.path));
    html! {
        ul {
            @if let Some(p) = csv { li { "the spreadsheet " code { (p) } } }
            @if own > 0 { li { (own) " in " code { (shown(project, &list.path)) } } }
            @for i in &list.include { li { "everyone on " a href={ "/desk/lists/" (i.value) } { (i.value) } } }
        }
    }
}

fn shown(project: &Project, path: &Path) -> String {
    project_path(&project.root, path).map_or_else(|| path.display().to_string(), |p| p.to_string())
}

/// The addresses bounces suppressed that list files still hold (of one list, or of all).
fn stale_table(
    project: &Project,
    stale: &[crate::bounce::stale::StaleMember],
    list: Option<&str>,
) -> Markup {
    let rows: Vec<_> = stale
        .iter()
        .filter(|m| list.is_none_or(|l| m.remove.iter().any(|p| p.list == l)))
        .collect();
    html! {
        h2 { "Addresses to remove" }
        @if rows.is_empty() {
            p { "No list holds an address that bounces suppressed." }
        } @else {
            p { "Mail to these addresses bounced, so they are no longer sent to. Remove them from the files below; until then they stay suppressed." }
            table {
                caption { "Addresses bounces suppressed" }
                thead { tr { th scope="col" { "Address" } th scope="col" { "Why" } th scope="col" { "Since" } th scope="col" { "Remove from" } } }
                tbody {
                    @for m in rows {
                        tr {
                            td { (m.email) }
                            td { (m.why()) }
                            td { (m.since) }
                            td { @for p in &m.remove { (p.show(&project.root)) br; } }
                        }
                    }
                }
            }
        }
    }
}

#[derive(serde::Deserialize, Default)]
struct Shown {
    saved: Option<String>,
}

async fn show(
    State(s): State<AppState>,
    user: DeskUser,
    UrlPath(id): UrlPath<String>,
    Query(q): Query<Shown>,
) -> Response {
    if let Some(r) = admins_only(&s, &user) {
        return r;
    }
    let notice = q
        .saved
        .map(|_| "Saved. The list's spreadsheet now holds the members below.");
    list_page(&s, &user, &id, notice, None).await
}

/// A list's page, with a notice at the top or an error at the upload field.
async fn list_page(
    s: &AppState,
    user: &DeskUser,
    id: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let project = s.live().project;
    let Some(list) = project.lists.lists.get(id) else {
        return error_page(
            s,
            StatusCode::NOT_FOUND,
            "No such list",
            "There is no list with this name.",
        );
    };
    let (suppressions, stale) = match ledger_view(s).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let row = crate::list_summary::list_rows(&project, &suppressions)
        .into_iter()
        .find(|r| r.id == id);
    let stale = crate::bounce::stale::stale_members(&project, &stale);
    let body = html! {
        @if let Some(e) = error {
            div class="error-summary" role="alert" aria-labelledby="error-title" tabindex="-1" {
                h2 id="error-title" { "There is a problem" }
                ul { li { a href="#file" { (e) } } }
            }
        }
        @if let Some(n) = notice { p class="notice" role="status" { (n) } }
        @if let Some(d) = &list.description { p { (d) } }
        p { strong { (row.as_ref().map_or(0, |r| r.members)) } " members after includes and suppressions." }
        h2 { "Where its members are written" }
        (sources(&project, id))
        (left_out_table(&project, row.as_ref()))
        (stale_table(&project, &stale, Some(id)))
        (upload_form(user, list, error))
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(status, desk_page(s, user, &list.name, body))
}

fn left_out_table(project: &Project, row: Option<&crate::list_summary::ListRow>) -> Markup {
    let Some(row) = row.filter(|r| !r.left_out.is_empty()) else {
        return html! {};
    };
    html! {
        h2 { "Rows left out" }
        table {
            caption { "Rows of the spreadsheet that cannot be read" }
            thead { tr { th scope="col" { "File" } th scope="col" { "Row" } th scope="col" { "Problem" } } }
            tbody {
                @for r in &row.left_out {
                    tr { td { (shown(project, &r.path)) } td { (r.row) } td { (r.problem) } }
                }
            }
        }
    }
}

fn upload_form(user: &DeskUser, list: &List, error: Option<&str>) -> Markup {
    html! {
        h2 { "Replace the members with a spreadsheet" }
        @if list.members_csv.is_none() {
            p { "This list's members are written in its own file, not in a spreadsheet, so there is nothing to upload here." }
        } @else {
            form method="post" action={ "/desk/lists/" (list.id) "/upload" } enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(user.csrf);
                div class={ "field" @if error.is_some() { " field-error" } } {
                    label for="file" { "The agency's spreadsheet" }
                    p id="file-hint" class="hint" { "An Excel workbook (.xlsx) or CSV, with a column of email addresses and, if you have them, names and agencies. The first row is the header. You will see every change before anything is saved." }
                    @if let Some(e) = error { p id="file-error" class="error" { span class="visually-hidden" { "Error: " } (e) } }
                    input type="file" id="file" name="file" accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        aria-describedby={ "file-hint" @if error.is_some() { " file-error" } };
                }
                button type="submit" { "Show the changes" }
            }
        }
    }
}

/// The uploaded form: the token and the file.
struct Uploaded {
    csrf: String,
    name: String,
    bytes: Vec<u8>,
}

async fn read_upload(mut mp: Multipart) -> Result<Uploaded, StatusCode> {
    let mut up = Uploaded {
        csrf: String::new(),
        name: String::new(),
        bytes: Vec::new(),
    };
    while let Some(field) = mp.next_field().await.map_err(|e| e.status())? {
        match field.name() {
            Some("csrf") => up.csrf = field.text().await.map_err(|e| e.status())?,
            Some("file") => {
                up.name = field.file_name().unwrap_or("").to_string();
                up.bytes = field.bytes().await.map_err(|e| e.status())?.to_vec();
            }
            _ => {}
        }
    }
    Ok(up)
}

async fn upload(
    State(s): State<AppState>,
    user: DeskUser,
    UrlPath(id): UrlPath<String>,
    mp: Multipart,
) -> Response {
    if let Some(r) = admins_only(&s, &user) {
        return r;
    }
    let up = match read_upload(mp).await {
        Ok(up) => up,
        Err(StatusCode::PAYLOAD_TOO_LARGE) => {
            let msg = "The file is too large (8 MB at most). Save only the members' sheet.";
            return list_page(&s, &user, &id, None, Some(msg)).await;
        }
        Err(status) => return error_page(&s, status, "The upload failed", "Try again."),
    };
    if !user.csrf_ok(&up.csrf) {
        return bad_token(&s);
    }
    let project = s.live().project;
    let Some(list) = project.lists.lists.get(id.as_str()) else {
        return list_page(&s, &user, &id, None, None).await;
    };
    if up.bytes.is_empty() {
        let msg = "Choose the spreadsheet to upload";
        return list_page(&s, &user, &id, None, Some(msg)).await;
    }
    let csv = match list_csv(&project, list) {
        Ok(c) => c,
        Err(e) => return list_page(&s, &user, &id, None, Some(&e.to_string())).await,
    };
    let sheet = match crate::spreadsheet::read(&up.bytes, &csv.current.known()) {
        Ok(sheet) => sheet,
        Err(e) => {
            let msg = format!("{}: {e}", up.name);
            return list_page(&s, &user, &id, None, Some(&msg)).await;
        }
    };
    let diff = crate::spreadsheet::diff(&csv.current, &sheet);
    let pending = Pending {
        list: list.id.clone(),
        by: user.email.key(),
        path: csv.path.clone(),
        base: csv.base.clone(),
        csv: diff.csv.clone(),
        summary: summary(&diff),
        at: Instant::now(),
    };
    let upload_id = keep_pending(pending);
    let view = DiffView {
        list,
        file: &up.name,
        path: &csv.path,
        ignored: &sheet.ignored,
        upload_id: &upload_id,
    };
    respond(
        StatusCode::OK,
        desk_page(
            &s,
            &user,
            &format!("Check the changes to {}", list.name),
            diff_page(&user, &view, &diff),
        ),
    )
}

/// `3 added, 1 removed, 2 changed`: what the commit message and the notice say.
fn summary(d: &Diff) -> String {
    format!(
        "{} added, {} removed, {} changed",
        d.added.len(),
        d.removed.len(),
        d.changed.len()
    )
}

struct DiffView<'a> {
    list: &'a List,
    file: &'a str,
    path: &'a ProjectPath,
    ignored: &'a [String],
    upload_id: &'a str,
}

fn diff_page(user: &DeskUser, v: &DiffView<'_>, d: &Diff) -> Markup {
    html! {
        p { "What " strong { (v.file) } " would change in " code { (v.path) } ". Nothing is saved until you confirm. Row numbers are the spreadsheet's (the header is row 1)." }
        ul {
            li { (d.added.len()) " to add" }
            li { (d.removed.len()) " to remove" }
            li { (d.changed.len()) " to change" }
            li { (d.refused.len()) " rows refused" }
            li { (d.unchanged) " unchanged" }
        }
        @if !v.ignored.is_empty() {
            p { "Columns not read: " (v.ignored.join(", ")) "." }
        }
        (super::lists_diff::tables(d))
        @if d.is_empty() {
            p { "The spreadsheet changes nothing in this list." }
            p { a href={ "/desk/lists/" (v.list.id) } { "Back to " (v.list.name) } }
        } @else {
            form method="post" action={ "/desk/lists/" (v.list.id) "/confirm" } {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="upload" value=(v.upload_id);
                button type="submit" { "Save these changes" }
                " "
                a href={ "/desk/lists/" (v.list.id) } { "Cancel" }
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    upload: String,
}

async fn confirm(
    State(s): State<AppState>,
    user: DeskUser,
    UrlPath(id): UrlPath<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    if let Some(r) = admins_only(&s, &user) {
        return r;
    }
    if !user.csrf_ok(&f.csrf) {
        return bad_token(&s);
    }
    let Some(p) =
        take_pending(&f.upload).filter(|p| p.by == user.email.key() && p.list.as_str() == id)
    else {
        let msg = "That upload has expired; upload the spreadsheet again";
        return list_page(&s, &user, &id, None, Some(msg)).await;
    };
    let project = s.live().project;
    let edit = crate::project_edit::Edit {
        path: p.path.clone(),
        contents: Some(p.csv),
        base: p.base,
    };
    let message = format!(
        "List {}: members from a spreadsheet ({})",
        p.list, p.summary
    );
    match super::save::save(&s, &project, &user, edit, message).await {
        Ok(_) => Redirect::to(&format!("/desk/lists/{}?saved=1", p.list)).into_response(),
        Err(e) => refused_save(&s, &user, &id, &e).await,
    }
}

/// The list's page again, saying why nothing was written.
async fn refused_save(s: &AppState, user: &DeskUser, id: &str, e: &EditError) -> Response {
    let msg = match e {
        EditError::Conflict { .. } => {
            "Somebody changed this list's spreadsheet after you uploaded yours, so nothing was saved. Upload it again to see the changes against the list as it is now.".to_string()
        }
        EditError::Check(d) => {
            let first = d.iter().find(|d| d.severity == crate::diag::Severity::Error);
            format!(
                "Nothing was saved: the list would fail the check ({})",
                first.map_or_else(|| e.to_string(), |d| d.message.clone())
            )
        }
        other => {
            tracing::error!("saving an uploaded list: {other}");
            "Nothing was saved: the file could not be written. Try again, or tell the person who runs the server.".to_string()
        }
    };
    let mut r = list_page(s, user, id, None, Some(&msg)).await;
    *r.status_mut() = StatusCode::CONFLICT;
    r
}
