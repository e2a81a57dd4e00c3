//! Suppressions (admins only): who is not sent what, and why. Search, add with a reason, lift,
//! and export as CSV: each does what `bulletin suppressions`, `suppress` and `unsuppress` do,
//! the audit trail naming the person at the desk.

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};

use super::DeskUser;
use super::lists::{admins_only, bad_token};
use crate::address::EmailAddress;
use crate::config::Project;
use crate::spreadsheet::csv_field;
use crate::store::{Suppression, SuppressionScope};
use crate::web::state::{AppState, error_page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/desk/suppressions", get(index))
        .route("/desk/suppressions.csv", get(export))
        .route("/desk/suppressions/add", post(add))
        .route("/desk/suppressions/lift", post(lift))
}

/// The search, and what the page says after a change.
#[derive(serde::Deserialize, Default)]
struct Search {
    #[serde(default)]
    q: String,
    done: Option<String>,
}

/// The add form as sent (and shown again with its errors).
#[derive(serde::Deserialize, Default, Clone)]
struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    reason: String,
}

#[derive(serde::Deserialize)]
struct LiftForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    scope: String,
}

/// At most this many suppressions are listed; a search narrows them.
const SHOWN: usize = 200;

async fn all(s: &AppState) -> Result<Vec<Suppression>, Response> {
    s.store.suppressions().await.map_err(|_| {
        error_page(
            s,
            StatusCode::SERVICE_UNAVAILABLE,
            "The ledger cannot be read",
            "Try again in a minute.",
        )
    })
}

async fn index(State(s): State<AppState>, user: DeskUser, Query(q): Query<Search>) -> Response {
    if let Some(r) = admins_only(&s, &user) {
        return r;
    }
    page(&s, &user, &q, &AddForm::default(), &[]).await
}

/// The page: the search and its results, and the add form (with `errors` at their fields).
async fn page(
    s: &AppState,
    user: &DeskUser,
    q: &Search,
    form: &AddForm,
    errors: &[(&str, String)],
) -> Response {
    let rows = match all(s).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let project = s.live().project;
    let needle = q.q.trim().to_lowercase();
    let found: Vec<&Suppression> = rows
        .iter()
        .filter(|r| needle.is_empty() || r.email_key.contains(&needle))
        .collect();
    let body = html! {
        @if !errors.is_empty() {
            div class="error-summary" role="alert" aria-labelledby="error-title" tabindex="-1" {
                h2 id="error-title" { "There is a problem" }
                ul { @for (field, e) in errors { li { a href={ "#" (field) } { (e) } } } }
            }
        }
        @if let Some(d) = q.done.as_deref().and_then(done_words) { p class="notice" role="status" { (d) } }
        p { "Addresses that are not sent to: everything, one list or one bulletin. Bounces and unsubscribes add them; you can add and lift them here." }
        form method="get" action="/desk/suppressions" role="search" {
            label for="q" { "Search by email address" }
            input type="search" id="q" name="q" value=(q.q);
            button type="submit" { "Search" }
        }
        (table(user, &project, &found))
        p { a href="/desk/suppressions.csv" download="suppressions.csv" { "Download all suppressions (CSV)" } }
        (add_form(user, &project, form, errors))
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = super::layout::page(&project.settings.organisation, user, "Suppressions", body);
    (status, Html(page.into_string())).into_response()
}

fn table(user: &DeskUser, project: &Project, found: &[&Suppression]) -> Markup {
    html! {
        @if found.is_empty() {
            p { "No suppressions found." }
        } @else {
            table {
                caption { (found.len()) " suppression(s)" @if found.len() > SHOWN { ", the first " (SHOWN) " shown; search to narrow them" } }
                thead { tr { th scope="col" { "Address" } th scope="col" { "Not sent" } th scope="col" { "Since" } th scope="col" { "How" } th scope="col" { "Reason" } th scope="col" { "Lift" } } }
                tbody {
                    @for r in found.iter().take(SHOWN) {
                        tr {
                            td { (r.email_key) }
                            td { (scope_words(&r.scope)) }
                            td { (project.stamp(r.created_at)) }
                            td { (r.how.as_str()) }
                            td { (r.reason.as_deref().unwrap_or("")) }
                            td {
                                form method="post" action="/desk/suppressions/lift" {
                                    input type="hidden" name="csrf" value=(user.csrf);
                                    input type="hidden" name="email" value=(r.email_key);
                                    input type="hidden" name="scope" value=(r.scope.as_str());
                                    button type="submit" class="secondary" aria-label={ "Lift the suppression of " (r.email_key) " for " (scope_words(&r.scope)) } { "Lift" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn scope_words(scope: &SuppressionScope) -> String {
    match scope {
        SuppressionScope::All => "everything".into(),
        SuppressionScope::List(l) => format!("list {l}"),
        SuppressionScope::Bulletin(b) => format!("bulletin {b}"),
    }
}

fn add_form(user: &DeskUser, project: &Project, f: &AddForm, errors: &[(&str, String)]) -> Markup {
    let err = |field: &str| {
        errors
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, e)| e.clone())
    };
    let choices: Vec<(String, String)> = std::iter::once(SuppressionScope::All)
        .chain(
            project
                .settings
                .bulletins
                .iter()
                .map(|b| SuppressionScope::Bulletin(b.id.clone())),
        )
        .chain(
            project
                .lists
                .lists
                .keys()
                .map(|l| SuppressionScope::List(l.clone())),
        )
        .map(|s| (s.as_str().into_owned(), scope_words(&s)))
        .collect();
    html! {
        h2 { "Add a suppression" }
        form method="post" action="/desk/suppressions/add" {
            input type="hidden" name="csrf" value=(user.csrf);
            div class="field" {
                label for="email" { "Email address" }
                @if let Some(e) = err("email") { p id="email-error" class="error" { "Error: " (e) } }
                input type="email" id="email" name="email" value=(f.email) autocomplete="off"
                    aria-describedby=[err("email").map(|_| "email-error")];
            }
            div class="field" {
                label for="scope" { "Do not send" }
                @if let Some(e) = err("scope") { p id="scope-error" class="error" { "Error: " (e) } }
                select id="scope" name="scope" aria-describedby=[err("scope").map(|_| "scope-error")] {
                    @for (value, words) in &choices {
                        option value=(value) selected[*value == f.scope] { (words) }
                    }
                }
            }
            div class="field" {
                label for="reason" { "Reason" }
                p id="reason-hint" class="hint" { "Kept with the suppression, for whoever looks later." }
                input type="text" id="reason" name="reason" value=(f.reason) aria-describedby="reason-hint";
            }
            button type="submit" { "Suppress" }
        }
    }
}

/// The scope a form names, if the project has it (as `suppress --list/--bulletin` checks).
fn known_scope(project: &Project, s: &str) -> Option<SuppressionScope> {
    let scope = SuppressionScope::parse(s).ok()?;
    let known = match &scope {
        SuppressionScope::All => true,
        SuppressionScope::List(l) => project.lists.lists.contains_key(l),
        SuppressionScope::Bulletin(b) => project.bulletin(b.as_str()).is_some(),
    };
    known.then_some(scope)
}

async fn add(State(s): State<AppState>, user: DeskUser, Form(f): Form<AddForm>) -> Response {
    if let Some(r) = admins_only(&s, &user) {
        return r;
    }
    if !user.csrf_ok(&f.csrf) {
        return bad_token(&s);
    }
    let project = s.live().project;
    let email = EmailAddress::parse(f.email.trim());
    let scope = known_scope(&project, &f.scope);
    let mut errors = Vec::new();
    if let Err(e) = &email {
        errors.push((
            "email",
            format!("Enter an email address, like name@example.org ({e})"),
        ));
    }
    if scope.is_none() {
        errors.push(("scope", "Choose what not to send".to_string()));
    }
    let (Ok(email), Some(scope), true) = (email, scope, errors.is_empty()) else {
        return page(&s, &user, &Search::default(), &f, &errors).await;
    };
    let now = s.clock.timestamp();
    let reason = Some(f.reason.trim()).filter(|r| !r.is_empty());
    let done = async {
        let added = s
            .store
            .suppress_by(&email.key(), &scope, reason, &user.operator(), now)
            .await?;
        // As `bulletin suppress` does: a list's suppression reaches issues already under way.
        if matches!(scope, SuppressionScope::List(_)) {
            crate::send::apply_list_suppressions(&project, &s.store, &email.key(), now).await?;
        }
        Ok::<bool, crate::store::StoreError>(added)
    };
    match done.await {
        Ok(true) => done_redirect("suppressed", &email),
        Ok(false) => done_redirect("already", &email),
        Err(e) => ledger_error(&s, &e),
    }
}

async fn lift(State(s): State<AppState>, user: DeskUser, Form(f): Form<LiftForm>) -> Response {
    if let Some(r) = admins_only(&s, &user) {
        return r;
    }
    if !user.csrf_ok(&f.csrf) {
        return bad_token(&s);
    }
    let (Ok(email), Ok(scope)) = (
        EmailAddress::parse(&f.email),
        SuppressionScope::parse(&f.scope),
    ) else {
        return error_page(
            &s,
            StatusCode::BAD_REQUEST,
            "Nothing to lift",
            "The form named no suppression.",
        );
    };
    let lifted = s
        .store
        .unsuppress_by(
            &email.key(),
            Some(&scope),
            &user.operator(),
            s.clock.timestamp(),
        )
        .await;
    match lifted {
        Ok(n) if n > 0 => done_redirect("lifted", &email),
        Ok(_) => done_redirect("not-suppressed", &email),
        Err(e) => ledger_error(&s, &e),
    }
}

/// Back to the page, searching for the address just changed, with what happened: a fixed
/// word, so the page never repeats text a link could carry.
fn done_redirect(done: &str, email: &EmailAddress) -> Response {
    let q = url_encode(&email.key());
    Redirect::to(&format!("/desk/suppressions?done={done}&q={q}")).into_response()
}

/// What the page says after a change.
fn done_words(done: &str) -> Option<&'static str> {
    Some(match done {
        "suppressed" => {
            "Suppressed. Nothing more is sent to this address where the suppression applies."
        }
        "already" => "This address was already suppressed for that; nothing changed.",
        "lifted" => "Lifted. The address is sent to again where the suppression applied.",
        "not-suppressed" => "This address was not suppressed for that; nothing changed.",
        _ => return None,
    })
}

/// `s` as a query value.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn ledger_error(s: &AppState, e: &crate::store::StoreError) -> Response {
    tracing::error!("desk suppressions: {e}");
    error_page(
        s,
        StatusCode::SERVICE_UNAVAILABLE,
        "Nothing was changed",
        "The ledger could not be written. Try again in a minute.",
    )
}

/// Every suppression as `bulletin suppressions --format csv` writes it.
async fn export(State(s): State<AppState>, user: DeskUser) -> Response {
    if let Some(r) = admins_only(&s, &user) {
        return r;
    }
    let rows = match all(&s).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let project = s.live().project;
    let mut out = String::from("email,scope,when,how,reason\n");
    for r in &rows {
        out += &format!(
            "{},{},{},{},{}\n",
            csv_field(&r.email_key),
            csv_field(&r.scope.as_str()),
            project.local(r.created_at).to_rfc3339(),
            r.how,
            csv_field(r.reason.as_deref().unwrap_or(""))
        );
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"suppressions.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out,
    )
        .into_response()
}
