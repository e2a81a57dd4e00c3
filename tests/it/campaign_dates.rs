//! The sample project's campaign dates, read through the real loader and expanded by the real
//! calendar, pinned to the organisers' published dates for 2019–2027: each corrected year with
//! its source and `confirmed`, the years only a rule gives marked unconfirmed; no recurring
//! campaign left to vanish; and `check` naming the campaigns whose coming year nobody confirmed.

use crate::support;

use bulletin::calendar::Calendar;
use bulletin::config::Project;
use support::{Tree, day};

fn sample() -> Project {
    Tree::sample().load().project.expect("the sample loads")
}

/// (campaign, first day, last day, confirmed, a piece of the source when confirmed).
type Pin = (&'static str, &'static str, &'static str, bool, &'static str);

const PINS: &[Pin] = &[
    // Place2Be ran 2021's week from Monday 1 February; the rule (Monday on or after 3 Feb)
    // gave 8-14 Feb.
    (
        "childrens-mental-health-week",
        "2019-02-04",
        "2019-02-10",
        false,
        "",
    ),
    (
        "childrens-mental-health-week",
        "2020-02-03",
        "2020-02-09",
        false,
        "",
    ),
    (
        "childrens-mental-health-week",
        "2021-02-01",
        "2021-02-07",
        true,
        "childrensmentalhealthweek.org.uk/about-the-week",
    ),
    (
        "childrens-mental-health-week",
        "2022-02-07",
        "2022-02-13",
        false,
        "",
    ),
    (
        "childrens-mental-health-week",
        "2023-02-06",
        "2023-02-12",
        false,
        "",
    ),
    (
        "childrens-mental-health-week",
        "2024-02-05",
        "2024-02-11",
        false,
        "",
    ),
    (
        "childrens-mental-health-week",
        "2025-02-03",
        "2025-02-09",
        false,
        "",
    ),
    (
        "childrens-mental-health-week",
        "2026-02-09",
        "2026-02-15",
        true,
        "childrens-mental-health-week-2026",
    ),
    (
        "childrens-mental-health-week",
        "2027-02-08",
        "2027-02-14",
        false,
        "",
    ),
    // The Lullaby Trust: from the second Monday of March (2020: 9-15, not 16-22 March).
    (
        "safer-sleep-week",
        "2019-03-11",
        "2019-03-17",
        true,
        "safer-sleep-week-2019",
    ),
    (
        "safer-sleep-week",
        "2020-03-09",
        "2020-03-15",
        true,
        "lullabytrust.org.uk/about-us/safer-sleep-week-2020",
    ),
    (
        "safer-sleep-week",
        "2021-03-15",
        "2021-03-21",
        true,
        "15-21-march-2021",
    ),
    ("safer-sleep-week", "2022-03-14", "2022-03-20", false, ""),
    (
        "safer-sleep-week",
        "2023-03-13",
        "2023-03-19",
        true,
        "13th-19th-march-2023",
    ),
    ("safer-sleep-week", "2024-03-11", "2024-03-17", false, ""),
    (
        "safer-sleep-week",
        "2025-03-10",
        "2025-03-16",
        true,
        "the-lullaby-trust",
    ),
    ("safer-sleep-week", "2026-03-09", "2026-03-15", false, ""),
    ("safer-sleep-week", "2027-03-08", "2027-03-14", false, ""),
    // The Ann Craft Trust: seven days from 2019 to 2022, Monday to Friday since 2023.
    (
        "safeguarding-adults-week",
        "2019-11-18",
        "2019-11-24",
        true,
        "safeguarding-adults-week-2019",
    ),
    (
        "safeguarding-adults-week",
        "2020-11-16",
        "2020-11-22",
        true,
        "November 2020 news",
    ),
    (
        "safeguarding-adults-week",
        "2021-11-15",
        "2021-11-21",
        true,
        "national-safeguarding-adults-week",
    ),
    (
        "safeguarding-adults-week",
        "2022-11-21",
        "2022-11-27",
        true,
        "safeguarding-adults-week-2022",
    ),
    (
        "safeguarding-adults-week",
        "2023-11-20",
        "2023-11-24",
        true,
        "safeguarding-adults-week-2023",
    ),
    (
        "safeguarding-adults-week",
        "2024-11-18",
        "2024-11-22",
        true,
        "safeguarding-adults-week-2024",
    ),
    (
        "safeguarding-adults-week",
        "2025-11-17",
        "2025-11-21",
        false,
        "",
    ),
    (
        "safeguarding-adults-week",
        "2026-11-16",
        "2026-11-20",
        false,
        "",
    ),
    (
        "safeguarding-adults-week",
        "2027-11-15",
        "2027-11-19",
        false,
        "",
    ),
    // Odd Socks Day: the Tuesday in 2019 (not Monday 11 November) and 2024.
    (
        "odd-socks-day",
        "2019-11-12",
        "2019-11-12",
        true,
        "odd-socks-day-2019",
    ),
    (
        "odd-socks-day",
        "2020-11-16",
        "2020-11-16",
        true,
        "united-against-bullying",
    ),
    (
        "odd-socks-day",
        "2021-11-15",
        "2021-11-15",
        true,
        "odd-socks-day-2021",
    ),
    (
        "odd-socks-day",
        "2022-11-14",
        "2022-11-14",
        true,
        "odd-socks",
    ),
    ("odd-socks-day", "2023-11-13", "2023-11-13", false, ""),
    (
        "odd-socks-day",
        "2024-11-12",
        "2024-11-12",
        true,
        "adoddle.org",
    ),
    (
        "odd-socks-day",
        "2025-11-10",
        "2025-11-10",
        true,
        "anti-bullying-week-2025",
    ),
    ("odd-socks-day", "2026-11-16", "2026-11-16", false, ""),
    ("odd-socks-day", "2027-11-15", "2027-11-15", false, ""),
    // The Suzy Lamplugh Trust's April week: published years, then a placeholder rule from 2026
    // so the week does not vanish.
    (
        "stalking-awareness-week",
        "2019-04-08",
        "2019-04-12",
        true,
        "suzy-lamplugh-trust-stalking-awareness-week",
    ),
    (
        "stalking-awareness-week",
        "2023-04-24",
        "2023-04-28",
        true,
        "suzylamplugh.org",
    ),
    (
        "stalking-awareness-week",
        "2024-04-22",
        "2024-04-26",
        true,
        "suzylamplugh.org",
    ),
    (
        "stalking-awareness-week",
        "2025-04-07",
        "2025-04-11",
        true,
        "suzylamplugh.org",
    ),
    (
        "stalking-awareness-week",
        "2026-04-27",
        "2026-05-01",
        false,
        "",
    ),
    (
        "stalking-awareness-week",
        "2027-04-26",
        "2027-04-30",
        false,
        "",
    ),
];

#[test]
fn corrected_campaign_dates_match_their_sources_from_2019_to_2027() {
    let p = sample();
    let tz = p.settings.organisation.time_zone;
    let all = Calendar::new(&p.campaigns, tz).between(day("2019-01-01"), day("2027-12-31"));
    for campaign in [
        "childrens-mental-health-week",
        "safer-sleep-week",
        "safeguarding-adults-week",
        "odd-socks-day",
        "stalking-awareness-week",
    ] {
        let got: Vec<_> = all
            .iter()
            .filter(|o| o.campaign.as_str() == campaign)
            .collect();
        let want: Vec<_> = PINS.iter().filter(|p| p.0 == campaign).collect();
        assert_eq!(
            got.iter().map(|o| (o.start, o.end)).collect::<Vec<_>>(),
            want.iter()
                .map(|p| (day(p.1), day(p.2)))
                .collect::<Vec<_>>(),
            "{campaign}: every occurrence from 2019 to 2027"
        );
        for (o, (_, from, _, confirmed, source)) in got.iter().zip(want) {
            assert_eq!(o.confirmed, *confirmed, "{campaign} {from}: confirmed");
            if *confirmed {
                let s = o.source.as_deref().unwrap_or("");
                assert!(s.contains(source), "{campaign} {from}: source {s:?}");
            } else {
                // A year nobody checked says where the rule comes from, never a page that
                // would look like a confirmation.
                assert!(
                    o.source.as_deref().is_some_and(|s| !s.is_empty()),
                    "{campaign} {from}: the rule says where it comes from"
                );
            }
        }
    }
}

#[test]
fn the_anti_bullying_week_summary_names_no_weekday_for_odd_socks_day() {
    let p = sample();
    let abw = p.campaign("anti-bullying-week").unwrap();
    assert!(
        !abw.summary.contains("on the Monday"),
        "Odd Socks Day was a Tuesday in 2019 and 2024: {}",
        abw.summary
    );
}

#[test]
fn no_campaign_that_recurs_lacks_a_rule() {
    let p = sample();
    let tz = p.settings.organisation.time_zone;
    let all = Calendar::new(&p.campaigns, tz).between(day("2019-01-01"), day("2027-12-31"));
    for c in &p.campaigns {
        let mut years: Vec<i32> = all
            .iter()
            .filter(|o| o.campaign == c.id)
            .map(|o| chrono::Datelike::year(&o.start))
            .collect();
        years.dedup();
        let recurring = c.evergreen.is_some() || c.rules.iter().any(|r| r.value.is_recurring());
        // Events are the partnership's own sessions, each with its date and time.
        let events = c
            .rules
            .iter()
            .all(|r| matches!(r.value, bulletin::config::Rule::Event { .. }));
        // One year only is a one-off (a training session, a briefing): its dates are its end.
        assert!(
            years.len() <= 1 || recurring || events,
            "{} has dates in {years:?} but no rule, so it would vanish",
            c.id
        );
    }
}

#[test]
fn check_warns_of_campaigns_with_no_confirmed_dates_in_the_coming_year() {
    let p = sample();
    let tz = p.settings.organisation.time_zone;
    let warnings =
        bulletin::calendar::unconfirmed::unconfirmed(&p.campaigns, tz, day("2026-12-05"));
    let text = warnings
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    // Children's Mental Health Week 2027 is only the rule's guess.
    assert!(
        text.contains("`childrens-mental-health-week` has no confirmed dates in the next 12 months: Mon 8 – Sun 14 Feb 2027"),
        "{text}"
    );
    // Events are the partnership's own; an always-on campaign has no dates.
    assert!(!text.contains("`icon`"), "{text}");
    assert!(!text.contains("training-"), "{text}");

    // Confirm the year, and the warning goes.
    let t = Tree::sample();
    let path = t.root().join("campaigns/childrens-mental-health-week.toml");
    let text = std::fs::read_to_string(&path).unwrap()
        + "\n[[when]]\ndates = { from = 2027-02-08, to = 2027-02-14 }\nsource = \"https://www.childrensmentalhealthweek.org.uk/\"\nconfirmed = 2026-12-05\n";
    std::fs::write(&path, text).unwrap();
    let p = t.load().project.expect("loads");
    let after = bulletin::calendar::unconfirmed::unconfirmed(&p.campaigns, tz, day("2026-12-05"));
    assert!(
        !after
            .iter()
            .any(|d| d.to_string().contains("childrens-mental-health-week")),
        "confirmed now"
    );

    // And `check` says it, on the real clock: a rule's week is always within a year.
    let t = Tree::minimal();
    t.write(
        "campaigns/week.toml",
        "title = \"A week\"\nsummary = \"About the week.\"\n[[when]]\nweekday_on_or_after = { month = 6, day = 1, weekday = \"mon\", days = 5 }\n",
    );
    let out = support::run(&t, &["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("campaigns/week.toml:")
            && stdout.contains("warning: `week` has no confirmed dates in the next 12 months"),
        "{stdout}"
    );
}
