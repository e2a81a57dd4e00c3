//! The campaign calendar against the sample tree's real dates (2020–2028), each kind of rule
//! over several years, the `calendar` command's table and JSON, and what `check` learns only by
//! expanding the rules.

use crate::support;

use std::path::Path;

use bulletin::calendar::{Calendar, Occurrence, OccurrenceKind};
use bulletin::config::{Campaign, Env, Project};
use chrono::NaiveDate;
use chrono_tz::Europe::London;
use support::day as d;
use support::{Tree, bulletin};

/// The repository's sample tree, loaded as `bulletin` would on 23 Nov 2026.
fn sample() -> Project {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/bulletin.toml");
    let loaded = bulletin::load::load(&config, &Env::empty(), support::now());
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.diagnostics);
    loaded.project.expect("the sample tree loads")
}

/// (start, end) of each occurrence of `id` overlapping `[from, to]`.
fn spans(cal: &Calendar<'_>, id: &str, from: &str, to: &str) -> Vec<(NaiveDate, NaiveDate)> {
    cal.between(d(from), d(to))
        .into_iter()
        .filter(|o| o.campaign.as_str() == id)
        .map(|o| (o.start, o.end))
        .collect()
}

fn span(from: &str, to: &str) -> (NaiveDate, NaiveDate) {
    (d(from), d(to))
}

fn ids(occurrences: &[Occurrence]) -> Vec<&str> {
    occurrences.iter().map(|o| o.campaign.as_str()).collect()
}

#[test]
fn sixteen_days_of_action_every_year() {
    let p = sample();
    let cal = Calendar::new(&p.campaigns, London);
    assert_eq!(
        spans(&cal, "sixteen-days-of-action", "2024-01-01", "2027-12-31"),
        [
            span("2024-11-25", "2024-12-10"),
            span("2025-11-25", "2025-12-10"),
            span("2026-11-25", "2026-12-10"),
            span("2027-11-25", "2027-12-10"),
        ]
    );
    assert_eq!(
        spans(&cal, "white-ribbon-day", "2024-01-01", "2027-12-31"),
        [
            span("2024-11-25", "2024-11-25"),
            span("2025-11-25", "2025-11-25"),
            span("2026-11-25", "2026-11-25"),
            span("2027-11-25", "2027-11-25"),
        ]
    );
}

#[test]
fn safeguarding_adults_week_third_monday_with_moved_years() {
    let p = sample();
    let cal = Calendar::new(&p.campaigns, London);
    assert_eq!(
        spans(&cal, "safeguarding-adults-week", "2020-01-01", "2027-12-31"),
        [
            span("2020-11-16", "2020-11-22"), // `dates` replaces the rule's 16–20 Nov
            span("2021-11-15", "2021-11-21"), // seven days, as the Ann Craft Trust ran it
            span("2022-11-21", "2022-11-27"), // `dates` replaces the rule's 21–25 Nov
            span("2023-11-20", "2023-11-24"),
            span("2024-11-18", "2024-11-22"),
            span("2025-11-17", "2025-11-21"),
            span("2026-11-16", "2026-11-20"),
            span("2027-11-15", "2027-11-19"),
        ]
    );
}

#[test]
fn anti_bullying_week_confirmed_dates_replace_the_rule() {
    let p = sample();
    let cal = Calendar::new(&p.campaigns, London);
    assert_eq!(
        spans(&cal, "anti-bullying-week", "2024-01-01", "2028-12-31"),
        [
            span("2024-11-11", "2024-11-15"),
            span("2025-11-10", "2025-11-14"),
            span("2026-11-16", "2026-11-20"),
            span("2027-11-15", "2027-11-19"),
            // The rule: the Monday on or after 10 November.
            span("2028-11-13", "2028-11-17"),
        ]
    );
    assert_eq!(
        spans(&cal, "odd-socks-day", "2024-01-01", "2028-12-31"),
        [
            // Armistice Day fell on the Monday in 2024: Odd Socks Day was the Tuesday.
            span("2024-11-12", "2024-11-12"),
            span("2025-11-10", "2025-11-10"),
            span("2026-11-16", "2026-11-16"),
            span("2027-11-15", "2027-11-15"),
            span("2028-11-13", "2028-11-13"),
        ]
    );
}

#[test]
fn hate_crime_awareness_week_second_to_third_saturday() {
    let p = sample();
    let cal = Calendar::new(&p.campaigns, London);
    assert_eq!(
        spans(
            &cal,
            "hate-crime-awareness-week",
            "2024-01-01",
            "2027-12-31"
        ),
        [
            span("2024-10-12", "2024-10-19"),
            span("2025-10-11", "2025-10-18"),
            span("2026-10-10", "2026-10-17"),
            span("2027-10-09", "2027-10-16"),
        ]
    );
    for (start, _) in spans(
        &cal,
        "hate-crime-awareness-week",
        "2000-01-01",
        "2100-12-31",
    ) {
        assert_eq!(start.format("%a").to_string(), "Sat");
    }
}

#[test]
fn christmas_online_safety_crosses_the_year_end() {
    let p = sample();
    let cal = Calendar::new(&p.campaigns, London);
    assert_eq!(
        spans(&cal, "christmas-online-safety", "2025-01-01", "2027-01-01"),
        [
            span("2024-12-20", "2025-01-05"), // started before the range, still on
            span("2025-12-20", "2026-01-05"),
            span("2026-12-20", "2027-01-05"),
        ]
    );
    // On New Year's Day it is the occurrence that began the previous December.
    let on = cal.on(d("2027-01-01"));
    assert_eq!(ids(&on), ["christmas-online-safety"]);
    assert_eq!((on[0].start, on[0].end), span("2026-12-20", "2027-01-05"));
    // A January-only range still sees it; a range after 5 January does not.
    assert_eq!(
        spans(&cal, "christmas-online-safety", "2027-01-05", "2027-01-31").len(),
        1
    );
    assert!(spans(&cal, "christmas-online-safety", "2027-01-06", "2027-12-19").is_empty());
}

#[test]
fn islamophobia_awareness_month_is_all_november() {
    let p = sample();
    let cal = Calendar::new(&p.campaigns, London);
    assert_eq!(
        spans(
            &cal,
            "islamophobia-awareness-month",
            "2025-06-01",
            "2026-11-01"
        ),
        [
            span("2025-11-01", "2025-11-30"),
            span("2026-11-01", "2026-11-30")
        ]
    );
}

#[test]
fn events_have_local_times() {
    let p = sample();
    let cal = Calendar::new(&p.campaigns, London);
    let events: Vec<(String, String, String)> = cal
        .between(d("2024-01-01"), d("2027-02-28"))
        .into_iter()
        .filter(|o| o.kind == OccurrenceKind::Event)
        .map(|o| {
            let e = o.event.expect("an event has times");
            assert_eq!(
                (o.start, o.end),
                (e.start.date_naive(), e.start.date_naive())
            );
            (
                o.campaign.to_string(),
                e.start.to_rfc3339(),
                e.end.to_rfc3339(),
            )
        })
        .collect();
    let row = |id: &str, s: &str, e: &str| (id.to_string(), s.to_string(), e.to_string());
    assert_eq!(
        events,
        [
            row(
                "nrm-myth-busting",
                "2024-11-25T10:00:00+00:00",
                "2024-11-25T11:00:00+00:00"
            ),
            row(
                "threshold-of-need-training",
                "2026-12-03T09:30:00+00:00",
                "2026-12-03T12:30:00+00:00"
            ),
            row(
                "professional-curiosity-briefing",
                "2026-12-09T10:00:00+00:00",
                "2026-12-09T11:30:00+00:00"
            ),
            row(
                "threshold-of-need-training",
                "2027-01-14T13:00:00+00:00",
                "2027-01-14T16:00:00+00:00"
            ),
            row(
                "neglect-toolkit-workshop",
                "2027-02-10T09:30:00+00:00",
                "2027-02-10T11:30:00+00:00"
            ),
        ]
    );
    // Every other occurrence is a whole-day campaign without times.
    assert!(
        cal.between(d("2024-01-01"), d("2027-12-31"))
            .iter()
            .all(|o| (o.kind == OccurrenceKind::Event) == o.event.is_some())
    );
}

#[test]
fn queries_on_a_date_and_starting_soon() {
    let p = sample();
    let cal = Calendar::new(&p.campaigns, London);
    assert_eq!(
        ids(&cal.on(d("2026-11-25"))),
        [
            "islamophobia-awareness-month",
            "sixteen-days-of-action",
            "white-ribbon-day"
        ]
    );
    assert_eq!(
        ids(&cal.on(d("2026-11-18"))),
        [
            "islamophobia-awareness-month",
            "anti-bullying-week",
            "safeguarding-adults-week"
        ]
    );
    // Start in (1 Nov, 1 Nov + 45 days]: November's own month started on the 1st, so it is
    // "on", not "starting".
    assert_eq!(
        ids(&cal.starting_within(d("2026-11-01"), 45)),
        [
            "private-fostering",
            "anti-bullying-week",
            "odd-socks-day",
            "safeguarding-adults-week",
            "sixteen-days-of-action",
            "white-ribbon-day",
            "threshold-of-need-training",
            "professional-curiosity-briefing",
        ]
    );
    assert!(cal.starting_within(d("2026-11-01"), 0).is_empty());
    // The range is inclusive at both ends, and an empty range (to < from) has nothing.
    assert_eq!(
        ids(&cal.between(d("2026-12-10"), d("2026-12-10"))),
        ["sixteen-days-of-action"]
    );
    assert!(cal.between(d("2026-12-10"), d("2026-12-09")).is_empty());
}

#[test]
fn evergreen_campaigns_are_rotated_not_dated() {
    let p = sample();
    let cal = Calendar::new(&p.campaigns, London);
    let evergreen: Vec<&str> = cal.evergreen().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(evergreen, ["icon"]);
    assert!(!ids(&cal.between(d("2000-01-01"), d("2100-12-31"))).contains(&"icon"));
    let icon = cal.campaign(&"icon".parse().unwrap()).expect("icon");
    assert_eq!(icon.evergreen, Some(3));
}

#[test]
fn sorted_by_start_then_title() {
    let p = sample();
    let cal = Calendar::new(&p.campaigns, London);
    let all = cal.between(d("2020-01-01"), d("2030-12-31"));
    assert!(
        all.windows(2)
            .all(|w| (w[0].start, &w[0].title) <= (w[1].start, &w[1].title))
    );
    assert!(all.len() > 60);
}

// ---- Each rule over several years, in campaign files of their own ----

/// Load a minimal tree with these campaign files added; every diagnostic must be a warning.
fn campaigns_of(files: &[(&str, &str)]) -> (Tree, Vec<Campaign>) {
    let tree = Tree::minimal();
    for (name, text) in files {
        tree.write(&format!("campaigns/{name}.toml"), text);
    }
    let loaded = tree.load();
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.diagnostics);
    let campaigns = loaded.project.expect("loads").campaigns;
    (tree, campaigns)
}

fn spans_of(campaigns: &[Campaign], id: &str, from: &str, to: &str) -> Vec<(NaiveDate, NaiveDate)> {
    spans(&Calendar::new(campaigns, London), id, from, to)
}

#[test]
fn fifth_weekday_only_in_years_that_have_one() {
    let (_t, c) = campaigns_of(&[(
        "fifth",
        "title = \"T\"\nsummary = \"S\"\n[[when]]\nnth_weekday = { month = 11, weekday = \"mon\", nth = 5, days = 1 }\n",
    )]);
    // 30 days: November has five Mondays only when it starts on a Sunday or a Monday.
    assert_eq!(
        spans_of(&c, "fifth", "2024-01-01", "2032-12-31"),
        [
            span("2026-11-30", "2026-11-30"),
            span("2027-11-29", "2027-11-29"),
            span("2032-11-29", "2032-11-29"),
        ]
    );
}

#[test]
fn last_weekday_of_the_month() {
    let (_t, c) = campaigns_of(&[(
        "last",
        "title = \"T\"\nsummary = \"S\"\n[[when]]\nnth_weekday = { month = 2, weekday = \"thu\", nth = -1, days = 2 }\n",
    )]);
    assert_eq!(
        spans_of(&c, "last", "2024-01-01", "2027-12-31"),
        [
            span("2024-02-29", "2024-03-01"),
            span("2025-02-27", "2025-02-28"),
            span("2026-02-26", "2026-02-27"),
            span("2027-02-25", "2027-02-26"),
        ]
    );
}

#[test]
fn leap_day_ranges_read_as_28_february_in_other_years() {
    let (_t, c) = campaigns_of(&[
        (
            "leap",
            "title = \"T\"\nsummary = \"S\"\n[[when]]\nyearly = { from = \"02-29\", to = \"03-01\" }\n",
        ),
        (
            "upto",
            "title = \"U\"\nsummary = \"S\"\n[[when]]\nyearly = { from = \"02-20\", to = \"02-29\" }\n",
        ),
    ]);
    assert_eq!(
        spans_of(&c, "leap", "2024-01-01", "2027-12-31"),
        [
            span("2024-02-29", "2024-03-01"),
            span("2025-02-28", "2025-03-01"),
            span("2026-02-28", "2026-03-01"),
            span("2027-02-28", "2027-03-01"),
        ]
    );
    assert_eq!(
        spans_of(&c, "upto", "2099-01-01", "2100-12-31"),
        [
            span("2099-02-20", "2099-02-28"),
            span("2100-02-20", "2100-02-28")
        ]
    );
}

#[test]
fn except_years_and_dates_overrides_across_the_year_end() {
    let (_t, c) = campaigns_of(&[(
        "hols",
        "title = \"T\"\nsummary = \"S\"\nexcept_years = [2025]\n\
         [[when]]\nyearly = { from = \"12-20\", to = \"01-05\" }\n\
         [[when]]\ndates = { from = 2026-12-18, to = 2027-01-02 }\n",
    )]);
    assert_eq!(
        spans_of(&c, "hols", "2024-06-01", "2028-01-31"),
        [
            // The 2024 occurrence belongs to 2024, so skipping 2025 leaves it.
            span("2024-12-20", "2025-01-05"),
            // 2025: skipped. 2026: moved by the `dates` entry that starts in 2026.
            span("2026-12-18", "2027-01-02"),
            span("2027-12-20", "2028-01-05"),
        ]
    );
}

#[test]
fn a_dates_entry_replaces_the_nearest_of_several_rules() {
    let (_t, c) = campaigns_of(&[(
        "twice",
        "title = \"T\"\nsummary = \"S\"\n\
         [[when]]\nyearly = { from = \"03-01\", to = \"03-07\" }\n\
         [[when]]\nyearly = { from = \"10-01\", to = \"10-07\" }\n\
         [[when]]\ndates = { from = 2026-10-05, to = 2026-10-11 }\n",
    )]);
    assert_eq!(
        spans_of(&c, "twice", "2026-01-01", "2026-12-31"),
        [
            span("2026-03-01", "2026-03-07"),
            span("2026-10-05", "2026-10-11")
        ]
    );
}

#[test]
fn events_keep_their_length_across_a_clock_change() {
    let (_t, c) = campaigns_of(&[(
        "night",
        "title = \"T\"\nsummary = \"S\"\n\
         [[when]]\nat = 2026-10-25T00:30:00\nminutes = 120\n\
         [[when]]\nat = 2026-11-02T09:00:00\n",
    )]);
    let cal = Calendar::new(&c, London);
    let times: Vec<(String, String)> = cal
        .between(d("2026-10-01"), d("2026-11-30"))
        .iter()
        .filter(|o| o.campaign.as_str() == "night")
        .map(|o| o.event.expect("event"))
        .map(|e| (e.start.to_rfc3339(), e.end.to_rfc3339()))
        .collect();
    assert_eq!(
        times,
        [
            // Two hours from 00:30 BST is 01:30 GMT: the clocks went back in between.
            (
                "2026-10-25T00:30:00+01:00".into(),
                "2026-10-25T01:30:00+00:00".into()
            ),
            // `minutes` defaults to 60.
            (
                "2026-11-02T09:00:00+00:00".into(),
                "2026-11-02T10:00:00+00:00".into()
            ),
        ]
    );
}

// ---- The `calendar` command ----

fn run_calendar(args: &[&str]) -> (String, String, Option<i32>) {
    let out = bulletin(Path::new(env!("CARGO_MANIFEST_DIR")))
        .arg("calendar")
        .args(args)
        .output()
        .expect("bulletin runs");
    (
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn json_is_exactly_the_documented_shape() {
    let (stdout, stderr, code) = run_calendar(&[
        "--format",
        "json",
        "--from",
        "2026-11-20",
        "--to",
        "2026-12-10",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let got: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    let row = |id: &str, title: &str, start: &str, end: &str, kind: &str| {
        // Events are the partnership's own; the sample's weeks in these dates come from rules
        // or from fixed days whose source was checked.
        let confirmed =
            kind == "event" || !matches!(id, "anti-bullying-week" | "safeguarding-adults-week");
        // Each row's `source` is the one its `[[when]]` entry records.
        let source = match id {
            "islamophobia-awareness-month" => {
                Some("https://www.islamophobia-awareness.org/ (every November since 2012)")
            }
            "anti-bullying-week" => Some(
                "Anti-Bullying Alliance: every week from 2014 to 2025 started on the Monday between 10 and 16 November",
            ),
            "safeguarding-adults-week" => Some(
                "Ann Craft Trust: Monday to Friday from the third Monday of November since 2023 (the rule; 2025-2027 not yet checked)",
            ),
            "sixteen-days-of-action" => Some(
                "https://www.unwomen.org/en/what-we-do/ending-violence-against-women/take-action/16-days-of-activism",
            ),
            "white-ribbon-day" => Some(
                "https://www.whiteribbon.org.uk/ (White Ribbon Day is 25 November, the UN International Day for the Elimination of Violence against Women)",
            ),
            _ => None,
        };
        serde_json::json!({"campaign": id, "title": title, "start": start, "end": end, "kind": kind, "confirmed": confirmed, "source": source})
    };
    let expected = serde_json::Value::Array(vec![
        row(
            "islamophobia-awareness-month",
            "Islamophobia Awareness Month",
            "2026-11-01",
            "2026-11-30",
            "campaign",
        ),
        row(
            "anti-bullying-week",
            "Anti-Bullying Week",
            "2026-11-16",
            "2026-11-20",
            "campaign",
        ),
        row(
            "safeguarding-adults-week",
            "Safeguarding Adults Week",
            "2026-11-16",
            "2026-11-20",
            "campaign",
        ),
        row(
            "sixteen-days-of-action",
            "16 Days of Action against gender-based violence",
            "2026-11-25",
            "2026-12-10",
            "campaign",
        ),
        row(
            "white-ribbon-day",
            "White Ribbon Day",
            "2026-11-25",
            "2026-11-25",
            "campaign",
        ),
        row(
            "threshold-of-need-training",
            "Support and Safeguarding in Salford: threshold of need training",
            "2026-12-03",
            "2026-12-03",
            "event",
        ),
        row(
            "professional-curiosity-briefing",
            "Professional curiosity: spotlight briefing",
            "2026-12-09",
            "2026-12-09",
            "event",
        ),
    ]);
    assert_eq!(got, expected);
    // Exactly those keys: serde_json's Value equality already compares whole objects.
}

#[test]
fn table_is_for_people() {
    let (stdout, stderr, code) = run_calendar(&["--from", "2026-11-16", "--to", "2026-12-31"]);
    assert_eq!(code, Some(0), "{stderr}");
    for line in [
        "Mon 16 Nov – Thu 31 Dec 2026 (Europe/London)",
        "Mon 16 – Fri 20 Nov 2026",
        "Wed 25 Nov – Thu 10 Dec 2026",
        "Thu 3 Dec 2026, 09:30–12:30",
        "Wed 9 Dec 2026, 10:00–11:30",
        "Sun 20 Dec 2026 – Tue 5 Jan 2027",
        "Always on, rotated into issues: ICON: Babies cry, you can cope (icon, every 3rd issue).",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
    let curiosity = stdout
        .lines()
        .find(|l| l.contains("professional-curiosity-briefing"))
        .expect("row");
    assert!(
        curiosity.starts_with("Wed 9 Dec 2026, 10:00–11:30  "),
        "{curiosity}"
    );
}

#[test]
fn empty_range_and_bad_range() {
    let (stdout, _, code) = run_calendar(&["--from", "2026-07-01", "--to", "2026-08-31"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.starts_with("Nothing on Wed 1 Jul – Mon 31 Aug 2026.\n"),
        "{stdout}"
    );
    let (stdout, _, code) = run_calendar(&[
        "--format",
        "json",
        "--from",
        "2026-07-01",
        "--to",
        "2026-08-31",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout.trim(), "[]");
    let (_, stderr, code) = run_calendar(&["--from", "2026-12-01", "--to", "2026-11-30"]);
    assert_eq!(code, Some(2), "a usage error");
    assert!(
        stderr.contains("--to 2026-11-30 is before --from 2026-12-01"),
        "{stderr}"
    );
}

// ---- What `check` learns from expansion ----

/// `check`'s lines for a minimal tree with these campaign files added.
fn check_with(files: &[(&str, &str)]) -> Vec<String> {
    let tree = Tree::minimal();
    for (name, text) in files {
        tree.write(&format!("campaigns/{name}.toml"), text);
    }
    tree.diagnostics()
}

const HEAD: &str = "title = \"T\"\nsummary = \"S\"\n";

#[test]
fn the_sample_tree_has_no_calendar_problems() {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/bulletin.toml");
    let loaded = bulletin::load::load(&config, &Env::empty(), support::now());
    let calendar_lines: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| {
            d.path
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .is_ok_and(|p| p.starts_with("campaigns"))
        })
        .map(ToString::to_string)
        .collect();
    assert!(calendar_lines.is_empty(), "{calendar_lines:#?}");
}

#[test]
fn a_stray_dates_entry_that_overlaps_the_rule() {
    let lines = check_with(&[(
        "hols",
        &format!(
            "{HEAD}[[when]]\nyearly = {{ from = \"12-20\", to = \"01-05\" }}\n[[when]]\ndates = {{ from = 2025-01-02, to = 2025-01-08 }}\n"
        ),
    )]);
    assert_eq!(
        lines,
        [
            "campaigns/hols.toml:6:9: error: this campaign overlaps itself: this `dates` entry (Thu 2 – Wed 8 Jan 2025) \
             overlaps the `yearly` rule on line 4 (Fri 20 Dec 2024 – Sun 5 Jan 2025)\n  \
             hint: a `dates` entry replaces a rule's occurrence only when both start in the same year; if this entry \
             moves the 2024 occurrence, make it start in 2024, otherwise remove it"
        ]
    );
}

#[test]
fn two_rules_on_the_same_days_every_year() {
    let lines = check_with(&[(
        "nov",
        &format!(
            "{HEAD}[[when]]\nyearly = {{ from = \"11-01\", to = \"11-30\" }}\n[[when]]\nnth_weekday = {{ month = 11, weekday = \"mon\", nth = 3, days = 5 }}\n"
        ),
    )]);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].starts_with(
            "campaigns/nov.toml:6:15: error: this campaign overlaps itself: this `nth_weekday` rule (Mon 20 – Fri 24 Nov 2000) \
             overlaps the `yearly` rule on line 4 (Wed 1 – Thu 30 Nov 2000) (and 100 more times up to 2100)"
        ),
        "{}",
        lines[0]
    );
}

#[test]
fn overlapping_sessions_of_an_event() {
    let lines = check_with(&[(
        "sessions",
        &format!(
            "{HEAD}[[when]]\nat = 2026-12-03T09:30:00\nminutes = 180\n[[when]]\nat = 2026-12-03T12:00:00\n\
             [[when]]\nat = 2026-12-03T13:00:00\n"
        ),
    )]);
    assert_eq!(
        lines,
        [
            "campaigns/sessions.toml:7:6: error: this campaign overlaps itself: this event (Thu 3 Dec 2026, 12:00–13:00) \
             overlaps the event on line 4 (Thu 3 Dec 2026, 09:30–12:30)\n  \
             hint: two sessions overlap in time: check their `at` and `minutes`"
        ]
    );
}

#[test]
fn an_event_in_the_spring_forward_gap_is_an_error() {
    let lines = check_with(&[(
        "gap",
        &format!("{HEAD}[[when]]\nat = 2027-03-28T01:30:00\n"),
    )]);
    assert_eq!(
        lines,
        [
            "campaigns/gap.toml:4:6: error: 01:30 on Sun 28 Mar 2027 does not exist in Europe/London: the clocks go \
             forward from 01:00 to 02:00 that night\n  \
             hint: choose a time outside 01:00–02:00; as written it would start at 02:00 BST"
        ]
    );
}

#[test]
fn an_event_in_the_repeated_hour_is_a_warning() {
    let lines = check_with(&[(
        "twice",
        &format!("{HEAD}[[when]]\nat = 2026-10-25T01:30:00\nminutes = 20\n"),
    )]);
    assert_eq!(
        lines,
        [
            "campaigns/twice.toml:4:6: warning: 01:30 on Sun 25 Oct 2026 happens twice in Europe/London (the clocks \
             go back that night); it is read as the first, 01:30 BST\n  \
             hint: to avoid doubt, choose a time outside the repeated hour (it is also 01:30 GMT)"
        ]
    );
}

#[test]
fn an_event_past_midnight_is_a_warning() {
    let lines = check_with(&[
        (
            "late",
            &format!("{HEAD}[[when]]\nat = 2026-12-09T22:00:00\nminutes = 180\n"),
        ),
        (
            "to-midnight",
            &format!(
                "{}[[when]]\nat = 2026-12-09T22:00:00\nminutes = 120\n",
                HEAD.replace("title = \"T\"", "title = \"U\"")
            ),
        ),
    ]);
    assert_eq!(
        lines,
        [
            "campaigns/late.toml:4:6: warning: this event starts on Wed 9 Dec 2026 and ends on another day (Wed 9 Dec \
             2026, 22:00 – Thu 10 Dec 2026, 01:00, 180 minutes later)\n  \
             hint: check `at` and `minutes`; for something that runs over several days use dates = { from = …, to = … }"
        ]
    );
}

#[test]
fn an_entry_in_a_skipped_year_never_appears() {
    let lines = check_with(&[(
        "skip",
        &format!(
            "{HEAD}except_years = [2026]\n[[when]]\ndates = {{ from = 2026-05-01, to = 2026-05-02 }}\n"
        ),
    )]);
    assert_eq!(
        lines,
        [
            "campaigns/skip.toml:5:9: warning: this `dates` entry is in 2026, which `except_years` skips, so it never appears\n  \
             hint: remove 2026 from `except_years`, or remove this entry"
        ]
    );
}

#[test]
fn a_dates_entry_in_the_rules_year_replaces_it_without_complaint() {
    let lines = check_with(&[(
        "moved",
        &format!(
            "{HEAD}[[when]]\nnth_weekday = {{ month = 11, weekday = \"mon\", nth = 3, days = 5 }}\n\
             [[when]]\ndates = {{ from = 2024-11-11, to = 2024-11-15 }}\n\
             [[when]]\nat = 2024-11-18T10:00:00\n"
        ),
    )]);
    assert!(lines.is_empty(), "{lines:#?}");
}
