//! Working days in England and Wales, and where a fire that lands on a weekend or a bank
//! holiday goes: the next working day, the previous one, or nowhere (it is sent anyway). Pure:
//! every function takes its dates; the bank holidays are data compiled in from
//! `holidays/bank-holidays.json` (GOV.UK's format, refreshed by `scripts/update-bank-holidays`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate, Weekday};

pub use crate::cron::NonWorkingDay;

/// Why a day is not a working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    Weekend(Weekday),
    BankHoliday(String),
}

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Closed::Weekend(Weekday::Sat) => write!(f, "Saturday"),
            Closed::Weekend(_) => write!(f, "Sunday"),
            Closed::BankHoliday(name) => write!(f, "bank holiday ({name})"),
        }
    }
}

/// Why the bank holiday data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HolidayDataError {
    #[error("the bank holiday data is not JSON in GOV.UK's format: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the bank holiday data has no `{0}` division")]
    NoDivision(String),
    #[error("bank holiday `{title}` has an invalid date `{date}`")]
    BadDate { title: String, date: String },
}

#[derive(serde::Deserialize)]
struct Division {
    events: Vec<Event>,
}

#[derive(serde::Deserialize)]
struct Event {
    title: String,
    date: String,
}

/// Weekends and the bank holidays of one division of the UK.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingDays {
    holidays: BTreeMap<NaiveDate, String>,
}

/// The data compiled into the program.
const ENGLAND_AND_WALES: &str = include_str!("../../holidays/bank-holidays.json");

/// How far a fire may move: longer than any run of non-working days (Christmas and New Year
/// with substitute days is at most five).
pub const MAX_MOVE_DAYS: u64 = 14;

impl WorkingDays {
    /// England and Wales, from the compiled-in data.
    pub fn england_and_wales() -> &'static WorkingDays {
        static DAYS: OnceLock<WorkingDays> = OnceLock::new();
        DAYS.get_or_init(|| {
            WorkingDays::from_govuk_json(ENGLAND_AND_WALES, "england-and-wales")
                .expect("holidays/bank-holidays.json is checked by the tests")
        })
    }

    /// One division (`england-and-wales`, `scotland`, `northern-ireland`) of GOV.UK's
    /// `bank-holidays.json`.
    pub fn from_govuk_json(text: &str, division: &str) -> Result<Self, HolidayDataError> {
        let mut all: BTreeMap<String, Division> = serde_json::from_str(text)?;
        let d = all
            .remove(division)
            .ok_or_else(|| HolidayDataError::NoDivision(division.to_string()))?;
        let mut holidays = BTreeMap::new();
        for e in d.events {
            let date = NaiveDate::parse_from_str(&e.date, "%Y-%m-%d").map_err(|_| {
                HolidayDataError::BadDate {
                    title: e.title.clone(),
                    date: e.date.clone(),
                }
            })?;
            holidays.insert(date, e.title);
        }
        Ok(WorkingDays { holidays })
    }

    /// Only weekends (and these bank holidays): for tests.
    pub fn with_holidays(holidays: impl IntoIterator<Item = (NaiveDate, String)>) -> Self {
        WorkingDays {
            holidays: holidays.into_iter().collect(),
        }
    }

    /// The years the bank holidays are known for (every year in between has its list).
    pub fn years(&self) -> Option<(i32, i32)> {
        let first = self.holidays.keys().next()?.year();
        let last = self.holidays.keys().next_back()?.year();
        Some((first, last))
    }

    pub fn holidays(&self) -> impl Iterator<Item = (NaiveDate, &str)> {
        self.holidays.iter().map(|(d, t)| (*d, t.as_str()))
    }

    /// Why `date` is not a working day, or `None` when it is one.
    pub fn closed(&self, date: NaiveDate) -> Option<Closed> {
        if let Some(name) = self.holidays.get(&date) {
            return Some(Closed::BankHoliday(name.clone()));
        }
        match date.weekday() {
            w @ (Weekday::Sat | Weekday::Sun) => Some(Closed::Weekend(w)),
            _ => None,
        }
    }

    pub fn is_working(&self, date: NaiveDate) -> bool {
        self.closed(date).is_none()
    }
}

/// `check`'s warnings when a bulletin or announcement moves fires off bank holidays but the
/// next twelve months reach past the years the compiled-in bank holidays cover.
pub fn coverage_warnings(
    project: &crate::config::Project,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<crate::diag::Diagnostic> {
    let Some((_, last)) = WorkingDays::england_and_wales().years() else {
        return Vec::new();
    };
    let horizon = (now + chrono::Duration::days(366)).year();
    if horizon <= last {
        return Vec::new();
    }
    let warn = |path: &std::path::Path, pos, what: String| {
        crate::diag::Diagnostic::warning(
            path,
            pos,
            format!(
                "{what} moves fires off bank holidays, but they are known only up to {last}: later fires move off weekends only"
            ),
        )
        .with_hint("run scripts/update-bank-holidays and rebuild")
    };
    let mut out = Vec::new();
    for b in &project.settings.bulletins {
        if b.on_non_working_day != NonWorkingDay::Send {
            out.push(warn(
                &project.config_path,
                b.pos,
                format!("bulletin `{}`", b.id),
            ));
        }
    }
    for c in &project.campaigns {
        if c.announce
            .as_ref()
            .is_some_and(|a| a.on_non_working_day != NonWorkingDay::Send)
        {
            out.push(warn(
                &c.path,
                crate::diag::Position::START,
                format!("the announcement of `{}`", c.id),
            ));
        }
    }
    out
}

/// A fire's day after the policy: where it goes, and why it moved (`None` when it stays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shifted {
    pub date: NaiveDate,
    pub moved: Option<Closed>,
}

/// Where a fire on `date` goes under `policy`. With `Next` (`Previous`) it is the first working
/// day on or after (on or before) `date`; `Send` and working days stay put.
pub fn shift(date: NaiveDate, policy: NonWorkingDay, days: &WorkingDays) -> Shifted {
    let Some(why) = days.closed(date) else {
        return Shifted { date, moved: None };
    };
    let step = |d: NaiveDate| match policy {
        NonWorkingDay::Next => d.checked_add_days(Days::new(1)),
        NonWorkingDay::Previous => d.checked_sub_days(Days::new(1)),
        NonWorkingDay::Send => None,
    };
    let mut d = date;
    for _ in 0..MAX_MOVE_DAYS {
        match step(d) {
            Some(next) => d = next,
            None => break,
        }
        if days.is_working(d) {
            return Shifted {
                date: d,
                moved: Some(why),
            };
        }
    }
    Shifted { date, moved: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_compiled_in_data_covers_2020_to_2028() {
        let days = WorkingDays::england_and_wales();
        assert_eq!(days.years(), Some((2020, 2028)));
        assert_eq!(
            days.closed(d("2027-05-03")),
            Some(Closed::BankHoliday("Early May bank holiday".into()))
        );
        assert_eq!(
            days.closed(d("2027-05-02")),
            Some(Closed::Weekend(Weekday::Sun))
        );
        assert!(days.is_working(d("2027-05-04")));
    }

    #[test]
    fn next_previous_and_send() {
        let days = WorkingDays::england_and_wales();
        // Christmas 2027: Sat 25, Sun 26, Mon 27 and Tue 28 (substitute days).
        let sat = d("2027-12-25");
        assert_eq!(shift(sat, NonWorkingDay::Next, days).date, d("2027-12-29"));
        assert_eq!(
            shift(sat, NonWorkingDay::Previous, days).date,
            d("2027-12-24")
        );
        assert_eq!(
            shift(sat, NonWorkingDay::Send, days),
            Shifted {
                date: sat,
                moved: None
            }
        );
        let wed = d("2027-12-29");
        assert_eq!(
            shift(wed, NonWorkingDay::Next, days),
            Shifted {
                date: wed,
                moved: None
            }
        );
        assert_eq!(
            shift(d("2027-05-03"), NonWorkingDay::Next, days).to_string_pair(),
            (
                "2027-05-04".into(),
                "bank holiday (Early May bank holiday)".into()
            )
        );
    }

    impl Shifted {
        fn to_string_pair(&self) -> (String, String) {
            (
                self.date.to_string(),
                self.moved
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
        }
    }

    #[test]
    fn policies_parse() {
        assert_eq!(NonWorkingDay::parse("next"), Some(NonWorkingDay::Next));
        assert_eq!(NonWorkingDay::parse("nxt"), None);
        assert_eq!(NonWorkingDay::default(), NonWorkingDay::Send);
    }
}
