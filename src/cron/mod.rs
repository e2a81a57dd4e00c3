//! Cron expressions and time zone names, parsed strictly once so the rest of the program holds
//! only schedules that can fire; the English reading of an expression ([`english`]); and what a
//! fire on a non-working day does. A leaf below `config` (which parses them) and `schedule`
//! (which places their fires in time), so neither imports the other for them.

pub mod english;

use std::fmt;
use std::str::FromStr;

use chrono::TimeZone;
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// Why a cron expression was refused, with the fix in [`CronError::hint`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("cron expression has {0} fields; expected 5 (or 6 with seconds)")]
    FieldCount(usize),
    #[error("cron aliases such as `{0}` are not accepted")]
    Alias(String),
    #[error("invalid cron expression `{expr}`: {reason}")]
    Invalid { expr: String, reason: String },
    #[error("cron expression `{0}` never fires")]
    NeverFires(String),
}

impl CronError {
    pub fn hint(&self) -> &'static str {
        match self {
            CronError::FieldCount(_) | CronError::Invalid { .. } => {
                "cron has 5 fields: minute hour day-of-month month day-of-week, e.g. \"0 9 1 * *\" (09:00 on the 1st)"
            }
            CronError::Alias(_) => {
                "write the 5 fields instead, e.g. \"0 9 * * 1\" for 09:00 every Monday"
            }
            CronError::NeverFires(_) => {
                "check the day-of-month and month fields (e.g. 31 in a 30-day month)"
            }
        }
    }
}

/// A cron expression with standard (Vixie) numbering: 5 fields, or 6 with leading seconds;
/// day-of-week 0–7 with 0 and 7 both Sunday, `1-5` Monday–Friday.
#[derive(Clone)]
pub struct CronSchedule {
    expr: String,
    cron: Cron,
}

impl CronSchedule {
    pub fn parse(expr: &str) -> Result<Self, CronError> {
        let trimmed = expr.trim();
        if trimmed.starts_with('@') {
            return Err(CronError::Alias(trimmed.to_string()));
        }
        let fields = trimmed.split_whitespace().count();
        if !(fields == 5 || fields == 6) {
            return Err(CronError::FieldCount(fields));
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build();
        let cron = parser.parse(trimmed).map_err(|e| CronError::Invalid {
            expr: trimmed.to_string(),
            reason: describe(&e),
        })?;
        let schedule = CronSchedule {
            expr: trimmed.to_string(),
            cron,
        };
        // A pattern such as "0 9 31 2 *" parses but never fires: refuse it here, not at 09:00.
        let probe = chrono_tz::UTC
            .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .unwrap();
        if schedule.next_after(&probe).is_none() {
            return Err(CronError::NeverFires(trimmed.to_string()));
        }
        Ok(schedule)
    }

    pub fn as_str(&self) -> &str {
        &self.expr
    }

    /// Whether the expression has a seconds field (6 fields).
    pub fn has_seconds(&self) -> bool {
        self.expr.split_whitespace().count() == 6
    }

    /// Whether some day can have more than one fire: the seconds, minute or hour field matches
    /// more than one value (`*/30 9 * * *`, `0 9,17 * * *`, `0 9-10 * * *`). A bulletin has at
    /// most one issue a day, so `check` refuses such a schedule for one.
    ///
    /// Decided from the fields, so it holds on every day: with one wall-clock time a day, the
    /// DST policy gives at most one fire a day too (a time in the spring gap moves to the end
    /// of the gap, on the same day wherever the gap does not cross midnight; a repeated time
    /// fires only once).
    pub fn fires_more_than_once_a_day(&self) -> bool {
        let p = &self.cron.pattern;
        [&p.seconds, &p.minutes, &p.hours]
            .iter()
            .any(|field| field.values().len() > 1)
    }

    /// The first wall-clock time strictly after `t` that the expression matches.
    pub(crate) fn next_local(&self, t: chrono::NaiveDateTime) -> Option<chrono::NaiveDateTime> {
        self.cron.find_next_occurrence(&t, false).ok()
    }

    /// The last wall-clock time strictly before `t` that the expression matches.
    pub(crate) fn prev_local(&self, t: chrono::NaiveDateTime) -> Option<chrono::NaiveDateTime> {
        self.cron.find_previous_occurrence(&t, false).ok()
    }
}

/// A schedule that parses but is probably not what a bulletin's editor meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slip {
    /// It fires this many times within some 7 days (`0 9 * 1 *`: every day of January).
    MoreThanWeekly { days: usize },
    /// It fires at night (`9 0 1 * *`: 00:09, minute and hour swapped).
    OutOfHours { hour: u32, minute: u32 },
}

/// The slips `check` warns about: more than one fire within any 7 days over four years
/// (long enough for every weekday and leap-year arrangement a monthly or yearly field meets),
/// or a time outside 06:00–20:00.
pub fn slips(schedule: &CronSchedule) -> Vec<Slip> {
    use chrono::Timelike;
    let mut out = Vec::new();
    let Some(start) =
        chrono::NaiveDate::from_ymd_opt(2027, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0))
    else {
        return out;
    };
    let end = start + chrono::Duration::days(4 * 366);
    let mut fires = Vec::new();
    let mut t = start;
    while let Some(next) = schedule.next_local(t) {
        if next > end || fires.len() > 5000 {
            break;
        }
        fires.push(next);
        t = next;
    }
    let most = fires
        .iter()
        .enumerate()
        .map(|(i, f)| {
            fires[i..]
                .iter()
                .take_while(|g| **g - *f < chrono::Duration::days(7))
                .count()
        })
        .max()
        .unwrap_or(0);
    if most > 1 {
        out.push(Slip::MoreThanWeekly { days: most });
    }
    if let Some(first) = fires.first()
        && !(6..20).contains(&first.hour())
    {
        out.push(Slip::OutOfHours {
            hour: first.hour(),
            minute: first.minute(),
        });
    }
    out
}

/// Whether `schedule` can fire more than once on a local day; see
/// [`CronSchedule::fires_more_than_once_a_day`].
pub fn fires_more_than_once_a_day(schedule: &CronSchedule) -> bool {
    schedule.fires_more_than_once_a_day()
}

fn describe(e: &croner::errors::CronError) -> String {
    use croner::errors::CronError as E;
    match e {
        E::InvalidPattern(m) | E::IllegalCharacters(m) => m.trim_end_matches('.').to_string(),
        other => other.to_string().trim_end_matches('.').to_string(),
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?})", self.expr)
    }
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

impl FromStr for CronSchedule {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// An IANA time zone name such as `Europe/London`; the nearest known name when it is not one.
pub fn parse_time_zone(name: &str) -> Result<Tz, Option<&'static str>> {
    Tz::from_str(name).map_err(|_| {
        crate::diag::did_you_mean(name, chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()))
    })
}

/// What a bulletin or announcement does when its fire lands on a weekend or bank holiday.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum NonWorkingDay {
    /// Move it to the next working day, at the same time of day.
    Next,
    /// Move it to the previous working day, at the same time of day.
    Previous,
    /// Send it anyway, on the day (the default: nothing moves unless a file asks).
    #[default]
    Send,
}

impl NonWorkingDay {
    /// The values `on_non_working_day` accepts.
    pub const NAMES: [&'static str; 3] = ["next", "previous", "send"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "next" => Some(NonWorkingDay::Next),
            "previous" => Some(NonWorkingDay::Previous),
            "send" => Some(NonWorkingDay::Send),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::London;

    #[test]
    fn accepts_five_and_six_fields() {
        assert!(CronSchedule::parse("0 9 1 * *").is_ok());
        assert!(CronSchedule::parse("30 0 9 1 * *").unwrap().has_seconds());
        assert!(CronSchedule::parse("0 9 * * 1-5").is_ok());
    }

    #[test]
    fn refuses_with_a_reason() {
        assert_eq!(
            CronSchedule::parse("0 9 1 *").unwrap_err(),
            CronError::FieldCount(4)
        );
        assert_eq!(
            CronSchedule::parse("0 0 9 1 * * 2025").unwrap_err(),
            CronError::FieldCount(7)
        );
        assert!(matches!(
            CronSchedule::parse("@daily"),
            Err(CronError::Alias(_))
        ));
        assert!(matches!(
            CronSchedule::parse("0 25 1 * *"),
            Err(CronError::Invalid { .. })
        ));
        assert!(matches!(
            CronSchedule::parse("0 9 31 2 *"),
            Err(CronError::NeverFires(_))
        ));
    }

    #[test]
    fn weekdays_use_standard_numbering() {
        // 1-5 is Monday to Friday (not Quartz's Sunday to Thursday).
        let s = CronSchedule::parse("0 9 * * 1-5").unwrap();
        let sat = London.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        let next = s.next_after(&sat).unwrap();
        assert_eq!(
            next,
            London.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
        );
    }

    #[test]
    fn more_than_once_a_day_is_read_from_the_time_fields() {
        for expr in [
            "*/30 9 * * *",
            "0 9,17 * * *",
            "0 9-10 * * *",
            "0 * * * *",
            "* 9 * * *",
            "*/10 0 9 * * *",
        ] {
            assert!(
                fires_more_than_once_a_day(&CronSchedule::parse(expr).unwrap()),
                "{expr}"
            );
        }
        for expr in [
            "0 9 * * 1-5",
            "30 0 9 1 * *",
            "0 9 1 * *",
            "0 9 * * *",
            "*/60 9 * * *",
            "0 9-9 * * *",
        ] {
            assert!(
                !fires_more_than_once_a_day(&CronSchedule::parse(expr).unwrap()),
                "{expr}"
            );
        }
    }

    #[test]
    fn time_zones_suggest_the_nearest_name() {
        assert!(parse_time_zone("Europe/London").is_ok());
        assert_eq!(parse_time_zone("Europe/Londn"), Err(Some("Europe/London")));
    }
}
