//! `bulletin`: a partnership's calendar of campaigns and its email news bulletin, sent on
//! schedule, exactly once per subscriber.
//!
//! Data flows one way: files → [`config`] → calendar/schedule → issue → render → store →
//! delivery. The pure core takes dates as arguments; only the edges touch the clock.

pub mod address;
pub mod backoff;
pub mod bounce;
pub mod bounce_limits;
pub mod calendar;
pub mod campaign_file;
pub mod cli;
pub mod clock;
pub mod compose;
pub mod config;
pub mod config_health;
pub mod cron;
pub mod daemon;
pub mod dates;
pub mod delivery;
pub mod diag;
pub mod dkim;
pub mod holidays;
pub mod hostname;
pub mod ids;
pub mod impact;
pub mod instance;
pub mod issue;
pub mod issue_acts;
pub mod late;
pub mod list_summary;
pub mod load;
pub mod local_time;
pub mod markdown;
pub mod news_dates;
pub mod news_file;
pub mod news_window;
pub mod private;
pub mod project_edit;
pub mod prose_dates;
pub mod reach;
pub mod readability;
pub mod render;
pub mod schedule;
pub mod secret;
pub mod send;
pub mod signup;
pub mod small_groups;
pub mod spreadsheet;
pub mod store;
pub mod suppress_rule;
pub mod themes;
pub mod timestamp;
pub mod token;
pub mod toml_text;
pub mod web;
pub mod whoami;
