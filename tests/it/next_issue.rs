//! The issue a command means when given no date is the next scheduled one (after
//! `on_non_working_day`), and a date no schedule sends on is refused unless asked for; an
//! issue is named by the day it goes everywhere, and one already sent is not listed as coming;
//! a news deadline before the issue that carries the item is warned of.

#![allow(clippy::disallowed_methods)] // the real clock the binary under test reads

use crate::support;

use chrono::{Datelike, Days, NaiveDate};
use support::{Tree, bulletin};

/// Today in London, where the test tree's organisation is.
fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
}

/// Day `day` of the month at 09:00, moved to the next working day in England and Wales.
fn tree_on_day(day: u32) -> Tree {
    let t = Tree::minimal();
    t.schedule_with(&format!("0 9 {day} * *"), "on_non_working_day = \"next\"");
    t.create_ledger();
    t
}

/// Independently of the scheduler: the first day-`day` on or after today, moved past weekends
/// and bank holidays.
fn expected_next(day: u32) -> NaiveDate {
    let days = bulletin::schedule::WorkingDays::england_and_wales();
    // A cron date moved forward may land after today even when its own day was before it.
    let mut d = today() - Days::new(14);
    loop {
        if d.day() == day {
            let mut moved = d;
            while days.closed(moved).is_some() {
                moved = moved + Days::new(1);
            }
            if moved >= today() {
                return moved;
            }
        }
        d = d + Days::new(1);
    }
}

#[test]
fn a_proof_without_a_date_is_of_the_next_scheduled_issue() {
    // A day of the month that is not today's, so a today-dated issue is not a scheduled one.
    let day = (today().day() + 9) % 28 + 1;
    let t = tree_on_day(day);
    let out =
        support::succeed(bulletin(t.root()).args(["send", "news", "--test-to", "ed@x.example"]));
    let want = expected_next(day);
    assert!(
        out.starts_with(&format!("news {want} (proof ")),
        "want the proof of the {want} issue: {out}"
    );
}

#[test]
fn a_date_the_schedule_does_not_send_on_is_refused_unless_unscheduled() {
    // 1 May 2027 is a Saturday and 3 May a bank holiday: the May issue goes on Tuesday 4 May.
    let t = tree_on_day(1);
    let o = bulletin(t.root())
        .args([
            "send",
            "news",
            "--test-to",
            "ed@x.example",
            "--date",
            "2027-05-01",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no issue scheduled on 2027-05-01")
            && err.contains("2027-04-01 and 2027-05-04")
            && err.contains("--unscheduled"),
        "{err}"
    );
    assert!(t.outbox().is_empty(), "nothing was sent");
    let out = support::succeed(bulletin(t.root()).args([
        "send",
        "news",
        "--test-to",
        "ed@x.example",
        "--date",
        "2027-05-04",
    ]));
    assert!(out.starts_with("news 2027-05-04 (proof "), "{out}");
    let out = support::succeed(bulletin(t.root()).args([
        "send",
        "news",
        "--test-to",
        "ed@x.example",
        "--date",
        "2027-05-01",
        "--unscheduled",
    ]));
    assert!(out.starts_with("news 2027-05-01 (proof "), "{out}");
}

/// Saturdays at 09:00 moved to the next working day, with a web server for the daemon: every
/// issue's cron date differs from the date it goes.
fn saturdays_tree(port: u16) -> Tree {
    let t = Tree::minimal();
    t.schedule_with("0 9 * * 6", "on_non_working_day = \"next\"");
    t.append_config(&format!(
        "\n[web]\nbind = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n"
    ));
    t.create_ledger();
    t
}

/// Independently of the scheduler: the next two issues of [`saturdays_tree`] (the first moved
/// Saturday fire still to come), and the cron date of the first.
fn next_two_saturday_issues() -> (NaiveDate, NaiveDate, NaiveDate) {
    use chrono::TimeZone;
    let days = bulletin::schedule::WorkingDays::england_and_wales();
    let now = chrono::Utc::now();
    let mut found = Vec::new();
    let mut d = today() - Days::new(14);
    while found.len() < 2 {
        if d.weekday() == chrono::Weekday::Sat {
            let mut moved = d;
            while days.closed(moved).is_some() {
                moved = moved + Days::new(1);
            }
            let at = chrono_tz::Europe::London
                .from_local_datetime(&moved.and_hms_opt(9, 0, 0).unwrap())
                .earliest()
                .unwrap();
            if at > now {
                found.push((d, moved));
            }
        }
        d = d + Days::new(1);
    }
    (found[0].1, found[1].1, found[0].0)
}

#[test]
fn an_issue_sent_early_is_named_by_its_working_day_and_not_listed_as_coming() {
    let port = support::smtp::free_port();
    let t = saturdays_tree(port);
    let (first, second, cron_date) = next_two_saturday_issues();

    let d = support::daemon::Daemon::start(&t, port);
    let log = d.log();
    drop(d);
    assert!(
        log.contains(&format!("the issue of news ({first})"))
            && !log.contains(&format!("({cron_date})")),
        "the start-up summary names the issue by the day it goes, {first}, not {cron_date}:\n{log}"
    );

    // Sent early by hand: it is no longer coming anywhere.
    support::succeed(bulletin(t.root()).args([
        "send",
        "news",
        "--now",
        "--yes",
        "--date",
        &first.to_string(),
    ]));
    let table = support::succeed(bulletin(t.root()).args(["schedule", "--count", "2"]));
    let first_for = format!("issue of {}", first.format("%-d %b %Y"));
    let row = table
        .lines()
        .find(|l| l.starts_with("bulletin:news") && l.contains(&first_for))
        .unwrap_or_else(|| panic!("no row for {first}:\n{table}"));
    assert!(row.contains("already created"), "{table}");
    let json = support::succeed(bulletin(t.root()).args(["schedule", "--format", "json"]));
    assert!(json.contains("\"already_created\": true"), "{json}");

    let d = support::daemon::Daemon::start(&t, port);
    let (_, _, admin) = d.admin_get("/admin");
    let log = d.log();
    drop(d);
    assert!(
        log.contains(&format!("(for {first}: already created"))
            && log.contains(&format!("the issue of news ({second})")),
        "the start-up summary says {first} is already created and names {second} next:\n{log}"
    );
    assert!(
        admin.contains(&format!("(for {first}: already created")),
        "{admin}"
    );
}

#[test]
fn a_deadline_before_the_issue_that_carries_the_item_is_warned_of() {
    let days = bulletin::schedule::WorkingDays::england_and_wales();
    // A Saturday at least two days ahead; its issue goes on the next working day after it.
    let sat = (today() + Days::new(2))
        .iter_days()
        .find(|d| d.weekday() == chrono::Weekday::Sat)
        .unwrap();
    let carrier = sat.iter_days().find(|d| days.closed(*d).is_none()).unwrap();
    let t = saturdays_tree(support::smtp::free_port());
    let item = |title: &str, deadline: NaiveDate| {
        format!(
            "+++\ntitle = \"{title}\"\nsection = \"partnership\"\npublish = {sat}\ndeadline = {deadline}\n+++\nBook now.\n"
        )
    };
    t.write("news/item.md", &item("Training places", sat));
    t.write("news/fine.md", &item("Survey", carrier));
    let out = bulletin(t.root()).arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let warning = format!(
        "news/item.md:5:12: warning: the deadline {} is before the issue that will carry this item: the issue of `news` on {} ({carrier})",
        sat.format("%a %-d %b %Y"),
        carrier.format("%a %-d %b %Y"),
    );
    assert!(stdout.contains(&warning), "want {warning}:\n{stdout}");
    assert!(!stdout.contains("news/fine.md:5"), "{stdout}");

    let out = support::succeed(bulletin(t.root()).args([
        "preview",
        "news",
        "--date",
        &carrier.to_string(),
        "--out",
        "p.html",
    ]));
    assert!(
        out.contains("Partnership news (2: ")
            && out.contains("Training places")
            && out.contains("Survey"),
        "the preview names the items: {out}"
    );
}

#[test]
fn an_events_booking_deadline_before_the_issue_that_carries_it_is_warned_of() {
    let (carrier, _, _) = next_two_saturday_issues();
    let t = saturdays_tree(support::smtp::free_port());
    let event = |deadline: NaiveDate| {
        format!(
            "title = \"Neglect tool workshop\"\nsummary = \"x\"\nbooking = \"https://example.org/book\"\nbooking_deadline = {deadline}\n[[when]]\nat = {}T10:00:00\nminutes = 90\n",
            carrier + Days::new(20)
        )
    };
    t.write("campaigns/workshop.toml", &event(carrier - Days::new(1)));
    let out = bulletin(t.root()).arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let warning = format!(
        "campaigns/workshop.toml:6:6: warning: the booking deadline {} is before the first issue that will carry this event: the issue of `news` on {} ({carrier})",
        (carrier - Days::new(1)).format("%a %-d %b %Y"),
        carrier.format("%a %-d %b %Y"),
    );
    assert!(stdout.contains(&warning), "want {warning}:\n{stdout}");
    // Booking closing on the issue's own day is fine.
    t.write("campaigns/workshop.toml", &event(carrier));
    let out = bulletin(t.root()).arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("booking deadline"), "{stdout}");
}
