//! An open list's confirmed sign-up written to its members CSV, from the web server.

use super::state::AppState;
use crate::store::SignupRow;

/// Append `row`'s person to the CSV of its list and mark the sign-up accepted; false (logged)
/// when the file could not be changed: the sign-up stays `pending`, for an admin to accept.
pub async fn accept(s: &AppState, row: &SignupRow) -> bool {
    let live = s.live();
    let project = live.project.clone();
    let Some(csv) = project
        .lists
        .lists
        .values()
        .find(|l| l.id.as_str() == row.list_id)
        .and_then(|l| l.signup.as_ref())
        .map(|c| c.csv.clone())
    else {
        return false;
    };
    let Some(now) = s.clock.timestamp().to_utc() else {
        return false;
    };
    let author = crate::project_edit::Author {
        name: "Sign-up form".into(),
        email: project.settings.organisation.from.address.clone(),
    };
    let person = (row.email.clone(), row.name.clone(), row.agency.clone());
    let written = tokio::task::spawn_blocking(move || {
        crate::signup::append(
            &project,
            &crate::config::Env::from_process(),
            now,
            &csv,
            (&person.0, &person.1, person.2.as_deref()),
            &author,
        )
    })
    .await;
    match written {
        Ok(Ok(())) => s
            .store
            .decide_signup(
                row.id,
                crate::store::SignupState::Pending,
                crate::store::SignupState::Accepted,
                s.clock.timestamp(),
            )
            .await
            .is_ok(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, signup = row.id, "sign-up: could not add to the list; left for an admin");
            false
        }
        Err(_) => false,
    }
}
