//! When a bulletin's issues go once its `on_non_working_day` policy has moved the fires that
//! land on a weekend or bank holiday: the fires the daemon acts on, `schedule` lists and the
//! issue builder dates its issues by. Pure: takes the instants and the working days.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use super::CronSchedule;
use super::dst::{Fire, fires_after, place, prev_fire};
use super::workdays::{Closed, MAX_MOVE_DAYS, NonWorkingDay, WorkingDays, shift};
use crate::config::Bulletin;

/// One fire after the policy: when it goes, and the day it was moved from (and why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub at: DateTime<Tz>,
    pub moved_from: Option<(NaiveDate, Closed)>,
}

impl Placed {
    /// The local date it goes on: the issue's date.
    pub fn date(&self) -> NaiveDate {
        self.at.date_naive()
    }
}

/// A fire moved under `policy`: to the working day it chose, at the same local time.
pub fn place_fire(fire: Fire, policy: NonWorkingDay, tz: Tz, days: &WorkingDays) -> Placed {
    let day = fire.at.date_naive();
    let s = shift(day, policy, days);
    match s.moved {
        None => Placed {
            at: fire.at,
            moved_from: None,
        },
        Some(why) => Placed {
            at: place(tz, s.date.and_time(fire.local.time())),
            moved_from: Some((day, why)),
        },
    }
}

/// The fires of `schedule` strictly after `after` once moved under `policy`, in order, one a
/// day: a fire moved onto a day that already has one (a Saturday's moved to the Monday) is
/// that day's fire. A fire from before `after` that moved to after it is included.
pub fn placed_fires_after<'a>(
    schedule: &'a CronSchedule,
    policy: NonWorkingDay,
    tz: Tz,
    days: &'a WorkingDays,
    after: DateTime<Utc>,
) -> impl Iterator<Item = Placed> + 'a {
    let lookback = after
        .checked_sub_days(Days::new(MAX_MOVE_DAYS))
        .unwrap_or(after);
    let mut last: Option<NaiveDate> = None;
    fires_after(schedule, tz, lookback)
        .map(move |f| place_fire(f, policy, tz, days))
        .filter(move |p| p.at > after)
        .filter(move |p| {
            let fresh = last != Some(p.date());
            last = Some(p.date());
            fresh
        })
}

/// The last moved fire strictly before `before`.
pub fn placed_fire_before(
    schedule: &CronSchedule,
    policy: NonWorkingDay,
    tz: Tz,
    days: &WorkingDays,
    before: DateTime<Utc>,
) -> Option<Placed> {
    // Moving never reorders fires, so walking back from past any fire that could move to
    // before `before`, the first that lands before it is the last one.
    let mut cursor = before.checked_add_days(Days::new(MAX_MOVE_DAYS))?;
    loop {
        let at = prev_fire(schedule, tz, cursor)?;
        let placed = place_fire(
            Fire {
                local: at.naive_local(),
                at,
            },
            policy,
            tz,
            days,
        );
        if placed.at < before {
            return Some(placed);
        }
        cursor = at.with_timezone(&Utc);
    }
}

/// A bulletin's issue fires after `after`, moved off the working days it holds.
pub fn issue_fires_after(
    bulletin: &Bulletin,
    tz: Tz,
    after: DateTime<Utc>,
) -> impl Iterator<Item = Placed> + '_ {
    placed_fires_after(
        &bulletin.schedule,
        bulletin.on_non_working_day,
        tz,
        &bulletin.working_days,
        after,
    )
}

/// A bulletin's last issue fire before `before`.
pub fn issue_fire_before(bulletin: &Bulletin, tz: Tz, before: DateTime<Utc>) -> Option<Placed> {
    placed_fire_before(
        &bulletin.schedule,
        bulletin.on_non_working_day,
        tz,
        &bulletin.working_days,
        before,
    )
}

/// Why a date is not one a bulletin's schedule sends an issue on: an issue for it would be one
/// the daemon never creates. Names the scheduled dates either side, to give instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{bulletin}` has no issue scheduled on {date}{}; give a scheduled date with --date, or add --unscheduled to send an extra issue dated {date}",
    nearest(*before, *after)
)]
pub struct NotScheduled {
    pub bulletin: String,
    pub date: NaiveDate,
    /// The last scheduled issue date before `date`.
    pub before: Option<NaiveDate>,
    /// The first scheduled issue date after `date`.
    pub after: Option<NaiveDate>,
}

fn nearest(before: Option<NaiveDate>, after: Option<NaiveDate>) -> String {
    match (before, after) {
        (Some(b), Some(a)) => format!(" (the nearest scheduled issues are {b} and {a})"),
        (Some(b), None) => format!(" (the last scheduled issue is {b})"),
        (None, Some(a)) => format!(" (the next scheduled issue is {a})"),
        (None, None) => " (its schedule sends no issue)".to_string(),
    }
}

/// The first issue (after the policy) on or after the start of `date` in `tz`.
pub fn next_issue_on_or_after(
    bulletin: &Bulletin,
    tz: Tz,
    date: NaiveDate,
) -> Result<NaiveDate, NotScheduled> {
    let start = crate::dates::start_of_day(tz, date).with_timezone(&Utc);
    let probe = start - chrono::Duration::seconds(1);
    issue_fires_after(bulletin, tz, probe)
        .next()
        .map(|p| p.date())
        .ok_or_else(|| NotScheduled {
            bulletin: bulletin.id.to_string(),
            date,
            before: issue_fire_before(bulletin, tz, start).map(|p| p.date()),
            after: None,
        })
}

/// `date` itself when the schedule (after the policy) sends an issue on it; else why not,
/// with the scheduled dates either side.
pub fn scheduled_on(
    bulletin: &Bulletin,
    tz: Tz,
    date: NaiveDate,
) -> Result<NaiveDate, NotScheduled> {
    let start = crate::dates::start_of_day(tz, date).with_timezone(&Utc);
    let next = next_issue_on_or_after(bulletin, tz, date).ok();
    if next == Some(date) {
        return Ok(date);
    }
    Err(NotScheduled {
        bulletin: bulletin.id.to_string(),
        date,
        before: issue_fire_before(bulletin, tz, start).map(|p| p.date()),
        after: next,
    })
}
