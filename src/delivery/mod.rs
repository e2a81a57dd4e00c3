//! Delivery: transports (SMTP, an outbox folder, sendmail), the relay's limits, the retry
//! policy, and the workers that take due deliveries from the ledger, send them and record what
//! happened, in batches, never marking anything `sent` before the relay's 250.

pub mod claim_size;
pub mod daily;
pub mod outbox;
mod pipeline;
pub mod policy;
pub mod smtp;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::address::EmailAddress;
pub use crate::clock::{Clock, SystemClock};
use crate::render::{Recipient, Rendered};
use crate::store::{
    Claimed, Counts, IssueRow, IssueState, Recorded, Store, StoreError, SuppressionScope,
};
use crate::token::Signer;
pub use policy::{Attempt, Backoff};

/// Where messages go.
#[derive(Debug, Clone)]
pub enum Transport {
    Smtp(smtp::SmtpTarget),
    Outbox(std::path::PathBuf),
    Sendmail(std::path::PathBuf),
}

/// A worker's connection: its channel (opened when first needed) and the buffer each message
/// is made in.
struct Conn {
    channel: Option<Channel>,
    buf: Vec<u8>,
    /// The DKIM header of the message in `buf`, over SMTP (written in front of it rather than
    /// moving the whole message to make room).
    head: String,
}

/// One open channel to the transport (an SMTP session, or nothing for files).
enum Channel {
    Smtp(Box<smtp::SmtpSession>),
    Outbox,
    Sendmail,
}

impl Transport {
    async fn open(&self) -> Result<Channel, Attempt> {
        match self {
            Transport::Smtp(t) => smtp::SmtpSession::open(t)
                .await
                .map(|s| Channel::Smtp(Box::new(s))),
            Transport::Outbox(dir) => {
                crate::private::create_dir_all(dir).map_err(|e| {
                    Attempt::RelayDown(format!("cannot create the outbox {}: {e}", dir.display()))
                })?;
                Ok(Channel::Outbox)
            }
            Transport::Sendmail(path) => {
                if tokio::fs::metadata(path).await.is_err() {
                    return Err(Attempt::RelayDown(format!(
                        "sendmail not found at {}",
                        path.display()
                    )));
                }
                Ok(Channel::Sendmail)
            }
        }
    }

    /// Send one message on a channel of its own (a desk sign-in link): not an issue's
    /// delivery, so nothing is recorded in the ledger.
    pub async fn send_one(
        &self,
        from: &EmailAddress,
        to: &EmailAddress,
        name: &str,
        message: &[u8],
    ) -> Attempt {
        let mut ch = match self.open().await {
            Ok(ch) => ch,
            Err(a) => return a,
        };
        let a = self.send(&mut ch, from, from, to, name, message).await;
        if let Channel::Smtp(s) = ch {
            s.quit().await;
        }
        a
    }

    async fn send(
        &self,
        ch: &mut Channel,
        from: &EmailAddress,
        default_from: &EmailAddress,
        to: &EmailAddress,
        name: &str,
        message: &[u8],
    ) -> Attempt {
        match (self, ch) {
            (Transport::Smtp(_), Channel::Smtp(s)) => s.send(from, to, message).await,
            (Transport::Outbox(dir), Channel::Outbox) if from != default_from => {
                // What the receiving server would add: the VERP return path, so a file in the
                // outbox shows where its bounce would go.
                let mut with = format!("Return-Path: <{from}>\r\n").into_bytes();
                with.extend_from_slice(message);
                outbox::write(dir, name, &with).await
            }
            (Transport::Outbox(dir), Channel::Outbox) => outbox::write(dir, name, message).await,
            (Transport::Sendmail(path), Channel::Sendmail) => {
                outbox::sendmail(path, from, to, message).await
            }
            _ => Attempt::RelayDown("transport and channel disagree".into()),
        }
    }
}

/// The relay's limits and the retry policy.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Parallel sessions.
    pub connections: u32,
    /// 0: no limit.
    pub max_per_minute: u32,
    /// 0: no limit.
    pub max_per_day: u32,
    pub backoff: Backoff,
    /// Deliveries of issues older than this expire instead of being sent.
    pub max_age_secs: i64,
    /// The crash window per connection, and the smallest claim (a fast relay's workers claim
    /// more, [`claim_size`]). It bounds what a crash can repeat: at most
    /// `connections × batch` messages are ever in their SMTP transaction or acknowledged by
    /// the relay and not yet committed as `sent` (the senders wait for the ledger writer
    /// rather than run ahead of it), so a `kill -9` re-sends at most that many.
    pub batch: u32,
    /// How long a claim holds before another sender may take it over.
    pub lease_secs: i64,
    /// When a paused issue (the relay could not be used) is tried again: a minute after the
    /// first pause, doubling to five minutes (the daemon's longest sleep), so a relay that comes
    /// back is used within minutes without being hammered while it is down.
    pub pause_backoff: Backoff,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connections: 4,
            max_per_minute: 0,
            max_per_day: 0,
            backoff: Backoff::default(),
            max_age_secs: 48 * 3600,
            batch: 50,
            lease_secs: 300,
            pause_backoff: Backoff {
                first_secs: 60,
                max_secs: 300,
            },
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Nothing due is left (some deliveries may be deferred to later).
    Drained,
    /// The relay cannot be used; the issue is paused.
    RelayDown(String),
    /// `max_per_day` reached; the rest go tomorrow.
    DailyLimit,
    /// Asked to stop (shutdown).
    Interrupted,
}

/// What one run of an issue did.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub issue_id: i64,
    pub attempted: u64,
    pub counts: Counts,
    pub stop: Stop,
    pub next_due: Option<crate::timestamp::Timestamp>,
    /// When the relay was down: when the issue is tried again.
    pub paused_until: Option<crate::timestamp::Timestamp>,
}

/// Send slots `interval` apart, reserved in the ledger so every sender of the database shares
/// them: no minute ever holds more than `max_per_minute`, however many instances run.
struct Pacer {
    interval_ms: Option<i64>,
}

impl Pacer {
    fn new(per_minute: u32) -> Self {
        Pacer {
            interval_ms: (per_minute > 0).then(|| (60_000 / i64::from(per_minute)).max(1)),
        }
    }

    /// The slots (Unix milliseconds) for `k` messages, or `None` when there is no limit.
    async fn reserve(
        &self,
        store: &Store,
        clock: &dyn Clock,
        k: usize,
    ) -> Result<Option<Vec<i64>>, StoreError> {
        let Some(iv) = self.interval_ms else {
            return Ok(None);
        };
        let now_ms = clock.now_ms();
        let first = store.reserve_slots(now_ms, iv, k as u32).await?;
        Ok(Some((0..k as i64).map(|i| first + i * iv).collect()))
    }
}

async fn sleep_until_ms(clock: &dyn Clock, at_ms: i64) {
    let wait = at_ms - clock.now_ms();
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
}

/// Whether the suppression rule skips an address (its key) with these suppressions: asked
/// before each batch about the addresses of the issue's open deliveries suppressed since it was
/// created. The send path holds the issue's lists; see `send::send_rule`.
pub type Skip = Arc<dyn Fn(&str, &[&SuppressionScope]) -> bool + Send + Sync>;

/// Everything a run needs.
pub struct Sender {
    pub store: Store,
    pub transport: Transport,
    pub signer: Signer,
    pub from: EmailAddress,
    pub limits: Limits,
    /// Identifies this process's claims (instance id).
    pub owner: String,
    pub clock: Arc<dyn Clock>,
    /// Set to stop claiming new work (graceful shutdown).
    pub stopping: Arc<AtomicBool>,
    /// VERP return paths and the bounce policy; `None` without `[bounces]`.
    pub bounces: Option<BounceSetup>,
    /// Signs each message; `None` without `[dkim]`.
    pub dkim: Option<Arc<crate::dkim::DkimSigner>>,
    /// Beaten at each commit of outcomes: a long send is progress, not a stall.
    pub heartbeat: crate::instance::Heartbeat,
}

/// What the sender needs for bounces: a return path per delivery, and the policy a relay's
/// synchronous refusal is recorded under.
#[derive(Debug, Clone)]
pub struct BounceSetup {
    pub verp: crate::bounce::Verp,
    pub policy: crate::bounce::SoftPolicy,
}

/// An outcome on its way to the ledger writer, with the permit its attempt held (none for a
/// claim given back unattempted): the permit is released only once the outcome is committed.
struct Outcome {
    id: i64,
    recorded: Recorded,
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// The crash bound made true: a worker takes a permit before it starts an SMTP transaction and
/// the ledger writer gives it back after the commit that records the outcome. With
/// `connections × batch` permits, what is in a transaction, queued for the writer or in the
/// writer's open transaction never exceeds that, however far the writer falls behind; the
/// senders wait for it instead (back-pressure). An unbounded queue let a fast relay run
/// hundreds of acknowledged messages ahead of the ledger.
struct Unrecorded(Arc<tokio::sync::Semaphore>);

impl Unrecorded {
    fn new(limits: &Limits) -> Self {
        Unrecorded(Arc::new(tokio::sync::Semaphore::new(Self::bound(limits))))
    }

    /// The bound: how many permits there are.
    fn bound(limits: &Limits) -> usize {
        limits.connections.max(1) as usize * limits.batch.max(1) as usize
    }

    async fn acquire(&self) -> tokio::sync::OwnedSemaphorePermit {
        Arc::clone(&self.0)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }
}

/// How long the ledger writer waits for more outcomes before it commits the ones it has.
const LINGER: std::time::Duration = std::time::Duration::from_millis(20);

/// More outcomes for the writer's next commit: those that come within [`LINGER`] of the
/// first, until there are `enough`. Under load a commit then records many confirmations at
/// the cost of one (SQLite writes every page a transaction touched to the WAL at each commit,
/// and each statement is a round trip to the connection's thread): at 20 ms a fast relay's
/// 6,000 a second are a hundred a commit, the client's CPU a message 13 % less than at 5 ms.
/// `enough` is half the permits, so the senders never wait for a commit while the writer
/// waits for them. When the relay is slow a confirmation waits at most `LINGER` longer for
/// its record. The senders cannot run further ahead meanwhile: what is unrecorded is bounded
/// by [`Unrecorded`].
async fn linger(
    rx: &mut tokio::sync::mpsc::Receiver<Outcome>,
    outcomes: &mut Vec<Outcome>,
    enough: usize,
) {
    let until = tokio::time::Instant::now() + LINGER;
    while outcomes.len() < enough {
        let room = enough - outcomes.len();
        match tokio::time::timeout_at(until, rx.recv_many(outcomes, room)).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

struct Shared {
    /// Outcomes on their way to the ledger writer, one at a time as they happen; bounded, and
    /// each attempted one holds an [`Unrecorded`] permit until it is committed.
    ledger: tokio::sync::mpsc::Sender<Outcome>,
    unrecorded: Unrecorded,
    pacer: Pacer,
    /// Who the suppressions recorded since the issue was created stop.
    skip: Skip,
    /// Suppressions recorded from this time on are looked for before each batch: the run's
    /// start, less [`CLOCK_SKEW`] (another process may record one by a clock a little behind).
    recent: crate::timestamp::Timestamp,
    /// The day's key for `max_per_day` (the organisation's local date).
    day: String,
    /// Why the run ends, shared with the ledger writer (which stops the run when the bounce
    /// breaker trips).
    halt: Arc<Halt>,
    attempted: AtomicU64,
    /// Refusals of the message (not of an address) since the relay last accepted one.
    refusals: std::sync::atomic::AtomicU32,
}

/// How far behind this sender's clock another process's may be when it records a suppression.
const CLOCK_SKEW: i64 = 3600;

/// Refusals of the message in a row, with nothing accepted between, that pause the issue: one
/// can be about a single recipient's server; three in a row are about the issue.
const REFUSALS_BEFORE_PAUSE: u32 = 3;

/// Whether and why a run stops: set by a worker (relay down, daily limit, shutdown) or by the
/// ledger writer (the bounce breaker tripped).
#[derive(Default)]
struct Halt {
    stop: AtomicBool,
    reason: std::sync::Mutex<Option<Stop>>,
}

impl Halt {
    /// Remember why the run ends without stopping the others' claimed work.
    fn note(&self, why: Stop) {
        let mut r = self.reason.lock().expect("not poisoned");
        if r.is_none() {
            *r = Some(why);
        }
    }

    /// Stop every worker before its next message.
    fn halt(&self, why: Stop) {
        self.note(why);
        self.stop.store(true, Ordering::SeqCst);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

impl Shared {
    fn note(&self, why: Stop) {
        self.halt.note(why);
    }

    fn halt(&self, why: Stop) {
        self.halt.halt(why);
    }
}

impl Sender {
    /// Send every due delivery of `issue`, with `connections` workers, recording outcomes in
    /// batches. Returns when nothing due is left or the run must stop.
    pub async fn run(
        self: &Arc<Self>,
        issue: &IssueRow,
        rendered: &Arc<Rendered>,
        day: &str,
        skip: Skip,
        progress: Option<indicatif::ProgressBar>,
    ) -> Result<RunSummary, StoreError> {
        let recent = self.clock.timestamp() - CLOCK_SKEW;
        self.prepare(issue, &skip).await?;
        let (ledger_tx, ledger_rx) = tokio::sync::mpsc::channel(Unrecorded::bound(&self.limits));
        let halt = Arc::new(Halt::default());
        let writer = {
            let me = Arc::clone(self);
            let halt = Arc::clone(&halt);
            tokio::spawn(async move { me.ledger_writer(ledger_rx, &halt).await })
        };
        let shared = Arc::new(Shared {
            ledger: ledger_tx,
            unrecorded: Unrecorded::new(&self.limits),
            pacer: Pacer::new(self.limits.max_per_minute),
            skip,
            recent,
            day: day.to_string(),
            halt: Arc::clone(&halt),
            attempted: AtomicU64::new(0),
            refusals: std::sync::atomic::AtomicU32::new(0),
        });
        let renewer = self.spawn_renewer();
        let mut first_err = self
            .run_workers(issue.id, rendered, &shared, progress)
            .await;
        let attempted = shared.attempted.load(Ordering::SeqCst);
        let stop = shared
            .halt
            .reason
            .lock()
            .expect("not poisoned")
            .clone()
            .unwrap_or(Stop::Drained);
        drop(shared); // closes the ledger channel: the writer commits what is left and ends
        renewer.abort();
        match writer.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                first_err.get_or_insert(e);
            }
            Err(join) => {
                first_err.get_or_insert(StoreError::Corrupt(
                    issue.id,
                    format!("the ledger writer died: {join}"),
                ));
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        self.finish(issue.id, stop, attempted).await
    }

    /// Before a run: resume a paused issue, expire what is too old to matter, and apply the
    /// suppressions recorded since the issue was created.
    async fn prepare(&self, issue: &IssueRow, skip: &Skip) -> Result<(), StoreError> {
        let now = self.clock.timestamp();
        if issue.state == IssueState::Paused {
            self.store
                .set_issue_state(issue.id, IssueState::Sending, Some("resumed"), now)
                .await?;
        }
        let expired = self
            .store
            .expire_stale(now - self.limits.max_age_secs, now)
            .await?;
        if expired > 0 {
            tracing::warn!(
                issue = issue.id,
                expired,
                "deliveries expired: the issue is older than the maximum age"
            );
        }
        self.apply_suppressions(issue.id, skip, now, None).await?;
        Ok(())
    }

    /// Suppress the open deliveries of `issue_id` the rule now skips: an unsubscribe takes
    /// effect before the next attempt. With `since`, only the suppressions recorded from then
    /// on are looked at (before each batch: the run's start applied the others). Returns how
    /// many.
    async fn apply_suppressions(
        &self,
        issue_id: i64,
        skip: &Skip,
        now: crate::timestamp::Timestamp,
        since: Option<crate::timestamp::Timestamp>,
    ) -> Result<u64, StoreError> {
        let found = self.store.open_suppressions(issue_id, since).await?;
        let keys: Vec<&str> = found
            .iter()
            .filter(|(key, scopes)| skip(key, &scopes.iter().collect::<Vec<_>>()))
            .map(|(key, _)| key.as_str())
            .collect();
        self.store.suppress_deliveries(issue_id, &keys, now).await
    }

    /// Keep this sender's claims alive while it works; if it dies they lapse and any other
    /// sender of the database takes them over.
    fn spawn_renewer(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let every = Duration::from_secs((me.limits.lease_secs / 3).max(1) as u64);
            loop {
                tokio::time::sleep(every).await;
                let now = me.clock.timestamp();
                let owner = format!("{}/", me.owner);
                if let Err(e) = me
                    .store
                    .renew_leases(&owner, now + me.limits.lease_secs, now)
                    .await
                {
                    tracing::warn!(error = %e, "could not renew leases");
                }
            }
        })
    }

    /// The send workers, one per connection, until the queue is drained or a stop; the first
    /// error any of them met.
    async fn run_workers(
        self: &Arc<Self>,
        issue_id: i64,
        rendered: &Arc<Rendered>,
        shared: &Arc<Shared>,
        progress: Option<indicatif::ProgressBar>,
    ) -> Option<StoreError> {
        let mut handles = Vec::new();
        for w in 0..self.limits.connections.max(1) {
            let me = Arc::clone(self);
            let shared = Arc::clone(shared);
            let rendered = Arc::clone(rendered);
            let progress = progress.clone();
            handles.push(tokio::spawn(async move {
                me.worker(w, issue_id, &rendered, &shared, progress.as_ref())
                    .await
            }));
        }
        let mut first_err = None;
        for h in handles {
            match h.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(join) => {
                    first_err.get_or_insert(StoreError::Corrupt(
                        issue_id,
                        format!("a send worker died: {join}"),
                    ));
                }
            }
        }
        first_err
    }

    /// After a run: pause the issue when the relay was down (or clear old pauses), mark it
    /// done when nothing is left, and say what happened.
    async fn finish(
        &self,
        issue_id: i64,
        stop: Stop,
        attempted: u64,
    ) -> Result<RunSummary, StoreError> {
        let now = self.clock.timestamp();
        let paused_until = match &stop {
            Stop::RelayDown(why) => Some(
                self.store
                    .pause_issue(issue_id, why, self.limits.pause_backoff, now)
                    .await?,
            ),
            _ => {
                if attempted > 0 {
                    self.store.clear_pauses(issue_id).await?;
                }
                None
            }
        };
        let counts = self.store.counts(issue_id).await?;
        if counts.open() == 0 && stop == Stop::Drained {
            self.store
                .set_issue_state(issue_id, IssueState::Done, None, now)
                .await?;
        }
        Ok(RunSummary {
            issue_id,
            attempted,
            counts,
            next_due: self.store.next_due(issue_id).await?,
            stop,
            paused_until,
        })
    }

    /// One send worker: batch after batch on its own connection, until the run stops or nothing
    /// is left for it.
    async fn worker(
        &self,
        wid: u32,
        issue_id: i64,
        rendered: &Rendered,
        shared: &Shared,
        progress: Option<&indicatif::ProgressBar>,
    ) -> Result<(), StoreError> {
        let owner = format!("{}/{wid}", self.owner);
        let mut conn = Conn {
            channel: None,
            buf: Vec::with_capacity(96 * 1024),
            head: String::new(),
        };
        let mut want = self.limits.batch;
        while let Some(claimed) = self.next_batch(issue_id, &owner, shared, want).await? {
            let started = std::time::Instant::now();
            if matches!(self.transport, Transport::Smtp(_)) {
                self.send_batch_smtp(&claimed, rendered, shared, &mut conn, progress)
                    .await?;
            } else {
                self.send_batch(&claimed, rendered, shared, &mut conn, progress)
                    .await?;
            }
            want = claim_size::next(self.limits.batch, claimed.len(), started.elapsed());
        }
        if let Some(Channel::Smtp(s)) = conn.channel {
            s.quit().await;
        }
        Ok(())
    }

    /// The worker's next batch of up to `want`, claimed with its share of the day's limit once
    /// the suppressions recorded since the last one are applied (an unsubscribe takes effect
    /// within a claim, even in the middle of a send). `None` when the run stops, the day's
    /// limit is used up or nothing is due.
    async fn next_batch(
        &self,
        issue_id: i64,
        owner: &str,
        shared: &Shared,
        want: u32,
    ) -> Result<Option<Vec<Claimed>>, StoreError> {
        if shared.halt.stopped() {
            return Ok(None);
        }
        if self.stopping.load(Ordering::SeqCst) {
            shared.halt(Stop::Interrupted);
            return Ok(None);
        }
        let granted = if self.limits.max_per_day == 0 {
            want
        } else {
            self.store
                .reserve_daily(&shared.day, self.limits.max_per_day, want)
                .await?
        };
        if granted == 0 {
            // Finish what is claimed elsewhere; claim nothing more today.
            shared.note(Stop::DailyLimit);
            return Ok(None);
        }
        let now = self.clock.timestamp();
        self.apply_suppressions(issue_id, &shared.skip, now, Some(shared.recent))
            .await?;
        let claimed = self
            .store
            .claim(issue_id, owner, now, now + self.limits.lease_secs, granted)
            .await?;
        let unused = granted - claimed.len() as u32;
        if self.limits.max_per_day > 0 && unused > 0 {
            self.store.return_daily(&shared.day, unused).await?;
        }
        Ok((!claimed.is_empty()).then_some(claimed))
    }

    /// Attempt a claimed batch at the pace the relay allows, each outcome straight to the
    /// ledger writer. When the run stops or the relay is down, the rest go back untouched.
    async fn send_batch(
        &self,
        claimed: &[Claimed],
        rendered: &Rendered,
        shared: &Shared,
        conn: &mut Conn,
        progress: Option<&indicatif::ProgressBar>,
    ) -> Result<(), StoreError> {
        let slots = shared
            .pacer
            .reserve(&self.store, self.clock.as_ref(), claimed.len())
            .await?;
        for (i, d) in claimed.iter().enumerate() {
            if let Some(slots) = &slots {
                sleep_until_ms(self.clock.as_ref(), slots[i]).await;
            }
            // Wait (before the transaction, not after) until the ledger has caught up.
            let permit = shared.unrecorded.acquire().await;
            let recorded = if shared.halt.stopped() {
                Recorded::Released
            } else {
                self.attempt(d, rendered, shared, conn).await
            };
            if matches!(recorded, Recorded::Released) {
                drop(permit);
                return self.release(&claimed[i..], shared).await;
            }
            self.record(d, recorded, permit, shared, progress).await;
        }
        Ok(())
    }

    /// An attempted delivery's outcome, straight to the ledger writer (committed within
    /// milliseconds) with the permit its attempt held.
    async fn record(
        &self,
        d: &Claimed,
        recorded: Recorded,
        permit: tokio::sync::OwnedSemaphorePermit,
        shared: &Shared,
        progress: Option<&indicatif::ProgressBar>,
    ) {
        shared.attempted.fetch_add(1, Ordering::Relaxed);
        if let Some(p) = progress {
            p.inc(1);
        }
        let outcome = Outcome {
            id: d.id,
            recorded,
            permit: Some(permit),
        };
        if shared.ledger.send(outcome).await.is_err() {
            shared.halt(Stop::Interrupted);
        }
    }

    /// Give claims back unattempted (stopping, or the relay is down), and their share of the
    /// day's limit with them.
    async fn release(&self, rest: &[Claimed], shared: &Shared) -> Result<(), StoreError> {
        for d in rest {
            let released = Outcome {
                id: d.id,
                recorded: Recorded::Released,
                permit: None,
            };
            let _ = shared.ledger.send(released).await;
        }
        if self.limits.max_per_day > 0 {
            self.store
                .return_daily(&shared.day, rest.len() as u32)
                .await?;
        }
        Ok(())
    }

    /// Commit outcomes as they arrive: whatever is waiting goes in one transaction, so commits
    /// batch themselves under load. The permits of a transaction's outcomes are given back
    /// only after it commits, so a crash can repeat at most `connections × batch` messages
    /// (see [`Unrecorded`]).
    async fn ledger_writer(
        &self,
        mut rx: tokio::sync::mpsc::Receiver<Outcome>,
        halt: &Halt,
    ) -> Result<(), StoreError> {
        let most = Unrecorded::bound(&self.limits).max(1);
        let mut outcomes = Vec::with_capacity(most);
        let mut batch = Vec::with_capacity(most);
        let mut permits = Vec::with_capacity(most);
        let enough = (most / 2).max(1);
        while rx.recv_many(&mut outcomes, most).await > 0 {
            linger(&mut rx, &mut outcomes, enough).await;
            batch.clear();
            for o in outcomes.drain(..) {
                batch.push((o.id, o.recorded));
                permits.push(o.permit);
            }
            let now = self.clock.timestamp();
            self.store
                .record(&batch, &format!("{}/", self.owner), now)
                .await?;
            // Committed: the permits go back, and the workers waiting on them go on.
            permits.clear();
            self.heartbeat.beat(now);
            if let Some(b) = &self.bounces {
                self.record_refusals(b, &batch, halt, now).await?;
            }
        }
        Ok(())
    }

    /// A relay's 5xx at RCPT is a bounce that came back at once: recorded like one, so a
    /// dead address is suppressed for the next issues too.
    async fn record_refusals(
        &self,
        b: &BounceSetup,
        batch: &[(i64, Recorded)],
        halt: &Halt,
        now: crate::timestamp::Timestamp,
    ) -> Result<(), StoreError> {
        for (id, r) in batch {
            let Recorded::Failed { reply } = r else {
                continue;
            };
            let kind = crate::bounce::classify_reply(reply);
            let status = crate::bounce::StatusCode::find_in(reply).map(|s| s.to_string());
            let detail: String = reply.chars().take(300).collect();
            let bounce = crate::store::NewBounce {
                delivery_id: *id,
                kind,
                status: status.as_deref(),
                detail: &detail,
            };
            let outcome =
                crate::bounce::policy::record(&self.store, &bounce, b.policy, now).await?;
            tracing::info!(delivery = id, %kind, ?outcome, "the relay refused a recipient: recorded as a bounce");
            if let crate::store::BounceRecorded::Recorded { tripped: true, .. } = outcome {
                tracing::error!(
                    delivery = id,
                    "bounce breaker tripped: the relay refused too many of this issue's recipients too fast to be believed; nobody is suppressed for it and the issue is paused"
                );
                halt.halt(Stop::RelayDown(
                    "bounce breaker: the relay refused too many recipients too fast to be believed; nobody was suppressed (see `bulletin status`)".into(),
                ));
            }
        }
        Ok(())
    }

    /// One delivery: its message made, the transport opened if need be, sent, and what
    /// happened as the ledger records it.
    async fn attempt(
        &self,
        d: &Claimed,
        rendered: &Rendered,
        shared: &Shared,
        conn: &mut Conn,
    ) -> Recorded {
        let Some(email) = &d.email else {
            return Recorded::Failed {
                reply: "the stored address is not valid".into(),
            };
        };
        self.message(d, email, rendered, &mut conn.buf, None);
        if !self.open(d, shared, &mut conn.channel).await {
            return Recorded::Released;
        }
        let ch = conn.channel.as_mut().expect("opened above");
        let file_name = outbox::file_name(d.issue_id, d.id, email.as_str());
        let envelope_from = self.envelope_from(d, email);
        let outcome = self
            .transport
            .send(ch, &envelope_from, &self.from, email, &file_name, &conn.buf)
            .await;
        self.outcome(d, shared, &mut conn.channel, outcome)
    }

    /// The return path of `d`'s message: its VERP address with `[bounces]`, else the sender.
    fn envelope_from(&self, d: &Claimed, email: &EmailAddress) -> EmailAddress {
        self.bounces
            .as_ref()
            .and_then(|b| {
                let ledger = self.store.ledger_id();
                EmailAddress::parse(&b.verp.address(ledger, d.id, &email.key())).ok()
            })
            .unwrap_or_else(|| self.from.clone())
    }

    /// `d`'s message in `buf`: the rendering for its recipient, signed when DKIM is set. The
    /// DKIM header goes to `head` when given, else in front of the message in `buf`.
    fn message(
        &self,
        d: &Claimed,
        email: &EmailAddress,
        rendered: &Rendered,
        buf: &mut Vec<u8>,
        head: Option<&mut String>,
    ) {
        buf.clear();
        let mut personal = Vec::new();
        rendered.message_laid_out(
            &self.signer,
            &Recipient {
                email,
                name: d.name.as_ref(),
            },
            buf,
            &mut personal,
        );
        let header = self
            .dkim
            .as_ref()
            .map(|dkim| dkim.sign(buf, &personal, self.clock.timestamp()));
        match (header, head) {
            (header, Some(head)) => {
                head.clear();
                head.push_str(header.as_deref().unwrap_or_default());
            }
            (Some(header), None) => {
                buf.splice(0..0, header.into_bytes());
            }
            (None, None) => {}
        }
    }

    /// Make sure `channel` is open and usable; when the transport cannot be opened, halt the
    /// run (the issue pauses) and say so with `false`.
    async fn open(&self, d: &Claimed, shared: &Shared, channel: &mut Option<Channel>) -> bool {
        let usable = match channel {
            Some(Channel::Smtp(s)) => s.usable(),
            Some(_) => true,
            None => false,
        };
        if usable {
            return true;
        }
        *channel = match self.transport.open().await {
            Ok(c) => Some(c),
            Err(Attempt::RelayDown(why))
            | Err(Attempt::Retry(why))
            | Err(Attempt::Reject(why))
            | Err(Attempt::Refused { reply: why, .. })
            | Err(Attempt::Sent(why)) => {
                tracing::error!(issue = d.issue_id, reason = %why, "the relay cannot be used; pausing the issue");
                shared.halt(Stop::RelayDown(why));
                return false;
            }
        };
        true
    }

    /// What the transport's answer means for the delivery, as the ledger records it.
    fn outcome(
        &self,
        d: &Claimed,
        shared: &Shared,
        channel: &mut Option<Channel>,
        outcome: Attempt,
    ) -> Recorded {
        match outcome {
            Attempt::Sent(reply) => {
                shared.refusals.store(0, Ordering::SeqCst);
                Recorded::Sent { reply }
            }
            Attempt::Retry(reply) => {
                // A session that still stands is kept: a 4xx about one recipient must not
                // cost the transaction pipelined behind it.
                if !matches!(channel, Some(Channel::Smtp(s)) if s.usable()) {
                    *channel = None;
                }
                let retry_at = self.clock.timestamp() + self.limits.backoff.delay(d.attempts);
                // Ids only: a relay's reply often repeats the recipient's address (it is in the ledger).
                tracing::debug!(issue = d.issue_id, delivery = d.id, "deferred");
                Recorded::Deferred { reply, retry_at }
            }
            Attempt::Reject(reply)
                if crate::bounce::classify_reply(&reply) == crate::bounce::BounceKind::Policy =>
            {
                // A policy verdict at RCPT (relay access denied, a blocklist): about the
                // sender, not this person.
                self.refused(d, shared, channel, policy::Stage::RcptTo, reply)
            }
            Attempt::Reject(reply) => {
                if let Some(Channel::Smtp(s)) = channel
                    && !s.usable()
                {
                    *channel = None;
                }
                tracing::debug!(issue = d.issue_id, delivery = d.id, "rejected by the relay");
                Recorded::Failed { reply }
            }
            Attempt::Refused { stage, reply } => self.refused(d, shared, channel, stage, reply),
            Attempt::RelayDown(why) => {
                shared.halt(Stop::RelayDown(why));
                Recorded::Released
            }
        }
    }

    /// The relay refused the message or the sender, not the address: nobody is failed or
    /// suppressed. The delivery waits its backoff; when refusals repeat with nothing accepted
    /// in between, the relay refuses the issue itself and the issue pauses.
    fn refused(
        &self,
        d: &Claimed,
        shared: &Shared,
        channel: &mut Option<Channel>,
        stage: policy::Stage,
        reply: String,
    ) -> Recorded {
        if let Some(Channel::Smtp(s)) = channel
            && !s.usable()
        {
            *channel = None;
        }
        let in_a_row = shared.refusals.fetch_add(1, Ordering::SeqCst) + 1;
        tracing::warn!(
            issue = d.issue_id,
            delivery = d.id,
            %stage,
            in_a_row,
            "the relay refused the message, not the address: nobody is suppressed"
        );
        if in_a_row >= REFUSALS_BEFORE_PAUSE {
            shared.halt(Stop::RelayDown(format!(
                "the relay refused the message at {stage}: {reply} (nobody was suppressed; fix the sender or the content, the issue resumes on its own)"
            )));
        }
        let retry_at = self.clock.timestamp() + self.limits.backoff.delay(d.attempts);
        Recorded::Deferred { reply, retry_at }
    }
}
