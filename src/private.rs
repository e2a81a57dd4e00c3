//! Files and folders that only the daemon's own user may read: the ledger, the outbox, the local
//! unsubscribe secret. Modes are set explicitly after creation, so a permissive `umask` (or a
//! service manager's default of 0022) never leaves subscriber data readable by other users.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of folders we create.
pub const DIR_MODE: u32 = 0o700;
/// Mode of files we create.
pub const FILE_MODE: u32 = 0o600;

/// Create `dir` and any missing parents, each created one 0700. Folders that already exist are
/// left as they are: they belong to the operator.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut p = Some(dir);
    while let Some(d) = p {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        p = d.parent();
    }
    for d in missing.iter().rev() {
        match DirBuilder::new().mode(DIR_MODE).create(d) {
            Ok(()) => std::fs::set_permissions(d, Permissions::from_mode(DIR_MODE))?,
            // Someone else made it meanwhile: theirs, not ours to change.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Remove group and other permissions from a file we own (one an older version, or SQLite
/// following the umask, created readable by others). A missing file is fine.
pub fn tighten(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o077 != 0 => {
            let mode = m.permissions().mode() & 0o700;
            std::fs::set_permissions(path, Permissions::from_mode(mode))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Create (or truncate) `path` as a 0600 file open for writing.
pub fn create_file(path: &Path) -> io::Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)?;
    f.set_permissions(Permissions::from_mode(FILE_MODE))?;
    Ok(f)
}

/// Write `bytes` to `path` all or nothing: into a 0600 temporary file beside it, flushed and
/// synced, renamed into place, and the folder synced so the rename survives a power cut. Any
/// error (a full disk, a quota, an I/O error) is returned and no partial file is left behind
/// under either name.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let r = (|| {
        let mut f = create_file(&tmp)?;
        f.write_all(bytes)?;
        f.flush()?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_folders_and_files_are_private_and_existing_folders_are_left_alone() {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), Permissions::from_mode(0o755)).unwrap();
        let deep = root.path().join("a/b");
        create_dir_all(&deep).unwrap();
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&deep), 0o700);
        assert_eq!(mode(root.path()), 0o755, "not ours to change");
        let f = deep.join("x.eml");
        write_atomically(&f, b"hello").unwrap();
        assert_eq!(mode(&f), 0o600);
        assert_eq!(std::fs::read(&f).unwrap(), b"hello");
        let left: Vec<_> = std::fs::read_dir(&deep).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "no temporary file left");
    }

    #[test]
    fn tighten_removes_group_and_other_bits() {
        let root = tempfile::tempdir().unwrap();
        let f = root.path().join("db");
        std::fs::write(&f, b"x").unwrap();
        std::fs::set_permissions(&f, Permissions::from_mode(0o644)).unwrap();
        tighten(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        tighten(&root.path().join("missing")).unwrap();
    }
}
