//! What went wrong with a ledger write, in the operator's words: the few words `/healthz` and
//! the log give for it. A pure function of the database's error, so that both backends' codes
//! for the same trouble read the same, and no value the statement carried (an address) is ever
//! part of it.

use std::fmt;

/// Why a write to the ledger failed, as far as the operator needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteFault {
    /// No space left on the disk (or the database's quota).
    DiskFull,
    /// The disk or file system reported an input/output error.
    Io,
    /// The file, its folder or the database is read-only.
    ReadOnly,
    /// Another process held the database locked longer than the busy timeout.
    Busy,
    /// The database could not be reached (connection lost, server down, file gone).
    Unreachable,
    /// Anything else the database said: its message, without details or values.
    Other(String),
}

impl fmt::Display for WriteFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteFault::DiskFull => f.write_str("disk full"),
            WriteFault::Io => f.write_str("I/O error"),
            WriteFault::ReadOnly => f.write_str("read-only"),
            WriteFault::Busy => f.write_str("database locked by another process"),
            WriteFault::Unreachable => f.write_str("database unreachable"),
            WriteFault::Other(m) => f.write_str(m),
        }
    }
}

const ENOSPC: i32 = 28;
const EIO: i32 = 5;
const EROFS: i32 = 30;
const EDQUOT: i32 = 122;

impl WriteFault {
    /// The fault behind a database error, or `None` when the error is not the storage's
    /// (a constraint the statement broke, a row it expected): such a write fails alone, and
    /// the next one is not expected to.
    pub fn of(e: &sqlx::Error) -> Option<WriteFault> {
        match e {
            sqlx::Error::Database(d) => {
                if !matches!(d.kind(), sqlx::error::ErrorKind::Other) {
                    return None;
                }
                let code = d.code().map(|c| c.into_owned()).unwrap_or_default();
                Some(match code.parse::<i32>() {
                    // SQLite: the primary result code is the low byte of the extended one.
                    Ok(n) => sqlite_fault(n, d.message()),
                    Err(_) => postgres_fault(&code, d.message()),
                })
            }
            sqlx::Error::Io(io) => Some(match io.raw_os_error() {
                Some(ENOSPC | EDQUOT) => WriteFault::DiskFull,
                Some(EIO) => WriteFault::Io,
                Some(EROFS) => WriteFault::ReadOnly,
                _ => WriteFault::Unreachable,
            }),
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
                Some(WriteFault::Unreachable)
            }
            sqlx::Error::Protocol(_) => Some(WriteFault::Other("database protocol error".into())),
            _ => None,
        }
    }
}

/// SQLite's result codes (<https://sqlite.org/rescode.html>), by their primary code.
fn sqlite_fault(extended: i32, message: &str) -> WriteFault {
    match extended & 0xff {
        13 => WriteFault::DiskFull,    // SQLITE_FULL
        10 => WriteFault::Io,          // SQLITE_IOERR
        8 => WriteFault::ReadOnly,     // SQLITE_READONLY
        5 | 6 => WriteFault::Busy,     // SQLITE_BUSY, SQLITE_LOCKED
        14 => WriteFault::Unreachable, // SQLITE_CANTOPEN
        _ => WriteFault::Other(message.to_string()),
    }
}

/// PostgreSQL's SQLSTATE codes (appendix A of its manual).
fn postgres_fault(sqlstate: &str, message: &str) -> WriteFault {
    match sqlstate {
        "53100" => WriteFault::DiskFull,       // disk_full
        "58030" => WriteFault::Io,             // io_error
        "25006" => WriteFault::ReadOnly,       // read_only_sql_transaction
        "55P03" | "40P01" => WriteFault::Busy, // lock_not_available, deadlock_detected
        s if s.starts_with("08") || s.starts_with("57P") || s == "3D000" => {
            WriteFault::Unreachable // connection exceptions, shutdowns, no such database
        }
        _ => WriteFault::Other(message.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_are_read_by_their_primary_code() {
        assert_eq!(
            sqlite_fault(13, "database or disk is full"),
            WriteFault::DiskFull
        );
        // SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC
        assert_eq!(sqlite_fault(778, "disk I/O error"), WriteFault::Io);
        assert_eq!(sqlite_fault(1034, "disk I/O error"), WriteFault::Io);
        // SQLITE_READONLY_DBMOVED
        assert_eq!(sqlite_fault(1032, "readonly"), WriteFault::ReadOnly);
        assert_eq!(sqlite_fault(5, "database is locked"), WriteFault::Busy);
        assert_eq!(
            sqlite_fault(11, "database disk image is malformed"),
            WriteFault::Other("database disk image is malformed".into())
        );
    }

    #[test]
    fn postgres_sqlstates_read_the_same_as_sqlite_codes() {
        assert_eq!(
            postgres_fault("53100", "could not extend file"),
            WriteFault::DiskFull
        );
        assert_eq!(postgres_fault("58030", "could not write"), WriteFault::Io);
        assert_eq!(postgres_fault("25006", "read-only"), WriteFault::ReadOnly);
        assert_eq!(
            postgres_fault("57P01", "terminating"),
            WriteFault::Unreachable
        );
        assert_eq!(
            postgres_fault("08006", "connection failure"),
            WriteFault::Unreachable
        );
        assert_eq!(
            postgres_fault("3D000", "does not exist"),
            WriteFault::Unreachable
        );
    }

    #[test]
    fn io_errors_are_read_by_their_os_code() {
        let io = |n| sqlx::Error::Io(std::io::Error::from_raw_os_error(n));
        assert_eq!(WriteFault::of(&io(ENOSPC)), Some(WriteFault::DiskFull));
        assert_eq!(WriteFault::of(&io(EIO)), Some(WriteFault::Io));
        assert_eq!(WriteFault::of(&io(EROFS)), Some(WriteFault::ReadOnly));
        assert_eq!(WriteFault::of(&io(104)), Some(WriteFault::Unreachable));
        assert_eq!(WriteFault::of(&sqlx::Error::RowNotFound), None);
        assert_eq!(
            WriteFault::of(&sqlx::Error::PoolTimedOut),
            Some(WriteFault::Unreachable)
        );
    }

    #[test]
    fn the_words_are_the_operators() {
        assert_eq!(WriteFault::DiskFull.to_string(), "disk full");
        assert_eq!(WriteFault::Io.to_string(), "I/O error");
    }
}
