//! One-click unsubscribe (RFC 8058). GET shows a page with a button and changes nothing (mail
//! gateways and link scanners fetch links); POST, from the button or from a mail client's
//! `List-Unsubscribe=One-Click`, suppresses the address and answers 200 with no redirect and no
//! cookie. A forged, tampered or unknown token gets the same answer as any bad link.

use std::sync::atomic::Ordering;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::layout::page;
use super::state::{AppState, error_page};
use crate::token::Unsubscribe;

fn invalid(s: &AppState) -> Response {
    error_page(
        s,
        StatusCode::BAD_REQUEST,
        "This unsubscribe link is not valid",
        "The link may have been copied incompletely. Use the unsubscribe link at the bottom of the most recent email you received, or reply to that email and ask to be taken off the list.",
    )
}

/// The name people know the mailing by: the bulletin's name, or the campaign's title for an
/// announcement.
fn name_of(s: &AppState, u: &Unsubscribe) -> String {
    let live = s.live();
    let p = &live.project;
    p.bulletin(u.bulletin.as_str())
        .map(|b| b.name.clone())
        .or_else(|| {
            p.campaign(u.bulletin.as_str())
                .map(|c| format!("{} announcements", c.title))
        })
        .unwrap_or_else(|| u.bulletin.to_string())
}

/// The page of a link: whose address it is and the buttons. Never stored by a browser or a
/// proxy (`Cache-Control: no-store`): it shows the address, and the URL is a personal token.
pub async fn show(state: State<AppState>, token: Path<String>) -> Response {
    no_store(show_page(state, token).await)
}

/// The answer to the button or to a one-click POST; never stored, as [`show`].
pub async fn confirm(state: State<AppState>, token: Path<String>, body: String) -> Response {
    no_store(confirm_page(state, token, body).await)
}

/// `r` marked `Cache-Control: no-store`, whatever it is (the page, or the answer to a bad link).
fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

async fn show_page(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let live = s.live();
    let Ok(u) = live.signer.verify(&token) else {
        return invalid(&s);
    };
    let name = name_of(&s, &u);
    let body = page(
        &live.project.settings.organisation,
        "Unsubscribe",
        html! {
            p { "Do you want to stop receiving " strong { (name) } " at " strong { (u.email) } "?" }
            form method="post" {
                button type="submit" name="scope" value="bulletin" { "Unsubscribe from " (name) }
                button class="secondary" type="submit" name="scope" value="all" { "Unsubscribe from all bulletins" }
            }
            p class="muted" { "Nothing changes until you press a button. You will not need to log in." }
            p { a href={ "/preferences/" (token) } { "Change what you receive instead" } }
        },
    );
    Html(body.into_string()).into_response()
}

async fn confirm_page(
    State(s): State<AppState>,
    Path(token): Path<String>,
    body: String,
) -> Response {
    let live = s.live();
    let Ok(u) = live.signer.verify(&token) else {
        return invalid(&s);
    };
    let mut all = false;
    let mut one_click = false;
    for (k, v) in form_urlencoded(&body) {
        match (k.as_str(), v.as_str()) {
            ("List-Unsubscribe", "One-Click") => one_click = true,
            ("scope", "all") => all = true,
            _ => {}
        }
    }
    let scope = if all {
        crate::store::SuppressionScope::All
    } else {
        crate::store::SuppressionScope::Bulletin(u.bulletin.clone())
    };
    let reason = if one_click {
        "one-click unsubscribe (RFC 8058)"
    } else {
        "unsubscribe page"
    };
    let how = if one_click {
        crate::store::SuppressionHow::OneClick
    } else {
        crate::store::SuppressionHow::Link
    };
    let now = s.clock.now();
    if s.store
        .suppress_how(&u.email.key(), &scope, Some(reason), how, now.into())
        .await
        .is_err()
    {
        return error_page(
            &s,
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "We could not record your request just now. Please try again in a few minutes.",
        );
    }
    s.unsubscribes.fetch_add(1, Ordering::Relaxed);
    tracing::info!(scope = %scope, "unsubscribed");
    let name = if all {
        "any of our bulletins".to_string()
    } else {
        name_of(&s, &u)
    };
    let body = page(
        &live.project.settings.organisation,
        "You have been unsubscribed",
        html! {
            p class="notice" { "You have been unsubscribed: " strong { (u.email) } " will not receive " (name) " again." }
            p { "This takes effect before the next email is sent. If this was a mistake, reply to any of our emails and we will put you back." }
        },
    );
    (StatusCode::OK, Html(body.into_string())).into_response()
}

pub async fn info(State(s): State<AppState>) -> Response {
    let live = s.live();
    let body = page(
        &live.project.settings.organisation,
        "Unsubscribe",
        html! {
            p { "Every email we send has its own unsubscribe link at the bottom. Open it and press the button: one click, no login." }
            @if let Some(e) = &live.project.settings.organisation.email {
                p { "Or email " a href={ "mailto:" (e) } { (e) } " and we will take you off." }
            }
        },
    );
    Html(body.into_string()).into_response()
}

/// `application/x-www-form-urlencoded` pairs (the only bodies these routes accept), decoded
/// leniently: a malformed escape stays as written rather than failing the request.
fn form_urlencoded(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(body.trim()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::form_urlencoded;

    #[test]
    fn parses_forms() {
        assert_eq!(
            form_urlencoded("List-Unsubscribe=One-Click"),
            vec![("List-Unsubscribe".into(), "One-Click".into())]
        );
        assert_eq!(
            form_urlencoded("scope=all&x=a%20b+c"),
            vec![("scope".into(), "all".into()), ("x".into(), "a b c".into())]
        );
        assert_eq!(
            form_urlencoded("bad=%zz%"),
            vec![("bad".into(), "%zz%".into())]
        );
    }
}
