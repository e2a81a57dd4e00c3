//! The outbox transport, as an operator trying things out (or a mail pickup) relies on it: a
//! message is `sent` only once its whole file is on disk, a full disk defers instead of
//! "sending" empty or truncated files, every file names its recipient, and what the daemon
//! writes (ledger, outbox, secret) is readable by its own user only, whatever the umask.

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use support::say;
use support::tmpfs::Tmpfs;
use support::wait_until;
use support::{Tree, bulletin, bulletin_with_umask, status_json};

/// A tree whose `all` list holds `n` members.
fn tree(n: usize) -> Tree {
    let t = Tree::minimal();
    t.members((0..n).map(|i| format!("person{i}@agency.example")));
    t
}

fn status(t: &Tree) -> serde_json::Value {
    status_json(&mut bulletin(t.root()))
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Whether `msg` is a whole message: it ends with the closing line of the boundary its
/// `Content-Type` header declares.
fn complete(msg: &[u8]) -> bool {
    let text = String::from_utf8_lossy(msg);
    let Some(boundary) = text
        .split("boundary=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
    else {
        return false;
    };
    text.ends_with(&format!("--{boundary}--\r\n"))
}

#[test]
fn a_full_disk_defers_and_never_leaves_an_empty_or_truncated_message_marked_sent() {
    let t = tree(40);
    let outbox = t.root().join("outbox");
    let _fs = match Tmpfs::mount(&outbox, "64k") {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!("skipped: a really full filesystem needs a tmpfs mounted as root ({why})");
            return;
        }
    };
    let o = bulletin(t.root())
        .args(["send", "news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "deferred is not failed: {}",
        say(&o)
    );
    let s = status(&t);
    let d = &s[0]["deliveries"];
    let sent = d["sent"].as_u64().unwrap();
    let deferred = d["deferred"].as_u64().unwrap();
    assert_eq!(sent + deferred, 40, "{s}");
    assert!(deferred > 0, "the disk really filled up: {s}");
    let left = files(&outbox);
    for f in &left {
        assert_eq!(
            f.extension().and_then(|x| x.to_str()),
            Some("eml"),
            "no temporary or partial file is left: {}",
            f.display()
        );
        let bytes = std::fs::read(f).unwrap();
        assert!(
            complete(&bytes),
            "{} is cut short ({} bytes)",
            f.display(),
            bytes.len()
        );
    }
    assert_eq!(
        left.len() as u64,
        sent,
        "every message the ledger calls sent is a whole file, and only those"
    );
}

#[test]
fn outbox_files_name_their_recipient_and_stay_unique() {
    let t = tree(5);
    let o = bulletin(t.root())
        .args(["send", "news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let names: Vec<String> = files(&t.root().join("outbox"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    for i in 0..5 {
        let who = format!("person{i}@agency.example");
        let mine: Vec<_> = names
            .iter()
            .filter(|n| n.ends_with(&format!("-{who}.eml")))
            .collect();
        assert_eq!(mine.len(), 1, "{who} in {names:?}");
        let text = std::fs::read_to_string(t.root().join("outbox").join(mine[0])).unwrap();
        assert!(text.contains(&format!("To: {who}")), "{text}");
    }
}

#[test]
fn the_ledger_outbox_and_secret_are_private_even_with_umask_000() {
    let t = tree(2);
    // The daemon keeps the database open, so its -wal and -shm files exist while it runs.
    let mut daemon = bulletin_with_umask(t.root(), "000")
        .arg("run")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let data = t.root().join("data");
    wait_until(std::time::Duration::from_secs(20), || {
        data.join("bulletin.db-wal").exists() && data.join("unsubscribe.secret").exists()
    });
    let expected = [
        ("data", 0o700),
        ("data/bulletin.db", 0o600),
        ("data/bulletin.db-wal", 0o600),
        ("data/bulletin.db-shm", 0o600),
        ("data/bulletin.db.lock", 0o600),
        ("data/unsubscribe.secret", 0o600),
    ];
    let found: Vec<(&str, u32)> = expected
        .iter()
        .map(|(p, _)| (*p, mode(&t.root().join(p))))
        .collect();
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_eq!(found, expected, "as the running daemon made them");

    let o = bulletin_with_umask(t.root(), "000")
        .args(["send", "news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let outbox = t.root().join("outbox");
    assert_eq!(mode(&outbox), 0o700);
    // Every file is private, including a temporary one the killed daemon left half-written
    // (its delivery went back to the queue; only complete files carry a message's name).
    let all = files(&outbox);
    for f in &all {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    let emls: Vec<_> = all
        .iter()
        .filter(|f| !f.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(emls.len(), 2, "{all:?}");
}
