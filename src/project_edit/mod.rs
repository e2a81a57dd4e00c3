//! Changing the project's files from a program (the desk, a sign-up accepted by an admin) the
//! way a careful person would: the change is tried on a copy of the project first and refused
//! when the copy fails the same loader and `check` the command line runs; a file changed by
//! somebody else since it was opened is never overwritten (the newer edit is kept aside, so no
//! edit is lost); each file is replaced all or nothing; and when the project is a git work
//! tree, the change is one commit authored by the person who made it.
//!
//! The files stay the single truth: nothing here keeps content anywhere else.

mod git;
mod stage;

use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::address::EmailAddress;
use crate::config::Env;
use crate::diag::Diagnostics;

pub use git::{Commit, history};

/// What a file held when somebody opened it: a hash of its bytes, or that it did not exist.
/// The desk carries it in a hidden form field and hands it back with the save.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

const ABSENT: &str = "absent";

impl Version {
    /// The version of these bytes.
    pub fn of(bytes: &[u8]) -> Version {
        let digest = Sha256::digest(bytes);
        Version(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The version of a file that does not exist (a new file must still not exist when saved).
    pub fn absent() -> Version {
        Version(ABSENT.to_string())
    }

    /// The file's version now.
    pub fn of_file(path: &Path) -> std::io::Result<Version> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Version::of(&bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Version::absent()),
            Err(e) => Err(e),
        }
    }

    /// The text a form carries; [`Version::parse`] reads it back.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A version a form sent back: 64 hex digits or `absent`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Version> {
        let ok = s == ABSENT || (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()));
        ok.then(|| Version(s.to_ascii_lowercase()))
    }
}

/// A path inside the project, relative to its root, without `..` or a leading `/`: an edit can
/// only ever name a file of the project.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProjectPath(PathBuf);

impl ProjectPath {
    pub fn new(path: impl Into<PathBuf>) -> Result<ProjectPath, EditError> {
        let path = path.into();
        let plain = !path.as_os_str().is_empty()
            && path.components().all(|c| matches!(c, Component::Normal(_)));
        if plain {
            Ok(ProjectPath(path))
        } else {
            Err(EditError::BadPath(path))
        }
    }

    pub fn as_path(&self) -> &Path {
        &self.0
    }
}

impl std::fmt::Display for ProjectPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.display())
    }
}

/// One file's new contents (`None` removes it), and the version it had when the person opened
/// it.
#[derive(Debug, Clone)]
pub struct Edit {
    pub path: ProjectPath,
    pub contents: Option<String>,
    pub base: Version,
}

/// Who made a change: the commit's author, and the name in messages.
#[derive(Debug, Clone)]
pub struct Author {
    pub name: String,
    pub email: EmailAddress,
}

/// A change that was written.
#[derive(Debug, Clone)]
pub struct Saved {
    /// Each edited file's version now.
    pub versions: Vec<(ProjectPath, Version)>,
    /// The commit, when the project is a git work tree.
    pub commit: Option<String>,
    /// The warnings `check` gave the changed project (a save is refused only for errors).
    pub warnings: Diagnostics,
}

/// Why a change was not written. In every case the project's files are as they were.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{0} is not a file inside the project")]
    BadPath(PathBuf),
    /// Somebody saved the file after this person opened it. Their edit is kept at `kept`
    /// (relative to the project root), so neither version is lost.
    #[error("{path} was changed since you opened it; your version is kept in {kept}")]
    Conflict { path: ProjectPath, kept: PathBuf },
    /// The changed project would fail `check`; paths in the diagnostics are the project's.
    #[error("the change would make `bulletin check` fail with {} error(s)", .0.error_count())]
    Check(Diagnostics),
    #[error("could not write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("git: {0}")]
    Git(String),
}

/// One change at a time in this process: the version check, the trial and the write happen as
/// one step, so two saves of one file cannot both pass the check.
static SAVING: Mutex<()> = Mutex::new(());

/// Apply `edits` to the project whose settings are `config_path`, as one change described by
/// `message`, if it passes `check`. `now` is what the loader takes as today.
pub fn save(
    config_path: &Path,
    env: &Env,
    now: DateTime<Utc>,
    edits: &[Edit],
    author: &Author,
    message: &str,
) -> Result<Saved, EditError> {
    let _one = SAVING.lock().unwrap_or_else(|p| p.into_inner());
    let root = crate::config::root_of(config_path);
    for edit in edits {
        let path = root.join(edit.path.as_path());
        let now_version = Version::of_file(&path).map_err(io(&path))?;
        if now_version != edit.base {
            let kept = keep_aside(&root, edit, author, now)?;
            return Err(EditError::Conflict {
                path: edit.path.clone(),
                kept,
            });
        }
    }
    let warnings = stage::trial(&root, config_path, env, now, edits)?;
    let mut versions = Vec::new();
    for edit in edits {
        let path = root.join(edit.path.as_path());
        match &edit.contents {
            Some(text) => write_file(&path, text.as_bytes())?,
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&path)(e)),
                _ => {}
            },
        }
        let v = Version::of_file(&path).map_err(io(&path))?;
        versions.push((edit.path.clone(), v));
    }
    let paths: Vec<&ProjectPath> = edits.iter().map(|e| &e.path).collect();
    let commit = git::commit(&root, &paths, author, message)?;
    Ok(Saved {
        versions,
        commit,
        warnings,
    })
}

/// The later edit of a conflict, under `.desk/conflicts/` (a folder the loader never reads),
/// named for when, who and which file.
fn keep_aside(
    root: &Path,
    edit: &Edit,
    author: &Author,
    now: DateTime<Utc>,
) -> Result<PathBuf, EditError> {
    let flat = edit.path.to_string().replace(['/', '\\'], "__");
    let who = author.email.as_str().replace(['@', '.'], "-");
    let rel = PathBuf::from(".desk/conflicts")
        .join(format!("{}-{who}-{flat}", now.format("%Y%m%dT%H%M%SZ")));
    let path = root.join(&rel);
    let dir = path.parent().unwrap_or(root);
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let text = edit
        .contents
        .as_deref()
        .unwrap_or("(the file was to be removed)\n");
    write_file(&path, text.as_bytes())?;
    Ok(rel)
}

/// Replace `path` all or nothing (a temporary file beside it, synced, renamed into place), with
/// the permissions a person's editor would give it: the old file's, or 0644 for a new one.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), EditError> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o777);
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.desk-tmp", std::process::id()));
    let r = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r.map_err(io(path))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> EditError + '_ {
    move |source| EditError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_path_never_leaves_the_project() {
        assert!(ProjectPath::new("news/2027-01-item.md").is_ok());
        for bad in ["../etc/passwd", "/etc/passwd", "news/../../x", "", "./news"] {
            assert!(ProjectPath::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_version_reads_back_only_what_it_wrote() {
        let v = Version::of(b"hello");
        assert_eq!(Version::parse(v.as_str()), Some(v));
        assert_eq!(Version::parse("absent"), Some(Version::absent()));
        assert_eq!(Version::parse("abc"), None);
        assert_ne!(Version::of(b"a"), Version::of(b"b"));
    }
}
