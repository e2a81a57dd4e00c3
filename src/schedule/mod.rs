//! Cron expressions and time zones: the when of every bulletin, parsed strictly once so the rest
//! of the program holds only schedules that can fire; the DST policy that places their fires
//! in time ([`dst`]); and the jobs the daemon runs on them ([`jobs`]).
//!
//! # DST policy
//!
//! A schedule is read in the organisation's time zone: `0 9 * * 1` is 09:00 on the wall clock
//! every Monday, GMT in winter and BST in summer. Around a clock change:
//!
//! - a local time that does not exist (the spring-forward gap: 01:30 on 29 March 2026 in
//!   Europe/London) fires **once**, at the first instant after the gap (02:00 BST, 01:00 UTC);
//!   several fires in the same gap (`*/15 1 * * *`) are that one fire;
//! - a local time that happens twice (the autumn fall-back: 01:30 on 25 October 2026) fires
//!   **once**, at its first occurrence (01:30 BST, 00:30 UTC).
//!
//! croner follows this only for fixed-time jobs; interval jobs such as `*/15 1 * * *` it skips
//! in the gap and runs twice in the repeated hour. So croner only enumerates the matching
//! wall-clock times here (as naive date-times, where no clock changes), and [`dst`] places
//! each in the time zone with [`crate::calendar::resolve_local`], the policy the calendar uses
//! for events too.

pub mod dst;
pub mod issues;
pub mod jobs;
pub mod workdays;

pub use crate::cron::{
    CronError, CronSchedule, NonWorkingDay, english, fires_more_than_once_a_day, parse_time_zone,
};
pub use dst::{fires_after, fires_between, next_fire, prev_fire};
pub use issues::{NotScheduled, Placed, issue_fire_before, issue_fires_after};
pub use jobs::{Job, Upcoming, fires_in, upcoming};
pub use workdays::{Closed, WorkingDays};

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
