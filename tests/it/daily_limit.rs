//! The relay's daily limit (`max_per_day`) reached in the daemon: it stops sending, sleeps until
//! the limit resets at local midnight instead of trying again every second, and tells the
//! operator who waits and until when (`status`, `/healthz`, still 200, and `/metrics`).

// The daemon under test runs on the real clock.
#![allow(clippy::disallowed_methods)]

use crate::support;

use std::time::Duration;

use support::daemon::Daemon;
use support::{Tree, bulletin, succeed};

const LIMIT: usize = 3;
const MEMBERS: usize = 10;

fn delivery_passes(log: &str) -> usize {
    log.matches("delivery pass").count()
}

#[test]
fn at_the_daily_limit_the_daemon_waits_for_midnight_and_says_so() {
    let t = Tree::minimal();
    t.fire_daily_minutes_ago(1);
    t.members((0..MEMBERS).map(|i| format!("p{i}@x.example")));
    t.append_config(&format!(
        "[transport]\nkind = \"outbox\"\nmax_per_day = {LIMIT}"
    ));
    let d = Daemon::builder(&t).spawn();
    assert!(
        d.wait_for_log("delivery pass", Duration::from_secs(30)),
        "{}",
        d.log()
    );
    assert_eq!(t.outbox().len(), LIMIT, "the day's limit is sent");
    let at_limit = delivery_passes(&d.log());
    std::thread::sleep(Duration::from_secs(5));
    let log = d.log();
    let more = delivery_passes(&log) - at_limit;
    eprintln!("{more} delivery pass(es) in the 5 s after the daily limit was reached");
    assert_eq!(more, 0, "no delivery pass until the limit resets: {log}");
    assert_eq!(t.outbox().len(), LIMIT, "nothing more is sent today");
    let waiting = MEMBERS - LIMIT;
    let told = format!("daily limit of {LIMIT} reached; {waiting} recipient(s) wait until");
    assert!(log.contains(&told), "the log says who waits: {log}");

    let status = succeed(bulletin(t.root()).arg("status"));
    assert!(status.contains(&told), "status says who waits: {status}");
    let (code, _, health) = d.get("/healthz");
    assert_eq!(code, 200, "the limit is not a fault: {health}");
    assert!(health.contains(&told), "/healthz says who waits: {health}");
    let metrics = d.get("/metrics").2;
    assert!(
        metrics.contains(&format!("bulletin_daily_limit_waiting {waiting}")),
        "{metrics}"
    );
}
