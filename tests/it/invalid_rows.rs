//! One agency's CSV with one bad row: the commands that only read go on with the rows that
//! load and name the bad one; sending refuses (the default) or, with `invalid_rows = "skip"`,
//! leaves the row out and says which it was.

use crate::support;

use support::{Tree, bulletin, succeed};

/// `all` read from a CSV whose third spreadsheet row has no valid address; `extra` goes into
/// the list's TOML.
fn one_bad_row(extra: &str) -> Tree {
    let tree = Tree::minimal();
    tree.write(
        "config/lists/all.csv",
        "email,name,agency\r\nann@nhs.example,Ann,NHS\r\nnot-an-address,Bob,Police\r\ncat@school.example,Cat,School\r\n",
    );
    tree.write(
        "config/lists/all.toml",
        &format!("name = \"Everyone\"\nmembers_csv = \"all.csv\"\n{extra}"),
    );
    tree
}

fn delivered_to(tree: &Tree) -> Vec<String> {
    let mut to: Vec<String> = tree
        .outbox()
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
        .filter_map(|n| Some(n.strip_suffix(".eml")?.rsplit('-').next()?.to_string()))
        .collect();
    to.sort();
    to
}

#[test]
fn read_only_commands_work_past_a_bad_row_and_name_it() {
    let tree = one_bad_row("");
    tree.create_ledger();
    let out = bulletin(tree.root())
        .args(["lists", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("config/lists/all.csv:3:1: warning: invalid address `not-an-address`"),
        "{stderr}"
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(rows[0]["members"], 2, "{rows}");
    assert_eq!(rows[0]["left_out"][0]["row"], 3, "{rows}");
    assert_eq!(rows[0]["left_out"][0]["skipped"], false, "{rows}");

    let table = succeed(bulletin(tree.root()).arg("lists"));
    assert!(table.contains("fix config/lists/all.csv:3"), "{table}");
    assert!(table.contains("sending waits"), "{table}");

    for args in [
        &["status"][..],
        &["schedule"],
        &["calendar"],
        &["suppressions"],
        &[
            "preview",
            "news",
            "--date",
            "2026-11-01",
            "--out",
            "preview.html",
        ],
    ] {
        let out = bulletin(tree.root()).args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn sending_refuses_a_bad_row_by_default() {
    let tree = one_bad_row("");
    let out = bulletin(tree.root())
        .args(["send", "news", "--now", "--date", "2026-11-01"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("config/lists/all.csv:3:1: error: invalid address"),
        "{stderr}"
    );
    assert!(stderr.contains("invalid_rows = \"skip\""), "{stderr}");
    assert!(delivered_to(&tree).is_empty(), "{:?}", tree.outbox());
    let check = bulletin(tree.root()).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(1), "check stays strict");
}

#[test]
fn a_list_that_skips_bad_rows_sends_to_the_others_and_names_the_row() {
    let tree = one_bad_row("invalid_rows = \"skip\"\n");
    let out = bulletin(tree.root())
        .args(["send", "news", "--now", "--date", "2026-11-01"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        delivered_to(&tree),
        ["ann@nhs.example", "cat@school.example"],
        "{stderr}"
    );
    assert!(
        stderr.contains("config/lists/all.csv:3:1: warning: invalid address `not-an-address`")
            && stderr.contains("row left out of list `all`"),
        "{stderr}"
    );
    let table = succeed(bulletin(tree.root()).arg("lists"));
    assert!(table.contains("fix config/lists/all.csv:3"), "{table}");
    assert!(!table.contains("sending waits"), "{table}");
}

#[test]
fn an_unknown_choice_is_an_error_that_names_the_choices() {
    let tree = one_bad_row("invalid_rows = \"ignore\"\n");
    let out = bulletin(tree.root()).arg("lists").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("invalid_rows = \"ignore\" is not a choice"),
        "{stderr}"
    );
}

#[test]
fn the_daemon_logs_each_row_a_list_skips() {
    let tree = one_bad_row("invalid_rows = \"skip\"\n");
    tree.quiet_schedule();
    let d = support::daemon::Daemon::builder(&tree).spawn();
    let logged = support::daemon::wait_until(std::time::Duration::from_secs(20), || {
        d.log().contains("row left out of list `all`")
    });
    let exit = d.stop();
    assert!(logged, "{}", exit.log);
    assert!(exit.log.contains("all.csv:3"), "{}", exit.log);
}
