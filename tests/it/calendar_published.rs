//! The sample calendar against the weeks the organisers published: Anti-Bullying Week (the
//! Anti-Bullying Alliance) and ICON Week (iconcope.org and the partnerships that carried its
//! press pack), 2020 to 2027. A year with a published week must come out as that week, marked
//! confirmed, with the publication recorded as its `source`; a year not yet published comes
//! from the rule and is marked unconfirmed; a year before the week existed has none. Then the
//! `weekday_on_or_after` rule's properties, and `calendar` marking unconfirmed years.

use crate::support;

use bulletin::calendar::{Calendar, Occurrence, weekday_on_or_after};
use bulletin::config::{Project, Rule};
use chrono::{Datelike, NaiveDate, Weekday};
use proptest::prelude::*;
use support::day as d;
use support::{Tree, bulletin, succeed};

/// What is known of one year of a national week.
enum Year {
    /// Published by the organiser: first and last day, and where.
    Published(&'static str, &'static str, &'static str),
    /// Not announced (or no announcement found): the usual week, from the rule.
    Expected(&'static str, &'static str),
    /// The week did not exist yet.
    None,
}

use Year::{Expected, Published};

const ABW: [(i32, Year); 8] = [
    (
        2020,
        Published(
            "2020-11-16",
            "2020-11-20",
            "https://www.anti-bullyingalliance.org.uk/anti-bullying-week/anti-bullying-week-2020-united-against-bullying",
        ),
    ),
    (
        2021,
        Published(
            "2021-11-15",
            "2021-11-19",
            "https://archive.anti-bullyingalliance.org.uk/anti-bullying-week/anti-bullying-week-2021-one-kind-word",
        ),
    ),
    (
        2022,
        Published(
            "2022-11-14",
            "2022-11-18",
            "https://anti-bullyingalliance.org.uk/aba-our-work/news-opinion/reach-out-and-stop-bullying",
        ),
    ),
    (
        2023,
        Published(
            "2023-11-13",
            "2023-11-17",
            "https://www.ncb.org.uk/about-us/media-centre/news-opinion/lets-make-noise-about-bullying-anti-bullying-week",
        ),
    ),
    (
        2024,
        Published(
            "2024-11-11",
            "2024-11-15",
            "https://www.bbc.co.uk/newsround/articles/c8jypwr70djo",
        ),
    ),
    (
        2025,
        Published(
            "2025-11-10",
            "2025-11-14",
            "https://www.ncb.org.uk/aba-our-work/news-opinion/anti-bullying-week-2025-launches-power-good-theme-and-support-host-stars",
        ),
    ),
    // The Monday between 10 and 16 November, as in every year since 2014.
    (2026, Expected("2026-11-16", "2026-11-20")),
    (2027, Expected("2027-11-15", "2027-11-19")),
];

const ICON_WEEK: [(i32, Year); 8] = [
    // "The UK's first ever ICON week" was in 2022.
    (2020, Year::None),
    (2021, Year::None),
    (
        2022,
        Published(
            "2022-09-26",
            "2022-09-30",
            "https://www.knowsleyscp.org.uk/professionals/icon-week-26-30-september-2022/ (ICON's national press pack)",
        ),
    ),
    // No announcement of 2023's dates was found: the 4th week of September, as in 2022-2025.
    (2023, Expected("2023-09-25", "2023-09-29")),
    (
        2024,
        Published(
            "2024-09-23",
            "2024-09-27",
            "https://warringtonsafeguardingpartnerships.org.uk/p/events-publicity/icon-week-2024",
        ),
    ),
    (
        2025,
        Published(
            "2025-09-22",
            "2025-09-26",
            "https://iconcope.org/news/20250922-icon-week-2025-supporting-parents-protecting-babies",
        ),
    ),
    (2026, Expected("2026-09-28", "2026-10-02")),
    (2027, Expected("2027-09-27", "2027-10-01")),
];

fn sample() -> Project {
    Tree::sample().load().project.expect("the sample loads")
}

/// The campaign's occurrences that start in `year`.
fn in_year(project: &Project, id: &str, year: i32) -> Vec<Occurrence> {
    let cal = Calendar::new(&project.campaigns, project.settings.organisation.time_zone);
    let (from, to) = (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap(),
    );
    cal.between(from, to)
        .into_iter()
        .filter(|o| o.campaign.as_str() == id && o.start.year() == year)
        .collect()
}

fn bars(id: &str, years: &[(i32, Year)]) {
    let project = sample();
    let mut failures = Vec::new();
    for (year, want) in years {
        let got = in_year(&project, id, *year);
        let bar: Vec<(String, String, bool)> = got
            .iter()
            .map(|o| (o.start.to_string(), o.end.to_string(), o.confirmed))
            .collect();
        match want {
            Published(from, to, source) => {
                if bar != [(from.to_string(), to.to_string(), true)] {
                    failures.push(format!(
                        "{year}: published {from} to {to} (confirmed), the calendar has {bar:?}"
                    ));
                }
                if got.first().and_then(|o| o.source.as_deref()) != Some(*source) {
                    failures.push(format!(
                        "{year}: the source should be {source}, found {:?}",
                        got.first().map(|o| &o.source)
                    ));
                }
            }
            Expected(from, to) => {
                if bar != [(from.to_string(), to.to_string(), false)] {
                    failures.push(format!(
                        "{year}: expected {from} to {to} from the rule (unconfirmed), the calendar has {bar:?}"
                    ));
                }
            }
            Year::None => {
                if !bar.is_empty() {
                    failures.push(format!(
                        "{year}: no such week yet, the calendar has {bar:?}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{id}:\n{}", failures.join("\n"));
}

#[test]
fn anti_bullying_week_2020_to_2027_is_the_published_week() {
    bars("anti-bullying-week", &ABW);
}

#[test]
fn icon_week_2020_to_2027_is_the_published_week() {
    bars("icon-week", &ICON_WEEK);
}

#[test]
fn the_rule_alone_gives_every_published_week() {
    // Without the per-year entries, the rule still lands on each published week: the entries
    // record confirmation, they do not correct the rule.
    let project = sample();
    for (id, years) in [("anti-bullying-week", &ABW), ("icon-week", &ICON_WEEK)] {
        let c = project.campaign(id).expect("campaign");
        let recurring: Vec<&Rule> = c
            .rules
            .iter()
            .map(|r| &r.value)
            .filter(|r| r.is_recurring())
            .collect();
        assert_eq!(recurring.len(), 1, "{id}: one rule");
        for (year, want) in years.iter() {
            let (Published(from, to, _) | Expected(from, to)) = want else {
                continue;
            };
            let start = match recurring[0] {
                Rule::WeekdayOnOrAfter {
                    month,
                    day,
                    weekday,
                    ..
                } => weekday_on_or_after(*year, *month, *day, *weekday),
                Rule::NthWeekday {
                    month,
                    weekday,
                    nth,
                    ..
                } => bulletin::calendar::nth_weekday(*year, *month, *weekday, *nth),
                other => panic!("{id}: unexpected rule {other:?}"),
            };
            assert_eq!(start, Some(d(from)), "{id} {year}");
            let days = (d(to) - d(from)).num_days() + 1;
            assert_eq!(days, 5, "{id} {year}: Monday to Friday");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The first `weekday` on or after a month-day: that weekday, never before the day, at
    /// most six days after it; for Anti-Bullying Week always a Monday from 10 to 16 November.
    #[test]
    fn weekday_on_or_after_lands_in_the_week_that_follows(
        year in 1950..=2150i32,
        month in 1..=12u32,
        day in 1..=31u32,
        wd in 0..7u8,
    ) {
        let weekday = Weekday::try_from(wd).unwrap();
        let Some(from) = NaiveDate::from_ymd_opt(year, month, day) else {
            return Ok(());
        };
        let got = weekday_on_or_after(year, month, day, weekday).expect("always exists");
        prop_assert_eq!(got.weekday(), weekday);
        prop_assert!(got >= from);
        prop_assert!((got - from).num_days() <= 6);
        let abw = weekday_on_or_after(year, 11, 10, Weekday::Mon).unwrap();
        prop_assert_eq!(abw.weekday(), Weekday::Mon);
        prop_assert_eq!(abw.month(), 11);
        prop_assert!((10..=16).contains(&abw.day()));
    }

    /// 29 February is read as the 28th in other years, like `yearly`.
    #[test]
    fn a_leap_day_start_exists_every_year(year in 1950..=2150i32, wd in 0..7u8) {
        let weekday = Weekday::try_from(wd).unwrap();
        let got = weekday_on_or_after(year, 2, 29, weekday).expect("exists");
        let from = NaiveDate::from_ymd_opt(year, 2, 29)
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 2, 28).unwrap());
        prop_assert!(got >= from && (got - from).num_days() <= 6);
    }
}

fn calendar(args: &[&str]) -> String {
    let tree = Tree::sample();
    succeed(bulletin(tree.root()).arg("calendar").args(args))
}

#[test]
fn calendar_marks_the_years_nobody_has_confirmed() {
    let table = calendar(&["--from", "2025-11-01", "--to", "2026-11-30"]);
    let row = |start: &str| {
        table
            .lines()
            .find(|l| l.starts_with(start) && l.contains("anti-bullying-week"))
            .unwrap_or_else(|| panic!("no row {start}\n{table}"))
            .to_string()
    };
    assert!(!row("Mon 10 – Fri 14 Nov 2025").contains("unconfirmed"));
    assert!(
        row("Mon 16 – Fri 20 Nov 2026")
            .trim_end()
            .ends_with("unconfirmed"),
        "{table}"
    );
    assert!(table.contains("unconfirmed: the campaign's rule worked these dates out"));

    let json: serde_json::Value = serde_json::from_str(&calendar(&[
        "--format",
        "json",
        "--from",
        "2025-11-01",
        "--to",
        "2026-11-30",
    ]))
    .unwrap();
    let abw: Vec<(&str, bool, Option<&str>)> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["campaign"] == "anti-bullying-week")
        .map(|r| {
            (
                r["start"].as_str().unwrap(),
                r["confirmed"].as_bool().unwrap(),
                r["source"].as_str(),
            )
        })
        .collect();
    assert_eq!(abw.len(), 2, "{abw:?}");
    assert_eq!((abw[0].0, abw[0].1), ("2025-11-10", true));
    assert!(abw[0].2.is_some_and(|s| s.contains("ncb.org.uk")));
    assert_eq!((abw[1].0, abw[1].1), ("2026-11-16", false));

    let ics = calendar(&[
        "--format",
        "ics",
        "--from",
        "2025-11-01",
        "--to",
        "2026-11-30",
    ]);
    let status_of = |uid: &str| {
        let at = ics.find(uid).unwrap_or_else(|| panic!("{uid}\n{ics}"));
        let rest = &ics[at..];
        let end = rest.find("END:VEVENT").unwrap();
        rest[..end]
            .lines()
            .find_map(|l| l.strip_prefix("STATUS:"))
            .map(str::to_string)
    };
    assert_eq!(
        status_of("anti-bullying-week-2025-11-10@").as_deref(),
        Some("CONFIRMED")
    );
    assert_eq!(
        status_of("anti-bullying-week-2026-11-16@").as_deref(),
        Some("TENTATIVE")
    );
}

#[test]
fn the_sample_calendar_covers_every_month_of_the_year() {
    // A partnership's calendar has something in every month: awareness days and weeks from
    // February to December, and the training programme between them.
    let project = sample();
    let cal = Calendar::new(&project.campaigns, project.settings.organisation.time_zone);
    let mut empty = Vec::new();
    for month in 1..=12u32 {
        let first = NaiveDate::from_ymd_opt(2027, month, 1).unwrap();
        let last = first
            .checked_add_months(chrono::Months::new(1))
            .unwrap()
            .pred_opt()
            .unwrap();
        if cal.between(first, last).is_empty() {
            empty.push(first.format("%B").to_string());
        }
    }
    assert!(empty.is_empty(), "nothing on in 2027 in {empty:?}");
    // Every confirmed entry records where its dates were published.
    for c in &project.campaigns {
        for (rule, info) in c.rules.iter().zip(&c.when_info) {
            assert!(
                info.confirmed.is_none() || info.source.is_some(),
                "{}: the entry at line {} is confirmed but has no source",
                c.id,
                rule.pos.line
            );
        }
    }
}
