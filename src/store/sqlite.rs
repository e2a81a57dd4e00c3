//! The SQLite backend: WAL, a busy timeout, and batched commits. WAL with `synchronous = NORMAL`
//! keeps every committed transaction through a crash of the process (kill -9); only a power
//! failure can lose the last few, which the daemon's leases then resend.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::columns::Columns;
use super::{Batch, DeliveryState, Dialect, OpenMode, Recorded, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// SQLite has one writer at a time, so nothing is locked by hand; `MIN`/`MAX` of two values
/// are its scalar functions.
pub(super) const DIALECT: Dialect = Dialect {
    lock_in_order: "",
    skip_locked: "",
    lock_row: "",
    least: "MIN",
    greatest: "MAX",
    json_rows: "(SELECT value AS r FROM json_each($1))",
    begin_write: "BEGIN IMMEDIATE",
};

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    pub path: std::path::PathBuf,
    pub(super) ledger: super::LedgerId,
    pub(super) watch: std::sync::Arc<super::watch::Watch>,
}

/// The database and its WAL and shared-memory files, readable by this user only. SQLite creates
/// `-wal` and `-shm` with the database file's mode, so a database created (or tightened) 0600
/// before SQLite opens it keeps all three private whatever the umask.
fn private_files(path: &Path) -> Result<(), StoreError> {
    let io = |e| StoreError::Folder(path.to_path_buf(), e);
    for suffix in ["", "-wal", "-shm"] {
        crate::private::tighten(Path::new(&format!("{}{suffix}", path.display()))).map_err(io)?;
    }
    Ok(())
}

/// No file at `path`: the ledger is missing, or (its marker left behind) was deleted.
fn refuse_missing(path: &Path) -> Result<(), StoreError> {
    if path.exists() {
        return Ok(());
    }
    super::identity::before_open(path)?;
    Err(StoreError::NoLedger(format!("sqlite://{}", path.display())))
}

/// Make a new ledger at `path` whole or not at all: its schema and id are built in a private
/// file beside it (its WAL checkpointed into it, so the file alone is whole), synced, then
/// linked into place. A command or another daemon starting at the same moment sees no file or
/// the finished ledger, never an empty or half-migrated one (which it would refuse as
/// truncated, or migrate a second time). Linking, unlike renaming, never replaces: when
/// another process put its new ledger there first, that one is used and this one dropped.
async fn create_atomically(path: &Path) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    // Unique to this opening, even beside another in the same process.
    static OPENING: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = OPENING.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.new-{}-{n}", std::process::id()));
    let r = build_and_link(&tmp, path, dir).await;
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    r
}

async fn build_and_link(tmp: &Path, path: &Path, dir: &Path) -> Result<(), StoreError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| StoreError::Folder(p, e)
    };
    crate::private::create_file(tmp).map_err(io(tmp))?;
    // Made in WAL mode, which the file keeps: the daemon's first open then finds it set and
    // needs no switch. A switch takes an exclusive lock that a command reading the new ledger
    // at that instant can refuse without the busy timeout being waited ("database is locked").
    // The checkpoint after building puts everything in the file itself, so the link below
    // carries it all whether or not closing the pool removes the WAL.
    let opts = SqliteConnectOptions::from_str("sqlite://")?
        .filename(tmp)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await?;
    let built = async {
        MIGRATOR.run(&pool).await?;
        let unwatched = super::Store::Sqlite(SqliteStore {
            pool: pool.clone(),
            path: tmp.to_path_buf(),
            ledger: super::LedgerId::new(""),
            watch: Default::default(),
        });
        super::identity::mark_new(&unwatched).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await?;
        Ok::<_, StoreError>(())
    }
    .await;
    pool.close().await;
    built?;
    std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(tmp))?;
    match std::fs::hard_link(tmp, path) {
        Ok(()) => {}
        // Another process made it first: theirs is the ledger.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        // A file system without hard links: rename, which could only replace a ledger made
        // in the last instant.
        Err(_) if !path.exists() => std::fs::rename(tmp, path).map_err(io(path))?,
        Err(e) => return Err(io(path)(e)),
    }
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(dir))
}

super::reach::reach_queries!(SqliteStore);

impl SqliteStore {
    /// Open an existing file for reading only: no migration, no WAL switch, nothing written
    /// (for `check`, which must not change the ledger).
    pub async fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        refuse_missing(path)?;
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        Ok(SqliteStore::reading(pool, path))
    }

    /// A store over a pool opened to read, its ledger id not yet known.
    pub(super) fn reading(pool: SqlitePool, path: &Path) -> Self {
        SqliteStore {
            pool,
            path: path.to_path_buf(),
            ledger: super::LedgerId::new(""),
            watch: Default::default(),
        }
    }

    /// Open the ledger at `path`, migrating it; with [`OpenMode::CreateIfMissing`], create it
    /// (and its folder) when there is none.
    pub async fn open(path: &Path, mode: OpenMode) -> Result<Self, StoreError> {
        if mode == OpenMode::Existing {
            refuse_missing(path)?;
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private::create_dir_all(dir)
                .map_err(|e| StoreError::Folder(dir.to_path_buf(), e))?;
        }
        let mut expect = super::identity::before_open(path)?;
        if expect == super::identity::Expect::Fresh {
            create_atomically(path).await?;
            // Made whole a moment ago (here or by another process): marked from its own id.
            expect = super::identity::Expect::Adopt;
        }
        private_files(path)?;
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("mmap_size", "268435456");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        super::identity::before_migrating(&pool, path, &expect).await?;
        MIGRATOR.run(&pool).await?;
        let unwatched = super::Store::Sqlite(SqliteStore {
            pool: pool.clone(),
            path: path.to_path_buf(),
            ledger: super::LedgerId::new(""),
            watch: Default::default(),
        });
        let place = path.display().to_string();
        let marker = super::identity::marker_path(path);
        let id = super::identity::settle(&unwatched, &place, &marker, expect).await?;
        let ledger = super::LedgerId::new(id.clone());
        let anchor = super::watch::FileAnchor::of(path, id)?;
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
            ledger,
            watch: std::sync::Arc::new(super::watch::Watch::file(anchor)),
        })
    }
}

/// One UPDATE for the whole batch, its rows from one JSON parameter (`json_each`), as
/// PostgreSQL's does it with UNNEST. Why not one statement per outcome: each statement is a
/// round trip to the connection's worker thread (two thread wake-ups), which cost more than
/// the writes themselves when a fast relay confirms thousands of messages a second. The `+`
/// keeps the state's index out of the plan: the rows are found by id from the JSON (a lookup
/// each), not by scanning every delivery in flight for each of them.
pub(super) async fn record(pool: &SqlitePool, batch: Batch<'_>) -> Result<(), StoreError> {
    let Batch {
        outcomes,
        owner,
        now,
    } = batch;
    let c = Columns::of(outcomes);
    let rows: Vec<_> = (0..c.ids.len())
        .map(|i| (c.ids[i], c.states[i], c.replies[i], c.retries[i]))
        .collect();
    // Numbers, text and nulls: serialising them cannot fail.
    let rows = serde_json::to_string(&rows).expect("plain values serialise");
    let mut tx = pool.begin_with(DIALECT.begin_write).await?;
    sqlx::query(
        "UPDATE deliveries AS d SET
                state = u.state,
                sent_at = CASE WHEN u.state = $4 THEN $2 ELSE d.sent_at END,
                next_attempt_at = CASE WHEN u.state = $5 THEN u.retry_at ELSE d.next_attempt_at END,
                last_reply = CASE WHEN u.state = $6 THEN d.last_reply ELSE u.reply END,
                attempts = CASE WHEN u.state = $6 THEN MAX(d.attempts - 1, 0) ELSE d.attempts END,
                lease_owner = NULL, lease_until = NULL, updated_at = $2
           FROM (SELECT value ->> 0 AS id, value ->> 1 AS state, value ->> 2 AS reply,
                        value ->> 3 AS retry_at
                   FROM json_each($1)) AS u
          WHERE d.id = u.id AND +d.state = $7
            AND substr(d.lease_owner, 1, length($3)) = $3",
    )
    .bind(&rows)
    .bind(now)
    .bind(owner)
    .bind(DeliveryState::Sent.as_str())
    .bind(DeliveryState::Deferred.as_str())
    .bind(DeliveryState::Pending.as_str())
    .bind(DeliveryState::InFlight.as_str())
    .execute(&mut *tx)
    .await?;
    let failed: Vec<(i64, &str)> = outcomes
        .iter()
        .filter_map(|(id, o)| match o {
            Recorded::Failed { reply } => Some((*id, reply.as_str())),
            _ => None,
        })
        .collect();
    if !failed.is_empty() {
        let failed = serde_json::to_string(&failed).expect("plain values serialise");
        sqlx::query(
            "INSERT INTO events (at, issue_id, delivery_id, kind, detail)
             SELECT $1, d.issue_id, d.id, 'failed', u.value ->> 1
               FROM json_each($2) AS u
               JOIN deliveries d ON d.id = u.value ->> 0
              ORDER BY u.key",
        )
        .bind(now)
        .bind(&failed)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command reading a ledger the daemon has just made must not stop the daemon opening
    /// it: the daemon's first open must need no lock that a reader can refuse.
    #[tokio::test]
    async fn a_new_ledger_opens_while_a_command_is_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bulletin.db");
        create_atomically(&path).await.unwrap();
        let reader = SqliteStore::open_read_only(&path).await.unwrap();
        let mut reading = reader.pool.begin().await.unwrap();
        sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&mut *reading)
            .await
            .unwrap();
        let opened = tokio::time::timeout(
            Duration::from_secs(5),
            SqliteStore::open(&path, OpenMode::Existing),
        )
        .await;
        assert!(
            matches!(opened, Ok(Ok(_))),
            "the daemon could not open a new ledger while it was being read: {:?}",
            opened.map(|r| r.err())
        );
        reading.rollback().await.unwrap();
    }
}
