//! An instant as the ledger keeps it: whole Unix seconds. A type of its own so a time cannot be
//! passed where a count, an id or a duration in seconds is meant; it is stored as the `BIGINT`
//! (`INTEGER` on SQLite) of seconds the tables hold, and converted to chrono at the edges.

use std::fmt;
use std::ops::{Add, Sub};

/// An instant, in whole seconds since the Unix epoch (UTC).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `secs` seconds after the epoch.
    pub const fn from_secs(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// Seconds since the epoch, as stored.
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// As a chrono date-time in UTC; `None` only for an instant chrono cannot represent.
    pub fn to_utc(self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp(self.0, 0)
    }
}

impl From<i64> for Timestamp {
    fn from(secs: i64) -> Self {
        Timestamp(secs)
    }
}

impl From<Timestamp> for i64 {
    fn from(t: Timestamp) -> i64 {
        t.0
    }
}

impl<Tz: chrono::TimeZone> From<chrono::DateTime<Tz>> for Timestamp {
    fn from(t: chrono::DateTime<Tz>) -> Self {
        Timestamp(t.timestamp())
    }
}

/// Later by a number of seconds.
impl Add<i64> for Timestamp {
    type Output = Timestamp;
    fn add(self, secs: i64) -> Timestamp {
        Timestamp(self.0 + secs)
    }
}

/// Earlier by a number of seconds.
impl Sub<i64> for Timestamp {
    type Output = Timestamp;
    fn sub(self, secs: i64) -> Timestamp {
        Timestamp(self.0 - secs)
    }
}

/// The seconds from `other` to `self`.
impl Sub for Timestamp {
    type Output = i64;
    fn sub(self, other: Timestamp) -> i64 {
        self.0 - other.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_and_from_seconds_and_chrono() {
        let t = Timestamp::from_secs(1_764_547_200);
        assert_eq!(i64::from(t), 1_764_547_200);
        assert_eq!(Timestamp::from(t.to_utc().unwrap()), t);
        assert_eq!((t + 60) - t, 60);
        assert_eq!(t - 1, Timestamp::from(1_764_547_199));
        assert_eq!(t.to_string(), "1764547200");
    }
}
