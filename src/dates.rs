//! Dates as people type them and as people read them. Files and the command line take ISO
//! dates only (`2027-02-09`), so there is no guessing at run time; this module turns a near
//! miss (`09/02/2027`, `2027-02-30`, `9.2.2027 10:00`) into one clear message that shows the
//! date to write instead, reads the strict date of a URL path, and writes dates in words
//! (month names, ordinals). Also the start of a local day where midnight may fall in a DST gap.

use chrono::{Datelike, NaiveDate, NaiveTime};

/// Why some text is not an ISO date, with what to write instead where that can be known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Day, month and year with slashes or dots (`09/02/2027`): read the UK way, day first,
    /// unless only month-first makes sense (`02/28/2027`).
    #[error("`{written}` is not a date in the form YYYY-MM-DD; write it {}", iso(*.date, *.time))]
    NotIso {
        written: String,
        date: NaiveDate,
        time: Option<NaiveTime>,
    },
    /// Written year-month-day, but no such day (`2027-02-30`, `2027-13-01`).
    #[error("{written} does not exist: {why}")]
    NoSuchDay { written: String, why: String },
    /// Anything else.
    #[error("`{0}` is not a date; write dates as YYYY-MM-DD, e.g. 2027-02-09")]
    Unreadable(String),
}

impl DateError {
    /// The ISO form of the date (and time) the text most likely means, when there is one.
    pub fn suggestion(&self) -> Option<(NaiveDate, Option<NaiveTime>)> {
        match self {
            DateError::NotIso { date, time, .. } => Some((*date, *time)),
            _ => None,
        }
    }
}

fn iso(date: NaiveDate, time: Option<NaiveTime>) -> String {
    match time {
        Some(t) => format!("{}T{}", date.format("%Y-%m-%d"), t.format("%H:%M")),
        None => date.format("%Y-%m-%d").to_string(),
    }
}

/// "9 February 2027", how a reader checks that a suggested date is the one they meant.
pub fn long(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// "1st", "2nd", "3rd", "11th", "22nd": the one English ordinal the calendar and the cron
/// reading share.
pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The English month names, January first: the one list every date in words uses.
pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The English weekday names, Sunday first (as cron numbers them, 0 to 6): the one list every
/// weekday in words uses.
pub const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The English name of a weekday.
pub fn weekday_name(w: chrono::Weekday) -> &'static str {
    DAYS[w.num_days_from_sunday() as usize]
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).map_or(31, |d| d.day())
}

/// Why year, month and day make no date, in words.
fn why_not(year: i32, month: u32, day: u32) -> String {
    if !(1..=12).contains(&month) {
        return format!("there is no month {month} (months are 01 to 12)");
    }
    let name = MONTHS[month as usize - 1];
    if day == 0 {
        return "days start at 01".into();
    }
    format!("{name} {year} has {} days", days_in_month(year, month))
}

fn number(s: &str) -> Option<u32> {
    (!s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn time_of(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .or_else(|_| NaiveTime::parse_from_str(s, "%H.%M"))
        .ok()
}

/// Read `text` as an ISO date (`2027-02-09`), or say what is wrong with it.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    match parse_date_time(text) {
        Ok((d, None)) => Ok(d),
        Ok((date, Some(_))) => Err(DateError::NotIso {
            written: text.trim().to_string(),
            date,
            time: None,
        }),
        Err(DateError::NotIso { written, date, .. }) => Err(DateError::NotIso {
            written,
            date,
            time: None,
        }),
        Err(e) => Err(e),
    }
}

/// Read `text` as an ISO date with an optional time (`2027-02-09`, `2027-02-09T10:00`, or a
/// space for the `T`), or say what is wrong with it.
pub fn parse_date_time(text: &str) -> Result<(NaiveDate, Option<NaiveTime>), DateError> {
    let written = text.trim().trim_matches('"').trim();
    let (date_part, time_part) = match written.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (written, None),
    };
    let time = match time_part {
        None => None,
        Some(t) => Some(time_of(t).ok_or_else(|| DateError::Unreadable(written.to_string()))?),
    };
    let unreadable = || DateError::Unreadable(written.to_string());
    // Year-month-day: the only form accepted, if the day exists.
    let iso: Vec<&str> = date_part.split('-').collect();
    if iso.len() == 3 && iso[0].len() == 4 {
        let (y, m, d) = (
            number(iso[0]).ok_or_else(unreadable)?,
            number(iso[1]).ok_or_else(unreadable)?,
            number(iso[2]).ok_or_else(unreadable)?,
        );
        return match NaiveDate::from_ymd_opt(y as i32, m, d) {
            Some(date) if iso[1].len() == 2 && iso[2].len() == 2 => Ok((date, time)),
            _ => Err(written_otherwise(written, y as i32, m, d, time)),
        };
    }
    // Day/month/year (or month/day/year when the middle number cannot be a month).
    let dmy: Vec<&str> = date_part.split(['/', '.', '-']).collect();
    if dmy.len() == 3 && dmy[2].len() == 4 {
        let (a, b, y) = (
            number(dmy[0]).ok_or_else(unreadable)?,
            number(dmy[1]).ok_or_else(unreadable)?,
            number(dmy[2]).ok_or_else(unreadable)? as i32,
        );
        let (day, month) = if b > 12 && a <= 12 { (b, a) } else { (a, b) };
        return Err(written_otherwise(written, y, month, day, time));
    }
    Err(unreadable())
}

/// A date written another way than YYYY-MM-DD: which date to write instead, or why that day
/// does not exist.
fn written_otherwise(written: &str, y: i32, m: u32, d: u32, time: Option<NaiveTime>) -> DateError {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(date) => DateError::NotIso {
            written: written.to_string(),
            date,
            time,
        },
        None => DateError::NoSuchDay {
            written: written.to_string(),
            why: why_not(y, m, d),
        },
    }
}

/// A date in a URL path: exactly `YYYY-MM-DD`, nothing else (no sign, no extra digits, no
/// padding left off), so each page has one address and an alias such as `+2026-12-01` is not
/// another way to reach it.
pub fn path_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|d| d.format("%Y-%m-%d").to_string() == text)
}

/// Why a `--date`, `--from` or `--to` value is refused: each message names YYYY-MM-DD, and
/// the date to write where it can be known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliDateError {
    #[error("`{written}` has a time; give the date only, as YYYY-MM-DD: {}", iso(*.date, None))]
    HasTime { written: String, date: NaiveDate },
    #[error("write the date as YYYY-MM-DD: {} ({})", iso(*.0, None), long(*.0))]
    NotIso(NaiveDate),
    #[error("{0} (dates are YYYY-MM-DD)")]
    NoSuchDay(DateError),
    #[error("`{0}` is not a date; write it as YYYY-MM-DD, e.g. 2027-02-09")]
    Unreadable(String),
}

/// For clap: a `--date`, `--from` or `--to` value.
pub fn cli_date(text: &str) -> Result<NaiveDate, CliDateError> {
    match parse_date_time(text) {
        Ok((d, None)) => Ok(d),
        Ok((date, Some(_))) => Err(CliDateError::HasTime {
            written: text.trim().to_string(),
            date,
        }),
        Err(DateError::NotIso { date, .. }) => Err(CliDateError::NotIso(date)),
        Err(e @ DateError::NoSuchDay { .. }) => Err(CliDateError::NoSuchDay(e)),
        Err(_) => Err(CliDateError::Unreadable(text.trim().to_string())),
    }
}

/// Local midnight, or the first instant of the day where midnight falls in a DST gap.
pub fn start_of_day(tz: chrono_tz::Tz, date: chrono::NaiveDate) -> chrono::DateTime<chrono_tz::Tz> {
    use chrono::TimeZone;
    let mut t = date.and_time(chrono::NaiveTime::MIN);
    for _ in 0..48 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt;
        }
        t += chrono::Duration::minutes(30);
    }
    tz.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_path_date_has_one_spelling() {
        assert_eq!(path_date("2026-12-01"), Some(d(2026, 12, 1)));
        assert_eq!(path_date("9999-12-31"), Some(d(9999, 12, 31)));
        for alias in [
            "+2026-12-01",
            "02026-12-01",
            "2026-12-1",
            "2026-1-01",
            " 2026-12-01",
            "2026-12-01 ",
            "2026-02-30",
            "2026/12/01",
            "+10000-01-01",
            "-2026-12-01",
            "２026-12-01",
            "",
        ] {
            assert_eq!(path_date(alias), None, "{alias:?}");
        }
    }

    #[test]
    fn iso_dates_are_read() {
        assert_eq!(parse_date("2027-02-09"), Ok(d(2027, 2, 9)));
        assert_eq!(
            parse_date_time("2027-02-09T10:00"),
            Ok((d(2027, 2, 9), NaiveTime::from_hms_opt(10, 0, 0)))
        );
    }

    #[test]
    fn day_month_year_is_read_the_uk_way_and_shown_in_iso() {
        let e = parse_date("09/02/2027").unwrap_err();
        assert_eq!(e.suggestion(), Some((d(2027, 2, 9), None)));
        assert_eq!(
            e.to_string(),
            "`09/02/2027` is not a date in the form YYYY-MM-DD; write it 2027-02-09"
        );
        assert_eq!(
            parse_date("9.2.2027").unwrap_err().suggestion(),
            Some((d(2027, 2, 9), None))
        );
        // Only month-first makes sense.
        assert_eq!(
            parse_date("02/28/2027").unwrap_err().suggestion(),
            Some((d(2027, 2, 28), None))
        );
        // Not zero-padded ISO.
        assert_eq!(
            parse_date("2027-2-9").unwrap_err().suggestion(),
            Some((d(2027, 2, 9), None))
        );
        let e = parse_date_time("09/02/2027 10:00").unwrap_err();
        assert!(e.to_string().ends_with("write it 2027-02-09T10:00"), "{e}");
    }

    #[test]
    fn days_that_do_not_exist_say_so() {
        for (text, want) in [
            (
                "2027-02-30",
                "2027-02-30 does not exist: February 2027 has 28 days",
            ),
            (
                "2028-02-30",
                "2028-02-30 does not exist: February 2028 has 29 days",
            ),
            (
                "2027-04-31",
                "2027-04-31 does not exist: April 2027 has 30 days",
            ),
            (
                "2027-13-01",
                "2027-13-01 does not exist: there is no month 13 (months are 01 to 12)",
            ),
            (
                "31/04/2027",
                "31/04/2027 does not exist: April 2027 has 30 days",
            ),
        ] {
            assert_eq!(parse_date(text).unwrap_err().to_string(), want);
        }
    }

    #[test]
    fn command_line_errors_name_the_form() {
        assert!(
            cli_date("09/02/2027")
                .unwrap_err()
                .to_string()
                .contains("YYYY-MM-DD: 2027-02-09")
        );
        assert!(
            cli_date("2027-02-30")
                .unwrap_err()
                .to_string()
                .contains("February 2027 has 28 days")
        );
        assert!(
            cli_date("tomorrow")
                .unwrap_err()
                .to_string()
                .contains("YYYY-MM-DD")
        );
        assert_eq!(cli_date("2027-02-09"), Ok(d(2027, 2, 9)));
    }
}
