//! The SQLite backend: WAL, a busy timeout, and batched commits. WAL with `synchronous = NORMAL`
//! keeps every committed transaction through a crash of the process (kill -9); only a power
//! failure can lose the last few, which the daemon's leases then resend.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, SqlitePool};

use super::{
    Claimed, Counts, DeliveryState, IssueRow, IssueStatus, NewIssue, RecipientRow, Recorded,
    StoreError, Suppression, SuppressionHow,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    pub path: std::path::PathBuf,
}

fn issue_row(r: &sqlx::sqlite::SqliteRow) -> IssueRow {
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

/// The database and its WAL and shared-memory files, readable by this user only. SQLite creates
/// `-wal` and `-shm` with the database file's mode, so a database created (or tightened) 0600
/// before SQLite opens it keeps all three private whatever the umask.
fn private_files(path: &Path) -> Result<(), StoreError> {
    let io = |e| StoreError::Folder(path.to_path_buf(), e);
    if !path.exists() {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(f) => f
                .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(
                    crate::private::FILE_MODE,
                ))
                .map_err(io)?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        crate::private::tighten(Path::new(&format!("{}{suffix}", path.display()))).map_err(io)?;
    }
    Ok(())
}
super::bounces::bounce_queries!(SqliteStore);
super::reach::reach_queries!(SqliteStore);

impl SqliteStore {
    /// Open an existing file for reading only: no migration, no WAL switch, nothing written
    /// (for `check`, which must not change the ledger).
    pub async fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
        })
    }

    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private::create_dir_all(dir)
                .map_err(|e| StoreError::Folder(dir.to_path_buf(), e))?;
        }
        let expect = super::identity::before_open(path)?;
        private_files(path)?;
        let opts = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        super::identity::before_migrating(&pool, path, &expect).await?;
        MIGRATOR.run(&pool).await?;
        super::identity::settle(&pool, path, expect).await?;
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
        })
    }

    pub async fn create_issue(
        &self,
        new: &NewIssue,
        now: i64,
    ) -> Result<(IssueRow, bool), StoreError> {
        let mut tx = self.pool.begin().await?;
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
            for chunk in new.deliveries.chunks(500) {
                let mut qb = QueryBuilder::new(
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
             WHERE issue_id = $1 AND state IN ('pending', 'deferred')
               AND email_key IN (SELECT email_key FROM suppressions WHERE scope = '*' OR scope = 'bulletin:' || $2)",
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
        let rows = sqlx::query(
            "UPDATE deliveries
                SET state = 'in_flight', lease_owner = $1, lease_until = $2,
                    attempts = attempts + 1, updated_at = $3
              WHERE id IN (SELECT id FROM deliveries
                            WHERE issue_id = $4 AND state IN ('pending', 'deferred')
                              AND next_attempt_at <= $3
                            ORDER BY id LIMIT $5)
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
        // Only rows this sender still holds: $1 id, $2 now, $3 owner, $4 reply, $5 retry time.
        const HELD: &str =
            "id = $1 AND state = 'in_flight' AND substr(lease_owner, 1, length($3)) = $3";
        let mut tx = self.pool.begin().await?;
        for (id, o) in outcomes {
            let (sql, reply, retry) = match o {
                Recorded::Sent { reply } => (
                    format!(
                        "UPDATE deliveries SET state = 'sent', sent_at = $2, last_reply = $4, lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE {HELD}"
                    ),
                    Some(reply),
                    None,
                ),
                Recorded::Deferred { reply, retry_at } => (
                    format!(
                        "UPDATE deliveries SET state = 'deferred', next_attempt_at = $5, last_reply = $4, lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE {HELD}"
                    ),
                    Some(reply),
                    Some(*retry_at),
                ),
                Recorded::Failed { reply } => (
                    format!(
                        "UPDATE deliveries SET state = 'failed', last_reply = $4, lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE {HELD}"
                    ),
                    Some(reply),
                    None,
                ),
                Recorded::Expired { reply } => (
                    format!(
                        "UPDATE deliveries SET state = 'expired', last_reply = $4, lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE {HELD}"
                    ),
                    Some(reply),
                    None,
                ),
                Recorded::Released => (
                    format!(
                        "UPDATE deliveries SET state = 'pending', attempts = MAX(attempts - 1, 0), lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE {HELD}"
                    ),
                    None,
                    None,
                ),
            };
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(now)
                .bind(owner);
            if let Some(r) = reply {
                q = q.bind(r);
            }
            if let Some(t) = retry {
                q = q.bind(t);
            }
            q.execute(&mut *tx).await?;
            if let Recorded::Failed { reply } = o {
                sqlx::query(
                    "INSERT INTO events (at, issue_id, delivery_id, kind, detail)
                     SELECT $1, issue_id, id, 'failed', $3 FROM deliveries WHERE id = $2",
                )
                .bind(now)
                .bind(id)
                .bind(reply)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn renew_leases(&self, owner: &str, until: i64, now: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE deliveries SET lease_until = $2, updated_at = $3
             WHERE state = 'in_flight' AND substr(lease_owner, 1, length($1)) = $1",
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
        let used: i64 = sqlx::query("SELECT value FROM counters WHERE key = $1")
            .bind(&key)
            .fetch_one(&mut *tx)
            .await?
            .get(0);
        let granted = (i64::from(limit) - used).clamp(0, i64::from(want));
        sqlx::query("UPDATE counters SET value = value + $2 WHERE key = $1")
            .bind(&key)
            .bind(granted)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(granted as u32)
    }

    pub async fn return_daily(&self, day: &str, n: u32) -> Result<(), StoreError> {
        sqlx::query("UPDATE counters SET value = MAX(value - $2, 0) WHERE key = $1")
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
        let row = sqlx::query(
            "INSERT INTO counters (key, value) VALUES ('pace', $1 + $2 * $3)
             ON CONFLICT (key) DO UPDATE SET value = MAX(counters.value, $1) + $2 * $3
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
             WHERE state = 'in_flight' AND ($2 OR lease_until < $1)",
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
               AND issue_id IN (SELECT id FROM issues WHERE created_at < $1)",
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
                    retry_at = $3 + MIN($4 * (CAST(1 AS BIGINT) << MIN(pauses, 20)), $5)
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
        let issues = sqlx::query("SELECT * FROM issues ORDER BY issue_date, bulletin, kind")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for r in &issues {
            let i = issue_row(r);
            out.push(IssueStatus {
                deliveries: self.counts(i.id).await?,
                bulletin: i.bulletin,
                date: i.date,
                kind: i.kind,
                issue: i.id,
                retry_at: i.retry_at.filter(|_| i.state == "paused"),
                state: i.state,
                paused_reason: i.paused_reason,
                withdrawn: i.withdrawn,
                awaiting_approval: false,
            });
        }
        Ok(out)
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
            "DELETE FROM suppressions WHERE email_key = $1 AND ($2 IS NULL OR scope = $2)",
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
        let rows = sqlx::query("SELECT * FROM suppressions ORDER BY email_key, scope")
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
            "SELECT MIN(MAX(COALESCE(i.retry_at, 0), d.next_attempt_at))
               FROM deliveries d JOIN issues i ON i.id = d.issue_id
              WHERE i.state = 'paused' AND d.state IN ('pending', 'deferred')",
        )
        .fetch_one(&self.pool)
        .await?
        .get::<Option<i64>, _>(0);
        Ok(deliveries.into_iter().chain(paused).min())
    }

    pub async fn archive(&self) -> Result<Vec<super::ArchiveEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT i.id, i.bulletin, i.issue_date, i.subject, i.themes, MIN(d.sent_at) AS first_sent
               FROM issues i JOIN deliveries d ON d.issue_id = i.id AND d.sent_at IS NOT NULL
              WHERE i.kind = 'issue' AND i.withdrawn_at IS NULL
              GROUP BY i.id ORDER BY i.issue_date DESC, i.bulletin",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| super::ArchiveEntry {
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
              WHERE issue_id = $1 AND ($2 IS NULL OR state = $2) ORDER BY id",
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
                            WHERE issue_id = $1 AND state IN ('pending', 'deferred') )",
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
