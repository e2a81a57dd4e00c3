//! The desk: the comms team's workspace in the browser, over the same files the command line
//! reads. Every page needs a signed-in [`DeskUser`]; every change goes through
//! [`crate::project_edit`] (tried against `check` first, one git commit per save) or does what
//! the command of the same name does, recorded with the person's name.

pub mod auth;
pub mod campaigns;
pub mod form;
pub mod history;
pub mod home;
pub mod issue;
pub mod layout;
pub mod lists;
mod lists_diff;
pub mod news;
mod news_state;
mod preview;
pub mod save;
pub mod session;
pub mod signin;
pub mod signin_link;
pub mod suppressions;
pub mod user;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::web::state::AppState;

pub use user::{DeskUser, Role};

/// The desk's routes, all under `/desk`. Each page module adds its own router here.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(signin::routes())
        .merge(home::routes())
        .merge(issue::routes())
        .merge(news::routes())
        .merge(campaigns::routes())
        .merge(lists::routes())
        .merge(suppressions::routes())
}

/// The answer to a form without this session's CSRF token, or to an editor at an admin's page.
pub fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        "This request was refused: reload the page and try again.\n",
    )
        .into_response()
}
