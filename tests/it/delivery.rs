//! An admin sends an issue through a real relay (Postfix's smtp-sink, or an aiosmtpd server
//! where TLS and AUTH matter): every subscriber gets exactly one copy, a relay's refusals and
//! outages lose nothing, and a second run resumes rather than resends.

use crate::support;

use std::process::Output;

use support::smtp::{SmtpSink, TestSmtpServer, free_port};
use support::{Tree, bulletin, status_json};
use support::{say, stdout};

const SECRET: &str = "delivery-test-secret-delivery-test-secret";

/// A tree whose `all` list holds `n` members from a CSV, sending with `transport` (TOML).
fn tree_with_members(n: usize, transport: &str) -> Tree {
    let t = Tree::minimal();
    t.members_csv((0..n).map(|i| {
        format!(
            "person{i}@agency{}.example,Person {i},Agency {}",
            i % 7,
            i % 7
        )
    }));
    t.append_config(transport);
    t
}

fn smtp_transport(port: u16) -> String {
    format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\ntls = \"none\"\nconnections = 4\nmax_per_minute = 0\nmax_per_day = 0\n"
    )
}

fn run(t: &Tree, args: &[&str]) -> Output {
    support::run_env(t, &[("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)], args)
}

fn status(t: &Tree) -> serde_json::Value {
    status_json(
        bulletin(t.root())
            .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
            .env("BULLETIN_SMTP_PASSWORD", "any"),
    )
}

#[test]
fn every_subscriber_gets_exactly_one_copy_and_a_second_run_sends_nothing() {
    let sink = SmtpSink::start(&[]);
    let t = tree_with_members(300, &smtp_transport(sink.port));
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert!(
        stdout(&o).contains("(issue 1, created): 300 sent, 0 deferred, 0 failed"),
        "{}",
        say(&o)
    );
    sink.wait_for_count(300, std::time::Duration::from_secs(5));
    let c = sink.copies();
    assert_eq!(c.len(), 300);
    assert!(c.values().all(|&n| n == 1), "one copy each");

    let again = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(again.status.code(), Some(0), "{}", say(&again));
    assert!(
        stdout(&again).contains("(issue 1, resumed): 300 sent"),
        "{}",
        say(&again)
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(sink.count(), 300, "running it again resends nothing");

    let s = status(&t);
    assert_eq!(s[0]["bulletin"], "news");
    assert_eq!(s[0]["date"], "2026-12-01");
    assert_eq!(s[0]["deliveries"]["sent"], 300);
    assert_eq!(s[0]["state"], "done");
}

#[test]
fn overlapping_lists_and_suppressed_addresses() {
    let sink = SmtpSink::start(&[]);
    let t = tree_with_members(0, &smtp_transport(sink.port));
    t.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\ninclude = [\"health\", \"police\"]\n",
    );
    t.write(
        "config/lists/health.toml",
        "name = \"Health\"\n[[member]]\nemail = \"jo@nhs.example\"\n[[member]]\nemail = \"sam@nhs.example\"\n[[member]]\nemail = \"left@nhs.example\"\n",
    );
    t.write(
        "config/lists/police.toml",
        "name = \"Police\"\n[[member]]\nemail = \"JO@NHS.example\"\n[[member]]\nemail = \"pc@police.example\"\n",
    );
    let settings = std::fs::read_to_string(t.config()).unwrap();
    t.write(
        "config/bulletin.toml",
        &settings.replace("lists = [\"all\"]", "lists = [\"all\", \"health\"]"),
    );
    // The ledger the daemon makes when it first starts (`suppress` never creates one).
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        bulletin::store::Store::open(&bulletin::config::DatabaseUrl::Sqlite(
            t.root().join("data/bulletin.db"),
        ))
        .await
        .unwrap();
    });
    let o = run(
        &t,
        &[
            "suppress",
            "Left@nhs.example",
            "--reason",
            "left the service",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let o = run(&t, &["lists", "--format", "json"]);
    let lists: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(lists[1]["id"], "health");
    assert_eq!(lists[1]["members"], 2, "lists subtract suppressions");

    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert!(
        stdout(&o).contains("3 sent, 0 deferred, 0 failed, 1 suppressed"),
        "{}",
        say(&o)
    );
    sink.wait_for_count(3, std::time::Duration::from_secs(5));
    let c = sink.copies();
    assert_eq!(
        c.keys().cloned().collect::<Vec<_>>(),
        ["jo@nhs.example", "pc@police.example", "sam@nhs.example"],
        "one copy for someone on three lists (any case), none for the suppressed"
    );
    assert!(c.values().all(|&n| n == 1));
}

#[test]
fn a_relay_that_rejects_some_recipients_and_defers_others() {
    let server = TestSmtpServer::start(&["--reject-rcpt", "bounce", "--defer-rcpt", "busy"]);
    let t = tree_with_members(0, &smtp_transport(server.port));
    t.members([
        "ok1@x.example",
        "bounce@x.example",
        "ok2@x.example",
        "busy@x.example",
        "ok3@x.example",
    ]);
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a permanent failure exits 1: {}",
        say(&o)
    );
    assert!(
        stdout(&o).contains("3 sent, 1 deferred, 1 failed"),
        "{}",
        say(&o)
    );
    assert!(
        stdout(&o).contains("deferred deliveries are retried from"),
        "{}",
        say(&o)
    );
    assert_eq!(server.messages().len(), 3, "the others were not held up");
    let s = status(&t);
    assert_eq!(s[0]["deliveries"]["failed"], 1);
    assert_eq!(s[0]["deliveries"]["deferred"], 1);
    assert_eq!(
        s[0]["state"], "sending",
        "a deferred delivery keeps the issue open"
    );
}

#[test]
fn temporary_refusals_defer_everything_and_exit_zero() {
    let sink = SmtpSink::start(&["-r", "rcpt"]);
    let t = tree_with_members(20, &smtp_transport(sink.port));
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "deferred is not failed: {}",
        say(&o)
    );
    assert!(
        stdout(&o).contains("0 sent, 20 deferred, 0 failed"),
        "{}",
        say(&o)
    );
}

#[test]
fn permanent_refusals_fail_each_recipient_and_exit_one() {
    let sink = SmtpSink::start(&["-f", "rcpt"]);
    let t = tree_with_members(10, &smtp_transport(sink.port));
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(o.status.code(), Some(1), "{}", say(&o));
    assert!(
        stdout(&o).contains("0 sent, 0 deferred, 10 failed"),
        "{}",
        say(&o)
    );
}

#[test]
fn disconnects_and_421_defer_and_the_rest_still_go() {
    for fault in ["-q", "-Q"] {
        let sink = SmtpSink::start(&[fault, "data"]);
        let t = tree_with_members(8, &smtp_transport(sink.port));
        let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
        assert_eq!(o.status.code(), Some(0), "{fault}: {}", say(&o));
        assert!(
            stdout(&o).contains("0 sent, 8 deferred, 0 failed"),
            "{fault}: {}",
            say(&o)
        );
    }
}

#[test]
fn a_relay_that_is_down_pauses_the_issue_and_loses_nothing() {
    let port = free_port();
    let t = tree_with_members(50, &smtp_transport(port));
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(o.status.code(), Some(1), "{}", say(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the issue is paused: cannot connect to 127.0.0.1:"),
        "{err}"
    );
    assert!(
        err.contains("nothing was lost: 50 deliveries wait"),
        "{err}"
    );
    let s = status(&t);
    assert_eq!(s[0]["state"], "paused");
    assert_eq!(s[0]["deliveries"]["pending"], 50);
    assert_eq!(s[0]["deliveries"]["failed"], 0);

    // The relay comes back: the same command finishes the issue.
    let sink = SmtpSink::start_on(port, &[]);
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert!(stdout(&o).contains("50 sent"), "{}", say(&o));
    sink.wait_for_count(50, std::time::Duration::from_secs(5));
    assert!(sink.copies().values().all(|&n| n == 1));
    assert_eq!(status(&t)[0]["state"], "done");
}

fn tls_transport(port: u16, ca: &std::path::Path, tls: &str) -> String {
    format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://localhost:{port}\"\ntls = \"{tls}\"\ntls_ca_file = \"{}\"\nusername = \"bulletin\"\n",
        ca.display()
    )
}

#[test]
fn starttls_and_auth_keep_credentials_and_mail_encrypted() {
    let server = TestSmtpServer::start(&[
        "--starttls",
        "--auth",
        "bulletin:s3cret-pass",
        "--require-auth",
    ]);
    let ca = server.ca_pem.clone().expect("a CA");
    let t = tree_with_members(5, &tls_transport(server.port, &ca, "starttls"));
    let o = bulletin(t.root())
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("BULLETIN_SMTP_PASSWORD", "s3cret-pass")
        .args(["send", "news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert!(stdout(&o).contains("5 sent"), "{}", say(&o));
    assert_eq!(server.messages().len(), 5);
    let log = server.log();
    for e in &log {
        let ev = e["event"].as_str().unwrap();
        if ["auth", "mail", "rcpt", "data"].contains(&ev) {
            assert_eq!(e["tls"], true, "{ev} happened in the clear: {e}");
        }
    }
    assert!(
        log.iter().any(|e| e["event"] == "auth"),
        "authenticated: {log:?}"
    );
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("s3cret-pass"),
        "the password is never logged"
    );
}

#[test]
fn a_relay_without_starttls_gets_no_credentials_and_no_mail() {
    let ca_dir = tempfile::tempdir().unwrap();
    let ca = ca_dir.path().join("ca.pem");
    std::fs::write(&ca, "placeholder").unwrap();
    let server = TestSmtpServer::start(&["--auth", "bulletin:s3cret-pass"]);
    let t = tree_with_members(
        5,
        &tls_transport(server.port, &ca, "starttls")
            .replace(&format!("tls_ca_file = \"{}\"\n", ca.display()), ""),
    );
    let o = bulletin(t.root())
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("BULLETIN_SMTP_PASSWORD", "s3cret-pass")
        .args(["send", "news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", say(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("STARTTLS is required but not offered"),
        "{err}"
    );
    let log = server.log();
    assert!(
        !log.iter()
            .any(|e| ["auth", "mail", "rcpt", "data"].contains(&e["event"].as_str().unwrap())),
        "nothing sensitive was sent in the clear: {log:?}"
    );
    assert_eq!(status(&t)[0]["deliveries"]["pending"], 5);
}

#[test]
fn a_wrong_password_pauses_instead_of_failing_everyone() {
    let server =
        TestSmtpServer::start(&["--starttls", "--auth", "bulletin:right", "--require-auth"]);
    let ca = server.ca_pem.clone().unwrap();
    let t = tree_with_members(5, &tls_transport(server.port, &ca, "starttls"));
    let o = bulletin(t.root())
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("BULLETIN_SMTP_PASSWORD", "wrong")
        .args(["send", "news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", say(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("authentication refused"), "{err}");
    assert!(err.contains("535"), "{err}");
    let s = status(&t);
    assert_eq!(s[0]["deliveries"]["failed"], 0);
    assert_eq!(s[0]["deliveries"]["pending"], 5);
}

#[test]
fn implicit_tls_works() {
    let server = TestSmtpServer::start(&["--implicit-tls"]);
    let ca = server.ca_pem.clone().unwrap();
    let transport = format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtps://localhost:{}\"\ntls_ca_file = \"{}\"\n",
        server.port,
        ca.display()
    );
    let t = tree_with_members(3, &transport);
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert_eq!(server.messages().len(), 3);
}

#[test]
fn bodies_with_lone_dots_and_bare_line_breaks_arrive_intact() {
    // RUSTSEC-2026-0561: a bare CR or LF must not escape dot-stuffing and end DATA early.
    let server = TestSmtpServer::start(&[]);
    let t = tree_with_members(3, &smtp_transport(server.port));
    t.write(
        "news/item.md",
        "+++\ntitle = \"Dots\"\nsection = \"partnership\"\npublish = 2026-11-20\n+++\nBefore\n\n.\n\nA bare\rCR and a bare LF follow\n.\nMAIL FROM:<evil@x.example>\n\n..\n\nAfter the dots.\n",
    );
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let msgs = server.messages();
    assert_eq!(
        msgs.len(),
        3,
        "exactly one message per recipient, no injected extra"
    );
    let log = server.log();
    let mails = log.iter().filter(|e| e["event"] == "mail").count();
    assert_eq!(mails, 3, "no injected MAIL command: {log:?}");
    for m in &msgs {
        let text = String::from_utf8_lossy(m);
        for line in text.split("\r\n") {
            assert!(!line.starts_with('.'), "{line}");
        }
        // Decoded by an independent parser, the text part holds the lone dot as a line of its
        // own, the would-be command as plain text, and everything after it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.eml");
        std::fs::write(&path, m).unwrap();
        let out = std::process::Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/it/support/parse_email.py"
            ))
            .arg(&path)
            .output()
            .unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(parsed["defects"], serde_json::json!([]));
        let body = parsed["parts"][0]["text"]
            .as_str()
            .unwrap()
            .replace("\r\n", "\n");
        assert!(body.lines().any(|l| l == "."), "{body}");
        assert!(body.contains("MAIL FROM:"), "{body}");
        assert!(body.contains("After the dots."), "{body}");
    }
}

#[test]
fn a_proof_goes_only_to_the_given_addresses_and_is_not_the_issue() {
    let sink = SmtpSink::start(&[]);
    let t = tree_with_members(20, &smtp_transport(sink.port));
    let o = run(
        &t,
        &[
            "send",
            "news",
            "--test-to",
            "editor@x.example",
            "Editor@X.example",
            "second@x.example",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert!(stdout(&o).contains("(proof "), "{}", say(&o));
    sink.wait_for_count(2, std::time::Duration::from_secs(5));
    assert_eq!(sink.copies().len(), 2);
    let subject = sink.transactions()[0].data.clone();
    assert!(String::from_utf8_lossy(&subject).contains("Subject: [Proof] News:"));
    let s = status(&t);
    assert_eq!(s.as_array().unwrap().len(), 1);
    assert_eq!(s[0]["kind"], "test_proof");
    // The real issue is still to come.
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert!(
        stdout(&o).contains("(issue 2, created): 20 sent"),
        "{}",
        say(&o)
    );
}

/// Two proofs asked for within the same second, to different editors, are two proofs: each
/// editor gets theirs (a proof's identity once was the second it was made in, so the second
/// proof found the first and sent nothing, though it said "created").
#[test]
fn two_proofs_in_the_same_second_both_arrive() {
    #![allow(clippy::disallowed_methods)] // aligning to the real clock's second
    let sink = SmtpSink::start(&[]);
    let t = tree_with_members(3, &smtp_transport(sink.port));
    // Start just after a second begins, so both runs fall in it.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_nanos(
        1_000_000_000 - u64::from(now.subsec_nanos()) + 5_000_000,
    ));
    let carol = run(&t, &["send", "news", "--test-to", "carol@x.example"]);
    let dave = run(&t, &["send", "news", "--test-to", "dave@x.example"]);
    for o in [&carol, &dave] {
        assert_eq!(o.status.code(), Some(0), "{}", say(o));
        assert!(stdout(o).contains("1 sent"), "{}", say(o));
    }
    sink.wait_for_count(2, std::time::Duration::from_secs(5));
    let copies = sink.copies();
    assert_eq!(
        copies.keys().cloned().collect::<Vec<_>>(),
        ["carol@x.example", "dave@x.example"],
        "carol: {}\ndave: {}",
        say(&carol),
        say(&dave)
    );
    // Two proofs in the ledger, told apart in `status`.
    let s = status(&t);
    let proofs: std::collections::BTreeSet<i64> = s
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "test_proof" && i["proof_made_at"].is_string())
        .map(|i| i["issue"].as_i64().unwrap())
        .collect();
    assert_eq!(proofs.len(), 2, "{s}");
}

/// `[transport] helo_name` is the name given in EHLO (the relay sees it); without it, the From
/// domain. A name that is not a host name is refused at load with its place and a hint.
#[test]
fn the_ehlo_name_is_helo_name_when_set_and_checked_at_load() {
    let sink = SmtpSink::start(&[]);
    let t = tree_with_members(2, &smtp_transport(sink.port));
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    sink.wait_for_count(2, std::time::Duration::from_secs(5));
    let from_domain = sink.transactions()[0].helo.clone();

    let sink = SmtpSink::start(&[]);
    let t = tree_with_members(
        2,
        &format!(
            "{}helo_name = \"MTA-1.Send.Example.net\"\n",
            smtp_transport(sink.port)
        ),
    );
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    sink.wait_for_count(2, std::time::Duration::from_secs(5));
    let helos: Vec<Option<String>> = sink.transactions().into_iter().map(|m| m.helo).collect();
    assert_eq!(
        helos,
        vec![Some("mta-1.send.example.net".to_string()); 2],
        "every session says the name set"
    );
    assert_ne!(from_domain, helos[0], "not the From domain any more");

    for bad in ["mail_1.example.org", "localhost", "192.0.2.7"] {
        let t = tree_with_members(
            1,
            &format!("{}helo_name = \"{bad}\"\n", smtp_transport(free_port())),
        );
        let o = run(&t, &["check"]);
        assert_eq!(o.status.code(), Some(1), "{}", say(&o));
        let text = say(&o);
        let line = std::fs::read_to_string(t.config())
            .unwrap()
            .lines()
            .position(|l| l.starts_with("helo_name"))
            .unwrap()
            + 1;
        assert!(
            text.contains(&format!(
                "config/bulletin.toml:{line}:13: error: `helo_name` \"{bad}\" is not a host name"
            )) && text.contains("hint: "),
            "{text}"
        );
    }
}
