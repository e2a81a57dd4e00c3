//! The operator's commands that look at and undo what was sent: one issue's recipients, who
//! is suppressed and how, a list's members and the lists that reach an address, cancelling an
//! issue and withdrawing it from the web.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;

use super::ledger::{open, operator};
use crate::address::EmailAddress;
use crate::config::Project;
use crate::ids::ListId;
use crate::issue_acts::{self, Cancelled, Withdrawn};
use crate::schedule::jobs::Job;
use crate::spreadsheet::csv_field;
use crate::store::{IssueKind, IssueState, Store, Suppression, SuppressionScope};

/// An issue named on the command line: its id, or `BULLETIN@YYYY-MM-DD` (the issue itself,
/// not a proof or announcement).
async fn find_named_issue(store: &Store, name: &str) -> anyhow::Result<crate::store::IssueRow> {
    let found = match name.split_once('@') {
        Some((bulletin, date)) => {
            let date: NaiveDate = date.parse().map_err(|_| {
                anyhow::anyhow!(
                    "`{name}`: the date must be YYYY-MM-DD, as in {bulletin}@2026-12-01"
                )
            })?;
            match crate::ids::BulletinId::parse(bulletin) {
                Ok(b) => store.find_issue(&b, date, IssueKind::Issue).await?,
                Err(_) => None,
            }
        }
        None => match name.parse::<i64>() {
            Ok(id) => store.issue_by_id(id).await?,
            Err(_) => anyhow::bail!(
                "`{name}` is not an issue: give its id (as `bulletin status` shows it) or BULLETIN@YYYY-MM-DD"
            ),
        },
    };
    found.ok_or_else(|| anyhow::anyhow!("no issue `{name}` in the ledger (see `bulletin status`)"))
}

/// `status ISSUE --recipients [--state S]`.
pub async fn recipients(
    project: &Project,
    issue: &str,
    state: Option<crate::store::DeliveryState>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let store = open(project).await?;
    let row = find_named_issue(&store, issue).await?;
    let rows = store.recipients(row.id, state).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} {} ({} {}, {}): {} recipient(s){}",
        row.bulletin,
        row.date,
        row.kind,
        row.id,
        row.state,
        rows.len(),
        state.map(|s| format!(" {s}")).unwrap_or_default()
    );
    let w = rows.iter().map(|r| r.email.len()).max().unwrap_or(5).max(5);
    println!(
        "{:<w$}  {:<10}  {:>8}  {:<20}  LAST REPLY",
        "EMAIL", "STATE", "ATTEMPTS", "UPDATED"
    );
    for r in &rows {
        println!(
            "{:<w$}  {:<10}  {:>8}  {:<20}  {}",
            r.email,
            r.state,
            r.attempts,
            project.stamp(r.updated_at),
            r.last_reply.as_deref().unwrap_or("-")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One row of `suppressions`.
#[derive(Debug, serde::Serialize)]
struct SuppressionRow {
    email: String,
    scope: String,
    /// RFC 3339 in the organisation's time zone.
    when: String,
    how: crate::store::SuppressionHow,
    reason: Option<String>,
}

/// `suppressions [--format table|json|csv]`.
pub async fn suppressions(
    project: &Project,
    format: super::TableJsonCsv,
) -> anyhow::Result<ExitCode> {
    use super::TableJsonCsv;
    let rows: Vec<SuppressionRow> = open(project)
        .await?
        .suppressions()
        .await?
        .into_iter()
        .map(|s| SuppressionRow {
            email: s.email_key,
            scope: s.scope.to_string(),
            when: project.local(s.created_at).to_rfc3339(),
            how: s.how,
            reason: s.reason,
        })
        .collect();
    let mut out = std::io::stdout().lock();
    match format {
        TableJsonCsv::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        TableJsonCsv::Csv => {
            writeln!(out, "email,scope,when,how,reason")?;
            for r in &rows {
                writeln!(
                    out,
                    "{},{},{},{},{}",
                    csv_field(&r.email),
                    csv_field(&r.scope),
                    r.when,
                    r.how,
                    csv_field(r.reason.as_deref().unwrap_or(""))
                )?;
            }
        }
        TableJsonCsv::Table => {
            if rows.is_empty() {
                writeln!(out, "no suppressions")?;
                return Ok(ExitCode::SUCCESS);
            }
            let w = rows.iter().map(|r| r.email.len()).max().unwrap_or(5).max(5);
            let ws = rows.iter().map(|r| r.scope.len()).max().unwrap_or(5).max(5);
            writeln!(
                out,
                "{:<w$}  {:<ws$}  {:<25}  {:<9}  REASON",
                "EMAIL", "SCOPE", "WHEN", "HOW"
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{:<w$}  {:<ws$}  {:<25}  {:<9}  {}",
                    r.email,
                    r.scope,
                    r.when,
                    r.how.as_str(),
                    r.reason.as_deref().unwrap_or("")
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Why an address is not reached through a list of a project: the scopes that stop it there
/// ([`crate::suppress_rule`]).
fn suppressed_for(
    project: &Project,
    suppressions: &[Suppression],
    key: &str,
    list: &ListId,
) -> Vec<String> {
    crate::suppress_rule::Suppressions::new(suppressions).stopping(&project.lists, list, key)
}

/// One member in `lists --members`.
#[derive(Debug, serde::Serialize)]
struct MemberRow {
    email: String,
    name: Option<String>,
    agency: Option<String>,
    /// Scopes that stop mail to this member through this list (`*`, `list:<id>`).
    suppressed: Vec<String>,
    /// Bulletins (or campaigns' announcements) this member unsubscribed from alone: those
    /// miss them, everything else sent to the list still reaches them.
    unsubscribed_from: Vec<String>,
}

/// `lists --members LIST`.
pub fn list_members(
    project: &Project,
    suppressions: &[Suppression],
    list: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let Some(l) = project.lists.lists.get(list) else {
        let ids: Vec<&str> = project.lists.lists.keys().map(|k| k.as_str()).collect();
        anyhow::bail!("unknown list `{list}` (lists: {})", ids.join(", "));
    };
    let rule = crate::suppress_rule::Suppressions::new(suppressions);
    let rows: Vec<MemberRow> = project
        .lists
        .members
        .get(&l.id)
        .into_iter()
        .flatten()
        .map(|m| MemberRow {
            email: m.email.to_string(),
            name: m.name.as_ref().map(|n| n.to_string()),
            agency: m.agency.clone(),
            suppressed: suppressed_for(project, suppressions, &m.email.key(), &l.id),
            unsubscribed_from: rule
                .bulletins_left(&m.email.key())
                .into_iter()
                .map(str::to_string)
                .collect(),
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    let reachable = rows.iter().filter(|r| r.suppressed.is_empty()).count();
    // What each bulletin sending to this list (or to one including it) reaches of it.
    let per_bulletin: Vec<String> = super::lists::list_rows(project, suppressions)
        .into_iter()
        .filter(|r| r.id == l.id.as_str())
        .flat_map(|r| r.bulletins)
        .map(|b| format!("; {} reaches {}", b.bulletin, b.reaches))
        .collect();
    println!(
        "{} ({}): {} member(s), {} reachable{}",
        l.id,
        l.name,
        rows.len(),
        reachable,
        per_bulletin.concat()
    );
    let w = rows.iter().map(|r| r.email.len()).max().unwrap_or(5).max(5);
    let wn = rows
        .iter()
        .map(|r| r.name.as_deref().unwrap_or("").chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("{:<w$}  {:<wn$}  SUPPRESSED", "EMAIL", "NAME");
    for r in &rows {
        println!(
            "{:<w$}  {:<wn$}  {}",
            r.email,
            r.name.as_deref().unwrap_or(""),
            suppressed_cell(r)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The SUPPRESSED cell of `lists --members`: the scopes that stop everything through the
/// list, then the bulletins unsubscribed from alone.
fn suppressed_cell(r: &MemberRow) -> String {
    let mut parts = r.suppressed.clone();
    if !r.unsubscribed_from.is_empty() {
        parts.push(format!(
            "unsubscribed from {}",
            r.unsubscribed_from.join(", ")
        ));
    }
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join("; ")
    }
}

/// One list in `lists --who`.
#[derive(Debug, serde::Serialize)]
struct WhoRow {
    list: String,
    /// `direct`, or the included list it comes through.
    via: String,
    /// Every include path to the address, e.g. `all-partners ← police ← (direct)`.
    paths: Vec<String>,
    suppressed: Vec<String>,
}

/// `lists --who EMAIL`.
pub fn lists_who(
    project: &Project,
    suppressions: &[Suppression],
    email: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let e = EmailAddress::parse(email)
        .map_err(|err| anyhow::anyhow!("{email}: invalid address: {err}"))?;
    let key = e.key();
    let rows = who_rows(project, suppressions, &key);
    let other: Vec<String> = suppressions
        .iter()
        .filter(|s| s.email_key == key && matches!(s.scope, SuppressionScope::Bulletin(_)))
        .map(|s| s.scope.to_string())
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "email": key,
                "lists": rows,
                "suppressed_bulletins": other,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("{key} is on no list");
    } else {
        println!("{key} is on {} list(s):", rows.len());
        for r in &rows {
            println!(
                "  {:<20} {}",
                r.list,
                if r.suppressed.is_empty() {
                    "receives mail".to_string()
                } else {
                    format!("suppressed ({})", r.suppressed.join(", "))
                }
            );
            for p in &r.paths {
                println!("      {p}");
            }
        }
    }
    for s in &other {
        println!("  suppressed for {}", s.replace(':', " "));
    }
    Ok(ExitCode::SUCCESS)
}

/// Each list the address (its `key`) is on, how it gets there, and what stops its mail.
fn who_rows(project: &Project, suppressions: &[Suppression], key: &str) -> Vec<WhoRow> {
    let member = |list: &crate::ids::ListId| {
        project
            .lists
            .members
            .get(list)
            .is_some_and(|ms| ms.iter().any(|m| m.email.key() == key))
    };
    let mut rows = Vec::new();
    for (id, l) in &project.lists.lists {
        if !member(&l.id) {
            continue;
        }
        let direct = l.members.iter().any(|m| m.email.key() == key);
        let via = if direct {
            "direct".to_string()
        } else {
            l.include
                .iter()
                .find(|inc| member(&inc.value))
                .map(|inc| format!("include {}", inc.value))
                .unwrap_or_else(|| "include".into())
        };
        let paths = project
            .lists
            .paths_to(id, key)
            .iter()
            .map(|p| {
                let mut s: Vec<String> = p.iter().map(ToString::to_string).collect();
                s.push("(direct)".into());
                s.join(" ← ")
            })
            .collect();
        rows.push(WhoRow {
            list: id.to_string(),
            via,
            paths,
            suppressed: suppressed_for(project, suppressions, key, id),
        });
    }
    rows
}

/// What `cancel`, `uncancel` and `withdraw` do to a bulletin's issue of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Cancel,
    Uncancel,
    Withdraw,
}

/// `cancel | uncancel | withdraw BULLETIN --date D`, for a bulletin the settings name (the
/// dispatcher has looked it up). The effect is [`crate::issue_acts`]'s; this says what it did.
pub async fn act(
    project: &Project,
    id: &crate::ids::BulletinId,
    date: NaiveDate,
    act: Act,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let store = open(project).await?;
    let now = clock.timestamp();
    match act {
        Act::Uncancel => uncancel(&store, id, date, clock).await,
        Act::Cancel => {
            let done = issue_acts::cancel(project, &store, id, date, &operator(), now).await?;
            Ok(say_cancelled(id, date, &done))
        }
        Act::Withdraw => {
            let done = issue_acts::withdraw(&store, id, date, &operator(), now).await?;
            Ok(say_withdrawn(id, date, done))
        }
    }
}

/// What `cancel` did, as the command says it.
fn say_cancelled(bulletin: &crate::ids::BulletinId, date: NaiveDate, done: &Cancelled) -> ExitCode {
    match done {
        Cancelled::Already { issue } => {
            println!("{bulletin} {date} (issue {issue}) was already cancelled")
        }
        Cancelled::Finished { issue, sent } => println!(
            "{bulletin} {date} (issue {issue}) has finished: {sent} sent; nothing to cancel"
        ),
        Cancelled::Issue {
            issue,
            waiting,
            sent,
            in_flight,
        } => println!(
            "cancelled {bulletin} {date} (issue {issue}): {waiting} waiting deliveries cancelled, {sent} already sent, {in_flight} in flight will complete"
        ),
        Cancelled::Fire => println!("cancelled {bulletin} {date}: it will not be created or sent"),
        Cancelled::NothingToCancel => {
            eprintln!(
                "error: {bulletin} has no issue on {date} in the ledger and none to come that day (see `bulletin status` and `bulletin schedule`); nothing was cancelled"
            );
            return ExitCode::FAILURE;
        }
        Cancelled::Handled(state) => {
            eprintln!(
                "error: {bulletin} {date} was already handled ({state}); see `bulletin status`"
            );
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// `uncancel BULLETIN --date D`: undo `cancel` of an issue still to come, so it is created
/// and sent as scheduled. A past one is refused: its time has gone, and `send --now --date`
/// sends it late if that is wanted.
async fn uncancel(
    store: &Store,
    id: &crate::ids::BulletinId,
    date: NaiveDate,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let (bulletin, now) = (id.as_str(), clock.timestamp());
    let job = Job::Bulletin(id.clone());
    let cancelled = store
        .cancelled_fires()
        .await?
        .into_iter()
        .find(|c| c.job == job && c.for_date == Some(date));
    let Some(c) = cancelled else {
        let issue = store.find_issue(id, date, IssueKind::Issue).await?;
        match issue {
            Some(row) if row.state == IssueState::Cancelled => eprintln!(
                "error: {bulletin} {date} (issue {}) was cancelled after it was created; its cancelled deliveries stay cancelled (send the issue again with `bulletin send {bulletin} --now --date {date}`)",
                row.id
            ),
            _ => eprintln!(
                "error: {bulletin} {date} is not cancelled; nothing to restore (see `bulletin status`)"
            ),
        }
        return Ok(ExitCode::FAILURE);
    };
    if c.due_at <= now {
        eprintln!(
            "error: {bulletin} {date} was due in the past; uncancel restores only an issue still to come (to send it late: `bulletin send {bulletin} --now --date {date}`)"
        );
        return Ok(ExitCode::FAILURE);
    }
    let by = operator();
    if store.uncancel_fire(&job, c.due_at, &by, now).await? {
        println!("restored {bulletin} {date}: it will be created and sent as scheduled");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: {bulletin} {date} is not cancelled any more; see `bulletin status`");
        Ok(ExitCode::FAILURE)
    }
}

/// What `withdraw` did, as the command says it.
fn say_withdrawn(bulletin: &crate::ids::BulletinId, date: NaiveDate, done: Withdrawn) -> ExitCode {
    match done {
        Withdrawn::Now { issue } => println!(
            "withdrew {bulletin} {date} (issue {issue}) from the web archive and feed; it stays in the ledger"
        ),
        Withdrawn::Already { issue } => {
            println!("{bulletin} {date} (issue {issue}) was already withdrawn")
        }
        Withdrawn::NoIssue => {
            eprintln!(
                "error: {bulletin} has no issue on {date} in the ledger (see `bulletin status`); nothing was withdrawn"
            );
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use crate::spreadsheet::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("jo@x.example"), "jo@x.example");
        assert_eq!(csv_field("left, moved"), "\"left, moved\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }
}
