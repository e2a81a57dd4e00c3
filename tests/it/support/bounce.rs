//! What the bounce stories share: a ledger whose readers' messages carry signed return paths
//! (VERP), `bulletin bounce` fed a report as an MTA's pipe feeds it, and the DSN fixtures of
//! `tests/fixtures/bounces/` filled in for a given return path and recipient.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use super::{Tree, bulletin, say, status_json, wait_until};

/// The unsubscribe secret (which also signs the return paths) of the bounce stories' trees.
pub const SECRET: &str = "bounce-test-secret-bounce-test-secret-0123";
/// The `[bounces]` section that turns return paths on.
pub const BOUNCES: &str = "[bounces]\naddress = \"bounces@test.example\"\n";

/// A tree whose `all` list holds `members` (inline, one TOML table each), with `extra` appended
/// to the settings.
pub fn tree(members: &[&str], extra: &str) -> Tree {
    let t = Tree::minimal();
    t.members(members);
    t.append_config(extra);
    t
}

/// `bulletin` in the tree with the bounce secret and the log at `info` (what `bounce` says
/// about each report is the evidence).
pub fn command(t: &Tree) -> std::process::Command {
    let mut c = bulletin(t.root());
    c.env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("RUST_LOG", "info");
    c
}

/// `bulletin ARGS` as [`command`] runs it, whatever its exit: its output.
pub fn run(t: &Tree, args: &[&str]) -> Output {
    command(t).args(args).output().unwrap()
}

/// Send the issue of `date` now; `--yes` because "the next issue" may still be weeks ahead of
/// today, which `send` otherwise asks about.
pub fn send(t: &Tree, date: &str) {
    let o = run(t, &["send", "news", "--now", "--yes", "--date", date]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
}

/// `bulletin status` as JSON.
pub fn status(t: &Tree) -> serde_json::Value {
    status_json(bulletin(t.root()).env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET))
}

/// Members of the `all` list after suppressions.
pub fn members(t: &Tree) -> u64 {
    let o = run(t, &["lists", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "all")
        .unwrap()["members"]
        .as_u64()
        .unwrap()
}

/// Each outbox message of issue `issue`: recipient → what `field` reads from the message (its
/// file name and text).
pub fn per_recipient(
    t: &Tree,
    issue: i64,
    field: impl Fn(&str, &str) -> String,
) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(t.root().join("outbox"))
        .unwrap()
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&format!("{issue}-")) || !name.ends_with(".eml") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        let to = text
            .lines()
            .find_map(|l| l.strip_prefix("To: "))
            .map(|v| {
                v.rsplit('<')
                    .next()
                    .unwrap()
                    .trim_end_matches('>')
                    .to_string()
            })
            .unwrap();
        m.insert(to, field(&name, &text));
    }
    m
}

/// Each outbox message of issue `issue`: recipient → its Return-Path (the VERP address).
pub fn return_paths(t: &Tree, issue: i64) -> BTreeMap<String, String> {
    per_recipient(t, issue, |name, text| {
        let first = text.lines().next().unwrap();
        first
            .strip_prefix("Return-Path: <")
            .and_then(|r| r.strip_suffix('>'))
            .unwrap_or_else(|| panic!("{name} starts with {first:?}, not a Return-Path"))
            .to_string()
    })
}

/// The report `tests/fixtures/bounces/{name}` with each `{{KEY}}` replaced by its value, in
/// CRLF lines as an MTA delivers it.
pub fn fixture(name: &str, vars: &[(&str, &str)]) -> Vec<u8> {
    fixture_text(name, vars).into_bytes()
}

fn fixture_text(name: &str, vars: &[(&str, &str)]) -> String {
    let path = format!(
        "{}/tests/fixtures/bounces/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut text = std::fs::read_to_string(path).unwrap();
    for (k, v) in vars {
        text = text.replace(&format!("{{{{{k}}}}}"), v);
    }
    assert!(!text.contains("{{"), "unfilled placeholder in {name}");
    text.replace('\n', "\r\n")
}

/// The Postfix user-unknown DSN (5.1.1) for `verp` about `rcpt`.
pub fn dsn(verp: &str, rcpt: &str) -> String {
    fixture_text(
        "postfix-user-unknown.eml",
        &[("VERP", verp), ("RCPT", rcpt), ("STATUS", "5.1.1")],
    )
}

/// `bulletin bounce [args]` started with `message` on its stdin.
pub fn start_bounce(t: &Tree, message: Vec<u8>, args: &[&str]) -> Child {
    feed(command(t).arg("bounce").args(args), message)
}

/// `cmd` started with `message` on its stdin (written from a thread, so a slow reader never
/// blocks the test) and its output captured.
pub fn feed(cmd: &mut std::process::Command, message: Vec<u8>) -> Child {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || {
        let _ = stdin.write_all(&message);
    });
    child
}

/// Wait for `child`, killing it (and failing) after `limit`.
pub fn finish(mut child: Child, limit: Duration, what: &str) -> Output {
    if !wait_until(limit, || child.try_wait().unwrap().is_some()) {
        let _ = child.kill();
        let o = child.wait_with_output().unwrap();
        panic!("{what}: still running after {limit:?}; killed\n{}", say(&o));
    }
    child.wait_with_output().unwrap()
}

/// `bulletin bounce [args]` with `message` on stdin, as an MTA alias runs it; it must exit 0
/// (an MTA's pipe is never failed).
pub fn pipe(t: &Tree, message: &[u8], args: &[&str]) -> Output {
    let o = finish(
        start_bounce(t, message.to_vec(), args),
        Duration::from_secs(60),
        "bulletin bounce",
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "never fail an MTA's pipe: {}",
        say(&o)
    );
    o
}

/// Five readers at five kinds of organisation.
pub const FIVE: [&str; 5] = [
    "m0@agency.example",
    "m1@police.example",
    "m2@gmail.example",
    "m3@school.example",
    "m4@nhs.example",
];
