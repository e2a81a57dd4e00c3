//! `bulletin send BULLETIN --now | --test-to EMAIL…`: send an issue (or a proof) by hand,
//! through the same ledger as the daemon, refusing what needs approval or is early unless told.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::NaiveDate;

use super::ledger::{open_or_create, operator};
use crate::address::EmailAddress;
use crate::clock::SystemClock;
use crate::config::{DatabaseUrl, Project};
use crate::delivery::Stop;
use crate::store::Store;

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

/// Today in the organisation's time zone.
fn today(project: &Project) -> NaiveDate {
    crate::clock::SystemClock::utc()
        .with_timezone(&project.settings.organisation.time_zone)
        .date_naive()
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
    bulletin: &str,
    opts: &SendOptions<'_>,
) -> anyhow::Result<ExitCode> {
    let now_flag = opts.now;
    let Some(b) = project.bulletin(bulletin) else {
        // The preview error names the bulletins and suggests the nearest.
        crate::compose::find(project, bulletin)?;
        anyhow::bail!("unknown bulletin `{bulletin}`");
    };
    // The issue goes through the sender lock: one sender per SQLite database, refused beside a
    // running daemon (it sends due issues). A proof touches none of the issue's deliveries, so
    // it runs beside the daemon.
    let _lock = match (&project.settings.database, now_flag) {
        (DatabaseUrl::Sqlite(db), true) => Some(crate::daemon::lock::SenderLock::acquire(db)?),
        _ => None,
    };
    let store = open_or_create(project).await?;
    let clock = Arc::new(SystemClock);
    let now = crate::timestamp::Timestamp::from(crate::clock::SystemClock::utc());
    release_dead_leases(project, &store, now, now_flag).await?;
    let date = match issue_date(project, b, opts) {
        Ok(date) => date,
        Err(e) => {
            eprintln!("error: {e}; nothing was sent");
            return Ok(ExitCode::FAILURE);
        }
    };
    let existing = if now_flag {
        store
            .find_issue(&b.id, date, crate::store::IssueKind::Issue)
            .await?
    } else {
        None
    };
    let forced = if now_flag && existing.is_none() {
        match may_send_now(project, b, &store, date, opts).await? {
            Some(forced) => forced,
            None => return Ok(ExitCode::FAILURE),
        }
    } else {
        false
    };
    let stopping = Arc::new(AtomicBool::new(false));
    let sender = crate::send::sender(
        project,
        store.clone(),
        &crate::instance::instance_id(),
        clock,
        stopping,
        Default::default(),
    )?;
    let (row, created) = create(project, &store, bulletin, date, opts, forced, now).await?;
    let before = store.counts(row.id).await?;
    let bar = progress(before.open());
    let summary = crate::send::deliver(&sender, project, &row, bar.clone()).await?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(report(
        project, bulletin, date, now_flag, &row, created, &summary,
    ))
}

/// The issue `send` is about: `--date` if the schedule sends on it (or `--unscheduled`), else
/// the next scheduled issue (today's if one is due today), the one `preview` and the daemon
/// mean; an issue dated by the calendar alone is one no schedule creates.
fn issue_date(
    project: &Project,
    b: &crate::config::Bulletin,
    opts: &SendOptions<'_>,
) -> Result<NaiveDate, crate::schedule::NotScheduled> {
    let tz = project.settings.organisation.time_zone;
    match opts.date {
        Some(date) if opts.unscheduled => Ok(date),
        Some(date) => crate::schedule::issues::scheduled_on(b, tz, date),
        None => crate::schedule::issues::next_issue_on_or_after(b, tz, today(project)),
    }
}

/// A SQLite ledger has one owner: whatever it left in flight belongs to a dead process. On
/// PostgreSQL, or beside a running daemon (a proof), only claims whose lease ran out are dead.
async fn release_dead_leases(
    project: &Project,
    store: &Store,
    now: crate::timestamp::Timestamp,
    issue: bool,
) -> anyhow::Result<()> {
    let sole_owner = matches!(project.settings.database, DatabaseUrl::Sqlite(_)) && issue;
    let sweep = if sole_owner {
        crate::store::LeaseSweep::All
    } else {
        crate::store::LeaseSweep::Expired
    };
    let released = store.release_expired_leases(now, sweep).await?;
    if released > 0 {
        tracing::warn!(
            released,
            "deliveries left in flight by an earlier run are back in the queue"
        );
    }
    Ok(())
}

/// Whether the issue may go now: approved (or `--force`d, then `Some(true)`), and not early
/// unless `--yes` or the person at the terminal says so. `None` when it may not (said why).
async fn may_send_now(
    project: &Project,
    b: &crate::config::Bulletin,
    store: &Store,
    date: NaiveDate,
    opts: &SendOptions<'_>,
) -> anyhow::Result<Option<bool>> {
    let bulletin = b.id.as_str();
    let mut forced = false;

    if b.require_approval && store.approval(&b.id, date).await?.is_none() {
        if !opts.force {
            eprintln!(
                "error: {bulletin} {date} needs approval before it is sent (require_approval = true); nothing was sent"
            );
            let late = if date < today(project) { " --late" } else { "" };
            eprintln!(
                "  approve it: bulletin{} approve {bulletin} --date {date}{late}",
                opts.config_arg
            );
            eprintln!("  or send it unapproved with --force (recorded in the audit log)");
            return Ok(None);
        }
        forced = true;
    }
    let today = today(project);
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

/// Find or create what is sent: the issue (recording a `--force`), or a proof to `--test-to`.
async fn create(
    project: &Project,
    store: &Store,
    bulletin: &str,
    date: NaiveDate,
    opts: &SendOptions<'_>,
    forced: bool,
    now: crate::timestamp::Timestamp,
) -> anyhow::Result<(crate::store::IssueRow, bool)> {
    Ok(if opts.now {
        let (row, created) =
            crate::send::create_or_resume(project, store, &bulletin.parse()?, date, now).await?;
        if forced && created {
            store
                .log_event(
                    Some(row.id),
                    None,
                    "forced",
                    &format!("sent without approval (--force) by {}", operator()),
                    now,
                )
                .await?;
            tracing::warn!(bulletin, %date, "sent without approval (--force); recorded in the audit log");
        }
        (row, created)
    } else {
        let mut to = Vec::new();
        for t in opts.test_to {
            to.push(
                EmailAddress::parse(t)
                    .map_err(|e| anyhow::anyhow!("--test-to {t}: invalid address: {e}"))?,
            );
        }
        (
            crate::send::create_proof(project, store, &bulletin.parse()?, date, &to, now).await?,
            true,
        )
    })
}

/// What happened, for people: the counts, when deferred deliveries are retried, and why it
/// stopped; the exit code says whether anything needs doing.
fn report(
    project: &Project,
    bulletin: &str,
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
            t.with_timezone(&project.settings.organisation.time_zone)
                .format("%Y-%m-%d %H:%M %Z")
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
