//! A command that only reads the ledger or adds to it never creates one. An MTA's alias runs
//! `bulletin bounce` without the daemon's environment: if its database URL names a place with
//! no ledger, a fresh empty ledger there would "not hold" the delivery, the bounce would be
//! dropped with exit 0 and the MTA would delete it. Against the real binary: each such command,
//! pointed at a ledger that does not exist (in a folder that does not exist, and in one that
//! does), creates nothing, says where it looked and how a ledger is made, and fails (`bounce`
//! with 75, so the MTA keeps the message).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use support::{Tree, bulletin};

const SECRET: &str = "no-ledger-test-secret-no-ledger-test-secret";

/// A bounce for a delivery (its signature is not checked before the ledger is needed).
const BOUNCE: &[u8] = b"From: MAILER-DAEMON@relay.example\r\n\
To: bounces+1-abc@test.example\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain\r\n\
\r\n\
Your message could not be delivered.\r\n\
--b\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; relay.example\r\n\
\r\n\
Final-Recipient: rfc822; a@x.example\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
--b--\r\n";

fn tree() -> Tree {
    let t = Tree::minimal();
    t.append_config("\n[bounces]\naddress = \"bounces@test.example\"\n");
    t
}

/// `args` run with the database URL `db` (None: the settings' default, `data/bulletin.db`).
fn run(t: &Tree, db: Option<&str>, args: &[&str], stdin: &[u8]) -> Output {
    let mut c = bulletin(t.root());
    c.env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("ORIGINAL_RECIPIENT", "bounces+1-abc@test.example")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(db) = db {
        c.env("BULLETIN_DATABASE_URL", db);
    }
    let mut child = c.spawn().unwrap();
    // A command that does not read stdin may have exited already.
    let _ = std::io::Write::write_all(child.stdin.as_mut().unwrap(), stdin);
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// Every command that reads or adds to the ledger, and the exit code it must end with.
fn commands() -> Vec<(Vec<&'static str>, Option<i32>)> {
    let failed = Some(1);
    vec![
        (vec!["bounce"], Some(75)),
        (vec!["status"], failed),
        (vec!["status", "--format", "json"], failed),
        (vec!["status", "news@2026-12-01", "--recipients"], failed),
        (vec!["impact", "--issue", "news@2026-12-01"], failed),
        (
            vec!["impact", "--quarter", "2026-Q4", "--format", "json"],
            failed,
        ),
        (vec!["suppressions"], failed),
        (vec!["suppressions", "--format", "csv"], failed),
        (vec!["lists", "--stale"], failed),
        (vec!["approve", "news", "--date", "2026-12-01"], failed),
        (vec!["cancel", "news", "--date", "2026-12-01"], failed),
        (vec!["withdraw", "news", "--date", "2026-12-01"], failed),
        (vec!["suppress", "a@x.example"], failed),
        (vec!["unsuppress", "a@x.example"], failed),
        (vec!["backup", "ledger-backup.db"], failed),
    ]
}

/// Everything under `dir`, recursively (nothing when it does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            out.push(e.path());
            out.extend(files_under(&e.path()));
        }
    }
    out
}

/// Each command with the database URL `db`, whose ledger would be at `place`; nothing may
/// appear under `folder`.
fn check_every_command(t: &Tree, db: Option<&str>, place: &str, folder: &Path) {
    let before = files_under(folder);
    let mut wrong = Vec::new();
    for (args, code) in commands() {
        let o = run(t, db, &args, BOUNCE);
        let err = String::from_utf8_lossy(&o.stderr);
        let said = err.contains(place)
            && err.contains("bulletin run")
            && !err.contains("unable to open database file");
        let created = files_under(folder) != before;
        if o.status.code() != code || !said || created {
            wrong.push(format!(
                "`{}`: exit {:?} (want {code:?}), {}{}\n  stderr: {}\n  stdout: {}",
                args.join(" "),
                o.status.code(),
                if said {
                    ""
                } else {
                    "does not name the ledger's place and how to create it, "
                },
                if created {
                    format!("created {:?}", files_under(folder))
                } else {
                    String::new()
                },
                err.trim(),
                String::from_utf8_lossy(&o.stdout).trim()
            ));
            // Start the next command from nothing again.
            for p in files_under(folder).into_iter().rev() {
                if !before.contains(&p) {
                    let _ = std::fs::remove_file(&p).or_else(|_| std::fs::remove_dir(&p));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} commands:\n{}",
        wrong.len(),
        commands().len(),
        wrong.join("\n")
    );
}

#[test]
fn no_command_but_run_and_send_creates_a_ledger_in_a_folder_that_does_not_exist() {
    let t = tree();
    let elsewhere = tempfile::tempdir().unwrap();
    let db = format!(
        "sqlite://{}",
        elsewhere
            .path()
            .join("var/lib/bulletin/bulletin.db")
            .display()
    );
    check_every_command(&t, Some(&db), &db, elsewhere.path());
    // The settings' default place, in a fresh project (no `data/` yet), likewise.
    let default = t.root().join("data/bulletin.db").display().to_string();
    check_every_command(&t, None, &default, t.root());
    assert!(!t.root().join("data").exists());
}

#[test]
fn no_command_but_run_and_send_creates_a_ledger_in_an_empty_folder() {
    let t = tree();
    std::fs::create_dir_all(t.root().join("data")).unwrap();
    let db = t.root().join("data/bulletin.db").display().to_string();
    check_every_command(&t, None, &db, &t.root().join("data"));
    assert_eq!(files_under(&t.root().join("data")), Vec::<PathBuf>::new());
}

/// The commands that only look at the settings still work before there is a ledger, and say
/// that suppressions could not be taken into account; sending creates the ledger.
#[test]
fn lists_work_without_a_ledger_and_sending_creates_it() {
    let t = tree();
    let o = run(&t, None, &["lists"], b"");
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no ledger"), "{err}");
    assert!(!t.root().join("data").exists());

    let o = run(
        &t,
        None,
        &["send", "news", "--test-to", "ed@x.example"],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(t.root().join("data/bulletin.db").exists());
    let o = run(&t, None, &["status"], b"");
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

/// On PostgreSQL, a database bulletin never migrated holds no ledger: the same commands leave
/// it without a table and say so, naming it without its user.
#[test]
fn no_command_but_run_and_send_creates_a_ledger_in_an_empty_postgresql_database() {
    let t = tree();
    let db = support::pg::PgDb::create();
    let place = format!("postgres://127.0.0.1:5432/{}", db.name);
    let nothing = tempfile::tempdir().unwrap();
    check_every_command(&t, Some(&db.url), &place, nothing.path());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tables: i64 = rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_one(&mut c)
        .await
        .unwrap()
    });
    assert_eq!(tables, 0, "tables were created in {}", db.name);
}
