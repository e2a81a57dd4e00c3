//! Who is asking: a person with a live desk session (the cookie), or, when `[desk]` names a
//! single sign-on proxy, the address in its header, believed only when the TCP peer is one of
//! `trusted_proxies` (a header from anywhere else is ignored and logged). Either way the
//! address must still be on a desk list of the live project. Without `[desk]` every desk page
//! is 404; without a person, a page asked for with GET sends the browser to sign in (303) and
//! anything else is refused (403).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::signin_link::DeskKey;
use super::{DeskUser, session};
use crate::address::EmailAddress;
use crate::config::desk::Desk;
use crate::web::state::{AppState, Live, error_page};

impl FromRequestParts<AppState> for DeskUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let live = state.live();
        let Some(desk) = live.project.settings.desk.as_ref() else {
            return Err(not_found(state));
        };
        if let Some(user) = proxy_user(parts, state, &live, desk) {
            return Ok(user);
        }
        if let Some(secret) = session::cookie(&parts.headers) {
            let now = state.clock.timestamp();
            match session::resume(&state.store, &live.project, secret, now).await {
                Ok(Some(user)) => return Ok(user),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "desk: cannot read sessions from the ledger");
                    return Err(unavailable(state));
                }
            }
        }
        Err(not_signed_in(&parts.method))
    }
}

/// Not signed in: GET goes to the sign-in page; anything else (a form sent after the session
/// ended, a forged request) is refused.
fn not_signed_in(method: &Method) -> Response {
    if method == Method::GET || method == Method::HEAD {
        Redirect::to("/desk/sign-in").into_response()
    } else {
        (
            StatusCode::FORBIDDEN,
            "You are not signed in to the desk.\n",
        )
            .into_response()
    }
}

/// The answer of every desk address when the project has no `[desk]`.
pub(super) fn not_found(state: &AppState) -> Response {
    error_page(
        state,
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address.",
    )
}

pub(super) fn unavailable(state: &AppState) -> Response {
    error_page(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again",
        "The desk cannot reach its records just now. Please try again in a few minutes.",
    )
}

/// The desk's signing key for this ledger.
pub(super) fn desk_key(state: &AppState, live: &Live) -> DeskKey {
    let secret = live
        .signer
        .secrets()
        .next()
        .cloned()
        .unwrap_or_else(|| crate::secret::Secret::new(""));
    DeskKey::derive(&secret, state.store.ledger_id().as_str())
}

/// The person the single sign-on proxy's header names, if the desk has one, the request came
/// from one of its trusted addresses, and the address is on a desk list.
fn proxy_user(parts: &Parts, state: &AppState, live: &Live, desk: &Desk) -> Option<DeskUser> {
    let header = desk.proxy_header.as_deref()?;
    let value = parts.headers.get(header)?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical());
    if !peer.is_some_and(|ip| desk.trusted_proxies.contains(&ip)) {
        tracing::warn!(
            peer = ?peer,
            header,
            "desk: a sign-on header from an address not in trusted_proxies was ignored"
        );
        return None;
    }
    let email = EmailAddress::parse(value.to_str().ok()?.trim()).ok()?;
    let (name, role) = session::who(&live.project, &email)?;
    let csrf = desk_key(state, live).proxy_csrf(&email);
    Some(DeskUser {
        name,
        email,
        role,
        csrf,
    })
}

/// The TCP peer's IP address (the client, or the reverse proxy in front), when known.
pub struct Peer(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_canonical()),
        ))
    }
}
