//! A fresh PostgreSQL database per test on the local server (127.0.0.1:5432, trust auth),
//! dropped when the test ends. `scripts/test` makes sure the server is up.

use std::sync::atomic::{AtomicU64, Ordering};

static N: AtomicU64 = AtomicU64::new(0);

fn admin_url() -> String {
    std::env::var("BULLETIN_TEST_PG")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/postgres".into())
}

pub struct PgDb {
    pub name: String,
    pub url: String,
}

fn run(sql: &str) {
    let sql = sql.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&admin_url())
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {} is not reachable ({e}): run scripts/test, which starts it", admin_url()));
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut c).await.unwrap();
        })
    })
    .join()
    .unwrap();
}

impl PgDb {
    #[allow(clippy::disallowed_methods)] // a unique database name per run
    pub fn create() -> PgDb {
        let name = format!(
            "bulletin_it_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_micros() % 1_000_000
        );
        run(&format!("CREATE DATABASE {name}"));
        let base = admin_url();
        let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
        PgDb { name, url }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        run(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}
