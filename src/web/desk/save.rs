//! Every desk page's save: one change through [`crate::project_edit::save`], as the signed-in
//! person, off the async threads (it copies the project, loads it and may run git).

use crate::config::Project;
use crate::project_edit::{Edit, EditError};
use crate::web::state::AppState;

use super::DeskUser;

/// Write `edit` as `user` with the commit `message`, if the changed project passes `check`.
pub async fn save(
    s: &AppState,
    project: &Project,
    user: &DeskUser,
    edit: Edit,
    message: String,
) -> Result<(), EditError> {
    let config = project.config_path.clone();
    let author = user.author();
    let now = s.clock.now_utc();
    tokio::task::spawn_blocking(move || {
        let env = crate::config::Env::from_process();
        crate::project_edit::save(&config, &env, now, &[edit], &author, &message).map(|_| ())
    })
    .await
    .map_err(|e| EditError::Git(format!("the save stopped: {e}")))?
}
