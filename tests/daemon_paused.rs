//! The relay is down when the issue fires, and comes back later: the daemon alone, with nobody
//! running `send --now`, pauses the issue (saying so on /healthz and /metrics), tries again with
//! a backoff kept in the ledger, and delivers every message exactly once once the relay is back.
//! On SQLite and on PostgreSQL.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Timelike, Utc};
use support::pg::PgDb;
use support::smtp::{SmtpSink, free_port};
use support::{Tree, bulletin};

const SECRET: &str = "paused-test-secret-paused-test-secret-0123";
const MEMBERS: usize = 12;

/// A tree whose bulletin fired two minutes ago (UK time) to `MEMBERS` people, through plain SMTP
/// to `port` on loopback.
fn tree(port: u16) -> Tree {
    let t = Tree::minimal();
    let at = (Utc::now() - chrono::Duration::minutes(2)).with_timezone(&chrono_tz::Europe::London);
    let settings = std::fs::read_to_string(t.config()).unwrap().replace(
        "schedule = \"0 9 1 * *\"",
        &format!("schedule = \"{} {} * * *\"", at.minute(), at.hour()),
    );
    t.write(
        "config/bulletin.toml",
        &format!(
            "{settings}\n[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\ntls = \"none\"\nconnections = 2\n"
        ),
    );
    let mut list = String::from("name = \"Everyone\"\n");
    for i in 0..MEMBERS {
        list.push_str(&format!("[[member]]\nemail = \"p{i}@x.example\"\n"));
    }
    t.write("config/lists/all.toml", &list);
    t
}

struct Daemon {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Daemon {
    fn start(t: &Tree, db: Option<&str>) -> Daemon {
        let mut cmd = bulletin(t.root());
        cmd.arg("run")
            .env("RUST_LOG", "info")
            .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(url) = db {
            cmd.env("BULLETIN_DATABASE_URL", url);
        }
        let mut child = cmd.spawn().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        Daemon { child, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until `f` holds, for at most `within`.
    fn wait(&self, within: Duration, mut f: impl FnMut() -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < within {
            if f() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// The port of the daemon's web server, from its start-up line.
    fn web_port(&self) -> u16 {
        let mut port = None;
        self.wait(Duration::from_secs(20), || {
            port = self
                .log()
                .split("listening on http://127.0.0.1:")
                .nth(1)
                .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|p| p.parse().ok());
            port.is_some()
        });
        port.unwrap_or_else(|| panic!("no web port in the log: {}", self.log()))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET on loopback: the body.
fn get(port: u16, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or(out)
}

fn status(t: &Tree, db: Option<&str>) -> serde_json::Value {
    let mut cmd = bulletin(t.root());
    cmd.args(["status", "--format", "json"]);
    if let Some(url) = db {
        cmd.env("BULLETIN_DATABASE_URL", url);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn relay_down_at_the_fire_then_back(db: Option<&str>) {
    let port = free_port();
    let t = tree(port);
    let d = Daemon::start(&t, db);
    let web = d.web_port();

    // Down at the fire: the issue exists, is paused with the reason, and nothing is lost.
    assert!(
        d.wait(Duration::from_secs(30), || status(&t, db)
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
    let health = get(web, "/healthz");
    assert!(
        health.contains("paused: 1") && health.contains(&format!("127.0.0.1:{port}")),
        "{health}"
    );
    let metrics = get(web, "/metrics");
    assert!(metrics.contains("bulletin_issues_paused 1"), "{metrics}");

    // The relay comes back where the daemon was pointed; nobody touches the daemon.
    let sink = SmtpSink::start_on(port, &[]);
    let got = sink.wait_for_count(MEMBERS, Duration::from_secs(150));
    assert_eq!(got, MEMBERS, "delivered by the daemon alone: {}", d.log());
    assert!(
        d.wait(Duration::from_secs(20), || status(&t, db)[0]["state"]
            == "done"),
        "{}",
        status(&t, db)
    );
    std::thread::sleep(Duration::from_secs(2));
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for tx in sink.transactions() {
        for r in tx.rcpt_to {
            *copies.entry(r).or_default() += 1;
        }
    }
    assert_eq!(copies.len(), MEMBERS, "{copies:?}");
    assert!(copies.values().all(|&n| n == 1), "none twice: {copies:?}");
    let s = status(&t, db);
    assert_eq!(s[0]["deliveries"]["sent"], MEMBERS as u64, "{s}");
    assert!(s[0].get("retry_at").is_none(), "no retry left: {s}");
    assert!(get(web, "/healthz").contains("paused: 0"));
    assert!(get(web, "/metrics").contains("bulletin_issues_paused 0"));
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
