//! What operators read: `status` names a test proof by when it was made, not by its key.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

mod support;

use support::{Tree, bulletin};

#[test]
fn status_names_a_test_proof_by_its_date() {
    let tree = Tree::minimal();
    let send = bulletin(tree.root())
        .args(["send", "news", "--test-to", "jo@x.example"])
        .output()
        .unwrap();
    assert!(
        send.status.success(),
        "{}",
        String::from_utf8_lossy(&send.stderr)
    );
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
