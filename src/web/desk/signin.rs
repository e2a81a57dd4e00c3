//! Signing in by emailed link, and signing out. Asking for a link answers the same page, with
//! the same status, whatever the address: only an address on a desk list gets mail, at most
//! [`PER_ADDRESS`] links per [`WINDOW_SECS`] (and [`PER_CLIENT`] requests from one client),
//! sent after the answer so its timing says nothing either. Opening a link changes nothing
//! (mail scanners fetch links): its page has a button, whose POST uses the link up and starts
//! the session.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};

use super::auth::{Peer, desk_key, not_found, unavailable};
use super::signin_link::{LINK_LIFETIME_SECS, message, random_token, sha256_hex};
use super::{DeskUser, session};
use crate::address::EmailAddress;
use crate::web::state::AppState;

/// Links sent to one address per window, at most.
pub const PER_ADDRESS: i64 = 3;
/// Requests for links from one client address per window, at most.
pub const PER_CLIENT: i64 = 20;
/// The rate limits' window.
pub const WINDOW_SECS: i64 = 15 * 60;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/desk/sign-in", get(form).post(request_link))
        .route("/desk/sign-in/{token}", get(open_link).post(use_link))
        .route("/desk/sign-out", post(sign_out))
        .route("/desk/sign-out-everywhere", post(sign_out_everywhere))
}

/// A plain desk page for somebody not signed in, never cached.
fn public_page(state: &AppState, status: StatusCode, title: &str, body: Markup) -> Response {
    let live = state.live();
    let page = crate::web::layout::page(&live.project.settings.organisation, title, body);
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(page.into_string()),
    )
        .into_response()
}

async fn form(State(s): State<AppState>) -> Response {
    if s.live().project.settings.desk.is_none() {
        return not_found(&s);
    }
    public_page(
        &s,
        StatusCode::OK,
        "Sign in to the desk",
        html! {
            p { "We will email you a link to sign in. It works once, within 15 minutes." }
            form method="post" action="/desk/sign-in" {
                label for="email" { "Your email address" }
                input id="email" type="email" name="email" autocomplete="email" spellcheck="false" required;
                button type="submit" { "Email me a link" }
            }
        },
    )
}

#[derive(serde::Deserialize)]
struct LinkRequest {
    #[serde(default)]
    email: String,
}

async fn request_link(
    State(s): State<AppState>,
    Peer(peer): Peer,
    Form(f): Form<LinkRequest>,
) -> Response {
    if s.live().project.settings.desk.is_none() {
        return not_found(&s);
    }
    let client = peer.map_or_else(String::new, |ip| ip.to_string());
    let typed = f.email.trim().to_lowercase();
    let now = s.clock.timestamp();
    let counts = match s
        .store
        .desk_link_request(&sha256_hex(&typed), &client, now, now - WINDOW_SECS)
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "desk: cannot record a sign-in request");
            return unavailable(&s);
        }
    };
    if counts.from_client > PER_CLIENT {
        return public_page(
            &s,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            html! { p { "Too many sign-in links were asked for from here. Please wait a few minutes and try again." } },
        );
    }
    if counts.for_address <= PER_ADDRESS
        && let Ok(email) = EmailAddress::parse(&typed)
        && let Err(e) = send_link(&s, &email).await
    {
        tracing::warn!(error = %e, "desk: cannot record a sign-in link");
    }
    public_page(
        &s,
        StatusCode::OK,
        "Check your email",
        html! {
            p { "If that address may use the desk, we've sent a link to it. The link works once, within 15 minutes." }
            p { "No email? Check the address, look in your junk folder, or " a href="/desk/sign-in" { "ask for another link" } "." }
        },
    )
}

/// Make, record and (in the background) send a link, if `email` is on a desk list.
async fn send_link(s: &AppState, email: &EmailAddress) -> Result<(), crate::store::StoreError> {
    let live = s.live();
    let project = &live.project;
    if session::who(project, email).is_none() {
        return Ok(());
    }
    let now = s.clock.timestamp();
    let id = random_token(16);
    let expires = now + LINK_LIFETIME_SECS;
    s.store.desk_link_issued(&id, &email.key(), expires).await?;
    let token = desk_key(s, &live).sign_link(&id, expires);
    let link = format!("{}/desk/sign-in/{token}", project.settings.web.public_url);
    let org = &project.settings.organisation;
    let from = org.from.address.clone();
    let bytes = message(&from, email, &link, &org.name, now);
    let transport = match crate::send::transport(project) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "desk: cannot send a sign-in link");
            return Ok(());
        }
    };
    let to = email.clone();
    let name = format!("desk-sign-in-{}", now.secs());
    tokio::spawn(async move {
        match transport.send_one(&from, &to, &name, &bytes).await {
            crate::delivery::Attempt::Sent(_) => tracing::info!("desk: sign-in link sent"),
            other => tracing::warn!(outcome = ?other, "desk: a sign-in link was not sent"),
        }
    });
    Ok(())
}

/// Whether the browser says the request comes from another site (`Sec-Fetch-Site`).
fn cross_site(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
}

fn invalid_link(s: &AppState) -> Response {
    public_page(
        s,
        StatusCode::BAD_REQUEST,
        "This sign-in link cannot be used",
        html! {
            p { "The link has been used already, has expired (links work for 15 minutes), or was copied incompletely." }
            p { a href="/desk/sign-in" { "Ask for a new link" } }
        },
    )
}

/// The link's page: a button, and nothing changed (a mail scanner fetching it uses nothing up).
async fn open_link(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let live = s.live();
    if live.project.settings.desk.is_none() {
        return not_found(&s);
    }
    let now = s.clock.timestamp();
    match desk_key(&s, &live).read_link(&token) {
        Some((_, expires)) if expires >= now => public_page(
            &s,
            StatusCode::OK,
            "Sign in to the desk",
            html! {
                form method="post" {
                    button type="submit" { "Sign in" }
                }
            },
        ),
        _ => invalid_link(&s),
    }
}

/// The button: use the link up (once, before it expires) and start a session.
async fn use_link(
    State(s): State<AppState>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let live = s.live();
    if live.project.settings.desk.is_none() {
        return not_found(&s);
    }
    // Another site's page posting somebody's link would sign the visitor in as that somebody
    // (login CSRF): a browser says where a request comes from, and a link is used from ours.
    if cross_site(&headers) {
        return super::forbidden();
    }
    let now = s.clock.timestamp();
    let Some((id, expires)) = desk_key(&s, &live).read_link(&token) else {
        return invalid_link(&s);
    };
    if expires < now {
        return invalid_link(&s);
    }
    let used = match s.store.desk_link_use(&id, now).await {
        Ok(u) => u,
        Err(_) => return unavailable(&s),
    };
    let Some(email) = used.and_then(|k| EmailAddress::parse(&k).ok()) else {
        return invalid_link(&s);
    };
    let Some((_, role)) = session::who(&live.project, &email) else {
        return invalid_link(&s);
    };
    let Ok(secret) = session::start(&s.store, &email, role, now).await else {
        return unavailable(&s);
    };
    tracing::info!(role = ?role, "desk: signed in");
    let cookie = session::set_cookie(Some(&secret), &live.project.settings.web.public_url);
    ([(header::SET_COOKIE, cookie)], Redirect::to("/desk/")).into_response()
}

#[derive(serde::Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(
    State(s): State<AppState>,
    user: DeskUser,
    headers: axum::http::HeaderMap,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !user.csrf_ok(&f.csrf) {
        return super::forbidden();
    }
    if let Some(secret) = session::cookie(&headers)
        && s.store.desk_session_end(&sha256_hex(secret)).await.is_err()
    {
        return unavailable(&s);
    }
    signed_out(&s, "You have signed out")
}

async fn sign_out_everywhere(
    State(s): State<AppState>,
    user: DeskUser,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !user.csrf_ok(&f.csrf) {
        return super::forbidden();
    }
    if s.store
        .desk_sessions_end_all(&user.email.key())
        .await
        .is_err()
    {
        return unavailable(&s);
    }
    signed_out(&s, "You have signed out everywhere")
}

fn signed_out(s: &AppState, title: &str) -> Response {
    let url = s.live().project.settings.web.public_url.clone();
    let mut r = public_page(
        s,
        StatusCode::OK,
        title,
        html! { p { a href="/desk/sign-in" { "Sign in again" } } },
    );
    if let Ok(v) = session::set_cookie(None, &url).parse() {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}
