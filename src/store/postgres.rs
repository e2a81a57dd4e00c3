//! The PostgreSQL backend: one database shared by several daemons. Claims take rows with
//! `FOR UPDATE SKIP LOCKED`, so senders claiming at once never take the same delivery; the
//! relay's shared counters are upserts that serialise on their row; migrations run under
//! sqlx's advisory lock, so several processes starting on an empty database at once are safe.
//!
//! Every statement that changes several deliveries locks them in `id` order first, so two of
//! them (a sender recording its batch while its lease renewer or another daemon's lease
//! sweeper runs) wait for each other instead of deadlocking.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::columns::Columns;
use super::{Batch, DeliveryState, Dialect, OpenMode, Recorded, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Deliveries are locked in id order (see above), claims skip rows another sender is
/// claiming.
pub(super) const DIALECT: Dialect = Dialect {
    lock_in_order: " ORDER BY id FOR UPDATE",
    skip_locked: " FOR UPDATE SKIP LOCKED",
    lock_row: " FOR UPDATE",
    least: "LEAST",
    greatest: "GREATEST",
    json_rows: "json_array_elements($1::json) AS j(r)",
    begin_write: "BEGIN",
};

/// The ledger on PostgreSQL. Its `Debug` shows no URL: the URL may carry a password.
#[derive(Clone)]
pub struct PgStore {
    pub(super) pool: PgPool,
    pub(super) ledger: super::LedgerId,
    pub(super) watch: std::sync::Arc<super::watch::Watch>,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

/// The database as messages name it: user, host, port and name, never the password.
fn shown(opts: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        opts.get_username(),
        opts.get_host(),
        opts.get_port(),
        opts.get_database().unwrap_or(opts.get_username())
    )
}

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
        refuse_missing(&pool, url).await?;
        Ok(PgStore {
            pool,
            ledger: super::LedgerId::new(""),
            watch: Default::default(),
        })
    }

    /// Connect (up to 8 connections), check the database is the ledger `marker` names (see
    /// [`super::identity`]), and bring the schema up to date; with
    /// [`OpenMode::CreateIfMissing`], create the ledger's tables in a database without them.
    pub async fn open(
        url: &str,
        marker: &std::path::Path,
        mode: OpenMode,
    ) -> Result<Self, StoreError> {
        let opts = PgConnectOptions::from_str(url)?.application_name("bulletin");
        let place = shown(&opts);
        let watch = std::sync::Arc::new(super::watch::Watch::database(
            place.clone(),
            marker.to_path_buf(),
        ));
        let hook = watch.clone();
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                let hook = hook.clone();
                Box::pin(async move { hook.verify(conn).await })
            })
            .connect_with(opts)
            .await?;
        let expect = super::identity::before_migrating_pg(&pool, &place, marker).await?;
        if mode == OpenMode::Existing {
            refuse_missing(&pool, url).await?;
        }
        // The migrator holds a PostgreSQL advisory lock while it works: a second process
        // starting at the same moment waits, then finds everything applied.
        MIGRATOR.run(&pool).await?;
        let unwatched = super::Store::Postgres(PgStore {
            pool: pool.clone(),
            ledger: super::LedgerId::new(""),
            watch: Default::default(),
        });
        let id = super::identity::settle(&unwatched, &place, marker, expect).await?;
        let ledger = super::LedgerId::new(id.clone());
        watch.opened(id);
        Ok(PgStore {
            pool,
            ledger,
            watch,
        })
    }
}

/// A database that bulletin never migrated holds no ledger.
async fn refuse_missing(pool: &PgPool, url: &str) -> Result<(), StoreError> {
    let migrated: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if migrated {
        Ok(())
    } else {
        Err(StoreError::NoLedger(super::pg_place(url)))
    }
}

/// One UPDATE for the whole batch (UNNEST), its rows locked in id order first.
pub(super) async fn record(pool: &PgPool, batch: Batch<'_>) -> Result<(), StoreError> {
    let Batch {
        outcomes,
        owner,
        now,
    } = batch;
    let Columns {
        ids,
        states,
        replies,
        retries,
    } = Columns::of(outcomes);
    let mut tx = pool.begin().await?;
    // Lock in id order (see the module's note on deadlocks), then change only the rows
    // this sender still holds.
    let mut locked = ids.clone();
    locked.sort_unstable();
    sqlx::query(
        "SELECT id FROM deliveries
          WHERE id = ANY($1) AND state = $3
            AND substr(lease_owner, 1, length($2::text)) = $2::text
          ORDER BY id FOR UPDATE",
    )
    .bind(&locked)
    .bind(owner)
    .bind(DeliveryState::InFlight.as_str())
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE deliveries d SET
                state = u.state,
                sent_at = CASE WHEN u.state = $7 THEN $1 ELSE d.sent_at END,
                next_attempt_at = CASE WHEN u.state = $8 THEN u.retry_at ELSE d.next_attempt_at END,
                last_reply = CASE WHEN u.state = $9 THEN d.last_reply ELSE u.reply END,
                attempts = CASE WHEN u.state = $9 THEN GREATEST(d.attempts - 1, 0) ELSE d.attempts END,
                lease_owner = NULL, lease_until = NULL, updated_at = $1
           FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::bigint[]) AS u (id, state, reply, retry_at)
          WHERE d.id = u.id AND d.state = $10
            AND substr(d.lease_owner, 1, length($6::text)) = $6::text",
    )
    .bind(now)
    .bind(&ids)
    .bind(&states)
    .bind(&replies)
    .bind(&retries)
    .bind(owner)
    .bind(DeliveryState::Sent.as_str())
    .bind(DeliveryState::Deferred.as_str())
    .bind(DeliveryState::Pending.as_str())
    .bind(DeliveryState::InFlight.as_str())
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
            ledger: crate::store::LedgerId::new("0123"),
            watch: Default::default(),
        };
        let shown = format!("{store:?}");
        assert_eq!(shown, "PgStore { connections: 0, .. }");
        let shown = format!("{:?}", crate::store::Store::Postgres(store));
        for leak in ["hunter2", "mailer", "db.internal", "ledger"] {
            assert!(!shown.contains(leak), "{shown}");
        }
    }
}
