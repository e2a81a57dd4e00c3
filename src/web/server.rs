//! The router, its shared state, the hardening layers, and serving until shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::sync::watch;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::Project;
use crate::secret::Secret;
use crate::store::Store;
use crate::token::Signer;

/// What the pages are built from; replaced whole on a reload.
#[derive(Clone)]
pub struct Live {
    pub project: Arc<Project>,
    pub signer: Signer,
}

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub live: watch::Receiver<Live>,
    pub store: Store,
    /// Unix seconds of the scheduler's last completed pass (0: none yet).
    pub heartbeat: Arc<AtomicI64>,
    /// Bearer token for `/admin`; without one the page does not exist.
    pub admin_token: Option<Secret>,
    pub requests: Arc<AtomicU64>,
    pub unsubscribes: Arc<AtomicU64>,
}

impl AppState {
    pub fn live(&self) -> Live {
        self.live.borrow().clone()
    }
}

/// The policy for our own pages: no scripts at all, styles only from our stylesheet.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy for an archived issue: the email's inlined `style` attributes, remote images over
/// https, and still no scripts.
pub const CSP_ISSUE: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
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
            "/archive",
            get(|| async { axum::response::Redirect::permanent("/archive/") }),
        )
        .route("/archive/", get(super::archive::index))
        .route("/archive/{bulletin}/{date}", get(super::archive::issue))
        .route("/proof/{id}", get(super::archive::proof))
        .route("/calendar", get(super::feeds::calendar_page))
        .route("/calendar.ics", get(super::feeds::calendar_ics))
        .route("/feed.atom", get(super::feeds::atom))
        .route("/healthz", get(super::ops::healthz))
        .route("/metrics", get(super::ops::metrics))
        .route("/admin", get(super::ops::admin))
        .route("/static/site.css", get(site_css))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), count))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(
                "camera=(), microphone=(), geolocation=(), interest-cohort=()",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(RequestBodyLimitLayer::new(16 * 1024))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(15),
        ))
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

async fn site_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        super::layout::SITE_CSS,
    )
}

/// A plain page for an error: the status, a sentence, nothing of the internals.
pub fn error_page(state: &AppState, status: StatusCode, title: &str, sentence: &str) -> Response {
    let live = state.live();
    let body = super::layout::page(
        &live.project.settings.organisation,
        title,
        maud::html! { p { (sentence) } p { a href="/archive/" { "Go to past issues" } } },
    );
    (status, Html(body.into_string())).into_response()
}

async fn not_found(axum::extract::State(s): axum::extract::State<AppState>) -> Response {
    error_page(
        &s,
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address.",
    )
}

/// Serve on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
