//! The relay's daily limit (`max_per_day`): the day it is counted under (the organisation's
//! local date), when it resets (the next local midnight), and who waits for it once it is
//! reached. The daemon sleeps until the reset instead of trying every second, and `status`,
//! `/healthz` and `/metrics` say that recipients wait and until when.

use chrono::{Days, NaiveDate, TimeZone};
use chrono_tz::Tz;

use crate::store::{Store, StoreError};
use crate::timestamp::Timestamp;

/// The local date `now` falls on: the key the day's sends are counted under.
pub fn day_of(now: Timestamp, tz: Tz) -> NaiveDate {
    now.to_utc()
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive()
}

/// When the day of `now` ends and the limit starts again: the next local midnight, or the
/// first local time after it where a clock change skips midnight.
pub fn resets_at(now: Timestamp, tz: Tz) -> Timestamp {
    let next = day_of(now, tz) + Days::new(1);
    let midnight = next.and_hms_opt(0, 0, 0).expect("midnight is a time");
    // A gap (clocks going forward at midnight) is at most a few hours: the first minute that
    // exists is the start of the day.
    (0..=24 * 60)
        .find_map(|m| {
            tz.from_local_datetime(&(midnight + chrono::Duration::minutes(m)))
                .earliest()
        })
        .map_or(now + 24 * 3600, Timestamp::from)
}

/// The daily limit reached, and who waits for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyWait {
    /// `max_per_day`.
    pub limit: u32,
    /// Deliveries still to go (pending, in flight or deferred), all issues.
    pub waiting: u64,
    /// When the limit resets.
    pub until: Timestamp,
}

impl DailyWait {
    /// What the operator is told: "daily limit of 100 reached; 42 recipients wait until
    /// Tue 2 Dec 2026 00:00 GMT".
    pub fn describe(&self, tz: Tz) -> String {
        let until = self
            .until
            .to_utc()
            .unwrap_or_default()
            .with_timezone(&tz)
            .format("%a %-d %b %Y %H:%M %Z");
        format!(
            "daily limit of {} reached; {} recipient(s) wait until {until}",
            self.limit, self.waiting
        )
    }
}

/// Whether the day's limit is used up at `now`.
pub async fn reached(
    store: &Store,
    limit: u32,
    tz: Tz,
    now: Timestamp,
) -> Result<bool, StoreError> {
    if limit == 0 {
        return Ok(false);
    }
    let used = store.daily_used(&day_of(now, tz).to_string()).await?;
    Ok(used >= limit)
}

/// The wait, when the day's limit is used up and someone is still to be sent to; `None`
/// otherwise (no limit, not reached, or nothing left to send).
pub async fn waiting(
    store: &Store,
    limit: u32,
    tz: Tz,
    now: Timestamp,
) -> Result<Option<DailyWait>, StoreError> {
    if !reached(store, limit, tz, now).await? {
        return Ok(None);
    }
    let waiting: u64 = store
        .status()
        .await?
        .iter()
        .map(|i| i.deliveries.open())
        .sum();
    Ok((waiting > 0).then(|| DailyWait {
        limit,
        waiting,
        until: resets_at(now, tz),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::from(chrono::DateTime::parse_from_rfc3339(s).unwrap())
    }

    #[test]
    fn the_day_is_the_local_date() {
        let london: Tz = "Europe/London".parse().unwrap();
        // 23:30 UTC in summer is 00:30 the next day in London.
        assert_eq!(
            day_of(at("2026-07-01T23:30:00Z"), london).to_string(),
            "2026-07-02"
        );
        assert_eq!(
            day_of(at("2026-12-01T23:30:00Z"), london).to_string(),
            "2026-12-01"
        );
    }

    #[test]
    fn the_limit_resets_at_the_next_local_midnight() {
        let london: Tz = "Europe/London".parse().unwrap();
        assert_eq!(
            resets_at(at("2026-12-01T15:00:00Z"), london),
            at("2026-12-02T00:00:00Z")
        );
        assert_eq!(
            resets_at(at("2026-07-01T15:00:00Z"), london),
            at("2026-07-01T23:00:00Z")
        );
        // The night the clocks go back (25 October 2026): midnight is still BST.
        assert_eq!(
            resets_at(at("2026-10-24T12:00:00Z"), london),
            at("2026-10-24T23:00:00Z")
        );
    }

    #[test]
    fn where_clocks_skip_midnight_the_day_starts_at_the_first_minute_that_exists() {
        // Santiago moves from 00:00 to 01:00 on the first Sunday of September.
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let before = at("2026-09-05T20:00:00-04:00");
        assert_eq!(resets_at(before, santiago), at("2026-09-06T01:00:00-03:00"));
    }
}
