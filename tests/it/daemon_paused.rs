//! The relay is down when the issue fires, and comes back later: the daemon alone, with nobody
//! running `send --now`, pauses the issue (saying so on /healthz and /metrics), tries again with
//! a backoff kept in the ledger, and delivers every message exactly once once the relay is back.
//! On SQLite and on PostgreSQL.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use crate::support;

use std::time::Duration;

use chrono::Utc;
use support::daemon::{Daemon, wait_until};
use support::pg::PgDb;
use support::smtp::{SmtpSink, free_port};
use support::{Tree, bulletin, status_json};

const SECRET: &str = "paused-test-secret-paused-test-secret-0123";
const MEMBERS: usize = 12;

/// A tree whose bulletin fired two minutes ago (UK time) to `MEMBERS` people, through plain SMTP
/// to `port` on loopback.
fn tree(port: u16) -> Tree {
    let t = Tree::minimal();
    t.fire_daily_minutes_ago(2);
    t.append_config(&format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\ntls = \"none\"\nconnections = 2"
    ));
    t.members((0..MEMBERS).map(|i| format!("p{i}@x.example")));
    t
}

/// `bulletin run` on the tree, on PostgreSQL if `db` names one, once its web server is up (and
/// so its ledger open).
fn start(t: &Tree, db: Option<&str>) -> Daemon {
    let b = Daemon::builder(t).env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET);
    match db {
        Some(url) => b.env("BULLETIN_DATABASE_URL", url).start(),
        None => b.start(),
    }
}

fn status(t: &Tree, db: Option<&str>) -> serde_json::Value {
    let mut cmd = bulletin(t.root());
    if let Some(url) = db {
        cmd.env("BULLETIN_DATABASE_URL", url);
    }
    status_json(&mut cmd)
}

fn relay_down_at_the_fire_then_back(db: Option<&str>) {
    let port = free_port();
    let t = tree(port);
    let d = start(&t, db);

    // Down at the fire: the issue exists, is paused with the reason, and nothing is lost.
    assert!(
        wait_until(Duration::from_secs(30), || status(&t, db)
            .as_array()
            .is_some_and(|a| a.len() == 1 && a[0]["state"] == "paused")),
        "paused: {}\n{}",
        status(&t, db),
        d.log()
    );
    let paused_at = Utc::now().timestamp();
    let s = status(&t, db);
    assert_eq!(s[0]["deliveries"]["failed"], 0, "{s}");
    assert!(
        s[0]["paused_reason"]
            .as_str()
            .is_some_and(|r| r.contains(&port.to_string())),
        "{s}"
    );
    // The first retry is about a minute away, and the ledger says when.
    let retry_at = s[0]["retry_at"].as_i64().expect("retry_at while paused");
    assert!(
        (paused_at + 30..=paused_at + 61).contains(&retry_at),
        "retry in about a minute: {retry_at} vs {paused_at}"
    );
    let health = d.get("/healthz").2;
    assert!(
        health.contains("paused: 1") && health.contains(&format!("127.0.0.1:{port}")),
        "{health}"
    );
    let metrics = d.get("/metrics").2;
    assert!(metrics.contains("bulletin_issues_paused 1"), "{metrics}");

    // The relay comes back where the daemon was pointed; nobody touches the daemon.
    let sink = SmtpSink::start_on(port, &[]);
    let got = sink.wait_for_count(MEMBERS, Duration::from_secs(150));
    assert_eq!(got, MEMBERS, "delivered by the daemon alone: {}", d.log());
    assert!(
        wait_until(Duration::from_secs(20), || status(&t, db)[0]["state"]
            == "done"),
        "{}",
        status(&t, db)
    );
    std::thread::sleep(Duration::from_secs(2));
    let copies = sink.copies();
    assert_eq!(copies.len(), MEMBERS, "{copies:?}");
    assert!(copies.values().all(|&n| n == 1), "none twice: {copies:?}");
    let s = status(&t, db);
    assert_eq!(s[0]["deliveries"]["sent"], MEMBERS as u64, "{s}");
    assert!(s[0].get("retry_at").is_none(), "no retry left: {s}");
    assert!(d.get("/healthz").2.contains("paused: 0"));
    assert!(d.get("/metrics").2.contains("bulletin_issues_paused 0"));
}

#[test]
fn sqlite_a_paused_issue_is_resumed_by_the_daemon_when_the_relay_returns() {
    relay_down_at_the_fire_then_back(None);
}

#[test]
fn postgres_a_paused_issue_is_resumed_by_the_daemon_when_the_relay_returns() {
    let db = PgDb::create();
    relay_down_at_the_fire_then_back(Some(&db.url));
}

/// A pause recorded by a command (`send --now` finding the relay down) wakes the running
/// daemon for its retry time, through the counter it watches, instead of waiting for its next
/// periodic look (five minutes on a quiet schedule). PostgreSQL: on SQLite a command cannot
/// send beside a running daemon.
#[test]
fn a_pause_recorded_by_a_command_is_retried_by_the_daemon_on_time() {
    let db = PgDb::create();
    let url = db.url.as_str();
    let port = free_port();
    let t = Tree::minimal();
    t.quiet_schedule();
    t.append_config(&format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\ntls = \"none\"\nconnections = 2"
    ));
    t.members((0..MEMBERS).map(|i| format!("p{i}@x.example")));
    // Started: its first pass has ended, so it sleeps until its next look.
    let d = start(&t, Some(url));

    let date = Utc::now().date_naive().to_string();
    let out = bulletin(t.root())
        .env("BULLETIN_DATABASE_URL", url)
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .args([
            "send",
            "news",
            "--now",
            "--yes",
            "--unscheduled",
            "--date",
            &date,
        ])
        .output()
        .unwrap();
    let s = status(&t, Some(url));
    assert_eq!(
        s[0]["state"],
        "paused",
        "{s}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let retry_at = s[0]["retry_at"].as_i64().expect("retry_at while paused");
    let sink = SmtpSink::start_on(port, &[]);
    let late = (retry_at + 20 - Utc::now().timestamp()).max(1) as u64;
    let got = sink.wait_for_count(MEMBERS, Duration::from_secs(late));
    let done = Utc::now().timestamp();
    assert_eq!(
        got,
        MEMBERS,
        "the daemon retried by {}s after the retry time ({} delivered): {}",
        done - retry_at,
        got,
        d.log()
    );
    eprintln!("delivered {} s after the retry time", done - retry_at);
}
