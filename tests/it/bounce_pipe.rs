//! The bounce pipe as the README sets it up: a Postfix `pipe` transport that runs
//! `bulletin bounce` as the daemon's user (`bulletin`), with no environment but what
//! master.cf passes, the unsubscribe secret read from its `secret_file`. The same delivery run
//! as `nobody` (what an /etc/aliases pipe runs as) cannot read the ledger or the secret: it
//! asks the MTA to retry (75) and says why.
//!
//! Needs root (to create the user and switch to it); skipped with a message otherwise.

use crate::support;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};

use support::bounce::{dsn, return_paths};
use support::say;
use support::{Tree, bulletin};

const SECRET: &str = "bounce-pipe-secret-bounce-pipe-secret-0123";
const MEMBERS: [&str; 3] = ["gone@nhs.example", "b@police.example", "c@school.example"];

fn sh(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd).args(args).output().unwrap()
}

/// The user and group id of `name`, creating it as a system user when it is missing.
fn system_user(name: &str) -> (u32, u32) {
    if !sh("id", &["-u", name]).status.success() {
        let o = sh(
            "useradd",
            &[
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                name,
            ],
        );
        // Another test process may have created it meanwhile.
        assert!(
            o.status.success() || sh("id", &["-u", name]).status.success(),
            "useradd {name}: {}",
            say(&o)
        );
    }
    let id = |flag: &str| {
        String::from_utf8(sh("id", &[flag, name]).stdout)
            .unwrap()
            .trim()
            .parse::<u32>()
            .unwrap()
    };
    (id("-u"), id("-g"))
}

fn is_root() -> bool {
    String::from_utf8_lossy(&sh("id", &["-u"]).stdout).trim() == "0"
}

/// `bulletin --config … bounce --recipient VERP` with the DSN on stdin, as Postfix's pipe(8)
/// runs it under `user=`: that user's ids, no supplementary groups, a bare environment.
fn pipe_as(uid: u32, gid: u32, t: &Tree, verp: &str, message: &[u8]) -> Output {
    let config = t.config();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bulletin"))
        .uid(uid)
        .gid(gid)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .current_dir("/")
        .arg("--config")
        .arg(&config)
        .args(["bounce", "--recipient", verp])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(message).unwrap();
    child.wait_with_output().unwrap()
}

fn chown_r(user: &str, path: &std::path::Path) {
    let o = sh(
        "chown",
        &["-R", &format!("{user}:"), path.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", say(&o));
}

fn chmod(mode: u32, path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_pipe_transport_running_as_bulletin_records_the_bounce_and_nobody_is_told_to_retry() {
    if !is_root() {
        eprintln!(
            "SKIPPED: this test creates the `bulletin` user and runs the bounce pipe as it and as `nobody`; run it as root"
        );
        return;
    }
    let (uid, gid) = system_user("bulletin");
    let (nobody_uid, nobody_gid) = system_user("nobody");

    let t = Tree::minimal();
    t.members(MEMBERS);
    t.append_config(
        "[bounces]\naddress = \"bounces@test.example\"\n\n[unsubscribe]\nsecret_file = \"secrets/unsubscribe\"\n",
    );
    t.write("secrets/unsubscribe", SECRET);
    // The project as installed: readable by all, its secret and ledger the daemon's alone.
    chmod(0o755, t.root());
    let o = bulletin(t.root())
        .args(["send", "news", "--now", "--yes", "--date", "2026-12-01"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let data = t.root().join("data");
    let ledger = data.join("bulletin.db");
    assert!(ledger.exists(), "the send made the ledger");
    chown_r("bulletin", &data);
    chmod(0o700, &data);
    chmod(0o600, &ledger);
    let secret = t.root().join("secrets");
    chown_r("bulletin", &secret);
    chmod(0o700, &secret);
    chmod(0o600, &secret.join("unsubscribe"));

    let verp = return_paths(&t, 1)[MEMBERS[0]].clone();
    let message = dsn(&verp, MEMBERS[0]).into_bytes();

    // As `nobody` (an alias pipe): it can read neither; the MTA keeps the message.
    let o = pipe_as(nobody_uid, nobody_gid, &t, &verp, &message);
    assert_eq!(o.status.code(), Some(75), "EX_TEMPFAIL: {}", say(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("permission denied") && err.contains("running as nobody"),
        "says what it cannot read: {}",
        say(&o)
    );
    assert!(
        err.contains("the ledger belongs to bulletin") && err.contains("user=bulletin"),
        "says whom to run as, and how: {}",
        say(&o)
    );
    // As `bulletin` (the pipe transport): recorded.
    let o = pipe_as(uid, gid, &t, &verp, &message);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("the address is suppressed"),
        "{}",
        say(&o)
    );
    let o = bulletin(t.root())
        .args(["suppressions", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let suppressed: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["email"].as_str())
        .collect();
    assert_eq!(suppressed, [MEMBERS[0]], "{rows}");
}
