//! `bulletin person ADDRESS`: everything held about one address, and its erasure, on a real
//! SQLite file and on PostgreSQL; an erased address cannot sign up again until lifted.

use std::time::Duration;

use crate::signup::{confirm_path, daemon, run, sign_up, tree};
use crate::support::smtp::SmtpSink;
use crate::support::{Tree, pg::PgDb, say, stdout};

const ERIN: &str = "erin.walsh@school.example";

/// Erin signs up, is accepted onto the list, receives an issue and is suppressed from it.
fn erin_everywhere(t: &Tree, sink: &SmtpSink, env: &[(&str, &str)]) {
    let d = with_env(t, env);
    sign_up(
        &d,
        "203.0.113.20",
        "email=Erin.Walsh%40school.example&name=Erin+Walsh&agency=St+Paul%27s",
    );
    sink.wait_for_count(1, Duration::from_secs(10));
    let path = confirm_path(&sink.messages()[0]);
    assert_eq!(d.post_form(&path, "").0, 200);
    d.stop();
    ok(run_with(t, env, &["signups", "accept", ERIN]));
    ok(run_with(
        t,
        env,
        &[
            "send",
            "news",
            "--now",
            "--unscheduled",
            "--date",
            "2026-12-01",
        ],
    ));
    ok(run_with(
        t,
        env,
        &[
            "suppress",
            ERIN,
            "--bulletin",
            "news",
            "--reason",
            "asked by phone",
        ],
    ));
}

fn with_env(t: &Tree, env: &[(&str, &str)]) -> crate::support::daemon::Daemon {
    if env.is_empty() {
        return daemon(t);
    }
    let mut b = crate::support::daemon::Daemon::builder(t)
        .port(crate::support::smtp::free_port())
        .env("BULLETIN_UNSUBSCRIBE_SECRET", crate::signup::SECRET)
        .env("BULLETIN_SMTP_PASSWORD", "any");
    for (k, v) in env {
        b = b.env(k, v);
    }
    b.start()
}

fn run_with(t: &Tree, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    if env.is_empty() {
        return run(t, args);
    }
    let mut all = vec![
        ("BULLETIN_UNSUBSCRIBE_SECRET", crate::signup::SECRET),
        ("BULLETIN_SMTP_PASSWORD", "any"),
    ];
    all.extend_from_slice(env);
    crate::support::run_env(t, &all, args)
}

fn ok(o: std::process::Output) -> String {
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    stdout(&o)
}

/// `person --format json` names every place; `--erase` leaves nothing naming Erin in clear
/// (`scan` gives every table's rows as text) and names the CSV to edit; a later sign-up is
/// refused without mail until `--lift`.
fn erase_story(t: &Tree, sink: &SmtpSink, env: &[(&str, &str)], scan: &dyn Fn() -> String) {
    erin_everywhere(t, sink, env);
    let json: serde_json::Value =
        serde_json::from_str(&ok(run_with(t, env, &["person", ERIN, "--format", "json"]))).unwrap();
    let lists = json["lists"].as_array().unwrap();
    assert_eq!(lists.len(), 1, "{json:#}");
    assert_eq!(lists[0]["list"], "all");
    assert!(
        lists[0]["at"]
            .as_str()
            .unwrap()
            .ends_with("config/lists/all.csv:3"),
        "{json:#}"
    );
    assert_eq!(
        json["suppressions"].as_array().unwrap().len(),
        1,
        "{json:#}"
    );
    assert_eq!(json["deliveries"].as_array().unwrap().len(), 1, "{json:#}");
    assert_eq!(json["deliveries"][0]["state"], "sent", "{json:#}");
    let s = &json["signups"][0];
    assert_eq!(
        (
            s["state"].as_str(),
            s["source"].as_str(),
            s["notice_version"].as_str()
        ),
        (Some("accepted"), Some("form"), Some("v1")),
        "{json:#}"
    );
    assert!(s["confirmed_at"].is_i64(), "{json:#}");
    assert!(
        scan().to_lowercase().contains(ERIN),
        "the scan sees the ledger"
    );

    let out = ok(run_with(t, env, &["person", ERIN, "--erase"]));
    assert!(out.contains("config/lists/all.csv:3"), "{out}");
    let after = scan().to_lowercase();
    assert!(!after.contains(ERIN) && !after.contains("erin"), "{after}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(run_with(t, env, &["person", ERIN, "--format", "json"]))).unwrap();
    assert_eq!(json["deliveries"], serde_json::json!([]));
    assert_eq!(json["signups"], serde_json::json!([]));
    assert!(
        json["suppressions"][0]["email_key"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );

    // The admin takes Erin off the CSV; a later sign-up is refused, without mail.
    let csv = std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap();
    let csv: String = csv
        .lines()
        .filter(|l| !l.to_lowercase().contains(ERIN))
        .map(|l| format!("{l}\n"))
        .collect();
    t.write("config/lists/all.csv", &csv);
    let before = sink.count();
    let d = with_env(t, env);
    sign_up(
        &d,
        "203.0.113.21",
        "email=erin.walsh%40school.example&name=Erin",
    );
    assert_eq!(
        sink.wait_for_count(before + 1, Duration::from_secs(3)),
        before,
        "{}",
        d.log()
    );
    ok(run_with(t, env, &["person", ERIN, "--lift"]));
    sign_up(
        &d,
        "203.0.113.22",
        "email=erin.walsh%40school.example&name=Erin",
    );
    assert_eq!(
        sink.wait_for_count(before + 1, Duration::from_secs(10)),
        before + 1,
        "{}",
        d.log()
    );
}

#[test]
fn person_lists_every_place_and_erase_leaves_no_address_in_a_sqlite_ledger() {
    let sink = SmtpSink::start(&[]);
    let t = tree("review", sink.port);
    let db = t.root().join("data/bulletin.db");
    let scan = || {
        let o = std::process::Command::new("python3")
            .args(["-c", "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nfor (n,) in c.execute(\"SELECT name FROM sqlite_master WHERE type='table'\"):\n  for r in c.execute('SELECT * FROM \"%s\"' % n): print(n, repr(r))"])
            .arg(&db)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", say(&o));
        stdout(&o)
    };
    erase_story(&t, &sink, &[], &scan);
}

#[test]
fn erase_leaves_no_address_in_a_postgres_ledger() {
    let sink = SmtpSink::start(&[]);
    let t = tree("review", sink.port);
    let pg = PgDb::create();
    let url = pg.url.clone();
    let scan = move || {
        let tables = std::process::Command::new("psql")
            .args([
                url.as_str(),
                "-Atc",
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
            ])
            .output()
            .unwrap();
        assert!(tables.status.success(), "{}", say(&tables));
        let mut all = String::new();
        for table in stdout(&tables).lines() {
            let rows = std::process::Command::new("psql")
                .args([
                    url.as_str(),
                    "-Atc",
                    &format!("SELECT t::text FROM \"{table}\" t"),
                ])
                .output()
                .unwrap();
            assert!(rows.status.success(), "{}", say(&rows));
            all.push_str(&stdout(&rows));
        }
        all
    };
    erase_story(&t, &sink, &[("BULLETIN_DATABASE_URL", &pg.url)], &scan);
}
