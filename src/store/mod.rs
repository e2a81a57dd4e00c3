//! The send ledger: issues (one per bulletin, date and kind, holding their rendered content),
//! deliveries (one per issue and address, with their state), suppressions and an audit trail.
//! One interface, [`Store`], over one backend per database, picked by the URL's scheme; each
//! backend has its own folder of migrations.

mod bounces;
mod identity;
mod postgres;
mod reach;
mod sqlite;

use std::fmt;

pub use bounces::{BounceRecorded, NewBounce, StaleAddress};
pub use identity::{IdentityError, marker_path};
pub use postgres::PgStore;
pub use reach::{ReachDelivery, ReachIssue, ReachUnsubscribe};
pub use sqlite::SqliteStore;

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    InFlight,
    Sent,
    Deferred,
    Failed,
    Expired,
    Suppressed,
    /// The operator cancelled the issue before this delivery was attempted (or while it waited
    /// for a retry).
    Cancelled,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 8] = [
        DeliveryState::Pending,
        DeliveryState::InFlight,
        DeliveryState::Sent,
        DeliveryState::Deferred,
        DeliveryState::Failed,
        DeliveryState::Expired,
        DeliveryState::Suppressed,
        DeliveryState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::InFlight => "in_flight",
            DeliveryState::Sent => "sent",
            DeliveryState::Deferred => "deferred",
            DeliveryState::Failed => "failed",
            DeliveryState::Expired => "expired",
            DeliveryState::Suppressed => "suppressed",
            DeliveryState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an issue is in its life (the `issues.state` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueState {
    Sending,
    Paused,
    Done,
    /// Stopped by the operator (`bulletin cancel`): nothing more is attempted.
    Cancelled,
}

impl IssueState {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Sending => "sending",
            IssueState::Paused => "paused",
            IssueState::Done => "done",
            IssueState::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for IssueState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an address came to be suppressed, so an admin can tell a reader's choice from a bounce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionHow {
    /// The reader confirmed on the unsubscribe page (the link in the message).
    Link,
    /// The reader's mail client posted RFC 8058 one-click unsubscribe.
    OneClick,
    /// An operator ran `bulletin suppress`.
    Admin,
    /// The address bounced.
    Bounce,
}

impl SuppressionHow {
    pub const ALL: [SuppressionHow; 4] = [
        SuppressionHow::Link,
        SuppressionHow::OneClick,
        SuppressionHow::Admin,
        SuppressionHow::Bounce,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionHow::Link => "link",
            SuppressionHow::OneClick => "one_click",
            SuppressionHow::Admin => "admin",
            SuppressionHow::Bounce => "bounce",
        }
    }

    /// Read the stored value; rows from before it was recorded count as `admin`.
    pub fn parse(s: Option<&str>) -> Self {
        s.and_then(|s| Self::ALL.into_iter().find(|h| h.as_str() == s))
            .unwrap_or(SuppressionHow::Admin)
    }
}

impl fmt::Display for SuppressionHow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One delivery of an issue, for `status ISSUE --recipients`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecipientRow {
    pub email: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub last_reply: Option<String>,
    /// Unix seconds.
    pub updated_at: i64,
}

/// The counter the daemons watch for new approvals (a cheap poll of one row, on any backend).
pub const APPROVALS_COUNTER: &str = "approvals";

/// Errors from the ledger. Every one is the database's, not a recipient's: the caller stops and
/// retries later rather than guessing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the database folder {0}: {1}")]
    Folder(std::path::PathBuf, std::io::Error),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error("stored issue {0} is corrupt: {1}")]
    Corrupt(i64, String),
}

/// A recipient to materialise into a delivery.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub email: String,
    pub email_key: String,
    pub name: Option<String>,
    pub suppressed: bool,
}

/// An issue to create (once).
#[derive(Debug, Clone)]
pub struct NewIssue {
    pub bulletin: String,
    pub date: String,
    pub kind: String,
    pub subject: String,
    pub rendered: String,
    /// The strategy's themes it carries, comma-separated tags (for the archive's filter).
    pub themes: String,
    pub deliveries: Vec<NewDelivery>,
}

/// A stored issue.
#[derive(Debug, Clone)]
pub struct IssueRow {
    pub id: i64,
    pub bulletin: String,
    pub date: String,
    pub kind: String,
    pub subject: String,
    pub rendered: String,
    pub state: String,
    pub paused_reason: Option<String>,
    pub created_at: i64,
    /// While paused: when the daemon tries the relay again (Unix seconds).
    pub retry_at: Option<i64>,
    /// Taken off the web archive and feed.
    pub withdrawn: bool,
}

/// A delivery claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub issue_id: i64,
    pub email: String,
    pub name: Option<String>,
    pub attempts: i64,
}

/// What happened to one attempt, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The relay said 250.
    Sent { reply: String },
    /// 4xx or a network error: try again at `retry_at` (Unix seconds).
    Deferred { reply: String, retry_at: i64 },
    /// 5xx: this recipient will never get it.
    Failed { reply: String },
    /// Too old to be worth sending.
    Expired { reply: String },
    /// Not attempted (the relay was down, the run stopped): back to the queue untouched.
    Released,
}

/// Counts of an issue's deliveries by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub pending: u64,
    pub in_flight: u64,
    pub sent: u64,
    pub deferred: u64,
    pub failed: u64,
    pub expired: u64,
    pub suppressed: u64,
    pub cancelled: u64,
}

impl Counts {
    pub fn add(&mut self, state: DeliveryState, n: u64) {
        match state {
            DeliveryState::Pending => self.pending += n,
            DeliveryState::InFlight => self.in_flight += n,
            DeliveryState::Sent => self.sent += n,
            DeliveryState::Deferred => self.deferred += n,
            DeliveryState::Failed => self.failed += n,
            DeliveryState::Expired => self.expired += n,
            DeliveryState::Suppressed => self.suppressed += n,
            DeliveryState::Cancelled => self.cancelled += n,
        }
    }

    /// Add another issue's counts to these.
    pub fn merge(&mut self, other: &Counts) {
        self.pending += other.pending;
        self.in_flight += other.in_flight;
        self.sent += other.sent;
        self.deferred += other.deferred;
        self.failed += other.failed;
        self.expired += other.expired;
        self.suppressed += other.suppressed;
        self.cancelled += other.cancelled;
    }

    pub fn total(&self) -> u64 {
        self.pending
            + self.in_flight
            + self.sent
            + self.deferred
            + self.failed
            + self.expired
            + self.suppressed
            + self.cancelled
    }

    /// Deliveries that may still be attempted.
    pub fn open(&self) -> u64 {
        self.pending + self.in_flight + self.deferred
    }
}

/// One row of `status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssueStatus {
    pub bulletin: String,
    pub date: String,
    pub kind: String,
    pub issue: i64,
    pub state: String,
    pub paused_reason: Option<String>,
    /// While paused (only then): when the daemon tries the relay again (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<i64>,
    pub deliveries: Counts,
    /// Taken off the web archive and feed (`bulletin withdraw`).
    pub withdrawn: bool,
    /// Waiting for `bulletin approve` (a held fire: no issue exists yet, `issue` is 0).
    pub awaiting_approval: bool,
}

/// One issue in the public archive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArchiveEntry {
    pub id: i64,
    pub bulletin: String,
    pub date: String,
    pub subject: String,
    /// When its first message went (Unix seconds).
    pub first_sent: i64,
    /// The strategy's themes it carries, comma-separated tags.
    pub themes: String,
}

/// A suppression.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suppression {
    pub email_key: String,
    pub scope: String,
    pub reason: Option<String>,
    pub created_at: i64,
    pub how: SuppressionHow,
}

/// The ledger, whichever database holds it.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Store::Sqlite($s) => $e,
            Store::Postgres($s) => $e,
        }
    };
}

impl Store {
    /// Open (creating and migrating as needed) the database the settings name.
    pub async fn open(url: &crate::config::DatabaseUrl) -> Result<Store, StoreError> {
        match url {
            crate::config::DatabaseUrl::Sqlite(path) => {
                Ok(Store::Sqlite(SqliteStore::open(path).await?))
            }
            crate::config::DatabaseUrl::Postgres(url) => {
                Ok(Store::Postgres(PgStore::open(url.expose()).await?))
            }
        }
    }

    /// Open an existing ledger to read it, changing nothing (no migration, no file created).
    pub async fn open_read_only(url: &crate::config::DatabaseUrl) -> Result<Store, StoreError> {
        match url {
            crate::config::DatabaseUrl::Sqlite(path) => {
                Ok(Store::Sqlite(SqliteStore::open_read_only(path).await?))
            }
            crate::config::DatabaseUrl::Postgres(url) => Ok(Store::Postgres(
                PgStore::open_read_only(url.expose()).await?,
            )),
        }
    }

    /// Create the issue with its deliveries in one transaction, or return the existing one.
    /// `true` when it was created now.
    pub async fn create_issue(
        &self,
        new: &NewIssue,
        now: i64,
    ) -> Result<(IssueRow, bool), StoreError> {
        dispatch!(self, s => s.create_issue(new, now).await)
    }

    pub async fn find_issue(
        &self,
        bulletin: &str,
        date: &str,
        kind: &str,
    ) -> Result<Option<IssueRow>, StoreError> {
        dispatch!(self, s => s.find_issue(bulletin, date, kind).await)
    }

    /// Mark deliveries of suppressed addresses (whole-address or this bulletin) as suppressed,
    /// so an unsubscribe takes effect before the next attempt.
    pub async fn apply_suppressions(
        &self,
        issue_id: i64,
        bulletin: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.apply_suppressions(issue_id, bulletin, now).await)
    }

    /// Claim up to `limit` due deliveries of an issue for `owner` until `lease_until`.
    pub async fn claim(
        &self,
        issue_id: i64,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Claimed>, StoreError> {
        dispatch!(self, s => s.claim(issue_id, owner, now, lease_until, limit).await)
    }

    /// Record attempt outcomes in one transaction.
    /// Outcomes are recorded only for deliveries still leased by `owner` (a prefix: a process
    /// and its workers), so a claim that expired and was taken over is never overwritten.
    pub async fn record(
        &self,
        outcomes: &[(i64, Recorded)],
        owner: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.record(outcomes, owner, now).await)
    }

    /// Extend the leases `owner` holds (a living sender keeps its claims).
    pub async fn renew_leases(&self, owner: &str, until: i64, now: i64) -> Result<u64, StoreError> {
        dispatch!(self, s => s.renew_leases(owner, until, now).await)
    }

    /// Reserve up to `want` of the day's `limit` attempts under `day` (shared by every sender
    /// of the database); returns how many were granted.
    pub async fn reserve_daily(&self, day: &str, limit: u32, want: u32) -> Result<u32, StoreError> {
        dispatch!(self, s => s.reserve_daily(day, limit, want).await)
    }

    /// Give back reserved attempts that were not made.
    pub async fn return_daily(&self, day: &str, n: u32) -> Result<(), StoreError> {
        dispatch!(self, s => s.return_daily(day, n).await)
    }

    /// Reserve `k` send slots `interval_ms` apart, shared by every sender of the database, none
    /// before `now_ms`; returns the first slot (milliseconds).
    pub async fn reserve_slots(
        &self,
        now_ms: i64,
        interval_ms: i64,
        k: u32,
    ) -> Result<i64, StoreError> {
        dispatch!(self, s => s.reserve_slots(now_ms, interval_ms, k).await)
    }

    /// Return deliveries whose lease ended (their sender died) to pending. With `all`, every
    /// in-flight delivery (a SQLite database has one owner: whatever it left in flight is dead).
    pub async fn release_expired_leases(&self, now: i64, all: bool) -> Result<u64, StoreError> {
        dispatch!(self, s => s.release_expired_leases(now, all).await)
    }

    /// Expire the open deliveries of issues created before `created_before`.
    pub async fn expire_stale(&self, created_before: i64, now: i64) -> Result<u64, StoreError> {
        dispatch!(self, s => s.expire_stale(created_before, now).await)
    }

    pub async fn counts(&self, issue_id: i64) -> Result<Counts, StoreError> {
        dispatch!(self, s => s.counts(issue_id).await)
    }

    /// The earliest time a deferred delivery of the issue is due, if any.
    pub async fn next_due(&self, issue_id: i64) -> Result<Option<i64>, StoreError> {
        dispatch!(self, s => s.next_due(issue_id).await)
    }

    pub async fn set_issue_state(
        &self,
        issue_id: i64,
        state: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_issue_state(issue_id, state, reason, now).await)
    }

    /// Pause an issue because the relay cannot be used, and set when the daemon tries again:
    /// `backoff.delay(n)` after the n-th pause in a row, kept in the ledger so a restart
    /// neither forgets the issue nor hammers a relay that is still down. Returns the retry time.
    pub async fn pause_issue(
        &self,
        issue_id: i64,
        reason: &str,
        backoff: crate::delivery::Backoff,
        now: i64,
    ) -> Result<i64, StoreError> {
        dispatch!(self, s => s.pause_issue(issue_id, reason, backoff, now).await)
    }

    /// The relay worked again for this issue: the next pause starts from the first delay.
    pub async fn clear_pauses(&self, issue_id: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.clear_pauses(issue_id).await)
    }

    /// How many deliveries were sent since `since` (for `max_per_day`; survives restarts).
    pub async fn sent_since(&self, since: i64) -> Result<u64, StoreError> {
        dispatch!(self, s => s.sent_since(since).await)
    }

    /// Every issue with its counts, and a row (state `held`, issue 0) for each issue held
    /// for approval, in date order.
    pub async fn status(&self) -> Result<Vec<IssueStatus>, StoreError> {
        let mut rows = dispatch!(self, s => s.status().await)?;
        for (job, _, date) in self.held_fires().await? {
            let Some(bulletin) = job.strip_prefix("bulletin:") else {
                continue;
            };
            rows.push(IssueStatus {
                bulletin: bulletin.to_string(),
                date,
                kind: "issue".into(),
                issue: 0,
                state: "held".into(),
                paused_reason: None,
                retry_at: None,
                deliveries: Counts::default(),
                withdrawn: false,
                awaiting_approval: true,
            });
        }
        rows.sort_by(|a, b| (&a.date, &a.bulletin, &a.kind).cmp(&(&b.date, &b.bulletin, &b.kind)));
        Ok(rows)
    }

    /// Suppress an address as an operator would (`how` = admin).
    pub async fn suppress(
        &self,
        email_key: &str,
        scope: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.suppress_how(email_key, scope, reason, SuppressionHow::Admin, now)
            .await
    }

    /// Suppress an address, recording how it came about.
    pub async fn suppress_how(
        &self,
        email_key: &str,
        scope: &str,
        reason: Option<&str>,
        how: SuppressionHow,
        now: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.suppress(email_key, scope, reason, how, now).await)
    }

    /// Remove suppressions of an address (all scopes when `scope` is `None`). Returns how many.
    pub async fn unsuppress(
        &self,
        email_key: &str,
        scope: Option<&str>,
        now: i64,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.unsuppress(email_key, scope, now).await)
    }

    pub async fn suppressions(&self) -> Result<Vec<Suppression>, StoreError> {
        dispatch!(self, s => s.suppressions().await)
    }

    pub async fn log_event(
        &self,
        issue_id: Option<i64>,
        delivery_id: Option<i64>,
        kind: &str,
        detail: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.log_event(issue_id, delivery_id, kind, detail, now).await)
    }

    /// Record what was done with a job's fire (idempotent: the first record of a fire wins,
    /// except that `held` may later become `done` or `skipped`). Returns the state now stored.
    pub async fn record_fire(
        &self,
        job: &str,
        due_at: i64,
        for_date: &str,
        state: &str,
        detail: &str,
        now: i64,
    ) -> Result<String, StoreError> {
        dispatch!(self, s => s.record_fire(job, due_at, for_date, state, detail, now).await)
    }

    /// The state of a job's fire, if it was handled.
    pub async fn fire_state(&self, job: &str, due_at: i64) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.fire_state(job, due_at).await)
    }

    /// Fires waiting for approval: (job, due_at, for_date).
    pub async fn held_fires(&self) -> Result<Vec<(String, i64, String)>, StoreError> {
        dispatch!(self, s => s.held_fires().await)
    }

    pub async fn approve(
        &self,
        bulletin: &str,
        date: &str,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.approve(bulletin, date, by, now).await)
    }

    /// Who approved the issue, and when.
    pub async fn approval(
        &self,
        bulletin: &str,
        date: &str,
    ) -> Result<Option<(String, i64)>, StoreError> {
        dispatch!(self, s => s.approval(bulletin, date).await)
    }

    pub async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.get_state(key).await)
    }

    pub async fn set_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.set_state(key, value).await)
    }

    /// Issues with deliveries that may be attempted at `now`: those sending, and those paused
    /// whose retry time has come.
    pub async fn issues_due(&self, now: i64) -> Result<Vec<IssueRow>, StoreError> {
        dispatch!(self, s => s.issues_due(now).await)
    }

    /// The earliest time any open delivery of an unpaused issue is due, a claim on one runs out
    /// (a sender that died leaves its claims to the others then), or a paused issue is retried.
    pub async fn earliest_due(&self) -> Result<Option<i64>, StoreError> {
        dispatch!(self, s => s.earliest_due().await)
    }

    /// Issues (kind `issue`) with at least one message sent, newest first: the public archive.
    pub async fn archive(&self) -> Result<Vec<ArchiveEntry>, StoreError> {
        dispatch!(self, s => s.archive().await)
    }

    /// An issue's deliveries, optionally only those in `state`, in the order they were made.
    pub async fn recipients(
        &self,
        issue_id: i64,
        state: Option<DeliveryState>,
    ) -> Result<Vec<RecipientRow>, StoreError> {
        dispatch!(self, s => s.recipients(issue_id, state).await)
    }

    /// An issue by its id.
    pub async fn issue_by_id(&self, issue_id: i64) -> Result<Option<IssueRow>, StoreError> {
        dispatch!(self, s => s.issue_by_id(issue_id).await)
    }

    /// Stop an issue: its pending and deferred deliveries become cancelled, the issue
    /// `cancelled`, both in the audit trail; in-flight ones complete. Returns how many.
    pub async fn cancel_issue(&self, issue_id: i64, by: &str, now: i64) -> Result<u64, StoreError> {
        dispatch!(self, s => s.cancel_issue(issue_id, by, now).await)
    }

    /// Take an issue off the public archive and feed (kept, marked withdrawn). `false` when it
    /// was already withdrawn.
    pub async fn withdraw_issue(
        &self,
        issue_id: i64,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.withdraw_issue(issue_id, by, now).await)
    }

    /// A shared counter's value (0 when never set).
    pub async fn counter(&self, key: &str) -> Result<i64, StoreError> {
        dispatch!(self, s => s.counter(key).await)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping().await)
    }

    /// Record a bounce or complaint for a delivery and apply the policy: a hard bounce or a
    /// complaint suppresses the address for everything, soft bounces once `policy.limit` of
    /// them arrived within its window. One transaction; the same bounce twice changes nothing.
    pub async fn record_bounce(
        &self,
        bounce: &NewBounce<'_>,
        policy: crate::bounce::SoftPolicy,
        now: i64,
    ) -> Result<BounceRecorded, StoreError> {
        dispatch!(self, s => s.record_bounce(bounce, policy, now).await)
    }

    /// Addresses that bounces suppressed and that are still suppressed.
    pub async fn stale_addresses(&self) -> Result<Vec<StaleAddress>, StoreError> {
        dispatch!(self, s => s.stale_addresses().await)
    }

    /// The audit trail of an issue, oldest first: (at, kind, detail).
    pub async fn events(&self, issue_id: i64) -> Result<Vec<(i64, String, String)>, StoreError> {
        dispatch!(self, s => s.events(issue_id).await)
    }
}
