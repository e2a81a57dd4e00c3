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
