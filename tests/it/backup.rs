//! `bulletin backup` takes a consistent copy of the running ledger (with its id), and
//! `bulletin restore` puts it back after a loss, keeping what it knew: the issue already sent is
//! not sent again, and unsubscribes stay. The identity errors point at `bulletin restore`, never
//! at removing the marker (which would start an empty ledger that has forgotten everything).

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::daemon::{Daemon, wait_until};
use support::{Tree, bulletin, status_json};
use support::{run, stderr as err};

const MEMBERS: usize = 4;

fn db(t: &Tree) -> PathBuf {
    t.root().join("data/bulletin.db")
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_backup_of_the_running_ledger_restored_after_a_loss_sends_nothing_twice_and_keeps_unsubscribes()
{
    let t = Tree::minimal();
    t.fire_daily_minutes_ago(2);
    t.members((0..MEMBERS).map(|i| format!("p{i}@x.example")));
    let d = Daemon::builder(&t).start();
    assert!(
        wait_until(Duration::from_secs(30), || t.outbox().len() == MEMBERS),
        "the daemon sends the issue: {}",
        d.log()
    );
    let o = run(&t, &["suppress", "p1@x.example"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));

    // A backup while the daemon runs: the copy and its id, private.
    let backup = t.root().join("backups/ledger.db");
    let o = run(&t, &["backup", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let backup_marker = t.root().join("backups/ledger.db.ledger-id");
    assert_eq!(mode(&backup), 0o600);
    assert_eq!(mode(&backup_marker), 0o600);
    let id = std::fs::read_to_string(t.root().join("data/bulletin.db.ledger-id")).unwrap();
    assert_eq!(std::fs::read_to_string(&backup_marker).unwrap(), id);

    // Not while the daemon holds the ledger.
    let o = run(&t, &["restore", backup.to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0), "refused beside the daemon");
    assert!(err(&o).contains("bulletin.db.lock"), "{}", err(&o));
    let date = status_json(&mut bulletin(t.root()))[0]["date"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(d.stop().code, Some(0));

    // A loss: the file is truncated, its WAL gone.
    std::fs::File::create(db(&t)).unwrap();
    for s in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", db(&t).display()));
    }
    let o = run(&t, &["status"]);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("bulletin restore"),
        "the hint names restore: {e}"
    );
    assert!(
        !e.contains("remove"),
        "never suggests removing the marker: {e}"
    );

    // A backup whose marker names another ledger is refused.
    let other = t.root().join("backups/other.db");
    std::fs::copy(&backup, &other).unwrap();
    std::fs::write(
        t.root().join("backups/other.db.ledger-id"),
        "0123456789abcdef0123456789abcdef\n",
    )
    .unwrap();
    let o = run(&t, &["restore", other.to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0), "a mismatched backup is refused");
    assert_eq!(std::fs::metadata(db(&t)).unwrap().len(), 0, "nothing moved");

    let o = run(&t, &["restore", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let aside: Vec<_> = std::fs::read_dir(t.root().join("data"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("bulletin.db.before-restore"))
        .collect();
    assert!(!aside.is_empty(), "the lost ledger is kept aside");
    assert_eq!(mode(&db(&t)), 0o600);

    // The restored ledger remembers: nothing is sent twice, the unsubscribe stays.
    let o = run(&t, &["send", "news", "--now", "--yes", "--date", &date]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(t.outbox().len(), MEMBERS, "nothing sent twice");
    let o = run(&t, &["suppressions"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("p1@x.example"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
