//! The next issue: what it will be (composed and rendered the way `bulletin preview` does it),
//! when it goes (after the working-day rules), to how many people, the proofs sent and whether
//! it is approved; and buttons that do what the commands of the same name do — send a proof
//! to me or to the editors, approve, cancel, withdraw from the archive — recorded in the
//! ledger under the person's name.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use maud::{Markup, html};

use super::DeskUser;
use crate::address::EmailAddress;
use crate::config::{Bulletin, Project};
use crate::issue_acts::{self, Approved, Cancelled, Withdrawn};
use crate::store::IssueKind;
use crate::web::state::{AppState, Live};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/desk/issue", get(index))
        .route("/desk/issue/{bulletin}", get(show))
        .route("/desk/issue/{bulletin}/{date}/preview", get(preview))
        .route("/desk/issue/{bulletin}/{date}/{action}", post(act))
}

/// One bulletin: straight to its next issue; several: a list to choose from.
async fn index(State(s): State<AppState>, user: DeskUser) -> Response {
    let live = s.live();
    let bulletins = &live.project.settings.bulletins;
    if let [only] = bulletins.as_slice() {
        return Redirect::to(&format!("/desk/issue/{}", only.id)).into_response();
    }
    let body = html! {
        ul {
            @for b in bulletins {
                li { a href={ "/desk/issue/" (b.id) } { (b.name) } }
            }
        }
    };
    desk_page(&live, &user, StatusCode::OK, "The next issue", body)
}

fn desk_page(
    live: &Live,
    user: &DeskUser,
    status: StatusCode,
    title: &str,
    body: Markup,
) -> Response {
    let page = super::layout::page(&live.project.settings.organisation, user, title, body);
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(page.into_string()),
    )
        .into_response()
}

fn not_found(live: &Live, user: &DeskUser) -> Response {
    let body = html! { p { "There is no such bulletin or issue." } p { a href="/desk/issue" { "The next issue" } } };
    desk_page(live, user, StatusCode::NOT_FOUND, "Not found", body)
}

/// The next issue's date of `b`: one held for approval first (its time has come), else the
/// next the schedule sends, as `preview` and the daemon mean it.
async fn next_date(s: &AppState, project: &Project, b: &Bulletin) -> Option<NaiveDate> {
    let job = crate::schedule::jobs::Job::Bulletin(b.id.clone());
    let held = s.store.held_fires().await.unwrap_or_default();
    held.iter()
        .filter(|h| h.job == job)
        .filter_map(|h| h.for_date)
        .min()
        .or_else(|| crate::compose::next_issue_date(project, &b.id, s.clock.now_utc()).ok())
}

async fn show(State(s): State<AppState>, user: DeskUser, Path(bulletin): Path<String>) -> Response {
    let live = s.live();
    let Some(b) = live.project.bulletin(&bulletin) else {
        return not_found(&live, &user);
    };
    let Some(date) = next_date(&s, &live.project, b).await else {
        let body = html! { p { "This bulletin has no issue to come." } };
        return desk_page(&live, &user, StatusCode::OK, &b.name, body);
    };
    issue_page(&s, &live, &user, b, date, None).await
}

/// The issue page, with `notice` (what a button just did) at the top.
async fn issue_page(
    s: &AppState,
    live: &Live,
    user: &DeskUser,
    b: &Bulletin,
    date: NaiveDate,
    notice: Option<String>,
) -> Response {
    let title = format!("The next issue of {}", b.name);
    match facts(s, &live.project, b, date).await {
        Ok(f) => {
            let body = html! {
                @if let Some(n) = &notice {
                    div class="notice" role="status" { p { (n) } }
                }
                (f.render(b, date, user))
            };
            desk_page(live, user, StatusCode::OK, &title, body)
        }
        Err(e) => {
            let body = html! {
                div class="error-summary" role="alert" {
                    h2 { "This issue cannot be shown" }
                    p { (e) }
                }
            };
            desk_page(live, user, StatusCode::OK, &title, body)
        }
    }
}

/// What the page says about an issue.
struct Facts {
    subject: String,
    when: String,
    carries: String,
    /// (list name, people) for each of the bulletin's lists, and everyone once.
    lists: Vec<(String, usize)>,
    total: usize,
    /// Each proof sent: (what, people it went to).
    proofs: Vec<(String, u64)>,
    approval: String,
    /// The issue in the ledger, if it was created: its state, and whether it is withdrawn.
    ledger: Option<(String, bool)>,
    /// Who cancelled it before it was created, if somebody did.
    cancelled_by: Option<String>,
}

async fn facts(
    s: &AppState,
    project: &Project,
    b: &Bulletin,
    date: NaiveDate,
) -> Result<Facts, IssueError> {
    let (issue, _) = crate::compose::compose(project, &b.id, date)?;
    let store = &s.store;
    let supps = store.suppressions().await?;
    let lists = b
        .lists
        .iter()
        .map(|l| {
            let name = project
                .lists
                .lists
                .get(l)
                .map_or_else(|| l.to_string(), |x| x.name.clone());
            (name, crate::send::list_recipients(project, l, &supps).len())
        })
        .collect();
    let total = crate::send::materialise(project, b, &supps)
        .iter()
        .filter(|d| !d.suppressed)
        .count();
    let status = store.status().await?;
    let mine =
        |i: &&crate::store::IssueStatus| i.bulletin.to_string() == b.id.as_str() && i.date == date;
    let proofs = status
        .iter()
        .filter(mine)
        .filter(|i| matches!(i.kind, IssueKind::Proof | IssueKind::TestProof { .. }))
        .map(|i| {
            (
                i.proof_made_at
                    .clone()
                    .unwrap_or_else(|| "scheduled proof".into()),
                i.deliveries.sent,
            )
        })
        .collect();
    let ledger = status
        .iter()
        .filter(mine)
        .find(|i| i.kind == IssueKind::Issue && !i.awaiting_approval)
        .map(|i| (i.state.to_string(), i.withdrawn));
    let approval = match store.approval(&b.id, date).await? {
        Some(a) => format!("Approved by {}", shown_name(&a.by)),
        None if b.require_approval => {
            "Not approved yet: it will not be sent until somebody approves it".into()
        }
        None => "Needs no approval: it goes automatically at its time".into(),
    };
    let job = crate::schedule::jobs::Job::Bulletin(b.id.clone());
    let cancelled_by = store
        .cancelled_fires()
        .await?
        .into_iter()
        .find(|c| c.job == job && c.for_date == Some(date))
        .map(|c| shown_name(&c.by).to_string());
    Ok(Facts {
        cancelled_by,
        subject: issue.subject.clone(),
        when: issue
            .scheduled
            .format("%A %-d %B %Y at %H:%M %Z")
            .to_string(),
        carries: if issue.sections.is_empty() {
            "Nothing yet: no news, campaigns or standing blocks for this date".into()
        } else {
            issue.summary()
        },
        lists,
        total,
        proofs,
        approval,
        ledger,
    })
}

impl Facts {
    fn render(&self, b: &Bulletin, date: NaiveDate, user: &DeskUser) -> Markup {
        let base = format!("/desk/issue/{}/{date}", b.id);
        html! {
            dl class="summary" {
                dt { "Goes" } dd { (self.when) }
                dt { "Subject" } dd { (self.subject) }
                dt { "Carries" } dd { (self.carries) }
                dt { "Approval" } dd { (self.approval) }
                @if let Some(by) = &self.cancelled_by {
                    dt { "Cancelled" } dd { "Cancelled by " (by) ": it will not be made or sent" }
                }
                @if let Some((state, withdrawn)) = &self.ledger {
                    dt { "Sending" } dd { (state) @if *withdrawn { " (withdrawn from the archive)" } }
                }
            }
            p { a href={ (base) "/preview" } { "Read the issue as it will be sent" } }
            h2 { "Who receives it" }
            table {
                thead { tr { th scope="col" { "List" } th scope="col" { "People" } } }
                tbody {
                    @for (name, n) in &self.lists { tr { td { (name) } td { (n) } } }
                    tr { th scope="row" { "Everyone, each once" } td { (self.total) } }
                }
            }
            h2 { "Proofs sent" }
            @if self.proofs.is_empty() {
                p { "No proofs of this issue yet." }
            } @else {
                ul { @for (when, n) in &self.proofs { li { (when) ": sent to " (n) } } }
            }
            h2 { "What would you like to do?" }
            (button(&base, "proof-me", "Send me a proof", user, false))
            @if b.editors.is_some() {
                (button(&base, "proof-editors", "Send a proof to the editors", user, false))
            }
            (button(&base, "approve", "Approve this issue", user, false))
            (button(&base, "cancel", "Cancel this issue", user, true))
            @if self.ledger.is_some() {
                (button(&base, "withdraw", "Withdraw from the archive", user, true))
            }
        }
    }
}

fn button(base: &str, action: &str, label: &str, user: &DeskUser, warning: bool) -> Markup {
    html! {
        form method="post" action={ (base) "/" (action) } {
            input type="hidden" name="csrf" value=(user.csrf);
            button class=[warning.then_some("warning")] type="submit" { (label) }
        }
    }
}

/// The issue as a reader will get it (made out to a sample reader, its unsubscribe link a
/// dummy), under the archive's policy: its inline styles, no scripts.
async fn preview(
    State(s): State<AppState>,
    user: DeskUser,
    Path((bulletin, date)): Path<(String, String)>,
) -> Response {
    let live = s.live();
    let project = &live.project;
    let (Some(b), Ok(date)) = (project.bulletin(&bulletin), date.parse::<NaiveDate>()) else {
        return not_found(&live, &user);
    };
    let Ok((_, rendered)) = crate::compose::compose(project, &b.id, date) else {
        return not_found(&live, &user);
    };
    let sample = EmailAddress::parse(crate::cli::preview::SAMPLE_EMAIL).expect("valid");
    let html = rendered
        .into_sample()
        .html_for(&crate::compose::preview_signer(project), &sample);
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                crate::web::security::CSP_ISSUE,
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(html),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn act(
    State(s): State<AppState>,
    user: DeskUser,
    Path((bulletin, date, action)): Path<(String, String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !user.csrf_ok(&f.csrf) {
        return super::forbidden();
    }
    let live = s.live();
    let (Some(b), Ok(date)) = (live.project.bulletin(&bulletin), date.parse::<NaiveDate>()) else {
        return not_found(&live, &user);
    };
    let said = match action.as_str() {
        "proof-me" => proof(&s, &live, b, date, vec![user.email.clone()], &user).await,
        "proof-editors" => {
            let to = editors(&s, &live.project, b).await;
            proof(&s, &live, b, date, to, &user).await
        }
        "approve" => approve(&s, &live, b, date, &user).await,
        "cancel" => cancel(&s, &live, b, date, &user).await,
        "withdraw" => withdraw(&s, b, date, &user).await,
        _ => return not_found(&live, &user),
    };
    let notice = said.unwrap_or_else(|e| {
        tracing::warn!(error = %e, action, "desk: an issue action failed");
        format!("That did not work: {e}")
    });
    issue_page(&s, &live, &user, b, date, Some(notice)).await
}

/// Everyone on the bulletin's editors list whom no suppression stops there.
async fn editors(s: &AppState, project: &Project, b: &Bulletin) -> Vec<EmailAddress> {
    let (Some(list), Ok(supps)) = (&b.editors, s.store.suppressions().await) else {
        return Vec::new();
    };
    crate::send::list_recipients(project, list, &supps)
}

type Said = Result<String, IssueError>;

/// Why the page or a button could not do its work.
#[derive(Debug, thiserror::Error)]
enum IssueError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Send(#[from] crate::send::SendError),
    #[error(transparent)]
    Compose(#[from] crate::compose::ComposeError),
}

async fn proof(
    s: &AppState,
    live: &Live,
    b: &Bulletin,
    date: NaiveDate,
    to: Vec<EmailAddress>,
    user: &DeskUser,
) -> Said {
    if to.is_empty() {
        return Ok("Nobody to send a proof to: the editors list has nobody on it.".into());
    }
    let service = crate::send::Service::new(
        Arc::clone(&live.project),
        s.store.clone(),
        &crate::instance::instance_id(),
        s.clock.clone(),
        Arc::new(std::sync::atomic::AtomicBool::new(false)),
        s.heartbeat.clone(),
    )?;
    let (row, _) = service
        .test_proof(&b.id, date, &to, &user.operator())
        .await?;
    let summary = service.deliver(&row, None).await?;
    let sent = summary.counts.sent;
    Ok(if to.len() == 1 {
        format!("A proof was sent to {} ({} sent).", to[0], sent)
    } else {
        format!("A proof was sent to {} editors ({} sent).", to.len(), sent)
    })
}

async fn approve(
    s: &AppState,
    live: &Live,
    b: &Bulletin,
    date: NaiveDate,
    user: &DeskUser,
) -> Said {
    let now = s.clock.timestamp();
    let done = issue_acts::approve(
        &live.project,
        &s.store,
        b,
        date,
        (&user.operator(), false),
        now,
    )
    .await?;
    Ok(match done {
        Approved::Unscheduled => {
            "The schedule has no issue on that date: nothing was approved.".into()
        }
        Approved::Passed { .. } => {
            "Its time has passed and the daemon will not send it: nothing was approved.".into()
        }
        Approved::Already { by, .. } => format!("It was already approved by {}.", shown_name(&by)),
        Approved::Now {
            has_issue: true, ..
        } => "Approved. Its issue already exists, so this changes nothing it has sent.".into(),
        Approved::Now { held: true, .. } => "Approved. It will be sent within a minute.".into(),
        Approved::Now { skipped: true, .. } | Approved::Now { passed: true, .. } => {
            "Approved, but it was cancelled or its time has passed: it will not be sent by itself."
                .into()
        }
        Approved::Now { .. } => "Approved. It will be sent at its time.".into(),
    })
}

async fn cancel(s: &AppState, live: &Live, b: &Bulletin, date: NaiveDate, user: &DeskUser) -> Said {
    let now = s.clock.timestamp();
    let done =
        issue_acts::cancel(&live.project, &s.store, &b.id, date, &user.operator(), now).await?;
    Ok(match done {
        Cancelled::Already { .. } => "It was already cancelled.".into(),
        Cancelled::Finished { sent, .. } => {
            format!("It has been sent already ({sent} people): there was nothing to cancel.")
        }
        Cancelled::Issue { waiting, sent, .. } => format!(
            "Cancelled: {waiting} waiting messages will not be sent ({sent} had gone already)."
        ),
        Cancelled::Fire => "Cancelled: this issue will not be made or sent.".into(),
        Cancelled::NothingToCancel => "There is no issue on that date to cancel.".into(),
        Cancelled::Handled(state) => {
            format!("It was already dealt with ({state}): nothing was cancelled.")
        }
    })
}

async fn withdraw(s: &AppState, b: &Bulletin, date: NaiveDate, user: &DeskUser) -> Said {
    let now = s.clock.timestamp();
    let done = issue_acts::withdraw(&s.store, &b.id, date, &user.operator(), now).await?;
    Ok(match done {
        Withdrawn::Now { .. } => {
            "Withdrawn from the web archive and feed. It stays in the records.".into()
        }
        Withdrawn::Already { .. } => "It was already withdrawn.".into(),
        Withdrawn::NoIssue => {
            "This issue has not been sent, so there is nothing to withdraw.".into()
        }
    })
}

/// How the page names who did something: as the audit log has it, without the desk's mark.
fn shown_name(by: &str) -> &str {
    by.strip_prefix("desk:").unwrap_or(by)
}
