//! The daemon's memory in the ledger, the same SQL on both backends: what it did with each
//! scheduled fire, approvals, small named state, and the shared counters that hold the relay's
//! limits across restarts and instances.

use crate::timestamp::Timestamp;
use chrono::NaiveDate;

use super::vocab::{DecodeError, date_text, parse_date};
use super::{
    Approval, CancelledFire, FireState, HeldFire, Store, StoreError, audit, on_pool, on_write, wake,
};

/// How `bulletin cancel` marks the fire it skips, so a cancellation is told apart from a fire
/// skipped for another reason (a missed catch-up) and can be undone.
pub const CANCELLED_BY: &str = "cancelled by ";
use crate::ids::BulletinId;
use crate::schedule::jobs::Job;

/// A fire's job and issue date as stored (no date: empty text).
fn fire_key(job: String, for_date: &str) -> Result<(Job, Option<NaiveDate>), DecodeError> {
    let job = job.parse().map_err(|_| DecodeError {
        what: "a job name",
        value: job,
    })?;
    let for_date = match for_date {
        "" => None,
        d => Some(parse_date(d)?),
    };
    Ok((job, for_date))
}

impl Store {
    /// Record what was done with a job's fire (idempotent: the first record of a fire wins,
    /// except that `held` may later become `done` or `skipped`). Returns the state now stored.
    pub async fn record_fire(
        &self,
        job: &Job,
        due_at: Timestamp,
        for_date: Option<NaiveDate>,
        state: FireState,
        detail: &str,
        now: Timestamp,
    ) -> Result<FireState, StoreError> {
        on_write!(self, |pool, _d| {
            sqlx::query(
                "INSERT INTO fires (job, due_at, for_date, state, detail, handled_at) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (job, due_at) DO UPDATE SET state = excluded.state, detail = excluded.detail,
                     handled_at = excluded.handled_at
                 WHERE fires.state = $7",
            )
            .bind(job.to_string())
            .bind(due_at)
            .bind(for_date.map(date_text).unwrap_or_default())
            .bind(state.as_str())
            .bind(detail)
            .bind(now)
            .bind(FireState::Held.as_str())
            .execute(pool)
            .await?;
            Ok::<_, StoreError>(())
        })?;
        // The row exists now, whoever wrote it.
        Ok(self.fire_state(job, due_at).await?.unwrap_or(state))
    }

    /// The state of a job's fire, if it was handled.
    pub async fn fire_state(
        &self,
        job: &Job,
        due_at: Timestamp,
    ) -> Result<Option<FireState>, StoreError> {
        let state: Option<String> = on_pool!(self, |pool, _d| {
            sqlx::query_scalar("SELECT state FROM fires WHERE job = $1 AND due_at = $2")
                .bind(job.to_string())
                .bind(due_at)
                .fetch_optional(pool)
                .await
        })?;
        Ok(state.as_deref().map(FireState::parse).transpose()?)
    }

    /// The issues cancelled before they were created, by due time: what `status` and
    /// `schedule` show as cancelled, and what `uncancel` may restore.
    pub async fn cancelled_fires(&self) -> Result<Vec<CancelledFire>, StoreError> {
        let rows: Vec<(String, Timestamp, String, String, Timestamp)> =
            on_pool!(self, |pool, _d| {
                sqlx::query_as(
                    "SELECT job, due_at, for_date, detail, handled_at FROM fires
                  WHERE state = $1 AND detail LIKE 'cancelled by %' ORDER BY due_at",
                )
                .bind(FireState::Skipped.as_str())
                .fetch_all(pool)
                .await
            })?;
        Ok(rows
            .into_iter()
            .map(|(job, due_at, for_date, detail, at)| {
                let (job, for_date) = fire_key(job, &for_date)?;
                Ok(CancelledFire {
                    job,
                    due_at,
                    for_date,
                    by: detail
                        .strip_prefix(CANCELLED_BY)
                        .unwrap_or(&detail)
                        .to_string(),
                    at,
                })
            })
            .collect::<Result<_, DecodeError>>()?)
    }

    /// Undo `bulletin cancel` of an issue not created yet: forget its skipped fire, so the
    /// daemon fires it when it comes, and audit who did. `false` when it was not cancelled.
    pub async fn uncancel_fire(
        &self,
        job: &Job,
        due_at: Timestamp,
        by: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        on_pool!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let n = sqlx::query(
                "DELETE FROM fires WHERE job = $1 AND due_at = $2 AND state = $3
                   AND detail LIKE 'cancelled by %'",
            )
            .bind(job.to_string())
            .bind(due_at)
            .bind(FireState::Skipped.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                audit!(
                    tx,
                    now,
                    None,
                    "uncancelled",
                    format!("{job} due at {due_at}: restored by {by}")
                )?;
            }
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    /// Fires waiting for approval, oldest first.
    pub async fn held_fires(&self) -> Result<Vec<HeldFire>, StoreError> {
        let rows: Vec<(String, Timestamp, String)> = on_pool!(self, |pool, _d| {
            sqlx::query_as(
                "SELECT job, due_at, for_date FROM fires WHERE state = $1 ORDER BY due_at",
            )
            .bind(FireState::Held.as_str())
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(job, due_at, for_date)| {
                let (job, for_date) = fire_key(job, &for_date)?;
                Ok(HeldFire {
                    job,
                    due_at,
                    for_date,
                })
            })
            .collect::<Result<_, DecodeError>>()?)
    }

    /// Approve an issue: the approval, its audit row and the counter the daemons watch, in one
    /// transaction. `false` when it was approved already.
    pub async fn approve(
        &self,
        bulletin: &BulletinId,
        date: NaiveDate,
        by: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let r = sqlx::query(
                "INSERT INTO approvals (bulletin, issue_date, approved_by, approved_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (bulletin, issue_date) DO NOTHING",
            )
            .bind(bulletin.as_str())
            .bind(date_text(date))
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit!(
                tx,
                now,
                None,
                "approved",
                format!("{bulletin} {date} by {by}")
            )?;
            // Daemons poll this one row to notice approvals within seconds.
            wake!(tx)?;
            tx.commit().await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Who approved the issue, and when.
    pub async fn approval(
        &self,
        bulletin: &BulletinId,
        date: NaiveDate,
    ) -> Result<Option<Approval>, StoreError> {
        on_pool!(self, |pool, _d| {
            Ok(sqlx::query_as(
                "SELECT approved_by, approved_at FROM approvals WHERE bulletin = $1 AND issue_date = $2",
            )
            .bind(bulletin.as_str())
            .bind(date_text(date))
            .fetch_optional(pool)
            .await?)
        })
    }

    pub async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        on_pool!(self, |pool, _d| {
            Ok(
                sqlx::query_scalar("SELECT value FROM daemon_state WHERE key = $1")
                    .bind(key)
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }

    pub async fn set_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        on_write!(self, |pool, _d| {
            sqlx::query(
                "INSERT INTO daemon_state (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The next number of the sequence `key` (1, 2, …): one statement, so no two callers, in
    /// this process or another sharing the database, are ever handed the same number.
    pub async fn next_in_sequence(&self, key: &str) -> Result<i64, StoreError> {
        on_write!(self, |pool, _d| {
            Ok(sqlx::query_scalar(
                "INSERT INTO counters (key, value) VALUES ($1, 1)
                 ON CONFLICT (key) DO UPDATE SET value = counters.value + 1
                 RETURNING value",
            )
            .bind(key)
            .fetch_one(pool)
            .await?)
        })
    }

    /// Set `key` to `value` unless it has a value already; the value it has now, whoever set
    /// it (several processes starting at once agree on the first).
    pub async fn init_state(&self, key: &str, value: &str) -> Result<String, StoreError> {
        on_write!(self, |pool, _d| {
            sqlx::query(
                "INSERT INTO daemon_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(value)
            .execute(pool)
            .await?;
            Ok(
                sqlx::query_scalar("SELECT value FROM daemon_state WHERE key = $1")
                    .bind(key)
                    .fetch_one(pool)
                    .await?,
            )
        })
    }

    /// A shared counter's value (0 when never set).
    pub async fn counter(&self, key: &str) -> Result<i64, StoreError> {
        on_pool!(self, |pool, _d| {
            let v: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?;
            Ok(v.unwrap_or(0))
        })
    }

    /// Reserve up to `want` of the day's `limit` attempts under `day` (shared by every sender
    /// of the database); returns how many were granted.
    pub async fn reserve_daily(&self, day: &str, limit: u32, want: u32) -> Result<u32, StoreError> {
        let key = format!("day:{day}");
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            sqlx::query(
                "INSERT INTO counters (key, value) VALUES ($1, 0) ON CONFLICT (key) DO NOTHING",
            )
            .bind(&key)
            .execute(&mut *tx)
            .await?;
            // The row lock (PostgreSQL; SQLite's write lock) serialises reservers of the day
            // until this transaction ends.
            let used: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT value FROM counters WHERE key = $1{}",
                d.lock_row
            )))
            .bind(&key)
            .fetch_one(&mut *tx)
            .await?;
            let granted = (i64::from(limit) - used).clamp(0, i64::from(want));
            if granted > 0 {
                sqlx::query("UPDATE counters SET value = value + $2 WHERE key = $1")
                    .bind(&key)
                    .bind(granted)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(granted as u32)
        })
    }

    /// How many of the day's attempts are reserved (made, or being made) under `day`.
    pub async fn daily_used(&self, day: &str) -> Result<u32, StoreError> {
        let used = self.counter(&format!("day:{day}")).await?;
        Ok(u32::try_from(used.max(0)).unwrap_or(u32::MAX))
    }

    /// Give back reserved attempts that were not made.
    pub async fn return_daily(&self, day: &str, n: u32) -> Result<(), StoreError> {
        on_write!(self, |pool, d| {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE counters SET value = {}(value - $2, 0) WHERE key = $1",
                d.greatest
            )))
            .bind(format!("day:{day}"))
            .bind(i64::from(n))
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Reserve `k` send slots `interval_ms` apart, shared by every sender of the database, none
    /// before `now_ms`; returns the first slot (milliseconds).
    pub async fn reserve_slots(
        &self,
        now_ms: i64,
        interval_ms: i64,
        k: u32,
    ) -> Result<i64, StoreError> {
        on_write!(self, |pool, d| {
            // One statement: ON CONFLICT DO UPDATE locks the row and works on its latest
            // version, so concurrent reservers get consecutive, disjoint runs of slots.
            Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "INSERT INTO counters (key, value) VALUES ('pace', $1 + $2 * $3)
                 ON CONFLICT (key) DO UPDATE SET value = {}(counters.value, $1) + $2 * $3
                 RETURNING value - $2 * $3",
                d.greatest
            )))
            .bind(now_ms)
            .bind(interval_ms)
            .bind(i64::from(k))
            .fetch_one(pool)
            .await?)
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, |pool, _d| {
            sqlx::query("SELECT 1").execute(pool).await?;
            Ok(())
        })
    }
}
