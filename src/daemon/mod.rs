//! The daemon: the scheduler (issues, proofs, announcements, catch-up after downtime, approval
//! holds), the delivery of due and deferred deliveries (through [`crate::send::Service`], as
//! `bulletin send` does), reload on SIGHUP or file changes (a broken config is reported and the
//! last good one keeps running), and a graceful stop on SIGTERM/SIGINT. Each pass is one call
//! of [`Daemon::try_execute_step`], which tests drive with their own clock; `main` hands
//! [`run`] the system clock.

pub mod reload;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::config::{DatabaseUrl, Env, Project};
use crate::delivery::{Stop, daily};
use crate::instance::MAX_SLEEP_SECS;
use crate::schedule::jobs::{Job, upcoming};
use crate::send::{Clearance, EditorsCopy, Ownership, Service};
use crate::store::{Approval, FireState, LeaseSweep, Store, StoreError};
use crate::timestamp::Timestamp;

/// How long a stopping daemon waits for SMTP transactions in flight before it exits anyway
/// (what is left in flight returns to the queue at the next start).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How often a sleeping daemon reads the wake counter (one row, on either backend), so an
/// issue held for approval goes within seconds of `bulletin approve`, and an issue a command
/// paused is retried at its retry time, from any instance.
pub const APPROVAL_POLL: Duration = Duration::from_secs(2);

/// Resolves when the wake counter differs from `seen` (read every [`APPROVAL_POLL`]).
async fn wake_after(store: &Store, seen: i64) {
    loop {
        tokio::time::sleep(APPROVAL_POLL).await;
        match store.counter(crate::store::WAKE_COUNTER).await {
            Ok(n) if n != seen => return,
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "reading the wake counter"),
        }
    }
}

/// Why a step failed. The daemon logs it and tries again later: nothing is lost.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Send(#[from] crate::send::SendError),
}

/// What one step did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// (job, for date) created now.
    pub created: Vec<(String, String)>,
    /// (job, for date) skipped: missed by more than the catch-up window.
    pub skipped: Vec<(String, String)>,
    /// (job, for date) held for approval.
    pub held: Vec<(String, String)>,
    /// Deliveries attempted.
    pub attempted: u64,
    /// When the next step should run (Unix seconds).
    pub next_at: i64,
}

/// The running daemon's state.
pub struct Daemon {
    pub project: Arc<Project>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub stopping: Arc<AtomicBool>,
    pub owner: String,
    /// Beaten at start, after each pass, and by the sender as a send makes progress.
    pub heartbeat: crate::instance::Heartbeat,
    service: Service,
}

const LAST_TICK: &str = "scheduler.last_tick";

impl Daemon {
    pub fn new(
        project: Arc<Project>,
        store: Store,
        clock: Arc<dyn Clock>,
        owner: &str,
    ) -> Result<Self, crate::send::SendError> {
        let stopping = Arc::new(AtomicBool::new(false));
        let heartbeat = crate::instance::Heartbeat::default();
        let service = Service::new(
            project.clone(),
            store.clone(),
            owner,
            clock.clone(),
            stopping.clone(),
            heartbeat.clone(),
        )?;
        Ok(Daemon {
            project,
            store,
            clock,
            stopping,
            owner: owner.to_string(),
            heartbeat,
            service,
        })
    }

    /// Swap in a newly loaded, valid project (a reload).
    pub fn replace_project(&mut self, project: Arc<Project>) -> Result<(), crate::send::SendError> {
        self.service = Service::new(
            project.clone(),
            self.store.clone(),
            &self.owner,
            self.clock.clone(),
            self.stopping.clone(),
            self.heartbeat.clone(),
        )?;
        self.project = project;
        Ok(())
    }

    fn catch_up_secs(&self, job: &Job) -> i64 {
        let b = match job {
            Job::Bulletin(id) | Job::Proof(id) => self.project.bulletin(id.as_str()),
            Job::Announce(_) => None,
        };
        i64::from(b.map_or(24, |b| b.catch_up_hours)) * 3600
    }

    /// One pass: handle every fire due since the last pass (or within the catch-up window on a
    /// first start), re-check held issues, then attempt every due delivery.
    pub async fn try_execute_step(&self) -> Result<StepReport, StepError> {
        let now = self.clock.timestamp();
        let mut report = StepReport::default();
        // Claims of senders that died (their leases ran out) go back to the queue.
        self.service
            .release_dead_leases(LeaseSweep::Expired)
            .await?;
        self.handle_fires(now, &mut report).await?;
        self.recheck_held(now, &mut report).await?;
        self.store.set_state(LAST_TICK, &now.to_string()).await?;
        let limit_resets = self.deliver_due(now, &mut report).await?;
        report.next_at = self.next_wake(now, limit_resets).await?.secs();
        Ok(report)
    }

    /// When the previous pass ran; on a first start, as far back as the widest catch-up window.
    async fn last_tick(&self, now: Timestamp) -> Result<Timestamp, StoreError> {
        Ok(match self.store.get_state(LAST_TICK).await? {
            Some(v) => v.parse::<i64>().map_or(now, Timestamp::from),
            None => {
                now - self
                    .project
                    .settings
                    .bulletins
                    .iter()
                    .map(|b| i64::from(b.catch_up_hours) * 3600)
                    .max()
                    .unwrap_or(0)
            }
        })
    }

    /// Every fire due since the last pass not yet handled: done, held, or skipped when missed
    /// by more than its catch-up window.
    async fn handle_fires(&self, now: Timestamp, report: &mut StepReport) -> Result<(), StepError> {
        let last = self.last_tick(now).await?;
        let after = last.min(now).to_utc().unwrap_or_default();
        let until = now.to_utc().unwrap_or_default();
        for (job, at, for_date) in crate::schedule::jobs::fires_in(&self.project, after, until) {
            let due = Timestamp::from(at);
            let name = job.to_string();
            let date = for_date.map(|d| d.to_string()).unwrap_or_default();
            if self.store.fire_state(&job, due).await?.is_some() {
                continue;
            }
            if now - due > self.catch_up_secs(&job) {
                tracing::warn!(job = %name, date = %date, due = %at.to_rfc3339(), "missed while the daemon was down, outside the catch-up window: skipped");
                self.store
                    .record_fire(
                        &job,
                        due,
                        for_date,
                        FireState::Skipped,
                        "missed: outside the catch-up window",
                        now,
                    )
                    .await?;
                report.skipped.push((name, date));
                continue;
            }
            let Some(state) = self.execute(&job, for_date, now).await? else {
                continue;
            };
            self.store
                .record_fire(&job, due, for_date, state, "", now)
                .await?;
            if state != FireState::Held {
                report.created.push((name, date));
                continue;
            }
            if let (Job::Bulletin(id), Some(d)) = (&job, for_date) {
                self.notify_held(id, d, now).await?;
            }
            report.held.push((name, date));
        }
        Ok(())
    }

    /// Issues waiting for approval: sent once approved, dropped when too old to send.
    async fn recheck_held(&self, now: Timestamp, report: &mut StepReport) -> Result<(), StepError> {
        let max_age = i64::from(self.project.settings.transport.max_age_hours) * 3600;
        for held in self.store.held_fires().await? {
            let (job, due) = (held.job, held.due_at);
            let Some(d) = held.for_date else { continue };
            let (name, date) = (job.to_string(), d.to_string());
            if now - due > max_age {
                tracing::error!(job = %name, date = %date, "never approved: the issue is too old to send and is dropped");
                self.store
                    .record_fire(
                        &job,
                        due,
                        Some(d),
                        FireState::Skipped,
                        "not approved in time",
                        now,
                    )
                    .await?;
                continue;
            }
            if let Some(FireState::Done) = self.execute(&job, Some(d), now).await? {
                self.store
                    .record_fire(&job, due, Some(d), FireState::Done, "approved", now)
                    .await?;
                report.created.push((name, date));
            }
        }
        Ok(())
    }

    /// Deliveries, unless the day's limit is used up: then they wait for the reset, without a
    /// pass (or a line of log) every second until midnight. Returns that reset when the limit
    /// stopped the pass.
    async fn deliver_due(
        &self,
        now: Timestamp,
        report: &mut StepReport,
    ) -> Result<Option<Timestamp>, StepError> {
        let (limit, tz) = (
            self.project.settings.transport.max_per_day,
            self.project.settings.organisation.time_zone,
        );
        let mut limited = daily::reached(&self.store, limit, tz, now).await?;
        for issue in self.store.issues_due(now).await? {
            if self.stopping.load(Ordering::SeqCst) || limited {
                break;
            }
            let summary = self.service.deliver(&issue, None).await?;
            report.attempted += summary.attempted;
            let c = &summary.counts;
            tracing::info!(
                issue = issue.id, bulletin = %issue.bulletin, date = %issue.date, kind = %issue.kind,
                attempted = summary.attempted, sent = c.sent, deferred = c.deferred, failed = c.failed,
                suppressed = c.suppressed, "delivery pass"
            );
            if let Stop::RelayDown(why) = &summary.stop {
                let retry_in = summary
                    .paused_until
                    .map_or(0, |t| t - self.clock.timestamp());
                tracing::error!(issue = issue.id, reason = %why, retry_in_secs = retry_in, "the relay cannot be used; the issue is paused and will be retried");
            }
            if summary.stop == Stop::DailyLimit {
                limited = true;
                if let Some(w) =
                    daily::waiting(&self.store, limit, tz, self.clock.timestamp()).await?
                {
                    tracing::warn!(
                        limit = w.limit,
                        waiting = w.waiting,
                        until = w.until.secs(),
                        "{}; nothing more is sent until then",
                        w.describe(tz)
                    );
                }
            }
        }
        Ok(limited.then(|| daily::resets_at(now, tz)))
    }

    /// Email the bulletin's editors that an issue is held (once per held issue: the notice is
    /// an issue of kind `held`, created once; the delivery pass sends it).
    async fn notify_held(
        &self,
        bulletin: &crate::ids::BulletinId,
        date: chrono::NaiveDate,
        now: Timestamp,
    ) -> Result<(), StepError> {
        let p = &self.project;
        let Some(editors) = p
            .bulletin(bulletin.as_str())
            .and_then(|b| b.editors.as_ref())
        else {
            tracing::warn!(%bulletin, %date, "held, and no `editors` list to email about it");
            return Ok(());
        };
        let to = editor_addresses(p, &self.store, editors).await?;
        let (row, created) = crate::send::create_copy(
            p,
            &self.store,
            bulletin,
            date,
            &to,
            EditorsCopy::HeldNotice,
            now,
        )
        .await?;
        if created {
            tracing::info!(%bulletin, %date, issue = row.id, editors = to.len(), "the editors are emailed that the issue is held");
        }
        Ok(())
    }

    /// When something next needs doing: the next fire, the next due delivery (or the retry of a
    /// paused issue) — or, while the daily limit is used up, its reset at `limit_resets` — or a
    /// periodic look, whichever is first.
    async fn next_wake(
        &self,
        now: Timestamp,
        limit_resets: Option<Timestamp>,
    ) -> Result<Timestamp, StoreError> {
        let after = now.to_utc().unwrap_or_default();
        let mut next = now + MAX_SLEEP_SECS;
        if let Some((_, at, _)) = upcoming(&self.project, after, 1).first() {
            next = next.min(Timestamp::from(*at));
        }
        match limit_resets {
            Some(reset) => next = next.min(reset),
            None => {
                if let Some(due) = self.store.earliest_due().await? {
                    next = next.min(due.max(now + 1));
                }
            }
        }
        Ok(next.max(now + 1))
    }

    /// Do one job for one date; returns the fire's new state, or `None` when there is nothing to
    /// record (an unknown job after a reload).
    async fn execute(
        &self,
        job: &Job,
        for_date: Option<chrono::NaiveDate>,
        now: Timestamp,
    ) -> Result<Option<FireState>, StepError> {
        let p = &self.project;
        let Some(date) = for_date else {
            return Ok(None);
        };
        match job {
            Job::Bulletin(id) => {
                let Some(b) = p.bulletin(id.as_str()) else {
                    return Ok(None);
                };
                match self.service.clearance(b, date).await? {
                    Clearance::Approved(Approval { by, .. }) => {
                        tracing::info!(bulletin = %id, %date, approved_by = %by, "approved")
                    }
                    Clearance::Unapproved => {
                        tracing::error!(bulletin = %id, %date, "HELD: this issue needs approval before it is sent: run `bulletin approve {id} --date {date}`");
                        return Ok(Some(FireState::Held));
                    }
                    Clearance::Exists | Clearance::Free => {}
                }
                let (row, created) = self.service.create_or_resume(id, date).await?;
                tracing::info!(bulletin = %id, %date, issue = row.id, created, "issue due");
                Ok(Some(FireState::Done))
            }
            Job::Proof(id) => {
                let Some(b) = p.bulletin(id.as_str()) else {
                    return Ok(None);
                };
                let Some(editors) = &b.editors else {
                    return Ok(None);
                };
                let to = editor_addresses(p, &self.store, editors).await?;
                let (row, _) = crate::send::create_copy(
                    p,
                    &self.store,
                    id,
                    date,
                    &to,
                    EditorsCopy::Proof,
                    now,
                )
                .await?;
                tracing::info!(bulletin = %id, %date, issue = row.id, editors = to.len(), "proof due");
                Ok(Some(FireState::Done))
            }
            Job::Announce(c) => {
                match crate::send::create_announcement(p, &self.store, c, date, now).await? {
                    Some((row, _)) => {
                        tracing::info!(campaign = %c, start = %date, issue = row.id, "announcement due");
                        Ok(Some(FireState::Done))
                    }
                    None => Ok(None),
                }
            }
        }
    }
}

/// Rows indented two spaces, each column as wide as its widest cell (counted in characters).
fn aligned(rows: &[[String; 3]]) -> String {
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (w0, w1) = (width(0), width(1));
    let mut out = String::new();
    for r in rows {
        let line = format!("  {:<w0$}  {:<w1$}  {}", r[0], r[1], r[2]);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// What `bulletin run` says on start: what it will do next. Issues are named by the date they
/// go (after `on_non_working_day`), as everywhere else; one already in the ledger (`created`,
/// sent early by hand) is said to be, not listed as coming.
pub fn startup_summary(
    project: &Project,
    now: DateTime<Utc>,
    created: &crate::schedule::jobs::Created,
) -> String {
    let mut out = String::new();
    out.push_str("next:\n");
    out.push_str(&next_fires(project, now, created));
    out.push_str(&coming_news(project, now, created));
    out.push_str(&campaigns_soon(project, now));
    out.push_str(&where_things_go(project));
    out
}

/// The next fires, one a row: the job, when, and the date it is for.
fn next_fires(
    project: &Project,
    now: DateTime<Utc>,
    created: &crate::schedule::jobs::Created,
) -> String {
    let next: Vec<[String; 3]> = upcoming(project, now, 2)
        .into_iter()
        .take(8)
        .map(|(job, at, date)| {
            let done = crate::schedule::jobs::already_created(&job, date, created);
            [
                job.to_string(),
                at.format("%a %-d %b %Y %H:%M %Z").to_string(),
                match date {
                    Some(d) if done => {
                        format!("(for {d}: {})", crate::schedule::jobs::ALREADY_CREATED)
                    }
                    Some(d) => format!("(for {d})"),
                    None => String::new(),
                },
            ]
        })
        .collect();
    aligned(&next)
}

/// For each bulletin, the news items its next issue not yet created carries.
fn coming_news(
    project: &Project,
    now: DateTime<Utc>,
    created: &crate::schedule::jobs::Created,
) -> String {
    let tz = project.settings.organisation.time_zone;
    let mut out = String::new();
    for b in &project.settings.bulletins {
        let Some(date) = crate::schedule::issue_fires_after(b, tz, now)
            .map(|p| p.date())
            .find(|d| !created.contains(&(b.id.to_string(), *d)))
        else {
            continue;
        };
        let issue = crate::issue::assemble(project, b, date);
        let titles: Vec<&str> = issue
            .sections
            .iter()
            .filter_map(|s| match &s.body {
                crate::issue::SectionBody::News(items) => Some(items),
                _ => None,
            })
            .flatten()
            .map(|n| n.title.as_str())
            .collect();
        if titles.is_empty() {
            out.push_str(&format!(
                "the issue of {} ({date}) carries no news items yet\n",
                b.id
            ));
        } else {
            out.push_str(&format!(
                "the issue of {} ({date}) carries {} news item(s):\n",
                b.id,
                titles.len()
            ));
            for t in titles {
                out.push_str(&format!("  {t}\n"));
            }
        }
    }
    out
}

/// The campaigns of the next 30 days (at most eight).
fn campaigns_soon(project: &Project, now: DateTime<Utc>) -> String {
    let today = project.local(now).date_naive();
    let cal =
        crate::calendar::Calendar::new(&project.campaigns, project.settings.organisation.time_zone);
    let soon = cal.between(today, today + chrono::Days::new(30));
    if soon.is_empty() {
        return String::new();
    }
    let rows: Vec<[String; 3]> = soon
        .iter()
        .take(8)
        .map(|o| {
            [
                o.title.clone(),
                crate::calendar::human::when(o),
                String::new(),
            ]
        })
        .collect();
    format!("campaigns in the next 30 days:\n{}", aligned(&rows))
}

/// Where mail goes and where the ledger is.
fn where_things_go(project: &Project) -> String {
    let mail = match &project.settings.transport.kind {
        crate::config::TransportKind::Outbox { dir } => format!(
            "mail: written to {} (outbox; nothing is sent)\n",
            dir.display()
        ),
        crate::config::TransportKind::Smtp(r) => format!("mail: SMTP via {}:{}\n", r.host, r.port),
        crate::config::TransportKind::Sendmail { path } => format!("mail: {}\n", path.display()),
    };
    let ledger = match &project.settings.database {
        DatabaseUrl::Sqlite(p) => format!("ledger: {}\n", p.display()),
        DatabaseUrl::Postgres { .. } => "ledger: PostgreSQL\n".to_string(),
    };
    mail + &ledger
}

/// Poll the `[bounces.imap]` mailbox every `interval_seconds`, with whatever configuration is
/// live (a reload can add, change or remove it). A failed pass is logged and retried at the next.
async fn poll_bounces(
    live: tokio::sync::watch::Receiver<crate::web::server::Live>,
    store: Store,
    clock: Arc<dyn Clock>,
) {
    loop {
        let current = live.borrow().clone();
        let Some(b) = current.project.settings.bounces.as_ref() else {
            tokio::time::sleep(Duration::from_secs(30)).await;
            continue;
        };
        let Some(m) = b.imap.as_ref() else {
            tokio::time::sleep(Duration::from_secs(30)).await;
            continue;
        };
        let verp = crate::bounce::Verp::new(&b.address, current.signer.secrets());
        match crate::bounce::imap::poll_once(m, &store, &verp, &current.signer, b.policy(), &*clock)
            .await
        {
            Ok(s) if s.read > 0 => tracing::info!(
                read = s.read,
                recorded = s.recorded,
                ignored = s.ignored,
                left = s.left,
                unsubscribed = s.unsubscribed,
                "bounce mailbox read"
            ),
            Ok(_) => tracing::debug!("bounce mailbox: nothing new"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the bounce mailbox; trying again later")
            }
        }
        tokio::time::sleep(Duration::from_secs(m.interval_secs)).await;
    }
}

/// Everyone on a bulletin's `editors` list (with its includes) whom no suppression stops
/// there, for proofs and held notices.
async fn editor_addresses(
    p: &Project,
    store: &Store,
    editors: &crate::ids::ListId,
) -> Result<Vec<crate::address::EmailAddress>, StoreError> {
    Ok(crate::send::list_recipients(
        p,
        editors,
        &store.suppressions().await?,
    ))
}

/// Each CSV row a list leaves out (`invalid_rows = "skip"`), logged as a warning on every load:
/// the people it would have reached miss the bulletin until someone fixes the row.
fn log_skipped_rows(project: &crate::config::Project) {
    for d in project
        .lists
        .lists
        .values()
        .flat_map(crate::config::List::skipped_rows)
    {
        tracing::warn!(
            at = %format!("{}:{}", d.path.display(), d.pos.line),
            "{}",
            d.message
        );
    }
}

/// The web server and the bounce poller beside the scheduler, and how to stop them.
struct Beside {
    live_tx: tokio::sync::watch::Sender<crate::web::server::Live>,
    config_health: crate::config_health::ConfigHealth,
    web: tokio::task::JoinHandle<std::io::Result<()>>,
    web_stop: Arc<tokio::sync::Notify>,
    bounce_poller: tokio::task::JoinHandle<()>,
}

impl Beside {
    /// Serve the web pages on `listener` and poll the bounce mailbox, with the daemon's project
    /// (and each one a reload brings).
    fn start(daemon: &Daemon, listener: tokio::net::TcpListener) -> anyhow::Result<Beside> {
        let (live_tx, live_rx) = tokio::sync::watch::channel(crate::web::server::Live {
            project: daemon.project.clone(),
            signer: crate::compose::signer(&daemon.project)?,
        });
        let config_health = crate::config_health::ConfigHealth::new(daemon.clock.now());
        let web_state = crate::web::server::AppState {
            live: live_rx,
            store: daemon.store.clone(),
            clock: daemon.clock.clone(),
            heartbeat: daemon.heartbeat.clone(),
            config: config_health.clone(),
            requests: Default::default(),
            unsubscribes: Default::default(),
        };
        let web_stop = Arc::new(tokio::sync::Notify::new());
        let web = {
            let stop = web_stop.clone();
            tokio::spawn(crate::web::server::serve(listener, web_state, async move {
                stop.notified().await
            }))
        };
        let bounce_poller = tokio::spawn(poll_bounces(
            live_tx.subscribe(),
            daemon.store.clone(),
            daemon.clock.clone(),
        ));
        Ok(Beside {
            live_tx,
            config_health,
            web,
            web_stop,
            bounce_poller,
        })
    }

    async fn stop(self) {
        self.bounce_poller.abort();
        self.web_stop.notify_one();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.web).await;
    }
}

/// `bulletin run`: load, open the ledger, listen, then pass, sleep and reload until stopped.
pub async fn run(
    config_path: PathBuf,
    env: Env,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<std::process::ExitCode> {
    // Before the files are read: an edit made from here on is a change the daemon sees.
    let mut watcher = reload::Watcher::new(&config_path);
    let loaded = crate::load::load(&config_path, &env, clock.now_utc());
    let Some(project) = loaded.project else {
        eprint!("{}", loaded.diagnostics.clone().as_given(&config_path));
        eprintln!(
            "error: the configuration has {} error(s); the daemon did not start",
            loaded.diagnostics.error_count()
        );
        return Ok(std::process::ExitCode::FAILURE);
    };
    log_skipped_rows(&project);
    let (ownership, store) = open_ledger(&project).await?;
    let owner = crate::instance::instance_id();
    let Some(listener) = listen(project.settings.web.bind).await else {
        return Ok(std::process::ExitCode::FAILURE);
    };
    let local = listener.local_addr()?;
    let mut daemon = Daemon::new(Arc::new(project), store.clone(), clock, &owner)?;
    // Leases left by a previous run on the same SQLite file go back to the queue.
    daemon
        .service
        .release_dead_leases(ownership.sweep())
        .await?;
    // Alive from the start: the first pass may be a long send (it beats as it goes).
    daemon.heartbeat.beat(daemon.clock.timestamp());
    let beside = Beside::start(&daemon, listener)?;
    eprint!("bulletin {} running ({owner}); ", env!("CARGO_PKG_VERSION"));
    let created = store.created_issues().await.unwrap_or_default();
    eprint!(
        "{}",
        startup_summary(&daemon.project, daemon.clock.now_utc(), &created)
    );
    eprintln!(
        "web: listening on http://{local} (links use {}): /archive/ /calendar /calendar.ics /feed.atom /healthz",
        daemon.project.settings.web.public_url
    );
    pass_until_stopped(&config_path, &env, &mut daemon, &beside, &mut watcher).await?;
    beside.stop().await;
    tracing::info!("stopped");
    drop(ownership);
    Ok(std::process::ExitCode::SUCCESS)
}

/// Pass, sleep until the next thing to do (or an approval, a pause, a reload), and again, until
/// SIGTERM or SIGINT.
async fn pass_until_stopped(
    config_path: &std::path::Path,
    env: &Env,
    daemon: &mut Daemon,
    beside: &Beside,
    watcher: &mut reload::Watcher,
) -> anyhow::Result<()> {
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    loop {
        // Read before the step, so an approval or a pause made during it wakes the next sleep
        // at once (the daemon's own pauses too: one more pass, which finds nothing due).
        let wake_seen = daemon
            .store
            .counter(crate::store::WAKE_COUNTER)
            .await
            .unwrap_or(0);
        let Some(report) = step_or_stop(daemon, &mut term, &mut int).await else {
            return Ok(());
        };
        daemon.heartbeat.pass_done(daemon.clock.timestamp());
        let sleep_for = sleep_after(report, daemon.clock.timestamp());
        let mut reload_now = false;
        let poll_store = daemon.store.clone();
        tokio::select! {
            _ = tokio::time::sleep(sleep_for) => {}
            _ = wake_after(&poll_store, wake_seen) => {
                tracing::info!("an approval or a pause was recorded; looking again now");
            }
            _ = hup.recv() => { reload_now = true; }
            changed = watcher.changed() => { reload_now = changed; }
            _ = term.recv() => { return Ok(()); }
            _ = int.recv() => { return Ok(()); }
        }
        if reload_now {
            reload(
                config_path,
                env,
                daemon,
                watcher,
                &beside.live_tx,
                &beside.config_health,
            );
        }
    }
}

/// The ledger for a daemon: on SQLite the sender lock first (one sender per file), then the
/// database.
async fn open_ledger(project: &Project) -> anyhow::Result<(Ownership, Store)> {
    use anyhow::Context;
    let ownership = Ownership::take(&project.settings.database)?;
    let store = Store::open(&project.settings.database)
        .await
        .context("opening the database")?;
    Ok((ownership, store))
}

/// The web listener, or `None` (said on stderr, with a hint) when the address is taken.
async fn listen(bind: std::net::SocketAddr) -> Option<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(bind).await {
        Ok(l) => Some(l),
        Err(e) => {
            eprintln!("error: cannot listen on {bind}: {e}");
            eprintln!(
                "  hint: another program uses that address; set [web] bind or BULLETIN_WEB_BIND"
            );
            None
        }
    }
}

/// One scheduler pass, or `None` when SIGTERM or SIGINT came during it: then claiming stops
/// and what is in flight may finish, within the drain timeout.
async fn step_or_stop(
    daemon: &mut Daemon,
    term: &mut tokio::signal::unix::Signal,
    int: &mut tokio::signal::unix::Signal,
) -> Option<Result<StepReport, StepError>> {
    let stopping = daemon.stopping.clone();
    let step = daemon.try_execute_step();
    tokio::pin!(step);
    let stop_now = tokio::select! {
        r = &mut step => Err(r),
        _ = term.recv() => Ok(()),
        _ = int.recv() => Ok(()),
    };
    match stop_now {
        Err(r) => Some(r),
        Ok(()) => {
            // Stop claiming; let what is in flight finish, within the drain timeout.
            stopping.store(true, Ordering::SeqCst);
            tracing::info!("stopping: finishing messages in flight");
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, &mut step).await;
            None
        }
    }
}

/// How long to sleep after a pass: until its next fire (a minute after a failed pass), at
/// least a second and at most [`MAX_SLEEP_SECS`].
fn sleep_after(report: Result<StepReport, StepError>, now: Timestamp) -> Duration {
    let next_at = match report {
        Ok(r) => {
            if !(r.created.is_empty() && r.skipped.is_empty() && r.held.is_empty()) {
                tracing::info!(
                    created = r.created.len(),
                    skipped = r.skipped.len(),
                    held = r.held.len(),
                    "scheduler pass"
                );
            }
            r.next_at
        }
        Err(e) => {
            tracing::error!(error = %e, "a scheduler pass failed; retrying in a minute");
            now.secs() + 60
        }
    };
    Duration::from_secs((next_at - now.secs()).clamp(1, MAX_SLEEP_SECS) as u64)
}

/// Reload the configuration: the new project replaces the old (and the web server's view of
/// it) when it loads and can be used; otherwise the errors are logged and the last good one
/// keeps running.
fn reload(
    config_path: &std::path::Path,
    env: &Env,
    daemon: &mut Daemon,
    watcher: &mut reload::Watcher,
    live_tx: &tokio::sync::watch::Sender<crate::web::server::Live>,
    health: &crate::config_health::ConfigHealth,
) {
    let now = daemon.clock.now_utc();
    let before = watcher.look();
    let loaded = crate::load::load(config_path, env, now);
    if let Some(p) = &loaded.project {
        log_skipped_rows(p);
    }
    match loaded.project {
        Some(p) => match daemon.replace_project(Arc::new(p)) {
            Ok(()) => {
                if let Ok(signer) = crate::compose::signer(&daemon.project) {
                    let _ = live_tx.send(crate::web::server::Live {
                        project: daemon.project.clone(),
                        signer,
                    });
                }
                health.loaded(now.timestamp());
                tracing::info!("configuration reloaded");
            }
            Err(e) => {
                health.failed(1, now.timestamp());
                tracing::error!(error = %e, "the new configuration cannot be used; keeping the last good one")
            }
        },
        None => {
            let shown = loaded.diagnostics.clone().as_given(config_path);
            for d in shown.iter().filter(|d| d.is_error()) {
                tracing::error!("{d}");
            }
            health.failed(loaded.diagnostics.error_count(), now.timestamp());
            tracing::error!(
                errors = loaded.diagnostics.error_count(),
                "the configuration has errors; keeping the last good one"
            );
        }
    }
    // Good or bad, this is what was read; an edit made during the reload is still a change.
    watcher.accept(before);
}
