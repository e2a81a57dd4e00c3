//! The PostgreSQL backend: one database shared by several daemons. Claims take rows with
//! `FOR UPDATE SKIP LOCKED`, so senders claiming at once never take the same delivery; the
//! relay's shared counters are upserts that serialise on their row; migrations run under
//! sqlx's advisory lock, so several processes starting on an empty database at once are safe.
//!
//! Every statement that changes several deliveries locks them in `id` order first, so two of
//! them (a sender recording its batch while its lease renewer or another daemon's lease
//! sweeper runs) wait for each other instead of deadlocking.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::{
    ArchiveEntry, Claimed, Counts, DeliveryState, IssueRow, IssueStatus, NewIssue, RecipientRow,
    Recorded, StoreError, Suppression, SuppressionHow,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Deliveries per INSERT when an issue is created: 8 parameters a row, well under
/// PostgreSQL's 65,535 parameters a statement.
const DELIVERY_CHUNK: usize = 4096;

/// The ledger on PostgreSQL. Its `Debug` shows no URL: the URL may carry a password.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

fn issue_row(r: &PgRow) -> IssueRow {
    IssueRow {
        id: r.get("id"),
        bulletin: r.get("bulletin"),
        date: r.get("issue_date"),
        kind: r.get("kind"),
        subject: r.get("subject"),
        rendered: r.get("rendered"),
        state: r.get("state"),
        paused_reason: r.get("paused_reason"),
        created_at: r.get("created_at"),
        retry_at: r.get("retry_at"),
        withdrawn: r.get::<Option<i64>, _>("withdrawn_at").is_some(),
    }
}

/// The state an outcome leaves a delivery in.
fn outcome_state(o: &Recorded) -> &'static str {
    match o {
        Recorded::Sent { .. } => "sent",
        Recorded::Deferred { .. } => "deferred",
        Recorded::Failed { .. } => "failed",
        Recorded::Expired { .. } => "expired",
        Recorded::Released => "pending",
    }
}

super::bounces::bounce_queries!(PgStore);
super::reach::reach_queries!(PgStore);

impl PgStore {
    /// Connect without migrating (for `check`, which only reads).
    pub async fn open_read_only(url: &str) -> Result<Self, StoreError> {
        let opts = PgConnectOptions::from_str(url)?.application_name("bulletin-check");
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(PgStore { pool })
    }

    /// Connect (up to 8 connections) and bring the schema up to date.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let opts = PgConnectOptions::from_str(url)?.application_name("bulletin");
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        // The migrator holds a PostgreSQL advisory lock while it works: a second process
        // starting at the same moment waits, then finds everything applied.
        MIGRATOR.run(&pool).await?;
        Ok(PgStore { pool })
    }

    pub async fn create_issue(
        &self,
        new: &NewIssue,
        now: i64,
    ) -> Result<(IssueRow, bool), StoreError> {
        let mut tx = self.pool.begin().await?;
        // A second creator of the same issue waits here on the unique key until the first
        // commits (then inserts nothing) or rolls back (then inserts it).
        let inserted = sqlx::query(
            "INSERT INTO issues (bulletin, issue_date, kind, subject, rendered, themes, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $7, $6, $6)
             ON CONFLICT (bulletin, issue_date, kind) DO NOTHING
             RETURNING id",
        )
        .bind(&new.bulletin)
        .bind(&new.date)
        .bind(&new.kind)
        .bind(&new.subject)
        .bind(&new.rendered)
        .bind(now)
        .bind(&new.themes)
        .fetch_optional(&mut *tx)
        .await?;
        let created = inserted.is_some();
        if let Some(row) = inserted {
            let issue_id: i64 = row.get(0);
            for chunk in new.deliveries.chunks(DELIVERY_CHUNK) {
                let mut qb = QueryBuilder::<Postgres>::new(
                    "INSERT INTO deliveries (issue_id, email, email_key, name, state, next_attempt_at, created_at, updated_at) ",
                );
                qb.push_values(chunk, |mut b, d| {
                    b.push_bind(issue_id)
                        .push_bind(&d.email)
                        .push_bind(&d.email_key)
                        .push_bind(&d.name)
                        .push_bind(if d.suppressed {
                            "suppressed"
                        } else {
                            "pending"
                        })
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind(now);
                });
                qb.push(" ON CONFLICT (issue_id, email_key) DO NOTHING");
                qb.build().execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO events (at, issue_id, kind, detail) VALUES ($1, $2, 'created', $3)",
            )
            .bind(now)
            .bind(issue_id)
            .bind(format!("{} deliveries", new.deliveries.len()))
            .execute(&mut *tx)
            .await?;
        }
        let row = sqlx::query(
            "SELECT * FROM issues WHERE bulletin = $1 AND issue_date = $2 AND kind = $3",
        )
        .bind(&new.bulletin)
        .bind(&new.date)
        .bind(&new.kind)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((issue_row(&row), created))
    }

    pub async fn find_issue(
        &self,
        bulletin: &str,
        date: &str,
        kind: &str,
    ) -> Result<Option<IssueRow>, StoreError> {
        let row = sqlx::query(
            "SELECT * FROM issues WHERE bulletin = $1 AND issue_date = $2 AND kind = $3",
        )
        .bind(bulletin)
        .bind(date)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(issue_row))
    }

    pub async fn apply_suppressions(
        &self,
        issue_id: i64,
        bulletin: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE deliveries SET state = 'suppressed', updated_at = $3
             WHERE state IN ('pending', 'deferred')
               AND id IN (SELECT id FROM deliveries
                           WHERE issue_id = $1 AND state IN ('pending', 'deferred')
                             AND email_key IN (SELECT email_key FROM suppressions
                                                WHERE scope = '*' OR scope = 'bulletin:' || $2::text)
                           ORDER BY id FOR UPDATE)",
        )
        .bind(issue_id)
        .bind(bulletin)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    pub async fn claim(
        &self,
        issue_id: i64,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Claimed>, StoreError> {
        // SKIP LOCKED: rows another sender is claiming right now are passed over, not waited
        // for, so concurrent claimers get disjoint batches.
        let rows = sqlx::query(
            "UPDATE deliveries
                SET state = 'in_flight', lease_owner = $1, lease_until = $2,
                    attempts = attempts + 1, updated_at = $3
              WHERE id IN (SELECT id FROM deliveries
                            WHERE issue_id = $4 AND state IN ('pending', 'deferred')
                              AND next_attempt_at <= $3
                            ORDER BY id LIMIT $5
                            FOR UPDATE SKIP LOCKED)
            RETURNING id, issue_id, email, name, attempts",
        )
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .bind(issue_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<Claimed> = rows
            .iter()
            .map(|r| Claimed {
                id: r.get("id"),
                issue_id: r.get("issue_id"),
                email: r.get("email"),
                name: r.get("name"),
                attempts: r.get("attempts"),
            })
            .collect();
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    pub async fn record(
        &self,
        outcomes: &[(i64, Recorded)],
        owner: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        // One row per delivery, the first outcome of an id winning (as when they are applied
        // one by one: the first leaves the delivery no longer in flight).
        let mut seen = std::collections::HashSet::new();
        let mut ids = Vec::with_capacity(outcomes.len());
        let mut states = Vec::with_capacity(outcomes.len());
        let mut replies: Vec<Option<&str>> = Vec::with_capacity(outcomes.len());
        let mut retries: Vec<Option<i64>> = Vec::with_capacity(outcomes.len());
        for (id, o) in outcomes {
            if !seen.insert(*id) {
                continue;
            }
            ids.push(*id);
            states.push(outcome_state(o));
            let (reply, retry) = match o {
                Recorded::Sent { reply } | Recorded::Failed { reply } => (Some(reply), None),
                Recorded::Expired { reply } => (Some(reply), None),
                Recorded::Deferred { reply, retry_at } => (Some(reply), Some(*retry_at)),
                Recorded::Released => (None, None),
            };
            replies.push(reply.map(String::as_str));
            retries.push(retry);
        }
        let mut tx = self.pool.begin().await?;
        // Lock in id order (see the module's note on deadlocks), then change only the rows
        // this sender still holds.
        let mut locked = ids.clone();
        locked.sort_unstable();
        sqlx::query(
            "SELECT id FROM deliveries
              WHERE id = ANY($1) AND state = 'in_flight'
                AND substr(lease_owner, 1, length($2::text)) = $2::text
              ORDER BY id FOR UPDATE",
        )
        .bind(&locked)
        .bind(owner)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE deliveries d SET
                    state = u.state,
                    sent_at = CASE WHEN u.state = 'sent' THEN $1 ELSE d.sent_at END,
                    next_attempt_at = CASE WHEN u.state = 'deferred' THEN u.retry_at ELSE d.next_attempt_at END,
                    last_reply = CASE WHEN u.state = 'pending' THEN d.last_reply ELSE u.reply END,
                    attempts = CASE WHEN u.state = 'pending' THEN GREATEST(d.attempts - 1, 0) ELSE d.attempts END,
                    lease_owner = NULL, lease_until = NULL, updated_at = $1
               FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::bigint[]) AS u (id, state, reply, retry_at)
              WHERE d.id = u.id AND d.state = 'in_flight'
                AND substr(d.lease_owner, 1, length($6::text)) = $6::text",
        )
        .bind(now)
        .bind(&ids)
        .bind(&states)
        .bind(&replies)
        .bind(&retries)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        let (failed_ids, failed_replies): (Vec<i64>, Vec<&str>) = outcomes
            .iter()
            .filter_map(|(id, o)| match o {
                Recorded::Failed { reply } => Some((*id, reply.as_str())),
                _ => None,
            })
            .unzip();
        if !failed_ids.is_empty() {
            sqlx::query(
                "INSERT INTO events (at, issue_id, delivery_id, kind, detail)
                 SELECT $1, d.issue_id, d.id, 'failed', u.reply
                   FROM UNNEST($2::bigint[], $3::text[]) WITH ORDINALITY AS u (id, reply, n)
                   JOIN deliveries d ON d.id = u.id
                  ORDER BY u.n",
            )
            .bind(now)
            .bind(&failed_ids)
            .bind(&failed_replies)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn renew_leases(&self, owner: &str, until: i64, now: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE deliveries SET lease_until = $2, updated_at = $3
             WHERE state = 'in_flight' AND substr(lease_owner, 1, length($1::text)) = $1::text
               AND id IN (SELECT id FROM deliveries
                           WHERE state = 'in_flight'
                             AND substr(lease_owner, 1, length($1::text)) = $1::text
                           ORDER BY id FOR UPDATE)",
        )
        .bind(owner)
        .bind(until)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    pub async fn reserve_daily(&self, day: &str, limit: u32, want: u32) -> Result<u32, StoreError> {
        let key = format!("day:{day}");
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO counters (key, value) VALUES ($1, 0) ON CONFLICT (key) DO NOTHING",
        )
        .bind(&key)
        .execute(&mut *tx)
        .await?;
        // The row lock serialises reservers of the day until this transaction ends.
        let used: i64 = sqlx::query("SELECT value FROM counters WHERE key = $1 FOR UPDATE")
            .bind(&key)
            .fetch_one(&mut *tx)
            .await?
            .get(0);
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
    }

    pub async fn return_daily(&self, day: &str, n: u32) -> Result<(), StoreError> {
        sqlx::query("UPDATE counters SET value = GREATEST(value - $2, 0) WHERE key = $1")
            .bind(format!("day:{day}"))
            .bind(i64::from(n))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn reserve_slots(
        &self,
        now_ms: i64,
        interval_ms: i64,
        k: u32,
    ) -> Result<i64, StoreError> {
        // One statement: ON CONFLICT DO UPDATE locks the row and works on its latest version,
        // so concurrent reservers get consecutive, disjoint runs of slots.
        let row = sqlx::query(
            "INSERT INTO counters (key, value) VALUES ('pace', $1 + $2 * $3)
             ON CONFLICT (key) DO UPDATE SET value = GREATEST(counters.value, $1) + $2 * $3
             RETURNING value - $2 * $3",
        )
        .bind(now_ms)
        .bind(interval_ms)
        .bind(i64::from(k))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get(0))
    }

    pub async fn release_expired_leases(&self, now: i64, all: bool) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE deliveries SET state = 'pending', lease_owner = NULL, lease_until = NULL, updated_at = $1
             WHERE state = 'in_flight'
               AND id IN (SELECT id FROM deliveries
                           WHERE state = 'in_flight' AND ($2::boolean OR lease_until < $1)
                           ORDER BY id FOR UPDATE)",
        )
        .bind(now)
        .bind(all)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    pub async fn expire_stale(&self, created_before: i64, now: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE deliveries SET state = 'expired', updated_at = $2,
                    last_reply = COALESCE(last_reply, 'not attempted') || ' (expired: the issue is too old to send)'
             WHERE state IN ('pending', 'deferred')
               AND id IN (SELECT id FROM deliveries
                           WHERE state IN ('pending', 'deferred')
                             AND issue_id IN (SELECT id FROM issues WHERE created_at < $1)
                           ORDER BY id FOR UPDATE)",
        )
        .bind(created_before)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    pub async fn counts(&self, issue_id: i64) -> Result<Counts, StoreError> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) AS n FROM deliveries WHERE issue_id = $1 GROUP BY state",
        )
        .bind(issue_id)
        .fetch_all(&self.pool)
        .await?;
        let mut c = Counts::default();
        for r in rows {
            let state: String = r.get("state");
            let n: i64 = r.get("n");
            if let Some(s) = DeliveryState::parse(&state) {
                c.add(s, n as u64);
            }
        }
        Ok(c)
    }

    pub async fn next_due(&self, issue_id: i64) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(next_attempt_at) FROM deliveries WHERE issue_id = $1 AND state IN ('pending', 'deferred')",
        )
        .bind(issue_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get::<Option<i64>, _>(0))
    }

    pub async fn set_issue_state(
        &self,
        issue_id: i64,
        state: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // A cancelled issue stays cancelled (a sender finishing its last batch would otherwise
        // mark it done).
        let changed = sqlx::query(
            "UPDATE issues SET state = $2, paused_reason = $3, updated_at = $4 WHERE id = $1 AND state <> 'cancelled'",
        )
        .bind(issue_id)
        .bind(state)
        .bind(reason)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.commit().await?;
            return Ok(());
        }
        sqlx::query("INSERT INTO events (at, issue_id, kind, detail) VALUES ($1, $2, $3, $4)")
            .bind(now)
            .bind(issue_id)
            .bind(state)
            .bind(reason.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn pause_issue(
        &self,
        issue_id: i64,
        reason: &str,
        backoff: crate::delivery::Backoff,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        // SET expressions see the row as it was: the delay follows the pauses before this one.
        let row = sqlx::query(
            "UPDATE issues SET state = 'paused', paused_reason = $2, updated_at = $3,
                    pauses = pauses + 1,
                    retry_at = $3 + LEAST($4 * (CAST(1 AS BIGINT) << CAST(LEAST(pauses, 20) AS INTEGER)), $5)
              WHERE id = $1
          RETURNING retry_at",
        )
        .bind(issue_id)
        .bind(reason)
        .bind(now)
        .bind(backoff.first_secs)
        .bind(backoff.max_secs)
        .fetch_one(&mut *tx)
        .await?;
        let retry_at: i64 = row.get(0);
        sqlx::query(
            "INSERT INTO events (at, issue_id, kind, detail) VALUES ($1, $2, 'paused', $3)",
        )
        .bind(now)
        .bind(issue_id)
        .bind(format!("{reason} (retry in {} s)", retry_at - now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(retry_at)
    }

    pub async fn clear_pauses(&self, issue_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE issues SET pauses = 0, retry_at = NULL WHERE id = $1 AND pauses > 0")
            .bind(issue_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn sent_since(&self, since: i64) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM deliveries WHERE sent_at >= $1")
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get::<i64, _>(0) as u64)
    }

    pub async fn status(&self) -> Result<Vec<IssueStatus>, StoreError> {
        // Byte order ("C"), as SQLite sorts, whatever the database's collation.
        let issues = sqlx::query(
            r#"SELECT * FROM issues ORDER BY issue_date COLLATE "C", bulletin COLLATE "C", kind COLLATE "C""#,
        )
        .fetch_all(&self.pool)
        .await?;
        let rows = sqlx::query(
            "SELECT issue_id, state, COUNT(*) AS n FROM deliveries GROUP BY issue_id, state",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut counts: HashMap<i64, Counts> = HashMap::new();
        for r in rows {
            let state: String = r.get("state");
            let n: i64 = r.get("n");
            if let Some(s) = DeliveryState::parse(&state) {
                counts
                    .entry(r.get("issue_id"))
                    .or_default()
                    .add(s, n as u64);
            }
        }
        Ok(issues
            .iter()
            .map(|r| {
                let i = issue_row(r);
                IssueStatus {
                    deliveries: counts.remove(&i.id).unwrap_or_default(),
                    bulletin: i.bulletin,
                    date: i.date,
                    kind: i.kind,
                    issue: i.id,
                    retry_at: i.retry_at.filter(|_| i.state == "paused"),
                    state: i.state,
                    paused_reason: i.paused_reason,
                    withdrawn: i.withdrawn,
                    awaiting_approval: false,
                }
            })
            .collect())
    }

    pub async fn suppress(
        &self,
        email_key: &str,
        scope: &str,
        reason: Option<&str>,
        how: SuppressionHow,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(
            "INSERT INTO suppressions (email_key, scope, reason, created_at, how) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (email_key, scope) DO NOTHING",
        )
        .bind(email_key)
        .bind(scope)
        .bind(reason)
        .bind(now)
        .bind(how.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO events (at, kind, detail) VALUES ($1, 'suppressed', $2)")
            .bind(now)
            .bind(format!("{scope}: {}", reason.unwrap_or("")))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn unsuppress(
        &self,
        email_key: &str,
        scope: Option<&str>,
        now: i64,
    ) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "DELETE FROM suppressions WHERE email_key = $1 AND ($2::text IS NULL OR scope = $2::text)",
        )
        .bind(email_key)
        .bind(scope)
        .execute(&self.pool)
        .await?;
        sqlx::query("INSERT INTO events (at, kind, detail) VALUES ($1, 'unsuppressed', $2)")
            .bind(now)
            .bind(scope.unwrap_or("*"))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    pub async fn suppressions(&self) -> Result<Vec<Suppression>, StoreError> {
        let rows = sqlx::query(
            r#"SELECT * FROM suppressions ORDER BY email_key COLLATE "C", scope COLLATE "C""#,
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Suppression {
                email_key: r.get("email_key"),
                scope: r.get("scope"),
                reason: r.get("reason"),
                created_at: r.get("created_at"),
                how: SuppressionHow::parse(r.get::<Option<String>, _>("how").as_deref()),
            })
            .collect())
    }

    pub async fn log_event(
        &self,
        issue_id: Option<i64>,
        delivery_id: Option<i64>,
        kind: &str,
        detail: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO events (at, issue_id, delivery_id, kind, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(now)
            .bind(issue_id)
            .bind(delivery_id)
            .bind(kind)
            .bind(detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn events(&self, issue_id: i64) -> Result<Vec<(i64, String, String)>, StoreError> {
        let rows = sqlx::query("SELECT at, kind, COALESCE(detail, '') AS detail FROM events WHERE issue_id = $1 ORDER BY id")
            .bind(issue_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("at"), r.get("kind"), r.get("detail")))
            .collect())
    }

    pub async fn record_fire(
        &self,
        job: &str,
        due_at: i64,
        for_date: &str,
        state: &str,
        detail: &str,
        now: i64,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO fires (job, due_at, for_date, state, detail, handled_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (job, due_at) DO UPDATE SET state = excluded.state, detail = excluded.detail,
                 handled_at = excluded.handled_at
             WHERE fires.state = 'held'",
        )
        .bind(job)
        .bind(due_at)
        .bind(for_date)
        .bind(state)
        .bind(detail)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(self.fire_state(job, due_at).await?.unwrap_or_default())
    }

    pub async fn fire_state(&self, job: &str, due_at: i64) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT state FROM fires WHERE job = $1 AND due_at = $2")
            .bind(job)
            .bind(due_at)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn held_fires(&self) -> Result<Vec<(String, i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT job, due_at, for_date FROM fires WHERE state = 'held' ORDER BY due_at",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    pub async fn approve(
        &self,
        bulletin: &str,
        date: &str,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "INSERT INTO approvals (bulletin, issue_date, approved_by, approved_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (bulletin, issue_date) DO NOTHING",
        )
        .bind(bulletin)
        .bind(date)
        .bind(by)
        .bind(now)
        .execute(&self.pool)
        .await?;
        sqlx::query("INSERT INTO events (at, kind, detail) VALUES ($1, 'approved', $2)")
            .bind(now)
            .bind(format!("{bulletin} {date} by {by}"))
            .execute(&self.pool)
            .await?;
        // Daemons poll this one row to notice approvals within seconds.
        sqlx::query(
            "INSERT INTO counters (key, value) VALUES ($1, 1)
             ON CONFLICT (key) DO UPDATE SET value = counters.value + 1",
        )
        .bind(super::APPROVALS_COUNTER)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn approval(
        &self,
        bulletin: &str,
        date: &str,
    ) -> Result<Option<(String, i64)>, StoreError> {
        let row = sqlx::query("SELECT approved_by, approved_at FROM approvals WHERE bulletin = $1 AND issue_date = $2")
            .bind(bulletin)
            .bind(date)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    pub async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM daemon_state WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn set_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO daemon_state (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn issues_due(&self, now: i64) -> Result<Vec<IssueRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM issues i
              WHERE (i.state = 'sending' OR (i.state = 'paused' AND COALESCE(i.retry_at, 0) <= $1))
                AND EXISTS (
                SELECT 1 FROM deliveries d WHERE d.issue_id = i.id
                  AND d.state IN ('pending', 'deferred') AND d.next_attempt_at <= $1)
             ORDER BY i.id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(issue_row).collect())
    }

    pub async fn earliest_due(&self) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN d.state = 'in_flight' THEN d.lease_until ELSE d.next_attempt_at END)
               FROM deliveries d JOIN issues i ON i.id = d.issue_id
              WHERE i.state = 'sending' AND d.state IN ('pending', 'deferred', 'in_flight')",
        )
        .fetch_one(&self.pool)
        .await?;
        let deliveries = row.get::<Option<i64>, _>(0);
        let paused = sqlx::query(
            "SELECT MIN(GREATEST(COALESCE(i.retry_at, 0), d.next_attempt_at))
               FROM deliveries d JOIN issues i ON i.id = d.issue_id
              WHERE i.state = 'paused' AND d.state IN ('pending', 'deferred')",
        )
        .fetch_one(&self.pool)
        .await?
        .get::<Option<i64>, _>(0);
        Ok(deliveries.into_iter().chain(paused).min())
    }

    pub async fn archive(&self) -> Result<Vec<ArchiveEntry>, StoreError> {
        let rows = sqlx::query(
            r#"SELECT i.id, i.bulletin, i.issue_date, i.subject, i.themes, MIN(d.sent_at) AS first_sent
                 FROM issues i JOIN deliveries d ON d.issue_id = i.id AND d.sent_at IS NOT NULL
                WHERE i.kind = 'issue' AND i.withdrawn_at IS NULL
                GROUP BY i.id ORDER BY i.issue_date COLLATE "C" DESC, i.bulletin COLLATE "C""#,
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ArchiveEntry {
                id: r.get("id"),
                bulletin: r.get("bulletin"),
                date: r.get("issue_date"),
                subject: r.get("subject"),
                first_sent: r.get("first_sent"),
                themes: r.get("themes"),
            })
            .collect())
    }

    pub async fn recipients(
        &self,
        issue_id: i64,
        state: Option<DeliveryState>,
    ) -> Result<Vec<RecipientRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT email, state, attempts, last_reply, updated_at FROM deliveries
              WHERE issue_id = $1 AND ($2::text IS NULL OR state = $2) ORDER BY id",
        )
        .bind(issue_id)
        .bind(state.map(DeliveryState::as_str))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(RecipientRow {
                    email: r.get("email"),
                    state: DeliveryState::parse(&r.get::<String, _>("state"))?,
                    attempts: r.get("attempts"),
                    last_reply: r.get("last_reply"),
                    updated_at: r.get("updated_at"),
                })
            })
            .collect())
    }

    pub async fn issue_by_id(&self, issue_id: i64) -> Result<Option<IssueRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM issues WHERE id = $1")
            .bind(issue_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(issue_row))
    }

    pub async fn cancel_issue(&self, issue_id: i64, by: &str, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE deliveries SET state = 'cancelled', lease_owner = NULL, lease_until = NULL, updated_at = $2
              WHERE id IN (SELECT id FROM deliveries
                            WHERE issue_id = $1 AND state IN ('pending', 'deferred') ORDER BY id FOR UPDATE)",
        )
        .bind(issue_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE issues SET state = 'cancelled', paused_reason = NULL, updated_at = $2 WHERE id = $1",
        )
        .bind(issue_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO events (at, issue_id, kind, detail) VALUES ($1, $2, 'cancelled', $3)",
        )
        .bind(now)
        .bind(issue_id)
        .bind(format!("{n} waiting deliveries cancelled by {by}"))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    pub async fn withdraw_issue(
        &self,
        issue_id: i64,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE issues SET withdrawn_at = $2, updated_at = $2 WHERE id = $1 AND withdrawn_at IS NULL",
        )
        .bind(issue_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n > 0 {
            sqlx::query(
                "INSERT INTO events (at, issue_id, kind, detail) VALUES ($1, $2, 'withdrawn', $3)",
            )
            .bind(now)
            .bind(issue_id)
            .bind(format!("taken off the archive and feed by {by}"))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    pub async fn counter(&self, key: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT value FROM counters WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn debug_never_shows_the_url() {
        let opts = PgConnectOptions::from_str(
            "postgres://mailer:hunter2-very-secret@db.internal.example:5432/ledger",
        )
        .unwrap();
        let store = PgStore {
            pool: PgPoolOptions::new().connect_lazy_with(opts),
        };
        let shown = format!("{store:?}");
        assert_eq!(shown, "PgStore { connections: 0, .. }");
        let shown = format!("{:?}", crate::store::Store::Postgres(store));
        for leak in ["hunter2", "mailer", "db.internal", "ledger"] {
            assert!(!shown.contains(leak), "{shown}");
        }
    }
}
