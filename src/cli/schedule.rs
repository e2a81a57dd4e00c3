//! `bulletin schedule [--months M | --count N] [--format table|json]`: every fire of each job in
//! the next M months (12 by default), or the next N of each, merged and sorted by time, for people or for scripts. The only clock read is `now`, passed in.

use std::io::Write;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

use super::TableOrJson;
use crate::config::Project;
use crate::schedule::jobs::{
    ALREADY_CREATED, Created, Job, Planned, already_created, planned_until, upcoming_planned,
};
use crate::store::CancelledFire;

/// How far `schedule` looks: `months` ahead, or with `count`, that many fires of each job
/// however far away (a yearly announcement's next one may be more than a year off).
#[derive(Debug, Clone, Copy)]
pub struct Horizon {
    pub count: Option<usize>,
    pub months: u32,
}

/// One row of `schedule --format json`.
#[derive(Debug, serde::Serialize)]
pub struct Row {
    pub job: String,
    /// RFC 3339 with the local offset, e.g. `2026-12-01T09:00:00+00:00`.
    pub at: String,
    /// When `on_non_working_day` moved the fire: the day it would have gone (YYYY-MM-DD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// Why it moved: "Sunday", "bank holiday (Christmas Day)".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The issue is already in the ledger (sent early): this fire does nothing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_created: bool,
    /// When `bulletin cancel` stopped this fire: who and when; it will not go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<Cancelled>,
}

/// Who cancelled a coming fire, and when (RFC 3339 with the local offset).
#[derive(Debug, serde::Serialize)]
pub struct Cancelled {
    pub by: String,
    pub at: String,
}

/// The cancellation of `p`, if `bulletin cancel` stopped it.
fn cancellation<'a>(p: &Planned, cancelled: &'a [CancelledFire]) -> Option<&'a CancelledFire> {
    cancelled
        .iter()
        .find(|c| c.job == p.job && c.for_date == p.for_date)
}

fn local(at: i64, tz: Tz) -> DateTime<Tz> {
    DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
}

pub fn rows(fires: &[Planned], created: &Created, cancelled: &[CancelledFire], tz: Tz) -> Vec<Row> {
    fires
        .iter()
        .map(|p| Row {
            job: p.job.to_string(),
            at: p.at.to_rfc3339(),
            moved_from: p.moved_from.as_ref().map(|(d, _)| d.to_string()),
            reason: p.moved_from.as_ref().map(|(_, why)| why.to_string()),
            already_created: already_created(&p.job, p.for_date, created),
            cancelled: cancellation(p, cancelled).map(|c| Cancelled {
                by: c.by.clone(),
                at: local(c.at.secs(), tz).to_rfc3339(),
            }),
        })
        .collect()
}

/// "CANCELLED by tester on Sat 5 Dec 2026 18:20 GMT; `bulletin uncancel …` restores it".
fn cancelled_note(p: &Planned, c: &CancelledFire, tz: Tz) -> String {
    let mut s = format!("CANCELLED by {} on {}", c.by, when(&local(c.at.secs(), tz)));
    if let (Job::Bulletin(b), Some(d)) = (&p.job, p.for_date) {
        s.push_str(&format!("; `bulletin uncancel {b} --date {d}` restores it"));
    }
    s
}

/// "2027-05-03 moved to 2027-05-04: bank holiday (Early May bank holiday)"; when it skipped a
/// bank holiday after the first day too, that as well ("2027-05-01 moved to 2027-05-04:
/// Saturday; Mon 3 May: bank holiday (Early May bank holiday)").
pub fn moved_note(p: &Planned) -> Option<String> {
    let (from, why) = p.moved_from.as_ref()?;
    let to = p.at.date_naive();
    let days = crate::schedule::WorkingDays::england_and_wales();
    let (lo, hi) = if to > *from { (*from, to) } else { (to, *from) };
    let skipped: Vec<String> = lo
        .iter_days()
        .skip(1)
        .take_while(|d| *d < hi)
        .filter_map(|d| match days.closed(d)? {
            c @ crate::schedule::Closed::BankHoliday(_) => {
                Some(format!("{}: {c}", d.format("%a %-d %b")))
            }
            crate::schedule::Closed::Weekend(_) => None,
        })
        .collect();
    let mut note = format!("{from} moved to {to}: {why}");
    for s in skipped {
        note.push_str("; ");
        note.push_str(&s);
    }
    Some(note)
}

/// `schedule [--from D]`: the coming fires from `--from` (else from now), less what the ledger
/// already holds (no ledger yet, nothing is sent).
pub async fn on_ledger(
    p: &Project,
    horizon: Horizon,
    from: Option<chrono::NaiveDate>,
    format: TableOrJson,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<std::process::ExitCode> {
    let after = match from {
        Some(d) => {
            let tz = p.settings.organisation.time_zone;
            (crate::issue::start_of_day(tz, d) - chrono::Duration::seconds(1)).with_timezone(&Utc)
        }
        None => clock.now_utc(),
    };
    let created = match crate::store::Store::open_read_only(&p.settings.database).await {
        Ok(store) => store.created_issues().await.unwrap_or_default(),
        Err(_) => Default::default(),
    };
    let cancelled = super::ledger::cancelled_fires(p).await?;
    run(p, horizon, format, after, &created, &cancelled)?;
    Ok(std::process::ExitCode::SUCCESS)
}

pub fn run(
    project: &Project,
    horizon: Horizon,
    format: TableOrJson,
    now: DateTime<Utc>,
    created: &Created,
    cancelled: &[CancelledFire],
) -> anyhow::Result<()> {
    let fires = match horizon.count {
        Some(count) => upcoming_planned(project, now, count),
        None => {
            let until = now
                .checked_add_months(chrono::Months::new(horizon.months))
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            planned_until(project, now, until, usize::MAX)
        }
    };
    let mut out = std::io::stdout().lock();
    match format {
        TableOrJson::Json => {
            let tz = project.settings.organisation.time_zone;
            serde_json::to_writer_pretty(&mut out, &rows(&fires, created, cancelled, tz))?;
            writeln!(out)?;
        }
        TableOrJson::Table => {
            let tz = project.settings.organisation.time_zone;
            out.write_all(table(&fires, created, cancelled, tz).as_bytes())?;
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
            crate::schedule::english::describe(b.schedule.as_str(), tz),
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

fn what_for(job: &Job, date: Option<NaiveDate>, created: &Created) -> String {
    let Some(day) = date else {
        return String::new();
    };
    let d = day.format("%-d %b %Y");
    match job {
        Job::Bulletin(_) | Job::Proof(_) if already_created(job, date, created) => {
            format!("issue of {d}: {ALREADY_CREATED}")
        }
        Job::Bulletin(_) | Job::Proof(_) => format!("issue of {d}"),
        Job::Announce(_) => format!("starts {d}"),
    }
}

/// The table for people: `JOB  WHEN (zone)  FOR`, and a note where a fire was moved off a
/// weekend or bank holiday.
pub fn table(fires: &[Planned], created: &Created, cancelled: &[CancelledFire], tz: Tz) -> String {
    if fires.is_empty() {
        return "Nothing is scheduled.\n".into();
    }
    let rows: Vec<[String; 4]> = fires
        .iter()
        .map(|p| {
            [
                p.job.to_string(),
                when(&p.at),
                what_for(&p.job, p.for_date, created),
                [
                    cancellation(p, cancelled).map(|c| cancelled_note(p, c, tz)),
                    moved_note(p),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; "),
            ]
        })
        .collect();
    let header = [
        "JOB".to_string(),
        format!("WHEN ({tz})"),
        "FOR".to_string(),
        if rows.iter().any(|r| !r[3].is_empty()) {
            "NOTE".to_string()
        } else {
            String::new()
        },
    ];
    let width = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&header))
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let mut s = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        s.push_str(format!("{:<w0$}  {:<w1$}  {:<w2$}  {}", r[0], r[1], r[2], r[3]).trim_end());
        s.push('\n');
    }
    s
}

/// What `check` says of the next twelve months' fires that `on_non_working_day` moves, one line
/// each ("bulletin:sscp-news  2027-01-01 moved to 2027-01-04: bank holiday (New Year's Day)");
/// empty when nothing moves.
pub fn moves_next_year(project: &Project, now: DateTime<Utc>) -> String {
    let until = now + chrono::Duration::days(366);
    let moved: Vec<String> = crate::schedule::jobs::fires_planned_in(project, now, until)
        .iter()
        .filter_map(|p| Some(format!("  {}  {}\n", p.job, moved_note(p)?)))
        .collect();
    if moved.is_empty() {
        return String::new();
    }
    format!(
        "moved off weekends and bank holidays in the next 12 months (on_non_working_day):\n{}",
        moved.concat()
    )
}
