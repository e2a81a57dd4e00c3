//! An admin keeps lists per agency and an `all-partners` list that includes them; `bulletin
//! lists` shows how many distinct people each reaches.

use crate::support;

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
            {"id": "all", "name": "Everyone", "members": 3,
             "bulletins": [{"bulletin": "news", "reaches": 3}]},
            {"id": "health", "name": "Health", "members": 2,
             "bulletins": [{"bulletin": "news", "reaches": 2}]},
            {"id": "police", "name": "Police", "members": 2,
             "bulletins": [{"bulletin": "news", "reaches": 2}]},
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
        header.starts_with("ID") && header.contains("MEMBERS"),
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
        let rows = support::recipients(&tree, "news@2026-11-01");
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

/// Someone who unsubscribed from one bulletin (its unsubscribe link, or `suppress --bulletin`)
/// is still on the list, but that bulletin no longer reaches them: `lists` counts what each
/// bulletin sending to a list will reach, and `lists --members` names the bulletin.
#[test]
fn a_bulletin_unsubscribe_shows_in_the_counts_and_the_members() {
    let tree = Tree::minimal();
    tree.members(["a@x.example", "b@x.example", "c@x.example"]);
    tree.append_config(
        "[[bulletin]]\nid = \"weekly\"\nsubject = \"Weekly\"\nschedule = \"0 9 * * 1\"\nlists = [\"all\"]\nsections = [\"partnership\"]\n",
    );
    tree.create_ledger();
    succeed(bulletin(tree.root()).args(["suppress", "b@x.example", "--bulletin", "news"]));

    let rows: serde_json::Value = serde_json::from_str(&succeed(
        bulletin(tree.root()).args(["lists", "--format", "json"]),
    ))
    .unwrap();
    let all = &rows[0];
    assert_eq!(all["id"], "all", "{rows}");
    assert_eq!(all["members"], 3, "still on the list: {rows}");
    assert_eq!(
        all["bulletins"],
        serde_json::json!([
            {"bulletin": "news", "reaches": 2},
            {"bulletin": "weekly", "reaches": 3},
        ]),
        "{rows}"
    );
    let table = succeed(bulletin(tree.root()).arg("lists"));
    let line = table.lines().find(|l| l.starts_with("all ")).unwrap();
    assert!(
        line.contains("news 2") && line.contains("weekly 3"),
        "{table}"
    );

    let members: serde_json::Value = serde_json::from_str(&succeed(bulletin(tree.root()).args([
        "lists",
        "--members",
        "all",
        "--format",
        "json",
    ])))
    .unwrap();
    let row = |who: &str| {
        members
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["email"] == who)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        row("b@x.example")["unsubscribed_from"],
        serde_json::json!(["news"])
    );
    assert_eq!(row("b@x.example")["suppressed"], serde_json::json!([]));
    assert_eq!(
        row("a@x.example")["unsubscribed_from"],
        serde_json::json!([])
    );
    let table = succeed(bulletin(tree.root()).args(["lists", "--members", "all"]));
    let line = table
        .lines()
        .find(|l| l.starts_with("b@x.example"))
        .unwrap();
    assert!(line.contains("news"), "{table}");
    let line = table
        .lines()
        .find(|l| l.starts_with("a@x.example"))
        .unwrap();
    assert!(!line.contains("news"), "{table}");
    assert!(
        table.lines().next().unwrap().contains("news reaches 2"),
        "{table}"
    );
}

/// `bulletin check` with its output (stdout and stderr together) and exit code.
fn check(tree: &Tree) -> (Option<i32>, String) {
    let out = bulletin(tree.root()).arg("check").output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

/// An agency's export says `Email Address,Full Name,Organisation`: `check` offers the exact
/// `columns` line that reads it, the list reads it once the line is there, and a mapping
/// that names no column of the header is reported where it is written, with the header's
/// columns to copy from.
#[test]
fn an_agencys_own_headers_are_read_through_columns() {
    let tree = Tree::minimal();
    tree.write(
        "config/lists/all.csv",
        "Email Address;Full Name;Organisation;Phone\nsam@nhs.example;Sam Lee;NHS Trust;0123\njo@nhs.example;Jo Bloggs;NHS Trust;\n",
    );
    tree.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\nmembers_csv = \"all.csv\"\n",
    );
    let (code, text) = check(&tree);
    assert_eq!(code, Some(1), "{text}");
    let line =
        "columns = { email = \"Email Address\", name = \"Full Name\", agency = \"Organisation\" }";
    assert!(
        text.contains("config/lists/all.csv:1:1: error: the CSV has no `email` column")
            && text.contains(&format!("add the line `{line}`")),
        "{text}"
    );

    tree.write(
        "config/lists/all.toml",
        &format!("name = \"Everyone\"\nmembers_csv = \"all.csv\"\n{line}\n"),
    );
    let (code, text) = check(&tree);
    assert_eq!(code, Some(0), "{text}");
    let members: serde_json::Value = serde_json::from_str(&succeed(bulletin(tree.root()).args([
        "lists",
        "--members",
        "all",
        "--format",
        "json",
    ])))
    .unwrap();
    assert_eq!(
        members,
        serde_json::json!([
            {"email": "sam@nhs.example", "name": "Sam Lee", "agency": "NHS Trust", "suppressed": [], "unsubscribed_from": []},
            {"email": "jo@nhs.example", "name": "Jo Bloggs", "agency": "NHS Trust", "suppressed": [], "unsubscribed_from": []},
        ])
    );

    // A field mapped to a header the file does not have.
    tree.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\nmembers_csv = \"all.csv\"\ncolumns = { email = \"E-mail\", name = \"Full Name\" }\n",
    );
    let (code, text) = check(&tree);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("config/lists/all.toml:3:21: error: `columns`: email = \"E-mail\" names no column of all.csv's header")
            && text.contains("\"Email Address\", \"Full Name\", \"Organisation\", \"Phone\""),
        "{text}"
    );
    let out = bulletin(tree.root()).arg("lists").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// Twelve people of one council, written three ways, are each a group of four, which the
/// impact report folds into "Other agencies". `config/agencies.toml` makes them one agency,
/// in the report and in the lists; a mistake in that file is reported where it is.
#[test]
fn an_agency_vocabulary_makes_one_agency_of_its_variants() {
    let tree = Tree::minimal();
    let variants = ["Salford City Council, Early Help", "SCC", "salford cc"];
    tree.members_csv(
        (0..12)
            .map(|i| format!("c{i}@x.example,C {i},\"{}\"", variants[i % 3]))
            .chain((0..10).map(|i| format!("p{i}@police.example,P {i},Police"))),
    );
    tree.write(
        "config/agencies.toml",
        "# Variants in the lists, and the agency they are.\n[[agency]]\nname = \"Salford City Council\"\nmatches = [\"Salford City Council*\", \"SCC\", \"Salford CC\"]\n",
    );
    let (code, text) = check(&tree);
    assert_eq!(code, Some(0), "{text}");
    succeed(bulletin(tree.root()).args(["send", "news", "--now", "--date", "2026-11-01"]));
    let report: serde_json::Value = serde_json::from_str(&succeed(bulletin(tree.root()).args([
        "impact",
        "--issue",
        "news@2026-11-01",
        "--format",
        "json",
    ])))
    .unwrap();
    let groups: Vec<(String, u64)> = report["by_agency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["agency"].as_str().unwrap().to_string(),
                a["recipients"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![
            ("Salford City Council".to_string(), 12),
            ("Police".to_string(), 10)
        ],
        "{report}"
    );

    let members: serde_json::Value = serde_json::from_str(&succeed(bulletin(tree.root()).args([
        "lists",
        "--members",
        "all",
        "--format",
        "json",
    ])))
    .unwrap();
    for i in 0..3 {
        let who = format!("c{i}@x.example");
        let row = members
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["email"] == who.as_str())
            .unwrap();
        assert_eq!(row["agency"], "Salford City Council", "{members}");
    }

    tree.write(
        "config/agencies.toml",
        "[[agency]]\nname = \"Salford City Council\"\nmatches = [\"Salford*Council\"]\n[[agency]]\nname = \"Police\"\nmatches = [\"salford city council\"]\n",
    );
    let (code, text) = check(&tree);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("config/agencies.toml:3:12: error: `*` may only end a pattern")
            && text.contains(
                "config/agencies.toml:6:12: error: `salford city council` is already a pattern of `Salford City Council` (line 2)"
            ),
        "{text}"
    );
}
