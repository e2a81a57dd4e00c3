//! `campaigns/*.toml`: awareness weeks, campaigns and events, and the rules that place them in
//! time. Expanding the rules into dates is the calendar's job; here every rule is parsed and
//! checked so the calendar only ever sees rules that make sense.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::doc::{At, FileCtx, Table};
use crate::diag::Position;
use crate::ids::{CampaignId, ListId};

/// A month and day that recur every year (`"11-25"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

impl MonthDay {
    /// `MM-DD`; 29 February is allowed (the calendar moves it to the 28th in other years).
    pub fn parse(s: &str) -> Result<Self, String> {
        let (m, d) = s
            .split_once('-')
            .ok_or_else(|| format!("`{s}` is not MM-DD"))?;
        let month: u32 = m.parse().map_err(|_| format!("`{s}` is not MM-DD"))?;
        let day: u32 = d.parse().map_err(|_| format!("`{s}` is not MM-DD"))?;
        if m.len() != 2 || d.len() != 2 {
            return Err(format!("`{s}` is not MM-DD"));
        }
        // 2000 is a leap year, so this accepts exactly the month-days that exist in some year.
        if NaiveDate::from_ymd_opt(2000, month, day).is_none() {
            return Err(format!("`{s}` is not a day of the year"));
        }
        Ok(MonthDay { month, day })
    }

    pub fn is_leap_day(&self) -> bool {
        self.month == 2 && self.day == 29
    }
}

impl std::fmt::Display for MonthDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

/// Which occurrence of a weekday in a month: 1st–5th, or the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nth {
    Number(u8),
    Last,
}

/// One rule of a campaign's `[[when]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Once, on these dates (inclusive).
    Dates { from: NaiveDate, to: NaiveDate },
    /// Every year between these month-days (inclusive; may cross the year end).
    Yearly { from: MonthDay, to: MonthDay },
    /// Every year from the nth weekday of a month, for `days` days.
    NthWeekday {
        month: u32,
        weekday: Weekday,
        nth: Nth,
        days: u32,
    },
    /// An event at a local date-time in the organisation's time zone.
    Event { at: NaiveDateTime, minutes: u32 },
}

/// A dedicated short message sent before a campaign starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    pub days_before: u32,
    pub at: NaiveTime,
    pub lists: Vec<At<ListId>>,
}

/// A campaign, awareness week or event.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: CampaignId,
    pub title: String,
    /// Markdown.
    pub summary: String,
    pub url: Option<String>,
    pub themes: Vec<String>,
    pub rules: Vec<At<Rule>>,
    pub except_years: Vec<i32>,
    /// Always on: carried in every `every`th issue.
    pub evergreen: Option<u32>,
    pub announce: Option<Announce>,
    pub path: std::path::PathBuf,
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// Parse one campaign file; the id is the file stem.
pub(crate) fn parse(ctx: &FileCtx<'_>) -> Option<Campaign> {
    let doc = ctx.parse();
    let top = Table::root(ctx, &doc);
    let stem = ctx
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    let id = match CampaignId::parse(&stem) {
        Ok(id) => Some(id),
        Err(e) => {
            ctx.error(
                Position::START,
                format!("the file name `{stem}` is not a valid campaign id: {e}"),
            )
            .hint("a campaign's id is its file name: rename it, e.g. `anti-bullying-week.toml`");
            None
        }
    };
    let title = top.req_str("title", "\"Anti-Bullying Week\"");
    if let Some(t) = &title
        && t.value.chars().any(char::is_control)
    {
        ctx.error(t.pos, "`title` must be one line with no control characters");
    }
    let summary = top.req_str("summary", "\"What it is and how partners can take part.\"");
    let url = top.opt_str("url");
    if let Some(u) = &url
        && !(u.value.starts_with("https://") || u.value.starts_with("http://"))
    {
        ctx.error(
            u.pos,
            format!("`url` must be an http(s) URL, found \"{}\"", u.value),
        )
        .hint("e.g. url = \"https://anti-bullyingalliance.org.uk/\"");
    }
    let mut themes = Vec::new();
    for t in top.str_array("themes").unwrap_or_default() {
        if crate::ids::SectionId::parse(&t.value).is_err() {
            ctx.error(
                t.pos,
                format!(
                    "theme `{}` must be lower-case letters, digits and `-`",
                    t.value
                ),
            );
        } else {
            themes.push(t.value);
        }
    }
    let mut except_years = Vec::new();
    for y in top.int_array("except_years").unwrap_or_default() {
        if (1900..=2200).contains(&y.value) {
            except_years.push(y.value as i32);
        } else {
            ctx.error(
                y.pos,
                format!("`except_years`: {} is not a plausible year", y.value),
            );
        }
    }
    let evergreen = top.opt_table("evergreen").and_then(|t| {
        let every = t.req_int("every", "3");
        t.finish();
        let every = every?;
        if (1..=52).contains(&every.value) {
            Some(every.value as u32)
        } else {
            ctx.error(
                every.pos,
                format!("`every` must be between 1 and 52, found {}", every.value),
            )
            .hint("every = 3 carries the campaign in every third issue");
            None
        }
    });
    let announce = top.opt_table("announce").and_then(|t| announce(&t));
    let when_tables = top.array_of_tables("when");
    let mut rules = Vec::new();
    for w in &when_tables {
        if let Some(r) = rule(w) {
            rules.push(r);
        }
    }
    for w in when_tables {
        w.finish_under(&top);
    }
    if top.has("evergreen") && top.has("when") {
        ctx.error(
            top.pos_of("evergreen").unwrap_or(top.pos),
            "an evergreen campaign has no [[when]]: it is always on",
        )
        .hint("remove `evergreen` to run it on its dates, or remove the [[when]] entries");
    }
    if !top.has("evergreen") && !top.has("when") {
        ctx.error(
            top.pos,
            "this campaign has no [[when]] and is not evergreen, so it never appears",
        )
        .hint("add [[when]] with yearly, dates, nth_weekday or at, or evergreen = { every = 3 }");
    }
    if announce.is_some() && top.has("evergreen") {
        ctx.error(
            top.pos_of("announce").unwrap_or(top.pos),
            "an evergreen campaign has no start to announce",
        );
    }
    top.finish();
    Some(Campaign {
        id: id?,
        title: title?.value,
        summary: summary?.value,
        url: url.map(|u| u.value),
        themes,
        rules,
        except_years,
        evergreen,
        announce,
        path: ctx.path.clone(),
    })
}

fn announce(t: &Table<'_, '_, '_>) -> Option<Announce> {
    let ctx = t.ctx;
    let days = t.req_int("days_before", "7");
    let at = t.opt_str("at");
    let lists = t.str_array("lists");
    if !t.has("lists") {
        ctx.error(t.pos, "missing required key `lists` in `announce`")
            .hint("add lists = [\"all-partners\"]");
    }
    t.finish();
    let days = days.and_then(|d| {
        if (0..=90).contains(&d.value) {
            Some(d.value as u32)
        } else {
            ctx.error(
                d.pos,
                format!("`days_before` must be between 0 and 90, found {}", d.value),
            );
            None
        }
    });
    let at = match at {
        None => Some(NaiveTime::from_hms_opt(9, 0, 0).expect("valid")),
        Some(a) => match NaiveTime::parse_from_str(&a.value, "%H:%M") {
            Ok(t) => Some(t),
            Err(_) => {
                ctx.error(
                    a.pos,
                    format!("`at` must be a time as HH:MM, found \"{}\"", a.value),
                )
                .hint("e.g. at = \"09:00\"");
                None
            }
        },
    };
    let mut ids = Vec::new();
    for l in lists.unwrap_or_default() {
        match ListId::parse(&l.value) {
            Ok(id) => ids.push(At::new(id, l.pos)),
            Err(e) => {
                ctx.error(l.pos, format!("list `{}`: {e}", l.value));
            }
        }
    }
    Some(Announce {
        days_before: days?,
        at: at?,
        lists: ids,
    })
}

fn rule(w: &Table<'_, '_, '_>) -> Option<At<Rule>> {
    let ctx = w.ctx;
    let kinds = ["yearly", "dates", "nth_weekday", "at"];
    let present: Vec<&str> = kinds.iter().copied().filter(|k| w.has(k)).collect();
    // Ask for `minutes` so it is a known key wherever it appears; it belongs with `at` only.
    let minutes = w.opt_int("minutes");
    match present.as_slice() {
        [] => {
            ctx.error(w.pos, "this [[when]] has no rule")
                .hint("add one of: yearly = { from = \"11-25\", to = \"12-10\" }, dates = { from = 2024-11-18, to = 2024-11-22 }, nth_weekday = { month = 11, weekday = \"mon\", nth = 3, days = 5 }, at = 2024-11-25T10:00");
            return None;
        }
        [_] => {}
        many => {
            ctx.error(
                w.pos,
                format!(
                    "this [[when]] has {} rules ({}); each [[when]] has exactly one",
                    many.len(),
                    many.join(", ")
                ),
            )
            .hint("split them into separate [[when]] entries");
            return None;
        }
    }
    if present[0] != "at"
        && let Some(m) = &minutes
    {
        ctx.error(
            m.pos,
            "`minutes` belongs with `at` (an event), not with a date range",
        );
    }
    let pos = w.pos_of(present[0]).unwrap_or(w.pos);
    let rule = match present[0] {
        "dates" => {
            let t = w.opt_table("dates")?;
            let from = t.req_date("from");
            let to = t.req_date("to");
            t.finish();
            let (from, to) = (from?, to?);
            if to.value < from.value {
                ctx.error(
                    to.pos,
                    format!("`to` ({}) is before `from` ({})", to.value, from.value),
                )
                .hint("dates are inclusive: a one-day campaign has from = to");
                return None;
            }
            Rule::Dates {
                from: from.value,
                to: to.value,
            }
        }
        "yearly" => {
            let t = w.opt_table("yearly")?;
            let md = |key: &'static str| {
                let v = t.req_str(key, "\"11-25\"")?;
                match MonthDay::parse(&v.value) {
                    Ok(md) => Some(At::new(md, v.pos)),
                    Err(e) => {
                        ctx.error(v.pos, format!("`{key}`: {e}")).hint(
                            "write month-day with two digits each, e.g. \"11-25\" for 25 November",
                        );
                        None
                    }
                }
            };
            let (from, to) = (md("from"), md("to"));
            t.finish();
            let (from, to) = (from?, to?);
            for m in [&from, &to] {
                if m.value.is_leap_day() {
                    ctx.warning(m.pos, "29 February exists only in leap years; in other years it is read as 28 February")
                        .hint("use \"02-28\" or \"03-01\" if that is what you mean");
                }
            }
            Rule::Yearly {
                from: from.value,
                to: to.value,
            }
        }
        "nth_weekday" => {
            let t = w.opt_table("nth_weekday")?;
            let month = t.req_int("month", "11");
            let weekday = t.req_str("weekday", "\"mon\"");
            let nth = t.req_int("nth", "3");
            let days = t.opt_int("days");
            t.finish();
            let month = month.and_then(|m| {
                if (1..=12).contains(&m.value) {
                    Some(m.value as u32)
                } else {
                    ctx.error(m.pos, format!("`month` must be 1 to 12, found {}", m.value));
                    None
                }
            });
            let weekday = weekday.and_then(|w| {
                let lc = w.value.to_lowercase();
                match WEEKDAYS.iter().find(|(n, _)| {
                    lc == *n || (lc.len() > 3 && lc.starts_with(n) && is_full_name(&lc))
                }) {
                    Some((_, d)) => Some(*d),
                    None => {
                        ctx.error(w.pos, format!("unknown weekday `{}`", w.value))
                            .hint("use mon, tue, wed, thu, fri, sat or sun");
                        None
                    }
                }
            });
            let nth = nth.and_then(|n| match n.value {
                1..=5 => Some(Nth::Number(n.value as u8)),
                -1 => Some(Nth::Last),
                other => {
                    ctx.error(
                        n.pos,
                        format!("`nth` must be 1 to 5, or -1 for the last, found {other}"),
                    )
                    .hint("nth = 3 is the third such weekday of the month; nth = -1 the last");
                    None
                }
            });
            let days = match days {
                None => Some(1),
                Some(d) if (1..=366).contains(&d.value) => Some(d.value as u32),
                Some(d) => {
                    ctx.error(
                        d.pos,
                        format!("`days` must be between 1 and 366, found {}", d.value),
                    );
                    None
                }
            };
            Rule::NthWeekday {
                month: month?,
                weekday: weekday?,
                nth: nth?,
                days: days?,
            }
        }
        _ => {
            let at = w.opt_local_datetime("at")?;
            let minutes = match minutes {
                None => 60,
                Some(m) if (1..=60 * 24 * 14).contains(&m.value) => m.value as u32,
                Some(m) => {
                    ctx.error(
                        m.pos,
                        format!(
                            "`minutes` must be between 1 and 20160 (two weeks), found {}",
                            m.value
                        ),
                    );
                    return None;
                }
            };
            Rule::Event {
                at: at.value,
                minutes,
            }
        }
    };
    Some(At::new(rule, pos))
}

fn is_full_name(lc: &str) -> bool {
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    .contains(&lc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_days_exist_in_some_year() {
        assert_eq!(
            MonthDay::parse("11-25"),
            Ok(MonthDay { month: 11, day: 25 })
        );
        assert!(MonthDay::parse("02-29").unwrap().is_leap_day());
        assert!(MonthDay::parse("02-30").is_err());
        assert!(MonthDay::parse("13-01").is_err());
        assert!(MonthDay::parse("1-5").is_err());
        assert!(MonthDay::parse("11/25").is_err());
    }
}
