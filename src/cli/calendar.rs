//! `bulletin calendar [--from D] [--to D] [--format table|json|ics]`: the occurrences between
//! two dates (default today, in the organisation's time zone, to 90 days on) for people, for
//! scripts (one JSON document) or for calendar apps (iCalendar). The only clock read in the
//! calendar is `now`, passed in here.

use std::io::Write;

use anyhow::Context;
use chrono::{DateTime, Days, NaiveDate, Utc};

use super::CalendarFormat;
use crate::calendar::{Calendar, Occurrence, human, to_ics};
use crate::config::Project;

/// What the table says of dates a rule worked out and nobody has confirmed.
pub const UNCONFIRMED: &str = "unconfirmed";

/// How far ahead `calendar` looks when `--to` is not given.
pub const DEFAULT_DAYS: u64 = 90;

/// Why the range asked for cannot be shown: a usage error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("--from {0} is too far in the future")]
    TooFar(NaiveDate),
    #[error("--to {to} is before --from {from}")]
    Backwards { from: NaiveDate, to: NaiveDate },
}

/// The range asked for: `--from` defaults to `today`, `--to` to 90 days after `--from`.
pub fn resolve_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), RangeError> {
    let from = from.unwrap_or(today);
    let to = match to {
        Some(to) => to,
        None => from
            .checked_add_days(Days::new(DEFAULT_DAYS))
            .ok_or(RangeError::TooFar(from))?,
    };
    if to < from {
        return Err(RangeError::Backwards { from, to });
    }
    Ok((from, to))
}

pub fn run(
    project: &Project,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: CalendarFormat,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let org = &project.settings.organisation;
    let today = project.local(now).date_naive();
    let (from, to) = match resolve_range(from, to, today) {
        Ok(range) => range,
        // A usage error: clap prints it and exits with 2, as for any other bad argument.
        Err(message) => clap::Error::raw(
            clap::error::ErrorKind::ValueValidation,
            format!("{message}\n"),
        )
        .exit(),
    };
    let calendar = Calendar::new(&project.campaigns, org.time_zone);
    let occurrences = calendar.between(from, to);
    let mut out = std::io::stdout().lock();
    match format {
        CalendarFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &occurrences)?;
            writeln!(out)?;
        }
        CalendarFormat::Ics => {
            out.write_all(to_ics(&occurrences, &project.campaigns, org, now).as_bytes())?;
        }
        CalendarFormat::Table => {
            out.write_all(table(&calendar, &occurrences, from, to).as_bytes())?
        }
    }
    out.flush().context("writing to stdout")
}

/// The table for people: when, what, and the id to find its file by; a footer for the
/// always-on campaigns, which have no dates.
pub fn table(
    calendar: &Calendar<'_>,
    occurrences: &[Occurrence],
    from: NaiveDate,
    to: NaiveDate,
) -> String {
    let mut s = String::new();
    let range = human::date_range(from, to);
    if occurrences.is_empty() {
        s.push_str(&format!("Nothing on {range}.\n"));
    } else {
        let rows: Vec<(String, &str, &str, &str)> = occurrences
            .iter()
            .map(|o| {
                (
                    human::when(o),
                    o.title.as_str(),
                    o.campaign.as_str(),
                    if o.confirmed { "" } else { UNCONFIRMED },
                )
            })
            .collect();
        // Each column as wide as its widest cell (in characters), at least its heading.
        let width = |column: usize, heading: usize| {
            rows.iter()
                .map(|r| [r.0.as_str(), r.1, r.2][column].chars().count())
                .max()
                .unwrap_or(0)
                .max(heading)
        };
        let (w_when, w_title, w_id) = (width(0, 4), width(1, 4), width(2, 8));
        s.push_str(&format!("{range} ({})\n\n", calendar.time_zone()));
        s.push_str(&format!(
            "{:<w_when$}  {:<w_title$}  {:<w_id$}  DATES\n",
            "WHEN", "WHAT", "CAMPAIGN"
        ));
        for (when, title, id, dates) in &rows {
            let line = format!("{when:<w_when$}  {title:<w_title$}  {id:<w_id$}  {dates}");
            s.push_str(line.trim_end());
            s.push('\n');
        }
        if rows.iter().any(|r| !r.3.is_empty()) {
            s.push_str(&format!(
                "\n{UNCONFIRMED}: the campaign's rule worked these dates out; once the organiser \
                 announces the year's dates, add them as a `dates` entry with `source` and \
                 `confirmed`.\n"
            ));
        }
    }
    let evergreen = calendar.evergreen();
    if !evergreen.is_empty() {
        let names: Vec<String> = evergreen
            .iter()
            .map(|c| {
                format!(
                    "{} ({}, {})",
                    c.title,
                    c.id,
                    human::every_nth_issue(c.evergreen.unwrap_or(1))
                )
            })
            .collect();
        s.push_str(&format!(
            "\nAlways on, rotated into issues: {}.\n",
            names.join("; ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn default_range_is_today_to_90_days_on() {
        assert_eq!(
            resolve_range(None, None, d("2026-11-01")),
            Ok((d("2026-11-01"), d("2027-01-30")))
        );
        assert_eq!(
            resolve_range(Some(d("2027-01-01")), None, d("2026-11-01")),
            Ok((d("2027-01-01"), d("2027-04-01")))
        );
        assert_eq!(
            resolve_range(None, Some(d("2026-11-30")), d("2026-11-01")),
            Ok((d("2026-11-01"), d("2026-11-30")))
        );
        assert!(
            resolve_range(
                Some(d("2026-12-01")),
                Some(d("2026-11-30")),
                d("2026-11-01")
            )
            .is_err()
        );
        assert!(resolve_range(Some(NaiveDate::MAX), None, d("2026-11-01")).is_err());
    }
}
