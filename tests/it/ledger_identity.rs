//! The ledger is the memory of who was sent what and who unsubscribed. When its file is
//! truncated, deleted or swapped for another, `bulletin` refuses to start rather than quietly
//! making a new one (which would forget every unsubscribe and send the issue to everyone again),
//! and says what happened and how to proceed.

use crate::support;

use std::path::PathBuf;
use std::process::Output;

use support::daemon::Daemon;
use support::pg::PgDb;
use support::{Tree, bulletin};
use support::{run, stderr as err};

fn tree() -> Tree {
    let t = Tree::minimal();
    t.members((0..4).map(|i| format!("p{i}@x.example")));
    t
}

fn send(t: &Tree) -> Output {
    run(t, &["send", "news", "--now", "--date", "2026-12-01"])
}

fn db(t: &Tree) -> PathBuf {
    t.root().join("data/bulletin.db")
}

fn marker(t: &Tree) -> PathBuf {
    t.root().join("data/bulletin.db.ledger-id")
}

fn outbox(t: &Tree) -> usize {
    t.outbox().len()
}

/// Remove the database file and its companions (as a failed disk or a careless `rm` would).
fn remove_db(t: &Tree) {
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", db(t).display()));
    }
}

/// A tree that has sent its December issue and recorded one unsubscribe.
fn used_tree() -> Tree {
    let t = tree();
    let o = send(&t);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = run(&t, &["suppress", "p0@x.example"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(outbox(&t), 4);
    assert!(marker(&t).exists(), "the ledger is marked when created");
    t
}

#[test]
fn a_ledger_truncated_to_zero_bytes_is_refused_by_every_command_that_opens_it() {
    let t = used_tree();
    std::fs::File::create(db(&t)).unwrap(); // truncates
    for args in [
        vec!["send", "news", "--now", "--date", "2026-12-01"],
        vec!["run"],
        vec!["status"],
        vec!["suppress", "p1@x.example"],
    ] {
        let o = run(&t, &args);
        let e = err(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert!(
            e.contains("data/bulletin.db is empty (0 bytes)")
                && e.contains("truncated")
                && e.contains("restore")
                && e.contains("bulletin.db.ledger-id"),
            "{args:?}: {e}"
        );
    }
    assert_eq!(outbox(&t), 4, "nothing sent again");
    assert_eq!(
        std::fs::metadata(db(&t)).unwrap().len(),
        0,
        "left for the operator to restore"
    );
}

#[test]
fn a_deleted_ledger_is_refused_while_its_marker_remains_and_removing_the_marker_starts_afresh() {
    let t = used_tree();
    remove_db(&t);
    let o = send(&t);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("data/bulletin.db is missing")
            && e.contains("bulletin restore")
            && !e.contains("remove"),
        "{e}"
    );
    let o = run(&t, &["status"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "status does not pretend all is well: {}",
        err(&o)
    );
    assert!(!db(&t).exists(), "no new ledger was made");

    // The operator decides to start afresh anyway (the hint does not suggest it).
    std::fs::remove_file(marker(&t)).unwrap();
    let o = send(&t);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(marker(&t).exists());
}

#[test]
fn another_projects_ledger_in_its_place_is_refused() {
    let t = used_tree();
    let other = used_tree();
    remove_db(&t);
    for s in ["", "-wal", "-shm"] {
        let from = format!("{}{s}", db(&other).display());
        if std::path::Path::new(&from).exists() {
            std::fs::copy(&from, format!("{}{s}", db(&t).display())).unwrap();
        }
    }
    let o = send(&t);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    let ours = std::fs::read_to_string(marker(&t)).unwrap();
    let theirs = std::fs::read_to_string(marker(&other)).unwrap();
    assert_ne!(ours, theirs, "each ledger has its own id");
    assert!(
        e.contains(&format!("holds ledger {}", theirs.trim()))
            && e.contains(&format!("ledger is {}", ours.trim())),
        "{e}"
    );
}

#[test]
fn a_file_that_is_not_a_ledger_is_refused_and_left_untouched() {
    // Not SQLite at all.
    let t = tree();
    t.write("data/bulletin.db", "name,email\nJo,jo@x.example\n");
    let o = send(&t);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("is not a SQLite database"), "{}", err(&o));

    // Another program's SQLite database.
    let t = tree();
    std::fs::create_dir_all(db(&t).parent().unwrap()).unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", db(&t).display()))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE contacts (email TEXT)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let o = send(&t);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("another program's SQLite database (tables: contacts)"),
        "{e}"
    );
    assert_eq!(outbox(&t), 0);
}

#[test]
fn a_ledger_from_before_markers_is_kept_and_marked() {
    let t = used_tree();
    let id = std::fs::read_to_string(marker(&t)).unwrap();
    std::fs::remove_file(marker(&t)).unwrap();
    let o = run(&t, &["status", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s[0]["deliveries"]["sent"], 4, "the same ledger");
    assert_eq!(
        std::fs::read_to_string(marker(&t)).unwrap(),
        id,
        "marked again with the id it holds"
    );
}

/// The marker of a PostgreSQL ledger: in the project's `data/` folder.
fn pg_marker(t: &Tree) -> PathBuf {
    t.root().join("data/postgres.ledger-id")
}

fn run_pg(t: &Tree, db: &PgDb, args: &[&str]) -> Output {
    bulletin(t.root())
        .env("BULLETIN_DATABASE_URL", &db.url)
        .args(args)
        .output()
        .unwrap()
}

fn send_pg(t: &Tree, db: &PgDb) -> Output {
    run_pg(t, db, &["send", "news", "--now", "--date", "2026-12-01"])
}

/// A tree whose December issue went out through a PostgreSQL ledger, with one unsubscribe.
fn used_pg_tree(db: &PgDb) -> Tree {
    let t = tree();
    let o = send_pg(&t, db);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = run_pg(&t, db, &["suppress", "p0@x.example"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(outbox(&t), 4);
    assert!(pg_marker(&t).exists(), "the ledger is marked when created");
    t
}

#[test]
fn a_postgres_ledger_dropped_and_recreated_is_refused_until_its_marker_is_removed() {
    let db = PgDb::create();
    let t = used_pg_tree(&db);
    db.recreate();
    for args in [
        vec!["send", "news", "--now", "--date", "2026-12-01"],
        vec!["run"],
        vec!["suppress", "p1@x.example"],
    ] {
        let o = run_pg(&t, &db, &args);
        let e = err(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert!(
            e.contains(&db.name)
                && e.contains("holds no ledger")
                && e.contains("restore")
                && e.contains("data/postgres.ledger-id"),
            "{args:?}: {e}"
        );
        assert!(!e.contains("password"), "{e}");
    }
    assert_eq!(outbox(&t), 4, "nothing sent again");

    // A new, empty database is what the operator wants (the hint does not suggest it).
    std::fs::remove_file(pg_marker(&t)).unwrap();
    let o = send_pg(&t, &db);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(pg_marker(&t).exists(), "marked again");
}

#[test]
fn another_postgres_ledger_in_its_place_is_refused() {
    let ours = PgDb::create();
    let theirs = PgDb::create();
    let t = used_pg_tree(&ours);
    let other = used_pg_tree(&theirs);
    let our_id = std::fs::read_to_string(pg_marker(&t)).unwrap();
    let their_id = std::fs::read_to_string(pg_marker(&other)).unwrap();
    assert_ne!(our_id, their_id, "each ledger has its own id");
    // The URL now names the other project's database (a copied settings file, a typo).
    let o = send_pg(&t, &theirs);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains(&format!("holds ledger {}", their_id.trim()))
            && e.contains(&format!("ledger is {}", our_id.trim())),
        "{e}"
    );
    assert_eq!(outbox(&t), 4);
}

/// A brand-new ledger appears whole: built under a temporary name and renamed into place, so
/// no command racing the daemon's first start ever sees an empty or half-made file.
#[test]
fn a_new_ledger_appears_whole_to_commands_racing_the_daemons_first_start() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut problems = Vec::new();
    for round in 0..12 {
        let t = tree();
        let path = db(&t);
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut empty = 0;
                while !stop.load(Ordering::Relaxed) {
                    if std::fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
                        empty += 1;
                    }
                }
                empty
            })
        };
        let d = Daemon::builder(&t).spawn();
        let start = std::time::Instant::now();
        while !d.log().contains("running") && start.elapsed() < std::time::Duration::from_secs(10) {
            let racers: Vec<_> = (0..3)
                .map(|_| {
                    bulletin(t.root())
                        .arg("status")
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::piped())
                        .spawn()
                        .unwrap()
                })
                .collect();
            for r in racers {
                let o = r.wait_with_output().unwrap();
                // Before the ledger appears, "no ledger" is the truth; a half-made one never is.
                if !o.status.success() && !err(&o).contains("no ledger at") {
                    problems.push(format!("round {round}: status: {}", err(&o)));
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        let empty = watcher.join().unwrap();
        if empty > 0 {
            problems.push(format!(
                "round {round}: an empty ledger file was seen {empty} times"
            ));
        }
        if !d.log().contains("running") {
            problems.push(format!(
                "round {round}: the daemon did not start: {}",
                d.log()
            ));
        }
        drop(d);
        let o = run(&t, &["status"]);
        if !o.status.success() {
            problems.push(format!("round {round}: status afterwards: {}", err(&o)));
        }
        let left: Vec<_> = std::fs::read_dir(t.root().join("data"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".new-"))
            .collect();
        if !left.is_empty() {
            problems.push(format!("round {round}: temporary files left: {left:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
