//! The desk's home page: where a person lands after signing in.

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::html;

use super::DeskUser;
use crate::web::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/desk", get(home))
        .route("/desk/", get(home))
}

async fn home(State(s): State<AppState>, user: DeskUser) -> Response {
    let live = s.live();
    let body = html! {
        p { "What would you like to do?" }
        ul {
            li { a href="/desk/issue" { "Check and approve the next issue" } }
        }
    };
    let page = super::layout::page(&live.project.settings.organisation, &user, "The desk", body);
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Html(page.into_string()),
    )
        .into_response()
}
