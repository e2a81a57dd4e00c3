//! Dates and times for people, in British style: "Mon 18 – Fri 22 Nov 2024",
//! "Wed 9 Dec 2026, 10:00–11:30". Used by the `calendar` table, `check` messages, the
//! campaigns section of an issue and the calendar page, so they all say it the same way.

use chrono::{Datelike, NaiveDate};

use super::{EventTime, Occurrence};

/// "Mon 18 Nov 2024".
pub fn date(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

/// An inclusive range of days, saying the month and year once where they are shared:
/// "Mon 18 – Fri 22 Nov 2024", "Wed 25 Nov – Thu 10 Dec 2026",
/// "Sun 20 Dec 2026 – Tue 5 Jan 2027", or one day, "Wed 25 Nov 2026".
pub fn date_range(start: NaiveDate, end: NaiveDate) -> String {
    if start == end {
        date(start)
    } else if start.year() != end.year() {
        format!("{} – {}", date(start), date(end))
    } else if start.month() != end.month() {
        format!("{} – {}", start.format("%a %-d %b"), date(end))
    } else {
        format!("{} – {}", start.format("%a %-d"), date(end))
    }
}

/// An event's time: "Wed 9 Dec 2026, 10:00–11:30", or with both days when it runs past
/// midnight: "Wed 9 Dec 2026, 22:00 – Thu 10 Dec 2026, 01:00".
pub fn event_time(e: &EventTime) -> String {
    let day = e.start.date_naive();
    if super::last_day(e.start, e.end) == day {
        format!(
            "{}, {}–{}",
            date(day),
            e.start.format("%H:%M"),
            e.end.format("%H:%M")
        )
    } else {
        format!(
            "{}, {} – {}, {}",
            date(day),
            e.start.format("%H:%M"),
            date(e.end.date_naive()),
            e.end.format("%H:%M")
        )
    }
}

/// When an occurrence is on, for people.
pub fn when(o: &Occurrence) -> String {
    match &o.event {
        Some(e) => event_time(e),
        None => date_range(o.start, o.end),
    }
}

/// Several times of one campaign, said once. Sessions of an event at the same time of day share
/// it, and days share their month and year: "Tue 3 and Thu 12 Dec 2026, 10:00–12:00",
/// "Thu 3 Dec 2026 and Thu 14 Jan 2027, 09:30–12:30". Otherwise each time in full, joined by
/// "; ". One occurrence reads as [`when`].
pub fn sessions(os: &[Occurrence]) -> String {
    let events: Vec<&EventTime> = os.iter().filter_map(|o| o.event.as_ref()).collect();
    let same_times = events.len() == os.len()
        && events.iter().all(|e| {
            super::last_day(e.start, e.end) == e.start.date_naive()
                && e.start.time() == events[0].start.time()
                && e.end.time() == events[0].end.time()
        });
    if os.len() < 2 || !same_times {
        return os.iter().map(when).collect::<Vec<_>>().join("; ");
    }
    let days: Vec<NaiveDate> = events.iter().map(|e| e.start.date_naive()).collect();
    let mut parts = Vec::new();
    for (i, d) in days.iter().enumerate() {
        let next = days.get(i + 1);
        let mut s = d.format("%a %-d").to_string();
        if next.is_none_or(|n| (n.year(), n.month()) != (d.year(), d.month())) {
            s.push_str(&d.format(" %b").to_string());
        }
        if next.is_none_or(|n| n.year() != d.year()) {
            s.push_str(&format!(" {}", d.year()));
        }
        parts.push(s);
    }
    let dates = match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => parts.join(""),
    };
    format!(
        "{dates}, {}–{}",
        events[0].start.format("%H:%M"),
        events[0].end.format("%H:%M")
    )
}

pub use crate::dates::ordinal;

/// "every issue", "every 2nd issue", "every 3rd issue": an evergreen campaign's rotation.
pub fn every_nth_issue(every: u32) -> String {
    if every <= 1 {
        "every issue".into()
    } else {
        format!("every {} issue", ordinal(every))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDateTime, TimeZone};
    use chrono_tz::Europe::London;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_say_the_shared_month_and_year_once() {
        for (start, end, said) in [
            ("2024-11-18", "2024-11-22", "Mon 18 – Fri 22 Nov 2024"),
            ("2026-11-25", "2026-12-10", "Wed 25 Nov – Thu 10 Dec 2026"),
            (
                "2026-12-20",
                "2027-01-05",
                "Sun 20 Dec 2026 – Tue 5 Jan 2027",
            ),
            ("2026-11-25", "2026-11-25", "Wed 25 Nov 2026"),
        ] {
            assert_eq!(date_range(d(start), d(end)), said);
        }
    }

    #[test]
    fn event_times() {
        let t = |s: &str| {
            London
                .from_local_datetime(&NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap())
                .unwrap()
        };
        let e = EventTime {
            start: t("2026-12-09T10:00"),
            end: t("2026-12-09T11:30"),
        };
        assert_eq!(event_time(&e), "Wed 9 Dec 2026, 10:00–11:30");
        let late = EventTime {
            start: t("2026-12-09T22:00"),
            end: t("2026-12-10T01:00"),
        };
        assert_eq!(
            event_time(&late),
            "Wed 9 Dec 2026, 22:00 – Thu 10 Dec 2026, 01:00"
        );
        let to_midnight = EventTime {
            start: t("2026-12-09T22:00"),
            end: t("2026-12-10T00:00"),
        };
        assert_eq!(event_time(&to_midnight), "Wed 9 Dec 2026, 22:00–00:00");
    }

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111]
            .map(ordinal)
            .into();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                "101st", "111th"
            ]
        );
        assert_eq!(every_nth_issue(1), "every issue");
        assert_eq!(every_nth_issue(3), "every 3rd issue");
    }

    fn session(start: &str, minutes: i64) -> Occurrence {
        let at: NaiveDateTime = start.parse().unwrap();
        let start = London.from_local_datetime(&at).unwrap();
        Occurrence {
            campaign: crate::ids::CampaignId::parse("course").unwrap(),
            title: "Course".into(),
            start: start.date_naive(),
            end: start.date_naive(),
            kind: super::super::OccurrenceKind::Event,
            event: Some(EventTime {
                start,
                end: start + chrono::Duration::minutes(minutes),
            }),
            confirmed: true,
            source: None,
        }
    }

    #[test]
    fn sessions_of_one_course_are_said_once() {
        let s = |xs: &[(&str, i64)]| {
            sessions(&xs.iter().map(|(a, m)| session(a, *m)).collect::<Vec<_>>())
        };
        assert_eq!(
            s(&[("2026-12-01T10:00:00", 120), ("2026-12-10T10:00:00", 120)]),
            "Tue 1 and Thu 10 Dec 2026, 10:00–12:00"
        );
        assert_eq!(
            s(&[
                ("2026-11-24T10:00:00", 60),
                ("2026-12-01T10:00:00", 60),
                ("2026-12-08T10:00:00", 60)
            ]),
            "Tue 24 Nov, Tue 1 and Tue 8 Dec 2026, 10:00–11:00"
        );
        assert_eq!(
            s(&[("2026-12-03T09:30:00", 180), ("2027-01-14T09:30:00", 180)]),
            "Thu 3 Dec 2026 and Thu 14 Jan 2027, 09:30–12:30"
        );
        // Different times: each in full.
        assert_eq!(
            s(&[("2026-12-03T09:30:00", 180), ("2027-01-14T13:00:00", 180)]),
            "Thu 3 Dec 2026, 09:30–12:30; Thu 14 Jan 2027, 13:00–16:00"
        );
        assert_eq!(
            s(&[("2026-12-09T10:00:00", 90)]),
            "Wed 9 Dec 2026, 10:00–11:30"
        );
    }
}
