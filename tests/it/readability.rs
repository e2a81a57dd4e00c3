//! A comms officer runs `bulletin check --readability` before an issue goes out: each long
//! sentence, passive verb, acronym not spelt out, vague link and wordy word in a news item is a
//! warning at its place with a hint, and every item gets a line of figures. Without the flag,
//! `check` says what it always said.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use crate::support;

use support::{Tree, bulletin};

/// `bulletin check` with `args` in `tree`: (exit success, stdout).
fn check(tree: &Tree, args: &[&str]) -> (bool, String) {
    let out = bulletin(tree.root())
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A news item whose body is `body` (the body starts on line 6).
fn news(tree: &Tree, body: &str) {
    tree.write(
        "news/item.md",
        &format!(
            "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 2026-11-01\n+++\n{body}\n"
        ),
    );
}

const GLOSSARY: &str = "[acronyms]\nDSL = \"Designated Safeguarding Lead\"\n";

/// One finding of each kind, a paragraph each.
const MESSY: &str = "The report was published by the team.

Ask your DSL today.

Please [click here](https://training.example/book) to book.

We utilise the hall.

One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty one two three four five six.";

#[test]
fn each_finding_is_a_warning_at_its_place_with_a_hint() {
    let tree = Tree::minimal();
    tree.write("templates/glossary.toml", GLOSSARY);
    news(&tree, MESSY);
    let (ok, out) = check(&tree, &["--readability"]);
    assert!(ok, "warnings never fail check:\n{out}");
    for expected in [
        "news/item.md:6:12: warning: passive voice: \"was published\"\n  hint: say who does it",
        "news/item.md:8:10: warning: `DSL` is not spelt out at its first use\n  hint: write \"Designated Safeguarding Lead (DSL)\" the first time",
        "news/item.md:10:8: warning: the link text \"click here\" does not say where it goes\n  hint: ",
        "news/item.md:12:4: warning: \"utilise\" has a plainer word\n  hint: try \"use\"",
        "news/item.md:14:1: warning: a sentence of 26 words (more than 25)\n  hint: split it",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(
        out.contains("check: 0 error(s), 5 warning(s)"),
        "exactly five findings:\n{out}"
    );
    assert!(
        out.contains("readability: news/item.md: 46 words, 5 sentences, reading age "),
        "{out}"
    );
}

#[test]
fn an_acronym_without_a_glossary_entry_or_a_bare_url_as_link_text_is_reported() {
    let tree = Tree::minimal();
    news(
        &tree,
        "Ask the NRM team.\n\nSee [https://www.gov.uk/nrm](https://www.gov.uk/nrm) and the National Referral Mechanism (NRM).",
    );
    let (_, out) = check(&tree, &["--readability"]);
    assert!(
        out.contains("news/item.md:6:9: warning: `NRM` is not spelt out at its first use\n  hint: write it out in full, then \"(NRM)\"; or add it to templates/glossary.toml"),
        "{out}"
    );
    assert!(
        out.contains("news/item.md:8:5: warning: the link text \"https://www.gov.uk/nrm\" does not say where it goes"),
        "{out}"
    );
}

#[test]
fn a_clean_item_reports_nothing_but_its_figures() {
    let tree = Tree::minimal();
    tree.write("templates/glossary.toml", GLOSSARY);
    news(
        &tree,
        "Your Designated Safeguarding Lead (DSL) can help. We run free training for staff.\n\nBook a place on [the training timetable](https://training.example/book). Ask your DSL.",
    );
    let (ok, out) = check(&tree, &["--readability"]);
    assert!(ok, "{out}");
    assert!(!out.contains("warning:"), "{out}");
    assert!(
        out.contains("readability: news/item.md: 23 words, 4 sentences, reading age "),
        "{out}"
    );
    assert!(out.contains("check: 0 error(s), 0 warning(s)"), "{out}");
}

#[test]
fn without_the_flag_check_says_what_it_always_said() {
    let plain = Tree::minimal();
    let messy = Tree::minimal();
    messy.write("templates/glossary.toml", GLOSSARY);
    news(&messy, MESSY);
    let (ok, out) = check(&messy, &[]);
    assert!(ok);
    assert_eq!(out, check(&plain, &[]).1);
    assert!(!out.contains("readability"), "{out}");
}

#[test]
fn an_item_over_the_reading_age_is_a_warning_at_its_first_line() {
    let tree = Tree::minimal();
    news(
        &tree,
        "Multidisciplinary safeguarding practitioners collaboratively institutionalise organisational accountability.",
    );
    let (ok, out) = check(&tree, &["--readability"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("news/item.md:6:1: warning: reading age ")
            && out.contains(" is over 18 (Flesch–Kincaid grade ")
            && out.contains("  hint: shorter sentences and shorter words bring it down"),
        "{out}"
    );
    assert!(out.contains("check: 0 error(s), 1 warning(s)"), "{out}");
}

#[test]
fn json_carries_the_warnings() {
    let tree = Tree::minimal();
    news(&tree, "Please [click here](https://training.example/book).");
    let (_, out) = check(&tree, &["--readability", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v.as_array().unwrap()[0];
    assert_eq!(d["path"], "news/item.md");
    assert_eq!(
        (d["pos"]["line"].as_u64(), d["pos"]["col"].as_u64()),
        (Some(6), Some(8))
    );
    assert_eq!(d["severity"], "warning");
}
