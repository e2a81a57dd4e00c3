//! Issues in the ledger, the same SQL on both backends: creating one once (with its
//! deliveries), finding it, moving it between states, its audit trail and the public archive.

use crate::ids::{BulletinId, CampaignId, IssueOwner};
use crate::timestamp::Timestamp;
use std::collections::HashMap;

use chrono::NaiveDate;

use super::vocab::{date_text, parse_date, parse_owner};
use super::{
    ArchiveEntry, Counts, DecodeError, DeliveryState, Event, IssueKind, IssueRow, IssueState,
    IssueStatus, NewIssue, StatusState, Store, StoreError, audit, on_pool, on_write, wake,
};

/// An `issues` row as stored; [`IssueRow`] is what callers get.
#[derive(sqlx::FromRow)]
pub(super) struct IssueRecord {
    id: i64,
    bulletin: String,
    issue_date: String,
    kind: String,
    subject: String,
    rendered: String,
    state: String,
    paused_reason: Option<String>,
    created_at: Timestamp,
    retry_at: Option<Timestamp>,
    withdrawn_at: Option<i64>,
}

impl TryFrom<IssueRecord> for IssueRow {
    type Error = DecodeError;
    fn try_from(r: IssueRecord) -> Result<Self, DecodeError> {
        let kind = IssueKind::parse(&r.kind)?;
        Ok(IssueRow {
            id: r.id,
            bulletin: parse_owner(kind, &r.bulletin)?,
            date: parse_date(&r.issue_date)?,
            kind,
            subject: r.subject,
            rendered: r.rendered.into(),
            state: IssueState::parse(&r.state)?,
            paused_reason: r.paused_reason,
            created_at: r.created_at,
            retry_at: r.retry_at,
            withdrawn: r.withdrawn_at.is_some(),
        })
    }
}

fn issues(rows: Vec<IssueRecord>) -> Result<Vec<IssueRow>, StoreError> {
    Ok(rows
        .into_iter()
        .map(IssueRow::try_from)
        .collect::<Result<_, _>>()?)
}

/// Deliveries a statement when an issue is created: each statement's rows are one JSON
/// parameter (a few hundred kilobytes here), not eight parameters a row. Why: a `VALUES`
/// list of hundreds of rows is parsed and compiled anew for each statement and each value
/// bound on its own, which cost more than inserting the rows.
const DELIVERIES_A_STATEMENT: usize = 5000;

/// `deliveries` as the JSON array the insert reads: `[email, key, name or null, state]` each.
fn delivery_rows(deliveries: &[super::NewDelivery]) -> String {
    let rows: Vec<_> = deliveries
        .iter()
        .map(|nd| {
            let state = if nd.suppressed {
                DeliveryState::Suppressed
            } else {
                DeliveryState::Pending
            };
            (&nd.email, &nd.email_key, &nd.name, state.as_str())
        })
        .collect();
    // Text and nulls: serialising them cannot fail.
    serde_json::to_string(&rows).expect("plain values serialise")
}

const BY_KEY: &str = "SELECT * FROM issues WHERE bulletin = $1 AND issue_date = $2 AND kind = $3";

impl Store {
    /// Create the issue with its deliveries in one transaction, or return the existing one.
    /// `true` when it was created now.
    pub async fn create_issue(
        &self,
        new: &NewIssue,
        now: Timestamp,
    ) -> Result<(IssueRow, bool), StoreError> {
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            // A second creator of the same issue waits here on the unique key until the first
            // commits (then inserts nothing) or rolls back (then inserts it).
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO issues (bulletin, issue_date, kind, subject, rendered, themes, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $7, $6, $6)
                 ON CONFLICT (bulletin, issue_date, kind) DO NOTHING
                 RETURNING id",
            )
            .bind(new.owner.as_str())
            .bind(date_text(new.date))
            .bind(new.kind.as_str())
            .bind(&new.subject)
            .bind(new.rendered.as_json())
            .bind(now)
            .bind(&new.themes)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(issue_id) = inserted {
                for chunk in new.deliveries.chunks(DELIVERIES_A_STATEMENT) {
                    // The FROM clause is the dialect's constant. `WHERE true`: SQLite would
                    // read `ON CONFLICT` after a bare FROM as a join's constraint.
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO deliveries (issue_id, email, email_key, name, state, next_attempt_at, created_at, updated_at)
                         SELECT $2, r ->> 0, r ->> 1, r ->> 2, r ->> 3, $3, $3, $3
                           FROM {} WHERE true
                         ON CONFLICT (issue_id, email_key) DO NOTHING",
                        d.json_rows
                    )))
                    .bind(delivery_rows(chunk))
                    .bind(issue_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                audit!(
                    tx,
                    now,
                    Some(issue_id),
                    "created",
                    format!("{} deliveries", new.deliveries.len())
                )?;
            }
            let row: IssueRecord = sqlx::query_as(BY_KEY)
                .bind(new.owner.as_str())
                .bind(date_text(new.date))
                .bind(new.kind.as_str())
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok((row.try_into()?, inserted.is_some()))
        })
    }

    /// The issue row of `bulletin` for `date` of `kind` (an issue, a proof or a held notice).
    pub async fn find_issue(
        &self,
        bulletin: &BulletinId,
        date: NaiveDate,
        kind: IssueKind,
    ) -> Result<Option<IssueRow>, StoreError> {
        self.find_owned(bulletin.as_str(), date, kind).await
    }

    /// The announcement of `campaign` for the campaign starting on `start`.
    pub async fn find_announcement(
        &self,
        campaign: &CampaignId,
        start: NaiveDate,
    ) -> Result<Option<IssueRow>, StoreError> {
        self.find_owned(campaign.as_str(), start, IssueKind::Announcement)
            .await
    }

    async fn find_owned(
        &self,
        owner: &str,
        date: NaiveDate,
        kind: IssueKind,
    ) -> Result<Option<IssueRow>, StoreError> {
        on_pool!(self, |pool, _d| {
            let row: Option<IssueRecord> = sqlx::query_as(BY_KEY)
                .bind(owner)
                .bind(date_text(date))
                .bind(kind.as_str())
                .fetch_optional(pool)
                .await?;
            Ok(row.map(IssueRow::try_from).transpose()?)
        })
    }

    /// An issue by its id.
    pub async fn issue_by_id(&self, issue_id: i64) -> Result<Option<IssueRow>, StoreError> {
        on_pool!(self, |pool, _d| {
            let row: Option<IssueRecord> = sqlx::query_as("SELECT * FROM issues WHERE id = $1")
                .bind(issue_id)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(IssueRow::try_from).transpose()?)
        })
    }

    pub async fn set_issue_state(
        &self,
        issue_id: i64,
        state: IssueState,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            // A cancelled issue stays cancelled (a sender finishing its last batch would
            // otherwise mark it done).
            let changed = sqlx::query(
                "UPDATE issues SET state = $2, paused_reason = $3, updated_at = $4 WHERE id = $1 AND state <> $5",
            )
            .bind(issue_id)
            .bind(state.as_str())
            .bind(reason)
            .bind(now)
            .bind(IssueState::Cancelled.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                audit!(
                    tx,
                    now,
                    Some(issue_id),
                    state.as_str(),
                    reason.unwrap_or("")
                )?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Pause an issue because the relay cannot be used, and set when the daemon tries again:
    /// `backoff.delay(n)` after the n-th pause in a row, kept in the ledger so a restart
    /// neither forgets the issue nor hammers a relay that is still down. Returns the retry time.
    pub async fn pause_issue(
        &self,
        issue_id: i64,
        reason: &str,
        backoff: crate::backoff::Backoff,
        now: Timestamp,
    ) -> Result<Timestamp, StoreError> {
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            // SET expressions see the row as it was: the delay follows the pauses before this
            // one.
            let least = d.least;
            let retry_at: Timestamp = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "UPDATE issues SET state = $6, paused_reason = $2, updated_at = $3,
                        pauses = pauses + 1,
                        retry_at = $3 + {least}($4 * (CAST(1 AS BIGINT) << CAST({least}(pauses, 20) AS INTEGER)), $5)
                  WHERE id = $1
              RETURNING retry_at"
            )))
            .bind(issue_id)
            .bind(reason)
            .bind(now)
            .bind(backoff.first_secs)
            .bind(backoff.max_secs)
            .bind(IssueState::Paused.as_str())
            .fetch_one(&mut *tx)
            .await?;
            audit!(
                tx,
                now,
                Some(issue_id),
                "paused",
                format!("{reason} (retry in {} s)", retry_at - now)
            )?;
            // A daemon sleeping past the retry time (a command paused the issue) wakes for it.
            wake!(tx)?;
            tx.commit().await?;
            Ok(retry_at)
        })
    }

    /// The relay worked again for this issue: the next pause starts from the first delay.
    pub async fn clear_pauses(&self, issue_id: i64) -> Result<(), StoreError> {
        on_write!(self, |pool, _d| {
            sqlx::query(
                "UPDATE issues SET pauses = 0, retry_at = NULL WHERE id = $1 AND pauses > 0",
            )
            .bind(issue_id)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Stop an issue: its pending and deferred deliveries become cancelled, the issue
    /// `cancelled`, both in the audit trail; in-flight ones complete. Returns how many.
    pub async fn cancel_issue(
        &self,
        issue_id: i64,
        by: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE deliveries SET state = $3, lease_owner = NULL, lease_until = NULL, updated_at = $2
                  WHERE id IN (SELECT id FROM deliveries
                                WHERE issue_id = $1 AND state IN ($4, $5){})",
                d.lock_in_order
            )))
            .bind(issue_id)
            .bind(now)
            .bind(DeliveryState::Cancelled.as_str())
            .bind(DeliveryState::Pending.as_str())
            .bind(DeliveryState::Deferred.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE issues SET state = $3, paused_reason = NULL, updated_at = $2 WHERE id = $1",
            )
            .bind(issue_id)
            .bind(now)
            .bind(IssueState::Cancelled.as_str())
            .execute(&mut *tx)
            .await?;
            audit!(
                tx,
                now,
                Some(issue_id),
                "cancelled",
                format!("{n} waiting deliveries cancelled by {by}")
            )?;
            tx.commit().await?;
            Ok(n)
        })
    }

    /// Take an issue off the public archive and feed (kept, marked withdrawn). `false` when it
    /// was already withdrawn.
    pub async fn withdraw_issue(
        &self,
        issue_id: i64,
        by: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let n = sqlx::query(
                "UPDATE issues SET withdrawn_at = $2, updated_at = $2 WHERE id = $1 AND withdrawn_at IS NULL",
            )
            .bind(issue_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                audit!(
                    tx,
                    now,
                    Some(issue_id),
                    "withdrawn",
                    format!("taken off the archive and feed by {by}")
                )?;
            }
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    /// Every issue with its counts (two queries, however many issues), and a row (state
    /// `held`, issue 0) for each issue held for approval, in date order.
    pub async fn status(&self) -> Result<Vec<IssueStatus>, StoreError> {
        let (issues_rows, counted) = on_pool!(self, |pool, _d| {
            let issues: Vec<IssueRecord> = sqlx::query_as("SELECT * FROM issues")
                .fetch_all(pool)
                .await?;
            let counted: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT issue_id, state, COUNT(*) AS n FROM deliveries GROUP BY issue_id, state",
            )
            .fetch_all(pool)
            .await?;
            Ok::<_, StoreError>((issues, counted))
        })?;
        let mut counts: HashMap<i64, Counts> = HashMap::new();
        for (issue, state, n) in counted {
            let s = DeliveryState::parse(&state)?;
            counts.entry(issue).or_default().add(s, n as u64);
        }
        let mut rows: Vec<IssueStatus> = issues(issues_rows)?
            .into_iter()
            .map(|i| IssueStatus {
                deliveries: counts.remove(&i.id).unwrap_or_default(),
                bulletin: i.bulletin,
                date: i.date,
                kind: i.kind,
                proof_made_at: match i.kind {
                    IssueKind::TestProof { at, .. } => chrono::DateTime::from_timestamp(at, 0)
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    _ => None,
                },
                issue: i.id,
                retry_at: i.retry_at.filter(|_| i.state == IssueState::Paused),
                state: StatusState::Issue(i.state),
                paused_reason: i.paused_reason,
                withdrawn: i.withdrawn,
                awaiting_approval: false,
            })
            .collect();
        for held in self.held_fires().await? {
            let Some((bulletin, date)) = held.issue() else {
                continue;
            };
            rows.push(IssueStatus {
                bulletin: IssueOwner::Bulletin(bulletin.clone()),
                date,
                kind: IssueKind::Issue,
                proof_made_at: None,
                issue: 0,
                state: StatusState::Held,
                paused_reason: None,
                retry_at: None,
                deliveries: Counts::default(),
                withdrawn: false,
                awaiting_approval: true,
            });
        }
        // By date, bulletin and kind as stored (byte order, the same on both backends whatever
        // the database's collation); an issue before its held row.
        rows.sort_by(|a, b| {
            (
                &a.date,
                a.bulletin.as_str(),
                a.kind.as_str(),
                a.awaiting_approval,
            )
                .cmp(&(
                    &b.date,
                    b.bulletin.as_str(),
                    b.kind.as_str(),
                    b.awaiting_approval,
                ))
        });
        Ok(rows)
    }

    /// Issues (kind `issue`) with at least one message sent, newest first: the public archive.
    pub async fn archive(&self) -> Result<Vec<ArchiveEntry>, StoreError> {
        let mut rows = on_pool!(self, |pool, _d| {
            let rows: Vec<(i64, String, String, String, String, Timestamp)> = sqlx::query_as(
                "SELECT i.id, i.bulletin, i.issue_date, i.subject, i.themes, MIN(d.sent_at) AS first_sent
                   FROM issues i JOIN deliveries d ON d.issue_id = i.id AND d.sent_at IS NOT NULL
                  WHERE i.kind = $1 AND i.withdrawn_at IS NULL
                  GROUP BY i.id, i.bulletin, i.issue_date, i.subject, i.themes",
            )
            .bind(IssueKind::Issue.as_str())
            .fetch_all(pool)
            .await?;
            Ok::<_, StoreError>(rows)
        })?
        .into_iter()
        .map(|(id, bulletin, date, subject, themes, first_sent)| {
            Ok(ArchiveEntry {
                id,
                bulletin: BulletinId::parse(&bulletin).map_err(|_| DecodeError {
                    what: "a bulletin id",
                    value: bulletin,
                })?,
                date: parse_date(&date)?,
                subject,
                first_sent,
                themes,
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
        // Byte order, as on both backends alike.
        rows.sort_by(|a, b| {
            b.date
                .cmp(&a.date)
                .then_with(|| a.bulletin.cmp(&b.bulletin))
        });
        Ok(rows)
    }

    /// Issues with deliveries that may be attempted at `now`: those sending, and those paused
    /// whose retry time has come.
    pub async fn issues_due(&self, now: Timestamp) -> Result<Vec<IssueRow>, StoreError> {
        on_pool!(self, |pool, _d| {
            let rows: Vec<IssueRecord> = sqlx::query_as(
                "SELECT * FROM issues i
                  WHERE (i.state = $2 OR (i.state = $3 AND COALESCE(i.retry_at, 0) <= $1))
                    AND EXISTS (
                    SELECT 1 FROM deliveries d WHERE d.issue_id = i.id
                      AND d.state IN ($4, $5) AND d.next_attempt_at <= $1)
                 ORDER BY i.id",
            )
            .bind(now)
            .bind(IssueState::Sending.as_str())
            .bind(IssueState::Paused.as_str())
            .bind(DeliveryState::Pending.as_str())
            .bind(DeliveryState::Deferred.as_str())
            .fetch_all(pool)
            .await?;
            issues(rows)
        })
    }

    /// The earliest time any open delivery of an unpaused issue is due, a claim on one runs out
    /// (a sender that died leaves its claims to the others then), or a paused issue is retried.
    pub async fn earliest_due(&self) -> Result<Option<Timestamp>, StoreError> {
        on_pool!(self, |pool, d| {
            let deliveries: Option<Timestamp> = sqlx::query_scalar(
                "SELECT MIN(CASE WHEN d.state = $1 THEN d.lease_until ELSE d.next_attempt_at END)
                   FROM deliveries d JOIN issues i ON i.id = d.issue_id
                  WHERE i.state = $2 AND d.state IN ($3, $4, $1)",
            )
            .bind(DeliveryState::InFlight.as_str())
            .bind(IssueState::Sending.as_str())
            .bind(DeliveryState::Pending.as_str())
            .bind(DeliveryState::Deferred.as_str())
            .fetch_one(pool)
            .await?;
            let paused: Option<Timestamp> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT MIN({}(COALESCE(i.retry_at, 0), d.next_attempt_at))
                   FROM deliveries d JOIN issues i ON i.id = d.issue_id
                  WHERE i.state = $1 AND d.state IN ($2, $3)",
                d.greatest
            )))
            .bind(IssueState::Paused.as_str())
            .bind(DeliveryState::Pending.as_str())
            .bind(DeliveryState::Deferred.as_str())
            .fetch_one(pool)
            .await?;
            Ok(deliveries.into_iter().chain(paused).min())
        })
    }

    pub async fn log_event(
        &self,
        issue_id: Option<i64>,
        delivery_id: Option<i64>,
        kind: &str,
        detail: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        on_write!(self, |pool, _d| {
            sqlx::query(
                "INSERT INTO events (at, issue_id, delivery_id, kind, detail) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(now)
            .bind(issue_id)
            .bind(delivery_id)
            .bind(kind)
            .bind(detail)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The audit trail of an issue, oldest first.
    pub async fn events(&self, issue_id: i64) -> Result<Vec<Event>, StoreError> {
        on_pool!(self, |pool, _d| {
            Ok(sqlx::query_as(
                "SELECT at, kind, COALESCE(detail, '') AS detail FROM events WHERE issue_id = $1 ORDER BY id",
            )
            .bind(issue_id)
            .fetch_all(pool)
            .await?)
        })
    }
}
