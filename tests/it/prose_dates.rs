//! A writer puts a date in a news item, a campaign or a standing block: `bulletin check` says
//! when its weekday is not the calendar's (an error at the date), and when the words around it
//! say "launched" about a day after the issue that carries the item, or "will be held" about a
//! day before it (warnings naming that issue). The sentences are the partnership's own, from
//! its published news pages.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use crate::support;

use support::{Tree, bulletin};

/// `bulletin check` in `tree`: (exit success, stdout).
fn check(tree: &Tree) -> (bool, String) {
    let out = bulletin(tree.root()).arg("check").output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// A news item published on `publish` whose body is `body` (the body starts on line 6).
fn news(tree: &Tree, publish: &str, body: &str) {
    tree.write(
        "news/item.md",
        &format!(
            "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = {publish}\n+++\n{body}\n"
        ),
    );
}

/// The seed's sentence, as the November 2020 news page printed it.
const SOMETHINGS_NOT_RIGHT: &str = "The Home Office launched a new campaign, 'Something's Not Right', on Tuesday 17th November to help secondary school children in England who suffered a range of harms, such as sexual and physical abuse, during lockdown.";

#[test]
fn a_weekday_the_calendar_does_not_give_is_an_error_at_the_date() {
    let tree = Tree::minimal();
    // The same sentence a year later: 17 November 2021 was a Wednesday.
    news(&tree, "2021-11-01", SOMETHINGS_NOT_RIGHT);
    let (ok, out) = check(&tree);
    assert!(!ok, "{out}");
    assert!(
        out.contains(
            "news/item.md:6:70: error: `Tuesday 17th November` is not a Tuesday: 17 November 2021 is a Wednesday (the year 2021 is assumed: the nearest to the item's publish date, 2021-11-01)\n  hint: correct the weekday or the day (Wednesday 17 November); if another year is meant, write it (`Tuesday 17th November 2022`)"
        ),
        "{out}"
    );

    // With its year written, the date is read in that year, whatever the publish date.
    let tree = Tree::minimal();
    news(
        &tree,
        "2024-11-01",
        "You can also read the Child Safeguarding Practice Review Panel Newsletter - Special Edition Nov 2024 which includes a practitioner briefing and a Webinar: Child Sexual Abuse within the Family Environment Tickets, Thu 15 Jan 2025 at 12:00",
    );
    let (ok, out) = check(&tree);
    assert!(!ok, "{out}");
    assert!(
        out.contains("news/item.md:6:214: error: `Thu 15 Jan 2025` is not a Thursday: 15 January 2025 is a Wednesday\n"),
        "{out}"
    );
    assert!(out.contains("check: 1 error(s)"), "{out}");
}

#[test]
fn dates_with_the_right_weekday_pass() {
    let tree = Tree::minimal();
    news(
        &tree,
        "2024-11-01",
        "NRM Myth Busting: Monday 25th November 10-11am (Police and Partners). Anti-Bullying Week (Monday 11th-15th November). Tickets, Wed 15 Jan 2025 at 12:00, or Wednesday 15/01/2025.",
    );
    let (ok, out) = check(&tree);
    assert!(ok, "{out}");
    assert!(out.contains("check: 0 error(s), 0 warning(s)"), "{out}");
}

#[test]
fn past_tense_about_a_day_after_the_issue_is_a_warning_naming_the_issue() {
    let tree = Tree::minimal();
    // Published for the issue of 1 November 2020 (this tree sends on Sundays too).
    news(&tree, "2020-11-01", SOMETHINGS_NOT_RIGHT);
    let (ok, out) = check(&tree);
    assert!(ok, "warnings do not fail the check: {out}");
    assert!(
        out.contains(
            "news/item.md:6:70: warning: \"launched\" … `Tuesday 17th November`: for readers of the issue of `news` on Sun 1 Nov 2020, which carries this item, Tue 17 Nov 2020 has not happened yet (the year 2020 is assumed: the nearest to the item's publish date, 2020-11-01)\n  hint: write it as still to come"
        ),
        "{out}"
    );

    // Published after the launch, the next issue carries it and the sentence reads true.
    let tree = Tree::minimal();
    news(&tree, "2020-11-20", SOMETHINGS_NOT_RIGHT);
    let (ok, out) = check(&tree);
    assert!(
        ok && out.contains("check: 0 error(s), 0 warning(s)"),
        "{out}"
    );

    // And written as still to come, the 1 November issue may carry it.
    let tree = Tree::minimal();
    news(
        &tree,
        "2020-11-01",
        &SOMETHINGS_NOT_RIGHT.replace("launched", "will launch"),
    );
    let (ok, out) = check(&tree);
    assert!(
        ok && out.contains("check: 0 error(s), 0 warning(s)"),
        "{out}"
    );
}

#[test]
fn future_tense_about_a_day_before_the_issue_is_a_warning_naming_the_issue() {
    let tree = Tree::minimal();
    // The County Lines session of 25 November 2024, left in an item for the December issue.
    news(
        &tree,
        "2024-11-20",
        "NRM Myth Busting will be held on Monday 25th November 10-11am (Police and Partners).",
    );
    let (ok, out) = check(&tree);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "news/item.md:6:34: warning: \"will be held\" … `Monday 25th November`: for readers of the issue of `news` on Sun 1 Dec 2024, which carries this item, Mon 25 Nov 2024 is already over"
        ),
        "{out}"
    );
    assert!(out.contains("check: 0 error(s), 1 warning(s)"), "{out}");
}

#[test]
fn a_weekday_of_a_named_campaign_must_be_one_of_its_days() {
    let tree = Tree::minimal();
    tree.write(
        "campaigns/anti-bullying-week.toml",
        "title = \"Anti-Bullying Week\"\nsummary = \"About the week.\"\n[[when]]\ndates = { from = 2024-11-11, to = 2024-11-15 }\n",
    );
    news(
        &tree,
        "2024-11-01",
        "Wear odd socks on the Monday of Anti-Bullying Week.",
    );
    let (_, out) = check(&tree);
    assert!(out.contains("check: 0 error(s), 0 warning(s)"), "{out}");
    news(
        &tree,
        "2024-11-01",
        "Wear odd socks on the Saturday of Anti-Bullying Week.",
    );
    let (ok, out) = check(&tree);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "news/item.md:6:19: warning: Anti-Bullying Week 2024 runs from Mon 11 Nov 2024 to Fri 15 Nov 2024: it has no Saturday"
        ),
        "{out}"
    );

    // 2024: Armistice Day was the Monday, so Odd Socks Day moved to the Tuesday.
    tree.write(
        "campaigns/odd-socks-day.toml",
        "title = \"Odd Socks Day\"\nsummary = \"Wear odd socks.\"\n[[when]]\ndates = { from = 2024-11-12, to = 2024-11-12 }\n",
    );
    news(
        &tree,
        "2024-11-01",
        "Anti-Bullying Week begins on Monday 11 November, and Odd Socks Day is on the Monday.",
    );
    let (ok, out) = check(&tree);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "news/item.md:6:74: warning: Odd Socks Day 2024 is on Tue 12 Nov 2024, not a Monday"
        ),
        "{out}"
    );
    assert!(out.contains("check: 0 error(s), 1 warning(s)"), "{out}");
}

#[test]
fn campaigns_and_blocks_are_checked_too() {
    let tree = Tree::minimal();
    tree.write(
        "campaigns/week.toml",
        "title = \"A week\"\nsummary = \"About the week.\"\n[[when]]\ndates = { from = 2020-11-16, to = 2020-11-20 }\n[year.2020]\nlocal = \"Anti-Bullying Week (Tuesday 16th-20th November)\"\n",
    );
    tree.write(
        "templates/blocks/worried.md",
        "+++\ntitle = \"Worried about a child?\"\n+++\nThe helpline closes on Friday 24 December 2026.\n",
    );
    let (ok, out) = check(&tree);
    assert!(!ok, "{out}");
    assert!(
        out.contains("campaigns/week.toml:6:30: error: `Tuesday 16th` is not a Tuesday: 16 November 2020 is a Monday (the year 2020 is assumed from its [year.2020] table)"),
        "{out}"
    );
    assert!(
        out.contains("templates/blocks/worried.md:4:24: error: `Friday 24 December 2026` is not a Friday: 24 December 2026 is a Thursday"),
        "{out}"
    );
}
