//! The trial: the project's files copied to a scratch folder, the edits applied there, and the
//! copy loaded the way `bulletin check` loads it. The project itself is not touched.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{Edit, EditError, io};
use crate::config::Env;
use crate::diag::Diagnostics;

/// The folders of a project the loader reads (lists' CSV files sit beside their `.toml` under
/// `config/lists`).
const PROJECT_FOLDERS: [&str; 5] = ["config", "campaigns", "news", "templates", "holidays"];

/// Load the project as it would be after `edits`: its warnings, or every error as
/// [`EditError::Check`]. Diagnostics name the project's paths, not the scratch folder's.
pub(super) fn trial(
    root: &Path,
    config_path: &Path,
    env: &Env,
    now: DateTime<Utc>,
    edits: &[Edit],
) -> Result<Diagnostics, EditError> {
    let scratch = Scratch::new()?;
    for folder in PROJECT_FOLDERS {
        let from = root.join(folder);
        if from.is_dir() {
            copy_tree(&from, &scratch.0.join(folder))?;
        }
    }
    for edit in edits {
        let path = scratch.0.join(edit.path.as_path());
        match &edit.contents {
            Some(text) => {
                let dir = path.parent().unwrap_or(&scratch.0);
                std::fs::create_dir_all(dir).map_err(io(dir))?;
                std::fs::write(&path, text).map_err(io(&path))?;
            }
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let abs = std::path::absolute(config_path).unwrap_or_else(|_| config_path.to_path_buf());
    let rel = abs
        .strip_prefix(root)
        .unwrap_or(Path::new("config/bulletin.toml"));
    let loaded = crate::load::load(&scratch.0.join(rel), &env.clone().for_reading(), now);
    let diagnostics = loaded.diagnostics.relative_to(&scratch.0);
    if diagnostics.has_errors() {
        Err(EditError::Check(diagnostics))
    } else {
        Ok(diagnostics)
    }
}

/// A scratch folder under the system's temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, EditError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir =
                std::env::temp_dir().join(format!("bulletin-edit-{}-{n}", std::process::id()));
            // A folder left by a crashed process of the same id is never reused.
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(Scratch(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io(&dir)(e)),
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copy a folder's files and folders (symbolic links followed, `.git` left out).
fn copy_tree(from: &Path, to: &Path) -> Result<(), EditError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let (src, name) = (entry.path(), entry.file_name());
        if name == ".git" {
            continue;
        }
        if src.is_dir() {
            copy_tree(&src, &to.join(&name))?;
        } else {
            std::fs::copy(&src, to.join(&name)).map_err(io(&src))?;
        }
    }
    Ok(())
}
