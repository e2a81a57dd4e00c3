//! Fire times in a time zone under the DST policy: a wall-clock time in the spring-forward gap
//! fires once, at the first instant after the gap; one that happens twice fires once, at the
//! first. Pure: every function takes its instants as arguments.
//!
//! The schedule's matching wall-clock times are enumerated as naive date-times (where no clock
//! changes, so croner sees every one exactly once) and each is placed in the zone with
//! [`resolve_local`]. That placing never goes backwards as the wall-clock time goes forwards
//! (true in every zone whose clocks never fall back over a time they have just jumped over),
//! so the fires come out in order; equal instants (several times in one gap) are one fire.

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;

use super::CronSchedule;
use crate::calendar::resolve_local;

/// More than any clock change (Samoa skipped a whole day in 2011): how far past `before` a
/// wall-clock time can be and still name an instant before it.
fn margin() -> Duration {
    Duration::hours(26)
}

/// The instant a wall-clock time fires at, under the policy.
pub fn place(tz: Tz, local: NaiveDateTime) -> DateTime<Tz> {
    resolve_local(tz, local).instant()
}

/// One fire: the wall-clock time the schedule names and the instant it fires at (the same
/// except in a spring-forward gap, where `at` is the end of the gap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fire {
    pub local: NaiveDateTime,
    pub at: DateTime<Tz>,
}

/// The fires strictly after `after`, in order, each instant once. Endless for a schedule that
/// keeps firing (croner stops searching past year 5000 or so).
pub fn fires_after(schedule: &CronSchedule, tz: Tz, after: DateTime<Utc>) -> FiresAfter<'_> {
    // A wall-clock time at or before `after`'s never names an instant after it (the policy
    // takes the first of a repeated time), so the walk can start there.
    let cursor = after.with_timezone(&tz).naive_local();
    let cursor = cursor.with_nanosecond(0).unwrap_or(cursor);
    FiresAfter {
        schedule,
        tz,
        after,
        cursor: Some(cursor),
        last: None,
    }
}

/// Iterator of [`fires_after`].
#[derive(Debug, Clone)]
pub struct FiresAfter<'a> {
    schedule: &'a CronSchedule,
    tz: Tz,
    after: DateTime<Utc>,
    cursor: Option<NaiveDateTime>,
    last: Option<DateTime<Tz>>,
}

impl Iterator for FiresAfter<'_> {
    type Item = Fire;

    fn next(&mut self) -> Option<Fire> {
        loop {
            let local = self.schedule.next_local(self.cursor?);
            self.cursor = local;
            let local = local?;
            let at = place(self.tz, local);
            // Several times in one gap are one fire; a repeated time before `after` (its first
            // occurrence already past) is no fire at all.
            if at <= self.after || self.last.is_some_and(|last| at <= last) {
                continue;
            }
            self.last = Some(at);
            return Some(Fire { local, at });
        }
    }
}

/// The fires `t` with `after < t <= until`, in order, each exactly once. Splitting a range
/// anywhere neither loses nor repeats a fire: fires in (a, b] then (b, c] are those in (a, c].
pub fn fires_between(
    schedule: &CronSchedule,
    tz: Tz,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<DateTime<Tz>> {
    fires_after(schedule, tz, after)
        .map(|f| f.at)
        .take_while(|t| *t <= until)
        .collect()
}

/// Placing a schedule's fires in a time zone lives here, beside the DST policy it follows.
impl CronSchedule {
    /// The first fire strictly after `t`, in `t`'s time zone, under the DST policy (see the
    /// module documentation). The same as [`next_fire`].
    pub fn next_after(&self, t: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        next_fire(self, t.timezone(), t.with_timezone(&Utc))
    }

    /// The last fire strictly before `t`, in `t`'s time zone, under the DST policy. The same
    /// as [`prev_fire`].
    pub fn prev_before(&self, t: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        prev_fire(self, t.timezone(), t.with_timezone(&Utc))
    }
}

/// The first fire strictly after `after`.
pub fn next_fire(schedule: &CronSchedule, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Tz>> {
    fires_after(schedule, tz, after).next().map(|f| f.at)
}

/// The last fire strictly before `before`.
pub fn prev_fire(schedule: &CronSchedule, tz: Tz, before: DateTime<Utc>) -> Option<DateTime<Tz>> {
    // A wall-clock time a little after `before`'s can name an earlier instant: at 01:15 GMT on
    // the autumn day, 01:30 fired 45 minutes ago as 01:30 BST. Walk back from past any of those.
    let start = before.with_timezone(&tz).naive_local() + margin();
    let mut cursor = start.with_nanosecond(0).unwrap_or(start);
    loop {
        cursor = schedule.prev_local(cursor)?;
        let at = place(tz, cursor);
        if at < before {
            return Some(at);
        }
    }
}
