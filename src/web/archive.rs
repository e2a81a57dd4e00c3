//! The archive: every sent issue, newest first, and each issue's web version ("view in your
//! browser"), which carries no personal data.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::layout::page;
use super::security::CSP_ISSUE;
use super::state::{AppState, error_page};
use crate::themes::Theme;

#[derive(Debug, serde::Deserialize)]
pub struct ArchiveQuery {
    /// One of the strategy's themes (`neglect`): only issues that carry it.
    theme: Option<String>,
}

/// The themes stored with an archived issue.
fn themes_of(e: &crate::store::ArchiveEntry) -> Vec<Theme> {
    e.themes
        .split(',')
        .filter_map(|t| Theme::parse(t).ok())
        .collect()
}

pub async fn index(State(s): State<AppState>, Query(q): Query<ArchiveQuery>) -> Response {
    let live = s.live();
    let Ok(mut entries) = s.store.archive().await else {
        return error_page(
            &s,
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "The archive cannot be read just now.",
        );
    };
    // An unknown theme shows every issue rather than none.
    let theme = q.theme.as_deref().and_then(|t| Theme::parse(t).ok());
    if let Some(t) = theme {
        entries.retain(|e| themes_of(e).contains(&t));
    }
    let body = page(
        &live.project.settings.organisation,
        "Past issues",
        html! {
            nav class="cal-themes" aria-label="Themes" {
                p { "Showing: " strong { (theme.map_or("all issues", |t| t.label())) } }
                ul {
                    @if theme.is_some() {
                        li { a href="/archive/" { "All issues" } }
                    }
                    @for t in Theme::ALL {
                        li {
                            @if theme == Some(t) {
                                a href={ "/archive/?theme=" (t.id()) } aria-current="page" { (t.label()) " (shown)" }
                            } @else {
                                a href={ "/archive/?theme=" (t.id()) } { "Only " (t.label()) }
                            }
                        }
                    }
                }
            }
            @if entries.is_empty() {
                @if let Some(t) = theme {
                    p { "No issue sent so far carries the theme " (t.label()) "." }
                } @else {
                    p { "No issues have been sent yet." }
                }
            } @else {
                ol class="archive" reversed {
                    @for e in &entries {
                        @let date = Some(e.date);
                        @let tags = themes_of(e);
                        li {
                            a href={ "/archive/" (e.bulletin) "/" (e.date) } { (e.subject) }
                            " "
                            span class="muted" {
                                "sent "
                                @if let Some(t) = e.first_sent.to_utc() {
                                    time datetime=(e.date) { (live.project.local(t).format("%-d %B %Y")) }
                                } @else if let Some(d) = date { (d) }
                                @if !tags.is_empty() {
                                    "; themes: "
                                    (tags.iter().map(|t| t.label()).collect::<Vec<_>>().join(", "))
                                }
                            }
                        }
                    }
                }
            }
            p { a href="/feed.atom" { "Follow new issues with a feed reader (Atom)" } }
        },
    );
    Html(body.into_string()).into_response()
}

pub async fn issue(
    State(s): State<AppState>,
    Path((bulletin, date)): Path<(String, String)>,
) -> Response {
    let not_found = || {
        error_page(
            &s,
            StatusCode::NOT_FOUND,
            "Issue not found",
            "There is no issue at this address.",
        )
    };
    let Ok(bulletin) = crate::ids::BulletinId::parse(&bulletin) else {
        return not_found();
    };
    let Some(date) = crate::dates::path_date(&date) else {
        return not_found();
    };
    let Ok(Some(row)) = s
        .store
        .find_issue(&bulletin, date, crate::store::IssueKind::Issue)
        .await
    else {
        return not_found();
    };
    // Only what has actually been sent is public.
    if !s
        .store
        .archive()
        .await
        .is_ok_and(|a| a.iter().any(|e| e.id == row.id))
    {
        return not_found();
    }
    let Ok(rendered) = row.rendered.read() else {
        return error_page(
            &s,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry",
            "This issue cannot be shown just now.",
        );
    };
    let live = s.live();
    let months = live
        .project
        .bulletin(bulletin.as_str())
        .map(|b| super::news_page::issue_months(&live.project, b, date))
        .unwrap_or_default();
    let html = super::news_page::with_month_links(rendered.html_for_web(), &bulletin, &months);
    ([(header::CONTENT_SECURITY_POLICY, CSP_ISSUE)], Html(html)).into_response()
}

/// A proof's "view in your browser" page, before the issue is sent: found by the proof's
/// unguessable id, never listed, not indexed.
pub async fn proof(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let not_found = || {
        error_page(
            &s,
            StatusCode::NOT_FOUND,
            "Proof not found",
            "There is no proof at this address.",
        )
    };
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return not_found();
    }
    let key = format!("{}{id}", crate::send::PROOF_PAGE_PREFIX);
    let Ok(Some(issue)) = s.store.get_state(&key).await else {
        return not_found();
    };
    let Ok(n) = issue.parse::<i64>() else {
        return not_found();
    };
    let Ok(Some(row)) = s.store.issue_by_id(n).await else {
        return not_found();
    };
    let Ok(rendered) = row.rendered.read() else {
        return not_found();
    };
    (
        [
            (header::CONTENT_SECURITY_POLICY, CSP_ISSUE),
            (
                header::HeaderName::from_static("x-robots-tag"),
                "noindex, nofollow",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(rendered.html_for_web()),
    )
        .into_response()
}
