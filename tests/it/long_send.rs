//! A long send in the daemon: a liveness probe must see a busy daemon, not a stuck one. The
//! daemon starts with a 100,000-reader issue due, so its first pass is that send; `/healthz` is
//! sampled from the first answer on, all through the send.

// The daemon under test runs on the real clock.
#![allow(clippy::disallowed_methods)]

use crate::support;

use std::time::{Duration, Instant};

use support::daemon::Daemon;
use support::smtp::SmtpSink;
use support::{Tree, http};

const READERS: usize = 100_000;

/// The age `/healthz` gives its heartbeat (`heartbeat: N s ago`), if it gives one.
fn heartbeat_age(body: &str) -> Option<i64> {
    body.lines()
        .find_map(|l| l.strip_prefix("heartbeat: "))
        .and_then(|v| v.strip_suffix(" s ago"))
        .and_then(|n| n.parse().ok())
}

#[test]
fn healthz_is_200_from_the_start_and_all_through_a_long_send() {
    let sink = SmtpSink::start(&[]);
    let t = Tree::minimal();
    t.readers(READERS);
    t.fire_daily_minutes_ago(1);
    t.append_config(&format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{}\"\ntls = \"none\"\nconnections = 4\nmax_per_day = 0",
        sink.port
    ));
    let d = Daemon::builder(&t)
        .env(
            "BULLETIN_UNSUBSCRIBE_SECRET",
            "long-send-secret-long-send-secret-0000",
        )
        .spawn();
    let port = d.port();

    // (answered status, body, messages the relay had) every 250 ms, from the first answer
    // until the send has been going for 10 s.
    let mut samples = Vec::new();
    let started = Instant::now();
    let mut sending_since = None;
    while started.elapsed() < Duration::from_secs(90) {
        let (status, _, body) = http::get(port, "/healthz");
        if status != 0 {
            let sent = sink.count();
            samples.push((status, body, sent));
            if sent > 0 && sending_since.is_none() {
                sending_since = Some(Instant::now());
            }
        }
        if sending_since.is_some_and(|s| s.elapsed() > Duration::from_secs(10)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let during: Vec<_> = samples.iter().filter(|s| s.2 > 0).collect();
    let last = samples.last().map_or(0, |s| s.2);
    assert!(
        during.len() >= 20 && last < READERS,
        "sampled while the send was going ({} samples, {last} sent): {}",
        during.len(),
        d.log()
    );
    let unhealthy: Vec<_> = samples.iter().filter(|s| s.0 != 200).collect();
    eprintln!(
        "{} of {} /healthz samples not 200 ({} during the send; {last} sent by the last)",
        unhealthy.len(),
        samples.len(),
        during.len()
    );
    assert!(
        unhealthy.is_empty(),
        "{} of {} samples were not 200; the first: {:?}",
        unhealthy.len(),
        samples.len(),
        unhealthy.first()
    );
    // The heartbeat moves with the send, not only at the start and the end of a pass.
    let stale: Vec<_> = during
        .iter()
        .filter(|s| heartbeat_age(&s.1).is_none_or(|age| age > 5))
        .collect();
    assert!(
        stale.is_empty(),
        "the heartbeat lagged behind the send: {:?}",
        stale.first()
    );
}
