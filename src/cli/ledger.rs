//! The commands that read or change the ledger without sending: `status`, `suppress`,
//! `unsuppress`, `approve`, and the ledger helpers the other commands share.

use crate::local_time::STAMP;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use crate::address::EmailAddress;
use crate::config::Project;
use crate::issue_acts::Approved;
use crate::schedule::jobs::Job;
use crate::store::{
    CancelledFire, IssueState, IssueStatus, OpenMode, StatusState, Store, StoreError, Suppression,
    SuppressionScope,
};

/// Open the ledger the settings name, which must exist: every command but `run` and the
/// sending ones only reads it or adds to it, and never creates one (see [`OpenMode`]).
pub(crate) async fn open(project: &Project) -> anyhow::Result<Store> {
    Store::open_with(&project.settings.database, OpenMode::Existing)
        .await
        .context("opening the database")
}

/// Open the ledger, creating it where there is none yet: for the commands that send.
pub(crate) async fn open_or_create(project: &Project) -> anyhow::Result<Store> {
    Store::open_with(&project.settings.database, OpenMode::CreateIfMissing)
        .await
        .context("opening the database")
}

/// The suppressions, for the commands about the settings (`lists`), which work before there is
/// a ledger: without one, none, and a note saying so.
pub async fn existing_suppressions(project: &Project) -> anyhow::Result<Vec<Suppression>> {
    match Store::open_with(&project.settings.database, OpenMode::Existing).await {
        Ok(store) => Ok(store.suppressions().await?),
        Err(StoreError::NoLedger(place)) => {
            eprintln!(
                "note: no ledger at {place} yet, so no address is shown as suppressed (run this with the daemon's settings to see them)"
            );
            Ok(Vec::new())
        }
        Err(e) => Err(e).context("opening the database"),
    }
}

/// The issues cancelled before they were created, for the commands that show the schedule
/// (`schedule`), which work before there is a ledger: without one, none.
pub async fn cancelled_fires(project: &Project) -> anyhow::Result<Vec<CancelledFire>> {
    match Store::open_with(&project.settings.database, OpenMode::Existing).await {
        Ok(store) => Ok(store.cancelled_fires().await?),
        Err(StoreError::NoLedger(_)) => Ok(Vec::new()),
        Err(e) => Err(e).context("opening the database"),
    }
}

/// Who is at the keyboard, for the audit trail.
pub(crate) fn operator() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// `status [--format json]`.
pub async fn status(
    project: &Project,
    json: bool,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let store = open(project).await?;
    let rows = store.status().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    let cancelled = store.cancelled_fires().await?;
    print_cancelled_fires(project, &cancelled, clock);
    if rows.is_empty() {
        println!("no issues yet");
        return Ok(ExitCode::SUCCESS);
    }
    let tz = project.settings.organisation.time_zone;
    // Proofs to the editors apart from the issues readers get: a busy month of test proofs
    // should not bury the issue rows.
    // Who cancelled or withdrew an issue, and when: the ledger's events for it.
    let mut audit: Audit = std::collections::HashMap::new();
    for r in rows
        .iter()
        .filter(|r| r.issue > 0 && (r.withdrawn || r.deliveries.cancelled > 0))
    {
        for e in store.events(r.issue).await? {
            if e.kind == "cancelled" || e.kind == "withdrawn" {
                let when = project.local(e.at).format(STAMP);
                audit
                    .entry((r.issue, e.kind))
                    .or_insert_with(|| format!("{}, {when}", e.detail));
            }
        }
    }
    let (proofs, issues): (Vec<&IssueStatus>, Vec<&IssueStatus>) =
        rows.iter().partition(|r| r.kind.is_proof());
    if !issues.is_empty() {
        print_status_rows(&issues, tz, &audit);
    }
    if !proofs.is_empty() {
        if !issues.is_empty() {
            println!();
        }
        println!("proofs to the editors:");
        print_status_rows(&proofs, tz, &audit);
    }
    let now = clock.timestamp();
    let limit = project.settings.transport.max_per_day;
    if let Some(w) = crate::delivery::daily::waiting(&store, limit, tz, now).await? {
        println!("{}", w.describe(tz));
    }
    Ok(ExitCode::SUCCESS)
}

/// What the events say of an issue's cancellation or withdrawal, by (issue, event kind).
type Audit = std::collections::HashMap<(i64, String), String>;

/// The `status` table of `rows`, with its header.
fn print_status_rows(rows: &[&IssueStatus], tz: chrono_tz::Tz, audit: &Audit) {
    let said = |r: &IssueStatus, kind: &str| {
        audit
            .get(&(r.issue, kind.to_string()))
            .map(|d| format!(" ({d})"))
            .unwrap_or_default()
    };
    // As wide as the widest kind (a test proof's label carries its time and number).
    let kw = rows
        .iter()
        .map(|r| r.kind.label(tz).chars().count())
        .max()
        .unwrap_or(0)
        .max(27);
    println!(
        "{:<14} {:<10} {:<kw$} {:>5} {:<8} {:>7} {:>9} {:>7} {:>8} {:>6} {:>7} {:>10}",
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
    for r in rows {
        let c = &r.deliveries;
        println!(
            "{:<14} {:<10} {:<kw$} {:>5} {:<8} {:>7} {:>9} {:>7} {:>8} {:>6} {:>7} {:>10}",
            r.bulletin,
            r.date,
            r.kind.label(tz),
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
            println!(
                "  cancelled: {} deliveries{}",
                c.cancelled,
                said(r, "cancelled")
            );
        }
        if r.withdrawn {
            println!(
                "  withdrawn from the web archive and feed{}",
                said(r, "withdrawn")
            );
        }
    }
}

/// The issues cancelled before they were created, with who and when, and how to restore the
/// ones still to come: they have no row in the ledger's issues, so without this `status` would
/// say nothing of them.
fn print_cancelled_fires(
    project: &Project,
    cancelled: &[CancelledFire],
    clock: &dyn crate::clock::Clock,
) {
    if cancelled.is_empty() {
        return;
    }
    let now = clock.timestamp();
    println!("cancelled before they were created:");
    let at = |t: crate::timestamp::Timestamp| project.stamp(t);
    for c in cancelled {
        let date = c.for_date.map(|d| d.to_string()).unwrap_or_default();
        let mut line = format!("  {} {date}: cancelled by {} at {}", c.job, c.by, at(c.at));
        if let (Job::Bulletin(b), Some(d)) = (&c.job, c.for_date)
            && c.due_at > now
        {
            line.push_str(&format!(
                "; was due {}, `bulletin uncancel {b} --date {d}` restores it",
                at(c.due_at)
            ));
        }
        println!("{line}");
    }
    println!();
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
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let e = EmailAddress::parse(email)
        .map_err(|err| anyhow::anyhow!("{email}: invalid address: {err}"))?;
    let scope = scope(project, list, bulletin)?;
    let store = open(project).await?;
    let now = clock.timestamp();
    let added = store.suppress(&e.key(), &scope, reason, now).await?;
    // Whole-address and bulletin suppressions reach created issues through the ledger alone;
    // a list's needs the lists, which the command has.
    let taken = if matches!(scope, SuppressionScope::List(_)) {
        crate::send::apply_list_suppressions(project, &store, &e.key(), now).await?
    } else {
        0
    };
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
    if taken > 0 {
        println!("  and taken off {taken} delivery(ies) of issues already under way");
    }
    Ok(ExitCode::SUCCESS)
}

/// `unsuppress EMAIL [--list L | --bulletin B]`.
pub async fn unsuppress(
    project: &Project,
    email: &str,
    list: Option<&str>,
    bulletin: Option<&str>,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let e = EmailAddress::parse(email)
        .map_err(|err| anyhow::anyhow!("{email}: invalid address: {err}"))?;
    let scope = match (list, bulletin) {
        (None, None) => None,
        _ => Some(scope(project, list, bulletin)?),
    };
    let store = open(project).await?;
    let n = store
        .unsuppress(&e.key(), scope.as_ref(), clock.timestamp())
        .await?;
    println!("removed {n} suppression(s) of {}", e.key());
    Ok(ExitCode::SUCCESS)
}

/// `approve BULLETIN --date D [--by NAME]`.
pub async fn approve(
    project: &Project,
    b: &crate::config::Bulletin,
    date: NaiveDate,
    by: Option<String>,
    late: bool,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let bulletin = &b.id;
    let by = approver(by)?;
    if !b.require_approval {
        eprintln!(
            "note: `{bulletin}` does not require approval (require_approval = false); recording it anyway"
        );
    }
    let store = open(project).await?;
    let tz = project.settings.organisation.time_zone;
    let now = clock.timestamp();
    let done = crate::issue_acts::approve(project, &store, b, date, (&by, late), now).await?;
    let (has_issue, held, skipped, passed) = match done {
        Approved::Unscheduled => {
            refuse_unscheduled(b, tz, date);
            return Ok(ExitCode::FAILURE);
        }
        Approved::Passed { due } => {
            refuse_passed(project, b, date, due, now);
            return Ok(ExitCode::FAILURE);
        }
        Approved::Already { by, skipped } => {
            warn_skipped(b, date, skipped);
            println!("{bulletin} {date} was already approved by {by}");
            return Ok(ExitCode::SUCCESS);
        }
        Approved::Now {
            has_issue,
            held,
            skipped,
            passed,
        } => (has_issue, held, skipped, passed),
    };
    warn_skipped(b, date, skipped);
    let what_next = if has_issue {
        "its issue already exists, so this changes nothing it has sent (see `bulletin status`)"
            .to_string()
    } else if skipped || passed {
        format!(
            "the daemon will not send it; send it by hand: bulletin send {bulletin} --now --date {date}"
        )
    } else if held {
        "the daemon sends it within seconds".to_string()
    } else {
        "the daemon sends it at its time".to_string()
    };
    println!("approved {bulletin} {date} (by {by}); {what_next}");
    Ok(ExitCode::SUCCESS)
}

/// An approval of an issue that was cancelled or skipped changes nothing the daemon does.
fn warn_skipped(b: &crate::config::Bulletin, date: NaiveDate, skipped: bool) {
    let bulletin = &b.id;
    if skipped {
        eprintln!(
            "warning: {bulletin} {date} was cancelled or skipped; the daemon will not send it (use `bulletin send {bulletin} --now --date {date}` to send it anyway)"
        );
    }
}

/// `approve` for a date the schedule does not fire on: said, with the nearest issue dates.
fn refuse_unscheduled(b: &crate::config::Bulletin, tz: chrono_tz::Tz, date: NaiveDate) {
    let bulletin = b.id.as_str();
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
}

/// Who approves: `--by`, else `$USER`. An approval is the audit record of who let an issue
/// go, so it is never recorded as "unknown".
fn approver(by: Option<String>) -> anyhow::Result<String> {
    let by = by.map(|b| b.trim().to_string());
    match by {
        Some(b) if b.is_empty() => anyhow::bail!("--by is empty: give the name of who approves, e.g. --by ed; nothing was approved"),
        Some(b) => Ok(b),
        None => std::env::var("USER")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "who approves? $USER is not set, so give a name: --by NAME (it is recorded as the approver); nothing was approved"
                )
            }),
    }
}

/// Say that `date`'s issue, due at `due`, has passed without being created and the daemon
/// will not send it, and name the next issue and how to send this one by hand.
fn refuse_passed(
    project: &Project,
    b: &crate::config::Bulletin,
    date: NaiveDate,
    due: crate::timestamp::Timestamp,
    now: crate::timestamp::Timestamp,
) {
    let bulletin = b.id.as_str();
    let tz = project.settings.organisation.time_zone;
    let at = project.local(due).format(STAMP);
    eprintln!(
        "error: {bulletin} {date} was due at {at} and was never created; it is past its catch-up window ({} hours), so the daemon will not send it; nothing was approved",
        b.catch_up_hours
    );
    let next = now
        .to_utc()
        .and_then(|t| crate::schedule::issue_fires_after(b, tz, t).next())
        .map(|p| p.date());
    match next {
        Some(n) => {
            eprintln!("  the next issue is {bulletin} {n}: bulletin approve {bulletin} --date {n}")
        }
        None => eprintln!("  {bulletin} has no issue to come"),
    }
    eprintln!(
        "  to send the {date} issue by hand: bulletin approve {bulletin} --date {date} --late, then bulletin send {bulletin} --now --date {date}"
    );
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
