//! What every handler shares: the state (the live project, the store, the clock, the
//! scheduler's signs of life, the counters) and the plain error page.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tokio::sync::watch;

use crate::config::Project;
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
    /// The daemon's clock: what the pages say is now.
    pub clock: Arc<dyn crate::clock::Clock>,
    /// The scheduler's last sign of life (start, passes, progress of a send).
    pub heartbeat: crate::instance::Heartbeat,
    /// Whether the running configuration is the files' (a reload with errors keeps the last
    /// good one).
    pub config: crate::config_health::ConfigHealth,
    pub requests: Arc<AtomicU64>,
    pub unsubscribes: Arc<AtomicU64>,
}

impl AppState {
    pub fn live(&self) -> Live {
        self.live.borrow().clone()
    }
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
