//! The router, the hardening layers, and serving until shutdown.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use super::security::{CSP, SECURITY_HEADERS};
use super::state::error_page;

/// The state the daemon builds the router with.
pub use super::state::{AppState, Live};

/// The largest request body a public page takes: its forms are a button and a token or two.
pub const PUBLIC_BODY_LIMIT: usize = 16 * 1024;
/// The largest body a desk form takes (a news item, a campaign, a list of addresses).
pub const DESK_BODY_LIMIT: usize = 256 * 1024;
/// The largest spreadsheet the desk takes (tens of thousands of rows).
pub const UPLOAD_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Every route. Each part has its own body limit; the public one stays the tightest.
pub fn router(state: AppState) -> Router {
    let public = Router::new()
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/archive/") }),
        )
        .route("/unsubscribe", get(super::unsubscribe::info))
        .route(
            "/unsubscribe/{token}",
            get(super::unsubscribe::show).post(super::unsubscribe::confirm),
        )
        .route(
            "/subscribe/{bulletin}",
            get(super::subscribe::show).post(super::subscribe::submit),
        )
        .route(
            "/subscribe/{bulletin}/snippet",
            get(super::subscribe::snippet),
        )
        .route(
            "/confirm/{token}",
            get(super::subscribe_mail::confirm_page).post(super::subscribe_mail::confirm),
        )
        .route("/privacy", get(super::privacy::show))
        .route(
            "/preferences/{token}",
            get(super::preferences::show).post(super::preferences::save),
        )
        .route(
            "/archive",
            get(|| async { axum::response::Redirect::permanent("/archive/") }),
        )
        .route("/archive/", get(super::archive::index))
        .route("/archive/{bulletin}/{date}", get(super::archive::issue))
        .route("/proof/{id}", get(super::archive::proof))
        .route("/r/{bulletin}/{date}/{link}", get(super::redirect::follow))
        .route("/calendar", get(super::feeds::calendar_page))
        .route("/calendar.ics", get(super::feeds::calendar_ics))
        .route("/feed.atom", get(super::feeds::atom))
        .route("/news/{bulletin}/{month}", get(super::news_page::month))
        .route("/healthz", get(super::ops::healthz))
        .route("/metrics", get(super::ops::metrics))
        .route("/admin", any(super::ops::admin_any))
        .route("/static/site.css", get(site_css))
        .fallback(not_found)
        .layer(RequestBodyLimitLayer::new(PUBLIC_BODY_LIMIT));
    let desk = super::desk::routes().layer(RequestBodyLimitLayer::new(DESK_BODY_LIMIT));
    // The extractors' own limit (2 MB) would stop an upload the layer lets through.
    let upload = super::desk::lists::upload_routes()
        .layer(RequestBodyLimitLayer::new(UPLOAD_BODY_LIMIT))
        .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BODY_LIMIT));
    let router = public
        .merge(desk)
        .merge(upload)
        .layer(axum::middleware::from_fn_with_state(state.clone(), count))
        .layer(axum::middleware::from_fn(head_limits))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(15),
        ));
    // Outermost, so every answer carries them: the 413 of the body limit and the 408 of the
    // timeout as much as our own pages.
    let router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    ));
    SECURITY_HEADERS
        .iter()
        .fold(router, |r, (name, value)| {
            r.layer(SetResponseHeaderLayer::overriding(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            ))
        })
        .with_state(state)
}

async fn count(
    axum::extract::State(s): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    s.requests.fetch_add(1, Ordering::Relaxed);
    next.run(req).await
}

/// The head limits of [`super::head`] again, for the later requests of a keep-alive connection
/// (hyper reads those heads itself, with looser limits, so that our refusal is the one sent).
async fn head_limits(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use super::head::{MAX_HEAD_BYTES, MAX_HEADERS, MAX_URI_BYTES};
    let uri = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return plain_error(StatusCode::URI_TOO_LONG);
    }
    let head: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if req.headers().len() > MAX_HEADERS || head + uri > MAX_HEAD_BYTES {
        return plain_error(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }
    next.run(req).await
}

fn plain_error(status: StatusCode) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{status}\n"),
    )
        .into_response()
}

async fn site_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        super::layout::SITE_CSS,
    )
}

async fn not_found(axum::extract::State(s): axum::extract::State<AppState>) -> Response {
    error_page(
        &s,
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address.",
    )
}

/// Serve on `listener` until `shutdown` resolves, then let the requests being answered finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let clock = state.clock.clone();
    super::listen::serve(listener, router(state), clock, shutdown).await;
    Ok(())
}
