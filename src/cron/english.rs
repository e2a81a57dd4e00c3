//! A cron expression in plain English ("09:00 on the 1st of every month, UK time"), so people
//! can check a schedule without reading cron. What cannot be said simply is shown as the raw
//! expression rather than guessed at.

use chrono_tz::Tz;

use crate::dates::{DAYS, MONTHS, ordinal};

#[derive(Debug, Clone, PartialEq)]
enum Item {
    One(u32),
    Range(u32, u32),
    /// `MON#2` (nth 1–5) or `FRI#L` / `5L` (nth 0 = the last).
    Nth(u32, u32),
    /// `L` in the day of the month.
    Last,
}

#[derive(Debug, Clone, PartialEq)]
enum Field {
    Any,
    Step {
        from: u32,
        to: Option<u32>,
        step: u32,
    },
    Items(Vec<Item>),
}

fn value(s: &str, names: &[&str]) -> Option<u32> {
    if let Ok(n) = s.parse::<u32>() {
        return Some(n);
    }
    let up = s.to_ascii_uppercase();
    names
        .iter()
        .position(|n| n[..3].eq_ignore_ascii_case(&up))
        .map(|i| i as u32)
}

fn parse_field(s: &str, names: &[&str], month: bool) -> Option<Field> {
    let names_value = |x: &str| {
        value(x, names).map(|v| {
            if month && x.parse::<u32>().is_err() {
                v + 1
            } else {
                v
            }
        })
    };
    if s == "*" || s == "?" {
        return Some(Field::Any);
    }
    if let Some((range, step)) = s.split_once('/') {
        let step = step.parse().ok().filter(|s| *s > 0)?;
        let (from, to) = match range {
            "*" => (if month { 1 } else { 0 }, None),
            r => match r.split_once('-') {
                Some((a, b)) => (names_value(a)?, Some(names_value(b)?)),
                None => (names_value(r)?, None),
            },
        };
        return Some(Field::Step { from, to, step });
    }
    let mut items = Vec::new();
    for part in s.split(',') {
        let item = if part.eq_ignore_ascii_case("L") {
            Item::Last
        } else if let Some((d, n)) = part.split_once('#') {
            let nth = if n.eq_ignore_ascii_case("L") {
                0
            } else {
                n.parse().ok().filter(|n| (1..=5).contains(n))?
            };
            Item::Nth(value(d, names)? % 7, nth)
        } else if let Some(d) = part.strip_suffix(['L', 'l']) {
            Item::Nth(value(d, names)? % 7, 0)
        } else if let Some((a, b)) = part.split_once('-') {
            Item::Range(names_value(a)?, names_value(b)?)
        } else {
            Item::One(names_value(part)?)
        };
        items.push(item);
    }
    Some(Field::Items(items))
}

fn join(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn nth_word(n: u32) -> &'static str {
    ["last", "first", "second", "third", "fourth", "fifth"][n.min(5) as usize]
}

fn hm(h: u32, m: u32) -> String {
    format!("{h:02}:{m:02}")
}

fn singles(f: &Field) -> Option<Vec<u32>> {
    match f {
        Field::Items(items) => items
            .iter()
            .map(|i| match i {
                Item::One(v) => Some(*v),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// The time of day: "09:00", "09:00 and 17:00", "every 15 minutes from 09:00 to 17:45".
fn time(sec: &Field, min: &Field, hour: &Field) -> Option<String> {
    let seconds = match sec {
        Field::Any => None,
        _ => match singles(sec)?.as_slice() {
            [0] => None,
            [s] => Some(*s),
            _ => return None,
        },
    };
    if let (Some(ms), Some(hs)) = (singles(min), singles(hour)) {
        return fixed_times(&hs, &ms, seconds);
    }
    if seconds.is_some() {
        return None;
    }
    repeating(min, hour)
}

/// Every combination of the hours and minutes (with the one second, if not 0), when there are
/// at most six of them.
fn fixed_times(hours: &[u32], minutes: &[u32], seconds: Option<u32>) -> Option<String> {
    let mut times = Vec::new();
    for h in hours {
        for m in minutes {
            times.push(match seconds {
                Some(s) => format!("{h:02}:{m:02}:{s:02}"),
                None => hm(*h, *m),
            });
        }
    }
    (times.len() <= 6).then(|| join(&times))
}

/// A time that repeats through the day: every minute, every N minutes, every N hours, or
/// every hour at some minutes past, within a span of hours.
fn repeating(min: &Field, hour: &Field) -> Option<String> {
    match (min, hour) {
        (Field::Any, h) => {
            let (a, b) = hour_range(h)?;
            Some(format!("every minute{}", hour_span(a, b, 59)))
        }
        (
            Field::Step {
                from: 0,
                to: None,
                step,
            },
            h,
        ) if 60 % step == 0 => {
            let (a, b) = hour_range(h)?;
            Some(format!(
                "every {step} minutes{}",
                hour_span(a, b, 60 - step)
            ))
        }
        (
            Field::Items(_),
            Field::Step {
                from,
                to: None,
                step,
            },
        ) if 24 % step == 0 => {
            let m = single(min)?;
            Some(format!("every {step} hours from {}", hm(*from, m)))
        }
        (Field::Items(_), h) => {
            let m = single(min)?;
            let (a, b) = hour_range(h)?;
            let at = if m == 0 {
                "on the hour".to_string()
            } else {
                format!("at {m} minutes past")
            };
            Some(format!("every hour {at}{}", hour_span(a, b, m)))
        }
        _ => None,
    }
}

/// The one value of a field that lists a single value.
fn single(f: &Field) -> Option<u32> {
    match singles(f)?.as_slice() {
        [v] => Some(*v),
        _ => None,
    }
}

/// " from 09:00 to 17:45" (`last_min` is the minute of the last hour), nothing for the whole day.
fn hour_span(from: u32, to: u32, last_min: u32) -> String {
    if from == 0 && to == 23 {
        String::new()
    } else {
        format!(" from {} to {}", hm(from, 0), hm(to, last_min))
    }
}

/// The first and last hour of an hour field that is any hour, one hour or one range.
fn hour_range(h: &Field) -> Option<(u32, u32)> {
    match h {
        Field::Any => Some((0, 23)),
        Field::Items(items) => match items.as_slice() {
            [Item::One(a)] => Some((*a, *a)),
            [Item::Range(a, b)] => Some((*a, *b)),
            _ => None,
        },
        _ => None,
    }
}

fn days_of_month(f: &Field) -> Option<String> {
    let Field::Items(items) = f else {
        return None;
    };
    let words: Option<Vec<String>> = items
        .iter()
        .map(|i| match i {
            Item::One(d) => Some(ordinal(*d)),
            Item::Range(a, b) => Some(format!("{} to {}", ordinal(*a), ordinal(*b))),
            Item::Last => Some("last day".into()),
            Item::Nth(..) => None,
        })
        .collect();
    Some(format!("the {}", join(&words?)))
}

/// "Monday", "Monday to Friday", "the first Monday".
fn weekdays(items: &[Item]) -> Option<(String, bool)> {
    let mut words = Vec::new();
    let mut nth = false;
    for i in items {
        words.push(match i {
            Item::One(d) => DAYS[(*d % 7) as usize].to_string(),
            Item::Range(a, b) => {
                format!("{} to {}", DAYS[(*a % 7) as usize], DAYS[(*b % 7) as usize])
            }
            Item::Nth(d, n) => {
                nth = true;
                format!("the {} {}", nth_word(*n), DAYS[(*d % 7) as usize])
            }
            Item::Last => return None,
        });
    }
    Some((join(&words), nth))
}

fn months(f: &Field) -> Option<String> {
    match f {
        Field::Any => Some("every month".into()),
        Field::Items(items) => {
            let words: Option<Vec<String>> = items
                .iter()
                .map(|i| match i {
                    Item::One(m) if (1..=12).contains(m) => {
                        Some(MONTHS[*m as usize - 1].to_string())
                    }
                    Item::Range(a, b) if (1..=12).contains(a) && (1..=12).contains(b) => Some(
                        format!("{} to {}", MONTHS[*a as usize - 1], MONTHS[*b as usize - 1]),
                    ),
                    _ => None,
                })
                .collect();
            Some(join(&words?))
        }
        Field::Step { .. } => None,
    }
}

/// The days: "every day", "on the 1st of every month", "every Monday", "on the first Monday
/// of every month", "on the 1st of every month and every Monday".
fn days(dom: &Field, month: &Field, dow: &Field, both: bool) -> Option<String> {
    let months = months(month)?;
    let in_months = if matches!(month, Field::Any) {
        String::new()
    } else {
        format!(" in {months}")
    };
    let dow = match dow {
        Field::Any => None,
        Field::Items(items) => Some(weekdays(items)?),
        Field::Step { .. } => return None,
    };
    let dow_phrase = |(words, nth): &(String, bool)| {
        if *nth {
            format!("on {words} of {months}")
        } else if words.contains(" to ") {
            format!("{words}{in_months}")
        } else {
            format!("every {words}{in_months}")
        }
    };
    match (dom, &dow) {
        (Field::Any, None) => Some(format!("every day{in_months}")),
        (Field::Any, Some(d)) => Some(dow_phrase(d)),
        (dom, None) => Some(format!("on {} of {months}", days_of_month(dom)?)),
        (dom, Some((words, _))) if both => Some(format!(
            "on {} of {months}, when it is a {words}",
            days_of_month(dom)?
        )),
        (dom, Some(d)) => Some(format!(
            "on {} of {months} and {}",
            days_of_month(dom)?,
            dow_phrase(d)
        )),
    }
}

/// How people name the time zone: "UK time" for the UK's zones.
pub fn zone_label(tz: Tz) -> String {
    match tz.name() {
        "Europe/London" | "GB" | "Europe/Belfast" | "GB-Eire" => "UK time".into(),
        "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" => tz.name().into(),
        other => format!("{other} time"),
    }
}

/// The expression in plain English, or `None` when it cannot be said simply.
pub fn phrase(expr: &str) -> Option<String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let (sec, rest) = match fields.len() {
        5 => ("0", &fields[..]),
        6 => (fields[0], &fields[1..]),
        _ => return None,
    };
    let both = rest[4].starts_with('+');
    let sec = parse_field(sec, &[], false)?;
    let min = parse_field(rest[0], &[], false)?;
    let hour = parse_field(rest[1], &[], false)?;
    let dom = parse_field(rest[2], &[], false)?;
    let month = parse_field(rest[3], &MONTHS, true)?;
    let dow = parse_field(rest[4].trim_start_matches('+'), &DAYS, false)?;
    Some(format!(
        "{} {}",
        time(&sec, &min, &hour)?,
        days(&dom, &month, &dow, both)?
    ))
}

/// The schedule for people: "09:00 on the 1st of every month, UK time", or the expression
/// itself ("cron `0 9 15W * *`, UK time") when it cannot be said simply.
pub fn describe(expr: &str, tz: Tz) -> String {
    match phrase(expr) {
        Some(p) => format!("{p}, {}", zone_label(tz)),
        None => format!("cron `{expr}`, {}", zone_label(tz)),
    }
}

/// When both the day of the month and the day of the week are restricted (and the weekday
/// does not start with `+`), cron fires on days matching either: `0 9 1 * MON` is the 1st and
/// every Monday. The expression probably meant, when there is a likely one (`0 9 * * MON#1`).
pub fn either_day(expr: &str) -> Option<Option<String>> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let off = fields.len().checked_sub(5)?;
    let (dom, dow) = (fields[off + 2], fields[off + 4]);
    let any = |f: &str| f == "*" || f == "?";
    if any(dom) || any(dow) || dow.starts_with('+') {
        return None;
    }
    // A single weekday and days within one week of the month: the nth such weekday.
    let day = value(dow, &DAYS).filter(|d| *d <= 7);
    let week = match dom.split_once('-') {
        Some((a, b)) => match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(a), Ok(b)) if (a - 1) / 7 == (b - 1) / 7 && a >= 1 && b >= a => {
                Some((a - 1) / 7 + 1)
            }
            _ => None,
        },
        None => dom
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=28).contains(d))
            .map(|d| (d - 1) / 7 + 1),
    };
    let suggestion = match (day, week) {
        (Some(d), Some(n)) if n <= 4 => {
            let mut f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
            f[off + 2] = "*".into();
            f[off + 4] = format!("{}#{n}", DAYS[(d % 7) as usize][..3].to_ascii_uppercase());
            Some(f.join(" "))
        }
        _ => None,
    };
    Some(suggestion)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_in_plain_english() {
        let london = chrono_tz::Europe::London;
        for (expr, want) in [
            ("0 9 1 * *", "09:00 on the 1st of every month, UK time"),
            ("0 9 * * *", "09:00 every day, UK time"),
            ("0 9 * * 1", "09:00 every Monday, UK time"),
            ("30 8 * * MON", "08:30 every Monday, UK time"),
            ("0 9 * * 1-5", "09:00 Monday to Friday, UK time"),
            ("0 9 * * 1,3", "09:00 every Monday and Wednesday, UK time"),
            (
                "0 9 * * MON#1",
                "09:00 on the first Monday of every month, UK time",
            ),
            (
                "0 9 * * FRI#L",
                "09:00 on the last Friday of every month, UK time",
            ),
            (
                "0 9 * * 5L",
                "09:00 on the last Friday of every month, UK time",
            ),
            ("0 9 L * *", "09:00 on the last day of every month, UK time"),
            (
                "0 9 1,15 * *",
                "09:00 on the 1st and 15th of every month, UK time",
            ),
            (
                "0 9 1-7 * *",
                "09:00 on the 1st to 7th of every month, UK time",
            ),
            (
                "0 9 21,22,23 * *",
                "09:00 on the 21st, 22nd and 23rd of every month, UK time",
            ),
            (
                "0 9 1 3,9 *",
                "09:00 on the 1st of March and September, UK time",
            ),
            (
                "0 9 1 JAN-JUN *",
                "09:00 on the 1st of January to June, UK time",
            ),
            ("0 9 * 12 MON", "09:00 every Monday in December, UK time"),
            ("0 9,17 * * *", "09:00 and 17:00 every day, UK time"),
            ("0,30 9 * * 1", "09:00 and 09:30 every Monday, UK time"),
            (
                "*/15 9-17 * * 1-5",
                "every 15 minutes from 09:00 to 17:45 Monday to Friday, UK time",
            ),
            ("*/15 * * * *", "every 15 minutes every day, UK time"),
            (
                "0 9-17 * * *",
                "every hour on the hour from 09:00 to 17:00 every day, UK time",
            ),
            ("0 */2 * * *", "every 2 hours from 00:00 every day, UK time"),
            (
                "30 0 9 1 * *",
                "09:00:30 on the 1st of every month, UK time",
            ),
            (
                "0 9 1 * MON",
                "09:00 on the 1st of every month and every Monday, UK time",
            ),
            (
                "0 9 1-7 * +MON",
                "09:00 on the 1st to 7th of every month, when it is a Monday, UK time",
            ),
            ("0 9 15W * *", "cron `0 9 15W * *`, UK time"),
            (
                "5,10,15,20,25,30,35 9 * * *",
                "cron `5,10,15,20,25,30,35 9 * * *`, UK time",
            ),
        ] {
            assert_eq!(describe(expr, london), want, "{expr}");
        }
        assert_eq!(
            describe("0 9 1 * *", chrono_tz::Europe::Paris),
            "09:00 on the 1st of every month, Europe/Paris time"
        );
    }

    #[test]
    fn day_of_month_and_weekday_together_fire_on_either() {
        assert_eq!(
            either_day("0 9 1 * MON"),
            Some(Some("0 9 * * MON#1".into()))
        );
        assert_eq!(
            either_day("0 9 1-7 * MON"),
            Some(Some("0 9 * * MON#1".into()))
        );
        assert_eq!(
            either_day("0 9 8-14 * 2"),
            Some(Some("0 9 * * TUE#2".into()))
        );
        assert_eq!(either_day("0 9 1,15 * MON"), Some(None));
        assert_eq!(either_day("0 9 1-7 * +MON"), None);
        assert_eq!(either_day("0 9 1 * *"), None);
        assert_eq!(either_day("0 9 * * MON"), None);
    }
}
