//! Suppressions in the ledger, the same SQL on both backends: who asked not to receive what,
//! each change with its row in the audit trail, in the same transaction.

use super::{
    Store, StoreError, Suppression, SuppressionHow, SuppressionScope, audit, on_pool, on_write,
};
use crate::timestamp::Timestamp;

impl Store {
    /// Suppress an address as an operator would (`how` = admin).
    pub async fn suppress(
        &self,
        email_key: &str,
        scope: &SuppressionScope,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.suppress_how(email_key, scope, reason, SuppressionHow::Admin, now)
            .await
    }

    /// Suppress an address, recording how it came about.
    pub async fn suppress_how(
        &self,
        email_key: &str,
        scope: &SuppressionScope,
        reason: Option<&str>,
        how: SuppressionHow,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.insert_suppression(email_key, scope, (reason, None), how, now)
            .await
    }

    /// Suppress an address as an operator would, the audit row naming `by` (the desk's
    /// person, as [`crate::web::desk::DeskUser::operator`] writes them).
    pub async fn suppress_by(
        &self,
        email_key: &str,
        scope: &SuppressionScope,
        reason: Option<&str>,
        by: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.insert_suppression(
            email_key,
            scope,
            (reason, Some(by)),
            SuppressionHow::Admin,
            now,
        )
        .await
    }

    /// The suppression and, when it is new, its audit row (`why` = the reason and who).
    async fn insert_suppression(
        &self,
        email_key: &str,
        scope: &SuppressionScope,
        why: (Option<&str>, Option<&str>),
        how: SuppressionHow,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (reason, by) = why;
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let r = sqlx::query(
                "INSERT INTO suppressions (email_key, scope, reason, created_at, how) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (email_key, scope) DO NOTHING",
            )
            .bind(email_key)
            .bind(scope.as_str())
            .bind(reason)
            .bind(now)
            .bind(how.as_str())
            .execute(&mut *tx)
            .await?;
            // Only a change is audited: a request repeated (a second click, the same mail
            // redelivered) leaves no trace.
            if r.rows_affected() > 0 {
                audit!(
                    tx,
                    now,
                    None,
                    "suppressed",
                    format!("{scope}: {}{}", reason.unwrap_or(""), by_whom(by))
                )?;
            }
            tx.commit().await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Remove suppressions of an address (all scopes when `scope` is `None`). Returns how many.
    /// The removal and its audit row are one transaction: neither is kept without the other.
    pub async fn unsuppress(
        &self,
        email_key: &str,
        scope: Option<&SuppressionScope>,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        self.delete_suppressions(email_key, scope, None, now).await
    }

    /// Lift suppressions as [`Store::unsuppress`] does, the audit row naming `by`.
    pub async fn unsuppress_by(
        &self,
        email_key: &str,
        scope: Option<&SuppressionScope>,
        by: &str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        self.delete_suppressions(email_key, scope, Some(by), now)
            .await
    }

    async fn delete_suppressions(
        &self,
        email_key: &str,
        scope: Option<&SuppressionScope>,
        by: Option<&str>,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let scope = scope.map(SuppressionScope::as_str);
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let r = sqlx::query(
                "DELETE FROM suppressions WHERE email_key = $1 AND (CAST($2 AS TEXT) IS NULL OR scope = $2)",
            )
            .bind(email_key)
            .bind(scope.as_deref())
            .execute(&mut *tx)
            .await?;
            audit!(
                tx,
                now,
                None,
                "unsuppressed",
                format!("{}{}", scope.as_deref().unwrap_or("*"), by_whom(by))
            )?;
            tx.commit().await?;
            Ok(r.rows_affected())
        })
    }

    /// Every suppression, by address and scope (byte order on both backends).
    pub async fn suppressions(&self) -> Result<Vec<Suppression>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            email_key: String,
            scope: String,
            reason: Option<String>,
            created_at: Timestamp,
            how: Option<String>,
        }
        let rows: Vec<Row> = on_pool!(self, |pool, _d| {
            sqlx::query_as("SELECT email_key, scope, reason, created_at, how FROM suppressions")
                .fetch_all(pool)
                .await
        })?;
        let mut out = rows
            .into_iter()
            .map(|r| {
                Ok(Suppression {
                    how: SuppressionHow::parse_stored(r.how.as_deref())?,
                    email_key: r.email_key,
                    scope: SuppressionScope::parse(&r.scope)?,
                    reason: r.reason,
                    created_at: r.created_at,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // As stored text sorts (`*` before `bulletin:` before `list:`), in byte order.
        out.sort_by(|a, b| (&a.email_key, a.scope.as_str()).cmp(&(&b.email_key, b.scope.as_str())));
        Ok(out)
    }
}

/// ` (by NAME)` for an audit row's detail, when a person is named.
fn by_whom(by: Option<&str>) -> String {
    by.map(|b| format!(" (by {b})")).unwrap_or_default()
}
