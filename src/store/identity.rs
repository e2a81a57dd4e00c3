//! Which ledger a database is meant to be. When a ledger is first created it gets a random
//! id, kept inside it (`daemon_state`, key `ledger.id`) and in a marker file: beside a SQLite
//! file (`<database>.ledger-id`), in the project's `data/` folder for PostgreSQL (see
//! [`crate::config::DatabaseUrl`]). A ledger that was truncated, deleted, dropped and created
//! again, or swapped for another is then refused with what happened and how to proceed,
//! instead of being silently recreated: a fresh ledger forgets every unsubscribe and sends the
//! current issue to everyone again.
//!
//! Bounce return paths are signed for the ledger's id ([`LedgerId`]), so a bounce of one ledger
//! never acts in another that shares the unsubscribe secret.

use std::io::Read;
use std::path::{Path, PathBuf};

use sqlx::{Row, SqlitePool};

/// The `daemon_state` key holding the ledger's id.
pub(super) const ID_KEY: &str = "ledger.id";
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The id a ledger was given when it was created (128 random bits as hex). Bounce return
/// paths are signed for it, so a bounce of one ledger never acts in another that happens to
/// share the unsubscribe secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerId(String);

impl LedgerId {
    pub fn new(id: impl Into<String>) -> Self {
        LedgerId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The ledger's id as stored, if it has one (a ledger made before ids were kept has none).
pub(super) async fn stored_id(store: &super::Store) -> Result<Option<LedgerId>, super::StoreError> {
    Ok(store.get_state(ID_KEY).await?.map(LedgerId))
}

/// The marker file of the SQLite database at `db`.
pub fn marker_path(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.ledger-id", db.display()))
}

/// Why a database file is not the ledger this project expects.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "{db} is missing, but {marker} says ledger {id} was created there; without it every unsubscribe is forgotten and issues already sent would go to everyone again\n  hint: put a backup made by `bulletin backup` in place with `bulletin restore FILE`"
    )]
    Missing {
        db: PathBuf,
        marker: PathBuf,
        id: String,
    },
    #[error(
        "{db} is empty (0 bytes), but it held ledger {id} ({marker}): it was truncated; starting afresh would forget every unsubscribe and send issues again\n  hint: put a backup made by `bulletin backup` in place with `bulletin restore FILE` (the damaged file is kept aside)"
    )]
    Truncated {
        db: PathBuf,
        marker: PathBuf,
        id: String,
    },
    #[error(
        "{db} is empty (0 bytes), which no ledger is; if it was one, it was truncated and starting afresh would forget every unsubscribe\n  hint: put a backup made by `bulletin backup` in place with `bulletin restore FILE`; if this is a new installation whose first start was interrupted, remove {db}"
    )]
    Empty { db: PathBuf },
    #[error(
        "{db} is not a SQLite database\n  hint: [database] url must name bulletin's ledger: point it at the right file, or put a backup in place with `bulletin restore FILE`"
    )]
    NotSqlite { db: PathBuf },
    #[error(
        "{db} is another program's {kind} database (tables: {tables}), not a bulletin ledger; bulletin will not add its tables to it\n  hint: point [database] url at bulletin's own"
    )]
    Foreign {
        db: String,
        kind: &'static str,
        tables: String,
    },
    #[error(
        "the PostgreSQL database {db} holds no ledger (it has no tables), but {marker} says ledger {id} was kept there: it was dropped and created again, or emptied; starting afresh would forget every unsubscribe and send issues already sent to everyone again\n  hint: restore the database from its dump with pg_restore (`bulletin backup` prints the pg_dump command that makes one)"
    )]
    Emptied {
        db: String,
        marker: PathBuf,
        id: String,
    },
    #[error(
        "{db} holds ledger {found}, but {marker} says this project's ledger is {expected}: it is another ledger (another project's, or a copy from elsewhere)\n  hint: point [database] url at this project's ledger, or put its backup in place with `bulletin restore FILE` (on PostgreSQL, pg_restore)"
    )]
    Mismatch {
        db: String,
        marker: PathBuf,
        found: String,
        expected: String,
    },
    #[error(
        "{db} holds no ledger id, but {marker} says ledger {expected} was created there: this is not that ledger\n  hint: put this project's ledger back with `bulletin restore FILE` (a backup made by `bulletin backup`; on PostgreSQL, pg_restore)"
    )]
    Unmarked {
        db: String,
        marker: PathBuf,
        expected: String,
    },
    #[error(
        "{db} {change} while bulletin had it open as ledger {id}; nothing more is written to it, since it would be lost\n  hint: {hint}"
    )]
    Changed {
        db: PathBuf,
        id: String,
        change: Change,
        hint: String,
    },
    #[error(
        "the PostgreSQL database {db} no longer holds ledger {id} (the one {marker} names): it was dropped and created again, emptied or replaced while bulletin was using it; nothing more is written to it, since it would be lost\n  hint: stop the daemon, restore the database from its dump with pg_restore (`bulletin backup` prints the pg_dump command), then start it again"
    )]
    Vanished {
        db: String,
        id: String,
        marker: PathBuf,
    },
    #[error("cannot read or write {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// What happened to a ledger file while it was open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Deleted,
    /// Another file now has its name (a copy moved into place, another ledger).
    Replaced,
    Truncated,
    /// Its marker now names another ledger.
    Remarked {
        marker: PathBuf,
        found: String,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Deleted => f.write_str("was deleted"),
            Change::Replaced => f.write_str("was replaced by another file"),
            Change::Truncated => f.write_str("was truncated to 0 bytes"),
            Change::Remarked { marker, found } => write!(
                f,
                "is no longer the ledger its marker names ({} now says {found})",
                marker.display()
            ),
        }
    }
}

/// What opening the file may do, decided before SQLite touches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Expect {
    /// No file and no marker: a new ledger.
    Fresh,
    /// A ledger without a marker (made before markers existed): keep it and mark it.
    Adopt,
    /// The ledger the marker names.
    Ledger(String),
}

pub(super) fn read_marker(marker: &Path) -> Result<Option<String>, IdentityError> {
    match std::fs::read_to_string(marker) {
        Ok(s) => Ok(Some(s.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IdentityError::Io(marker.to_path_buf(), e)),
    }
}

/// Check the file at `db` against its marker, before SQLite opens (and would create) it.
pub(super) fn before_open(db: &Path) -> Result<Expect, IdentityError> {
    let marker = marker_path(db);
    let expected = read_marker(&marker)?;
    let len = match std::fs::metadata(db) {
        Ok(m) => Some(m.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(IdentityError::Io(db.to_path_buf(), e)),
    };
    let db = db.to_path_buf();
    match (len, expected) {
        (None, None) => Ok(Expect::Fresh),
        (None, Some(id)) => Err(IdentityError::Missing { db, marker, id }),
        (Some(0), Some(id)) => Err(IdentityError::Truncated { db, marker, id }),
        (Some(0), None) => Err(IdentityError::Empty { db }),
        (Some(_), expected) => {
            let mut header = [0u8; 16];
            let mut f = std::fs::File::open(&db).map_err(|e| IdentityError::Io(db.clone(), e))?;
            if f.read_exact(&mut header).is_err() || &header != SQLITE_HEADER {
                return Err(IdentityError::NotSqlite { db });
            }
            Ok(expected.map_or(Expect::Adopt, Expect::Ledger))
        }
    }
}

/// What a PostgreSQL database must be before migrating, given its marker: not emptied (no
/// tables while the marker names a ledger), not another program's (tables, none of them
/// bulletin's migrations).
pub(super) async fn before_migrating_pg(
    pool: &sqlx::PgPool,
    place: &str,
    marker: &Path,
) -> Result<Expect, super::StoreError> {
    let expected = read_marker(marker)?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    match (tables.is_empty(), expected) {
        (true, Some(id)) => Err(IdentityError::Emptied {
            db: place.to_string(),
            marker: marker.to_path_buf(),
            id,
        }
        .into()),
        (true, None) => Ok(Expect::Fresh),
        (false, _) if !tables.iter().any(|t| t == "_sqlx_migrations") => {
            Err(IdentityError::Foreign {
                db: place.to_string(),
                kind: "PostgreSQL",
                tables: tables.join(", "),
            }
            .into())
        }
        (false, expected) => Ok(expected.map_or(Expect::Adopt, Expect::Ledger)),
    }
}

/// Refuse a SQLite database that holds tables but was never migrated by bulletin.
pub(super) async fn before_migrating(
    pool: &SqlitePool,
    db: &Path,
    expect: &Expect,
) -> Result<(), super::StoreError> {
    if *expect == Expect::Fresh {
        return Ok(());
    }
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    if !tables.is_empty() && !tables.iter().any(|t| t == "_sqlx_migrations") {
        return Err(IdentityError::Foreign {
            db: db.display().to_string(),
            kind: "SQLite",
            tables: tables.join(", "),
        }
        .into());
    }
    Ok(())
}

/// After migrating: a new or adopted ledger gets its id and marker; an expected one must hold
/// the marker's id. The same on both backends (`place` names the database in messages).
/// The ledger's id.
pub(super) async fn settle(
    store: &super::Store,
    place: &str,
    marker: &Path,
    expect: Expect,
) -> Result<String, super::StoreError> {
    let marker = marker.to_path_buf();
    let stored = store.get_state(ID_KEY).await?;
    match (expect, stored) {
        (Expect::Ledger(expected), Some(found)) if found == expected => Ok(found),
        (Expect::Ledger(expected), Some(found)) => Err(IdentityError::Mismatch {
            db: place.to_string(),
            marker,
            found,
            expected,
        }
        .into()),
        (Expect::Ledger(expected), None) => Err(IdentityError::Unmarked {
            db: place.to_string(),
            marker,
            expected,
        }
        .into()),
        (Expect::Fresh | Expect::Adopt, stored) => {
            let id = match stored {
                Some(id) => id,
                None => {
                    let id = new_id().map_err(|e| IdentityError::Io("/dev/urandom".into(), e))?;
                    // Whoever inserted first (another process starting at once) decided it.
                    store.init_state(ID_KEY, &id).await?
                }
            };
            if let Some(dir) = marker.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::private::create_dir_all(dir)
                    .map_err(|e| IdentityError::Io(dir.to_path_buf(), e))?;
            }
            crate::private::write_atomically(&marker, format!("{id}\n").as_bytes())
                .map_err(|e| IdentityError::Io(marker.clone(), e))?;
            Ok(id)
        }
    }
}

/// Give a ledger being made its id (before it is put in place: see `sqlite::create_atomically`).
pub(super) async fn mark_new(store: &super::Store) -> Result<(), super::StoreError> {
    let id = new_id().map_err(|e| IdentityError::Io("/dev/urandom".into(), e))?;
    store.init_state(ID_KEY, &id).await?;
    Ok(())
}

/// 128 random bits from the operating system, as hex.
fn new_id() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
