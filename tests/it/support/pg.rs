//! The one PostgreSQL harness: a fresh database per test on the local server, dropped when the
//! test ends (passed or failed), so tests never see each other's rows and leave nothing behind.
//!
//! `BULLETIN_TEST_PG` names the admin URL (default `postgres://root@127.0.0.1:5432/postgres`,
//! trust auth); `scripts/test` starts the server. If it cannot be reached the test fails and says
//! how to start it: PostgreSQL tests never skip.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const DEFAULT_ADMIN: &str = "postgres://root@127.0.0.1:5432/postgres";

/// How to start the server, for failure messages.
const START_HINT: &str = "scripts/test starts it; by hand: \
     pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

/// A database of its own, for one test. Dropped (`WITH (FORCE)`, so connections a killed
/// process left open do not keep it) when this value is.
pub struct PgDb {
    pub name: String,
    /// The URL to give `bulletin` (`BULLETIN_DATABASE_URL`) or `Store::open`.
    pub url: String,
}

impl PgDb {
    #[allow(clippy::disallowed_methods)] // a unique database name per run
    pub fn create() -> PgDb {
        let name = unique_name();
        admin_sql(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let url = with_database(&admin_url().0, &name);
        PgDb { name, url }
    }
}

impl PgDb {
    /// Drop the database (whoever is connected) and create it again empty under the same name,
    /// as an operator's mistake or a botched restore would.
    pub fn recreate(&self) {
        for sql in [
            format!("DROP DATABASE {} WITH (FORCE)", self.name),
            format!("CREATE DATABASE {}", self.name),
        ] {
            admin_sql(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropped = match std::panic::catch_unwind(|| admin_sql(&sql)) {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err("the admin connection failed".into()),
        };
        match dropped {
            Ok(()) => {}
            // A second panic while the test is failing would abort and hide the first.
            Err(e) if std::thread::panicking() => eprintln!("DROP DATABASE {}: {e}", self.name),
            Err(e) => panic!("DROP DATABASE {}: {e}", self.name),
        }
    }
}

/// The admin URL, and how to name it in messages (the variable, or the default itself).
fn admin_url() -> (String, &'static str) {
    match std::env::var("BULLETIN_TEST_PG") {
        Ok(u) if !u.trim().is_empty() => (u, "BULLETIN_TEST_PG"),
        _ => (DEFAULT_ADMIN.to_string(), DEFAULT_ADMIN),
    }
}

/// The admin URL with its database swapped for `db` (query parameters kept).
fn with_database(admin: &str, db: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin, String::new()),
    };
    let start = base.find("://").map_or(0, |i| i + 3);
    let end = base[start..].find('/').map_or(base.len(), |i| start + i);
    format!("{}/{db}{query}", &base[..end])
}

/// A name no other run, process or test can be using.
fn unique_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u64(N.fetch_add(1, Ordering::SeqCst));
    #[allow(clippy::disallowed_methods)] // a unique name, not a time the code under test sees
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    format!("bulletin_test_{:016x}", h.finish())
}

/// Run one statement as the admin, on a thread of its own with its own runtime, so it works the
/// same from plain tests, from async tests and from `Drop`. Panics (with how to start the
/// server) if the server cannot be reached; an error of the statement itself is returned.
fn admin_sql(sql: &str) -> Result<(), sqlx::Error> {
    let sql = sql.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            use sqlx::Connection;
            let (url, shown) = admin_url();
            let connect = sqlx::PgConnection::connect(&url);
            let mut c = match tokio::time::timeout(Duration::from_secs(15), connect).await {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => panic!("PostgreSQL is unreachable at {shown} ({e}). {START_HINT}"),
                Err(_) => panic!("PostgreSQL at {shown} did not answer in 15 s. {START_HINT}"),
            };
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .map(|_| ())
        })
    })
    .join()
    .unwrap_or_else(|e| std::panic::resume_unwind(e))
}
