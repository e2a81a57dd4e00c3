//! Bank holidays as project data: `holidays/bank-holidays.json` in the project tree (GOV.UK's
//! format), the division chosen by `organisation.bank_holidays`. A Scottish project moves its
//! issues off 2 January and St Andrew's Day where an English one does not; the project's file
//! is used over the compiled-in copy; `check` warns when the file stops short of the next
//! twelve months, and a malformed file or an unknown division is an error at its place.

use crate::support;

use chrono::Datelike;
use support::{Tree, bulletin};

/// The repository's bank holidays file (all three divisions).
fn repository_holidays() -> serde_json::Value {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("holidays/bank-holidays.json"),
    )
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A minimal project firing on `cron` with `on_non_working_day = "next"`, set to `division`,
/// with `holidays` as its `holidays/bank-holidays.json`.
fn project(division: &str, cron: &str, holidays: &serde_json::Value) -> Tree {
    let t = Tree::minimal();
    t.schedule_with(cron, "on_non_working_day = \"next\"");
    set_division(&t, division);
    t.write(
        "holidays/bank-holidays.json",
        &serde_json::to_string_pretty(holidays).unwrap(),
    );
    t
}

fn set_division(t: &Tree, division: &str) {
    let settings = std::fs::read_to_string(t.config()).unwrap();
    let settings = settings.replacen(
        "[organisation]\n",
        &format!("[organisation]\nbank_holidays = \"{division}\"\n"),
        1,
    );
    t.write("config/bulletin.toml", &settings);
}

/// The first fire from `from` as `schedule --format json` gives it.
fn first_fire(t: &Tree, from: &str) -> serde_json::Value {
    let out = bulletin(t.root())
        .args([
            "schedule", "--from", from, "--count", "1", "--format", "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    rows[0].clone()
}

/// `bulletin check`: (exit code, stdout).
fn check(t: &Tree) -> (Option<i32>, String) {
    let out = bulletin(t.root()).arg("check").output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn a_scottish_project_moves_fires_off_2_january_and_st_andrews_day() {
    let holidays = repository_holidays();
    // Friday 2 January 2026 is a bank holiday in Scotland only.
    let scotland = project("scotland", "0 9 2 * *", &holidays);
    let fire = first_fire(&scotland, "2026-01-01");
    assert_eq!(fire["at"], "2026-01-05T09:00:00+00:00", "{fire}");
    assert_eq!(fire["moved_from"], "2026-01-02", "{fire}");
    assert_eq!(fire["reason"], "bank holiday (2nd January)", "{fire}");

    let england = project("england-and-wales", "0 9 2 * *", &holidays);
    let fire = first_fire(&england, "2026-01-01");
    assert_eq!(fire["at"], "2026-01-02T09:00:00+00:00", "{fire}");
    assert!(fire["moved_from"].is_null(), "{fire}");

    // Monday 30 November 2026 is St Andrew's Day; Tuesday 30 November 2027 too.
    let scotland = project("scotland", "0 9 30 * *", &holidays);
    let fire = first_fire(&scotland, "2026-11-01");
    assert_eq!(fire["at"], "2026-12-01T09:00:00+00:00", "{fire}");
    assert_eq!(fire["reason"], "bank holiday (St Andrew’s Day)", "{fire}");
    let fire = first_fire(&scotland, "2027-11-15");
    assert_eq!(fire["at"], "2027-12-01T09:00:00+00:00", "{fire}");
    let england = project("england-and-wales", "0 9 30 * *", &holidays);
    let fire = first_fire(&england, "2026-11-01");
    assert_eq!(fire["at"], "2026-11-30T09:00:00+00:00", "{fire}");

    // Northern Ireland: St Patrick's Day, Wednesday 17 March 2027.
    let ni = project("northern-ireland", "0 9 17 3 *", &holidays);
    let fire = first_fire(&ni, "2027-01-01");
    assert_eq!(fire["at"], "2027-03-18T09:00:00+00:00", "{fire}");
    assert_eq!(fire["reason"], "bank holiday (St Patrick’s Day)", "{fire}");
}

#[test]
fn the_projects_file_is_used_over_the_compiled_in_copy() {
    // Without a file the compiled-in England and Wales list is used: Thursday 10 June 2027 is
    // a working day.
    let t = Tree::minimal();
    t.schedule_with("0 9 10 6 *", "on_non_working_day = \"next\"");
    let fire = first_fire(&t, "2027-01-01");
    assert_eq!(fire["at"], "2027-06-10T09:00:00+01:00", "{fire}");

    // The project's own file makes it a holiday.
    let mut holidays = repository_holidays();
    holidays["england-and-wales"]["events"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "title": "Local holiday", "date": "2027-06-10", "notes": "", "bunting": false
        }));
    t.write(
        "holidays/bank-holidays.json",
        &serde_json::to_string_pretty(&holidays).unwrap(),
    );
    let fire = first_fire(&t, "2027-01-01");
    assert_eq!(fire["at"], "2027-06-11T09:00:00+01:00", "{fire}");
    assert_eq!(fire["reason"], "bank holiday (Local holiday)", "{fire}");
}

#[test]
fn check_warns_when_the_file_stops_short_of_the_next_twelve_months() {
    let full = repository_holidays();
    let t = project("scotland", "0 9 2 * *", &full);
    let (code, out) = check(&t);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("moves fires off bank holidays"), "{out}");

    // Keep only the years up to this one: the next twelve months reach past them.
    #[allow(clippy::disallowed_methods)] // check reads the real clock
    let this_year = chrono::Utc::now().year();
    let mut short = full.clone();
    for division in ["england-and-wales", "scotland", "northern-ireland"] {
        short[division]["events"]
            .as_array_mut()
            .unwrap()
            .retain(|e| e["date"].as_str().unwrap()[..4].parse::<i32>().unwrap() <= this_year);
    }
    t.write(
        "holidays/bank-holidays.json",
        &serde_json::to_string_pretty(&short).unwrap(),
    );
    let (code, out) = check(&t);
    assert_eq!(code, Some(0), "a warning only: {out}");
    let last = format!("{this_year}-11-30");
    let warning = out
        .lines()
        .find(|l| l.contains("moves fires off bank holidays"))
        .unwrap_or_else(|| panic!("no coverage warning:\n{out}"));
    assert!(warning.contains(": warning: bulletin `news`"), "{warning}");
    assert!(
        warning.contains("holidays/bank-holidays.json lists the scotland ones only up to"),
        "{warning}"
    );
    // The last Scottish bank holiday of a year is St Andrew's Day or a Christmas one.
    assert!(
        warning.contains(&format!("up to {this_year}-12-")) || warning.contains(&last),
        "{warning}"
    );
    assert!(
        out.contains("hint: run scripts/update-bank-holidays"),
        "{out}"
    );
}

#[test]
fn a_malformed_file_and_an_unknown_division_are_errors_at_their_place() {
    let t = Tree::minimal();
    set_division(&t, "wales");
    t.write(
        "holidays/bank-holidays.json",
        "{\n  \"england-and-wales\": {\n    \"events\": [\n      {\"title\": \"x\", \"date\": 5}\n    ]\n  }\n}\n",
    );
    let (code, out) = check(&t);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("config/bulletin.toml:2:17: error: unknown bank holidays division `wales`"),
        "{out}"
    );
    assert!(
        out.contains("hint: use one of \"england-and-wales\", \"scotland\", \"northern-ireland\""),
        "{out}"
    );
    assert!(
        out.contains("holidays/bank-holidays.json:4:30: error: the bank holiday data is not JSON in GOV.UK's format"),
        "{out}"
    );

    // A date that is not one is placed too; a file without the division is an error.
    t.write(
        "config/bulletin.toml",
        &support::BULLETIN_TOML.replacen(
            "[organisation]\n",
            "[organisation]\nbank_holidays = \"scotland\"\n",
            1,
        ),
    );
    t.write(
        "holidays/bank-holidays.json",
        "{\n  \"scotland\": {\n    \"events\": [\n      {\"title\": \"x\", \"date\": \"2027-02-30\"}\n    ]\n  }\n}\n",
    );
    let (code, out) = check(&t);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("holidays/bank-holidays.json:4:30: error: bank holiday `x` has an invalid date `2027-02-30`"),
        "{out}"
    );
    t.write(
        "holidays/bank-holidays.json",
        "{\"england-and-wales\": {\"events\": []}}\n",
    );
    let (code, out) = check(&t);
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("holidays/bank-holidays.json:1:1: error: the bank holiday data has no `scotland` division"),
        "{out}"
    );
}

/// The dates of one division in the repository's file.
fn dates(division: &str) -> std::collections::BTreeSet<String> {
    repository_holidays()[division]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["date"].as_str().unwrap().to_string())
        .collect()
}

/// The Scottish and Northern Irish lists differ from the England and Wales one (itself checked
/// against the rules in tests/it/working_days.rs) by exactly their own days, written out here
/// year by year: Scotland's 2 January and St Andrew's Day with their substitutes, its summer
/// holiday on the first Monday of August and no Easter Monday; Northern Ireland's St Patrick's
/// Day and Battle of the Boyne with theirs.
#[test]
fn scotland_and_northern_ireland_differ_from_england_by_their_own_days() {
    let set = |v: &[&str]| -> std::collections::BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    };
    let england = dates("england-and-wales");

    // By date: where England and Wales has a New Year substitute on 2 or 3 January, Scotland
    // has that day too (as 2 January or as the substitute) and one more after it; 1 January
    // 2023, a Sunday, has its substitute on Tuesday 3rd, after the 2 January holiday.
    let scotland_only = set(&[
        "2020-01-02",
        "2020-08-03",
        "2020-11-30", //
        "2021-01-04",
        "2021-08-02",
        "2021-11-30", //
        "2022-01-04",
        "2022-08-01",
        "2022-11-30", //
        "2023-01-03",
        "2023-08-07",
        "2023-11-30", //
        "2024-01-02",
        "2024-08-05",
        "2024-12-02", //
        "2025-01-02",
        "2025-08-04",
        "2025-12-01", //
        "2026-01-02",
        "2026-08-03",
        "2026-11-30", //
        "2027-01-04",
        "2027-08-02",
        "2027-11-30", //
        "2028-01-04",
        "2028-08-07",
        "2028-11-30",
    ]);
    let england_only = set(&[
        "2020-04-13",
        "2020-08-31",
        "2021-04-05",
        "2021-08-30",
        "2022-04-18",
        "2022-08-29",
        "2023-04-10",
        "2023-08-28",
        "2024-04-01",
        "2024-08-26",
        "2025-04-21",
        "2025-08-25",
        "2026-04-06",
        "2026-08-31",
        "2027-03-29",
        "2027-08-30",
        "2028-04-17",
        "2028-08-28",
    ]);
    let scotland = dates("scotland");
    assert_eq!(
        scotland
            .difference(&england)
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        scotland_only
    );
    assert_eq!(
        england
            .difference(&scotland)
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        england_only
    );

    let ni_only = set(&[
        "2020-03-17",
        "2020-07-13",
        "2021-03-17",
        "2021-07-12",
        "2022-03-17",
        "2022-07-12",
        "2023-03-17",
        "2023-07-12",
        "2024-03-18",
        "2024-07-12",
        "2025-03-17",
        "2025-07-14",
        "2026-03-17",
        "2026-07-13",
        "2027-03-17",
        "2027-07-12",
        "2028-03-17",
        "2028-07-12",
    ]);
    let ni = dates("northern-ireland");
    assert!(england.is_subset(&ni));
    assert_eq!(
        ni.difference(&england)
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        ni_only
    );
}
