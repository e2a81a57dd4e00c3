//! Bounces in the ledger, the same SQL on both backends: recording one (idempotent per
//! delivery and kind), the suppression it leads to, and the addresses bounces suppressed.

/// What kind of bounce came back; decides whether one is enough to suppress the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceKind {
    /// The address does not work (5.x.x): suppressed at once.
    Hard,
    /// A passing problem (4.x.x, a full mailbox): suppressed after repeated ones.
    Soft,
    /// The recipient reported the bulletin as spam: suppressed at once, never mailed again.
    Complaint,
}

impl BounceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BounceKind::Hard => "hard",
            BounceKind::Soft => "soft",
            BounceKind::Complaint => "complaint",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [BounceKind::Hard, BounceKind::Soft, BounceKind::Complaint]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

impl fmt::Display for BounceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When soft bounces add up to a suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftPolicy {
    /// This many soft bounces (of different messages)…
    pub limit: u32,
    /// …within this many seconds.
    pub window_secs: i64,
}

impl SoftPolicy {
    /// The policy `[bounces]` sets (`soft_limit` within `soft_window_days`).
    pub fn of(b: &crate::config::settings::Bounces) -> Self {
        SoftPolicy {
            limit: b.soft_limit,
            window_secs: i64::from(b.soft_window_days) * 86_400,
        }
    }
}

impl Default for SoftPolicy {
    fn default() -> Self {
        SoftPolicy {
            limit: 3,
            window_secs: 30 * 86_400,
        }
    }
}

use std::fmt;

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
    /// Recorded; `suppressed` when the address is suppressed because of it (now or already).
    Recorded { suppressed: bool },
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
    /// Record a bounce or complaint for a delivery and apply the policy: a hard bounce or a
    /// complaint suppresses the address for everything, soft bounces once `policy.limit` of
    /// them arrived within its window. One transaction; the same bounce twice changes nothing.
    pub async fn record_bounce(
        &self,
        b: &crate::store::NewBounce<'_>,
        policy: crate::store::SoftPolicy,
        now: i64,
    ) -> Result<crate::store::BounceRecorded, crate::store::StoreError> {
        use crate::store::BounceKind;
        use crate::store::BounceRecorded;
        crate::store::on_write!(self, |pool, _d| {
            let mut tx = pool.begin().await?;
            let row = sqlx::query("SELECT email_key, issue_id FROM deliveries WHERE id = $1")
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
            let suppress = match b.kind {
                BounceKind::Hard | BounceKind::Complaint => true,
                BounceKind::Soft => {
                    let n: i64 = sqlx::Row::get(
                        &sqlx::query(
                            "SELECT COUNT(*) AS n FROM bounces
                         WHERE email_key = $1 AND kind = 'soft' AND received_at > $2",
                        )
                        .bind(&email_key)
                        .bind(now - policy.window_secs)
                        .fetch_one(&mut *tx)
                        .await?,
                        "n",
                    );
                    n >= i64::from(policy.limit.max(1))
                }
            };
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
            if suppress { "; suppressed" } else { "" }
        ))
        .execute(&mut *tx)
        .await?;
            tx.commit().await?;
            Ok(BounceRecorded::Recorded {
                suppressed: suppress,
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
