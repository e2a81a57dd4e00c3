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

/// This process's name in claims and leases: host and process id.
pub fn instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}

async fn open(project: &Project) -> anyhow::Result<Store> {
    Store::open(&project.settings.database)
        .await
        .context("opening the database")
}

/// Whether there is a ledger to read (a SQLite file that was never created holds nothing, and
/// a read-only command should not create it).
fn ledger_exists(project: &Project) -> bool {
    !matches!(&project.settings.database, DatabaseUrl::Sqlite(p) if !p.exists())
}

/// The suppressions, without creating a database that does not exist yet.
pub async fn existing_suppressions(project: &Project) -> anyhow::Result<Vec<Suppression>> {
    if !ledger_exists(project) {
        return Ok(Vec::new());
    }
    Ok(open(project).await?.suppressions().await?)
}

fn today(project: &Project) -> NaiveDate {
    chrono::Utc::now()
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
fn operator() -> String {
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
        crate::preview::render(project, bulletin, today(project))?;
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
    let now = chrono::Utc::now().timestamp();
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
    let sender = crate::send::sender(project, store.clone(), &instance_id(), clock, stopping)?;
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
        "{:<14} {:<10} {:<18} {:>5} {:<8} {:>7} {:>9} {:>7} {:>8} {:>6} {:>7} {:>10}",
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
            "{:<14} {:<10} {:<18} {:>5} {:<8} {:>7} {:>9} {:>7} {:>8} {:>6} {:>7} {:>10}",
            r.bulletin,
            r.date,
            r.kind,
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
        .suppress(&e.key(), &scope, reason, chrono::Utc::now().timestamp())
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
        .unsuppress(&e.key(), scope.as_deref(), chrono::Utc::now().timestamp())
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
            chrono::Utc::now().timestamp(),
        )
        .await?;
    if added {
        println!(
            "approved {bulletin} {date} (by {by}); the daemon sends it at its time, or at once if it is held"
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
            store
                .find_issue(bulletin, &date.to_string(), "issue")
                .await?
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

fn local_time(project: &Project, at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            t.with_timezone(&project.settings.organisation.time_zone)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .unwrap_or_default()
}

/// `status ISSUE --recipients [--state S]`.
pub async fn recipients(
    project: &Project,
    issue: &str,
    state: Option<crate::store::DeliveryState>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if !ledger_exists(project) {
        anyhow::bail!("no issue `{issue}`: nothing has been sent yet");
    }
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
            local_time(project, r.updated_at),
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
    format: crate::cli::TableJsonCsv,
) -> anyhow::Result<ExitCode> {
    use crate::cli::TableJsonCsv;
    let tz = project.settings.organisation.time_zone;
    let rows: Vec<SuppressionRow> = existing_suppressions(project)
        .await?
        .into_iter()
        .map(|s| SuppressionRow {
            email: s.email_key,
            scope: s.scope,
            when: chrono::DateTime::from_timestamp(s.created_at, 0)
                .map(|t| t.with_timezone(&tz).to_rfc3339())
                .unwrap_or_default(),
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

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180); a leading
/// `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet does not run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Why an address is suppressed for a list of a project: the scopes that stop it there.
fn suppressed_for(suppressions: &[Suppression], key: &str, list: &str) -> Vec<String> {
    let scope = format!("list:{list}");
    suppressions
        .iter()
        .filter(|s| s.email_key == key && (s.scope == "*" || s.scope == scope))
        .map(|s| s.scope.clone())
        .collect()
}

/// One member in `lists --members`.
#[derive(Debug, serde::Serialize)]
struct MemberRow {
    email: String,
    name: Option<String>,
    agency: Option<String>,
    /// Scopes that stop mail to this member through this list (`*`, `list:<id>`).
    suppressed: Vec<String>,
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
            suppressed: suppressed_for(suppressions, &m.email.key(), list),
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    let reachable = rows.iter().filter(|r| r.suppressed.is_empty()).count();
    println!(
        "{} ({}): {} member(s), {} reachable",
        l.id,
        l.name,
        rows.len(),
        reachable
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
            if r.suppressed.is_empty() {
                "-".to_string()
            } else {
                r.suppressed.join(", ")
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One list in `lists --who`.
#[derive(Debug, serde::Serialize)]
struct WhoRow {
    list: String,
    /// `direct`, or the included list it comes through.
    via: String,
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
    let mut rows = Vec::new();
    for (id, l) in &project.lists.lists {
        let member = |list: &crate::ids::ListId| {
            project
                .lists
                .members
                .get(list)
                .is_some_and(|ms| ms.iter().any(|m| m.email.key() == key))
        };
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
        rows.push(WhoRow {
            list: id.to_string(),
            via,
            suppressed: suppressed_for(suppressions, &key, id.as_str()),
        });
    }
    let other: Vec<String> = suppressions
        .iter()
        .filter(|s| s.email_key == key && s.scope.starts_with("bulletin:"))
        .map(|s| s.scope.clone())
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
                "  {:<20} {:<24} {}",
                r.list,
                r.via,
                if r.suppressed.is_empty() {
                    "receives mail".to_string()
                } else {
                    format!("suppressed ({})", r.suppressed.join(", "))
                }
            );
        }
    }
    for s in &other {
        println!("  suppressed for {}", s.replace(':', " "));
    }
    Ok(ExitCode::SUCCESS)
}

/// `cancel BULLETIN --date D`.
pub async fn cancel(
    project: &Project,
    bulletin: &str,
    date: NaiveDate,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        project.bulletin(bulletin).is_some(),
        "unknown bulletin `{bulletin}`"
    );
    let store = open(project).await?;
    let Some(row) = store
        .find_issue(bulletin, &date.to_string(), "issue")
        .await?
    else {
        return cancel_fire(project, &store, bulletin, date).await;
    };
    if row.state == crate::store::IssueState::Cancelled.as_str() {
        println!("{bulletin} {date} (issue {}) was already cancelled", row.id);
        return Ok(ExitCode::SUCCESS);
    }
    let before = store.counts(row.id).await?;
    if before.open() == 0 {
        println!(
            "{bulletin} {date} (issue {}) has finished: {} sent; nothing to cancel",
            row.id, before.sent
        );
        return Ok(ExitCode::SUCCESS);
    }
    let n = store
        .cancel_issue(row.id, &operator(), chrono::Utc::now().timestamp())
        .await?;
    let after = store.counts(row.id).await?;
    println!(
        "cancelled {bulletin} {date} (issue {}): {n} waiting deliveries cancelled, {} already sent, {} in flight will complete",
        row.id, after.sent, after.in_flight
    );
    Ok(ExitCode::SUCCESS)
}

/// `cancel` for an issue not created yet: one held for approval, or a fire still to come. Its
/// fire is recorded as skipped, so the daemon never creates it.
async fn cancel_fire(
    project: &Project,
    store: &Store,
    bulletin: &str,
    date: NaiveDate,
) -> anyhow::Result<ExitCode> {
    let job = format!("bulletin:{bulletin}");
    let key = date.to_string();
    let now = chrono::Utc::now().timestamp();
    let detail = format!("cancelled by {}", operator());
    let held = store
        .held_fires()
        .await?
        .into_iter()
        .find(|(j, _, d)| *j == job && *d == key);
    let due = match held {
        Some((_, due, _)) => Some(due),
        None => project.bulletin(bulletin).and_then(|b| {
            crate::issue::fire_on(b, project.settings.organisation.time_zone, date)
                .map(|t| t.timestamp())
                .filter(|t| *t > now)
        }),
    };
    let Some(due) = due else {
        eprintln!(
            "error: {bulletin} has no issue on {date} in the ledger and none to come that day (see `bulletin status` and `bulletin schedule`); nothing was cancelled"
        );
        return Ok(ExitCode::FAILURE);
    };
    let state = store
        .record_fire(&job, due, &key, "skipped", &detail, now)
        .await?;
    store
        .log_event(
            None,
            None,
            "cancelled",
            &format!("{bulletin} {date}: {detail}"),
            now,
        )
        .await?;
    if state == "skipped" {
        println!("cancelled {bulletin} {date}: it will not be created or sent");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: {bulletin} {date} was already handled ({state}); see `bulletin status`");
        Ok(ExitCode::FAILURE)
    }
}

/// `withdraw BULLETIN --date D`.
pub async fn withdraw(
    project: &Project,
    bulletin: &str,
    date: NaiveDate,
) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        project.bulletin(bulletin).is_some(),
        "unknown bulletin `{bulletin}`"
    );
    if !ledger_exists(project) {
        anyhow::bail!("{bulletin} has no issue on {date}: nothing has been sent yet");
    }
    let store = open(project).await?;
    let Some(row) = store
        .find_issue(bulletin, &date.to_string(), "issue")
        .await?
    else {
        eprintln!(
            "error: {bulletin} has no issue on {date} in the ledger (see `bulletin status`); nothing was withdrawn"
        );
        return Ok(ExitCode::FAILURE);
    };
    if store
        .withdraw_issue(row.id, &operator(), chrono::Utc::now().timestamp())
        .await?
    {
        println!(
            "withdrew {bulletin} {date} (issue {}) from the web archive and feed; it stays in the ledger",
            row.id
        );
    } else {
        println!("{bulletin} {date} (issue {}) was already withdrawn", row.id);
    }
    Ok(ExitCode::SUCCESS)
}
