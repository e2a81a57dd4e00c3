//! One sender per SQLite database: an exclusive lock on `<database>.lock`, held for the life of
//! the process and released by the kernel however it ends (even kill -9), so a second daemon (or
//! a `send` beside a running daemon) is refused with a message that names the file.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Held while this process may send from the database.
#[derive(Debug)]
pub struct SenderLock {
    _file: File,
    pub path: PathBuf,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another bulletin process{pid} is already sending from {db}; only one may use a SQLite database at a time (stop it first, or use PostgreSQL to run several)"
    )]
    Held { db: PathBuf, pid: String },
    #[error("cannot open the lock file {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

impl SenderLock {
    /// Take the lock for the SQLite database at `db`.
    pub fn acquire(db: &Path) -> Result<SenderLock, LockError> {
        let path = PathBuf::from(format!("{}.lock", db.display()));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private::create_dir_all(dir).map_err(|e| LockError::Io(path.clone(), e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(crate::private::FILE_MODE)
            .open(&path)
            .map_err(|e| LockError::Io(path.clone(), e))?;
        crate::private::tighten(&path).map_err(|e| LockError::Io(path.clone(), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let pid = holder.trim();
                return Err(LockError::Held {
                    db: db.to_path_buf(),
                    pid: if pid.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {pid})")
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(LockError::Io(path, e)),
        }
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        let _ = file.flush();
        Ok(SenderLock { _file: file, path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("bulletin.db");
        let first = SenderLock::acquire(&db).unwrap();
        let err = SenderLock::acquire(&db).unwrap_err().to_string();
        assert!(err.contains("bulletin.db"), "{err}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        assert!(
            SenderLock::acquire(&db).is_ok(),
            "released when the holder ends"
        );
    }
}
