//! Bounces in the ledger, the same SQL on both backends: recording one (idempotent per
//! delivery and kind), the suppression it leads to, and the addresses bounces suppressed.

pub use crate::bounce_policy::{BounceKind, SoftPolicy};

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
    /// When the bounce that suppressed it arrived (Unix seconds).
    pub at: i64,
}

/// The reason written on a suppression a bounce made.
pub fn suppression_reason(b: &NewBounce<'_>) -> String {
    match (b.kind, b.status) {
        (BounceKind::Complaint, _) => "complaint: reported as spam".into(),
        (k, Some(s)) => format!("bounce: {k} {s}"),
        (k, None) => format!("bounce: {k}"),
    }
}

impl crate::store::Store {
    /// Record a bounce or complaint for a delivery and do what [`crate::bounce_policy::decide`]
    /// says: suppress the address, only record it, or trip the issue's breaker. One
    /// transaction; the same bounce twice changes nothing.
    pub async fn record_bounce(
        &self,
        b: &crate::store::NewBounce<'_>,
        policy: crate::store::SoftPolicy,
        now: i64,
    ) -> Result<crate::store::BounceRecorded, crate::store::StoreError> {
        use crate::bounce_policy::{Decision, Facts};
        use crate::store::BounceKind;
        use crate::store::BounceRecorded;
        crate::store::on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let row = sqlx::query(
                "SELECT d.email_key, d.issue_id, i.breaker_at
                   FROM deliveries d JOIN issues i ON i.id = d.issue_id WHERE d.id = $1",
            )
            .bind(b.delivery_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                // Ended now, not when dropped: a transaction left to a drop can hold
                // SQLite's write lock while the next bounce waits for it.
                tx.rollback().await?;
                return Ok(BounceRecorded::UnknownDelivery);
            };
            let email_key: String = sqlx::Row::get(&row, "email_key");
            let issue_id: i64 = sqlx::Row::get(&row, "issue_id");
            let breaker_at: Option<i64> = sqlx::Row::get(&row, "breaker_at");
            let inserted = sqlx::query(
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
            let Some(inserted) = inserted else {
                tx.rollback().await?;
                return Ok(BounceRecorded::Duplicate);
            };
            let bounce_id: i64 = sqlx::Row::get(&inserted, "id");
            let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
            let soft_in_window = if b.kind == BounceKind::Soft {
                count(
                    "SELECT COUNT(*) FROM bounces
                      WHERE email_key = $1 AND kind = 'soft' AND received_at > $2",
                )
                .bind(&email_key)
                .bind(now - policy.window_secs)
                .fetch_one(&mut *tx)
                .await?
            } else {
                0
            };
            let (issue_hard_in_window, issue_recipients) = if b.kind == BounceKind::Hard {
                let hard = count(
                    "SELECT COUNT(*) FROM bounces b JOIN deliveries d ON d.id = b.delivery_id
                      WHERE d.issue_id = $1 AND b.kind = 'hard' AND b.received_at > $2",
                )
                .bind(issue_id)
                .bind(now - policy.breaker.window_secs)
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
            let decision = crate::bounce_policy::decide(
                policy,
                Facts {
                    kind: b.kind,
                    soft_in_window: soft_in_window as u64,
                    issue_hard_in_window: issue_hard_in_window as u64,
                    issue_recipients: issue_recipients as u64,
                    tripped: breaker_at.is_some(),
                },
            );
            let suppress = decision == Decision::Suppress;
            if suppress {
                let reason = crate::store::bounces::suppression_reason(b);
                sqlx::query(
                    "INSERT INTO suppressions (email_key, scope, reason, created_at, how)
                 VALUES ($1, '*', $2, $3, $4) ON CONFLICT (email_key, scope) DO NOTHING",
                )
                .bind(&email_key)
                .bind(&reason)
                .bind(now)
                .bind(crate::store::SuppressionHow::Bounce.as_str())
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE bounces SET suppressed = 1 WHERE id = $1")
                    .bind(bounce_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let held = b.kind == BounceKind::Hard && !suppress;
            if decision == Decision::Trip {
                // Too many at once to be the people: stop believing this issue's hard bounces,
                // lift what the burst suppressed, and pause the issue for the operator.
                let since = now - policy.breaker.window_secs;
                sqlx::query("UPDATE issues SET breaker_at = $2 WHERE id = $1")
                    .bind(issue_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let lifted = sqlx::query(
                    "DELETE FROM suppressions
                      WHERE scope = '*' AND how = 'bounce' AND created_at > $2 AND email_key IN (
                            SELECT b.email_key FROM bounces b JOIN deliveries d ON d.id = b.delivery_id
                             WHERE d.issue_id = $1 AND b.kind = 'hard' AND b.suppressed = 1
                               AND b.received_at > $2)",
                )
                .bind(issue_id)
                .bind(since)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                sqlx::query(
                    "UPDATE bounces SET suppressed = 0
                      WHERE kind = 'hard' AND suppressed = 1 AND received_at > $2
                        AND delivery_id IN (SELECT id FROM deliveries WHERE issue_id = $1)",
                )
                .bind(issue_id)
                .bind(since)
                .execute(&mut *tx)
                .await?;
                let requeued = sqlx::query(
                    "UPDATE deliveries SET state = 'deferred', next_attempt_at = $3, updated_at = $4,
                            lease_owner = NULL, lease_until = NULL
                      WHERE issue_id = $1 AND state = 'failed' AND id IN (
                            SELECT delivery_id FROM bounces WHERE kind = 'hard' AND received_at > $2)",
                )
                .bind(issue_id)
                .bind(since)
                .bind(now + REQUEUE_SECS)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let why = format!(
                    "bounce breaker: {issue_hard_in_window} of {issue_recipients} recipients bounced hard within {} minutes, more than a relay's list normally sheds; nobody is suppressed for this issue ({lifted} suppression(s) lifted, {requeued} refused delivery(ies) queued again). Check the relay's replies with `bulletin status {issue_id} --recipients --state deferred`",
                    policy.breaker.window_secs / 60
                );
                sqlx::query(
                    "UPDATE issues SET state = 'paused', paused_reason = $2, updated_at = $3,
                            pauses = pauses + 1, retry_at = $4
                      WHERE id = $1 AND state IN ('sending', 'paused')",
                )
                .bind(issue_id)
                .bind(&why)
                .bind(now)
                .bind(now + REQUEUE_SECS)
                .execute(&mut *tx)
                .await?;
                sqlx::query("INSERT INTO events (at, issue_id, kind, detail) VALUES ($1, $2, 'breaker', $3)")
                    .bind(now)
                    .bind(issue_id)
                    .bind(&why)
                    .execute(&mut *tx)
                    .await?;
            } else if held {
                // The relay's refusal is not believed: the refused delivery gets another chance
                // (and expires with the issue if the relay keeps refusing).
                sqlx::query(
                    "UPDATE deliveries SET state = 'deferred', next_attempt_at = $2, updated_at = $3,
                            lease_owner = NULL, lease_until = NULL
                      WHERE id = $1 AND state = 'failed'",
                )
                .bind(b.delivery_id)
                .bind(now + REQUEUE_SECS)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO events (at, issue_id, delivery_id, kind, detail) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(now)
            .bind(issue_id)
            .bind(b.delivery_id)
            .bind(format!("bounce:{}", b.kind))
            .bind(format!(
                "{}{}",
                b.status.unwrap_or("-"),
                match (suppress, held) {
                    (true, _) => "; suppressed",
                    (false, true) => "; held by the breaker: nobody suppressed",
                    (false, false) => "",
                }
            ))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(BounceRecorded::Recorded {
                suppressed: suppress,
                tripped: decision == Decision::Trip,
            })
        })
    }

    /// Addresses suppressed (for everything) by a bounce or complaint and still
    /// suppressed, with the latest bounce that did it; sorted by address.
    pub async fn stale_addresses(
        &self,
    ) -> Result<Vec<crate::store::StaleAddress>, crate::store::StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            email_key: String,
            kind: String,
            status: Option<String>,
            detail: Option<String>,
            received_at: i64,
        }
        let rows: Vec<Row> = crate::store::on_pool!(self, |pool, _d| {
            sqlx::query_as(
                "SELECT b.email_key, b.kind, b.status, b.detail, b.received_at
             FROM bounces b JOIN suppressions s ON s.email_key = b.email_key AND s.scope = '*'
             WHERE b.suppressed = 1
             ORDER BY b.email_key, b.received_at DESC, b.id DESC",
            )
            .fetch_all(pool)
            .await
        })?;
        let mut out: Vec<crate::store::StaleAddress> = Vec::new();
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
            let Some(kind) = crate::store::BounceKind::parse(&kind) else {
                continue;
            };
            out.push(crate::store::StaleAddress {
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
