//! `bulletin send BULLETIN --now | --test-to EMAIL…`: send an issue (or a proof) by hand,
//! through the same ledger as the daemon, refusing what needs approval or is early unless told.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::NaiveDate;

use super::ledger::{open_or_create, operator};
use crate::address::EmailAddress;
use crate::clock::Clock;
use crate::config::Project;
use crate::delivery::Stop;
use crate::send::{Clearance, Ownership, Service};
use crate::store::{IssueRow, Store};

/// What `send` was asked to do.
#[derive(Debug, Clone)]
pub struct SendOptions<'a> {
    /// `--now`: the issue itself (else a proof to `test_to`).
    pub now: bool,
    pub date: Option<NaiveDate>,
    /// `--unscheduled`: allow a `date` the schedule does not send on.
    pub unscheduled: bool,
    pub test_to: &'a [String],
    /// `--force`: send an issue that needs approval without it.
    pub force: bool,
    /// `--yes`: do not ask before sending a future date's issue.
    pub yes: bool,
    /// ` --config PATH` to repeat in printed commands (empty for the default).
    pub config_arg: String,
}

/// A progress bar on a terminal, none when stderr is not one.
fn progress(total: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() || total == 0 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} messages, {per_sec}, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// Ask a yes/no question on the terminal; anything but y/yes is no.
fn confirm(question: &str) -> anyhow::Result<bool> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// `send BULLETIN --now | --test-to EMAIL…`.
pub async fn send(
    project: &Project,
    b: &crate::config::Bulletin,
    opts: &SendOptions<'_>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<ExitCode> {
    let today = project.local(clock.now_utc()).date_naive();
    // The issue goes through the sender lock: one sender per SQLite database, refused beside a
    // running daemon (it sends due issues). A proof touches none of the issue's deliveries, so
    // it runs beside the daemon.
    let ownership = if opts.now {
        Ownership::take(&project.settings.database)?
    } else {
        Ownership::Shared
    };
    let store = open_or_create(project).await?;
    let service = Service::new(
        Arc::new(project.clone()),
        store.clone(),
        &crate::instance::instance_id(),
        clock.clone(),
        Arc::new(AtomicBool::new(false)),
        Default::default(),
    )?;
    service.release_dead_leases(ownership.sweep()).await?;
    let date = match issue_date(project, b, opts, today) {
        Ok(date) => date,
        Err(e) => {
            eprintln!("error: {e}; nothing was sent");
            return Ok(ExitCode::FAILURE);
        }
    };
    let forced = if opts.now {
        let clearance = service.clearance(b, date).await?;
        match may_send_now(project, b, &store, date, opts, today, &clearance).await? {
            Some(forced) => forced,
            None => return Ok(ExitCode::FAILURE),
        }
    } else {
        false
    };
    let (row, created) = if opts.now {
        let (row, created) = service.create_or_resume(&b.id, date).await?;
        if forced && created {
            record_forced(&store, &row, &*clock).await?;
        }
        (row, created)
    } else {
        let to = test_addresses(opts.test_to)?;
        let by = super::ledger::operator();
        service.test_proof(&b.id, date, &to, &by).await?
    };
    let before = store.counts(row.id).await?;
    let bar = progress(before.open());
    let summary = service.deliver(&row, bar.clone()).await?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    drop(ownership);
    Ok(report(
        project, &b.id, date, opts.now, &row, created, &summary,
    ))
}

/// The issue `send` is about: `--date` if the schedule sends on it (or `--unscheduled`), else
/// the next scheduled issue (today's if one is due today), the one `preview` and the daemon
/// mean; an issue dated by the calendar alone is one no schedule creates.
fn issue_date(
    project: &Project,
    b: &crate::config::Bulletin,
    opts: &SendOptions<'_>,
    today: NaiveDate,
) -> Result<NaiveDate, crate::schedule::NotScheduled> {
    let tz = project.settings.organisation.time_zone;
    match opts.date {
        Some(date) if opts.unscheduled => Ok(date),
        Some(date) => crate::schedule::issues::scheduled_on(b, tz, date),
        None => crate::schedule::issues::next_issue_on_or_after(b, tz, today),
    }
}

/// Whether the issue may go now: in the ledger already, or cleared (or `--force`d, then
/// `Some(true)`) and not early unless `--yes` or the person at the terminal says so. `None`
/// when it may not (said why).
async fn may_send_now(
    project: &Project,
    b: &crate::config::Bulletin,
    store: &Store,
    date: NaiveDate,
    opts: &SendOptions<'_>,
    today: NaiveDate,
    clearance: &Clearance,
) -> anyhow::Result<Option<bool>> {
    let bulletin = b.id.as_str();
    let mut forced = false;
    if *clearance == Clearance::Exists {
        return Ok(Some(false));
    }
    if !clearance.cleared() {
        if !opts.force {
            eprintln!(
                "error: {bulletin} {date} needs approval before it is sent (require_approval = true); nothing was sent"
            );
            let late = if date < today { " --late" } else { "" };
            eprintln!(
                "  approve it: bulletin{} approve {bulletin} --date {date}{late}",
                opts.config_arg
            );
            eprintln!("  or send it unapproved with --force (recorded in the audit log)");
            return Ok(None);
        }
        forced = true;
    }
    if date > today && !opts.yes {
        let days = (date - today).num_days();
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "error: {date} is {days} day(s) ahead; sending that issue now needs --yes when not asked on a terminal; nothing was sent"
            );
            return Ok(None);
        }
        let people = crate::send::materialise(project, b, &store.suppressions().await?)
            .iter()
            .filter(|d| !d.suppressed)
            .count();
        if !confirm(&format!(
            "Send the {date} issue of {bulletin} now, {days} day(s) early, to {people} people? The daemon will not send it again on {date}."
        ))? {
            eprintln!("nothing was sent");
            return Ok(None);
        }
    }
    Ok(Some(forced))
}

/// A `--force`d issue, in the audit log and the log.
async fn record_forced(store: &Store, row: &IssueRow, clock: &dyn Clock) -> anyhow::Result<()> {
    let what = format!("sent without approval (--force) by {}", operator());
    store
        .log_event(Some(row.id), None, "forced", &what, clock.timestamp())
        .await?;
    tracing::warn!(bulletin = %row.bulletin, date = %row.date, "sent without approval (--force); recorded in the audit log");
    Ok(())
}

/// The `--test-to` addresses of a proof.
fn test_addresses(test_to: &[String]) -> anyhow::Result<Vec<EmailAddress>> {
    test_to
        .iter()
        .map(|t| {
            EmailAddress::parse(t)
                .map_err(|e| anyhow::anyhow!("--test-to {t}: invalid address: {e}"))
        })
        .collect()
}

/// What happened, for people: the counts, when deferred deliveries are retried, and why it
/// stopped; the exit code says whether anything needs doing.
fn report(
    project: &Project,
    bulletin: &crate::ids::BulletinId,
    date: NaiveDate,
    now_flag: bool,
    row: &crate::store::IssueRow,
    created: bool,
    summary: &crate::delivery::RunSummary,
) -> ExitCode {
    let c = &summary.counts;
    let what = if now_flag { "issue" } else { "proof" };
    println!(
        "{bulletin} {date} ({what} {}, {}): {} sent, {} deferred, {} failed, {} suppressed, {} expired, {} pending of {}{}",
        row.id,
        if created { "created" } else { "resumed" },
        c.sent,
        c.deferred,
        c.failed,
        c.suppressed,
        c.expired,
        c.pending + c.in_flight,
        c.total(),
        if c.cancelled > 0 {
            format!(" ({} cancelled)", c.cancelled)
        } else {
            String::new()
        }
    );
    if let Some(due) = summary.next_due.filter(|_| c.deferred > 0)
        && let Some(t) = due.to_utc()
    {
        println!(
            "deferred deliveries are retried from {} (run this again then, or leave it to `bulletin run`)",
            project.local(t).format(crate::local_time::STAMP)
        );
    }
    match &summary.stop {
        Stop::RelayDown(why) => {
            eprintln!("error: the issue is paused: {why}");
            eprintln!(
                "nothing was lost: {} deliveries wait; fix the relay and run the same command again",
                c.open()
            );
            return ExitCode::FAILURE;
        }
        Stop::DailyLimit => {
            println!("the daily limit (max_per_day) is reached; the rest go tomorrow");
        }
        Stop::Interrupted => {
            println!("interrupted; run the same command again to resume");
            return ExitCode::FAILURE;
        }
        Stop::Drained => {}
    }
    if c.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
