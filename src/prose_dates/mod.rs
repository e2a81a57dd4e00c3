//! Dates written in prose, checked against the calendar: "Monday 17 November" when 17
//! November is a Tuesday is an error, at the date's place in the file. A date written without
//! its year is read in the year nearest the text's own date (a news item's `publish`, a
//! campaign's `[year.YYYY]` table), and the message says which year that was. Text with no
//! date of its own (a standing block, a campaign's summary) is checked only where the year is
//! written. Pure: the text and the dates it is read against are arguments.
//!
//! What the words around a date say of it ("launched on", "will be held on") is read here too;
//! comparing that with the issues that carry a news item is [`crate::news_dates`]'s job.

pub mod recognise;

use std::path::Path;

use chrono::{Datelike, NaiveDate};

pub use recognise::{Found, NamedAt, Tense, WeekdayOf, WrittenDate, scan};

use crate::dates::weekday_name;
use crate::diag::{Diagnostic, Diagnostics, Position};

/// Where the year of a date written without one comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearFrom {
    /// A news item's publish date: the nearest year to it.
    Publish(NaiveDate),
    /// A campaign's `[year.YYYY]` table.
    Table(i32),
    /// Nothing: a date without its year is not checked.
    Unknown,
}

/// The date a written date names, and the year assumed for it when none was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub date: NaiveDate,
    pub assumed: Option<YearFrom>,
}

/// The date `day` `month` nearest `reference`: in its year, the one before or the one after
/// (so "6 January" in an item published in late December is next year's).
pub fn nearest(day: u32, month: u32, reference: NaiveDate) -> Option<NaiveDate> {
    (reference.year() - 1..=reference.year() + 1)
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
        .min_by_key(|d| (*d - reference).num_days().abs())
}

/// The date `d` names, if it is a date at all (and its year is written or can be assumed).
pub fn resolve(d: &WrittenDate, from: YearFrom) -> Option<Resolved> {
    if let Some(y) = d.year {
        return NaiveDate::from_ymd_opt(y, d.month, d.day).map(|date| Resolved {
            date,
            assumed: None,
        });
    }
    let date = match from {
        YearFrom::Publish(p) => nearest(d.day, d.month, p)?,
        YearFrom::Table(y) => NaiveDate::from_ymd_opt(y, d.month, d.day)?,
        YearFrom::Unknown => return None,
    };
    Some(Resolved {
        date,
        assumed: Some(from),
    })
}

/// Why a year was assumed, for messages: " (the year 2020 is assumed from …)".
pub fn assumed_note(r: &Resolved) -> String {
    match r.assumed {
        Some(YearFrom::Publish(p)) => format!(
            " (the year {} is assumed: the nearest to the item's publish date, {p})",
            r.date.year()
        ),
        Some(YearFrom::Table(y)) => {
            format!(" (the year {y} is assumed from its [year.{y}] table)")
        }
        Some(YearFrom::Unknown) | None => String::new(),
    }
}

/// A date whose weekday is not the calendar's: where it starts in the text, and the message
/// and hint to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub offset: usize,
    pub message: String,
    pub hint: String,
}

/// Each date in `text` written with a weekday the calendar does not give it; `year_from`
/// says, for a byte offset, where a missing year comes from.
pub fn wrong_weekdays(text: &str, year_from: impl Fn(usize) -> YearFrom) -> Vec<Finding> {
    let mut out = Vec::new();
    for d in scan(text).dates {
        let Some(written_wd) = d.weekday else {
            continue;
        };
        let Some(r) = resolve(&d, year_from(d.start)) else {
            continue;
        };
        let actual = r.date.weekday();
        if actual == written_wd {
            continue;
        }
        let written = d.written(text);
        let year_hint = if r.assumed.is_some() {
            format!(
                "; if another year is meant, write it (`{written} {}`)",
                r.date.year() + 1
            )
        } else {
            String::new()
        };
        out.push(Finding {
            offset: d.start,
            message: format!(
                "`{written}` is not a {}: {} is a {}{}",
                weekday_name(written_wd),
                r.date.format("%-d %B %Y"),
                weekday_name(actual),
                assumed_note(&r)
            ),
            hint: format!(
                "correct the weekday or the day ({} {}){year_hint}",
                weekday_name(actual),
                r.date.format("%-d %B")
            ),
        });
    }
    out
}

fn errors(path: &Path, text: &str, findings: Vec<Finding>) -> Diagnostics {
    let mut out = Diagnostics::new();
    for f in findings {
        out.push(
            Diagnostic::error(path, Position::at(text, f.offset), f.message).with_hint(f.hint),
        );
    }
    out
}

/// A news item's file: dates without a year are read in the year nearest `publish`.
pub fn news_file(path: &Path, text: &str, publish: NaiveDate) -> Diagnostics {
    errors(
        path,
        text,
        wrong_weekdays(text, |_| YearFrom::Publish(publish)),
    )
}

/// A standing block's file: it has no date of its own, so only dates with a year are checked.
pub fn block_file(path: &Path, text: &str) -> Diagnostics {
    errors(path, text, wrong_weekdays(text, |_| YearFrom::Unknown))
}

/// A campaign's file: a date without a year inside a `[year.YYYY]` table (or one of its
/// sub-tables) is read in that year; elsewhere only dates with a year are checked.
pub fn campaign_file(path: &Path, text: &str) -> Diagnostics {
    let tables = year_tables(text);
    let year_at = |offset: usize| {
        tables
            .iter()
            .rev()
            .find(|(start, _)| *start <= offset)
            .and_then(|(_, y)| *y)
            .map_or(YearFrom::Unknown, YearFrom::Table)
    };
    errors(path, text, wrong_weekdays(text, year_at))
}

/// Each table header of a TOML file: its offset, and its year if it is `[year.YYYY…]`.
fn year_tables(text: &str) -> Vec<(usize, Option<i32>)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with('[') {
            let name = t.trim_start_matches('[').trim_start();
            let year = name
                .strip_prefix("year.")
                .map(|rest| rest.trim_start_matches('"'))
                .and_then(|rest| rest.get(..4))
                .and_then(|y| y.parse().ok());
            out.push((offset, year));
        }
        offset += line.len();
    }
    out
}

/// What is wrong with the tense of `d` (which names `date`) in an issue of `issue`: a past
/// tense about a later date, or a future tense about an earlier one.
pub fn tense_mismatch(d: &WrittenDate, date: NaiveDate, issue: NaiveDate) -> Option<&'static str> {
    match d.tense? {
        Tense::Past(phrase) if date > issue => Some(phrase),
        Tense::Future(phrase) if date < issue => Some(phrase),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;
    use proptest::prelude::*;

    const WEEKDAYS: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_sample_sentence_has_the_right_weekday_in_2020_and_not_in_2021() {
        let text = "The Home Office launched a new campaign on Tuesday 17 November.";
        assert!(wrong_weekdays(text, |_| YearFrom::Publish(ymd(2020, 11, 1))).is_empty());
        let f = wrong_weekdays(text, |_| YearFrom::Publish(ymd(2021, 11, 1)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].offset, text.find("Tuesday").unwrap());
        assert!(
            f[0].message.contains("17 November 2021 is a Wednesday"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message.contains("the year 2021 is assumed"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn the_nearest_year_crosses_new_year() {
        assert_eq!(nearest(6, 1, ymd(2024, 12, 20)), Some(ymd(2025, 1, 6)));
        assert_eq!(nearest(20, 12, ymd(2025, 1, 6)), Some(ymd(2024, 12, 20)));
        assert_eq!(nearest(17, 11, ymd(2020, 11, 1)), Some(ymd(2020, 11, 17)));
    }

    #[test]
    fn campaign_year_tables_lend_their_year() {
        let text = "summary = \"Mon 16 Nov\"\n[year.2020]\nlocal = \"from Monday 16 November\"\n[year.2021]\nlocal = \"Monday 16 November\"\n";
        let d = campaign_file(Path::new("c.toml"), text);
        let all: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert_eq!(all.len(), 1, "{all:#?}");
        assert!(
            all[0].starts_with("c.toml:5:10: error: `Monday 16 November` is not a Monday"),
            "{all:#?}"
        );
    }

    #[test]
    fn tense_against_the_issue_date() {
        let text = "It launched on Tuesday 17 November. It will be held on Monday 2 November.";
        let found = scan(text).dates;
        let issue = ymd(2020, 11, 10);
        assert_eq!(
            tense_mismatch(&found[0], ymd(2020, 11, 17), issue),
            Some("launched")
        );
        assert_eq!(
            tense_mismatch(&found[1], ymd(2020, 11, 2), issue),
            Some("will be held")
        );
        let later = ymd(2020, 12, 1);
        assert_eq!(tense_mismatch(&found[0], ymd(2020, 11, 17), later), None);
    }

    proptest! {
        #[test]
        fn a_date_with_its_own_weekday_passes_and_any_other_fails_once(
            days in 0i64..(200 * 366),
            other in 1usize..7,
            short in any::<bool>(),
        ) {
            let date = ymd(1950, 1, 1) + chrono::Duration::days(days);
            let right = date.weekday();
            let wrong = WEEKDAYS[(right.num_days_from_monday() as usize + other) % 7];
            let month_fmt = if short { "%b" } else { "%B" };
            let write = |w: Weekday| {
                let name = if short { &weekday_name(w)[..3] } else { weekday_name(w) };
                format!("It is on {name} {}.", date.format(&format!("%-d {month_fmt} %Y")))
            };
            let ok = write(right);
            prop_assert!(wrong_weekdays(&ok, |_| YearFrom::Unknown).is_empty(), "{}", ok);
            let bad = write(wrong);
            prop_assert_eq!(wrong_weekdays(&bad, |_| YearFrom::Unknown).len(), 1, "{}", bad);
            // Without the year, read against a publish date in the same month.
            let year_less = format!("On {} {}.", weekday_name(right), date.format("%-d %B"));
            let publish = date.with_day(1).unwrap();
            prop_assert!(wrong_weekdays(&year_less, |_| YearFrom::Publish(publish)).is_empty());
        }
    }
}
