//! Everything the ledger holds about one address, and its erasure: a subject access request
//! answered from one query per table, and the right to erasure as one transaction that leaves
//! only a keyed hash behind (so the address is not signed up or re-added by mistake).

use super::{SignupRow, Store, StoreError, audit, on_pool, on_write};
use crate::timestamp::Timestamp;

/// One delivery to the address.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PersonDelivery {
    pub issue_id: i64,
    pub bulletin: String,
    pub issue_date: String,
    pub kind: String,
    pub state: String,
    pub updated_at: Timestamp,
}

/// One bounce or complaint about the address.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PersonBounce {
    pub delivery_id: i64,
    pub kind: String,
    pub status: Option<String>,
    pub detail: Option<String>,
    pub received_at: Timestamp,
}

/// What the ledger holds about one address.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PersonRecord {
    pub deliveries: Vec<PersonDelivery>,
    pub bounces: Vec<PersonBounce>,
    pub signups: Vec<SignupRow>,
}

/// How many rows an erasure changed, table by table.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Erased {
    pub deliveries: u64,
    pub bounces: u64,
    pub suppressions: u64,
    pub signups: u64,
    pub events: u64,
}

impl Store {
    /// The deliveries, bounces and sign-ups of `email_key` (suppressions: [`Store::suppressions`]).
    pub async fn person(&self, email_key: &str) -> Result<PersonRecord, StoreError> {
        let deliveries: Vec<PersonDelivery> = on_pool!(self, |pool, _d| {
            sqlx::query_as(
                "SELECT d.issue_id, i.bulletin, i.issue_date, i.kind, d.state, d.updated_at
                 FROM deliveries d JOIN issues i ON i.id = d.issue_id
                 WHERE d.email_key = $1 ORDER BY d.issue_id",
            )
            .bind(email_key)
            .fetch_all(pool)
            .await
        })?;
        let bounces: Vec<PersonBounce> = on_pool!(self, |pool, _d| {
            sqlx::query_as(
                "SELECT delivery_id, kind, status, detail, received_at FROM bounces
                 WHERE email_key = $1 ORDER BY id",
            )
            .bind(email_key)
            .fetch_all(pool)
            .await
        })?;
        let signups = self.signups_of(email_key).await?;
        Ok(PersonRecord {
            deliveries,
            bounces,
            signups,
        })
    }

    /// Erase `email_key` from the ledger in one transaction: deliveries keep their counts but
    /// lose the address (and any not yet sent are cancelled), bounces, sign-ups, suppressions
    /// and audit lines naming it go, and a suppression of every bulletin by `hash` (see
    /// [`crate::token::Signer::address_hashes`]) takes their place.
    pub async fn erase(
        &self,
        email_key: &str,
        hashes: &[String],
        now: Timestamp,
    ) -> Result<Erased, StoreError> {
        let like = format!("%{}%", email_key.replace(['%', '_'], ""));
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let deliveries = sqlx::query(
                "UPDATE deliveries SET email = 'erased', name = NULL, last_reply = NULL,
                   email_key = 'erased:' || CAST(id AS TEXT),
                   state = CASE WHEN state IN ('pending', 'deferred') THEN 'cancelled' ELSE state END
                 WHERE email_key = $1",
            )
            .bind(email_key)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let bounces = sqlx::query("DELETE FROM bounces WHERE email_key = $1")
                .bind(email_key)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let signups = sqlx::query("DELETE FROM signups WHERE email_key = $1")
                .bind(email_key)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let suppressions = sqlx::query("DELETE FROM suppressions WHERE email_key = $1")
                .bind(email_key)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let events =
                sqlx::query("UPDATE events SET detail = '(erased)' WHERE LOWER(detail) LIKE $1")
                    .bind(&like)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            for h in hashes {
                sqlx::query("DELETE FROM signup_mails WHERE email_hash = $1")
                    .bind(h)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(h) = hashes.first() {
                sqlx::query(
                    "INSERT INTO suppressions (email_key, scope, reason, created_at, how)
                     VALUES ($1, '*', 'erased on request: lift with `bulletin person ADDRESS --lift`', $2, 'admin')
                     ON CONFLICT (email_key, scope) DO NOTHING",
                )
                .bind(h)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            audit!(tx, now, None, "erased", "an address, on request")?;
            tx.commit().await?;
            Ok(Erased {
                deliveries,
                bounces,
                suppressions,
                signups,
                events,
            })
        })
    }

    /// Lift the erasure suppressions of `hashes`; how many there were.
    pub async fn lift_erasure(&self, hashes: &[String], now: Timestamp) -> Result<u64, StoreError> {
        let mut n = 0;
        for h in hashes {
            n += self.unsuppress(h, None, now).await?;
        }
        Ok(n)
    }
}
