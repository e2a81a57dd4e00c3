//! Bounces in the ledger, the same SQL on both backends: recording one (idempotent per
//! delivery and kind) with the facts the bounce policy decides on and the outcome it decided
//! (a suppression, a refusal held, the issue's breaker tripped), and the addresses bounces
//! suppressed. What a bounce leads to is `bounce::policy`'s to say; the ledger only records.

pub use super::vocab::BounceKind;
use super::{DeliveryState, IssueState, StoreError, SuppressionHow, SuppressionScope};
use crate::timestamp::Timestamp;

/// How long a refusal the breaker does not believe waits before it is tried again.
const REQUEUE_SECS: i64 = 3600;

/// A bounce to record.
#[derive(Debug, Clone)]
pub struct NewBounce<'a> {
    pub delivery_id: i64,
    pub kind: BounceKind,
    /// The enhanced status code (`5.1.1`), when the report had one.
    pub status: Option<&'a str>,
    /// The remote server's diagnostic, shortened.
    pub detail: &'a str,
}

/// What recording a bounce did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BounceRecorded {
    /// No such delivery in this ledger.
    UnknownDelivery,
    /// A bounce of this kind for this delivery was already recorded: nothing changed.
    Duplicate,
    /// Recorded; `suppressed` when the address is suppressed because of it (now or already);
    /// `tripped` when this bounce tripped its issue's breaker.
    Recorded { suppressed: bool, tripped: bool },
}

/// An address that bounces suppressed, for `lists --stale`: its files should lose it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaleAddress {
    pub email_key: String,
    pub kind: BounceKind,
    pub status: Option<String>,
    pub detail: Option<String>,
    /// When the bounce that suppressed it arrived.
    pub at: Timestamp,
}

/// What the ledger knows when a bounce arrives: what the bounce policy decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BounceFacts {
    pub kind: BounceKind,
    /// Soft bounces of this address within the soft window, this one included.
    pub soft_in_window: u64,
    /// Hard bounces of this bounce's issue within the breaker's window, this one included.
    pub issue_hard_in_window: u64,
    /// Deliveries the issue has.
    pub issue_recipients: u64,
    /// The breaker already tripped for this issue.
    pub tripped: bool,
}

/// What the bounce policy decided to do with a bounce, as the ledger records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BounceDecision {
    /// Suppress the address for everything.
    Suppress,
    /// Record it; suppress nobody.
    Record,
    /// Record it, suppress nobody, lift what this issue's burst suppressed, give its refused
    /// deliveries another chance, pause the issue and alert.
    Trip,
}

/// The windows [`BounceFacts`] are counted in (seconds back from the bounce).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BounceWindows {
    /// Soft bounces of the address.
    pub soft_secs: i64,
    /// Hard bounces of the issue (the breaker's).
    pub breaker_secs: i64,
}

/// The reason written on a suppression a bounce made.
pub fn suppression_reason(b: &NewBounce<'_>) -> String {
    match (b.kind, b.status) {
        (BounceKind::Complaint, _) => "complaint: reported as spam".into(),
        (k, Some(s)) => format!("bounce: {k} {s}"),
        (k, None) => format!("bounce: {k}"),
    }
}

/// A bounce on its way into the ledger.
struct Arrival<'a> {
    b: &'a NewBounce<'a>,
    windows: BounceWindows,
    now: Timestamp,
}

/// A recorded bounce's delivery, issue and row.
struct Found {
    email_key: String,
    issue_id: i64,
    bounce_id: i64,
    facts: BounceFacts,
}

impl super::Store {
    /// Record a bounce or complaint for a delivery and what `decide` (the bounce policy) makes
    /// of the facts the ledger holds about it: suppress the address, only record it, or trip
    /// the issue's breaker. One transaction, so bounces arriving in parallel count each other;
    /// the same bounce twice changes nothing.
    pub async fn record_bounce(
        &self,
        b: &NewBounce<'_>,
        windows: BounceWindows,
        decide: impl FnOnce(&BounceFacts) -> BounceDecision + Send,
        now: Timestamp,
    ) -> Result<BounceRecorded, StoreError> {
        let a = Arrival { b, windows, now };
        self.write(async {
            match self {
                super::Store::Sqlite(s) => {
                    sqlite_steps::record(&s.pool, super::sqlite::DIALECT.begin_write, &a, decide)
                        .await
                }
                super::Store::Postgres(s) => {
                    pg_steps::record(&s.pool, super::postgres::DIALECT.begin_write, &a, decide)
                        .await
                }
            }
        })
        .await
    }

    /// Addresses suppressed (for everything) by a bounce or complaint and still
    /// suppressed, with the latest bounce that did it; sorted by address.
    pub async fn stale_addresses(&self) -> Result<Vec<StaleAddress>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            email_key: String,
            kind: String,
            status: Option<String>,
            detail: Option<String>,
            received_at: Timestamp,
        }
        let rows: Vec<Row> = super::on_pool!(self, |pool, _d| {
            sqlx::query_as(
                "SELECT b.email_key, b.kind, b.status, b.detail, b.received_at
             FROM bounces b JOIN suppressions s ON s.email_key = b.email_key AND s.scope = '*'
             WHERE b.suppressed = 1
             ORDER BY b.email_key, b.received_at DESC, b.id DESC",
            )
            .fetch_all(pool)
            .await
        })?;
        let mut out: Vec<StaleAddress> = Vec::new();
        for Row {
            email_key: key,
            kind,
            status,
            detail,
            received_at: at,
        } in rows
        {
            if out.last().is_some_and(|l| l.email_key == key) {
                continue;
            }
            let Ok(kind) = BounceKind::parse(&kind) else {
                continue;
            };
            out.push(StaleAddress {
                email_key: key,
                kind,
                status,
                detail,
                at,
            });
        }
        Ok(out)
    }
}

/// The steps of recording a bounce, in one transaction of the backend `$db`.
macro_rules! bounce_steps {
    ($db:ty) => {
        use super::*;
        type Conn = <$db as sqlx::Database>::Connection;

        pub(super) async fn record(
            pool: &sqlx::Pool<$db>,
            begin: &'static str,
            a: &Arrival<'_>,
            decide: impl FnOnce(&BounceFacts) -> BounceDecision,
        ) -> Result<BounceRecorded, StoreError> {
            let mut tx = pool.begin_with(begin).await?;
            let found = match gather(&mut tx, a).await? {
                Ok(found) => found,
                Err(not_recorded) => {
                    // Ended now, not when dropped: a transaction left to a drop can hold
                    // SQLite's write lock while the next bounce waits for it.
                    tx.rollback().await?;
                    return Ok(not_recorded);
                }
            };
            let decision = decide(&found.facts);
            let suppress = decision == BounceDecision::Suppress;
            if suppress {
                suppress_address(&mut tx, a, &found).await?;
            }
            let held = a.b.kind == BounceKind::Hard && !suppress;
            if decision == BounceDecision::Trip {
                trip(&mut tx, a, &found).await?;
            } else if held {
                hold(&mut tx, a).await?;
            }
            audit(&mut tx, a, &found, suppress, held).await?;
            tx.commit().await?;
            Ok(BounceRecorded::Recorded {
                suppressed: suppress,
                tripped: decision == BounceDecision::Trip,
            })
        }

        /// Insert the bounce and count what the policy decides on; `Err` with what to answer
        /// when there is nothing to record (no such delivery, or a repeat).
        async fn gather(
            tx: &mut Conn,
            a: &Arrival<'_>,
        ) -> Result<Result<Found, BounceRecorded>, StoreError> {
            let (b, now) = (a.b, a.now);
            let row: Option<(String, i64, Option<i64>)> = sqlx::query_as(
                "SELECT d.email_key, d.issue_id, i.breaker_at
                   FROM deliveries d JOIN issues i ON i.id = d.issue_id WHERE d.id = $1",
            )
            .bind(b.delivery_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((email_key, issue_id, breaker_at)) = row else {
                return Ok(Err(BounceRecorded::UnknownDelivery));
            };
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO bounces (delivery_id, email_key, kind, status, detail, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id, kind) DO NOTHING
                 RETURNING id",
            )
            .bind(b.delivery_id)
            .bind(&email_key)
            .bind(b.kind.as_str())
            .bind(b.status)
            .bind(b.detail)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(bounce_id) = inserted else {
                return Ok(Err(BounceRecorded::Duplicate));
            };
            let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
            let soft_in_window = if b.kind == BounceKind::Soft {
                count(
                    "SELECT COUNT(*) FROM bounces
                      WHERE email_key = $1 AND kind = $2 AND received_at > $3",
                )
                .bind(&email_key)
                .bind(BounceKind::Soft.as_str())
                .bind(now - a.windows.soft_secs)
                .fetch_one(&mut *tx)
                .await?
            } else {
                0
            };
            let (issue_hard_in_window, issue_recipients) = if b.kind == BounceKind::Hard {
                let hard = count(
                    "SELECT COUNT(*) FROM bounces b JOIN deliveries d ON d.id = b.delivery_id
                      WHERE d.issue_id = $1 AND b.kind = $2 AND b.received_at > $3",
                )
                .bind(issue_id)
                .bind(BounceKind::Hard.as_str())
                .bind(now - a.windows.breaker_secs)
                .fetch_one(&mut *tx)
                .await?;
                let recipients = count("SELECT COUNT(*) FROM deliveries WHERE issue_id = $1")
                    .bind(issue_id)
                    .fetch_one(&mut *tx)
                    .await?;
                (hard, recipients)
            } else {
                (0, 0)
            };
            Ok(Ok(Found {
                email_key,
                issue_id,
                bounce_id,
                facts: BounceFacts {
                    kind: b.kind,
                    soft_in_window: soft_in_window as u64,
                    issue_hard_in_window: issue_hard_in_window as u64,
                    issue_recipients: issue_recipients as u64,
                    tripped: breaker_at.is_some(),
                },
            }))
        }

        /// Suppress the bounced address for everything, marking the bounce as the cause.
        async fn suppress_address(
            tx: &mut Conn,
            a: &Arrival<'_>,
            f: &Found,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO suppressions (email_key, scope, reason, created_at, how)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email_key, scope) DO NOTHING",
            )
            .bind(&f.email_key)
            .bind(SuppressionScope::All.as_str())
            .bind(suppression_reason(a.b))
            .bind(a.now)
            .bind(SuppressionHow::Bounce.as_str())
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE bounces SET suppressed = 1 WHERE id = $1")
                .bind(f.bounce_id)
                .execute(&mut *tx)
                .await?;
            Ok(())
        }

        /// Too many at once to be the people: stop believing this issue's hard bounces, lift
        /// what the burst suppressed, and pause the issue for the operator.
        async fn trip(tx: &mut Conn, a: &Arrival<'_>, f: &Found) -> Result<(), StoreError> {
            let (now, issue_id) = (a.now, f.issue_id);
            let since = now - a.windows.breaker_secs;
            sqlx::query("UPDATE issues SET breaker_at = $2 WHERE id = $1")
                .bind(issue_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let (lifted, requeued) = lift_burst(&mut *tx, issue_id, since, now).await?;
            let why = format!(
                "bounce breaker: {} of {} recipients bounced hard within {} minutes, more than a relay's list normally sheds; nobody is suppressed for this issue ({lifted} suppression(s) lifted, {requeued} refused delivery(ies) queued again). Check the relay's replies with `bulletin status {issue_id} --recipients --state deferred`",
                f.facts.issue_hard_in_window,
                f.facts.issue_recipients,
                a.windows.breaker_secs / 60
            );
            sqlx::query(
                "UPDATE issues SET state = $5, paused_reason = $2, updated_at = $3,
                        pauses = pauses + 1, retry_at = $4
                  WHERE id = $1 AND state IN ($6, $5)",
            )
            .bind(issue_id)
            .bind(&why)
            .bind(now)
            .bind(now + REQUEUE_SECS)
            .bind(IssueState::Paused.as_str())
            .bind(IssueState::Sending.as_str())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO events (at, issue_id, kind, detail) VALUES ($1, $2, 'breaker', $3)",
            )
            .bind(now)
            .bind(issue_id)
            .bind(&why)
            .execute(&mut *tx)
            .await?;
            Ok(())
        }

        /// Lift the suppressions the issue's hard bounces since `since` made and queue their
        /// refused deliveries again; how many of each.
        async fn lift_burst(
            tx: &mut Conn,
            issue_id: i64,
            since: Timestamp,
            now: Timestamp,
        ) -> Result<(u64, u64), StoreError> {
            let hard = BounceKind::Hard.as_str();
            let lifted = sqlx::query(
                "DELETE FROM suppressions
                  WHERE scope = '*' AND how = $3 AND created_at > $2 AND email_key IN (
                        SELECT b.email_key FROM bounces b JOIN deliveries d ON d.id = b.delivery_id
                         WHERE d.issue_id = $1 AND b.kind = $4 AND b.suppressed = 1
                           AND b.received_at > $2)",
            )
            .bind(issue_id)
            .bind(since)
            .bind(SuppressionHow::Bounce.as_str())
            .bind(hard)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE bounces SET suppressed = 0
                  WHERE kind = $3 AND suppressed = 1 AND received_at > $2
                    AND delivery_id IN (SELECT id FROM deliveries WHERE issue_id = $1)",
            )
            .bind(issue_id)
            .bind(since)
            .bind(hard)
            .execute(&mut *tx)
            .await?;
            let requeued = sqlx::query(
                "UPDATE deliveries SET state = $5, next_attempt_at = $3, updated_at = $4,
                        lease_owner = NULL, lease_until = NULL
                  WHERE issue_id = $1 AND state = $6 AND id IN (
                        SELECT delivery_id FROM bounces WHERE kind = $7 AND received_at > $2)",
            )
            .bind(issue_id)
            .bind(since)
            .bind(now + REQUEUE_SECS)
            .bind(now)
            .bind(DeliveryState::Deferred.as_str())
            .bind(DeliveryState::Failed.as_str())
            .bind(hard)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            Ok((lifted, requeued))
        }

        /// The relay's refusal is not believed: the refused delivery gets another chance (and
        /// expires with the issue if the relay keeps refusing).
        async fn hold(tx: &mut Conn, a: &Arrival<'_>) -> Result<(), StoreError> {
            sqlx::query(
                "UPDATE deliveries SET state = $4, next_attempt_at = $2, updated_at = $3,
                        lease_owner = NULL, lease_until = NULL
                  WHERE id = $1 AND state = $5",
            )
            .bind(a.b.delivery_id)
            .bind(a.now + REQUEUE_SECS)
            .bind(a.now)
            .bind(DeliveryState::Deferred.as_str())
            .bind(DeliveryState::Failed.as_str())
            .execute(&mut *tx)
            .await?;
            Ok(())
        }

        /// The bounce in the issue's audit trail, with what it led to.
        async fn audit(
            tx: &mut Conn,
            a: &Arrival<'_>,
            f: &Found,
            suppress: bool,
            held: bool,
        ) -> Result<(), StoreError> {
            let led_to = match (suppress, held) {
                (true, _) => "; suppressed",
                (false, true) => "; held by the breaker: nobody suppressed",
                (false, false) => "",
            };
            sqlx::query(
                "INSERT INTO events (at, issue_id, delivery_id, kind, detail) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(a.now)
            .bind(f.issue_id)
            .bind(a.b.delivery_id)
            .bind(format!("bounce:{}", a.b.kind))
            .bind(format!("{}{led_to}", a.b.status.unwrap_or("-")))
            .execute(&mut *tx)
            .await?;
            Ok(())
        }
    };
}

mod sqlite_steps {
    bounce_steps!(sqlx::Sqlite);
}

mod pg_steps {
    bounce_steps!(sqlx::Postgres);
}
