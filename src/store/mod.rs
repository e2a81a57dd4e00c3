//! The send ledger: issues (one per bulletin, date and kind, holding their rendered content),
//! deliveries (one per issue and address, with their state), suppressions and an audit trail.
//! One interface, [`Store`], over one backend per database, picked by the URL's scheme; each
//! backend has its own folder of migrations.

pub mod backup;
mod bounces;
mod columns;
mod deliveries;
mod desk;
mod fault;
mod fires;
mod identity;
mod issues;
mod person;
pub(crate) mod postgres;
mod reach;
mod rendering;
pub mod sender_lock;
mod signups;
pub(crate) mod sqlite;
mod suppressions;
mod vocab;
mod watch;

pub use crate::timestamp::Timestamp;
pub use bounces::{
    BounceDecision, BounceFacts, BounceKind, BounceRecorded, BounceWindows, NewBounce, StaleAddress,
};
use chrono::NaiveDate;
use deliveries::Batch;
pub use desk::{DeskSession, LinkRequests};
pub use fault::WriteFault;
pub use fires::CANCELLED_BY;
pub use identity::{Change, IdentityError, LedgerId, marker_path};
pub use person::{Erased, PersonBounce, PersonDelivery, PersonRecord};
pub use postgres::PgStore;
pub use reach::{ReachDelivery, ReachIssue, ReachUnsubscribe};
pub use rendering::StoredRendering;
pub use signups::{NewSignup, SignupRow};
pub use sqlite::SqliteStore;
pub use vocab::{
    DecodeError, DeliveryState, FireState, IssueKind, IssueState, SignupState, SuppressionHow,
    SuppressionScope,
};
pub use watch::{StoreHealth, WriteFailure};

/// One delivery of an issue, for `status ISSUE --recipients`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecipientRow {
    pub email: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub last_reply: Option<String>,
    pub updated_at: Timestamp,
}

/// The counter the daemons watch (a cheap poll of one row, on any backend) to look again at
/// once: bumped by an approval, and by a pause with its retry time (a command that finds the
/// relay down), so a sleeping daemon recomputes when to wake. Its key predates the pauses.
pub const WAKE_COUNTER: &str = "approvals";

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
    #[error(
        "no ledger at {0}: nothing has been sent with these settings yet, or they name another place than the daemon's\n  hint: a ledger is created by starting the daemon once (`bulletin run`) or by sending (`bulletin send BULLETIN --now`); if the daemon already has one, give this command the daemon's settings: the same working directory or --config, and BULLETIN_DATABASE_URL if the daemon has it"
    )]
    NoLedger(String),
    #[error("stored issue {0} is corrupt: {1}")]
    Corrupt(i64, String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
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
    /// The bulletin's id (the campaign's, for an announcement).
    pub owner: crate::ids::IssueOwner,
    pub date: NaiveDate,
    pub kind: IssueKind,
    pub subject: String,
    pub rendered: StoredRendering,
    /// The strategy's themes it carries, comma-separated tags (for the archive's filter).
    pub themes: String,
    pub deliveries: Vec<NewDelivery>,
}

/// A stored issue.
#[derive(Debug, Clone)]
pub struct IssueRow {
    pub id: i64,
    /// The bulletin it is an issue of (the campaign, for an announcement).
    pub bulletin: crate::ids::IssueOwner,
    pub date: NaiveDate,
    pub kind: IssueKind,
    pub subject: String,
    pub rendered: StoredRendering,
    pub state: IssueState,
    pub paused_reason: Option<String>,
    pub created_at: Timestamp,
    /// While paused: when the daemon tries the relay again.
    pub retry_at: Option<Timestamp>,
    /// Taken off the web archive and feed.
    pub withdrawn: bool,
}

/// A delivery claimed for sending, its address read once, here.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub issue_id: i64,
    /// `None` when the ledger holds text that is not an address (edited by hand): the attempt
    /// fails it.
    pub email: Option<crate::address::EmailAddress>,
    /// `None` also when the stored name is not one a header can carry.
    pub name: Option<crate::address::DisplayName>,
    pub attempts: i64,
}

/// What happened to one attempt, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The relay said 250.
    Sent { reply: String },
    /// 4xx or a network error: try again at `retry_at` (Unix seconds).
    Deferred { reply: String, retry_at: Timestamp },
    /// 5xx: this recipient will never get it.
    Failed { reply: String },
    /// Too old to be worth sending.
    Expired { reply: String },
    /// Not attempted (the relay was down, the run stopped): back to the queue untouched.
    Released,
}

impl Recorded {
    /// The state the delivery is left in.
    pub fn state(&self) -> DeliveryState {
        match self {
            Recorded::Sent { .. } => DeliveryState::Sent,
            Recorded::Deferred { .. } => DeliveryState::Deferred,
            Recorded::Failed { .. } => DeliveryState::Failed,
            Recorded::Expired { .. } => DeliveryState::Expired,
            Recorded::Released => DeliveryState::Pending,
        }
    }
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

/// An issue's state as `status` shows it: the issue's own, or `held` for an issue waiting for
/// approval (which does not exist yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusState {
    Issue(IssueState),
    Held,
}

impl StatusState {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusState::Issue(s) => s.as_str(),
            StatusState::Held => FireState::Held.as_str(),
        }
    }
}

impl std::fmt::Display for StatusState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl serde::Serialize for StatusState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An issue cancelled before it was created (`bulletin cancel` of a coming or held issue):
/// its fire is recorded as skipped, with who cancelled it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelledFire {
    pub job: crate::schedule::jobs::Job,
    /// When it was (or is) due.
    pub due_at: Timestamp,
    pub for_date: Option<NaiveDate>,
    /// Who cancelled it.
    pub by: String,
    /// When it was cancelled.
    pub at: Timestamp,
}

/// A scheduled fire waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HeldFire {
    pub job: crate::schedule::jobs::Job,
    /// When it was due.
    pub due_at: Timestamp,
    /// The issue date it is for.
    pub for_date: Option<NaiveDate>,
}

impl HeldFire {
    /// The bulletin issue this fire holds back (bulletin and issue date), if it is one.
    pub fn issue(&self) -> Option<(&crate::ids::BulletinId, NaiveDate)> {
        match (&self.job, self.for_date) {
            (crate::schedule::jobs::Job::Bulletin(id), Some(date)) => Some((id, date)),
            _ => None,
        }
    }
}

/// One row of an issue's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Event {
    pub at: Timestamp,
    /// What happened (`created`, a state, `failed`, `bounce:hard`, …).
    pub kind: String,
    pub detail: String,
}

/// Who approved an issue, and when.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Approval {
    #[sqlx(rename = "approved_by")]
    pub by: String,
    #[sqlx(rename = "approved_at")]
    pub at: Timestamp,
}

/// Which in-flight deliveries go back to pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseSweep {
    /// Those whose lease ran out (their sender died).
    Expired,
    /// Every one: a SQLite database has one owner, so whatever it left in flight is dead.
    All,
}

/// One row of `status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssueStatus {
    pub bulletin: crate::ids::IssueOwner,
    pub date: NaiveDate,
    /// A word for scripts (`issue`, `proof`, `test_proof`, `held`, `announce`), never the
    /// stored key with its timestamp: a test proof's time is in `proof_made_at`.
    #[serde(serialize_with = "readable_kind")]
    pub kind: IssueKind,
    /// For a test proof (`send --test-to`): when it was made, RFC 3339 in UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof_made_at: Option<String>,
    pub issue: i64,
    pub state: StatusState,
    pub paused_reason: Option<String>,
    /// While paused (only then): when the daemon tries the relay again (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<Timestamp>,
    pub deliveries: Counts,
    /// Taken off the web archive and feed (`bulletin withdraw`).
    pub withdrawn: bool,
    /// Waiting for `bulletin approve` (a held fire: no issue exists yet, `issue` is 0).
    pub awaiting_approval: bool,
}

fn readable_kind<S: serde::Serializer>(kind: &IssueKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.word())
}

/// One issue in the public archive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArchiveEntry {
    pub id: i64,
    pub bulletin: crate::ids::BulletinId,
    pub date: NaiveDate,
    pub subject: String,
    /// When its first message went.
    pub first_sent: Timestamp,
    /// The strategy's themes it carries, comma-separated tags.
    pub themes: String,
}

/// A suppression.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suppression {
    pub email_key: String,
    pub scope: SuppressionScope,
    pub reason: Option<String>,
    pub created_at: Timestamp,
    pub how: SuppressionHow,
}

/// Whether opening the ledger may create it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// `run` and the sending commands: where there is no ledger yet, a new one is made.
    CreateIfMissing,
    /// Every other command: a command that reads the ledger or adds to it (`bounce`,
    /// `suppress`, …) never creates one: run from the wrong directory or without the daemon's
    /// environment, it would record into (or read) a new empty ledger nobody else uses. No
    /// ledger is [`StoreError::NoLedger`], and nothing is created.
    Existing,
}

/// Where a PostgreSQL URL points, for messages: without its user, password and options.
pub(crate) fn pg_place(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{}", host.split('?').next().unwrap_or(host))
}

/// The ledger, whichever database holds it.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// What the two databases spell differently in the shared SQL.
pub(crate) struct Dialect {
    /// Ends a sub-select of deliveries to lock them in `id` order (PostgreSQL: several
    /// statements changing the same deliveries then wait for each other instead of
    /// deadlocking; SQLite has one writer at a time and needs nothing).
    pub lock_in_order: &'static str,
    /// Ends a claim's sub-select so concurrent claimers pass over each other's rows.
    pub skip_locked: &'static str,
    /// Ends a select of one row that the transaction then updates.
    pub lock_row: &'static str,
    /// The smaller / larger of two values (`MIN`/`MAX` take two arguments on SQLite).
    pub least: &'static str,
    pub greatest: &'static str,
    /// The rows of a JSON array parameter, each as `r` (an array: `r ->> 0` is its first
    /// value): SQLite's `json_each`, PostgreSQL's `json_array_elements`.
    pub json_rows: &'static str,
    /// Starts a transaction that writes. SQLite: `BEGIN IMMEDIATE` takes the write lock at
    /// once, waiting (the busy timeout) for another writer to finish; a plain `BEGIN` reads
    /// first and fails with "database is locked" without waiting when another process wrote
    /// in between (WAL cannot upgrade a stale snapshot), as parallel `bulletin bounce`
    /// deliveries from an MTA do.
    pub begin_write: &'static str,
}

/// Evaluate `$body` with `$pool` bound to the backend's pool and `$d` to its [`Dialect`]: SQL
/// the backends share is written once and compiled for each.
macro_rules! on_pool {
    ($self:expr, |$pool:ident, $d:ident| $body:expr) => {
        match $self {
            $crate::store::Store::Sqlite(s) => {
                let $pool = &s.pool;
                let $d = &$crate::store::sqlite::DIALECT;
                $body
            }
            $crate::store::Store::Postgres(s) => {
                let $pool = &s.pool;
                let $d = &$crate::store::postgres::DIALECT;
                $body
            }
        }
    };
}
use on_pool;

/// [`on_pool!`] for a write: the ledger is checked first (see [`watch`]) and the outcome
/// remembered for `/healthz`. Every statement that changes the ledger goes through here.
macro_rules! on_write {
    ($self:expr, |$pool:ident, $d:ident| $body:expr) => {
        $self
            .write(async { $crate::store::on_pool!($self, |$pool, $d| $body) })
            .await
    };
}
use on_write;

/// Append a row to the audit trail in the transaction `$tx`: at `$at`, about the issue `$issue`
/// (an `Option`), what happened (`$kind`) and its detail.
macro_rules! audit {
    ($tx:expr, $at:expr, $issue:expr, $kind:expr, $detail:expr) => {
        sqlx::query("INSERT INTO events (at, issue_id, kind, detail) VALUES ($1, $2, $3, $4)")
            .bind($at)
            .bind::<Option<i64>>($issue)
            .bind($kind)
            .bind($detail)
            .execute(&mut *$tx)
            .await
    };
}
use audit;

/// Bump the counter the daemons watch ([`WAKE_COUNTER`]) in the transaction `$tx`.
macro_rules! wake {
    ($tx:expr) => {
        sqlx::query(
            "INSERT INTO counters (key, value) VALUES ($1, 1)
             ON CONFLICT (key) DO UPDATE SET value = counters.value + 1",
        )
        .bind($crate::store::WAKE_COUNTER)
        .execute(&mut *$tx)
        .await
    };
}
use wake;

/// The `daemon_state` key `/healthz` writes to find out whether writes work again.
const PROBE_KEY: &str = "health.probe";

impl Store {
    fn watch(&self) -> &watch::Watch {
        match self {
            Store::Sqlite(s) => &s.watch,
            Store::Postgres(s) => &s.watch,
        }
    }

    /// Run `work`, a write, if the ledger is still the one opened; remember how it went.
    async fn write<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.watch().check()?;
        let r = work.await;
        self.watch().after_write(&r);
        r
    }

    /// The ledger's health for `/healthz`: still the ledger opened, answering, and writable.
    /// After a failed write it writes one small row to see whether writes work again, so a
    /// disk that was full and has space again reads healthy without waiting for real work.
    pub async fn health(&self, now: Timestamp) -> StoreHealth {
        if let Err(e) = self.watch().check() {
            let why = e.to_string();
            return StoreHealth::Changed(why.lines().next().unwrap_or_default().to_string());
        }
        if self.ping().await.is_err() {
            return StoreHealth::Unreachable;
        }
        if self.watch().failure().is_some() {
            let _ = self.set_state(PROBE_KEY, &now.to_string()).await;
        }
        match self.watch().failure() {
            Some(f) => StoreHealth::WriteFailed(f),
            None => StoreHealth::Ok,
        }
    }

    /// Open (creating and migrating as needed) the database the settings name.
    pub async fn open(url: &crate::config::DatabaseUrl) -> Result<Store, StoreError> {
        Store::open_with(url, OpenMode::CreateIfMissing).await
    }

    /// Open and migrate the database the settings name; create the ledger only if `mode` says.
    pub async fn open_with(
        url: &crate::config::DatabaseUrl,
        mode: OpenMode,
    ) -> Result<Store, StoreError> {
        match url {
            crate::config::DatabaseUrl::Sqlite(path) => {
                Ok(Store::Sqlite(SqliteStore::open(path, mode).await?))
            }
            crate::config::DatabaseUrl::Postgres { url, marker } => Ok(Store::Postgres(
                PgStore::open(url.expose(), marker, mode).await?,
            )),
        }
    }

    /// The id this ledger was given when it was created.
    pub fn ledger_id(&self) -> &LedgerId {
        match self {
            Store::Sqlite(s) => &s.ledger,
            Store::Postgres(s) => &s.ledger,
        }
    }

    /// The issues (kind `issue`) in the ledger by bulletin and date: what the daemon will not
    /// create again, for lists of what is coming.
    pub async fn created_issues(&self) -> Result<crate::schedule::jobs::Created, StoreError> {
        Ok(self
            .status()
            .await?
            .into_iter()
            .filter(|i| i.kind == IssueKind::Issue && !i.awaiting_approval)
            .map(|i| (i.bulletin.to_string(), i.date))
            .collect())
    }

    /// Open an existing ledger to read it, changing nothing (no migration, no file created).
    pub async fn open_read_only(url: &crate::config::DatabaseUrl) -> Result<Store, StoreError> {
        let mut store = match url {
            crate::config::DatabaseUrl::Sqlite(path) => {
                Store::Sqlite(SqliteStore::open_read_only(path).await?)
            }
            crate::config::DatabaseUrl::Postgres { url, .. } => {
                Store::Postgres(PgStore::open_read_only(url.expose()).await?)
            }
        };
        // A ledger made before ids were kept has none; `check` reads it all the same.
        let id = identity::stored_id(&store)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| LedgerId::new(""));
        match &mut store {
            Store::Sqlite(s) => s.ledger = id,
            Store::Postgres(s) => s.ledger = id,
        }
        Ok(store)
    }
}
