//! The operator runs `bulletin run` on a small server: it catches up what it missed, survives a
//! broken edit, refuses a second copy of itself, stops promptly and cleanly, and never sends an
//! issue twice across restarts.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use crate::support;

use std::time::Duration;

use chrono::Utc;
use support::daemon::{Daemon, Exit};
use support::wait_until;
use support::{Tree, bulletin};

/// A tree whose bulletin fires daily `minutes_ago` minutes before now (UK time), to the outbox.
fn tree_due(minutes_ago: i64, members: usize) -> Tree {
    let t = Tree::minimal();
    t.fire_daily_minutes_ago(minutes_ago);
    t.members((0..members).map(|i| format!("p{i}@x.example")));
    t
}

fn outbox(t: &Tree) -> usize {
    t.outbox().len()
}

fn wait_outbox(t: &Tree, n: usize, within: Duration) -> usize {
    wait_until(within, || outbox(t) >= n);
    outbox(t)
}

#[test]
fn a_missed_fire_is_caught_up_on_start_and_a_restart_sends_nothing_more() {
    let t = tree_due(10, 5);
    let d = Daemon::builder(&t).spawn();
    assert_eq!(
        wait_outbox(&t, 5, Duration::from_secs(20)),
        5,
        "{}",
        d.log()
    );
    assert!(d.log().contains("issue due"), "{}", d.log());
    let Exit { took, code, log } = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(took < Duration::from_secs(5), "SIGTERM took {took:?}");

    let d = Daemon::builder(&t).spawn();
    assert!(d.wait_for_log("running", Duration::from_secs(10)));
    assert!(d.wait_first_pass(Duration::from_secs(20)), "{}", d.log());
    assert_eq!(
        outbox(&t),
        5,
        "a restart after a completed issue sends nothing"
    );
    assert_eq!(d.stop().code, Some(0));
    let s = bulletin(t.root())
        .args(["status", "--format", "json"])
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(s.as_array().unwrap().len(), 1, "one issue");
    assert_eq!(s[0]["deliveries"]["sent"], 5);
}

#[test]
fn a_fire_missed_by_more_than_the_catch_up_window_is_skipped() {
    let t = tree_due(90, 3);
    let settings = std::fs::read_to_string(t.config()).unwrap();
    t.write(
        "config/bulletin.toml",
        &settings.replace("[[bulletin]]\n", "[[bulletin]]\ncatch_up_hours = 1\n"),
    );
    // A daemon ran until two hours ago, then the machine was down over the 90-minutes-ago fire.
    let d = Daemon::builder(&t).spawn();
    assert!(
        d.wait_for_log("running", Duration::from_secs(10)),
        "{}",
        d.log()
    );
    d.stop();
    let db = t.root().join("data/bulletin.db");
    let two_hours_ago = (Utc::now() - chrono::Duration::hours(2))
        .timestamp()
        .to_string();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::query("UPDATE daemon_state SET value = $1 WHERE key = 'scheduler.last_tick'")
            .bind(&two_hours_ago)
            .execute(&pool)
            .await
            .unwrap();
    });
    let d = Daemon::builder(&t).spawn();
    assert!(
        d.wait_for_log("outside the catch-up window", Duration::from_secs(15)),
        "{}",
        d.log()
    );
    assert!(d.wait_first_pass(Duration::from_secs(20)), "{}", d.log());
    assert_eq!(outbox(&t), 0, "not sent late");
    assert_eq!(d.stop().code, Some(0));
}

#[test]
fn sighup_with_a_broken_file_keeps_the_last_good_config_running() {
    let t = tree_due(60 * 12, 1);
    let d = Daemon::builder(&t).spawn();
    assert!(
        d.wait_for_log("running", Duration::from_secs(10)),
        "{}",
        d.log()
    );
    let good = std::fs::read_to_string(t.config()).unwrap();
    t.write(
        "config/bulletin.toml",
        &good.replace("[organisation]", "[organization]"),
    );
    d.signal("HUP");
    assert!(
        d.wait_for_log("keeping the last good one", Duration::from_secs(10)),
        "{}",
        d.log()
    );
    assert!(
        d.log().contains("unknown key `organization`"),
        "the same diagnostics as check: {}",
        d.log()
    );
    // Fixed again, and picked up without a signal (the files are watched).
    t.write("config/bulletin.toml", &good);
    assert!(
        d.wait_for_log("configuration reloaded", Duration::from_secs(15)),
        "{}",
        d.log()
    );
    let Exit { took, code, log } = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(took < Duration::from_secs(5));
}

/// `config/agencies.toml` is part of the configuration: the running daemon sees it change
/// (here, a mistake in it) without a signal.
#[test]
fn the_agency_vocabulary_is_watched_like_the_lists() {
    let t = tree_due(60 * 12, 1);
    let d = Daemon::builder(&t).spawn();
    assert!(
        d.wait_for_log("running", Duration::from_secs(10)),
        "{}",
        d.log()
    );
    t.write(
        "config/agencies.toml",
        "[[agency]]\nname = \"Salford City Council\"\nmatches = [\"Salford*CC\"]\n",
    );
    assert!(
        d.wait_for_log("keeping the last good one", Duration::from_secs(15)),
        "{}",
        d.log()
    );
    assert!(
        d.log().contains("`*` may only end a pattern"),
        "{}",
        d.log()
    );
    let Exit { code, log, .. } = d.stop();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn a_second_daemon_on_the_same_database_is_refused_and_readers_keep_working() {
    let t = tree_due(60 * 12, 2);
    let d = Daemon::builder(&t).spawn();
    assert!(
        d.wait_for_log("running", Duration::from_secs(10)),
        "{}",
        d.log()
    );
    let second = bulletin(t.root()).arg("run").output().unwrap();
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("already sending from") && err.contains("data/bulletin.db"),
        "{err}"
    );
    let send = bulletin(t.root())
        .args(["send", "news", "--now"])
        .output()
        .unwrap();
    assert_eq!(
        send.status.code(),
        Some(1),
        "a manual send beside the daemon is refused too"
    );
    for args in [
        vec!["status"],
        vec!["lists"],
        vec!["check"],
        vec!["calendar"],
        vec!["schedule"],
        vec!["preview", "news", "--out", "p.html"],
    ] {
        let o = bulletin(t.root()).args(&args).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?} beside a running daemon: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert_eq!(d.stop().code, Some(0));
}

#[test]
fn kill_9_in_the_middle_of_a_send_and_restart_loses_nothing() {
    let t = tree_due(5, 400);
    // Slow enough (200/s) that the kill lands mid-send.
    t.append_config("[transport]\nkind = \"outbox\"\nmax_per_minute = 12000");
    let mut d = Daemon::builder(&t).spawn();
    wait_until(Duration::from_secs(20), || outbox(&t) >= 50);
    d.kill();
    let partial = outbox(&t);
    assert!(partial < 400, "killed mid-send ({partial})");
    let d = Daemon::builder(&t).spawn();
    assert_eq!(
        wait_outbox(&t, 400, Duration::from_secs(30)),
        400,
        "{}",
        d.log()
    );
    assert_eq!(d.stop().code, Some(0));
    // The outbox names files by delivery: 400 distinct recipients, none lost. (A message in
    // flight at the kill is rewritten with identical bytes.)
    let s = bulletin(t.root())
        .args(["status", "--format", "json"])
        .output()
        .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(s[0]["deliveries"]["sent"], 400);
    assert_eq!(
        s.as_array().unwrap().len(),
        1,
        "no duplicate issue after the restart"
    );
}

/// While the daemon keeps the last good configuration because the files now have errors,
/// `/healthz` says so (still 200: the daemon works, on the old configuration) and `/metrics`
/// counts the errors and says when the configuration it runs was loaded; fixed, both clear.
#[test]
fn broken_files_under_a_running_daemon_show_on_healthz_and_metrics_until_fixed() {
    let t = Tree::minimal();
    t.quiet_schedule();
    let d = Daemon::builder(&t).start();
    let started = Utc::now().timestamp();
    let metric = |name: &str| -> Option<i64> {
        d.get("/metrics")
            .2
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} "))?.trim().parse().ok())
    };
    assert_eq!(metric("bulletin_config_errors"), Some(0));
    let loaded = metric("bulletin_config_last_good_load_seconds").expect("a load time");
    assert!(
        (started - 30..=started + 5).contains(&loaded),
        "{loaded} vs {started}"
    );

    let good = std::fs::read_to_string(t.config()).unwrap();
    t.write(
        "config/bulletin.toml",
        &good.replace("[organisation]", "[organization]"),
    );
    assert!(
        d.wait_for_log("keeping the last good one", Duration::from_secs(15)),
        "{}",
        d.log()
    );
    let (status, _, body) = d.get("/healthz");
    assert_eq!(status, 200, "the daemon still works: {body}");
    let said: i64 = body
        .lines()
        .find(|l| l.contains("; running the configuration loaded at "))
        .and_then(|l| {
            l.strip_prefix("config: ")?
                .split_once(" error(s) since ")?
                .0
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no config line: {body}"));
    assert!(said >= 1, "{body}");
    assert_eq!(metric("bulletin_config_errors"), Some(said));
    assert_eq!(
        metric("bulletin_config_last_good_load_seconds"),
        Some(loaded),
        "still the first load"
    );

    t.write("config/bulletin.toml", &good);
    assert!(
        d.wait_for_log("configuration reloaded", Duration::from_secs(15)),
        "{}",
        d.log()
    );
    let (status, _, body) = d.get("/healthz");
    assert_eq!(status, 200);
    assert!(!body.contains("error(s)"), "{body}");
    assert_eq!(metric("bulletin_config_errors"), Some(0));
    assert!(metric("bulletin_config_last_good_load_seconds").unwrap() >= loaded);
    assert_eq!(d.stop().code, Some(0));
}
