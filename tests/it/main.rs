//! The integration tests, as one binary: a module per story, sharing `support` (project trees,
//! the daemon, SMTP/IMAP/PostgreSQL harnesses). One binary links the crate once, and its tests
//! run side by side instead of one file after another. Run one story with
//! `cargo test --test it bounces::`.

mod project_edit;
mod support;

mod a11y;
mod backup;
mod bounce_limits;
mod bounce_pipe;
mod bounces;
mod calendar;
mod calendar_ics;
mod calendar_props;
mod calendar_published;
mod campaign_dates;
mod check;
mod cluster;
mod cosmetics;
mod crash;
mod daemon;
mod daemon_clock;
mod daemon_paused;
mod daily_limit;
mod delivery;
mod desk_campaigns;
mod desk_issue;
mod desk_lists;
mod desk_news;
mod desk_signin;
mod desk_story;
mod dkim;
mod holidays;
mod hostile_input;
mod invalid_rows;
mod ledger;
mod ledger_health;
mod ledger_identity;
mod lists;
mod logging;
mod long_send;
mod mail_hardening;
mod news_page;
mod next_issue;
mod no_ledger;
mod operator;
mod outbox;
mod paper_cuts;
mod person;
mod pipelining;
mod preferences;
mod prose_dates;
mod reach;
mod readability;
mod render;
mod sample_content;
mod schedule;
mod secrets;
mod signup;
mod slips;
mod smtp_harness;
mod store;
mod web;
mod web_browser;
mod web_hardening;
mod working_days;
