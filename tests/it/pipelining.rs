//! Pipelined SMTP (RFC 2920) against a real aiosmtpd relay that offers PIPELINING or not: the
//! envelope goes out in one write, the next message's envelope behind the previous message's
//! final dot, every reply is matched to its own command, a refused recipient costs only
//! itself, and a connection lost after DATA's 354 or after the final dot leaves the delivery
//! retryable, never `sent`.

use crate::support;

use support::smtp::TestSmtpServer;
use support::{Tree, say, succeed};

const ISSUE: &str = "news@2026-12-01";
const SECRET: &str = "pipelining-test-secret-pipelining-test-secret";

/// `bulletin` in the tree, with the unsubscribe secret real mail needs.
fn bulletin(t: &Tree) -> std::process::Command {
    let mut c = support::bulletin(t.root());
    c.env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET);
    c
}

/// A minimal tree whose `all` list is `members`, sending through `port` on `connections`.
fn tree(members: &[String], port: u16, connections: u32) -> Tree {
    let t = Tree::minimal();
    t.members(members);
    t.append_config(&format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\ntls = \"none\"\nconnections = {connections}\nmax_per_minute = 0\nmax_per_day = 0\n"
    ));
    t
}

fn readers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("reader{i}@x.example")).collect()
}

fn send(t: &Tree) -> std::process::Output {
    bulletin(t)
        .args(["send", "news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap()
}

/// Each recipient's state in the ledger.
fn states(t: &Tree) -> std::collections::BTreeMap<String, String> {
    let args = ["status", ISSUE, "--recipients", "--format", "json"];
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&succeed(bulletin(t).args(args))).unwrap();
    rows.iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Whether each logged `event` found more of the client's bytes already there when read.
fn pipelined(server: &TestSmtpServer, event: &str) -> Vec<bool> {
    server
        .events(event)
        .iter()
        .map(|e| e["detail"]["pipelined"].as_bool().unwrap())
        .collect()
}

#[test]
fn a_relay_offering_pipelining_gets_each_envelope_in_one_write_and_the_next_behind_the_dot() {
    let server = TestSmtpServer::start(&["--pipelining"]);
    let t = tree(&readers(12), server.port, 1);
    let o = send(&t);
    assert!(o.status.success(), "{}", say(&o));
    assert_eq!(server.messages().len(), 12);
    assert!(states(&t).values().all(|s| s == "sent"), "{:?}", states(&t));
    // MAIL and RCPT never come alone: the rest of the envelope was in the same write.
    assert!(
        pipelined(&server, "mail").iter().all(|p| *p),
        "{:?}",
        server.log()
    );
    assert!(
        pipelined(&server, "rcpt").iter().all(|p| *p),
        "{:?}",
        server.log()
    );
    // Every message but the last had the next MAIL FROM behind its final dot.
    let data = pipelined(&server, "data");
    assert_eq!(data.len(), 12);
    assert!(data[..11].iter().all(|p| *p), "{data:?}");
    assert!(
        !data[11],
        "nothing follows the last message but QUIT, after its 250"
    );
    // Each message reached the recipient its own envelope named.
    for e in server.events("data") {
        let file = e["detail"]["file"].as_str().unwrap();
        let body = std::fs::read_to_string(server.dir.path().join(file)).unwrap();
        let to = e["detail"]["rcpt_tos"][0].as_str().unwrap();
        assert!(body.contains(&format!("To: {to}")), "{file} for {to}");
    }
}

#[test]
fn a_relay_without_pipelining_gets_one_command_at_a_time() {
    let server = TestSmtpServer::start(&[]);
    let t = tree(&readers(6), server.port, 2);
    let o = send(&t);
    assert!(o.status.success(), "{}", say(&o));
    assert_eq!(server.messages().len(), 6);
    assert!(states(&t).values().all(|s| s == "sent"));
    let log = server.log();
    let ehlo = log.iter().find(|e| e["event"] == "ehlo").unwrap();
    assert!(
        !ehlo["detail"]["extensions"]
            .to_string()
            .contains("PIPELINING")
    );
    // The harness's own check of what arrived pipelined, turned on for the comparison.
    let server = TestSmtpServer::start(&["--pipelining"]);
    let t = tree(&readers(3), server.port, 1);
    assert!(send(&t).status.success());
    assert!(pipelined(&server, "mail").iter().all(|p| *p));
}

/// CHUNKING (BDAT) is never used, offered or not, with or without PIPELINING: the harness
/// offers it without understanding BDAT, so a message sent with BDAT would not arrive.
#[test]
fn a_relay_offering_chunking_still_gets_every_message_by_data() {
    for flags in [&["--chunking"][..], &["--chunking", "--pipelining"][..]] {
        let server = TestSmtpServer::start(flags);
        let t = tree(&readers(4), server.port, 2);
        let o = send(&t);
        assert!(o.status.success(), "{flags:?}: {}", say(&o));
        assert_eq!(server.messages().len(), 4, "{flags:?}");
        assert!(states(&t).values().all(|s| s == "sent"), "{flags:?}");
        let log = server.log();
        let ehlo = log.iter().find(|e| e["event"] == "ehlo").unwrap();
        assert!(
            ehlo["detail"]["extensions"]
                .to_string()
                .contains("CHUNKING"),
            "{flags:?}: the relay offered it"
        );
    }
}

#[test]
fn one_recipient_refused_and_one_deferred_inside_a_pipelined_run_cost_only_themselves() {
    let server = TestSmtpServer::start(&[
        "--pipelining",
        "--reject-rcpt",
        "gone",
        "--defer-rcpt",
        "busy",
    ]);
    let mut members = readers(8);
    members.insert(3, "gone@x.example".into());
    members.insert(6, "busy@x.example".into());
    let t = tree(&members, server.port, 1);
    let o = send(&t);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("8 sent, 1 deferred, 1 failed"), "{}", say(&o));
    let s = states(&t);
    assert_eq!(s["gone@x.example"], "failed");
    assert_eq!(s["busy@x.example"], "deferred");
    assert_eq!(s.values().filter(|v| *v == "sent").count(), 8, "{s:?}");
    // Every accepted message went to the recipient its envelope named, none to the refused.
    let data: Vec<_> = server
        .events("data")
        .into_iter()
        .filter(|e| e["detail"]["file"].is_string())
        .collect();
    assert_eq!(data.len(), 8, "{:?}", server.log());
    for e in &data {
        let to = e["detail"]["rcpt_tos"][0].as_str().unwrap();
        assert!(to.starts_with("reader"), "{to}");
        let body = std::fs::read_to_string(
            server
                .dir
                .path()
                .join(e["detail"]["file"].as_str().unwrap()),
        )
        .unwrap();
        assert!(body.contains(&format!("To: {to}")));
    }
}

/// What a run against a relay that drops the connection at some point of the fourth message
/// leaves: the three confirmed ones `sent`, every other delivery retryable, none `sent`
/// without its 250, none failed or suppressed.
fn dropped_connection_leaves_the_rest_retryable(relay: &[&str]) {
    let server = TestSmtpServer::start(relay);
    let t = tree(&readers(6), server.port, 1);
    let o = send(&t);
    assert_eq!(server.messages().len(), 3, "{}", say(&o));
    let s = states(&t);
    let sent = s.values().filter(|v| *v == "sent").count();
    assert_eq!(
        sent,
        3,
        "only the messages the relay confirmed: {s:?}\n{}",
        say(&o)
    );
    assert!(
        s.values()
            .all(|v| v == "sent" || v == "deferred" || v == "pending"),
        "{s:?}"
    );
    // The ledger's `sent` are exactly the relay's accepted messages.
    let accepted: std::collections::BTreeSet<String> = server
        .events("data")
        .iter()
        .filter(|e| e["detail"]["file"].is_string())
        .map(|e| e["detail"]["rcpt_tos"][0].as_str().unwrap().to_string())
        .collect();
    let marked: std::collections::BTreeSet<String> = s
        .iter()
        .filter(|(_, v)| *v == "sent")
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(accepted, marked);
    let dropped = server.events("data");
    assert!(
        dropped.iter().any(|e| e["detail"]["reply"].is_null()),
        "the relay dropped a transaction: {dropped:?}"
    );
}

#[test]
fn a_connection_dropped_after_data_354_leaves_the_delivery_retryable() {
    dropped_connection_leaves_the_rest_retryable(&["--pipelining", "--drop-after-354", "3"]);
}

#[test]
fn a_connection_dropped_after_the_final_dot_before_250_leaves_the_delivery_retryable() {
    dropped_connection_leaves_the_rest_retryable(&[
        "--pipelining",
        "--fail-data-after",
        "3",
        "--fail-data-reply",
        "disconnect",
    ]);
}

#[test]
fn a_connection_dropped_after_the_final_dot_without_pipelining_too() {
    dropped_connection_leaves_the_rest_retryable(&[
        "--fail-data-after",
        "3",
        "--fail-data-reply",
        "disconnect",
    ]);
}

/// Over a relay 50 ms away per reply, pipelining sends the same messages at least three times
/// as fast as waiting for each reply (one wait a message against four), timed by the relay
/// from the first MAIL FROM to the last message's data (the process's start, the issue's
/// creation and the greeting are the same for both).
#[test]
fn pipelining_is_at_least_three_times_faster_against_a_slow_relay() {
    let time = |args: &[&str]| {
        let server = TestSmtpServer::start(args);
        let t = tree(&readers(16), server.port, 1);
        let o = send(&t);
        assert!(o.status.success(), "{}", say(&o));
        assert_eq!(server.messages().len(), 16);
        let at = |e: &serde_json::Value| e["at"].as_f64().unwrap();
        let first = at(&server.events("mail")[0]);
        let last = at(server.events("data").last().unwrap());
        last - first
    };
    let slow = time(&["--reply-delay", "50"]);
    let fast = time(&["--reply-delay", "50", "--pipelining"]);
    eprintln!("16 messages over a 50 ms relay: {slow:.2} s step by step, {fast:.2} s pipelined");
    // About 16 × 4 × 50 ms = 3.2 s against 16 × 50 ms = 0.8 s.
    assert!(
        slow >= 3.0 * fast,
        "{slow:.2} s step by step, {fast:.2} s pipelined"
    );
}

/// The sender is killed with SIGKILL three times in the middle of a pipelined send and run
/// again: nobody is lost, and each kill repeats at most what can be acknowledged by the relay
/// and not yet committed. That bound is the sender's permits (`delivery::Unrecorded`),
/// `connections × batch`:
/// pipelining puts at most two transactions per connection on the wire (the message whose
/// data is written and the envelope behind it), each holding a permit from before its first
/// byte until its outcome is committed, so it cannot widen the window.
#[test]
fn kill_9_three_times_mid_pipelined_send_loses_nothing() {
    const N: usize = 1200;
    const CONNECTIONS: usize = 4;
    const BATCH: usize = 50; // delivery::Limits::default().batch
    let server = TestSmtpServer::start(&["--pipelining"]);
    let t = Tree::minimal();
    t.readers(N);
    t.append_config(&format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{}\"\ntls = \"none\"\nconnections = {CONNECTIONS}\nmax_per_minute = 0\nmax_per_day = 0\n",
        server.port
    ));
    let accepted = || server.messages().len();
    let mut kills = 0;
    for _ in 0..3 {
        let before = accepted();
        let mut child = bulletin(&t)
            .args(["send", "news", "--now", "--date", "2026-12-01"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        support::wait_until(std::time::Duration::from_secs(20), || {
            accepted() > before + 20
        });
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert_eq!(kills, 3, "every kill landed mid-send");
    let last = send(&t);
    assert!(
        last.status.success(),
        "the final run finishes: {}",
        say(&last)
    );

    let mut copies = std::collections::BTreeMap::<String, usize>::new();
    for e in server.events("data") {
        if e["detail"]["file"].is_string() {
            let to = e["detail"]["rcpt_tos"][0].as_str().unwrap().to_string();
            *copies.entry(to).or_default() += 1;
        }
    }
    assert_eq!(copies.len(), N, "0 lost: every recipient has a copy");
    let duplicates: usize = copies.values().map(|n| n - 1).sum();
    let bound = kills * CONNECTIONS * BATCH;
    assert!(
        duplicates <= bound,
        "{duplicates} duplicates, bound {bound}"
    );
    eprintln!("{kills} kills: {N} recipients, {duplicates} duplicate(s) (bound {bound})");
    assert!(
        pipelined(&server, "mail").iter().filter(|p| **p).count() >= N,
        "the sends were pipelined"
    );
    let s = states(&t);
    assert!(s.values().all(|v| v == "sent"), "{s:?}");
}

/// Messages signed with the body hash resumed from the shared prefix (every message after the
/// second) verify with dkimpy as the relay received them through the pipelined session.
#[test]
fn signed_messages_sent_pipelined_verify_with_dkimpy() {
    use base64::Engine;
    let keys = tempfile::tempdir().unwrap();
    let pem = keys.path().join("ed25519.pem");
    let openssl = |args: &[&str]| {
        let o = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    openssl(&[
        "genpkey",
        "-algorithm",
        "ed25519",
        "-out",
        pem.to_str().unwrap(),
    ]);
    let der = openssl(&[
        "pkey",
        "-in",
        pem.to_str().unwrap(),
        "-pubout",
        "-outform",
        "DER",
    ]);
    let b64 = base64::engine::general_purpose::STANDARD;
    let txt = format!(
        "v=DKIM1; k=ed25519; p={}",
        b64.encode(&der[der.len() - 32..])
    );

    let server = TestSmtpServer::start(&["--pipelining"]);
    let t = tree(&readers(6), server.port, 1);
    t.append_config(&format!(
        "[dkim]\ndomain = \"test.example\"\nselector = \"news2026\"\nprivate_key_file = \"{}\"",
        pem.display()
    ));
    let o = send(&t);
    assert!(o.status.success(), "{}", say(&o));
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/support/dkim_verify.py"
    );
    let files: Vec<String> = server
        .events("data")
        .iter()
        .map(|e| e["detail"]["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 6);
    for f in files {
        let path = server.dir.path().join(&f);
        let o = std::process::Command::new("python3")
            .args([
                script,
                path.to_str().unwrap(),
                "news2026",
                "test.example",
                &txt,
            ])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["ok"], true, "{f}: {v}");
    }
}
