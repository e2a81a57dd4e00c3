//! When things fire. The partnership writes its schedules in UK time; twice a year the clocks
//! change and a schedule must still fire once, at a time a person would expect:
//!
//! - a wall-clock time that does not exist (the spring-forward gap, 01:00–02:00 on the last
//!   Sunday of March) fires once, at the first instant after the gap (02:00 BST);
//! - a wall-clock time that happens twice (01:00–02:00 on the last Sunday of October) fires
//!   once, at the first (BST).
//!
//! Then: a bulletin has at most one issue a day, so `check` refuses a schedule that fires more
//! often; the daemon's jobs (issues, proofs, campaign announcements) fire where the files say;
//! and `bulletin schedule` lists them.

use crate::support;
use support::day as d;

use bulletin::schedule::{CronSchedule, Job, fires_between, fires_in, next_fire, upcoming};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Europe::London;
use chrono_tz::Tz;
use proptest::prelude::*;

fn cron(expr: &str) -> CronSchedule {
    CronSchedule::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

/// The fires of `expr` in London in `(after, until]`, as UTC instants ("2026-03-29T01:00Z").
fn fires_utc(expr: &str, after: &str, until: &str) -> Vec<String> {
    fires_between(&cron(expr), London, utc(after), utc(until))
        .iter()
        .map(|t| t.with_timezone(&Utc).format("%Y-%m-%dT%H:%MZ").to_string())
        .collect()
}

/// The fires of `expr` in London in `(after, until]`, as local times with their offsets.
fn fires_local(expr: &str, after: &str, until: &str) -> Vec<String> {
    fires_between(&cron(expr), London, utc(after), utc(until))
        .iter()
        .map(|t| t.to_rfc3339())
        .collect()
}

// --- Spring forward: Sunday 29 March 2026 and Sunday 28 March 2027, 01:00 GMT → 02:00 BST ---

#[test]
fn daily_0130_fires_once_at_0200_bst_when_the_clocks_go_forward() {
    assert_eq!(
        fires_utc("30 1 * * *", "2026-03-27T12:00:00Z", "2026-03-30T12:00:00Z"),
        [
            "2026-03-28T01:30Z", // 01:30 GMT
            "2026-03-29T01:00Z", // 01:30 does not exist: 02:00 BST, the end of the gap
            "2026-03-30T00:30Z", // 01:30 BST
        ]
    );
    assert_eq!(
        fires_utc("30 1 * * *", "2027-03-26T12:00:00Z", "2027-03-29T12:00:00Z"),
        [
            "2027-03-27T01:30Z",
            "2027-03-28T01:00Z",
            "2027-03-29T00:30Z"
        ]
    );
}

#[test]
fn daily_0100_and_0159_in_the_gap_fire_at_0200_bst_and_0200_fires_as_itself() {
    for (expr, spring_2026, spring_2027) in [
        ("0 1 * * *", "2026-03-29T01:00Z", "2027-03-28T01:00Z"),
        ("59 1 * * *", "2026-03-29T01:00Z", "2027-03-28T01:00Z"),
        // 02:00 BST exists: it is the first instant after the gap.
        ("0 2 * * *", "2026-03-29T01:00Z", "2027-03-28T01:00Z"),
    ] {
        assert_eq!(
            fires_utc(expr, "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"),
            [spring_2026],
            "{expr}"
        );
        assert_eq!(
            fires_utc(expr, "2027-03-27T12:00:00Z", "2027-03-28T12:00:00Z"),
            [spring_2027],
            "{expr}"
        );
    }
}

#[test]
fn every_quarter_hour_of_the_missing_hour_is_one_fire_at_0200_bst() {
    // 01:00, 01:15, 01:30 and 01:45 do not exist on the spring day: all four are the one
    // instant the clocks jump, which fires once. (croner alone skips all of them.)
    assert_eq!(
        fires_utc(
            "*/15 1 * * *",
            "2026-03-28T12:00:00Z",
            "2026-03-29T12:00:00Z"
        ),
        ["2026-03-29T01:00Z"]
    );
    assert_eq!(
        fires_utc(
            "*/15 1 * * *",
            "2027-03-27T12:00:00Z",
            "2027-03-28T12:00:00Z"
        ),
        ["2027-03-28T01:00Z"]
    );
    // The day before, an ordinary day: four fires.
    assert_eq!(
        fires_utc(
            "*/15 1 * * *",
            "2026-03-27T12:00:00Z",
            "2026-03-28T12:00:00Z"
        ),
        [
            "2026-03-28T01:00Z",
            "2026-03-28T01:15Z",
            "2026-03-28T01:30Z",
            "2026-03-28T01:45Z"
        ]
    );
}

#[test]
fn a_gap_fire_and_the_real_0200_fire_are_one_fire() {
    assert_eq!(
        fires_local(
            "*/30 1-2 * * *",
            "2026-03-28T23:00:00Z",
            "2026-03-29T02:00:00Z"
        ),
        ["2026-03-29T02:00:00+01:00", "2026-03-29T02:30:00+01:00"]
    );
}

// --- Fall back: Sunday 25 October 2026 and Sunday 31 October 2027, 02:00 BST → 01:00 GMT ---

#[test]
fn daily_0130_fires_once_at_the_first_0130_when_the_clocks_go_back() {
    assert_eq!(
        fires_utc("30 1 * * *", "2026-10-23T12:00:00Z", "2026-10-26T12:00:00Z"),
        [
            "2026-10-24T00:30Z", // 01:30 BST
            "2026-10-25T00:30Z", // the first 01:30 (BST), not the second (01:30 GMT)
            "2026-10-26T01:30Z", // 01:30 GMT
        ]
    );
    assert_eq!(
        fires_utc("30 1 * * *", "2027-10-29T12:00:00Z", "2027-11-01T12:00:00Z"),
        [
            "2027-10-30T00:30Z",
            "2027-10-31T00:30Z",
            "2027-11-01T01:30Z"
        ]
    );
}

#[test]
fn daily_0100_0159_and_0200_when_the_clocks_go_back() {
    for (expr, autumn_2026, autumn_2027) in [
        ("0 1 * * *", "2026-10-25T00:00Z", "2027-10-31T00:00Z"),
        ("59 1 * * *", "2026-10-25T00:59Z", "2027-10-31T00:59Z"),
        // 02:00 happens once, in GMT, after the repeated hour.
        ("0 2 * * *", "2026-10-25T02:00Z", "2027-10-31T02:00Z"),
    ] {
        assert_eq!(
            fires_utc(expr, "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z"),
            [autumn_2026],
            "{expr}"
        );
        assert_eq!(
            fires_utc(expr, "2027-10-30T12:00:00Z", "2027-10-31T12:00:00Z"),
            [autumn_2027],
            "{expr}"
        );
    }
}

#[test]
fn every_quarter_hour_of_the_repeated_hour_fires_once_each_in_bst() {
    let bst_only = [
        "2026-10-25T01:00:00+01:00",
        "2026-10-25T01:15:00+01:00",
        "2026-10-25T01:30:00+01:00",
        "2026-10-25T01:45:00+01:00",
    ];
    assert_eq!(
        fires_local(
            "*/15 1 * * *",
            "2026-10-24T12:00:00Z",
            "2026-10-25T12:00:00Z"
        ),
        bst_only
    );
    assert_eq!(
        fires_utc(
            "*/15 1 * * *",
            "2027-10-30T12:00:00Z",
            "2027-10-31T12:00:00Z"
        ),
        [
            "2027-10-31T00:00Z",
            "2027-10-31T00:15Z",
            "2027-10-31T00:30Z",
            "2027-10-31T00:45Z"
        ]
    );
}

#[test]
fn asking_from_inside_the_repeated_hour_does_not_fire_the_second_0130() {
    // At 01:45 BST the 01:30 fire has happened; at 01:15 GMT (after the clocks went back) the
    // coming 01:30 GMT is the second 01:30 of the day, which does not fire.
    for after in ["2026-10-25T00:45:00Z", "2026-10-25T01:15:00Z"] {
        assert_eq!(
            next_fire(&cron("30 1 * * *"), London, utc(after)).map(|t| t.to_rfc3339()),
            Some("2026-10-26T01:30:00+00:00".into()),
            "after {after}"
        );
    }
    // Just before the first 01:30: it fires.
    assert_eq!(
        next_fire(&cron("30 1 * * *"), London, utc("2026-10-25T00:29:59Z")).map(|t| t.to_rfc3339()),
        Some("2026-10-25T01:30:00+01:00".into())
    );
}

#[test]
fn previous_fire_follows_the_same_policy() {
    let s = cron("30 1 * * *");
    let at = |u: &str| London.from_utc_datetime(&utc(u).naive_utc());
    // From 01:15 GMT on the autumn day, the last fire is 01:30 BST 45 minutes ago.
    assert_eq!(
        s.prev_before(&at("2026-10-25T01:15:00Z"))
            .map(|t| t.to_rfc3339()),
        Some("2026-10-25T01:30:00+01:00".into())
    );
    // From noon on the spring day, the last fire is the gap's 02:00 BST.
    assert_eq!(
        s.prev_before(&at("2026-03-29T12:00:00Z"))
            .map(|t| t.to_rfc3339()),
        Some("2026-03-29T02:00:00+01:00".into())
    );
    assert_eq!(
        s.next_after(&at("2026-03-28T12:00:00Z"))
            .map(|t| t.to_rfc3339()),
        Some("2026-03-29T02:00:00+01:00".into())
    );
}

#[test]
fn a_daily_0130_fires_on_every_day_of_2026_and_2027_exactly_once() {
    for expr in [
        "30 1 * * *",
        "0 1 * * *",
        "0 2 * * *",
        "59 1 * * *",
        "0 0 * * *",
    ] {
        let fires = fires_between(
            &cron(expr),
            London,
            utc("2025-12-31T12:00:00Z"),
            utc("2027-12-31T12:00:00Z"),
        );
        let days: Vec<NaiveDate> = fires.iter().map(|t| t.date_naive()).collect();
        let expected: Vec<NaiveDate> = NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .iter_days()
            .take(730)
            .collect();
        assert_eq!(days, expected, "{expr}");
    }
}

// --- Weekly and monthly: 09:00 local stays 09:00 local; the UTC offset changes ---

#[test]
fn weekly_on_monday_at_0900_stays_at_0900_uk_time_across_the_changes() {
    assert_eq!(
        fires_local("0 9 * * 1", "2026-03-20T00:00:00Z", "2026-04-07T00:00:00Z"),
        [
            "2026-03-23T09:00:00+00:00",
            "2026-03-30T09:00:00+01:00",
            "2026-04-06T09:00:00+01:00"
        ]
    );
    assert_eq!(
        fires_utc("0 9 * * 1", "2026-10-17T00:00:00Z", "2026-11-03T00:00:00Z"),
        [
            "2026-10-19T08:00Z",
            "2026-10-26T09:00Z",
            "2026-11-02T09:00Z"
        ]
    );
    assert_eq!(
        fires_utc("0 9 * * 1", "2027-03-21T00:00:00Z", "2027-04-06T00:00:00Z"),
        [
            "2027-03-22T09:00Z",
            "2027-03-29T08:00Z",
            "2027-04-05T08:00Z"
        ]
    );
    assert_eq!(
        fires_utc("0 9 * * 1", "2027-10-24T00:00:00Z", "2027-11-09T00:00:00Z"),
        [
            "2027-10-25T08:00Z",
            "2027-11-01T09:00Z",
            "2027-11-08T09:00Z"
        ]
    );
}

#[test]
fn monthly_on_the_first_at_0900_through_2026_and_2027() {
    let fires = fires_between(
        &cron("0 9 1 * *"),
        London,
        utc("2026-01-01T00:00:00Z"),
        utc("2027-12-31T00:00:00Z"),
    );
    assert_eq!(fires.len(), 24);
    for t in &fires {
        assert_eq!((t.day(), t.hour(), t.minute()), (1, 9, 0), "{t}");
        // BST from April to October, GMT otherwise.
        let summer = (4..=10).contains(&t.month());
        let offset = t.with_timezone(&Utc).hour();
        assert_eq!(offset, if summer { 8 } else { 9 }, "{t}");
    }
    assert_eq!(fires[2].to_rfc3339(), "2026-03-01T09:00:00+00:00");
    assert_eq!(fires[3].to_rfc3339(), "2026-04-01T09:00:00+01:00");
    assert_eq!(fires[10].to_rfc3339(), "2026-11-01T09:00:00+00:00");
}

// --- Any split of a range gives the same fires ---

/// Random daily, weekly and monthly schedules, often at the hours the clocks change, and
/// a quarter-hourly one in a single hour (several fires in one gap).
fn schedule() -> impl Strategy<Value = String> {
    let hour = prop_oneof![0u32..4, 0u32..24];
    let minute = prop_oneof![Just(0u32), Just(30), Just(59), 0u32..60];
    (hour, minute, 0u32..5, 0u32..7, 1u32..29).prop_map(|(h, m, kind, dow, dom)| match kind {
        0 | 1 => format!("{m} {h} * * *"),
        2 => format!("{m} {h} * * {dow}"),
        3 => format!("{m} {h} {dom} * *"),
        _ => format!("*/15 {h} * * *"),
    })
}

/// The UK clock changes of 2025–2028, as UTC instants (01:00Z each).
fn changes() -> Vec<DateTime<Utc>> {
    [
        "2025-03-30",
        "2025-10-26",
        "2026-03-29",
        "2026-10-25",
        "2027-03-28",
        "2027-10-31",
        "2028-03-26",
        "2028-10-29",
    ]
    .iter()
    .map(|d| utc(&format!("{d}T01:00:00Z")))
    .collect()
}

/// An instant in 2025–2028: anywhere, or within two hours of a clock change.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let start = utc("2025-01-01T00:00:00Z").timestamp();
    let end = utc("2029-01-01T00:00:00Z").timestamp();
    prop_oneof![
        (start..end).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap()),
        (0usize..8, -120i64..120).prop_map(|(i, m)| changes()[i] + Duration::minutes(m)),
    ]
}

fn sorted_three() -> impl Strategy<Value = (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>)> {
    // Keep ranges to at most about a year so each case stays quick.
    (instant(), instant(), instant()).prop_map(|(x, y, z)| {
        let mut v = [x, y, z];
        v.sort();
        let cap = Duration::days(400);
        let a = v[0].max(v[2] - cap);
        (a, v[1].max(a), v[2])
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn fires_compose_at_any_seam(expr in schedule(), (a, b, c) in sorted_three()) {
        let s = cron(&expr);
        let left = fires_between(&s, London, a, b);
        let right = fires_between(&s, London, b, c);
        let whole = fires_between(&s, London, a, c);
        let joined: Vec<DateTime<Tz>> = left.iter().chain(&right).copied().collect();
        prop_assert_eq!(&joined, &whole, "{} over ({}, {}] + ({}, {}]", expr, a, b, b, c);
        prop_assert!(whole.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        prop_assert!(whole.iter().all(|t| a < *t && *t <= c));
        // next_fire agrees with the first of the range.
        let next = next_fire(&s, London, a);
        prop_assert!(whole.first().is_none_or(|f| next == Some(*f)));
        if !s.fires_more_than_once_a_day() {
            // One wall-clock time a day: at most one fire a day, at that time or the end
            // of the gap that swallowed it.
            prop_assert!(whole.windows(2).all(|w| w[0].date_naive() < w[1].date_naive()));
        }
    }
}

// --- At most one issue per bulletin per day ---

fn tree_with_schedule(expr: &str) -> support::Tree {
    let tree = support::Tree::minimal();
    tree.write(
        "config/bulletin.toml",
        &support::BULLETIN_TOML.replace(
            "schedule = \"0 9 1 * *\"",
            &format!("schedule = \"{expr}\""),
        ),
    );
    tree
}

#[test]
fn check_refuses_a_bulletin_schedule_that_fires_more_than_once_a_day() {
    for expr in [
        "*/30 9 * * *",
        "0 9,17 * * *",
        "0 9-10 * * *",
        "*/10 0 9 * * *",
    ] {
        let tree = tree_with_schedule(expr);
        assert_eq!(
            tree.diagnostics(),
            [
                "config/bulletin.toml:14:12: error: `schedule` fires more than once a day; \
                 a bulletin has at most one issue per day\n  hint: e.g. \"0 9 * * 1\" for \
                 09:00 every Monday"
            ],
            "{expr}"
        );
        assert!(tree.load().project.is_none(), "{expr}");
    }
}

#[test]
fn check_accepts_one_time_a_day_on_some_days() {
    for expr in ["0 9 * * 1-5", "30 0 9 1 * *", "0 9 1 * *", "0 1 * * *"] {
        let tree = tree_with_schedule(expr);
        let errors: Vec<String> = tree
            .diagnostics()
            .into_iter()
            .filter(|d| d.contains(": error: "))
            .collect();
        assert!(errors.is_empty(), "{expr}: {errors:?}");
        assert!(tree.load().project.is_some(), "{expr}");
    }
}

// --- The daemon's jobs for the sample project ---

fn names(fires: &[(Job, DateTime<Tz>, Option<NaiveDate>)]) -> Vec<(String, String, String)> {
    fires
        .iter()
        .map(|(job, at, date)| {
            (
                job.to_string(),
                at.to_rfc3339(),
                date.map(|d| d.to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn the_sample_projects_jobs_from_23_november_2026() {
    let tree = support::Tree::sample();
    let project = tree.load().project.expect("the sample project loads");
    let fires = upcoming(&project, utc("2026-11-23T12:00:00Z"), 2);
    assert!(fires.windows(2).all(|w| w[0].1 <= w[1].1), "sorted by time");
    let of = |job: &str| -> Vec<(String, String)> {
        names(&fires)
            .into_iter()
            .filter(|(j, _, _)| j == job)
            .map(|(_, at, date)| (at, date))
            .collect()
    };
    // The monthly bulletin: 09:00 on the 1st, or the next working day (1 January 2027 is a
    // bank holiday).
    assert_eq!(
        of("bulletin:sscp-news"),
        [
            ("2026-12-01T09:00:00+00:00".into(), "2026-12-01".into()),
            ("2027-01-04T09:00:00+00:00".into(), "2027-01-04".into()),
        ]
    );
    // Its proof to the editors two days before, at the same time, for the same issue, on the
    // working day before when that is a weekend (Sun 29 Nov, Sat 2 Jan; Fri 1 Jan is a bank
    // holiday).
    assert_eq!(
        of("proof:sscp-news"),
        [
            ("2026-11-27T09:00:00+00:00".into(), "2026-12-01".into()),
            ("2026-12-31T09:00:00+00:00".into(), "2027-01-04".into()),
        ]
    );
    // 16 Days of Action starts on 25 November and is announced 7 days before at 09:00: the
    // 2026 announcement (18 November) has gone, so the next is 18 November 2027; in 2028
    // the 18th is a Saturday, so it goes on Monday the 20th.
    assert_eq!(
        of("announce:sixteen-days-of-action"),
        [
            ("2027-11-18T09:00:00+00:00".into(), "2027-11-25".into()),
            ("2028-11-20T09:00:00+00:00".into(), "2028-11-25".into()),
        ]
    );
    // Safeguarding Adults Week, from the 3rd Monday of November, a week ahead.
    assert_eq!(
        of("announce:safeguarding-adults-week"),
        [
            ("2027-11-08T09:00:00+00:00".into(), "2027-11-15".into()),
            ("2028-11-13T09:00:00+00:00".into(), "2028-11-20".into()),
        ]
    );
    // The quarterly parents' bulletin: the issue of 1 January 2027 goes on Monday the 4th (New
    // Year's Day is a bank holiday), its proof two days before, on Thursday 31 December.
    assert_eq!(
        of("bulletin:parents-news"),
        [
            ("2027-01-04T10:00:00+00:00".into(), "2027-01-04".into()),
            ("2027-04-01T10:00:00+01:00".into(), "2027-04-01".into()),
        ]
    );
    assert_eq!(fires.len(), 8 + PARENTS_FIRES, "{:#?}", names(&fires));
}

#[test]
fn an_announcement_a_week_before_25_november_at_0900() {
    let tree = support::Tree::sample();
    let project = tree.load().project.expect("the sample project loads");
    let fires = upcoming(&project, utc("2026-11-01T00:00:00Z"), 1);
    let sixteen = fires
        .iter()
        .find(|(job, _, _)| job.to_string() == "announce:sixteen-days-of-action")
        .expect("announced");
    assert_eq!(sixteen.1.to_rfc3339(), "2026-11-18T09:00:00+00:00");
    assert_eq!(sixteen.2, Some(d("2026-11-25")));
    // Just after it went, the next is a year on.
    let later = upcoming(&project, utc("2026-11-18T09:00:00Z"), 1);
    let sixteen = later
        .iter()
        .find(|(job, _, _)| job.to_string() == "announce:sixteen-days-of-action")
        .expect("announced");
    assert_eq!(sixteen.2, Some(d("2027-11-25")));
}

#[test]
fn a_proof_already_due_is_not_listed_but_its_issue_is() {
    let tree = support::Tree::sample();
    let project = tree.load().project.expect("the sample project loads");
    // 30 November: the proof for 1 December went yesterday; the issue is tomorrow.
    let fires = upcoming(&project, utc("2026-11-30T12:00:00Z"), 1);
    let rows = names(&fires);
    assert!(rows.contains(&(
        "bulletin:sscp-news".into(),
        "2026-12-01T09:00:00+00:00".into(),
        "2026-12-01".into()
    )));
    assert!(rows.contains(&(
        "proof:sscp-news".into(),
        "2026-12-31T09:00:00+00:00".into(),
        "2027-01-04".into()
    )));
}

#[test]
fn no_proof_job_without_proof_days_before() {
    let tree = support::Tree::minimal();
    let project = tree.load().project.expect("loads");
    let fires = upcoming(&project, support::now(), 3);
    assert_eq!(
        names(&fires),
        [
            (
                "bulletin:news".into(),
                "2026-12-01T09:00:00+00:00".into(),
                "2026-12-01".into()
            ),
            (
                "bulletin:news".into(),
                "2027-01-01T09:00:00+00:00".into(),
                "2027-01-01".into()
            ),
            (
                "bulletin:news".into(),
                "2027-02-01T09:00:00+00:00".into(),
                "2027-02-01".into()
            ),
        ]
    );
}

#[test]
fn every_job_fire_in_november_2026() {
    let tree = support::Tree::sample();
    let project = tree.load().project.expect("the sample project loads");
    let november = fires_in(
        &project,
        utc("2026-11-01T00:00:00Z") - Duration::seconds(1),
        utc("2026-12-01T00:00:00Z") - Duration::seconds(1),
    );
    assert_eq!(
        names(&november),
        [
            // Sunday 1 November: the issue goes on Monday the 2nd.
            (
                "bulletin:sscp-news".into(),
                "2026-11-02T09:00:00+00:00".into(),
                "2026-11-02".into()
            ),
            (
                "announce:safeguarding-adults-week".into(),
                "2026-11-09T09:00:00+00:00".into(),
                "2026-11-16".into()
            ),
            (
                "announce:sixteen-days-of-action".into(),
                "2026-11-18T09:00:00+00:00".into(),
                "2026-11-25".into()
            ),
            (
                "proof:sscp-news".into(),
                "2026-11-27T09:00:00+00:00".into(),
                "2026-12-01".into()
            ),
        ]
    );
}

#[test]
fn job_fires_month_by_month_are_the_fires_of_the_two_years() {
    let tree = support::Tree::sample();
    let project = tree.load().project.expect("the sample project loads");
    let months: Vec<DateTime<Utc>> = (0..=24)
        .map(|m| {
            let d = NaiveDate::from_ymd_opt(2026 + m / 12, (m % 12) as u32 + 1, 1).unwrap();
            London
                .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
                .unwrap()
                .with_timezone(&Utc)
        })
        .collect();
    let by_month: Vec<_> = months
        .windows(2)
        .flat_map(|w| fires_in(&project, w[0], w[1]))
        .collect();
    let whole = fires_in(&project, months[0], months[24]);
    assert_eq!(names(&by_month), names(&whole));
    // 24 issues; 24 proofs, for 1 Feb 2026 to 1 Jan 2028 (1 Jan 2026's went on 30 Dec 2025);
    // two announcements a year.
    // And the parents' bulletin: 8 quarterly issues and 8 proofs in the window.
    assert_eq!(whole.len(), 24 + 24 + 4 + 8 + 8, "{:#?}", names(&whole));
    // The same as `upcoming`, cut at the end of the range.
    let mut ahead = upcoming(&project, months[0], 30);
    ahead.retain(|f| f.1 <= months[24]);
    assert_eq!(names(&ahead), names(&whole));
}

#[test]
fn job_names_round_trip() {
    for name in [
        "bulletin:sscp-news",
        "proof:sscp-news",
        "announce:sixteen-days-of-action",
    ] {
        let job: Job = name.parse().expect(name);
        assert_eq!(job.to_string(), name);
    }
    for bad in ["sscp-news", "issue:sscp-news", "bulletin:", "proof:Bad_Id"] {
        assert!(bad.parse::<Job>().is_err(), "{bad}");
    }
}

// --- `bulletin schedule` ---

#[test]
fn schedule_json_lists_each_jobs_next_fires_sorted_by_time() {
    let tree = support::Tree::sample();
    let out = support::succeed(
        support::bulletin(tree.root()).args(["schedule", "--count", "2", "--format", "json"]),
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    let rows = json.as_array().expect("an array");
    let mut times = Vec::new();
    let mut per_job = std::collections::BTreeMap::<String, usize>::new();
    for row in rows {
        let obj = row.as_object().expect("an object");
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort();
        // A fire moved off a weekend or bank holiday also says from where and why.
        if keys.len() == 2 {
            assert_eq!(keys, ["at", "job"], "{row}");
        } else {
            assert_eq!(keys, ["at", "job", "moved_from", "reason"], "{row}");
        }
        let job = obj["job"].as_str().expect("job is a string");
        let at = obj["at"].as_str().expect("at is a string");
        let t = DateTime::parse_from_rfc3339(at).expect("RFC 3339");
        // The offset is London's on that day.
        assert_eq!(
            t.offset().local_minus_utc(),
            London
                .from_utc_datetime(&t.naive_utc())
                .offset()
                .fix()
                .local_minus_utc(),
            "{at}"
        );
        times.push(t);
        *per_job.entry(job.to_string()).or_default() += 1;
    }
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "sorted by at");
    assert_eq!(
        per_job.into_iter().collect::<Vec<_>>(),
        [
            ("announce:safeguarding-adults-week".to_string(), 2),
            ("announce:sixteen-days-of-action".to_string(), 2),
            ("bulletin:parents-news".to_string(), 2),
            ("bulletin:sscp-news".to_string(), 2),
            ("proof:parents-news".to_string(), 2),
            ("proof:sscp-news".to_string(), 2),
        ]
    );
}

#[test]
fn schedule_table_for_people() {
    let tree = support::Tree::sample();
    let project = tree.load().project.expect("the sample project loads");
    let table = bulletin::cli::schedule::table(
        &bulletin::schedule::jobs::upcoming_planned(&project, support::now(), 1),
        &Default::default(),
        &[],
        London,
        &project.working_days,
    );
    assert_eq!(
        table,
        "\
JOB                                WHEN (Europe/London)       FOR                  NOTE
proof:sscp-news                    Fri 27 Nov 2026 09:00 GMT  issue of 1 Dec 2026
bulletin:sscp-news                 Tue 1 Dec 2026 09:00 GMT   issue of 1 Dec 2026
proof:parents-news                 Thu 31 Dec 2026 10:00 GMT  issue of 4 Jan 2027
bulletin:parents-news              Mon 4 Jan 2027 10:00 GMT   issue of 4 Jan 2027  2027-01-01 moved to 2027-01-04: bank holiday (New Year’s Day)
announce:safeguarding-adults-week  Mon 8 Nov 2027 09:00 GMT   starts 15 Nov 2027
announce:sixteen-days-of-action    Thu 18 Nov 2027 09:00 GMT  starts 25 Nov 2027
"
    );
    // The command prints the same layout for the real "now".
    let out = support::bulletin(tree.root())
        .args(["schedule", "--count", "1"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let header = text.lines().next().expect("a header");
    assert!(header.starts_with("JOB "), "{header}");
    assert!(header.contains("  WHEN (Europe/London)  "), "{header}");
    assert!(
        header.ends_with("  FOR") || (header.contains("  FOR  ") && header.ends_with("  NOTE")),
        "{header}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("bulletin:sscp-news ") && l.contains(" 09:00 ")),
        "{text}"
    );
}

/// `bulletin schedule` with no options shows the next twelve months of issues, not five: a
/// monthly bulletin lists twelve issues, a weekly one a year of them; `--months` and `--count`
/// still narrow it.
#[test]
fn schedule_shows_the_next_twelve_months_by_default() {
    let rows_of = |tree: &support::Tree, extra: &[&str]| -> Vec<String> {
        let mut args = vec!["schedule", "--format", "json", "--from", "2027-01-02"];
        args.extend_from_slice(extra);
        let out = support::succeed(support::bulletin(tree.root()).args(&args));
        let json: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
        json.as_array()
            .expect("an array")
            .iter()
            .filter(|r| r["job"] == "bulletin:news")
            .map(|r| r["at"].as_str().unwrap().to_string())
            .collect()
    };
    let monthly = support::Tree::minimal();
    let issues = rows_of(&monthly, &[]);
    assert_eq!(issues.len(), 12, "{issues:?}");
    assert!(issues[0].starts_with("2027-02-01"), "{issues:?}");
    assert!(issues[11].starts_with("2028-01-01"), "{issues:?}");
    assert_eq!(rows_of(&monthly, &["--months", "3"]).len(), 3);
    assert_eq!(rows_of(&monthly, &["--count", "2"]).len(), 2);

    let weekly = support::Tree::minimal();
    weekly.schedule("0 9 * * 1");
    let issues = rows_of(&weekly, &[]);
    assert!(
        (52..=53).contains(&issues.len()),
        "{}: {issues:?}",
        issues.len()
    );
}

/// The fires of the sample's quarterly parents' bulletin in the window of
/// `the_sample_projects_jobs_from_23_november_2026`: two issues and their two proofs.
const PARENTS_FIRES: usize = 4;
