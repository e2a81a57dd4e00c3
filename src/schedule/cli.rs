//! `bulletin schedule [--count N] [--format table|json]`: the next N fires of each job, merged
//! and sorted by time, for people or for scripts. The only clock read is `now`, passed in.

use std::io::Write;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

use super::jobs::{Job, Upcoming, upcoming};
use crate::cli::TableOrJson;
use crate::config::Project;

/// One row of `schedule --format json`.
#[derive(Debug, serde::Serialize)]
pub struct Row {
    pub job: String,
    /// RFC 3339 with the local offset, e.g. `2026-12-01T09:00:00+00:00`.
    pub at: String,
}

pub fn rows(fires: &[Upcoming]) -> Vec<Row> {
    fires
        .iter()
        .map(|(job, at, _)| Row {
            job: job.to_string(),
            at: at.to_rfc3339(),
        })
        .collect()
}

pub fn run(
    project: &Project,
    count: usize,
    format: TableOrJson,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let fires = upcoming(project, now, count);
    let mut out = std::io::stdout().lock();
    match format {
        TableOrJson::Json => {
            serde_json::to_writer_pretty(&mut out, &rows(&fires))?;
            writeln!(out)?;
        }
        TableOrJson::Table => {
            let tz = project.settings.organisation.time_zone;
            out.write_all(table(&fires, tz).as_bytes())?;
            writeln!(out)?;
            out.write_all(schedules_in_english(project).as_bytes())?;
        }
    }
    out.flush().context("writing to stdout")
}

/// Each bulletin's schedule in plain English, one line each, for `check` and `schedule`:
/// `  sscp-news: 09:00 on the 1st of every month, UK time (0 9 1 * *)`.
pub fn schedules_in_english(project: &Project) -> String {
    let tz = project.settings.organisation.time_zone;
    let mut s = String::new();
    if !project.settings.bulletins.is_empty() {
        s.push_str("schedules:\n");
    }
    for b in &project.settings.bulletins {
        s.push_str(&format!(
            "  {}: {} ({})\n",
            b.id,
            super::english::describe(b.schedule.as_str(), tz),
            b.schedule.as_str()
        ));
    }
    s
}

/// "Tue 1 Dec 2026 09:00 GMT" (with seconds only when the schedule has them).
pub fn when(at: &DateTime<Tz>) -> String {
    if at.second() == 0 {
        at.format("%a %-d %b %Y %H:%M %Z").to_string()
    } else {
        at.format("%a %-d %b %Y %H:%M:%S %Z").to_string()
    }
}

fn what_for(job: &Job, date: Option<NaiveDate>) -> String {
    let Some(d) = date else {
        return String::new();
    };
    let d = d.format("%-d %b %Y");
    match job {
        Job::Bulletin(_) | Job::Proof(_) => format!("issue of {d}"),
        Job::Announce(_) => format!("starts {d}"),
    }
}

/// The table for people: `JOB  WHEN (zone)  FOR`.
pub fn table(fires: &[Upcoming], tz: Tz) -> String {
    if fires.is_empty() {
        return "Nothing is scheduled.\n".into();
    }
    let rows: Vec<[String; 3]> = fires
        .iter()
        .map(|(job, at, date)| [job.to_string(), when(at), what_for(job, *date)])
        .collect();
    let header = ["JOB".to_string(), format!("WHEN ({tz})"), "FOR".to_string()];
    let width = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&header))
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (width(0), width(1));
    let mut s = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        s.push_str(format!("{:<w0$}  {:<w1$}  {}", r[0], r[1], r[2]).trim_end());
        s.push('\n');
    }
    s
}
