//! The desk's news pages: `/desk/news` (every item by the issue that carries it, with its
//! state), `/desk/news/new` and `/desk/news/<slug>` (the form, with the item as readers will
//! see it beside it). A save writes `news/<slug>.md` through [`crate::project_edit::save`]
//! with the file's version from when the form was opened; "Preview" changes nothing.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};

use super::DeskUser;
use super::form::{self, Field, Problem};
use super::news_state::{self, State as ItemState};
use crate::config::Project;
use crate::news_file::{self, KEYS, NewsForm};
use crate::project_edit::{EditError, ProjectPath, Version};
use crate::web::state::AppState;

/// The desk's own policy for the edit pages: the site's, plus our one script file (the live
/// preview) and frames from this site (the preview frame).
pub const CSP_EDIT: &str = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The preview frame's policy: the email's inline styles, and framed only by the desk.
const CSP_PREVIEW: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/desk/news", get(list))
        .route("/desk/news/new", get(new_form).post(save_new))
        .route("/desk/news/preview", post(preview))
        .route("/desk/news/{slug}", get(edit_form).post(save_edit))
        .route("/desk/news/{slug}/preview", get(preview_saved))
        .route("/desk/static/news-preview.js", get(script))
}

/// A form whose CSRF token is not the session's.
pub(super) fn forbidden() -> Response {
    super::forbidden()
}

/// A desk edit page with [`CSP_EDIT`].
pub(super) fn html_page(status: StatusCode, body: Markup) -> Response {
    (
        status,
        [(header::CONTENT_SECURITY_POLICY, CSP_EDIT)],
        Html(body.into_string()),
    )
        .into_response()
}

fn news_path(slug: &str) -> String {
    format!("news/{slug}.md")
}

fn read_item(project: &Project, slug: &str) -> Option<String> {
    std::fs::read_to_string(project.root.join(news_path(slug))).ok()
}

/// The issues the ledger holds, as the sender's checks take them.
pub async fn issues_held(state: &AppState) -> crate::news_window::IssuesHeld {
    state
        .store
        .status()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.kind == crate::store::IssueKind::Issue && s.issue != 0)
        .map(|s| (s.bulletin.to_string(), s.date))
        .collect()
}

async fn list(State(s): State<AppState>, user: DeskUser) -> Response {
    let project = s.live().project;
    let held = issues_held(&s).await;
    let placed = news_state::all(&project, s.clock.now_utc(), &held);
    let main = html! {
        p { a class="button" href="/desk/news/new" { "Add a news item" } }
        @let groups = group(&placed);
        @if groups.is_empty() { p { "There are no news items yet." } }
        @for (heading, items) in groups {
            section aria-label=(heading) {
                h2 { (heading) }
                ul { @for p in items {
                    li {
                        a href={ "/desk/news/" (p.item.id) } { (p.item.title) }
                        span class="muted" { " – publish " (crate::calendar::human::date(p.item.publish))
                            @if let Some(d) = p.item.deadline { ", deadline " (crate::calendar::human::date(d)) } }
                    }
                } }
            }
        }
    };
    let org = &project.settings.organisation;
    html_page(
        StatusCode::OK,
        super::layout::page(org, &user, "News", main),
    )
}

/// The list's headings: one per state and issue.
fn group<'a>(
    placed: &'a [news_state::Placed<'a>],
) -> Vec<(String, Vec<&'a news_state::Placed<'a>>)> {
    let mut out: Vec<(String, Vec<&news_state::Placed<'_>>)> = Vec::new();
    for p in placed {
        let issue = match (p.bulletin, p.issue) {
            (Some(b), Some(d)) => format!(": {}, {}", b.name, crate::calendar::human::date(d)),
            _ => String::new(),
        };
        let heading = match p.state {
            ItemState::Drafted => format!("Drafted, for a later issue{issue}"),
            ItemState::Stranded => {
                format!("Stranded: no issue will carry it (its issue was due{issue})")
            }
            ItemState::Sent => format!("Sent{issue}"),
            other => format!("{}{issue}", other.label()),
        };
        match out.last_mut() {
            Some((h, v)) if *h == heading => v.push(p),
            _ => out.push((heading, vec![p])),
        }
    }
    out
}

/// What an edit page shows besides the form's values.
struct EditPage {
    slug: Option<String>,
    version: Version,
    problems: Vec<Problem>,
    notice: Option<String>,
    /// The person's own text, kept aside after a conflict.
    kept: Option<(String, String)>,
}

#[derive(serde::Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn new_form(State(s): State<AppState>, user: DeskUser) -> Response {
    let project = s.live().project;
    let form = NewsForm {
        section: project
            .settings
            .sections
            .first()
            .map(|x| x.id.to_string())
            .unwrap_or_default(),
        ..NewsForm::default()
    };
    let p = EditPage {
        slug: None,
        version: Version::absent(),
        problems: Vec::new(),
        notice: None,
        kept: None,
    };
    html_page(StatusCode::OK, edit_page(&project, &user, &form, &p))
}

async fn edit_form(
    State(s): State<AppState>,
    user: DeskUser,
    Path(slug): Path<String>,
    Query(q): Query<Saved>,
) -> Response {
    let project = s.live().project;
    let Some(text) = news_file::is_slug(&slug)
        .then(|| read_item(&project, &slug))
        .flatten()
    else {
        return crate::web::state::error_page(
            &s,
            StatusCode::NOT_FOUND,
            "No such news item",
            "There is no news item at this address.",
        );
    };
    let (form, problems) = match NewsForm::read(&text) {
        Ok(f) => (f, Vec::new()),
        Err(e) => (
            NewsForm {
                body: text.clone(),
                ..NewsForm::default()
            },
            vec![Problem {
                field: None,
                message: e.to_string(),
                hint: Some(
                    "fix the file in an editor, or start the front matter again here".into(),
                ),
            }],
        ),
    };
    let p = EditPage {
        version: Version::of(text.as_bytes()),
        slug: Some(slug),
        problems,
        notice: q
            .saved
            .map(|_| "Saved. The daemon reads the change within moments.".to_string()),
        kept: None,
    };
    html_page(StatusCode::OK, edit_page(&project, &user, &form, &p))
}

async fn save_new(State(s): State<AppState>, user: DeskUser, body: String) -> Response {
    save(s, user, None, body).await
}

async fn save_edit(
    State(s): State<AppState>,
    user: DeskUser,
    Path(slug): Path<String>,
    body: String,
) -> Response {
    if !news_file::is_slug(&slug) {
        return StatusCode::NOT_FOUND.into_response();
    }
    save(s, user, Some(slug), body).await
}

/// The stem a new item gets: from its title and publish month, or problems at those fields.
fn new_slug(project: &Project, form: &NewsForm) -> Result<String, Vec<Problem>> {
    let mut problems = Vec::new();
    if form.title.is_empty() {
        problems.push(Problem::at("title", "Enter a title"));
    }
    let publish = form.publish.parse::<chrono::NaiveDate>();
    if publish.is_err() {
        problems.push(Problem::at(
            "publish",
            "Enter the publish date, for example 2027-03-01",
        ));
    }
    match publish {
        Ok(d) if problems.is_empty() => Ok(news_file::slug(&form.title, d, |stem| {
            project.root.join(news_path(stem)).exists()
        })),
        _ => Err(problems),
    }
}

/// A refused save's errors placed at the form's fields: `text` is what was to be written as
/// `news/<slug>.md`.
pub fn problems_at_fields(
    diagnostics: &crate::diag::Diagnostics,
    slug: &str,
    text: &str,
) -> Vec<Problem> {
    let path = std::path::PathBuf::from(news_path(slug));
    form::place(diagnostics, &path, |line| field_at(text, line))
}

/// The field a line of the written file belongs to: a front matter key, or the body.
fn field_at(text: &str, line: usize) -> Option<String> {
    let close = text
        .lines()
        .enumerate()
        .skip(1)
        .find(|(_, l)| l.trim_end() == "+++")
        .map_or(0, |(i, _)| i + 1);
    if line > close {
        return Some("body".into());
    }
    let keys: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
    form::key_at_line(text, line, &keys)
}

async fn save(s: AppState, user: DeskUser, slug: Option<String>, body: String) -> Response {
    let fields = form::pairs(&body);
    if !user.csrf_ok(form::value(&fields, "csrf")) {
        return forbidden();
    }
    let Some(version) = Version::parse(form::value(&fields, "version")) else {
        return (StatusCode::BAD_REQUEST, "The form had no file version.\n").into_response();
    };
    let project = s.live().project;
    let form = NewsForm::from_browser(&fields);
    let mut p = EditPage {
        slug: slug.clone(),
        version,
        problems: Vec::new(),
        notice: None,
        kept: None,
    };
    let (slug, existing) = match slug {
        Some(slug) => {
            let existing = read_item(&project, &slug);
            (slug, existing)
        }
        None => match new_slug(&project, &form) {
            Ok(slug) => (slug, None),
            Err(problems) => {
                p.problems = problems;
                let html = edit_page(&project, &user, &form, &p);
                return html_page(StatusCode::UNPROCESSABLE_ENTITY, html);
            }
        },
    };
    let text = match form.write(existing.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            p.problems = vec![Problem {
                field: None,
                message: e.to_string(),
                hint: None,
            }];
            let html = edit_page(&project, &user, &form, &p);
            return html_page(StatusCode::UNPROCESSABLE_ENTITY, html);
        }
    };
    let verb = if existing.is_some() { "edit" } else { "add" };
    let message = format!("News: {verb} \"{}\"", form.title);
    let saved = match news_edit(&slug, &text, p.version.clone()) {
        Ok(edit) => super::save::save(&s, &project, &user, edit, message).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Redirect::to(&format!("/desk/news/{slug}?saved=1")).into_response(),
        Err(EditError::Check(diags)) => {
            p.problems = problems_at_fields(&diags, &slug, &text);
            let html = edit_page(&project, &user, &form, &p);
            html_page(StatusCode::UNPROCESSABLE_ENTITY, html)
        }
        Err(EditError::Conflict { kept, .. }) => conflict(&project, &user, &slug, &text, &kept),
        Err(e) => {
            tracing::error!(error = %e, "desk: saving a news item failed");
            p.problems = vec![Problem {
                field: None,
                message: format!("The item could not be saved: {e}"),
                hint: None,
            }];
            let html = edit_page(&project, &user, &form, &p);
            html_page(StatusCode::INTERNAL_SERVER_ERROR, html)
        }
    }
}

/// The item's file with `text`, over the version the person opened.
fn news_edit(
    slug: &str,
    text: &str,
    base: Version,
) -> Result<crate::project_edit::Edit, EditError> {
    Ok(crate::project_edit::Edit {
        path: ProjectPath::new(news_path(slug))?,
        contents: Some(text.to_string()),
        base,
    })
}

/// Somebody saved the file after this person opened it: show the file as it is now, and say
/// where this person's version is kept (and show it), so neither is lost.
fn conflict(
    project: &Project,
    user: &DeskUser,
    slug: &str,
    theirs: &str,
    kept: &std::path::Path,
) -> Response {
    let now_text = read_item(project, slug).unwrap_or_default();
    let form = NewsForm::read(&now_text).unwrap_or_default();
    let p = EditPage {
        slug: Some(slug.to_string()),
        version: Version::of(now_text.as_bytes()),
        problems: vec![Problem {
            field: None,
            message: format!(
                "This item was changed since you opened it, so your changes were not saved. Your version is kept in {} (shown below the form); the form now shows the item as it is.",
                kept.display()
            ),
            hint: None,
        }],
        notice: None,
        kept: Some((kept.display().to_string(), theirs.to_string())),
    };
    html_page(StatusCode::CONFLICT, edit_page(project, user, &form, &p))
}

#[derive(serde::Deserialize)]
struct PreviewQuery {
    slug: Option<String>,
}

/// The preview frame for what the form holds now: changes nothing.
async fn preview(
    State(s): State<AppState>,
    user: DeskUser,
    Query(q): Query<PreviewQuery>,
    body: String,
) -> Response {
    let fields = form::pairs(&body);
    if !user.csrf_ok(form::value(&fields, "csrf")) {
        return forbidden();
    }
    let project = s.live().project;
    let form = NewsForm::from_browser(&fields);
    let slug = q.slug.filter(|x| news_file::is_slug(x));
    let existing = slug.as_deref().and_then(|x| read_item(&project, x));
    let stem =
        slug.unwrap_or_else(|| new_slug(&project, &form).unwrap_or_else(|_| "new-item".into()));
    let text = form.write(existing.as_deref()).unwrap_or_default();
    let html = super::preview::render(&project, &stem, &text, s.clock.now_utc());
    preview_response(html)
}

fn preview_response(html: String) -> Response {
    (
        [
            (header::CONTENT_SECURITY_POLICY, CSP_PREVIEW),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(html),
    )
        .into_response()
}

/// The preview frame when the form opens: the saved item (or a few words for a new one).
async fn preview_saved(
    State(s): State<AppState>,
    _user: DeskUser,
    Path(slug): Path<String>,
) -> Response {
    let project = s.live().project;
    let text = news_file::is_slug(&slug)
        .then(|| read_item(&project, &slug))
        .flatten()
        .unwrap_or_default();
    preview_response(super::preview::render(
        &project,
        &slug,
        &text,
        s.clock.now_utc(),
    ))
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        super::preview::SCRIPT,
    )
        .into_response()
}

/// The edit page: the form, the preview frame beside it, and the file's recent history.
fn edit_page(project: &Project, user: &DeskUser, form: &NewsForm, p: &EditPage) -> Markup {
    let action = p.slug.as_ref().map_or_else(
        || "/desk/news/new".to_string(),
        |s| format!("/desk/news/{s}"),
    );
    let preview_action = match &p.slug {
        Some(s) => format!("/desk/news/preview?slug={s}"),
        None => "/desk/news/preview".to_string(),
    };
    let frame = format!("/desk/news/{}/preview", p.slug.as_deref().unwrap_or("new"));
    let title = match &p.slug {
        Some(_) => format!(
            "Edit: {}",
            if form.title.is_empty() {
                "news item"
            } else {
                &form.title
            }
        ),
        None => "Add a news item".to_string(),
    };
    let main = html! {
        (form::error_summary(&p.problems))
        @if let Some(n) = &p.notice { div class="notice" role="status" { p { (n) } } }
        div class="desk-edit" {
            form id="news-form" method="post" action=(action) novalidate {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="version" value=(p.version.as_str());
                (fields(project, form, &p.problems))
                button type="submit" name="action" value="save" { "Save" }
                button type="submit" id="preview-button" class="secondary" name="action" value="preview"
                    formaction=(preview_action) formtarget="preview" { "Preview" }
            }
            div class="desk-preview" {
                h2 { "Preview" }
                p class="hint" { "How readers will see it in the issue. Select Preview to update it." }
                iframe name="preview" id="preview" title="Preview of the news item as readers will see it" src=(frame) {}
            }
        }
        @if let Some((path, text)) = &p.kept {
            details open {
                summary { "Your version, kept in " (path) }
                pre { (text) }
            }
        }
        @if let Some(slug) = &p.slug { (super::history::section(&project.root, &news_path(slug))) }
        script src="/desk/static/news-preview.js" defer {}
    };
    super::layout::page(&project.settings.organisation, user, &title, main)
}

fn fields(project: &Project, f: &NewsForm, problems: &[Problem]) -> Markup {
    let sections: Vec<String> = project
        .settings
        .sections
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    let themes: Vec<&str> = crate::themes::Theme::ids().collect();
    let themes_hint = format!("Optional. Separate them with commas: {}", themes.join(", "));
    let sections_hint = format!("One of: {}", sections.join(", "));
    let field = |id, label, hint, value, kind, required| Field {
        id,
        label,
        hint,
        value,
        kind,
        required,
    };
    html! {
        (field("title", "Title", None, &f.title, "text", true).render(problems))
        (field("section", "Section", Some(sections_hint.as_str()), &f.section, "text", true).render(problems))
        (field("publish", "Publish date", Some("The first day an issue may carry it, for example 2027-03-01"), &f.publish, "text", true).render(problems))
        (field("until", "Keep it in issues until (optional)", Some("Later issues carry it up to this date"), &f.until, "text", false).render(problems))
        (field("deadline", "Deadline (optional)", Some("When what it asks for closes: a survey, a consultation, booking"), &f.deadline, "text", false).render(problems))
        (field("campaign", "Campaign (optional)", Some("The id of the campaign it is about: the issue shows it inside that campaign"), &f.campaign, "text", false).render(problems))
        (field("themes", "Themes (optional)", Some(themes_hint.as_str()), &f.themes, "text", false).render(problems))
        (field("bulletins", "Bulletins (optional)", Some("Leave empty for every bulletin, or list bulletin ids separated by commas"), &f.bulletins, "text", false).render(problems))
        (field("url", "Link for more (optional)", Some("A web address starting https://"), &f.url, "text", false).render(problems))
        (field("body", "Text", Some("Markdown: a blank line between paragraphs, [link text](https://…), **bold**"), &f.body, "textarea", true).render(problems))
    }
}
