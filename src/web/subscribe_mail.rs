//! What follows an accepted sign-up form, after the answer has gone: the checks that must not
//! show in the answer (already on the list, suppressed, erased, today's mail already sent),
//! the unconfirmed sign-up, and its one confirmation mail. And the confirmation link's pages.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::layout::page;
use super::state::{AppState, error_page};
use crate::ids::BulletinId;
use crate::signup::{self, Application, ConfirmLink};
use crate::store::{NewSignup, SignupRow};

/// Record the sign-up and mail its link, unless the address must get nothing. Every refusal is
/// silent: the person already saw the one neutral answer.
pub async fn apply(s: AppState, bulletin: BulletinId, app: Application) {
    if let Err(e) = try_apply(&s, &bulletin, &app).await {
        tracing::warn!(error = %e, %bulletin, "sign-up: could not send the confirmation");
    }
}

async fn try_apply(s: &AppState, bulletin: &BulletinId, app: &Application) -> anyhow::Result<()> {
    let live = s.live();
    let project = &live.project;
    let Some((list, _)) = signup::list_for(project, bulletin) else {
        return Ok(());
    };
    let key = app.email.key();
    let on_list = project
        .lists
        .members
        .get(&list.id)
        .is_some_and(|ms| ms.iter().any(|m| m.email.key() == key));
    let hashes = live.signer.address_hashes(&app.email);
    let suppressed = s.store.suppressions().await?.iter().any(|x| {
        (x.email_key == key || hashes.contains(&x.email_key))
            && matches!(&x.scope, crate::store::SuppressionScope::All)
            || (x.email_key == key
                && matches!(&x.scope, crate::store::SuppressionScope::Bulletin(b) if b == bulletin))
    });
    if on_list || suppressed {
        return Ok(());
    }
    let now = s.clock.timestamp();
    let day = crate::delivery::daily::day_of(now, project.settings.organisation.time_zone);
    if !s
        .store
        .reserve_confirmation_mail(&hashes[0], &day.to_string())
        .await?
    {
        return Ok(());
    }
    let nonce = signup::nonce();
    let expires = now + signup::CONFIRM_HOURS * 3600;
    let id = s
        .store
        .new_signup(&NewSignup {
            email_key: key,
            email: app.email.to_string(),
            name: app.name.as_str().to_string(),
            agency: app.agency.clone(),
            bulletin: bulletin.to_string(),
            list_id: list.id.to_string(),
            nonce: nonce.clone(),
            source: "form".into(),
            created_at: now,
            expires_at: expires,
        })
        .await?;
    let link = ConfirmLink {
        id,
        nonce,
        expires: expires.secs(),
    };
    let token = live.signer.seal_for(signup::CONFIRM_PURPOSE, &link.text());
    let url = format!("{}/confirm/{token}", project.settings.web.public_url);
    let b = project
        .bulletin(bulletin.as_str())
        .map_or(bulletin.as_str(), |b| b.name.as_str());
    let when = now.to_utc().unwrap_or_default();
    let message = signup::confirmation(&project.settings.organisation, b, &app.email, &url, when);
    let transport = crate::send::transport(project)?;
    let from = &project.settings.organisation.from.address;
    let name = crate::delivery::outbox::file_name(0, id, app.email.as_str());
    match transport.send_one(from, &app.email, &name, &message).await {
        crate::delivery::Attempt::Sent(_) => {
            tracing::info!(%bulletin, signup = id, "sign-up: confirmation sent");
            Ok(())
        }
        other => anyhow::bail!("the relay did not take it: {other:?}"),
    }
}

fn invalid(s: &AppState) -> Response {
    error_page(
        s,
        StatusCode::BAD_REQUEST,
        "This confirmation link is not valid",
        "It may have been used already, have expired (links work for 48 hours), or have been copied incompletely. Sign up again to get a new link.",
    )
}

/// The sign-up a link names, if the link is authentic, unexpired and unused.
async fn signup_of(s: &AppState, token: &str) -> Option<(ConfirmLink, SignupRow)> {
    let live = s.live();
    let text = live.signer.open_for(signup::CONFIRM_PURPOSE, token).ok()?;
    let link = ConfirmLink::parse(&text)?;
    let now = s.clock.timestamp();
    if link.expires <= now.secs() {
        return None;
    }
    let row = s
        .store
        .unconfirmed_signup(link.id, &link.nonce, now)
        .await
        .ok()??;
    Some((link, row))
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

/// GET `/confirm/<token>`: a button, and the notice it agrees to. Changes nothing: mail
/// scanners open links.
pub async fn confirm_page(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let Some((_, row)) = signup_of(&s, &token).await else {
        return no_store(invalid(&s));
    };
    let live = s.live();
    let name = live
        .project
        .bulletin(&row.bulletin)
        .map_or(row.bulletin.clone(), |b| b.name.clone());
    let body = page(
        &live.project.settings.organisation,
        "Confirm your subscription",
        html! {
            p { "Press the button to receive " strong { (name) } " at " strong { (row.email) } "." }
            form method="post" {
                button type="submit" { "Confirm my subscription" }
            }
            p class="muted" { "Nothing changes until you press the button. By confirming you agree to the privacy notice below (version " (signup::NOTICE_VERSION) ")." }
            (super::privacy::notice(&live.project))
        },
    );
    no_store(Html(body.into_string()).into_response())
}

/// POST `/confirm/<token>`: confirm once, record consent, and put an open list's person on it.
pub async fn confirm(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let Some((link, row)) = signup_of(&s, &token).await else {
        return no_store(invalid(&s));
    };
    let now = s.clock.timestamp();
    match s
        .store
        .confirm_signup(link.id, &link.nonce, signup::NOTICE_VERSION, now)
        .await
    {
        Ok(true) => {}
        Ok(false) => return no_store(invalid(&s)),
        Err(_) => {
            return error_page(
                &s,
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "We could not record your confirmation just now. Please try again in a few minutes.",
            );
        }
    }
    let live = s.live();
    let open = BulletinId::parse(&row.bulletin)
        .ok()
        .and_then(|id| signup::list_for(&live.project, &id))
        .is_some_and(|(_, c)| c.mode == crate::config::SignupMode::Open);
    let added = open && super::signup_accept::accept(&s, &row).await;
    let name = live
        .project
        .bulletin(&row.bulletin)
        .map_or(row.bulletin.clone(), |b| b.name.clone());
    let body = page(
        &live.project.settings.organisation,
        if added {
            "You are subscribed"
        } else {
            "Thank you for confirming"
        },
        html! {
            @if added {
                p class="notice" { "You will receive " (name) " from the next issue." }
            } @else {
                p class="notice" { "Your request to receive " (name) " is confirmed. Our team checks each request; once accepted, you will receive the next issue." }
            }
            p { "Every email has links at the bottom to change what you receive or to unsubscribe." }
        },
    );
    no_store(Html(body.into_string()).into_response())
}
