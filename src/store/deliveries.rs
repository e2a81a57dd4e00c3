//! Deliveries in the ledger, the same SQL on both backends (the backend's dialect fills in its
//! locking): claiming them, keeping and releasing leases, expiring, counting and listing them.
//! Recording outcomes differs per backend (one statement a batch on PostgreSQL).

use crate::address::{DisplayName, EmailAddress};
use crate::timestamp::Timestamp;
use std::collections::BTreeMap;

use super::{
    Claimed, Counts, DeliveryState, LeaseSweep, RecipientRow, Recorded, Store, StoreError,
    SuppressionScope, on_pool, on_write,
};

/// Expands to `$stmt` (a format string naming `{lock}`) with the backend's "lock these rows in
/// id order" clause, as SQL.
macro_rules! locking {
    ($d:expr, $stmt:literal) => {
        sqlx::AssertSqlSafe(format!($stmt, lock = $d.lock_in_order))
    };
}

/// Outcomes to record for the deliveries `owner` holds, at `now`.
pub(super) struct Batch<'a> {
    pub outcomes: &'a [(i64, Recorded)],
    pub owner: &'a str,
    pub now: Timestamp,
}

impl Store {
    /// The suppressions of the addresses whose deliveries of `issue_id` are still to be
    /// attempted, by address: what the suppression rule is asked about before each batch.
    pub async fn open_suppressions(
        &self,
        issue_id: i64,
        since: Option<Timestamp>,
    ) -> Result<BTreeMap<String, Vec<SuppressionScope>>, StoreError> {
        let rows: Vec<(String, String)> = on_pool!(self, |pool, _d| {
            let q = match since {
                // All of them (once a run): from the deliveries still to be attempted.
                None => sqlx::query_as(
                    "SELECT s.email_key, s.scope FROM suppressions s
                      WHERE s.email_key IN (SELECT email_key FROM deliveries
                                             WHERE issue_id = $1 AND state IN ($2, $3))",
                ),
                // Before each batch: from the few suppressions recorded since (their own
                // index), each looked up among the issue's deliveries, never the other way
                // round (that read every open delivery for each batch: quadratic in a send).
                Some(_) => sqlx::query_as(
                    "SELECT s.email_key, s.scope FROM suppressions s CROSS JOIN deliveries d
                      WHERE s.created_at >= $4 AND d.issue_id = $1
                        AND d.email_key = s.email_key AND d.state IN ($2, $3)",
                ),
            }
            .bind(issue_id)
            .bind(DeliveryState::Pending.as_str())
            .bind(DeliveryState::Deferred.as_str());
            match since {
                Some(t) => q.bind(t),
                None => q,
            }
            .fetch_all(pool)
            .await
        })?;
        let mut out: BTreeMap<String, Vec<SuppressionScope>> = BTreeMap::new();
        for (key, scope) in rows {
            out.entry(key)
                .or_default()
                .push(SuppressionScope::parse(&scope)?);
        }
        Ok(out)
    }

    /// Mark the deliveries of `keys` in `issue_id` that are still to be attempted as
    /// suppressed (the rule stops them). Returns how many.
    pub async fn suppress_deliveries(
        &self,
        issue_id: i64,
        keys: &[&str],
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        if keys.is_empty() {
            return Ok(0);
        }
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let mut n = 0;
            for key in keys {
                n += sqlx::query(locking!(
                    d,
                    "UPDATE deliveries SET state = $4, updated_at = $3
                     WHERE state IN ($5, $6)
                       AND id IN (SELECT id FROM deliveries
                                   WHERE issue_id = $1 AND email_key = $2
                                     AND state IN ($5, $6){lock})"
                ))
                .bind(issue_id)
                .bind(key)
                .bind(now)
                .bind(DeliveryState::Suppressed.as_str())
                .bind(DeliveryState::Pending.as_str())
                .bind(DeliveryState::Deferred.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            Ok(n)
        })
    }

    /// Claim up to `limit` due deliveries of an issue for `owner` until `lease_until`.
    pub async fn claim(
        &self,
        issue_id: i64,
        owner: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Claimed>, StoreError> {
        on_write!(self, |pool, d| {
            // SKIP LOCKED (PostgreSQL): rows another sender is claiming right now are passed
            // over, not waited for, so concurrent claimers get disjoint batches. The earliest
            // due first; each state's candidates are read in the order of the `deliveries_due`
            // index (issue, state, due time, id), so a claim reads `limit` rows of each, not
            // every due row of the issue to sort them (which made a send's claims quadratic).
            let due = |state: &str, alias: &str| {
                format!(
                    "SELECT id, next_attempt_at FROM (SELECT id, next_attempt_at FROM deliveries
                      WHERE issue_id = $4 AND state = {state} AND next_attempt_at <= $3
                      ORDER BY next_attempt_at, id LIMIT $5{}) AS {alias}",
                    d.skip_locked,
                )
            };
            let rows: Vec<(i64, i64, String, Option<String>, i64)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE deliveries
                        SET state = $6, lease_owner = $1, lease_until = $2,
                            attempts = attempts + 1, updated_at = $3
                      WHERE id IN (SELECT id FROM ({} UNION ALL {}) AS due
                                    ORDER BY next_attempt_at, id LIMIT $5)
                    RETURNING id, issue_id, email, name, attempts",
                    due("$7", "pending"),
                    due("$8", "deferred"),
                )))
                .bind(owner)
                .bind(lease_until)
                .bind(now)
                .bind(issue_id)
                .bind(i64::from(limit))
                .bind(DeliveryState::InFlight.as_str())
                .bind(DeliveryState::Pending.as_str())
                .bind(DeliveryState::Deferred.as_str())
                .fetch_all(pool)
                .await?;
            let mut out: Vec<Claimed> = rows
                .into_iter()
                .map(|(id, issue_id, email, name, attempts)| Claimed {
                    id,
                    issue_id,
                    email: EmailAddress::parse(&email).ok(),
                    name: name.and_then(|n| DisplayName::parse(&n).ok()),
                    attempts,
                })
                .collect();
            out.sort_by_key(|c| c.id);
            Ok(out)
        })
    }

    /// Record attempt outcomes in one transaction.
    /// Outcomes are recorded only for deliveries still leased by `owner` (a prefix: a process
    /// and its workers), so a claim that expired and was taken over is never overwritten.
    pub async fn record(
        &self,
        outcomes: &[(i64, Recorded)],
        owner: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let batch = Batch {
            outcomes,
            owner,
            now,
        };
        self.write(async {
            match self {
                Store::Sqlite(s) => super::sqlite::record(&s.pool, batch).await,
                Store::Postgres(s) => super::postgres::record(&s.pool, batch).await,
            }
        })
        .await
    }

    /// Extend the leases `owner` holds (a living sender keeps its claims).
    pub async fn renew_leases(
        &self,
        owner: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        on_write!(self, |pool, d| {
            let r = sqlx::query(locking!(
                d,
                "UPDATE deliveries SET lease_until = $2, updated_at = $3
                 WHERE state = $4 AND substr(lease_owner, 1, length(CAST($1 AS TEXT))) = CAST($1 AS TEXT)
                   AND id IN (SELECT id FROM deliveries
                               WHERE state = $4
                                 AND substr(lease_owner, 1, length(CAST($1 AS TEXT))) = CAST($1 AS TEXT){lock})"
            ))
            .bind(owner)
            .bind(until)
            .bind(now)
            .bind(DeliveryState::InFlight.as_str())
            .execute(pool)
            .await?;
            Ok(r.rows_affected())
        })
    }

    /// Return in-flight deliveries to pending: those whose lease ended (their sender died), or
    /// all of them.
    pub async fn release_expired_leases(
        &self,
        now: Timestamp,
        sweep: LeaseSweep,
    ) -> Result<u64, StoreError> {
        let all = sweep == LeaseSweep::All;
        on_write!(self, |pool, d| {
            let r = sqlx::query(locking!(
                d,
                "UPDATE deliveries SET state = $3, lease_owner = NULL, lease_until = NULL, updated_at = $1
                 WHERE state = $4
                   AND id IN (SELECT id FROM deliveries
                               WHERE state = $4 AND (CAST($2 AS BOOLEAN) OR lease_until < $1){lock})"
            ))
            .bind(now)
            .bind(all)
            .bind(DeliveryState::Pending.as_str())
            .bind(DeliveryState::InFlight.as_str())
            .execute(pool)
            .await?;
            Ok(r.rows_affected())
        })
    }

    /// Expire the open deliveries of issues created before `created_before`.
    pub async fn expire_stale(
        &self,
        created_before: Timestamp,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        on_write!(self, |pool, d| {
            let r = sqlx::query(locking!(
                d,
                "UPDATE deliveries SET state = $3, updated_at = $2,
                        last_reply = COALESCE(last_reply, 'not attempted') || ' (expired: the issue is too old to send)'
                 WHERE state IN ($4, $5)
                   AND id IN (SELECT id FROM deliveries
                               WHERE state IN ($4, $5)
                                 AND issue_id IN (SELECT id FROM issues WHERE created_at < $1){lock})"
            ))
            .bind(created_before)
            .bind(now)
            .bind(DeliveryState::Expired.as_str())
            .bind(DeliveryState::Pending.as_str())
            .bind(DeliveryState::Deferred.as_str())
            .execute(pool)
            .await?;
            Ok(r.rows_affected())
        })
    }

    /// Counts of an issue's deliveries by state.
    pub async fn counts(&self, issue_id: i64) -> Result<Counts, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, |pool, _d| {
            sqlx::query_as(
                "SELECT state, COUNT(*) AS n FROM deliveries WHERE issue_id = $1 GROUP BY state",
            )
            .bind(issue_id)
            .fetch_all(pool)
            .await
        })?;
        let mut c = Counts::default();
        for (state, n) in rows {
            c.add(DeliveryState::parse(&state)?, n as u64);
        }
        Ok(c)
    }

    /// When the issue's first message was sent (Unix seconds), if any was.
    pub async fn first_sent(&self, issue_id: i64) -> Result<Option<Timestamp>, StoreError> {
        on_pool!(self, |pool, _d| {
            Ok(sqlx::query_scalar(
                "SELECT MIN(sent_at) FROM deliveries WHERE issue_id = $1 AND sent_at IS NOT NULL",
            )
            .bind(issue_id)
            .fetch_one(pool)
            .await?)
        })
    }

    /// The earliest time a deferred delivery of the issue is due, if any.
    pub async fn next_due(&self, issue_id: i64) -> Result<Option<Timestamp>, StoreError> {
        on_pool!(self, |pool, _d| {
            Ok(sqlx::query_scalar(
                "SELECT MIN(next_attempt_at) FROM deliveries WHERE issue_id = $1 AND state IN ($2, $3)",
            )
            .bind(issue_id)
            .bind(DeliveryState::Pending.as_str())
            .bind(DeliveryState::Deferred.as_str())
            .fetch_one(pool)
            .await?)
        })
    }

    /// How many deliveries were sent since `since` (for `max_per_day`; survives restarts).
    pub async fn sent_since(&self, since: Timestamp) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, |pool, _d| {
            sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE sent_at >= $1")
                .bind(since)
                .fetch_one(pool)
                .await
        })?;
        Ok(n as u64)
    }

    /// An issue's deliveries, optionally only those in `state`, in the order they were made.
    pub async fn recipients(
        &self,
        issue_id: i64,
        state: Option<DeliveryState>,
    ) -> Result<Vec<RecipientRow>, StoreError> {
        let rows: Vec<(String, String, i64, Option<String>, Timestamp)> =
            on_pool!(self, |pool, _d| {
                sqlx::query_as(
                    "SELECT email, state, attempts, last_reply, updated_at FROM deliveries
                  WHERE issue_id = $1 AND (CAST($2 AS TEXT) IS NULL OR state = $2) ORDER BY id",
                )
                .bind(issue_id)
                .bind(state.map(DeliveryState::as_str))
                .fetch_all(pool)
                .await
            })?;
        Ok(rows
            .into_iter()
            .map(|(email, state, attempts, last_reply, updated_at)| {
                Ok(RecipientRow {
                    email,
                    state: DeliveryState::parse(&state)?,
                    attempts,
                    last_reply,
                    updated_at,
                })
            })
            .collect::<Result<_, super::DecodeError>>()?)
    }

    /// The address (as the ledger keys it) delivery `id` was for, if this ledger holds it: what
    /// a bounce's return path must be signed for.
    pub async fn delivery_recipient(&self, id: i64) -> Result<Option<String>, StoreError> {
        on_pool!(self, |pool, _d| {
            Ok(
                sqlx::query_scalar("SELECT email_key FROM deliveries WHERE id = $1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }
}
