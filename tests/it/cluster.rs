//! Several `bulletin` processes on one PostgreSQL: every recipient gets exactly one copy when
//! three send the same issue at once, three daemons at a scheduled time make exactly one issue,
//! and one of three killed with SIGKILL mid-send loses nothing.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use crate::support;

use std::process::{Child, Stdio};
use std::time::Duration;

use support::daemon::Daemon;
use support::pg::PgDb;
use support::smtp::SmtpSink;
use support::wait_until;
use support::{Tree, bulletin, status_json};

const SECRET: &str = "cluster-test-secret-cluster-test-secret-0";

fn tree(members: usize, sink_port: u16, extra_transport: &str, schedule: Option<&str>) -> Tree {
    let t = Tree::minimal();
    t.members_csv(
        (0..members).map(|i| format!("reader{i}@agency{}.example,Reader {i},Agency", i % 11)),
    );
    if let Some(s) = schedule {
        t.schedule(s);
    }
    t.append_config(&format!(
        "[database]\nlease_seconds = 3\n\n[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{sink_port}\"\ntls = \"none\"\nconnections = 4\nmax_per_day = 0\n{extra_transport}"
    ));
    t
}

fn cmd(t: &Tree, db: &PgDb, args: &[&str]) -> std::process::Command {
    let mut c = bulletin(t.root());
    c.env("BULLETIN_DATABASE_URL", &db.url)
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .args(args);
    c
}

fn status(t: &Tree, db: &PgDb) -> serde_json::Value {
    status_json(&mut cmd(t, db, &[]))
}

#[test]
fn three_senders_of_one_issue_give_every_recipient_exactly_one_copy() {
    let db = PgDb::create();
    let sink = SmtpSink::start(&[]);
    let n = 1500;
    let t = tree(n, sink.port, "max_per_minute = 0", None);
    let children: Vec<Child> = (0..3)
        .map(|_| {
            cmd(&t, &db, &["send", "news", "--now", "--date", "2026-12-01"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    sink.wait_for_count(n, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    let c = sink.copies();
    assert_eq!(c.len(), n, "nobody missed");
    let doubled: Vec<_> = c.iter().filter(|(_, k)| **k > 1).collect();
    assert!(
        doubled.is_empty(),
        "duplicates from concurrency: {doubled:?}"
    );
    let s = status(&t, &db);
    assert_eq!(s.as_array().unwrap().len(), 1, "one issue");
    assert_eq!(s[0]["deliveries"]["sent"], n);
}

#[test]
fn three_daemons_at_a_scheduled_time_make_exactly_one_issue() {
    let db = PgDb::create();
    let sink = SmtpSink::start(&[]);
    let n = 200;
    let t = tree(n, sink.port, "max_per_minute = 0", None);
    t.fire_daily_minutes_ago(5);
    let daemons: Vec<Daemon> = (0..3)
        .map(|_| {
            Daemon::builder(&t)
                .env("BULLETIN_DATABASE_URL", &db.url)
                .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
                .spawn()
        })
        .collect();
    wait_until(Duration::from_secs(30), || sink.count() >= n);
    // Every daemon has made a whole pass: one that was going to make a second issue has.
    for d in &daemons {
        assert!(d.wait_first_pass(Duration::from_secs(30)), "{}", d.log());
    }
    for d in &daemons {
        d.signal("TERM");
    }
    for d in daemons {
        let exit = d.wait_exit();
        assert_eq!(exit.code, Some(0), "{}", exit.log);
    }
    let c = sink.copies();
    assert_eq!(c.len(), n);
    assert!(c.values().all(|&k| k == 1), "exactly one copy each");
    let s = status(&t, &db);
    let issues: Vec<_> = s
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "issue")
        .collect();
    assert_eq!(issues.len(), 1, "three daemons, one issue: {s}");
}

#[test]
fn one_of_three_killed_mid_send_loses_nothing() {
    let db = PgDb::create();
    let sink = SmtpSink::start(&[]);
    let n = 3000;
    // 1,000 a second for the whole cluster, so the kill lands mid-send.
    let t = tree(n, sink.port, "max_per_minute = 60000", None);
    let spawn = || {
        cmd(&t, &db, &["send", "news", "--now", "--date", "2026-12-01"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut victim = spawn();
    let others = [spawn(), spawn()];
    wait_until(Duration::from_secs(20), || sink.count() >= 500);
    victim.kill().unwrap(); // SIGKILL
    victim.wait().unwrap();
    for mut o in others {
        assert!(o.wait().unwrap().success());
    }
    // The victim's claims lapse after lease_seconds (3 s); the next sender takes them over.
    std::thread::sleep(Duration::from_secs(4));
    let o = cmd(&t, &db, &["send", "news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    sink.wait_for_count(n, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    let c = sink.copies();
    assert_eq!(c.len(), n, "0 lost");
    let duplicates: usize = c.values().map(|k| k - 1).sum();
    // At most what the killed instance had claimed: 4 connections × a batch of 50.
    assert!(duplicates <= 200, "{duplicates} duplicates");
    eprintln!("killed one of three: {n} recipients, {duplicates} duplicate(s)");
    let s = status(&t, &db);
    assert_eq!(s[0]["deliveries"]["sent"], n);
}
