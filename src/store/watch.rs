//! Watching the ledger while it is in use. A SQLite file deleted or swapped under a running
//! daemon does not stop SQLite: it goes on writing to the file it has open, which nobody will
//! ever read again, and every unsubscribe recorded there is lost. So before each write the
//! file's name must still lead to the file that was opened (device and inode, not empty) and its
//! marker must still name the same ledger: a `stat` and a read of a few bytes. A write that
//! fails (a full disk, an I/O error) is remembered until one succeeds, for `/healthz`. On
//! PostgreSQL, each new connection must find the ledger's id in the database: one dropped and
//! created again (which ends every connection) or replaced is caught at the next connection.
//! Both are logged at ERROR when they begin, and not again while they last.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::fault::WriteFault;
use super::identity::{Change, IdentityError};
use crate::clock::Clock;

/// A SQLite ledger file as it was when opened.
#[derive(Debug)]
pub(super) struct FileAnchor {
    pub db: PathBuf,
    pub marker: PathBuf,
    pub dev: u64,
    pub ino: u64,
    pub id: String,
}

impl FileAnchor {
    /// The file at `db` as it is now, holding ledger `id`.
    pub fn of(db: &Path, id: String) -> Result<FileAnchor, IdentityError> {
        let m = std::fs::metadata(db).map_err(|e| IdentityError::Io(db.to_path_buf(), e))?;
        // Absolute, so the hint can find it among the daemon's open files once deleted.
        let db = std::path::absolute(db).unwrap_or_else(|_| db.to_path_buf());
        Ok(FileAnchor {
            marker: super::identity::marker_path(&db),
            db,
            dev: m.dev(),
            ino: m.ino(),
            id,
        })
    }

    /// Whether the file and its marker are still the ledger that was opened.
    fn check(&self) -> Result<(), IdentityError> {
        let change = match std::fs::metadata(&self.db) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(Change::Deleted),
            Err(e) => return Err(IdentityError::Io(self.db.clone(), e)),
            Ok(m) if (m.dev(), m.ino()) != (self.dev, self.ino) => Some(Change::Replaced),
            Ok(m) if m.len() == 0 => Some(Change::Truncated),
            Ok(_) => match super::identity::read_marker(&self.marker)? {
                // A marker removed by hand is written again at the next start; the file is
                // what matters.
                Some(found) if found != self.id => Some(Change::Remarked {
                    marker: self.marker.clone(),
                    found,
                }),
                _ => None,
            },
        };
        match change {
            None => Ok(()),
            Some(change) => Err(IdentityError::Changed {
                hint: self.hint(&change),
                db: self.db.clone(),
                id: self.id.clone(),
                change,
            }),
        }
    }

    fn hint(&self, change: &Change) -> String {
        let db = self.db.display();
        match change {
            Change::Deleted => {
                let held = held_open(&self.db);
                let mut hint = format!(
                    "stop the daemon and put a backup in place with `bulletin restore FILE` (it refuses to start without it while {} remains)",
                    self.marker.display()
                );
                if !held.is_empty() {
                    let copies: Vec<String> = held
                        .iter()
                        .map(|(fd, to)| format!("cp {} {}", fd.display(), to.display()))
                        .collect();
                    hint.push_str(&format!(
                        "; this daemon still has the deleted files open, so before stopping it they can be copied back as they are now: {}",
                        copies.join(" && ")
                    ));
                }
                hint
            }
            Change::Replaced => format!(
                "if the new {db} is this ledger restored from a backup, restart the daemon to use it (its id is checked when it opens); otherwise put the ledger back"
            ),
            Change::Truncated => {
                format!(
                    "stop the daemon, then put a backup in place with `bulletin restore FILE` ({db} is kept aside)"
                )
            }
            Change::Remarked { .. } => {
                "restart the daemon: it checks the ledger against its marker when it opens".into()
            }
        }
    }
}

/// The files of this process that are `db` or its write-ahead log after deletion, as
/// (`/proc/PID/fd/N`, the name to copy it back to).
fn held_open(db: &Path) -> Vec<(PathBuf, PathBuf)> {
    let pid = std::process::id();
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for fd in fds.flatten() {
        let Ok(target) = std::fs::read_link(fd.path()) else {
            continue;
        };
        for name in [db, wal.as_path()] {
            if target.as_os_str().as_encoded_bytes()
                == format!("{} (deleted)", name.display()).as_bytes()
                && !out.iter().any(|(_, n): &(PathBuf, PathBuf)| n == name)
            {
                let proc = PathBuf::from(format!(
                    "/proc/{pid}/fd/{}",
                    fd.file_name().to_string_lossy()
                ));
                out.push((proc, name.to_path_buf()));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// A write that failed, and when (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    pub at: i64,
    pub fault: WriteFault,
}

/// The ledger's health as `/healthz` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreHealth {
    Ok,
    /// The ledger file was deleted, replaced or truncated while open: the first line of why.
    Changed(String),
    /// The database does not answer.
    Unreachable,
    /// The last write failed and none has succeeded since.
    WriteFailed(WriteFailure),
}

impl std::fmt::Display for StoreHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreHealth::Ok => f.write_str("ok"),
            StoreHealth::Changed(why) => f.write_str(why),
            StoreHealth::Unreachable => f.write_str("unreachable"),
            StoreHealth::WriteFailed(w) => {
                let when = chrono::DateTime::from_timestamp(w.at, 0)
                    .map_or_else(|| w.at.to_string(), |t| t.to_rfc3339());
                write!(f, "write failed {when}: {}", w.fault)
            }
        }
    }
}

/// A PostgreSQL ledger: every new connection the pool opens must find the ledger's id in the
/// database (a database dropped and created again, or replaced, breaks every connection, so
/// the pool's next connection is the first to see it).
#[derive(Debug)]
pub(super) struct DbAnchor {
    place: String,
    marker: PathBuf,
    /// Known once the ledger is opened; connections made before are not checked.
    id: std::sync::OnceLock<String>,
    lost: std::sync::atomic::AtomicBool,
}

/// What the store watches, shared by its clones.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    /// The file to check before each write (SQLite opened for writing; none otherwise).
    anchor: Option<FileAnchor>,
    /// The database whose connections are checked (PostgreSQL opened for writing).
    database: Option<DbAnchor>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    failure: Option<WriteFailure>,
    /// The ledger's change has been logged.
    change_logged: bool,
}

impl Watch {
    pub(super) fn file(anchor: FileAnchor) -> Watch {
        Watch {
            anchor: Some(anchor),
            ..Default::default()
        }
    }

    /// A PostgreSQL ledger named `place` (no password), marked by `marker`.
    pub(super) fn database(place: String, marker: PathBuf) -> Watch {
        Watch {
            database: Some(DbAnchor {
                place,
                marker,
                id: std::sync::OnceLock::new(),
                lost: std::sync::atomic::AtomicBool::new(false),
            }),
            ..Default::default()
        }
    }

    /// The ledger is open and holds `id`: check every connection from now on.
    pub(super) fn opened(&self, id: String) {
        if let Some(db) = &self.database {
            let _ = db.id.set(id);
        }
    }

    /// For each new PostgreSQL connection: it must find this ledger's id. A database that
    /// answers without it (no table, no row, another id) is not the ledger any more: the
    /// connection is made read-only and every write is refused from then on. Other errors
    /// (the network) only fail this connection.
    pub(super) async fn verify(&self, conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
        let Some(db) = &self.database else {
            return Ok(());
        };
        let Some(id) = db.id.get() else {
            return Ok(());
        };
        let found: Result<Option<String>, sqlx::Error> =
            sqlx::query_scalar("SELECT value FROM daemon_state WHERE key = $1")
                .bind(super::identity::ID_KEY)
                .fetch_optional(&mut *conn)
                .await;
        let answer = match found {
            Ok(found) => found,
            // undefined_table: the database has no ledger at all.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => None,
            Err(e) => return Err(e),
        };
        if answer.as_deref() == Some(id.as_str()) {
            return Ok(());
        }
        db.lost.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self.check(); // logs it
        // Failing the connection would only make the pool retry until its timeout; a
        // connection that can write nothing fails the write in hand at once, and `check`
        // refuses every later one.
        sqlx::query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Before a write: the ledger must still be the one opened. Logged at ERROR the first time
    /// it is not.
    pub(super) fn check(&self) -> Result<(), IdentityError> {
        let r = match (&self.anchor, &self.database) {
            (Some(file), _) => file.check(),
            (None, Some(db)) if db.lost.load(std::sync::atomic::Ordering::SeqCst) => {
                Err(IdentityError::Vanished {
                    db: db.place.clone(),
                    id: db.id.get().cloned().unwrap_or_default(),
                    marker: db.marker.clone(),
                })
            }
            (None, _) => Ok(()),
        };
        if let Err(e) = &r {
            let mut st = self.state();
            if !st.change_logged {
                st.change_logged = true;
                tracing::error!("{e}");
            }
        }
        r
    }

    /// After a write: remember a failure of the storage (logged at ERROR when writes start
    /// failing, or fail differently), forget it once a write succeeds.
    pub(super) fn after_write<T>(&self, r: &Result<T, super::StoreError>) {
        let mut st = self.state();
        match r {
            Ok(_) => {
                if let Some(f) = st.failure.take() {
                    tracing::warn!(fault = %f.fault, "ledger writes work again");
                }
            }
            Err(super::StoreError::Db(e)) => {
                let Some(fault) = WriteFault::of(e) else {
                    return;
                };
                if st.failure.as_ref().map(|f| &f.fault) != Some(&fault) {
                    tracing::error!(
                        fault = %fault,
                        "a ledger write failed ({fault}): nothing it would have recorded is kept; /healthz reports it until a write succeeds"
                    );
                }
                st.failure = Some(WriteFailure {
                    at: crate::clock::SystemClock.now(),
                    fault,
                });
            }
            Err(_) => {}
        }
    }

    /// The last write's failure, while no write has succeeded since.
    pub(super) fn failure(&self) -> Option<WriteFailure> {
        self.state().failure.clone()
    }
}
