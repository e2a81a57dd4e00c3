//! Signing in to the desk. (Placeholder until the sign-in work lands: nobody is signed in, so
//! every desk page answers with the sign-in page's address.)

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::DeskUser;
use crate::web::state::AppState;

impl FromRequestParts<AppState> for DeskUser {
    type Rejection = Response;

    async fn from_request_parts(
        _parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Err(Redirect::to("/desk/sign-in").into_response())
    }
}
