//! The commands that read or change the ledger without sending: `status`, `suppress`,
//! `unsuppress`, `approve`, and the ledger helpers the other commands share.

use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use crate::address::EmailAddress;
use crate::config::{DatabaseUrl, Project};
use crate::schedule::jobs::Job;
use crate::store::{
    FireState, IssueKind, IssueState, StatusState, Store, Suppression, SuppressionScope,
};

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

/// Who is at the keyboard, for the audit trail.
pub(crate) fn operator() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// `status [--format json]`.
pub async fn status(project: &Project, json: bool) -> anyhow::Result<ExitCode> {
    let store = if ledger_exists(project) {
        Some(open(project).await?)
    } else {
        None
    };
    let rows = match &store {
        Some(s) => s.status().await?,
        None => Vec::new(),
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
            r.kind.label(project.settings.organisation.time_zone),
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
            && r.state == StatusState::Issue(IssueState::Paused)
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
    if let Some(store) = &store {
        let tz = project.settings.organisation.time_zone;
        let now = crate::clock::SystemClock::utc().timestamp();
        let limit = project.settings.transport.max_per_day;
        if let Some(w) = crate::delivery::daily::waiting(store, limit, tz, now).await? {
            println!("{}", w.describe(tz));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn scope(
    project: &Project,
    list: Option<&str>,
    bulletin: Option<&str>,
) -> anyhow::Result<SuppressionScope> {
    match (list, bulletin) {
        (Some(l), _) => {
            let Some((id, _)) = project.lists.lists.get_key_value(l) else {
                anyhow::bail!("unknown list `{l}`");
            };
            Ok(SuppressionScope::List(id.clone()))
        }
        (None, Some(b)) => match project.bulletin(b) {
            Some(b) => Ok(SuppressionScope::Bulletin(b.id.clone())),
            None => anyhow::bail!("unknown bulletin `{b}`"),
        },
        (None, None) => Ok(SuppressionScope::All),
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
            crate::clock::SystemClock::utc().timestamp(),
        )
        .await?;
    let what = match &scope {
        SuppressionScope::All => "everything".to_string(),
        SuppressionScope::List(l) => format!("list {l}"),
        SuppressionScope::Bulletin(b) => format!("bulletin {b}"),
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
            scope.as_ref(),
            crate::clock::SystemClock::utc().timestamp(),
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
        .find_issue(bulletin, date, IssueKind::Issue)
        .await?
        .is_some();
    let job = Job::Bulletin(b.id.clone());
    let held = store
        .held_fires()
        .await?
        .iter()
        .any(|h| h.job == job && h.for_date == Some(date));
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
            &b.id,
            date,
            &by,
            crate::clock::SystemClock::utc().timestamp(),
        )
        .await?;
    let fire = crate::issue::fire_on(b, tz, date).map(|t| t.timestamp());
    if let Some(due) = fire
        && store.fire_state(&job, due).await? == Some(FireState::Skipped)
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
        let who = store
            .approval(&b.id, date)
            .await?
            .map(|a| a.by)
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
