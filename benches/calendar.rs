//! How long expanding the calendar takes: 500 synthetic campaigns of every rule kind (yearly,
//! across the year end, nth weekday with moved years, one-off dates, events) over 10 years.
//! Plain `std::time::Instant` timing, median of several runs.
//!
//! Run: `cargo bench --bench calendar`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bulletin::calendar::{Calendar, lint};
use bulletin::config::doc::At;
use bulletin::config::{Campaign, MonthDay, Nth, Rule};
use bulletin::diag::Position;
use bulletin::ids::CampaignId;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use chrono_tz::Europe::London;

const CAMPAIGNS: usize = 500;
const RUNS: usize = 21;

/// A small deterministic generator (no `rand` dependency for one benchmark).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % u64::from(below)) as u32
    }
}

fn date(year: i32, ordinal: u32) -> NaiveDate {
    NaiveDate::from_yo_opt(year, ordinal.clamp(1, 365)).expect("a day of the year")
}

fn month_day(r: &mut Lcg) -> MonthDay {
    MonthDay {
        month: 1 + r.next(12),
        day: 1 + r.next(28),
    }
}

fn synthetic(n: usize) -> Vec<Campaign> {
    let mut r = Lcg(2026);
    (0..n)
        .map(|i| {
            let mut rules = Vec::new();
            match i % 5 {
                0 => {
                    let from = month_day(&mut r);
                    rules.push(Rule::Yearly {
                        from,
                        to: MonthDay {
                            month: from.month,
                            day: 28,
                        },
                    });
                }
                1 => rules.push(Rule::Yearly {
                    from: MonthDay {
                        month: 12,
                        day: 10 + r.next(15),
                    },
                    to: MonthDay {
                        month: 1,
                        day: 1 + r.next(10),
                    },
                }),
                2 | 3 => {
                    let month = 1 + r.next(12);
                    rules.push(Rule::NthWeekday {
                        month,
                        weekday: Weekday::try_from(r.next(7) as u8).expect("0..7"),
                        nth: if r.next(4) == 0 {
                            Nth::Last
                        } else {
                            Nth::Number(1 + r.next(4) as u8)
                        },
                        days: 1 + r.next(7),
                    });
                    // Two moved years.
                    for _ in 0..2 {
                        let from =
                            date(2025 + r.next(10) as i32, 1 + (month - 1) * 30 + r.next(20));
                        rules.push(Rule::Dates {
                            from,
                            to: from + Days::new(u64::from(r.next(6))),
                        });
                    }
                }
                _ => {
                    // A programme of events and a one-off week.
                    for _ in 0..4 {
                        let day = date(2025 + r.next(10) as i32, 1 + r.next(365));
                        let time = NaiveTime::from_hms_opt(9 + r.next(8), 30 * r.next(2), 0)
                            .expect("time");
                        rules.push(Rule::Event {
                            at: NaiveDateTime::new(day, time),
                            minutes: 60 + 30 * r.next(5),
                        });
                    }
                    let from = date(2025 + r.next(10) as i32, 1 + r.next(350));
                    rules.push(Rule::Dates {
                        from,
                        to: from + Days::new(4),
                    });
                }
            }
            let except_years = if i % 7 == 0 { vec![2030] } else { Vec::new() };
            Campaign {
                id: CampaignId::parse(&format!("campaign-{i}")).expect("id"),
                title: format!("Campaign {i}"),
                summary: "About it.".into(),
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
                path: PathBuf::from(format!("campaigns/campaign-{i}.toml")),
            }
        })
        .collect()
}

/// Run `f` RUNS times (after one warm-up); the median, fastest and slowest.
fn time<T>(mut f: impl FnMut() -> T) -> (Duration, Duration, Duration) {
    black_box(f());
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[RUNS / 2], times[0], times[RUNS - 1])
}

fn report(what: &str, (median, min, max): (Duration, Duration, Duration)) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: median {:.3} ms (min {:.3}, max {:.3}; {RUNS} runs)",
        ms(median),
        ms(min),
        ms(max)
    );
}

fn main() {
    let campaigns = synthetic(CAMPAIGNS);
    let from = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    let to = NaiveDate::from_ymd_opt(2034, 12, 31).expect("date");
    let count = Calendar::new(&campaigns, London).between(from, to).len();
    println!("{CAMPAIGNS} synthetic campaigns, {from} to {to}: {count} occurrences");

    report(
        "expand 10 years (Calendar::new + between)",
        time(|| Calendar::new(&campaigns, London).between(from, to)),
    );

    // What the issue builder asks once per issue: on the day, and starting within 45 days,
    // for each month of the ten years.
    let cal = Calendar::new(&campaigns, London);
    report(
        "120 monthly issues (on + starting_within 45)",
        time(|| {
            let mut n = 0;
            let mut day = from;
            while day <= to {
                n += cal.on(day).len() + cal.starting_within(day, 45).len();
                day = day
                    .with_day(1)
                    .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
                    .expect("date");
            }
            n
        }),
    );

    report(
        "check's calendar lint (2000-2100)",
        time(|| lint(&campaigns, London).len()),
    );

    // Hostile campaign summaries as /calendar.ics turns them into text (each was quadratic:
    // 200,000 `[` took 14.5 s); doubling the input should about double the time.
    for (what, unit) in [("[", "["), ("<", "<"), ("a* ", "a* "), ("[a](", "[a](")] {
        for n in [100_000, 200_000] {
            let md = unit.repeat(n / unit.len());
            report(
                &format!("summary of {n} chars of {what:?} to calendar text"),
                time(|| bulletin::calendar::ics::markdown_to_plain(&md).len()),
            );
        }
    }
}
