//! `bulletin backup FILE` and `bulletin restore FILE`: on SQLite, a consistent snapshot of the
//! ledger with its id, and putting one back (see [`crate::store::backup`]). On PostgreSQL the
//! database's own tools do it better; the commands print them (with the URL's password left
//! out) and exit 1, so a script never takes the advice for a backup made.

use std::path::Path;
use std::process::ExitCode;

use crate::config::{DatabaseUrl, Project};
use crate::store::backup::{put_in_place, snapshot, verify};
use crate::store::sender_lock::SenderLock;

pub async fn backup(p: &Project, file: &Path) -> anyhow::Result<ExitCode> {
    match &p.settings.database {
        DatabaseUrl::Postgres { url, marker } => {
            // Like every command that reads the ledger: none there is said first.
            drop(super::ledger::open(p).await?);
            let url = without_password(url.expose());
            eprintln!(
                "error: bulletin backup copies SQLite ledgers; this ledger is on PostgreSQL, and no backup was made\n  hint: pg_dump --format=custom --file {} '{url}' (it asks for the password, or set PGPASSWORD), and keep a copy of {} with it: restore with pg_restore --clean --if-exists --dbname '{url}' {}",
                file.display(),
                marker.display(),
                file.display()
            );
            Ok(ExitCode::FAILURE)
        }
        DatabaseUrl::Sqlite(_) => {
            let store = super::ledger::open(p).await?;
            let id = snapshot(&store, file).await?;
            println!(
                "backed up ledger {} to {} (id in {})",
                id.as_str(),
                file.display(),
                crate::store::marker_path(file).display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub async fn restore(
    p: &Project,
    file: &Path,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    match &p.settings.database {
        DatabaseUrl::Postgres { url, marker } => {
            let url = without_password(url.expose());
            eprintln!(
                "error: bulletin restore puts back SQLite ledgers; this ledger is on PostgreSQL, and nothing was changed\n  hint: stop the daemons, then pg_restore --clean --if-exists --dbname '{url}' {} and put the {} kept with the dump back in place",
                file.display(),
                marker.display()
            );
            Ok(ExitCode::FAILURE)
        }
        DatabaseUrl::Sqlite(db) => {
            // Nothing is made (not even the lock file) for a file that is no backup.
            verify(file).await?;
            // The daemon (or a send) holds this while it uses the ledger: not beside it.
            let _lock = SenderLock::acquire(db).map_err(|e| {
                anyhow::anyhow!(
                    "{e}\n  hint: stop the daemon first (it holds {}.lock), then run bulletin restore again",
                    db.display()
                )
            })?;
            let stamp = clock.now_utc().format("%Y%m%dT%H%M%SZ").to_string();
            let aside = put_in_place(db, file, &stamp).await?;
            if let Some(aside) = aside {
                println!(
                    "the previous ledger is kept as {} (with its marker)",
                    aside.display()
                );
            }
            println!(
                "restored {} from {}; start the daemon to use it",
                db.display(),
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A PostgreSQL URL without its password (`postgres://user:secret@host/db` →
/// `postgres://user@host/db`), to print in advice.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn the_password_is_left_out_and_the_rest_kept() {
        assert_eq!(
            without_password("postgres://bob:s3cr:et@db.example:5432/news?sslmode=require"),
            "postgres://bob@db.example:5432/news?sslmode=require"
        );
        assert_eq!(
            without_password("postgres://root@127.0.0.1/x"),
            "postgres://root@127.0.0.1/x"
        );
        assert_eq!(without_password("postgres:///x"), "postgres:///x");
    }
}
