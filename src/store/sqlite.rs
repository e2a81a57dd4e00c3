//! The SQLite backend: WAL, a busy timeout, and batched commits. WAL with `synchronous = NORMAL`
//! keeps every committed transaction through a crash of the process (kill -9); only a power
//! failure can lose the last few, which the daemon's leases then resend.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{Batch, Dialect, Recorded, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// SQLite has one writer at a time, so nothing is locked by hand; `MIN`/`MAX` of two values
/// are its scalar functions; 999 parameters a statement in older builds: 8 a delivery.
pub(super) const DIALECT: Dialect = Dialect {
    lock_in_order: "",
    skip_locked: "",
    lock_row: "",
    least: "MIN",
    greatest: "MAX",
    delivery_chunk: 500,
};

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    pub path: std::path::PathBuf,
    pub(super) watch: std::sync::Arc<super::watch::Watch>,
}

/// The database and its WAL and shared-memory files, readable by this user only. SQLite creates
/// `-wal` and `-shm` with the database file's mode, so a database created (or tightened) 0600
/// before SQLite opens it keeps all three private whatever the umask.
fn private_files(path: &Path) -> Result<(), StoreError> {
    let io = |e| StoreError::Folder(path.to_path_buf(), e);
    if !path.exists() {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(f) => f
                .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(
                    crate::private::FILE_MODE,
                ))
                .map_err(io)?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        crate::private::tighten(Path::new(&format!("{}{suffix}", path.display()))).map_err(io)?;
    }
    Ok(())
}
super::reach::reach_queries!(SqliteStore);

impl SqliteStore {
    /// Open an existing file for reading only: no migration, no WAL switch, nothing written
    /// (for `check`, which must not change the ledger).
    pub async fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
            watch: Default::default(),
        })
    }

    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private::create_dir_all(dir)
                .map_err(|e| StoreError::Folder(dir.to_path_buf(), e))?;
        }
        let expect = super::identity::before_open(path)?;
        private_files(path)?;
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.clone())
            .await?;
        super::identity::before_migrating(&pool, path, &expect).await?;
        MIGRATOR.run(&pool).await?;
        let unwatched = super::Store::Sqlite(SqliteStore {
            pool: pool.clone(),
            path: path.to_path_buf(),
            watch: Default::default(),
        });
        let place = path.display().to_string();
        let marker = super::identity::marker_path(path);
        let id = super::identity::settle(&unwatched, &place, &marker, expect).await?;
        let anchor = super::watch::FileAnchor::of(path, id)?;
        // From now on a connection the pool opens (to replace one that aged out) must find
        // the ledger, not make an empty file where it was deleted.
        pool.set_connect_options(opts.create_if_missing(false));
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
            watch: std::sync::Arc::new(super::watch::Watch::file(anchor)),
        })
    }
}

/// One UPDATE per outcome in one transaction (SQLite writes are cheap in a batch).
pub(super) async fn record(pool: &SqlitePool, batch: Batch<'_>) -> Result<(), StoreError> {
    let Batch {
        outcomes,
        owner,
        now,
    } = batch;
    // Only rows this sender still holds: $1 id, $2 now, $3 owner, $4 reply, $5 retry time.
    const HELD: &str =
        "id = $1 AND state = 'in_flight' AND substr(lease_owner, 1, length($3)) = $3";
    let mut tx = pool.begin().await?;
    for (id, o) in outcomes {
        let (sql, reply, retry) = match o {
            Recorded::Sent { reply } => (
                format!(
                    "UPDATE deliveries SET state = 'sent', sent_at = $2, last_reply = $4, lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE {HELD}"
                ),
                Some(reply),
                None,
            ),
            Recorded::Deferred { reply, retry_at } => (
                format!(
                    "UPDATE deliveries SET state = 'deferred', next_attempt_at = $5, last_reply = $4, lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE {HELD}"
                ),
                Some(reply),
                Some(*retry_at),
            ),
            Recorded::Failed { reply } => (
                format!(
                    "UPDATE deliveries SET state = 'failed', last_reply = $4, lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE {HELD}"
                ),
                Some(reply),
                None,
            ),
            Recorded::Expired { reply } => (
                format!(
                    "UPDATE deliveries SET state = 'expired', last_reply = $4, lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE {HELD}"
                ),
                Some(reply),
                None,
            ),
            Recorded::Released => (
                format!(
                    "UPDATE deliveries SET state = 'pending', attempts = MAX(attempts - 1, 0), lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE {HELD}"
                ),
                None,
                None,
            ),
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(now)
            .bind(owner);
        if let Some(r) = reply {
            q = q.bind(r);
        }
        if let Some(t) = retry {
            q = q.bind(t);
        }
        q.execute(&mut *tx).await?;
        if let Recorded::Failed { reply } = o {
            sqlx::query(
                "INSERT INTO events (at, issue_id, delivery_id, kind, detail)
                 SELECT $1, issue_id, id, 'failed', $3 FROM deliveries WHERE id = $2",
            )
            .bind(now)
            .bind(id)
            .bind(reply)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
