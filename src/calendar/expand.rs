//! Rules → occurrences: where each `[[when]]` rule of one campaign falls in a range of dates,
//! after the per-year overrides (`dates` replacing a recurring rule, `except_years`). Pure.
//!
//! Every occurrence belongs to the year it *starts* in: 20 Dec 2026 – 5 Jan 2027 is the 2026
//! occurrence of a yearly rule, skipped by `except_years = [2026]` and replaced by a `dates`
//! entry that starts in 2026.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike, Weekday,
};
use chrono_tz::Tz;

use super::EventTime;
use crate::config::{Campaign, MonthDay, Nth, Rule};

/// Where a local date-time falls in a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTime {
    /// The local time happens once.
    Single(DateTime<Tz>),
    /// The clocks go back and it happens twice: the first is meant (as RFC 5545 reads a
    /// `TZID` time, and as the schedule fires).
    Ambiguous {
        first: DateTime<Tz>,
        second: DateTime<Tz>,
    },
    /// The clocks go forward over it: it never happens. `after` is the first instant after the
    /// gap, where the schedule would fire too (`check` reports an event written there).
    Gap { after: DateTime<Tz> },
}

impl LocalTime {
    /// The instant used for it.
    pub fn instant(self) -> DateTime<Tz> {
        match self {
            LocalTime::Single(t)
            | LocalTime::Ambiguous { first: t, .. }
            | LocalTime::Gap { after: t } => t,
        }
    }
}

/// Place a local date-time in `tz` (see [`LocalTime`] for the DST policy).
pub fn resolve_local(tz: Tz, at: NaiveDateTime) -> LocalTime {
    match tz.from_local_datetime(&at) {
        chrono::LocalResult::Single(t) => LocalTime::Single(t),
        chrono::LocalResult::Ambiguous(a, b) => {
            let (first, second) = if a <= b { (a, b) } else { (b, a) };
            LocalTime::Ambiguous { first, second }
        }
        chrono::LocalResult::None => {
            // Gaps are whole minutes (at most a day, Samoa 2011): the first local minute that
            // exists after `at` is the instant the clocks jumped.
            let minute = at
                .with_second(0)
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(at);
            let after = (1..=48 * 60)
                .filter_map(|m| minute.checked_add_signed(TimeDelta::minutes(m)))
                .find_map(|t| tz.from_local_datetime(&t).earliest())
                .unwrap_or_else(|| tz.from_utc_datetime(&at));
            LocalTime::Gap { after }
        }
    }
}

/// The last local date an event occupies: one that ends at exactly midnight does not spill
/// into the next day (10:00 + 14 h ends "at 00:00" but is a one-day event).
pub fn last_day(start: DateTime<Tz>, end: DateTime<Tz>) -> NaiveDate {
    let day = end.date_naive();
    let day = if end > start && end.time() == chrono::NaiveTime::MIN {
        day.pred_opt().unwrap_or(day)
    } else {
        day
    };
    day.max(start.date_naive())
}

/// The date a month-day falls on in `year`; 29 February is read as the 28th in other years.
pub fn month_day_in(md: MonthDay, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, md.month, md.day).or_else(|| {
        if md.is_leap_day() {
            NaiveDate::from_ymd_opt(year, 2, 28)
        } else {
            None
        }
    })
}

/// The `nth` `weekday` of `month` in `year`, if the month has one (not every month has a 5th).
pub fn nth_weekday(year: i32, month: u32, weekday: Weekday, nth: Nth) -> Option<NaiveDate> {
    match nth {
        Nth::Number(n) => NaiveDate::from_weekday_of_month_opt(year, month, weekday, n),
        Nth::Last => {
            let next_month = if month == 12 {
                NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)
            }?;
            let last = next_month.pred_opt()?;
            let back =
                (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
            last.checked_sub_days(Days::new(u64::from(back)))
        }
    }
}

/// The first `weekday` on or after `month`/`day` of `year` (29 February is read as the 28th in
/// other years): always within the six days after that day.
pub fn weekday_on_or_after(year: i32, month: u32, day: u32, weekday: Weekday) -> Option<NaiveDate> {
    let from = month_day_in(MonthDay { month, day }, year)?;
    let ahead = (7 + weekday.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from.checked_add_days(Days::new(u64::from(ahead)))
}

/// A rule that falls once every year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recurring {
    Yearly {
        from: MonthDay,
        to: MonthDay,
    },
    Nth {
        month: u32,
        weekday: Weekday,
        nth: Nth,
        days: u32,
    },
    OnOrAfter {
        month: u32,
        day: u32,
        weekday: Weekday,
        days: u32,
    },
}

impl Recurring {
    fn of(rule: &Rule) -> Option<Self> {
        match *rule {
            Rule::Yearly { from, to } => Some(Recurring::Yearly { from, to }),
            Rule::NthWeekday {
                month,
                weekday,
                nth,
                days,
            } => Some(Recurring::Nth {
                month,
                weekday,
                nth,
                days,
            }),
            Rule::WeekdayOnOrAfter {
                month,
                day,
                weekday,
                days,
            } => Some(Recurring::OnOrAfter {
                month,
                day,
                weekday,
                days,
            }),
            Rule::Dates { .. } | Rule::Event { .. } => None,
        }
    }

    /// The occurrence starting in `year` (inclusive dates), if there is one.
    pub(crate) fn in_year(self, year: i32) -> Option<(NaiveDate, NaiveDate)> {
        match self {
            Recurring::Yearly { from, to } => {
                let start = month_day_in(from, year)?;
                // `to` before `from` in the year: the range crosses the year end.
                let end_year = if to < from {
                    year.checked_add(1)?
                } else {
                    year
                };
                Some((start, month_day_in(to, end_year)?))
            }
            Recurring::Nth {
                month,
                weekday,
                nth,
                days,
            } => {
                let start = nth_weekday(year, month, weekday, nth)?;
                let end = start.checked_add_days(Days::new(u64::from(days.max(1) - 1)))?;
                Some((start, end))
            }
            Recurring::OnOrAfter {
                month,
                day,
                weekday,
                days,
            } => {
                let start = weekday_on_or_after(year, month, day, weekday)?;
                let end = start.checked_add_days(Days::new(u64::from(days.max(1) - 1)))?;
                Some((start, end))
            }
        }
    }
}

/// One occurrence before it is named: which rule gave it, its inclusive local dates, and its
/// times for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Raw {
    /// Index into the campaign's `rules`.
    pub rule: usize,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub event: Option<EventTime>,
}

impl Raw {
    /// What makes two occurrences the same one (and their ICS UID the same).
    pub(crate) fn identity(&self) -> (NaiveDate, Option<DateTime<Tz>>) {
        (self.start, self.event.map(|e| e.start))
    }
}

/// A recurring rule and the first year it applies (`since`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Since(Option<i32>, Recurring);

impl Since {
    fn in_year(self, year: i32) -> Option<(NaiveDate, NaiveDate)> {
        match self.0 {
            Some(first) if year < first => None,
            _ => self.1.in_year(year),
        }
    }
}

/// One campaign's rules, prepared once so each query is a cheap walk over the years it asks
/// about: events placed in the time zone, and which recurring occurrences `dates` replace.
#[derive(Debug, Clone)]
pub(crate) struct Plan<'a> {
    pub campaign: &'a Campaign,
    recurring: Vec<(usize, Since)>,
    /// `dates` entries and events: they happen once.
    fixed: Vec<Raw>,
    /// (recurring rule index, year) pairs a `dates` entry replaces.
    replaced: BTreeSet<(usize, i32)>,
}

impl<'a> Plan<'a> {
    pub(crate) fn new(campaign: &'a Campaign, tz: Tz) -> Self {
        let mut recurring = Vec::new();
        let mut fixed = Vec::new();
        for (i, rule) in campaign.rules.iter().enumerate() {
            match rule.value {
                Rule::Dates { from, to } => fixed.push(Raw {
                    rule: i,
                    start: from,
                    end: to.max(from),
                    event: None,
                }),
                Rule::Event { at, minutes } => {
                    let start = resolve_local(tz, at).instant();
                    let end = start + TimeDelta::minutes(i64::from(minutes.max(1)));
                    fixed.push(Raw {
                        rule: i,
                        start: start.date_naive(),
                        end: last_day(start, end),
                        event: Some(EventTime { start, end }),
                    });
                }
                Rule::Yearly { .. } | Rule::NthWeekday { .. } | Rule::WeekdayOnOrAfter { .. } => {
                    let since = campaign.when_info.get(i).and_then(|w| w.since);
                    recurring.extend(Recurring::of(&rule.value).map(|r| (i, Since(since, r))));
                }
            }
        }
        // A `dates` entry replaces the recurring occurrence that starts in the same year; when
        // a campaign has several recurring rules, the one whose occurrence starts nearest (the
        // week the organisers moved), the earlier rule on a tie.
        let mut replaced = BTreeSet::new();
        for f in fixed.iter().filter(|f| f.event.is_none()) {
            let year = f.start.year();
            let nearest = recurring
                .iter()
                .filter_map(|&(i, r)| {
                    r.in_year(year)
                        .map(|(s, _)| ((s - f.start).num_days().abs(), i))
                })
                .min();
            if let Some((_, i)) = nearest {
                replaced.insert((i, year));
            }
        }
        Plan {
            campaign,
            recurring,
            fixed,
            replaced,
        }
    }

    fn skipped(&self, year: i32) -> bool {
        self.campaign.except_years.contains(&year)
    }

    /// Every occurrence overlapping `[from, to]` (inclusive), as the rules give them: not sorted,
    /// and two rules that give the same occurrence both appear (`check` wants to see that).
    pub(crate) fn raw(&self, from: NaiveDate, to: NaiveDate, out: &mut Vec<Raw>) {
        if to < from {
            return;
        }
        // A recurring occurrence lasts at most 366 days, so one overlapping `from` started in
        // `from`'s year or the year before.
        let first_year = from.year().saturating_sub(1);
        for &(i, r) in &self.recurring {
            for year in first_year..=to.year() {
                if self.skipped(year) || self.replaced.contains(&(i, year)) {
                    continue;
                }
                if let Some((start, end)) = r.in_year(year)
                    && start <= to
                    && end >= from
                {
                    out.push(Raw {
                        rule: i,
                        start,
                        end,
                        event: None,
                    });
                }
            }
        }
        out.extend(
            self.fixed
                .iter()
                .filter(|f| f.start <= to && f.end >= from && !self.skipped(f.start.year())),
        );
    }

    /// Like [`Plan::raw`], with repeats merged: occurrences with the same start (and, for events,
    /// the same start time) are one, lasting as long as the longest.
    pub(crate) fn distinct(&self, from: NaiveDate, to: NaiveDate) -> Vec<Raw> {
        let mut raw = Vec::new();
        self.raw(from, to, &mut raw);
        raw.sort_by(|a, b| {
            a.identity()
                .cmp(&b.identity())
                .then(b.end.cmp(&a.end))
                .then(a.rule.cmp(&b.rule))
        });
        raw.dedup_by(|later, kept| later.identity() == kept.identity());
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn leap_day_is_read_as_28_february_in_other_years() {
        let md = MonthDay { month: 2, day: 29 };
        assert_eq!(month_day_in(md, 2024), Some(d(2024, 2, 29)));
        assert_eq!(month_day_in(md, 2025), Some(d(2025, 2, 28)));
        assert_eq!(month_day_in(md, 2100), Some(d(2100, 2, 28)));
        assert_eq!(month_day_in(md, 2000), Some(d(2000, 2, 29)));
    }

    #[test]
    fn yearly_ranges_cross_the_year_end() {
        let r = Recurring::Yearly {
            from: MonthDay { month: 12, day: 20 },
            to: MonthDay { month: 1, day: 5 },
        };
        assert_eq!(r.in_year(2026), Some((d(2026, 12, 20), d(2027, 1, 5))));
        let one_day = Recurring::Yearly {
            from: MonthDay { month: 11, day: 25 },
            to: MonthDay { month: 11, day: 25 },
        };
        assert_eq!(
            one_day.in_year(2026),
            Some((d(2026, 11, 25), d(2026, 11, 25)))
        );
    }

    #[test]
    fn nth_and_last_weekdays() {
        assert_eq!(
            nth_weekday(2024, 11, Weekday::Mon, Nth::Number(3)),
            Some(d(2024, 11, 18))
        );
        assert_eq!(
            nth_weekday(2026, 11, Weekday::Mon, Nth::Number(5)),
            Some(d(2026, 11, 30))
        );
        assert_eq!(nth_weekday(2025, 11, Weekday::Mon, Nth::Number(5)), None);
        assert_eq!(
            nth_weekday(2024, 12, Weekday::Tue, Nth::Last),
            Some(d(2024, 12, 31))
        );
        assert_eq!(
            nth_weekday(2024, 12, Weekday::Wed, Nth::Last),
            Some(d(2024, 12, 25))
        );
        assert_eq!(
            nth_weekday(2024, 2, Weekday::Thu, Nth::Last),
            Some(d(2024, 2, 29))
        );
    }

    #[test]
    fn local_times_in_the_gap_and_the_overlap() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap();
        let LocalTime::Gap { after } = resolve_local(London, at("2027-03-28T01:30")) else {
            panic!("not a gap")
        };
        assert_eq!(after.naive_local(), at("2027-03-28T02:00"));
        assert_eq!(after.to_rfc3339(), "2027-03-28T02:00:00+01:00");
        let LocalTime::Ambiguous { first, second } = resolve_local(London, at("2026-10-25T01:30"))
        else {
            panic!("not ambiguous")
        };
        assert_eq!(first.to_rfc3339(), "2026-10-25T01:30:00+01:00");
        assert_eq!(second.to_rfc3339(), "2026-10-25T01:30:00+00:00");
        assert!(matches!(
            resolve_local(London, at("2026-12-09T10:00")),
            LocalTime::Single(_)
        ));
    }

    #[test]
    fn an_event_ending_at_midnight_stays_on_its_day() {
        let at = |s: &str| {
            London
                .from_local_datetime(&NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap())
                .unwrap()
        };
        assert_eq!(
            last_day(at("2026-12-09T22:00"), at("2026-12-10T00:00")),
            d(2026, 12, 9)
        );
        assert_eq!(
            last_day(at("2026-12-09T22:00"), at("2026-12-10T00:01")),
            d(2026, 12, 10)
        );
    }
}
