//! Reading the project's files defensively: only regular files (a FIFO would hang us, a link to
//! `/dev/zero` would never end), never more than a size cap, and the `news/` folder walked
//! once per real folder (a symlink loop must not multiply items). Every refusal is a
//! diagnostic at the file's path, so `check` reports it with the rest.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Position};

/// The largest news item, standing block, list or campaign file read: real ones are a few KB.
pub const TEXT_CAP: u64 = 1024 * 1024;

/// The largest members CSV read (a spreadsheet of tens of thousands of people).
pub const CSV_CAP: u64 = 32 * 1024 * 1024;

/// What kind of non-regular file `meta` describes, for messages.
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("this is {0}, not a regular file: it was not opened")]
    Special(&'static str),
    #[error("the file is larger than {}", size_text(*.0))]
    TooLarge(u64),
    /// Valid UTF-8 up to this byte offset.
    #[error("the file is not valid UTF-8")]
    NotUtf8 { valid: String },
}

impl ReadError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ReadError::Io(_) => None,
            ReadError::Special(_) => {
                Some("only plain files are read: replace it with the file itself")
            }
            ReadError::TooLarge(_) => {
                Some("split it, or move what is not needed out of the project")
            }
            ReadError::NotUtf8 { .. } => Some("save it as UTF-8 (spreadsheets: \"CSV UTF-8\")"),
        }
    }

    /// As a diagnostic at `path`.
    pub fn diagnostic(&self, path: &Path) -> Diagnostic {
        let pos = match self {
            ReadError::NotUtf8 { valid } => Position::at(valid, valid.len()),
            _ => Position::START,
        };
        let d = Diagnostic::error(path, pos, self.to_string());
        match self.hint() {
            Some(h) => d.with_hint(h),
            None => d,
        }
    }
}

/// The text of a regular file of at most `cap` bytes. Checked by its metadata before it is
/// opened (so a FIFO or device is never opened), and read through a `cap + 1` limit (so a file
/// that grows, or lies about its size, still cannot exhaust memory).
pub fn read_text(path: &Path, cap: u64) -> Result<String, ReadError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadError::Special(special_kind(&meta)));
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge(cap));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)?
        .take(cap + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge(cap));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        ReadError::NotUtf8 {
            valid: String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned(),
        }
    })
}

/// `read_text`, reporting a failure to `diags`.
pub fn read_reported(path: &Path, cap: u64, diags: &mut Diagnostics) -> Option<String> {
    match read_text(path, cap) {
        Ok(s) => Some(s),
        Err(e) => {
            diags.push(e.diagnostic(path));
            None
        }
    }
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Whether `folder` is read for the first time (a symlink loop or a second link to one folder
/// is reported, as is a folder that cannot be resolved).
fn first_visit(folder: &Path, seen: &mut BTreeSet<PathBuf>, diags: &mut Diagnostics) -> bool {
    match std::fs::canonicalize(folder) {
        Ok(real) => {
            if !seen.insert(real.clone()) {
                diags.push(
                    Diagnostic::error(
                        folder,
                        Position::START,
                        format!(
                            "this folder is {} again, already read: a symlink loop, or a second link to one folder",
                            real.display()
                        ),
                    )
                    .with_hint("remove the link, so each news item is read once"),
                );
                return false;
            }
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                folder,
                Position::START,
                format!("cannot resolve the folder: {e}"),
            ));
            return false;
        }
    }
    true
}

/// The `.md` files under `dir` (a missing folder has none), sorted. Each real folder is read
/// once, however many links lead to it; an unreadable folder, a link that cannot be followed
/// and a special file are errors; any other file is a warning (it would be ignored), except
/// dotfiles such as `.gitkeep`.
pub fn markdown_tree(dir: &Path, diags: &mut Diagnostics) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(folder) = todo.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(e) => e,
            Err(e) if folder == dir && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                diags.push(
                    Diagnostic::error(&folder, Position::START, format!("cannot read the folder: {e}"))
                        .with_hint("make it a readable folder (or a link to one) for the user bulletin runs as"),
                );
                continue;
            }
        };
        if !first_visit(&folder, &mut seen, diags) {
            continue;
        }
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    diags.push(Diagnostic::error(
                        &folder,
                        Position::START,
                        format!("cannot list the folder: {e}"),
                    ));
                    break;
                }
            };
            let p = entry.path();
            if is_hidden(&p) {
                continue;
            }
            let meta = match std::fs::metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    diags.push(
                        Diagnostic::error(&p, Position::START, format!("cannot read: {e}"))
                            .with_hint("a link that leads nowhere or to itself: fix or remove it"),
                    );
                    continue;
                }
            };
            if meta.is_dir() {
                todo.push(p);
            } else if !meta.is_file() {
                diags.push(ReadError::Special(special_kind(&meta)).diagnostic(&p));
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            } else {
                diags.push(
                    Diagnostic::warning(
                        &p,
                        Position::START,
                        "not a news item: only `.md` files in news/ are read",
                    )
                    .with_hint("rename it to end in .md, or move it out of news/"),
                );
            }
        }
    }
    out.sort();
    out
}
