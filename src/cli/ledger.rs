//! The commands that touch the ledger: `send`, `status`, `suppress`, `unsuppress`. Each is a
//! thin call into `send`, `store` and `delivery`, plus the words people read.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use chrono::NaiveDate;

use crate::address::EmailAddress;
use crate::config::{DatabaseUrl, Project};
use crate::delivery::{Stop, SystemClock};
use crate::store::{Store, Suppression};

pub(crate) async fn open(project: &Project) -> anyhow::Result<Store> {
    Store::open(&project.settings.database)
        .await
        .context("opening the database")
}

/// Whether there is a ledger to read (a SQLite file that was never created holds nothing, and
/// a read-only command should not create it). A ledger whose marker remains but whose file is
/// gone counts: opening it says what happened instead of showing an empty ledger.
pub(crate) fn ledger_exists(project: &Project) -> bool {
    !matches!(&project.settings.database,
        DatabaseUrl::Sqlite(p) if !p.exists() && !crate::store::marker_path(p).exists())
}

/// The suppressions, without creating a database that does not exist yet.
pub async fn existing_suppressions(project: &Project) -> anyhow::Result<Vec<Suppression>> {
    if !ledger_exists(project) {
        return Ok(Vec::new());
    }
    Ok(open(project).await?.suppressions().await?)
}

fn today(project: &Project) -> NaiveDate {
    crate::delivery::SystemClock::utc()
        .with_timezone(&project.settings.organisation.time_zone)
        .date_naive()
}

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

/// What `send` was asked to do.
#[derive(Debug, Clone)]
pub struct SendOptions<'a> {
    /// `--now`: the issue itself (else a proof to `test_to`).
    pub now: bool,
    pub date: Option<NaiveDate>,
    pub test_to: &'a [String],
    /// `--force`: send an issue that needs approval without it.
    pub force: bool,
    /// `--yes`: do not ask before sending a future date's issue.
    pub yes: bool,
    /// ` --config PATH` to repeat in printed commands (empty for the default).
    pub config_arg: String,
}

/// Who is at the keyboard, for the audit trail.
pub(crate) fn operator() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "unknown".into())
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
        crate::compose::compose(project, bulletin, today(project))?;
        anyhow::bail!("unknown bulletin `{bulletin}`");
    };
    // The issue goes through the sender lock: one sender per SQLite database, refused beside a
    // running daemon (it sends due issues). A proof touches none of the issue's deliveries, so
    // it runs beside the daemon.
    let _lock = match (&project.settings.database, now_flag) {
        (DatabaseUrl::Sqlite(db), true) => Some(crate::daemon::lock::SenderLock::acquire(db)?),
        _ => None,
    };
    let store = open(project).await?;
    let clock = Arc::new(SystemClock);
    let now = crate::delivery::SystemClock::utc().timestamp();
    // A SQLite ledger has one owner: whatever it left in flight belongs to a dead process. On
    // PostgreSQL, or beside a running daemon (a proof), only claims whose lease ran out are dead.
    {
        let sole_owner = matches!(project.settings.database, DatabaseUrl::Sqlite(_)) && now_flag;
        let released = store.release_expired_leases(now, sole_owner).await?;
        if released > 0 {
            tracing::warn!(
                released,
                "deliveries left in flight by an earlier run are back in the queue"
            );
        }
    }
    let date = opts.date.unwrap_or_else(|| today(project));
    let key = date.to_string();
    let existing = if now_flag {
        store.find_issue(bulletin, &key, "issue").await?
    } else {
        None
    };
    let mut forced = false;
    if now_flag && existing.is_none() {
        if b.require_approval && store.approval(bulletin, &key).await?.is_none() {
            if !opts.force {
                eprintln!(
                    "error: {bulletin} {date} needs approval before it is sent (require_approval = true); nothing was sent"
                );
                eprintln!(
                    "  approve it: bulletin{} approve {bulletin} --date {date}",
                    opts.config_arg
                );
                eprintln!("  or send it unapproved with --force (recorded in the audit log)");
                return Ok(ExitCode::FAILURE);
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
                return Ok(ExitCode::FAILURE);
            }
            let people = crate::send::materialise(project, b, &store.suppressions().await?)
                .iter()
                .filter(|d| !d.suppressed)
                .count();
            if !confirm(&format!(
                "Send the {date} issue of {bulletin} now, {days} day(s) early, to {people} people? The daemon will not send it again on {date}."
            ))? {
                eprintln!("nothing was sent");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    let stopping = Arc::new(AtomicBool::new(false));
    let sender = crate::send::sender(
        project,
        store.clone(),
        &crate::instance::instance_id(),
        clock,
        stopping,
    )?;
    let (row, created) = if now_flag {
        let (row, created) =
            crate::send::create_or_resume(project, &store, bulletin, date, now).await?;
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
            crate::send::create_proof(project, &store, bulletin, date, &to, now).await?,
            true,
        )
    };
    let before = store.counts(row.id).await?;
    let bar = progress(before.open());
    let summary = crate::send::deliver(&sender, project, &row, bar.clone()).await?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
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
        && let Some(t) = chrono::DateTime::from_timestamp(due, 0)
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
            return Ok(ExitCode::FAILURE);
        }
        Stop::DailyLimit => {
            println!("the daily limit (max_per_day) is reached; the rest go tomorrow");
        }
        Stop::Interrupted => {
            println!("interrupted; run the same command again to resume");
            return Ok(ExitCode::FAILURE);
        }
        Stop::Drained => {}
    }
    Ok(if c.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `status [--format json]`.
pub async fn status(project: &Project, json: bool) -> anyhow::Result<ExitCode> {
    let rows = if ledger_exists(project) {
        open(project).await?.status().await?
    } else {
        Vec::new()
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no issues yet");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<14} {:<10} {:<27} {:>5} {:<8} {:>7} {:>9} {:>7} {:>8} {:>6} {:>7} {:>10}",
        "BULLETIN",
        "DATE",
        "KIND",
        "ISSUE",
        "STATE",
        "PENDING",
        "IN_FLIGHT",
        "SENT",
        "DEFERRED",
        "FAILED",
        "EXPIRED",
        "SUPPRESSED"
    );
    for r in &rows {
        let c = &r.deliveries;
        println!(
            "{:<14} {:<10} {:<27} {:>5} {:<8} {:>7} {:>9} {:>7} {:>8} {:>6} {:>7} {:>10}",
            r.bulletin,
            r.date,
            crate::send::kind_label(&r.kind, project.settings.organisation.time_zone),
            r.issue,
            r.state,
            c.pending,
            c.in_flight,
            c.sent,
            c.deferred,
            c.failed,
            c.expired,
            c.suppressed
        );
        if let Some(why) = &r.paused_reason
            && r.state == "paused"
        {
            println!("  paused: {why}");
        }
        if r.awaiting_approval {
            println!(
                "  held: awaiting approval, nothing sent; run `bulletin approve {} --date {}`",
                r.bulletin, r.date
            );
        }
        if c.cancelled > 0 {
            println!("  cancelled: {} deliveries", c.cancelled);
        }
        if r.withdrawn {
            println!("  withdrawn from the web archive and feed");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn scope(project: &Project, list: Option<&str>, bulletin: Option<&str>) -> anyhow::Result<String> {
    match (list, bulletin) {
        (Some(l), _) => {
            anyhow::ensure!(project.lists.lists.contains_key(l), "unknown list `{l}`");
            Ok(format!("list:{l}"))
        }
        (None, Some(b)) => {
            anyhow::ensure!(project.bulletin(b).is_some(), "unknown bulletin `{b}`");
            Ok(format!("bulletin:{b}"))
        }
        (None, None) => Ok("*".into()),
    }
}

/// `suppress EMAIL [--list L | --bulletin B] [--reason R]`.
pub async fn suppress(
    project: &Project,
    email: &str,
    list: Option<&str>,
    bulletin: Option<&str>,
    reason: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let e = EmailAddress::parse(email)
        .map_err(|err| anyhow::anyhow!("{email}: invalid address: {err}"))?;
    let scope = scope(project, list, bulletin)?;
    let store = open(project).await?;
    let added = store
        .suppress(
            &e.key(),
            &scope,
            reason,
            crate::delivery::SystemClock::utc().timestamp(),
        )
        .await?;
    let what = if scope == "*" {
        "everything".to_string()
    } else {
        scope.replace(':', " ")
    };
    if added {
        println!("suppressed {} for {what}", e.key());
    } else {
        println!("{} was already suppressed for {what}", e.key());
    }
    Ok(ExitCode::SUCCESS)
}

/// `unsuppress EMAIL [--list L | --bulletin B]`.
pub async fn unsuppress(
    project: &Project,
    email: &str,
    list: Option<&str>,
    bulletin: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let e = EmailAddress::parse(email)
        .map_err(|err| anyhow::anyhow!("{email}: invalid address: {err}"))?;
    let scope = match (list, bulletin) {
        (None, None) => None,
        _ => Some(scope(project, list, bulletin)?),
    };
    let store = open(project).await?;
    let n = store
        .unsuppress(
            &e.key(),
            scope.as_deref(),
            crate::delivery::SystemClock::utc().timestamp(),
        )
        .await?;
    println!("removed {n} suppression(s) of {}", e.key());
    Ok(ExitCode::SUCCESS)
}

/// `approve BULLETIN --date D [--by NAME]`.
pub async fn approve(
    project: &Project,
    bulletin: &str,
    date: NaiveDate,
    by: Option<String>,
) -> anyhow::Result<ExitCode> {
    let Some(b) = project.bulletin(bulletin) else {
        anyhow::bail!("unknown bulletin `{bulletin}`");
    };
    if !b.require_approval {
        eprintln!(
            "note: `{bulletin}` does not require approval (require_approval = false); recording it anyway"
        );
    }
    let by = by.unwrap_or_else(operator);
    let store = open(project).await?;
    let tz = project.settings.organisation.time_zone;
    let has_issue = store
        .find_issue(bulletin, &date.to_string(), "issue")
        .await?
        .is_some();
    let held = store
        .held_fires()
        .await?
        .iter()
        .any(|(job, _, d)| job == &format!("bulletin:{bulletin}") && *d == date.to_string());
    if !has_issue && !held && crate::issue::fire_on(b, tz, date).is_none() {
        let (before, after) = nearest_fires(b, tz, date);
        eprintln!(
            "error: {bulletin} has no issue on {date}: its schedule does not fire that day; nothing was approved"
        );
        let mut near = Vec::new();
        if let Some(d) = before {
            near.push(format!("{d} (before)"));
        }
        if let Some(d) = after {
            near.push(format!("{d} (after)"));
        }
        if !near.is_empty() {
            eprintln!("  nearest issue dates: {}", near.join(", "));
        }
        if let Some(d) = after.or(before) {
            eprintln!("  hint: bulletin approve {bulletin} --date {d}");
        }
        return Ok(ExitCode::FAILURE);
    }
    let added = store
        .approve(
            bulletin,
            &date.to_string(),
            &by,
            crate::delivery::SystemClock::utc().timestamp(),
        )
        .await?;
    let fire = crate::issue::fire_on(b, tz, date).map(|t| t.timestamp());
    if let Some(due) = fire
        && store
            .fire_state(&format!("bulletin:{bulletin}"), due)
            .await?
            .as_deref()
            == Some("skipped")
    {
        eprintln!(
            "warning: {bulletin} {date} was cancelled or skipped; the daemon will not send it (use `bulletin send {bulletin} --now --date {date}` to send it anyway)"
        );
    }
    if added {
        println!(
            "approved {bulletin} {date} (by {by}); the daemon sends it at its time, or within seconds if it is held"
        );
    } else {
        let (who, _) = store
            .approval(bulletin, &date.to_string())
            .await?
            .unwrap_or_default();
        println!("{bulletin} {date} was already approved by {who}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The issue dates of `bulletin` nearest to `date`: the last before it and the first after it.
fn nearest_fires(
    b: &crate::config::Bulletin,
    tz: chrono_tz::Tz,
    date: NaiveDate,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let before = crate::issue::previous_fire(b, tz, date).map(|t| t.date_naive());
    let after = date
        .succ_opt()
        .and_then(|next| crate::issue::next_fire_on_or_after(b, tz, next))
        .map(|t| t.date_naive());
    (before, after)
}
