//! The sample project reads like a partnership's real year: every item under the readability
//! thresholds (`check --readability`), news in every month of 2027, and the seeds' real public
//! contacts rather than placeholders.

use crate::support;

use chrono::Datelike;
use support::Tree;

/// Passive phrases an editor keeps: terms of art and titles ("deprived of liberty", "is
/// motivated by" in the legal definition of hate crime), and states rather than actions
/// ("are worried", "being exploited"), where making them active would name a wrong actor.
const KEPT_PASSIVES: &[&str] = &[
    "being exploited",
    "are worried",
    "being radicalised",
    "is called",
    "are deprived",
    "being deprived",
    "is motivated",
    "been involved",
    "be heard",
];

#[test]
fn every_sample_item_is_under_the_readability_thresholds() {
    let t = Tree::sample();
    let out = support::run(&t, &["check", "--readability"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let items: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("readability: "))
        .collect();
    assert!(items.len() >= 50, "figures for every item: {stdout}");
    for line in &items {
        let age: f64 = line
            .rsplit("reading age ")
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("a reading age: {line}"));
        assert!(age <= bulletin::readability::MAX_READING_AGE, "{line}");
    }
    for line in stdout
        .lines()
        .filter(|l| l.starts_with("news/") && l.contains(": warning: "))
    {
        assert!(
            KEPT_PASSIVES
                .iter()
                .any(|p| line.ends_with(&format!("passive voice: \"{p}\""))),
            "only the passives an editor keeps: {line}"
        );
    }
}

#[test]
fn every_month_of_2027_has_news() {
    let p = Tree::sample().load().project.expect("the sample loads");
    let b = p.bulletin("sscp-news").unwrap();
    for month in 1..=12 {
        let n = p
            .news
            .iter()
            .filter(|n| bulletin::news_window::carries(b, n))
            .filter(|n| n.publish.year() == 2027 && n.publish.month() == month)
            .count();
        assert!(n >= 1, "no news in 2027-{month:02}");
    }
}

#[test]
fn the_sample_uses_the_partnerships_public_contacts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["news", "templates/blocks"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = e.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            // The partnership's address as its strategy gives it, not a placeholder.
            assert!(
                !text.contains("sscp@sscp.example"),
                "{}: a placeholder contact",
                path.display()
            );
        }
    }
}

#[test]
fn preview_shows_a_readability_panel_for_the_issues_items() {
    let t = Tree::sample();
    let out = t.root().join("p.html");
    let o = support::run(
        &t,
        &[
            "preview",
            "sscp-news",
            "--date",
            "2019-12-02",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}");
    assert!(
        stdout.contains("readability: Route29 (formerly known as No Wrong Door): 186 words, 11 sentences, reading age "),
        "{stdout}"
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("readability: "))
            .count(),
        5,
        "one line for each of the five items: {stdout}"
    );
}
