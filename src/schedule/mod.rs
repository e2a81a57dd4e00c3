//! When things happen: the fires of each bulletin's schedule placed in the organisation's time
//! zone under the DST policy ([`dst`]), the working days and bank holidays of England and Wales
//! ([`workdays`]), where an issue goes once its fire is moved off a non-working day
//! ([`issues`]), and the jobs the daemon runs on them ([`jobs`]). The schedules themselves are
//! parsed by [`crate::cron`]; its types are re-exported here for callers that need both.
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
