//! The desk's sign-in in the ledger, the same SQL on both backends: the links emailed (each
//! used once, enforced by a primary key), the requests for them (for the rate limits), the
//! sessions (by the hash of their cookie).

use super::{Store, StoreError, on_pool, on_write};
use crate::timestamp::Timestamp;

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeskSession {
    pub email_key: String,
    /// `editor` or `admin`, as it was at sign-in (re-checked against the lists on every use).
    pub role: String,
    pub csrf: String,
    pub created_at: Timestamp,
    pub last_seen: Timestamp,
}

/// How many link requests were made since a moment, for one address and from one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkRequests {
    pub for_address: i64,
    pub from_client: i64,
}

impl Store {
    /// Record a request for a link (and forget those older than a day); how many were made
    /// since `since` for the same address and from the same client, this one included.
    pub async fn desk_link_request(
        &self,
        email_hash: &str,
        client: &str,
        now: Timestamp,
        since: Timestamp,
    ) -> Result<LinkRequests, StoreError> {
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            sqlx::query("DELETE FROM desk_link_requests WHERE at < $1")
                .bind(now - 86_400)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO desk_link_requests (at, email_hash, client) VALUES ($1, $2, $3)",
            )
            .bind(now)
            .bind(email_hash)
            .bind(client)
            .execute(&mut *tx)
            .await?;
            let (for_address, from_client): (i64, i64) = sqlx::query_as(
                "SELECT
                   (SELECT COUNT(*) FROM desk_link_requests WHERE at >= $1 AND email_hash = $2),
                   (SELECT COUNT(*) FROM desk_link_requests WHERE at >= $1 AND client = $3)",
            )
            .bind(since)
            .bind(email_hash)
            .bind(client)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(LinkRequests {
                for_address,
                from_client,
            })
        })
    }

    /// Record a link sent to `email_key`, valid until `expires_at`.
    pub async fn desk_link_issued(
        &self,
        link_id: &str,
        email_key: &str,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        on_write!(self, |pool, _d| {
            sqlx::query(
                "INSERT INTO desk_links (link_id, email_key, expires_at) VALUES ($1, $2, $3)",
            )
            .bind(link_id)
            .bind(email_key)
            .bind(expires_at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Use a link once: the address it was sent to, or `None` when it was never issued here,
    /// has expired, or was used before (the used id's primary key refuses a second use, however
    /// close together the two arrive).
    pub async fn desk_link_use(
        &self,
        link_id: &str,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let issued: Option<(String, Timestamp)> =
                sqlx::query_as("SELECT email_key, expires_at FROM desk_links WHERE link_id = $1")
                    .bind(link_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((email_key, _)) = issued.filter(|(_, e)| *e >= now) else {
                return Ok(None);
            };
            let r = sqlx::query(
                "INSERT INTO desk_links_used (link_id, used_at) VALUES ($1, $2) ON CONFLICT (link_id) DO NOTHING",
            )
            .bind(link_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok((r.rows_affected() == 1).then_some(email_key))
        })
    }

    /// Start a session.
    pub async fn desk_session_create(
        &self,
        id_hash: &str,
        s: &DeskSession,
    ) -> Result<(), StoreError> {
        on_write!(self, |pool, _d| {
            sqlx::query(
                "INSERT INTO desk_sessions (id_hash, email_key, role, csrf, created_at, last_seen)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id_hash)
            .bind(&s.email_key)
            .bind(&s.role)
            .bind(&s.csrf)
            .bind(s.created_at)
            .bind(s.last_seen)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn desk_session(&self, id_hash: &str) -> Result<Option<DeskSession>, StoreError> {
        on_pool!(self, |pool, _d| {
            Ok(sqlx::query_as(
                "SELECT email_key, role, csrf, created_at, last_seen FROM desk_sessions WHERE id_hash = $1",
            )
            .bind(id_hash)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// The session was used at `now`.
    pub async fn desk_session_touch(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        on_write!(self, |pool, _d| {
            sqlx::query("UPDATE desk_sessions SET last_seen = $2 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(now)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// End one session.
    pub async fn desk_session_end(&self, id_hash: &str) -> Result<(), StoreError> {
        on_write!(self, |pool, _d| {
            sqlx::query("DELETE FROM desk_sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// End every session of an address; how many there were.
    pub async fn desk_sessions_end_all(&self, email_key: &str) -> Result<u64, StoreError> {
        on_write!(self, |pool, _d| {
            let r = sqlx::query("DELETE FROM desk_sessions WHERE email_key = $1")
                .bind(email_key)
                .execute(pool)
                .await?;
            Ok(r.rows_affected())
        })
    }
}
