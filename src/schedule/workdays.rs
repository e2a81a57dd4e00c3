//! Where a fire that lands on a weekend or a bank holiday goes: the next working day, the
//! previous one, or nowhere (it is sent anyway). Pure: every function takes its dates and the
//! [`WorkingDays`] table, which the loader builds from the project's bank holidays
//! ([`crate::holidays`]).

use chrono::{Datelike, Days, NaiveDate};

pub use crate::cron::NonWorkingDay;
pub use crate::holidays::{Closed, Division, HolidayDataError, WorkingDays};

/// How far a fire may move: longer than any run of non-working days (Christmas and New Year
/// with substitute days is at most five).
pub const MAX_MOVE_DAYS: u64 = 14;

/// `check`'s warnings when a bulletin or announcement moves fires off bank holidays but the
/// next twelve months reach past the last year the project's bank holidays list (its
/// `holidays/bank-holidays.json`, or the compiled-in copy): later fires would move off
/// weekends only.
pub fn coverage_warnings(
    project: &crate::config::Project,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<crate::diag::Diagnostic> {
    let Some(last) = project.working_days.last_listed() else {
        return Vec::new();
    };
    let horizon = (now + chrono::Duration::days(366)).year();
    if horizon <= last.year() {
        return Vec::new();
    }
    let division = project.settings.organisation.bank_holidays;
    let (source, hint) = match &project.holidays_file {
        Some(file) => {
            let shown = file.strip_prefix(&project.root).unwrap_or(file).display();
            (
                format!("{shown}"),
                format!("run scripts/update-bank-holidays to refresh {shown} from GOV.UK"),
            )
        }
        None => (
            "the compiled-in bank holidays".to_string(),
            "add holidays/bank-holidays.json to the project (scripts/update-bank-holidays writes it from GOV.UK)".to_string(),
        ),
    };
    let warn = |path: &std::path::Path, pos, what: String| {
        crate::diag::Diagnostic::warning(
            path,
            pos,
            format!(
                "{what} moves fires off bank holidays, but {source} lists the {division} ones only up to {last}: later fires move off weekends only"
            ),
        )
        .with_hint(hint.clone())
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
    use chrono::Weekday;

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
