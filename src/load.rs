//! Loading a project: `config` reads and checks the files, then the calendar checks what only
//! expanding the campaigns reveals. Every command, the daemon's reloads and the web preview
//! load through here, so all of them see the same diagnostics and refuse the same projects.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::config::{Env, Loaded};

/// Load and validate the project whose settings are at `config_path`; `now` decides which
/// news windows have passed. The project is `None` when any check found an error. What news
/// items say about dates is checked against the issues that carry them (warnings only).
pub fn load(config_path: &Path, env: &Env, now: DateTime<Utc>) -> Loaded {
    let mut loaded = crate::config::load_with(config_path, env, now, crate::calendar::lint);
    if let Some(p) = loaded.project.as_ref().or(loaded.partial.as_ref()) {
        let mut diagnostics = std::mem::take(&mut loaded.diagnostics);
        diagnostics.extend(crate::news_dates::warnings(p));
        loaded.diagnostics = diagnostics.sorted();
    }
    loaded
}
