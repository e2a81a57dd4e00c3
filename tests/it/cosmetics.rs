//! What operators read: `status` names a test proof by when it was made, not by its key.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use crate::support;

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
    let mut lines = stdout.lines().skip_while(|l| !l.starts_with("BULLETIN "));
    let header = lines.next().unwrap();
    let row: Vec<char> = lines.next().unwrap().chars().collect();
    let end = header.find("ISSUE").unwrap() + "ISSUE".len();
    assert!(
        row[end - 1].is_ascii_digit() && row[end] == ' ',
        "the issue id sits under ISSUE:\n{stdout}"
    );
}

/// `status` shows proofs apart from the issues readers get: a section of their own in the
/// table, and in JSON a word for the kind with the proof's time beside it, not its stored key.
#[test]
fn status_shows_proofs_apart_from_issues() {
    let tree = Tree::minimal();
    support::succeed(bulletin(tree.root()).args(["send", "news", "--test-to", "jo@x.example"]));
    support::succeed(bulletin(tree.root()).args([
        "send",
        "news",
        "--now",
        "--date",
        "2026-11-01",
        "--yes",
    ]));
    support::succeed(bulletin(tree.root()).args(["send", "news", "--test-to", "jo@x.example"]));
    let out = support::succeed(bulletin(tree.root()).arg("status"));
    let section = out
        .find("proofs to the editors:")
        .unwrap_or_else(|| panic!("a proofs section: {out}"));
    let (issues, proofs) = out.split_at(section);
    assert!(
        issues.contains(" issue ") && !issues.contains("test proof"),
        "{out}"
    );
    assert_eq!(proofs.matches("test proof ").count(), 2, "{out}");
    assert!(!proofs.contains(" issue "), "{out}");

    let json = support::status_json(&mut bulletin(tree.root()));
    let rows = json.as_array().unwrap();
    let proofs: Vec<_> = rows.iter().filter(|r| r["kind"] == "test_proof").collect();
    assert_eq!(proofs.len(), 2, "{json}");
    for p in proofs {
        let at = p["proof_made_at"].as_str().unwrap_or_else(|| panic!("{p}"));
        assert!(
            chrono::DateTime::parse_from_rfc3339(at).is_ok(),
            "a readable time: {at}"
        );
    }
    assert!(
        rows.iter()
            .all(|r| !r["kind"].as_str().unwrap().contains(':')),
        "{json}"
    );
}

#[test]
fn an_empty_feed_is_dated_when_its_settings_last_changed_not_1970() {
    let tree = Tree::minimal();
    tree.quiet_schedule();
    // The feed also lists published news items: with none, it is empty.
    tree.remove("news/item.md");
    let port = free_port();
    let d = Daemon::start(&tree, port);
    let (code, _, body) = d.get("/feed.atom");
    assert_eq!(code, 200, "{body}");
    assert!(
        !body.contains("<entry>"),
        "no issue has gone yet and no item is published: {body}"
    );
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
