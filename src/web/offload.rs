//! Building pages and feeds off the async threads: every page built from all the campaigns
//! (the calendar, its feed, the month's news) waits its turn here, so `/healthz`, unsubscribes
//! and the scheduler stay responsive; and the page that says to try again when it cannot run.

use axum::http::StatusCode;
use axum::response::Response;

use super::state::AppState;

/// At most this many pages or feeds are built at once; more requests wait their turn.
static RENDERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Run `f` (building a page or a feed from every campaign: CPU work that grows with the
/// files) on the blocking pool, at most two at a time, so the async threads stay free for
/// `/healthz`, unsubscribes and the scheduler. `None` if it could not run to the end.
pub async fn off_the_async_threads<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let _permit = RENDERS.acquire().await.ok()?;
    tokio::task::spawn_blocking(f).await.ok()
}

pub fn busy(s: &AppState) -> Response {
    super::state::error_page(
        s,
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again",
        "This page cannot be built just now. Please try again in a few minutes.",
    )
}
