//! Sends that respect the working week: `on_non_working_day = "next" | "previous" | "send"` on
//! a bulletin or an announcement, with the bank holidays of England and Wales. The sample never
//! sends on a weekend or bank holiday; a moved fire is never on one, "next" never goes earlier
//! and "previous" never later; `schedule` and `check` show each move; the daemon sends the
//! moved issue on its new day and not on the old one; and the compiled-in bank holidays agree
//! with the rules that set them (worked out here independently, Easter included).

use crate::support;

use std::collections::BTreeSet;

use bulletin::schedule::CronSchedule;
use bulletin::schedule::issues::placed_fires_after;
use bulletin::schedule::workdays::{NonWorkingDay, WorkingDays, shift};
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::London;
use proptest::prelude::*;
use support::day as d;
use support::{Tree, bulletin, succeed};

/// The bank holidays from the data file, read with nothing but serde_json.
fn holidays_from_file() -> BTreeSet<NaiveDate> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("holidays/bank-holidays.json"),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["england-and-wales"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| d(e["date"].as_str().unwrap()))
        .collect()
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

#[test]
fn the_sample_never_sends_on_a_weekend_or_bank_holiday_in_2027_and_2028() {
    let tree = Tree::sample();
    let out = succeed(bulletin(tree.root()).args([
        "schedule",
        "--from",
        "2027-01-01",
        "--count",
        "40",
        "--format",
        "json",
    ]));
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let holidays = holidays_from_file();
    let mut issues = 0;
    let mut bad = Vec::new();
    for r in rows.as_array().unwrap() {
        let at = DateTime::parse_from_rfc3339(r["at"].as_str().unwrap()).unwrap();
        let day = at.with_timezone(&London).date_naive();
        if day.year() > 2028 {
            continue;
        }
        assert!(day.year() == 2027 || day.year() == 2028, "{r}");
        if r["job"] == "bulletin:sscp-news" {
            issues += 1;
        }
        if is_weekend(day) || holidays.contains(&day) {
            bad.push(format!("{} on {} ({})", r["job"], day, day.weekday()));
        }
    }
    assert_eq!(issues, 24, "one issue a month");
    assert!(
        bad.is_empty(),
        "sent on a non-working day:\n{}",
        bad.join("\n")
    );
}

fn minimal_with(bulletin_extra: &str, schedule: &str) -> Tree {
    let t = Tree::minimal();
    t.schedule_with(schedule, bulletin_extra);
    t
}

#[test]
fn schedule_and_check_show_the_moved_date() {
    // Every Monday at 09:00; 3 May 2027 is the Early May bank holiday.
    let t = minimal_with("on_non_working_day = \"next\"", "0 9 * * 1");
    let out = bulletin(t.root())
        .args(["schedule", "--from", "2027-05-01", "--count", "2"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let first = table.lines().nth(1).expect("a row");
    assert!(first.starts_with("bulletin:news"), "{table}");
    assert!(first.contains("Tue 4 May 2027 09:00 BST"), "{table}");
    assert!(
        first.ends_with("2027-05-03 moved to 2027-05-04: bank holiday (Early May bank holiday)"),
        "{table}"
    );
    assert!(
        table.lines().nth(2).unwrap().contains("Mon 10 May 2027"),
        "{table}"
    );

    let out = bulletin(t.root())
        .args([
            "schedule",
            "--from",
            "2027-05-01",
            "--count",
            "1",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["at"], "2027-05-04T09:00:00+01:00");
    assert_eq!(rows[0]["moved_from"], "2027-05-03");
    assert_eq!(rows[0]["reason"], "bank holiday (Early May bank holiday)");

    // A monthly issue on Saturday 1 May skips the Sunday and the bank holiday Monday too.
    let monthly = minimal_with("on_non_working_day = \"next\"", "0 9 1 * *");
    let out = bulletin(monthly.root())
        .args(["schedule", "--from", "2027-05-01", "--count", "1"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains(
            "2027-05-01 moved to 2027-05-04: Saturday; Mon 3 May: bank holiday (Early May bank holiday)"
        ),
        "{table}"
    );

    // "previous": the Friday before; "send" (the default): on the bank holiday itself.
    for (extra, want) in [
        (
            "on_non_working_day = \"previous\"",
            "2027-04-30T09:00:00+01:00",
        ),
        ("", "2027-05-03T09:00:00+01:00"),
    ] {
        // From Tuesday 27 April, the next fire is the one for Monday 3 May.
        let t = minimal_with(extra, "0 9 * * 1");
        let out = bulletin(t.root())
            .args([
                "schedule",
                "--from",
                "2027-04-27",
                "--count",
                "1",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(rows[0]["at"], want, "{extra:?}");
    }

    // `check` lists the moves of the next twelve months (from now).
    let t = minimal_with("on_non_working_day = \"next\"", "0 9 25 12 *");
    let out = bulletin(t.root()).arg("check").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("moved off weekends and bank holidays in the next 12 months"),
        "{text}"
    );
    assert!(text.contains("bulletin:news  "), "{text}");
    assert!(text.contains("-12-25 moved to "), "{text}");
}

#[test]
fn an_announcement_moves_too() {
    let t = Tree::minimal();
    // Starts Monday 25 Sep 2028; announced 2 days before: Saturday 23rd -> Monday 25th.
    t.write(
        "campaigns/week.toml",
        "title = \"A week\"\nsummary = \"x\"\nannounce = { days_before = 2, lists = [\"all\"], on_non_working_day = \"next\" }\n[[when]]\ndates = { from = 2028-09-25, to = 2028-09-29 }\n",
    );
    let out = bulletin(t.root())
        .args([
            "schedule",
            "--from",
            "2028-09-01",
            "--count",
            "1",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ann = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["job"] == "announce:week")
        .expect("announcement");
    assert_eq!(ann["at"], "2028-09-25T09:00:00+01:00");
    assert_eq!(ann["moved_from"], "2028-09-23");
    assert_eq!(ann["reason"], "Saturday");
}

/// The regular England and Wales bank holidays of `year`, from the rules (Banking and
/// Financial Dealings Act 1971 and royal proclamations): New Year's Day, Good Friday, Easter
/// Monday, the first and last Mondays of May, the last Monday of August, Christmas Day and
/// Boxing Day, with substitute days when they fall at a weekend.
fn regular(year: i32) -> BTreeSet<NaiveDate> {
    let ymd = |m, day| NaiveDate::from_ymd_opt(year, m, day).unwrap();
    let mut out = BTreeSet::new();
    let new_year = ymd(1, 1);
    out.insert(match new_year.weekday() {
        Weekday::Sat => ymd(1, 3),
        Weekday::Sun => ymd(1, 2),
        _ => new_year,
    });
    let easter = easter_sunday(year);
    out.insert(easter - Days::new(2));
    out.insert(easter + Days::new(1));
    let first_monday = |m| NaiveDate::from_weekday_of_month_opt(year, m, Weekday::Mon, 1).unwrap();
    let last_monday = |m: u32| {
        (0..7)
            .map(|back| NaiveDate::from_ymd_opt(year, m + 1, 1).unwrap() - Days::new(1 + back))
            .find(|d| d.weekday() == Weekday::Mon)
            .unwrap()
    };
    out.insert(first_monday(5));
    out.insert(last_monday(5));
    out.insert(last_monday(8));
    let (christmas, boxing) = match ymd(12, 25).weekday() {
        Weekday::Fri => (ymd(12, 25), ymd(12, 28)),
        Weekday::Sat => (ymd(12, 27), ymd(12, 28)),
        Weekday::Sun => (ymd(12, 27), ymd(12, 26)),
        _ => (ymd(12, 25), ymd(12, 26)),
    };
    out.insert(christmas);
    out.insert(boxing);
    out
}

/// Easter Sunday (the anonymous Gregorian algorithm).
fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap()
}

#[test]
fn the_bank_holiday_data_agrees_with_the_rules_2020_to_2028() {
    let file = holidays_from_file();
    let mut want: BTreeSet<NaiveDate> = (2020..=2028).flat_map(regular).collect();
    // Moved and extra days, each proclaimed: the early May holiday moved to VE Day's 75th
    // anniversary (2020); the spring holiday moved to 2 June and the Platinum Jubilee (2022);
    // the State Funeral of Queen Elizabeth II (2022); the coronation of King Charles III (2023).
    want.remove(&d("2020-05-04"));
    want.insert(d("2020-05-08"));
    want.remove(&d("2022-05-30"));
    want.insert(d("2022-06-02"));
    want.insert(d("2022-06-03"));
    want.insert(d("2022-09-19"));
    want.insert(d("2023-05-08"));
    assert_eq!(file, want);
    // And the library reads the same file.
    let lib: BTreeSet<NaiveDate> = WorkingDays::england_and_wales()
        .holidays()
        .map(|(day, _)| day)
        .collect();
    assert_eq!(lib, file);
}

fn holiday_sets() -> impl Strategy<Value = Vec<NaiveDate>> {
    prop::collection::vec(0..(366 * 3u64), 0..40).prop_map(|offsets| {
        offsets
            .into_iter()
            .map(|o| d("2027-01-01") + Days::new(o))
            .collect()
    })
}

fn policy() -> impl Strategy<Value = NonWorkingDay> {
    prop_oneof![
        Just(NonWorkingDay::Next),
        Just(NonWorkingDay::Previous),
        Just(NonWorkingDay::Send)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A moved day is a working day; "next" never moves earlier, "previous" never later,
    /// "send" never moves; a working day never moves.
    #[test]
    fn a_moved_day_is_a_working_day(hols in holiday_sets(), p in policy(), offset in 0..(366 * 3u64)) {
        let days = WorkingDays::with_holidays(hols.into_iter().map(|h| (h, "Holiday".to_string())));
        let day = d("2027-01-01") + Days::new(offset);
        let s = shift(day, p, &days);
        if days.is_working(day) || p == NonWorkingDay::Send {
            prop_assert_eq!(s.date, day);
            prop_assert!(s.moved.is_none());
        } else {
            prop_assert!(days.is_working(s.date), "{} -> {}", day, s.date);
            prop_assert!(s.moved.is_some());
            match p {
                NonWorkingDay::Next => prop_assert!(s.date > day),
                NonWorkingDay::Previous => prop_assert!(s.date < day),
                NonWorkingDay::Send => unreachable!(),
            }
        }
    }

    /// The fires of daily, weekly and monthly schedules once moved: in order, at most one a
    /// day, never on a non-working day (unless "send"), each after `after`, and "next" never
    /// before the fire it replaces.
    #[test]
    fn moved_schedules_stay_in_order_and_off_non_working_days(
        hols in holiday_sets(),
        p in policy(),
        expr in prop_oneof![Just("0 9 * * *"), Just("30 8 * * 6"), Just("0 9 1 * *"), Just("0 1 * * 0"), Just("0 9 28-31 * *")],
        start in 0..(366 * 2u64),
    ) {
        let days = WorkingDays::with_holidays(hols.into_iter().map(|h| (h, "Holiday".to_string())));
        let schedule = CronSchedule::parse(expr).unwrap();
        let after = Utc.from_utc_datetime(&(d("2027-01-01") + Days::new(start)).and_hms_opt(12, 0, 0).unwrap());
        let fires: Vec<_> = placed_fires_after(&schedule, p, London, &days, after).take(40).collect();
        prop_assert!(!fires.is_empty());
        for w in fires.windows(2) {
            prop_assert!(w[0].at < w[1].at);
            prop_assert!(w[0].date() < w[1].date(), "one a day");
        }
        for f in &fires {
            prop_assert!(f.at > after);
            if p != NonWorkingDay::Send {
                prop_assert!(days.is_working(f.date()), "{} is not a working day", f.date());
            }
            if let Some((from, _)) = &f.moved_from {
                prop_assert!(!days.is_working(*from));
                match p {
                    NonWorkingDay::Next => prop_assert!(f.date() > *from),
                    NonWorkingDay::Previous => prop_assert!(f.date() < *from),
                    NonWorkingDay::Send => prop_assert!(false, "send never moves"),
                }
            }
        }
    }
}

#[test]
fn a_moved_issue_is_dated_the_day_it_goes_and_news_is_carried_once() {
    let p = Tree::sample().load().project.expect("the sample loads");
    let b = p.bulletin("sscp-news").unwrap();
    let tz = p.settings.organisation.time_zone;
    // 1 January 2027 is a bank holiday: no issue that day, one on Monday the 4th at 09:00.
    assert_eq!(bulletin::issue::fire_on(b, tz, d("2027-01-01")), None);
    let jan = bulletin::issue::assemble(&p, b, d("2027-01-04"));
    assert_eq!(jan.scheduled.to_rfc3339(), "2027-01-04T09:00:00+00:00");
    assert_eq!(jan.period_start, d("2026-12-02"));
    // February's issue carries the news from the day after the January issue went, so an item
    // published on 2 or 3 January is in January's issue only.
    let feb = bulletin::issue::assemble(&p, b, d("2027-02-01"));
    assert_eq!(feb.period_start, d("2027-01-05"));
    // The always-on rotation counts the moved issue once.
    assert_eq!(
        bulletin::issue::ordinal(b, tz, d("2027-02-01")),
        bulletin::issue::ordinal(b, tz, d("2027-01-04")) + 1
    );
}
