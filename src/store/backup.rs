//! Backing up and restoring a SQLite ledger. A copy of the database file alone is not the
//! ledger: recent writes sit in its write-ahead log, and a copy taken without it is older (or
//! empty) and would be refused. `bulletin backup` takes a consistent snapshot of the running
//! ledger (`VACUUM INTO`, one self-contained file) together with its id marker, and
//! `bulletin restore` puts such a snapshot back, after checking it, keeping whatever was in
//! its place.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use super::identity::{LedgerId, marker_path};
use super::{Store, StoreError};

/// Why a backup or a restore did not happen. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists already; a backup never overwrites a file\n  hint: name a new file")]
    Exists(PathBuf),
    #[error(
        "{file} has no id marker beside it ({marker}), so it cannot be checked as this ledger's backup\n  hint: restore a backup made by `bulletin backup`, which writes both files"
    )]
    NoMarker { file: PathBuf, marker: PathBuf },
    #[error(
        "{file} is not a bulletin ledger: {why}\n  hint: name a file made by `bulletin backup`"
    )]
    NotLedger { file: PathBuf, why: String },
    #[error(
        "{file} holds ledger {found}, but its marker {marker} says {expected}: they do not belong together\n  hint: restore a backup and the marker written with it by `bulletin backup`"
    )]
    Mismatch {
        file: PathBuf,
        marker: PathBuf,
        found: String,
        expected: String,
    },
    #[error("cannot read or write {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io(p: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let p = p.to_path_buf();
    move |e| BackupError::Io(p, e)
}

fn dir_of(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Write a consistent snapshot of the open SQLite ledger to `dest` (0600), and its id to
/// `dest.ledger-id`; the marker first, so `dest` never exists without it. Safe while the
/// daemon writes: `VACUUM INTO` reads one transaction's view, WAL included.
pub async fn snapshot(store: &Store, dest: &Path) -> Result<LedgerId, BackupError> {
    let Store::Sqlite(s) = store else {
        unreachable!("snapshot is for SQLite ledgers; PostgreSQL has pg_dump")
    };
    if dest.exists() {
        return Err(BackupError::Exists(dest.to_path_buf()));
    }
    let dir = dir_of(dest);
    crate::private::create_dir_all(dir).map_err(io(dir))?;
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.partial-{}", std::process::id()));
    let made = async {
        // Empty and private: VACUUM INTO fills an empty file, keeping its mode.
        drop(crate::private::create_file(&tmp).map_err(io(&tmp))?);
        sqlx::query("VACUUM INTO $1")
            .bind(tmp.to_string_lossy().into_owned())
            .execute(&s.pool)
            .await
            .map_err(StoreError::from)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&tmp))?;
        let id = check(&tmp).await?;
        if id != s.ledger {
            return Err(BackupError::Mismatch {
                file: tmp.clone(),
                marker: marker_path(dest),
                found: id.as_str().to_string(),
                expected: s.ledger.as_str().to_string(),
            });
        }
        let marker = marker_path(dest);
        crate::private::write_atomically(&marker, format!("{}\n", id.as_str()).as_bytes())
            .map_err(io(&marker))?;
        if dest.exists() {
            return Err(BackupError::Exists(dest.to_path_buf()));
        }
        std::fs::rename(&tmp, dest).map_err(io(dest))?;
        std::fs::File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(io(dir))?;
        Ok(id)
    }
    .await;
    if made.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    made
}

/// The ledger id a SQLite file holds, after checking it is a whole bulletin ledger (SQLite's
/// quick check, bulletin's migrations, an id). Opened read-only.
async fn check(file: &Path) -> Result<LedgerId, BackupError> {
    let not = |why: String| BackupError::NotLedger {
        file: file.to_path_buf(),
        why,
    };
    let mut header = [0u8; 16];
    let read =
        std::fs::File::open(file).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header));
    if read.is_err() || &header != b"SQLite format 3\0" {
        return Err(not("not a SQLite database".into()));
    }
    let opts = SqliteConnectOptions::from_str("sqlite://")
        .map_err(StoreError::from)?
        .filename(file)
        .read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .map_err(StoreError::from)?;
    let checked = async {
        let ok: String = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_one(&pool)
            .await
            .map_err(StoreError::from)?;
        if ok != "ok" {
            return Err(not(format!("it is damaged ({ok})")));
        }
        let migrated: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_one(&pool)
        .await
        .map_err(StoreError::from)?;
        if migrated == 0 {
            return Err(not("it has none of bulletin's tables".into()));
        }
        let store = super::Store::Sqlite(super::SqliteStore::reading(pool.clone(), file));
        super::identity::stored_id(&store)
            .await?
            .ok_or_else(|| not("it holds no ledger id".into()))
    }
    .await;
    pool.close().await;
    checked
}

/// Check that `file` is a bulletin ledger whose id its marker `file.ledger-id` names.
pub async fn verify(file: &Path) -> Result<LedgerId, BackupError> {
    let marker = marker_path(file);
    let Some(expected) = super::identity::read_marker(&marker).map_err(|e| match e {
        super::identity::IdentityError::Io(p, e) => BackupError::Io(p, e),
        other => BackupError::Io(marker.clone(), std::io::Error::other(other.to_string())),
    })?
    else {
        return Err(BackupError::NoMarker {
            file: file.to_path_buf(),
            marker,
        });
    };
    let found = check(file).await?;
    if found.as_str() != expected {
        return Err(BackupError::Mismatch {
            file: file.to_path_buf(),
            marker,
            found: found.as_str().to_string(),
            expected,
        });
    }
    Ok(found)
}

/// Put the checked backup `file` in place as the ledger `db`, with its marker: copied beside
/// `db` and checked again there, then whatever is at `db` (with its WAL, shared memory and
/// marker) moved aside to `db.before-restore-<stamp>` — never deleted — then the marker and
/// the copy renamed into place. The caller holds the ledger's sender lock. Returns the name
/// the previous ledger was moved to, if there was one.
pub async fn put_in_place(
    db: &Path,
    file: &Path,
    stamp: &str,
) -> Result<Option<PathBuf>, BackupError> {
    let id = verify(file).await?;
    let dir = dir_of(db);
    crate::private::create_dir_all(dir).map_err(io(dir))?;
    let name = db.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.restore-{}", std::process::id()));
    let copied = async {
        let mut to = crate::private::create_file(&tmp).map_err(io(&tmp))?;
        let mut from = std::fs::File::open(file).map_err(io(file))?;
        std::io::copy(&mut from, &mut to).map_err(io(&tmp))?;
        to.sync_all().map_err(io(&tmp))?;
        drop(to);
        // What lands is what was checked.
        let found = check(&tmp).await?;
        if found != id {
            return Err(BackupError::Mismatch {
                file: tmp.clone(),
                marker: marker_path(file),
                found: found.as_str().to_string(),
                expected: id.as_str().to_string(),
            });
        }
        Ok(())
    }
    .await;
    if let Err(e) = copied {
        for s in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{s}", tmp.display()));
        }
        return Err(e);
    }
    let aside = if db.exists() || marker_path(db).exists() {
        let mut aside = PathBuf::from(format!("{}.before-restore-{stamp}", db.display()));
        let mut n = 1;
        while aside.exists() || marker_path(&aside).exists() {
            n += 1;
            aside = PathBuf::from(format!("{}.before-restore-{stamp}-{n}", db.display()));
        }
        for s in ["", "-wal", "-shm", "-journal"] {
            let (from, to) = (
                PathBuf::from(format!("{}{s}", db.display())),
                PathBuf::from(format!("{}{s}", aside.display())),
            );
            if from.exists() {
                std::fs::rename(&from, &to).map_err(io(&from))?;
            }
        }
        let m = marker_path(db);
        if m.exists() {
            std::fs::rename(&m, marker_path(&aside)).map_err(io(&m))?;
        }
        Some(aside)
    } else {
        None
    };
    let marker = marker_path(db);
    crate::private::write_atomically(&marker, format!("{}\n", id.as_str()).as_bytes())
        .map_err(io(&marker))?;
    std::fs::rename(&tmp, db).map_err(io(db))?;
    for s in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", tmp.display()));
    }
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(dir))?;
    Ok(aside)
}
