//! An admin keeps lists per agency and an `all-partners` list that includes them; `bulletin
//! lists` shows how many distinct people each reaches.

mod support;

use support::{Tree, bulletin, succeed};

#[test]
fn counts_distinct_addresses_across_includes_case_insensitively() {
    let tree = Tree::minimal();
    tree.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\ninclude = [\"health\", \"police\"]\n",
    );
    tree.write(
        "config/lists/health.toml",
        "name = \"Health\"\nmembers_csv = \"health.csv\"\n[[member]]\nemail = \"jo@nhs.example\"\n",
    );
    tree.write(
        "config/lists/health.csv",
        "email,name,agency\nsam@nhs.example,\"Sam, Lee\",NHS\nJO@NHS.example,Jo,NHS\n",
    );
    tree.write(
        "config/lists/police.toml",
        "name = \"Police\"\n[[member]]\nemail = \"Sam@NHS.example\"\n[[member]]\nemail = \"pc@police.example\"\n",
    );
    let out = succeed(bulletin(tree.root()).args(["lists", "--format", "json"]));
    let rows: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(
        rows,
        serde_json::json!([
            {"id": "all", "name": "Everyone", "members": 3},
            {"id": "health", "name": "Health", "members": 2},
            {"id": "police", "name": "Police", "members": 2},
        ])
    );
}

#[test]
fn the_table_is_for_people() {
    let tree = Tree::sample();
    let out = bulletin(tree.root()).arg("lists").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let header = stdout.lines().next().unwrap();
    assert!(
        header.starts_with("ID") && header.ends_with("MEMBERS"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("all-partners")),
        "{stdout}"
    );
}

#[test]
fn an_invalid_tree_lists_nothing_and_says_why() {
    let tree = Tree::minimal();
    tree.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\n[[member]]\nemail = \"x\"\n",
    );
    let out = bulletin(tree.root())
        .args(["lists", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout when the input is invalid"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("config/lists/all.toml:3:9: error: invalid address `x`"),
        "{stderr}"
    );
}

/// The outbox's recipients: each `.eml` is named `ISSUE-DELIVERY-ADDRESS.eml`.
fn outbox_has(tree: &Tree, address: &str) -> bool {
    tree.outbox().iter().any(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(&format!("-{address}.eml")))
    })
}

/// `all` includes `police` and `health`; `direct@` is on `all` itself and on `police`, `both@`
/// on `police` and `health`, `pc@` on `police` only. Each is suppressed on `police`.
fn partners_suppressed_on_police() -> Tree {
    let tree = Tree::minimal();
    tree.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\ninclude = [\"police\", \"health\"]\n[[member]]\nemail = \"direct@x.example\"\n",
    );
    tree.write(
        "config/lists/police.toml",
        "name = \"Police\"\n[[member]]\nemail = \"pc@x.example\"\n[[member]]\nemail = \"direct@x.example\"\n[[member]]\nemail = \"both@x.example\"\n",
    );
    tree.write(
        "config/lists/health.toml",
        "name = \"Health\"\n[[member]]\nemail = \"both@x.example\"\n",
    );
    tree.create_ledger();
    for who in ["pc@x.example", "direct@x.example", "both@x.example"] {
        succeed(bulletin(tree.root()).args(["suppress", who, "--list", "police"]));
    }
    tree
}

#[test]
fn a_list_suppression_stops_the_lists_that_have_the_address_only_through_it() {
    let tree = partners_suppressed_on_police();
    succeed(bulletin(tree.root()).args(["send", "news", "--now", "--date", "2026-11-01"]));
    assert!(
        !outbox_has(&tree, "pc@x.example"),
        "on `all` only through `police`, where they are suppressed: {:?}",
        tree.outbox()
    );
    assert!(
        outbox_has(&tree, "direct@x.example"),
        "directly on `all` too: {:?}",
        tree.outbox()
    );
    assert!(
        outbox_has(&tree, "both@x.example"),
        "on `all` through `health` too: {:?}",
        tree.outbox()
    );
    assert_eq!(tree.outbox().len(), 2, "{:?}", tree.outbox());

    let rows: serde_json::Value = serde_json::from_str(&succeed(
        bulletin(tree.root()).args(["lists", "--format", "json"]),
    ))
    .unwrap();
    let count = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["members"].clone())
    };
    assert_eq!(count("all"), Some(2.into()), "{rows}");
    assert_eq!(count("police"), Some(0.into()), "{rows}");
    assert_eq!(count("health"), Some(1.into()), "{rows}");

    let members: Vec<serde_json::Value> =
        serde_json::from_str(&succeed(bulletin(tree.root()).args([
            "lists",
            "--members",
            "all",
            "--format",
            "json",
        ])))
        .unwrap();
    let stopped = |who: &str| {
        members
            .iter()
            .find(|r| r["email"] == who)
            .map(|r| r["suppressed"].clone())
    };
    assert_eq!(
        stopped("pc@x.example"),
        Some(serde_json::json!(["list:police"]))
    );
    assert_eq!(stopped("direct@x.example"), Some(serde_json::json!([])));
    assert_eq!(stopped("both@x.example"), Some(serde_json::json!([])));
}

#[test]
fn a_suppression_on_the_editors_list_stops_the_proofs_to_that_editor() {
    use chrono::Timelike;
    // The bulletin goes daily two minutes ago (UK time), its proof a day before: a daemon
    // started now catches up today's issue and tomorrow's proof.
    #[allow(clippy::disallowed_methods)] // the daemon under test runs on the real clock
    let at = (chrono::Utc::now() - chrono::Duration::minutes(2))
        .with_timezone(&chrono_tz::Europe::London);
    let tree = Tree::minimal();
    tree.schedule_with(
        &format!("{} {} * * *", at.minute(), at.hour()),
        "editors = \"editors\"\nproof_days_before = 1\n",
    );
    tree.write(
        "config/lists/editors.toml",
        "name = \"Editors\"\n[[member]]\nemail = \"ed1@x.example\"\n[[member]]\nemail = \"ed2@x.example\"\n",
    );
    tree.create_ledger();
    succeed(bulletin(tree.root()).args(["suppress", "ed1@x.example", "--list", "editors"]));
    let d = support::daemon::Daemon::builder(&tree).spawn();
    let arrived = support::daemon::wait_until(std::time::Duration::from_secs(30), || {
        outbox_has(&tree, "ed2@x.example") && outbox_has(&tree, "a@x.example")
    });
    assert!(arrived, "{:?}\n{}", tree.outbox(), d.log());
    assert!(d.log().contains("proof due"), "{}", d.log());
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        !outbox_has(&tree, "ed1@x.example"),
        "suppressed on `editors`: {:?}",
        tree.outbox()
    );
    assert_eq!(d.stop().code, Some(0));
}

#[test]
fn a_list_suppression_takes_effect_in_an_issue_already_under_way() {
    // One message a day: the issue's first recipient goes today, the others wait.
    let tree = Tree::minimal();
    tree.append_config("[transport]\nkind = \"outbox\"\nmax_per_day = 1\n");
    tree.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\ninclude = [\"police\"]\n[[member]]\nemail = \"first@x.example\"\n",
    );
    tree.write(
        "config/lists/police.toml",
        "name = \"Police\"\n[[member]]\nemail = \"pc@x.example\"\n[[member]]\nemail = \"sergeant@x.example\"\n",
    );
    succeed(bulletin(tree.root()).args(["send", "news", "--now", "--date", "2026-11-01"]));
    let state = |who: &str| {
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(&succeed(bulletin(tree.root()).args([
                "status",
                "news@2026-11-01",
                "--recipients",
                "--format",
                "json",
            ])))
            .unwrap();
        rows.iter()
            .find(|r| r["email"] == who)
            .map(|r| r["state"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(state("first@x.example"), "sent");
    assert_eq!(state("pc@x.example"), "pending");

    let said =
        succeed(bulletin(tree.root()).args(["suppress", "pc@x.example", "--list", "police"]));
    assert_eq!(
        state("pc@x.example"),
        "suppressed",
        "on `all` only through `police`"
    );
    assert_eq!(state("sergeant@x.example"), "pending");
    assert!(said.contains("taken off 1 delivery"), "{said}");
}
