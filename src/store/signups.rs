//! Sign-ups and their consent records, the same SQL on both backends. A sign-up is created
//! `unconfirmed` with the nonce of its confirmation link; confirming it (once: the nonce and
//! the state decide, in one UPDATE) records the consent and makes it `pending` (a list under
//! review) or `accepted` (an open list, once its CSV row is written).

use super::{SignupState, Store, StoreError, audit, on_pool, on_write};
use crate::timestamp::Timestamp;

/// A sign-up as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct SignupRow {
    pub id: i64,
    pub email_key: String,
    pub email: String,
    pub name: String,
    pub agency: Option<String>,
    pub bulletin: String,
    pub list_id: String,
    pub state: String,
    #[serde(skip)]
    pub nonce: String,
    pub source: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    pub notice_version: Option<String>,
    pub decided_at: Option<Timestamp>,
}

/// A sign-up to record (unconfirmed).
#[derive(Debug, Clone)]
pub struct NewSignup {
    pub email_key: String,
    pub email: String,
    pub name: String,
    pub agency: Option<String>,
    pub bulletin: String,
    pub list_id: String,
    pub nonce: String,
    pub source: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// `SELECT` of every column of [`SignupRow`], then `$rest`: one static string per query.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, email_key, email, name, agency, bulletin, list_id, state, nonce, source, created_at, expires_at, confirmed_at, notice_version, decided_at FROM signups ",
            $rest
        )
    };
}

impl Store {
    /// Take the one confirmation mail `email_hash` may be sent on `day`: true for the first
    /// caller of the day on any instance, false for every later one.
    pub async fn reserve_confirmation_mail(
        &self,
        email_hash: &str,
        day: &str,
    ) -> Result<bool, StoreError> {
        on_write!(self, |pool, _d| {
            let r = sqlx::query(
                "INSERT INTO signup_mails (email_hash, day) VALUES ($1, $2) ON CONFLICT (email_hash, day) DO NOTHING",
            )
            .bind(email_hash)
            .bind(day)
            .execute(pool)
            .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Record an unconfirmed sign-up; its id.
    pub async fn new_signup(&self, s: &NewSignup) -> Result<i64, StoreError> {
        on_write!(self, |pool, _d| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO signups (email_key, email, name, agency, bulletin, list_id, state, nonce, source, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'unconfirmed', $7, $8, $9, $10) RETURNING id",
            )
            .bind(&s.email_key)
            .bind(&s.email)
            .bind(&s.name)
            .bind(&s.agency)
            .bind(&s.bulletin)
            .bind(&s.list_id)
            .bind(&s.nonce)
            .bind(&s.source)
            .bind(s.created_at)
            .bind(s.expires_at)
            .fetch_one(pool)
            .await?;
            Ok(id)
        })
    }

    /// The sign-up a confirmation link names, while it can still be confirmed.
    pub async fn unconfirmed_signup(
        &self,
        id: i64,
        nonce: &str,
        now: Timestamp,
    ) -> Result<Option<SignupRow>, StoreError> {
        let sql =
            select!("WHERE id = $1 AND nonce = $2 AND state = 'unconfirmed' AND expires_at > $3");
        on_pool!(self, |pool, _d| {
            sqlx::query_as(sql)
                .bind(id)
                .bind(nonce)
                .bind(now)
                .fetch_optional(pool)
                .await
        })
        .map_err(Into::into)
    }

    /// Confirm a sign-up and record its consent, once: false when the link was used already,
    /// has expired or names nothing.
    pub async fn confirm_signup(
        &self,
        id: i64,
        nonce: &str,
        notice_version: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let r = sqlx::query(
                "UPDATE signups SET state = 'pending', confirmed_at = $3, notice_version = $4
                 WHERE id = $1 AND nonce = $2 AND state = 'unconfirmed' AND expires_at > $3",
            )
            .bind(id)
            .bind(nonce)
            .bind(now)
            .bind(notice_version)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() > 0 {
                audit!(tx, now, None, "signup confirmed", format!("sign-up {id}"))?;
            }
            tx.commit().await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Sign-ups in `state` (every one when `None`), oldest first.
    pub async fn signups(&self, state: Option<SignupState>) -> Result<Vec<SignupRow>, StoreError> {
        let sql = select!("WHERE (CAST($1 AS TEXT) IS NULL OR state = $1) ORDER BY id");
        let state = state.map(SignupState::as_str);
        on_pool!(self, |pool, _d| {
            sqlx::query_as(sql).bind(state).fetch_all(pool).await
        })
        .map_err(Into::into)
    }

    /// Every sign-up of one address, oldest first.
    pub async fn signups_of(&self, email_key: &str) -> Result<Vec<SignupRow>, StoreError> {
        let sql = select!("WHERE email_key = $1 ORDER BY id");
        on_pool!(self, |pool, _d| {
            sqlx::query_as(sql).bind(email_key).fetch_all(pool).await
        })
        .map_err(Into::into)
    }

    /// Move the sign-up `id` from `from` to `to` (an admin's decision, or an open list's row
    /// written); false when it was not in `from`.
    pub async fn decide_signup(
        &self,
        id: i64,
        from: SignupState,
        to: SignupState,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        on_write!(self, |pool, d| {
            let mut tx = pool.begin_with(d.begin_write).await?;
            let r = sqlx::query(
                "UPDATE signups SET state = $3, decided_at = $4 WHERE id = $1 AND state = $2",
            )
            .bind(id)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() > 0 {
                audit!(
                    tx,
                    now,
                    None,
                    "signup decided",
                    format!("sign-up {id}: {to}")
                )?;
            }
            tx.commit().await?;
            Ok(r.rows_affected() > 0)
        })
    }
}
