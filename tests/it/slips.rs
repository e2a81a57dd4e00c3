//! A comms officer's slips that `bulletin check` catches before an issue carries them: the same
//! campaign in two files, a booking deadline after the event began, and the hints that say what
//! was probably meant (a day written first, a file named as a title, a number in quotes).

use crate::support;

use support::{Tree, bulletin};

/// `bulletin check` on the tree: (exit code, what it printed).
fn check(t: &Tree) -> (Option<i32>, String) {
    let o = bulletin(t.root()).arg("check").output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

fn campaign(title: &str, when: &str) -> String {
    format!("title = \"{title}\"\nsummary = \"x\"\n[[when]]\n{when}\n")
}

#[test]
fn the_same_campaign_in_two_files_is_a_warning_at_the_second() {
    let t = Tree::minimal();
    // A second "Safer Internet Day", with other dates.
    t.write(
        "campaigns/safer-internet-day.toml",
        &campaign(
            "Safer Internet Day",
            "nth_weekday = { month = 2, weekday = \"tue\", nth = 2, days = 1 }",
        ),
    );
    t.write(
        "campaigns/sid.toml",
        &campaign(
            "Safer Internet Day",
            "yearly = { from = \"02-20\", to = \"02-20\" }",
        ),
    );
    // The same day under two names, on the same date.
    t.write(
        "campaigns/cse-day.toml",
        &campaign(
            "Child Exploitation Awareness Day",
            "yearly = { from = \"03-18\", to = \"03-18\" }",
        ),
    );
    t.write(
        "campaigns/national-cse-day.toml",
        &campaign(
            "National Child Exploitation Awareness Day",
            "yearly = { from = \"03-18\", to = \"03-18\" }",
        ),
    );
    let (code, out) = check(&t);
    assert_eq!(code, Some(0), "warnings do not fail the check: {out}");
    assert!(
        out.contains("campaigns/sid.toml:")
            && out.contains("`sid` has the same title as `safer-internet-day`"),
        "{out}"
    );
    assert!(
        out.contains("campaigns/national-cse-day.toml:4:10: warning: `national-cse-day` looks like the same campaign as `cse-day`")
            && out.contains("both run on"),
        "{out}"
    );
}

#[test]
fn campaigns_that_only_share_words_or_dates_are_not_flagged() {
    let t = Tree::minimal();
    t.write(
        "campaigns/safer-sleep-week.toml",
        &campaign(
            "Safer Sleep Week",
            "yearly = { from = \"03-10\", to = \"03-16\" }",
        ),
    );
    t.write(
        "campaigns/safer-internet-day.toml",
        &campaign(
            "Safer Internet Day",
            "yearly = { from = \"03-11\", to = \"03-11\" }",
        ),
    );
    let (code, out) = check(&t);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        !out.contains("same campaign") && !out.contains("same title"),
        "{out}"
    );
}

#[test]
fn a_booking_deadline_after_the_event_starts_is_an_error() {
    let t = Tree::minimal();
    t.write(
        "campaigns/briefing.toml",
        "title = \"Briefing\"\nsummary = \"x\"\nbooking = \"https://example.org/book\"\nbooking_deadline = 2027-03-20\n[[when]]\nat = 2027-03-18T10:00:00\nminutes = 90\n",
    );
    let (code, out) = check(&t);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("campaigns/briefing.toml:4:20: error: `booking_deadline` (2027-03-20) is after the event starts (2027-03-18)"),
        "{out}"
    );
    assert!(out.contains("booking_deadline = 2027-03-17"), "{out}");
    // On the day is fine.
    t.write(
        "campaigns/briefing.toml",
        "title = \"Briefing\"\nsummary = \"x\"\nbooking_deadline = 2027-03-18\n[[when]]\nat = 2027-03-18T10:00:00\n",
    );
    let (code, out) = check(&t);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn a_quoted_event_time_gets_one_error_that_shows_the_fix() {
    let t = Tree::minimal();
    t.write(
        "campaigns/briefing.toml",
        "title = \"Briefing\"\nsummary = \"x\"\nbooking = \"https://example.org/book\"\n[[when]]\nat = \"2027-03-18 10:00\"\n",
    );
    let (code, out) = check(&t);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("at = 2027-03-18T10:00"), "the fix: {out}");
    assert!(
        !out.contains("belongs to an event"),
        "no second, misleading error: {out}"
    );
    assert!(out.contains("check: 1 error(s)"), "{out}");
}

#[test]
fn hints_offer_the_likely_fix() {
    let t = Tree::minimal();
    t.write(
        "campaigns/week.toml",
        &campaign("A week", "yearly = { from = \"18-03\", to = \"03-25\" }"),
    );
    t.write(
        "campaigns/Refugee Week.toml",
        &campaign(
            "Refugee Week",
            "yearly = { from = \"06-15\", to = \"06-21\" }",
        ),
    );
    t.write(
        "campaigns/briefing.toml",
        "title = \"Briefing\"\nsummary = \"x\"\ncapacity = \"40\"\n[[when]]\nat = 2027-03-18T10:00:00\n",
    );
    let (code, out) = check(&t);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("did you mean \"03-18\" (18 March)?"), "{out}");
    assert!(out.contains("rename it to `refugee-week.toml`"), "{out}");
    assert!(
        out.contains("write it without quotes: `capacity = 40`"),
        "{out}"
    );
}
