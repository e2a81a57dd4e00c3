//! Properties of expansion over random campaigns (every rule kind, overrides, skipped years):
//! occurrences are well formed, ranges compose at any seam, and nth weekdays land where asked.
//!
//! Seam semantics: expanding `[a, b]` and `[b, c]` returns everything overlapping either half,
//! so an occurrence that overlaps `b` (or straddles it) appears in both. The union of the
//! halves, de-duplicated by an occurrence's identity (campaign, start, and for an event its
//! start time — what its ICS UID is made of), must equal the expansion of `[a, c]`, and no one
//! expansion ever holds the same occurrence twice.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bulletin::calendar::{Calendar, Occurrence};
use bulletin::config::doc::At;
use bulletin::config::{Campaign, MonthDay, Nth, Rule};
use bulletin::diag::Position;
use bulletin::ids::CampaignId;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use chrono_tz::Europe::London;
use proptest::prelude::*;

fn campaign(n: usize, rules: Vec<Rule>, except_years: Vec<i32>) -> Campaign {
    Campaign {
        id: CampaignId::parse(&format!("c{n}")).expect("id"),
        title: format!("Campaign {}", n % 3),
        summary: String::new(),
        url: None,
        themes: Vec::new(),
        event: Default::default(),
        years: Vec::new(),
        rules: rules
            .into_iter()
            .map(|r| At::new(r, Position::START))
            .collect(),
        when_info: Vec::new(),
        except_years,
        evergreen: None,
        announce: None,
        path: PathBuf::from(format!("campaigns/c{n}.toml")),
    }
}

fn month_day() -> impl Strategy<Value = MonthDay> {
    (1..=12u32, 1..=31u32).prop_filter_map("a day of the year", |(month, day)| {
        NaiveDate::from_ymd_opt(2000, month, day).map(|_| MonthDay { month, day })
    })
}

fn date(years: std::ops::RangeInclusive<i32>) -> impl Strategy<Value = NaiveDate> {
    (years, 1..=366u32).prop_filter_map("a date", |(y, ordinal)| NaiveDate::from_yo_opt(y, ordinal))
}

fn weekday() -> impl Strategy<Value = Weekday> {
    (0..7u8).prop_map(|n| Weekday::try_from(n).expect("0..7"))
}

fn nth() -> impl Strategy<Value = Nth> {
    prop_oneof![(1..=5u8).prop_map(Nth::Number), Just(Nth::Last)]
}

fn rule() -> impl Strategy<Value = Rule> {
    prop_oneof![
        (month_day(), month_day()).prop_map(|(from, to)| Rule::Yearly { from, to }),
        (1..=12u32, weekday(), nth(), 1..=40u32).prop_map(|(month, weekday, nth, days)| {
            Rule::NthWeekday {
                month,
                weekday,
                nth,
                days,
            }
        }),
        (date(2016..=2034), 0..40u64).prop_map(|(from, len)| Rule::Dates {
            from,
            to: from.checked_add_days(Days::new(len)).expect("in range"),
        }),
        (
            date(2016..=2034),
            0..24u32,
            prop_oneof![Just(0u32), Just(30), Just(45)],
            1..=3000u32
        )
            .prop_map(|(day, hour, minute, minutes)| Rule::Event {
                at: NaiveDateTime::new(
                    day,
                    NaiveTime::from_hms_opt(hour, minute, 0).expect("time")
                ),
                minutes,
            }),
    ]
}

fn campaigns() -> impl Strategy<Value = Vec<Campaign>> {
    prop::collection::vec(
        (
            prop::collection::vec(rule(), 1..5),
            prop::collection::vec(2016..=2034i32, 0..3),
        ),
        1..8,
    )
    .prop_map(|cs| {
        cs.into_iter()
            .enumerate()
            .map(|(n, (rules, except))| campaign(n, rules, except))
            .collect()
    })
}

type Identity = (String, NaiveDate, Option<String>);

fn identity(o: &Occurrence) -> Identity {
    (
        o.campaign.to_string(),
        o.start,
        o.event.map(|e| e.start.to_rfc3339()),
    )
}

/// The occurrences by identity; fails if one appears twice.
fn by_identity(
    occurrences: &[Occurrence],
) -> Result<BTreeMap<Identity, Occurrence>, TestCaseError> {
    let mut map = BTreeMap::new();
    for o in occurrences {
        prop_assert!(
            map.insert(identity(o), o.clone()).is_none(),
            "twice in one expansion: {o:?}"
        );
    }
    Ok(map)
}

/// Three ordered dates a ≤ b ≤ c.
fn three_dates() -> impl Strategy<Value = (NaiveDate, NaiveDate, NaiveDate)> {
    (date(2014..=2036), date(2014..=2036), date(2014..=2036)).prop_map(|(x, y, z)| {
        let mut v = [x, y, z];
        v.sort();
        (v[0], v[1], v[2])
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn occurrences_are_well_formed(cs in campaigns(), (a, _, c) in three_dates()) {
        let cal = Calendar::new(&cs, London);
        let all = cal.between(a, c);
        by_identity(&all)?;
        for o in &all {
            prop_assert!(o.start <= o.end, "{o:?}");
            prop_assert!(o.overlaps(a, c), "{o:?} is outside {a}..{c}");
            if let Some(e) = o.event {
                prop_assert!(e.start < e.end);
                prop_assert_eq!(o.start, e.start.date_naive());
            }
        }
        prop_assert!(all.windows(2).all(|w| (w[0].start, &w[0].title) <= (w[1].start, &w[1].title)));
    }

    #[test]
    fn ranges_compose_at_any_seam(cs in campaigns(), (a, b, c) in three_dates()) {
        let cal = Calendar::new(&cs, London);
        let left = by_identity(&cal.between(a, b))?;
        let right = by_identity(&cal.between(b, c))?;
        let whole = by_identity(&cal.between(a, c))?;
        // What overlaps the seam day is in both halves, and it is the same occurrence.
        for (k, o) in &left {
            if o.is_on(b) {
                prop_assert_eq!(right.get(k), Some(o));
            }
        }
        let mut union = left;
        union.extend(right);
        prop_assert_eq!(union, whole);
    }

    #[test]
    fn on_and_starting_within_agree_with_between(cs in campaigns(), day in date(2015..=2035), days in 0..60u32) {
        let cal = Calendar::new(&cs, London);
        let on = cal.on(day);
        prop_assert!(on.iter().all(|o| o.is_on(day)));
        prop_assert_eq!(&on, &cal.between(day, day));
        let soon = cal.starting_within(day, days);
        let last = day.checked_add_days(Days::new(u64::from(days))).expect("in range");
        prop_assert!(soon.iter().all(|o| o.start > day && o.start <= last));
        let expected: Vec<Occurrence> =
            cal.between(day, last).into_iter().filter(|o| o.start > day).collect();
        prop_assert_eq!(soon, expected);
    }

    #[test]
    fn nth_weekdays_land_on_that_weekday_of_that_month(
        month in 1..=12u32, wd in weekday(), n in nth(), days in 1..=10u32
    ) {
        let cs = vec![campaign(0, vec![Rule::NthWeekday { month, weekday: wd, nth: n, days }], vec![])];
        let cal = Calendar::new(&cs, London);
        let from = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
        let to = NaiveDate::from_ymd_opt(2099, 12, 31).expect("date");
        // Those starting in 2000..=2099 (a December one from 1999 may reach into the range).
        let all: Vec<Occurrence> = cal.between(from, to).into_iter().filter(|o| o.start >= from).collect();
        let mut years = Vec::new();
        for o in &all {
            prop_assert_eq!(o.start.weekday(), wd);
            prop_assert_eq!(o.start.month(), month);
            prop_assert_eq!(o.days(), i64::from(days));
            let week = (o.start.day() - 1) / 7 + 1;
            let month_days = o.start.with_day(1).and_then(|f| f.checked_add_months(chrono::Months::new(1)))
                .map(|next| (next - o.start).num_days()).expect("next month");
            match n {
                Nth::Number(k) => prop_assert_eq!(week, u32::from(k)),
                // The last: no same weekday later in the month.
                Nth::Last => prop_assert!(month_days <= 7),
            }
            years.push(o.start.year());
        }
        // One a year; missing only when the month has no such (5th) weekday.
        years.dedup();
        prop_assert_eq!(years.len(), all.len());
        let expected = match n {
            Nth::Number(1..=4) | Nth::Last => 100,
            _ => (2000..=2099)
                .filter(|&y| NaiveDate::from_weekday_of_month_opt(y, month, wd, 5).is_some())
                .count(),
        };
        prop_assert_eq!(all.len(), expected);
    }

    #[test]
    fn yearly_ranges_across_the_year_end_survive_every_seam(
        from in month_day(), to in month_day(), seam in date(2016..=2034)
    ) {
        prop_assume!(to < from);
        let cs = vec![campaign(0, vec![Rule::Yearly { from, to }], vec![])];
        let cal = Calendar::new(&cs, London);
        let a = NaiveDate::from_ymd_opt(2015, 1, 1).expect("date");
        let c = NaiveDate::from_ymd_opt(2035, 12, 31).expect("date");
        let left = cal.between(a, seam);
        let right = cal.between(seam, c);
        // Every year's occurrence (starting in 2015..=2035, so it overlaps [a, c]) is found in
        // one half or the other; the one spanning the seam in both.
        for year in 2015..=2035 {
            let start = bulletin::calendar::month_day_in(from, year).expect("date");
            let found = |v: &[Occurrence]| v.iter().any(|o| o.start == start);
            prop_assert!(found(&left) || found(&right), "{year} lost at seam {seam}");
            let o = left.iter().chain(&right).find(|o| o.start == start).expect("found");
            prop_assert_eq!(o.start.year() + 1, o.end.year());
            if o.is_on(seam) {
                prop_assert!(found(&left) && found(&right));
            }
        }
    }
}
