//! The sender is killed with SIGKILL at several points of a send to thousands of recipients and
//! started again each time: nobody is lost, and the only duplicates are messages that were in
//! flight when it died (at most `connections × batch` per kill).

mod support;

use std::time::{Duration, Instant};

use support::smtp::SmtpSink;
use support::{Tree, bulletin, status_json};

const N: usize = 4000;
const CONNECTIONS: usize = 4;
const BATCH: usize = 50; // delivery::Limits::default().batch

#[test]
fn kill_9_at_several_points_loses_nothing() {
    let sink = SmtpSink::start(&[]);
    let t = Tree::minimal();
    t.members_csv((0..N).map(|i| format!("reader{i}@agency{}.example,Reader {i},Agency", i % 13)));
    // Paced at 1,000 a second so the kills land mid-send whatever the machine's speed.
    t.append_config(&format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{}\"\ntls = \"none\"\nconnections = {CONNECTIONS}\nmax_per_minute = 60000\nmax_per_day = 0",
        sink.port
    ));
    let send = || {
        bulletin(t.root())
            .env(
                "BULLETIN_UNSUBSCRIBE_SECRET",
                "crash-test-secret-crash-test-secret-00",
            )
            .args(["send", "news", "--now", "--date", "2026-12-01"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut kills = 0;
    for after_ms in [300u64, 900, 1500] {
        let before = sink.count();
        let mut child = send();
        let start = Instant::now();
        // Wait until this run has really started sending, then a little more, then SIGKILL.
        while sink.count() == before && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(after_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(kills >= 2, "the kills landed mid-send ({kills})");
    let last = send().wait_with_output().unwrap();
    assert!(last.status.success(), "the final run finishes the issue");
    sink.wait_for_count(N, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));

    let copies = sink.copies();
    assert_eq!(copies.len(), N, "0 lost: every recipient has a copy");
    let duplicates: usize = copies.values().map(|n| n - 1).sum();
    let bound = kills * CONNECTIONS * BATCH;
    assert!(
        duplicates <= bound,
        "{duplicates} duplicates, more than the {bound} that can be in flight"
    );
    eprintln!("{kills} kills: {N} recipients, {duplicates} duplicate(s) (bound {bound})");

    let s = status_json(bulletin(t.root()).env(
        "BULLETIN_UNSUBSCRIBE_SECRET",
        "crash-test-secret-crash-test-secret-00",
    ));
    assert_eq!(s[0]["deliveries"]["sent"], N);
    assert_eq!(s[0]["state"], "done");
}
