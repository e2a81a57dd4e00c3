//! The bank holidays of one division of the UK, read from GOV.UK's `bank-holidays.json` format:
//! the project's `holidays/bank-holidays.json`, or the copy compiled into the program when the
//! project has none. A leaf module, so the loader can build the table and the schedule can use
//! it without either depending on the other.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};

/// The divisions of GOV.UK's feed, as `organisation.bank_holidays` names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Division {
    #[default]
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Division {
    pub const ALL: [Division; 3] = [
        Division::EnglandAndWales,
        Division::Scotland,
        Division::NorthernIreland,
    ];

    /// The key of the division in GOV.UK's feed (and the setting's value).
    pub fn as_str(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "england-and-wales",
            Division::Scotland => "scotland",
            Division::NorthernIreland => "northern-ireland",
        }
    }

    pub fn parse(s: &str) -> Option<Division> {
        Division::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

impl fmt::Display for Division {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// Why the bank holiday data could not be read. Each carries the line and column (from 1) it
/// refers to, so `check` can point at the place in the file.
#[derive(Debug, thiserror::Error)]
pub enum HolidayDataError {
    #[error("the bank holiday data is not JSON in GOV.UK's format: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the bank holiday data has no `{0}` division")]
    NoDivision(Division),
    #[error("bank holiday `{title}` has an invalid date `{date}`")]
    BadDate {
        title: String,
        date: String,
        line: usize,
        col: usize,
    },
}

impl HolidayDataError {
    /// Where in the text the problem is: (line, column), both from 1.
    pub fn line_col(&self) -> (usize, usize) {
        match self {
            HolidayDataError::Json(e) => (e.line().max(1), e.column().max(1)),
            HolidayDataError::NoDivision(_) => (1, 1),
            HolidayDataError::BadDate { line, col, .. } => (*line, *col),
        }
    }
}

#[derive(serde::Deserialize)]
struct DivisionData {
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

/// The repository's `holidays/bank-holidays.json`, compiled in as the fallback for a project
/// without its own.
pub const COMPILED: &str = include_str!("../holidays/bank-holidays.json");

impl WorkingDays {
    /// England and Wales from the compiled-in data.
    pub fn england_and_wales() -> &'static WorkingDays {
        Self::england_and_wales_shared()
    }

    /// [`WorkingDays::england_and_wales`], read once and shared: what a bulletin holds until
    /// the project's own table replaces it, without a copy per bulletin.
    pub fn england_and_wales_shared() -> &'static std::sync::Arc<WorkingDays> {
        static DAYS: std::sync::OnceLock<std::sync::Arc<WorkingDays>> = std::sync::OnceLock::new();
        DAYS.get_or_init(|| std::sync::Arc::new(WorkingDays::compiled(Division::EnglandAndWales)))
    }

    /// `division` from the compiled-in data.
    pub fn compiled(division: Division) -> WorkingDays {
        WorkingDays::from_govuk_json(COMPILED, division)
            .expect("holidays/bank-holidays.json is checked by the tests")
    }

    /// One division of GOV.UK's `bank-holidays.json`.
    pub fn from_govuk_json(text: &str, division: Division) -> Result<Self, HolidayDataError> {
        let mut all: BTreeMap<String, DivisionData> = serde_json::from_str(text)?;
        let d = all
            .remove(division.as_str())
            .ok_or(HolidayDataError::NoDivision(division))?;
        let mut holidays = BTreeMap::new();
        for e in d.events {
            let Ok(date) = NaiveDate::parse_from_str(&e.date, "%Y-%m-%d") else {
                let (line, col) = locate(text, &e.date);
                return Err(HolidayDataError::BadDate {
                    title: e.title,
                    date: e.date,
                    line,
                    col,
                });
            };
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

    /// The last bank holiday listed.
    pub fn last_listed(&self) -> Option<NaiveDate> {
        self.holidays.keys().next_back().copied()
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

/// The line and column (from 1) of the first `"value"` string in `text`; the start when absent.
fn locate(text: &str, value: &str) -> (usize, usize) {
    let Ok(quoted) = serde_json::to_string(value) else {
        return (1, 1);
    };
    let Some(offset) = text.find(&quoted) else {
        return (1, 1);
    };
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_division_is_compiled_in_for_2020_to_2028() {
        for d in Division::ALL {
            assert_eq!(WorkingDays::compiled(d).years(), Some((2020, 2028)), "{d}");
        }
    }

    #[test]
    fn a_bad_date_is_located() {
        let text =
            "{\"scotland\": {\"events\": [\n  {\"title\": \"X\", \"date\": \"2027-02-30\"}]}}";
        let e = WorkingDays::from_govuk_json(text, Division::Scotland).unwrap_err();
        assert_eq!(e.line_col(), (2, 26));
        let e =
            WorkingDays::from_govuk_json("{\n  \"scotland\": [", Division::Scotland).unwrap_err();
        assert_eq!(e.line_col().0, 2);
        let e = WorkingDays::from_govuk_json("{}", Division::Scotland).unwrap_err();
        assert!(matches!(
            e,
            HolidayDataError::NoDivision(Division::Scotland)
        ));
    }
}
