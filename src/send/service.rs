//! The one way an issue goes out, used by the daemon and by `bulletin send` alike: who may send
//! from the ledger (the sender lock), which claims of dead senders go back to the queue, whether
//! an issue is cleared to go (approval), finding or creating it, and delivering it. The daemon
//! and the command differ only in what they do when an issue is not cleared (hold it, or ask).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::NaiveDate;

use super::SendError;
use crate::clock::Clock;
use crate::config::{Bulletin, DatabaseUrl, Project};
use crate::delivery::{RunSummary, Sender};
use crate::ids::BulletinId;
use crate::store::sender_lock::{LockError, SenderLock};
use crate::store::{Approval, IssueKind, IssueRow, LeaseSweep, Store, StoreError};

/// Whether this process is the only sender on its ledger. A SQLite ledger has one sender (held
/// by the lock), so whatever it left in flight belongs to a dead process; on PostgreSQL, or
/// beside a running daemon (a proof), only claims whose lease ran out are dead.
#[derive(Debug)]
pub enum Ownership {
    /// This process holds the sender lock of a SQLite ledger until it ends.
    Sole(SenderLock),
    /// Other senders may be at work on the same ledger.
    Shared,
}

impl Ownership {
    /// Take the ledger: the sender lock on SQLite (refused beside another sender), shared on
    /// PostgreSQL.
    pub fn take(database: &DatabaseUrl) -> Result<Ownership, LockError> {
        Ok(match database {
            DatabaseUrl::Sqlite(db) => Ownership::Sole(SenderLock::acquire(db)?),
            DatabaseUrl::Postgres { .. } => Ownership::Shared,
        })
    }

    /// Which in-flight deliveries are dead for an owner like this one.
    pub fn sweep(&self) -> LeaseSweep {
        match self {
            Ownership::Sole(_) => LeaseSweep::All,
            Ownership::Shared => LeaseSweep::Expired,
        }
    }
}

/// Whether an issue may be created and sent now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clearance {
    /// It is in the ledger already: approved, or sent early on purpose (`send --now`, perhaps
    /// `--force`); sending resumes it rather than asking again.
    Exists,
    /// The bulletin does not require approval.
    Free,
    /// Approved, by whom and when.
    Approved(Approval),
    /// It needs an approval nobody has given yet.
    Unapproved,
}

impl Clearance {
    /// Whether it may go without anyone overriding the approval rule.
    pub fn cleared(&self) -> bool {
        !matches!(self, Clearance::Unapproved)
    }
}

/// A project's sending: the ledger, the clock and the delivery workers, built once per project
/// (again after a reload).
pub struct Service {
    project: Arc<Project>,
    store: Store,
    clock: Arc<dyn Clock>,
    sender: Arc<Sender>,
}

impl Service {
    /// The service for `project` on `store`; `owner` names this process in the ledger's claims,
    /// `stopping` stops claiming, `heartbeat` is beaten as a send makes progress.
    pub fn new(
        project: Arc<Project>,
        store: Store,
        owner: &str,
        clock: Arc<dyn Clock>,
        stopping: Arc<AtomicBool>,
        heartbeat: crate::instance::Heartbeat,
    ) -> Result<Service, SendError> {
        let sender = super::sender(
            &project,
            store.clone(),
            owner,
            clock.clone(),
            stopping,
            heartbeat,
        )?;
        Ok(Service {
            project,
            store,
            clock,
            sender,
        })
    }

    pub fn project(&self) -> &Arc<Project> {
        &self.project
    }

    /// A proof asked for by hand (`send --test-to`, the desk's proof buttons): a new copy of
    /// `bulletin`'s issue of `date`, to `to` only, sent now, and who asked (`by`) recorded
    /// against it in the ledger.
    pub async fn test_proof(
        &self,
        bulletin: &crate::ids::BulletinId,
        date: chrono::NaiveDate,
        to: &[crate::address::EmailAddress],
        by: &str,
    ) -> Result<(IssueRow, bool), SendError> {
        let now = self.clock.timestamp();
        let proof = super::EditorsCopy::TestProof;
        let (row, created) =
            super::create_copy(&self.project, &self.store, bulletin, date, to, proof, now).await?;
        self.store
            .log_event(
                Some(row.id),
                None,
                "proof",
                &format!("asked for by {by}"),
                now,
            )
            .await?;
        Ok((row, created))
    }

    /// Put the deliveries dead senders left in flight back in the queue (`sweep` says which are
    /// dead); said in the log when there were any.
    pub async fn release_dead_leases(&self, sweep: LeaseSweep) -> Result<u64, StoreError> {
        let released = self
            .store
            .release_expired_leases(self.clock.timestamp(), sweep)
            .await?;
        if released > 0 {
            match sweep {
                LeaseSweep::All => tracing::warn!(
                    released,
                    "deliveries left in flight by an earlier run are back in the queue"
                ),
                LeaseSweep::Expired => tracing::warn!(
                    released,
                    "deliveries of a sender that stopped are back in the queue"
                ),
            }
        }
        Ok(released)
    }

    /// Whether the issue of `b` for `date` may be created and sent now (the approval rule).
    pub async fn clearance(&self, b: &Bulletin, date: NaiveDate) -> Result<Clearance, StoreError> {
        if self
            .store
            .find_issue(&b.id, date, IssueKind::Issue)
            .await?
            .is_some()
        {
            return Ok(Clearance::Exists);
        }
        if !b.require_approval {
            return Ok(Clearance::Free);
        }
        Ok(match self.store.approval(&b.id, date).await? {
            Some(a) => Clearance::Approved(a),
            None => Clearance::Unapproved,
        })
    }

    /// Find or create the issue of `bulletin` for `date`; `true` when created now.
    pub async fn create_or_resume(
        &self,
        bulletin: &BulletinId,
        date: NaiveDate,
    ) -> Result<(IssueRow, bool), SendError> {
        super::create_or_resume(
            &self.project,
            &self.store,
            bulletin,
            date,
            self.clock.timestamp(),
        )
        .await
    }

    /// Run every due delivery of a stored issue (its progress on `progress`, if any).
    pub async fn deliver(
        &self,
        row: &IssueRow,
        progress: Option<indicatif::ProgressBar>,
    ) -> Result<RunSummary, SendError> {
        super::deliver(&self.sender, &self.project, row, progress).await
    }
}
