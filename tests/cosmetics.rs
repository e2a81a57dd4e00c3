//! What operators read: `status` names a test proof by when it was made, not by its key.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

mod support;

use support::daemon::Daemon;
use support::smtp::free_port;
use support::{Tree, bulletin};

#[test]
fn status_names_a_test_proof_by_its_date() {
    let tree = Tree::minimal();
    support::succeed(bulletin(tree.root()).args(["send", "news", "--test-to", "jo@x.example"]));
    let out = bulletin(tree.root()).arg("status").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .format("%Y-%m-%d")
        .to_string();
    assert!(stdout.contains(&format!("test proof {today} ")), "{stdout}");
    assert!(!stdout.contains("proof:"), "{stdout}");
    let header = stdout.lines().next().unwrap();
    let row: Vec<char> = stdout.lines().nth(1).unwrap().chars().collect();
    let end = header.find("ISSUE").unwrap() + "ISSUE".len();
    assert!(
        row[end - 1].is_ascii_digit() && row[end] == ' ',
        "the issue id sits under ISSUE:\n{stdout}"
    );
}

#[test]
fn an_empty_feed_is_dated_when_its_settings_last_changed_not_1970() {
    let tree = Tree::minimal();
    tree.quiet_schedule();
    let port = free_port();
    let d = Daemon::start(&tree, port);
    let (code, _, body) = d.get("/feed.atom");
    assert_eq!(code, 200, "{body}");
    assert!(!body.contains("<entry>"), "no issue has gone yet: {body}");
    let changed: chrono::DateTime<chrono::Utc> = std::fs::metadata(tree.config())
        .unwrap()
        .modified()
        .unwrap()
        .into();
    let want = format!(
        "<updated>{}</updated>",
        changed.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    assert!(body.contains(&want), "want {want} in {body}");
}
