//! `/r/<bulletin>/<date>/<n>`: a counted link of an issue sent with `[reach] count_clicks`.
//! Answers with a redirect to the URL the issue itself carries as link `n` (never to anything a
//! request names, so it is no open redirect) and adds one to that link's counter. Nothing about
//! the reader is looked at, stored or logged: no cookie, no token, no address, no time.
//!
//! Only a GET in the one spelling the issue itself carries counts: a HEAD (link checkers and
//! mail scanners send them) is answered alike but not counted, and `/+1`, `/01` or a date
//! spelled another way are not links of the issue at all, so they cannot be used to inflate a
//! counter past its link's canonical address.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::state::{AppState, error_page};

pub async fn follow(
    State(s): State<AppState>,
    method: Method,
    Path((bulletin, date, link)): Path<(String, String, String)>,
) -> Response {
    let not_found = || {
        error_page(
            &s,
            StatusCode::NOT_FOUND,
            "Link not found",
            "There is no link at this address.",
        )
    };
    let Some(n) = link_number(&link) else {
        return not_found();
    };
    let (Ok(bulletin), Some(date)) = (
        crate::ids::BulletinId::parse(&bulletin),
        crate::dates::path_date(&date),
    ) else {
        return not_found();
    };
    let issue = match s.store.reach_issue(&bulletin, date).await {
        Ok(Some(i)) => i,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::warn!(error = %e, "a counted link could not be looked up");
            return error_page(
                &s,
                StatusCode::SERVICE_UNAVAILABLE,
                "Sorry",
                "This link cannot be followed just now; please try again in a minute.",
            );
        }
    };
    let Some(target) = issue.links.get(n - 1) else {
        return not_found();
    };
    let Ok(location) = HeaderValue::from_str(&target.url) else {
        return not_found();
    };
    // A lost count must never cost the reader the page they asked for.
    if method == Method::GET
        && let Err(e) = s.store.count_click(issue.id, n as i64).await
    {
        tracing::warn!(error = %e, "a click could not be counted");
    }
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response()
}

/// A link's number in the one spelling the issue carries (`1`, `2`, …): no sign, no leading
/// zero, no zero.
fn link_number(text: &str) -> Option<usize> {
    text.parse::<usize>()
        .ok()
        .filter(|&n| n > 0 && n.to_string() == text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_canonical_decimal_spelling_is_a_link_number() {
        assert_eq!(super::link_number("1"), Some(1));
        assert_eq!(super::link_number("12"), Some(12));
        for bad in ["0", "+1", "01", "00", "1x", "-1", " 1", "", "1.0"] {
            assert_eq!(super::link_number(bad), None, "{bad}");
        }
    }
}
