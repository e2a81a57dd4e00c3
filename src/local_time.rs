//! The organisation's local time: every instant shown to people or turned into a date (the day
//! an issue is created on, today in `send`, the dates in `status`) is in the one time zone the
//! settings give, through [`Project::local`], so no caller picks the zone itself.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::Project;
use crate::timestamp::Timestamp;

/// An instant as the clock or the ledger gives it: a date-time in UTC or a ledger timestamp.
pub trait Instant {
    fn to_utc(self) -> DateTime<Utc>;
}

impl Instant for DateTime<Utc> {
    fn to_utc(self) -> DateTime<Utc> {
        self
    }
}

/// One out of chrono's range reads as the epoch.
impl Instant for crate::timestamp::Timestamp {
    fn to_utc(self) -> DateTime<Utc> {
        Timestamp::to_utc(self).unwrap_or_default()
    }
}

impl Project {
    /// `at` in the organisation's time zone.
    pub fn local(&self, at: impl Instant) -> DateTime<Tz> {
        at.to_utc()
            .with_timezone(&self.settings.organisation.time_zone)
    }

    /// `at` as operators are shown a recorded moment ([`STAMP`]).
    pub fn stamp(&self, at: impl Instant) -> String {
        self.local(at).format(STAMP).to_string()
    }
}

/// How a recorded moment is shown to operators: `2026-12-01 09:00 GMT`.
pub const STAMP: &str = "%Y-%m-%d %H:%M %Z";
