//! The ledger while the daemon runs. A ledger file deleted or swapped under the running daemon,
//! or a disk that fills up, must show on `/healthz` and in the log at ERROR, and an unsubscribe
//! that cannot be kept must get 503 ("try again"), never "You have been unsubscribed": the
//! daemon would otherwise write to a deleted file and lose it.

use crate::support;

use std::path::PathBuf;
use std::time::Duration;

use support::daemon::{Daemon, wait_until};
use support::email::unsubscribe_link;
use support::pg::PgDb;
use support::tmpfs::Tmpfs;
use support::{Tree, bulletin, status_json};

const MEMBERS: [&str; 3] = [
    "ann.archer@police.example",
    "bob.baker@nhs.example",
    "cat.cole@school.example",
];

fn db(t: &Tree) -> PathBuf {
    t.root().join("data/bulletin.db")
}

/// A tree whose December issue was sent (by the command line, before the daemon starts).
fn sent_tree() -> Tree {
    let t = Tree::minimal();
    t.quiet_schedule();
    t.members(MEMBERS);
    send(&t);
    t
}

fn send(t: &Tree) {
    let o = bulletin(t.root())
        .args([
            "send",
            "news",
            "--now",
            "--unscheduled",
            "--date",
            "2026-12-01",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The path of the first sent message's unsubscribe link.
fn unsubscribe_path(t: &Tree) -> String {
    let (url, _) = unsubscribe_link(&std::fs::read_to_string(&t.outbox()[0]).unwrap());
    format!("/{}", url.splitn(4, '/').nth(3).unwrap())
}

/// A one-click unsubscribe must not say it worked: 503, with the "try again" page.
fn assert_unsubscribe_refused(d: &Daemon, path: &str) {
    let (code, _, body) = d.post_form(path, "List-Unsubscribe=One-Click");
    assert_eq!(code, 503, "{body}\n{}", d.log());
    assert!(
        !body.contains("You have been unsubscribed") && body.contains("try again"),
        "{body}"
    );
}

fn assert_no_addresses(log: &str) {
    for m in MEMBERS {
        assert!(!log.contains(m), "the log names {m}: {log}");
    }
}

#[test]
fn a_ledger_deleted_under_the_running_daemon_is_unhealthy_and_refuses_unsubscribes() {
    let t = sent_tree();
    let d = Daemon::builder(&t).start();
    let path = unsubscribe_path(&t);
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", db(&t).display()));
    }

    let (code, _, body) = d.get("/healthz");
    assert_eq!(code, 503, "{body}");
    assert!(
        body.contains("store: ") && !body.contains("store: ok") && body.contains("deleted"),
        "{body}"
    );
    assert_unsubscribe_refused(&d, &path);
    assert!(
        wait_until(Duration::from_secs(5), || d.log().contains("ERROR")),
        "logged at ERROR: {}",
        d.log()
    );
    assert!(
        d.log().contains("data/bulletin.db") && d.log().contains("deleted"),
        "{}",
        d.log()
    );
    assert!(
        !db(&t).exists(),
        "no new, empty ledger was made in its place"
    );
    assert_no_addresses(&d.log());

    // The hint's way back: copy the files the daemon still has open, then restart.
    let log = d.log();
    let copy = log
        .split("copied back as they are now: ")
        .nth(1)
        .and_then(|s| s.lines().next())
        .unwrap_or_else(|| panic!("no copy-back hint: {log}"));
    let o = std::process::Command::new("sh")
        .args(["-c", copy])
        .output()
        .unwrap();
    assert!(o.status.success(), "{copy}: {o:?}");
    drop(d);
    let s = status_json(&mut bulletin(t.root()));
    assert_eq!(s[0]["deliveries"]["sent"], 3, "the same ledger, whole: {s}");
}

#[test]
fn a_ledger_swapped_for_another_file_under_the_running_daemon_is_unhealthy_and_refuses_unsubscribes()
 {
    let t = sent_tree();
    let d = Daemon::builder(&t).start();
    let path = unsubscribe_path(&t);
    // A copy moved into place (as a restore from a backup would be): another file, whatever it
    // holds, so what the daemon writes to the old one would be lost.
    let copy = t.root().join("data/copy.db");
    std::fs::copy(db(&t), &copy).unwrap();
    std::fs::rename(&copy, db(&t)).unwrap();

    let (code, _, body) = d.get("/healthz");
    assert_eq!(code, 503, "{body}");
    assert!(
        !body.contains("store: ok") && body.contains("replaced"),
        "{body}"
    );
    assert_unsubscribe_refused(&d, &path);
    assert!(
        wait_until(Duration::from_secs(5), || d.log().contains("ERROR")),
        "logged at ERROR: {}",
        d.log()
    );
}

#[test]
fn a_full_disk_under_the_ledger_shows_on_healthz_and_in_the_log_until_writes_work_again() {
    let t = Tree::minimal();
    t.quiet_schedule();
    t.members(MEMBERS);
    let _fs = match Tmpfs::mount(&t.root().join("data"), "4m") {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!("skipped: a really full filesystem needs a tmpfs mounted as root ({why})");
            return;
        }
    };
    send(&t);
    let d = Daemon::builder(&t).start();
    let path = unsubscribe_path(&t);
    let filler = _fs.fill("filler");

    assert_unsubscribe_refused(&d, &path);
    let (code, _, body) = d.get("/healthz");
    assert_eq!(code, 503, "{body}");
    assert!(
        body.contains("store: write failed") && body.contains("disk full"),
        "{body}"
    );
    assert!(
        wait_until(Duration::from_secs(5), || d
            .log()
            .lines()
            .any(|l| l.contains("ERROR") && l.contains("disk full"))),
        "{}",
        d.log()
    );
    let log = d.log();
    assert_no_addresses(&log);

    // Space again: the next write works, and health says so.
    std::fs::remove_file(filler).unwrap();
    let (code, _, body) = d.get("/healthz");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("store: ok"), "{body}");
    // The reader was told to try again: a retry within seconds is recorded (the first may
    // still meet a pooled connection that saw the full disk).
    let mut last = (0, String::new());
    let recorded = wait_until(Duration::from_secs(10), || {
        let (code, _, body) = d.post_form(&path, "List-Unsubscribe=One-Click");
        last = (code, body);
        code == 200
    });
    assert!(recorded, "{}: {}\n{}", last.0, last.1, d.log());
    assert!(last.1.contains("You have been unsubscribed"), "{}", last.1);
    drop(d);
}

#[test]
fn a_postgres_ledger_dropped_and_recreated_under_the_running_daemon_is_unhealthy_and_refuses_unsubscribes()
 {
    let db = PgDb::create();
    let t = Tree::minimal();
    t.quiet_schedule();
    t.members(MEMBERS);
    let o = bulletin(t.root())
        .env("BULLETIN_DATABASE_URL", &db.url)
        .args([
            "send",
            "news",
            "--now",
            "--unscheduled",
            "--date",
            "2026-12-01",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = Daemon::builder(&t)
        .env("BULLETIN_DATABASE_URL", &db.url)
        .start();
    let path = unsubscribe_path(&t);
    db.recreate();
    // And made a ledger again by a command run elsewhere (another machine, a fresh checkout,
    // with no marker to stop it): the daemon would write into it without a word.
    let elsewhere = Tree::minimal();
    let o = bulletin(elsewhere.root())
        .env("BULLETIN_DATABASE_URL", &db.url)
        .args([
            "send",
            "news",
            "--now",
            "--unscheduled",
            "--date",
            "2026-12-01",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    assert_unsubscribe_refused(&d, &path);
    let (code, _, body) = d.get("/healthz");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("no longer holds ledger"), "{body}");
    assert!(
        wait_until(Duration::from_secs(5), || d.log().lines().any(|l| l
            .contains("ERROR")
            && l.contains("no longer holds ledger"))),
        "{}",
        d.log()
    );
    assert_no_addresses(&d.log());
}
