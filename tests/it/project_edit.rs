//! A program changing the project's files the way a careful person would: tried against
//! `check` first, never over somebody else's newer edit, one git commit per change.

use std::process::Command;

use bulletin::config::Env;
use bulletin::project_edit::{Author, Edit, EditError, ProjectPath, Version, history, save};

use crate::support::{self, Tree};

fn author() -> Author {
    Author {
        name: "Priya Shah".into(),
        email: "priya.shah@example.org".parse().unwrap(),
    }
}

fn edit(t: &Tree, rel: &str, text: &str) -> Edit {
    Edit {
        path: ProjectPath::new(rel).unwrap(),
        contents: Some(text.into()),
        base: Version::of_file(&t.root().join(rel)).unwrap(),
    }
}

const ITEM: &str = "+++\ntitle = \"Safer sleep\"\nsection = \"partnership\"\npublish = 2027-03-01\n+++\nPut babies to sleep on their back.\n";

fn git(t: &Tree, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(t.root())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn work_tree(t: &Tree) {
    git(t, &["init", "-q"]);
    git(
        t,
        &[
            "-c",
            "user.name=Admin",
            "-c",
            "user.email=admin@example.org",
            "add",
            "-A",
        ],
    );
    git(
        t,
        &[
            "-c",
            "user.name=Admin",
            "-c",
            "user.email=admin@example.org",
            "commit",
            "-qm",
            "start",
        ],
    );
}

#[test]
fn a_saved_news_item_is_one_commit_authored_by_the_person() {
    let t = Tree::sample();
    work_tree(&t);
    let saved = save(
        &t.config(),
        &Env::empty(),
        support::now(),
        &[edit(&t, "news/2027-03-safer-sleep.md", ITEM)],
        &author(),
        "News: add \"Safer sleep\"",
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(t.root().join("news/2027-03-safer-sleep.md")).unwrap(),
        ITEM
    );
    let head = git(&t, &["log", "-1", "--format=%an <%ae>|%s|%H"]);
    assert_eq!(
        head.trim(),
        format!(
            "Priya Shah <priya.shah@example.org>|News: add \"Safer sleep\"|{}",
            saved.commit.unwrap()
        )
    );
    let h = history(
        t.root(),
        &ProjectPath::new("news/2027-03-safer-sleep.md").unwrap(),
        5,
    )
    .unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].author, "Priya Shah");
}

#[test]
fn a_save_that_would_fail_check_writes_nothing_and_says_why() {
    let t = Tree::sample();
    let before = std::fs::read_dir(t.root().join("news")).unwrap().count();
    let broken = ITEM.replace("section = \"partnership\"", "section = \"no-such-section\"");
    let err = save(
        &t.config(),
        &Env::empty(),
        support::now(),
        &[edit(&t, "news/2027-03-safer-sleep.md", &broken)],
        &author(),
        "News: add",
    )
    .unwrap_err();
    let EditError::Check(d) = err else {
        panic!("{err}")
    };
    let shown: Vec<String> = d.iter().map(|d| d.to_string()).collect();
    assert!(
        shown
            .iter()
            .any(|s| s.starts_with("news/2027-03-safer-sleep.md:3:")
                && s.contains("no-such-section")),
        "{shown:?}"
    );
    assert!(!t.root().join("news/2027-03-safer-sleep.md").exists());
    assert_eq!(
        std::fs::read_dir(t.root().join("news")).unwrap().count(),
        before
    );
}

#[test]
fn two_people_editing_one_file_lose_neither_edit() {
    let t = Tree::sample();
    work_tree(&t);
    let rel = "news/2027-03-safer-sleep.md";
    t.write(rel, ITEM);
    let first = edit(
        &t,
        rel,
        &ITEM.replace("on their back", "on their back, every time"),
    );
    let second = edit(
        &t,
        rel,
        &ITEM.replace("Safer sleep", "Safer sleep for babies"),
    );
    save(
        &t.config(),
        &Env::empty(),
        support::now(),
        std::slice::from_ref(&first),
        &author(),
        "first",
    )
    .unwrap();
    let err = save(
        &t.config(),
        &Env::empty(),
        support::now(),
        std::slice::from_ref(&second),
        &author(),
        "second",
    )
    .unwrap_err();
    let EditError::Conflict { kept, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(
        std::fs::read_to_string(t.root().join(rel)).unwrap(),
        first.contents.unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(t.root().join(kept)).unwrap(),
        second.contents.unwrap()
    );
}
