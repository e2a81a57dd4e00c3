//! `campaigns/*.toml`: awareness weeks, campaigns and events, and the rules that place them in
//! time. Expanding the rules into dates is the calendar's job; here every rule is parsed and
//! checked so the calendar only ever sees rules that make sense.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::content::{self, EventDetails, YearContent};
use super::doc::{At, FileCtx, Table};
use crate::diag::Position;
use crate::ids::{CampaignId, ListId};
use crate::themes::Theme;

/// A month and day that recur every year (`"11-25"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

impl MonthDay {
    /// `MM-DD`; 29 February is allowed (the calendar moves it to the 28th in other years).
    pub fn parse(s: &str) -> Result<Self, MonthDayError> {
        let not_mm_dd = || MonthDayError::NotMonthDay(s.to_string());
        let (m, d) = s.split_once('-').ok_or_else(not_mm_dd)?;
        let month: u32 = m.parse().map_err(|_| not_mm_dd())?;
        let day: u32 = d.parse().map_err(|_| not_mm_dd())?;
        if m.len() != 2 || d.len() != 2 {
            return Err(not_mm_dd());
        }
        // 2000 is a leap year, so this accepts exactly the month-days that exist in some year.
        if NaiveDate::from_ymd_opt(2000, month, day).is_none() {
            return Err(MonthDayError::NoSuchDay(s.to_string()));
        }
        Ok(MonthDay { month, day })
    }

    /// A day written day-first (`18-03`) read the other way round, when that is a day.
    pub fn swapped(s: &str) -> Option<Self> {
        let (d, m) = s.trim().split_once(['-', '/', '.'])?;
        Self::parse(&format!("{:0>2}-{:0>2}", m.trim(), d.trim()))
            .ok()
            .filter(|_| Self::parse(s).is_err())
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

/// Why a yearly `MM-DD` day does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonthDayError {
    #[error("`{0}` is not MM-DD")]
    NotMonthDay(String),
    #[error("`{0}` is not a day of the year")]
    NoSuchDay(String),
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
    /// Every year from the first `weekday` on or after a month-day, for `days` days: how most
    /// national weeks are set ("the Monday on or after 10 November" for Anti-Bullying Week).
    WeekdayOnOrAfter {
        month: u32,
        day: u32,
        weekday: Weekday,
        days: u32,
    },
    /// An event at a local date-time in the organisation's time zone.
    Event { at: NaiveDateTime, minutes: u32 },
}

/// Where a `[[when]]` entry's dates come from, so the comms subgroup can see which years have
/// been checked against the organiser's announcement and which are only the rule's guess.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WhenInfo {
    /// A URL or a citation: where the dates were published.
    pub source: Option<String>,
    /// The day someone checked the dates against `source`.
    pub confirmed: Option<NaiveDate>,
    /// For a recurring rule: the first year it applies (a national week that began in 2022
    /// has no occurrence before it).
    pub since: Option<i32>,
}

/// A dedicated short message sent before a campaign starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    pub days_before: u32,
    pub at: NaiveTime,
    pub lists: Vec<At<ListId>>,
    /// Where the announcement goes when its day is a weekend or bank holiday.
    pub on_non_working_day: crate::cron::NonWorkingDay,
}

/// A campaign, awareness week or event.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: CampaignId,
    pub title: String,
    /// Markdown.
    pub summary: String,
    pub url: Option<String>,
    /// The strategy's themes it serves.
    pub themes: Vec<Theme>,
    /// Venue, booking and audience, for an event.
    pub event: EventDetails,
    /// Per-year content (`[year.2024]`), sorted by year.
    pub years: Vec<YearContent>,
    pub rules: Vec<At<Rule>>,
    /// `source`, `confirmed` and `since` of each rule, by the rule's index; a rule without an
    /// entry here has none of them.
    pub when_info: Vec<WhenInfo>,
    pub except_years: Vec<i32>,
    /// Always on: carried in every `every`th issue.
    pub evergreen: Option<u32>,
    pub announce: Option<Announce>,
    pub path: std::path::PathBuf,
}

impl Campaign {
    /// Its content for `year`, if the file has a `[year.YYYY]` table for it.
    pub fn year(&self, year: i32) -> Option<&YearContent> {
        self.years.iter().find(|y| y.year == year)
    }
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

/// What other files may name in a campaign file, read even when the campaign itself has
/// errors: so `check` reports an unknown list in `announce`, and does not call a news item's
/// campaign unknown, in the same run as the campaign's own mistakes.
#[derive(Debug, Clone)]
pub struct CampaignRefs {
    pub id: Option<CampaignId>,
    pub path: std::path::PathBuf,
    /// The lists `announce` names, whether or not the rest of `announce` is valid.
    pub announce_lists: Vec<At<ListId>>,
}

/// Parse one campaign file; the id is the file stem. The references come back either way.
pub(crate) fn parse(ctx: &FileCtx<'_>) -> (Option<Campaign>, CampaignRefs) {
    let doc = ctx.parse();
    let top = Table::root(ctx, &doc);
    let id = campaign_id(ctx);
    let (title, summary) = title_and_summary(&top);
    let url = top.opt_str("url");
    ctx.check_http_url(url.as_ref(), "https://anti-bullyingalliance.org.uk/");
    let themes = content::themes(&top);
    let event = content::event_details(&top);
    let except_years = except_years(&top);
    let evergreen = evergreen(&top);
    let (announce, announce_lists) = top
        .opt_table("announce")
        .map_or((None, Vec::new()), |t| announce(&t));
    let (rules, when_info, when_has_at) = whens(&top);
    check_shape(&top, announce.is_some());
    let years = content::years(&top);
    let is_event = rules.iter().any(|r| matches!(r.value, Rule::Event { .. }));
    // A `[[when]]` whose `at` could not be read is still an event: its own error says what is
    // wrong, and the event keys are not reported a second time.
    let meant_event = is_event || when_has_at;
    check_event(&top, &event, &rules, meant_event);
    top.finish();
    let refs = CampaignRefs {
        id: id.clone(),
        path: ctx.path.clone(),
        announce_lists,
    };
    let campaign = match (id, title, summary) {
        (Some(id), Some(title), Some(summary)) => Some(Campaign {
            id,
            title: title.value,
            summary: summary.value,
            url: url.map(|u| u.value),
            themes,
            event,
            years,
            rules,
            when_info,
            except_years,
            evergreen,
            announce,
            path: ctx.path.clone(),
        }),
        _ => None,
    };
    (campaign, refs)
}
/// The campaign's id: its file name.
fn campaign_id(ctx: &FileCtx<'_>) -> Option<CampaignId> {
    let stem = ctx.stem();
    match CampaignId::parse(&stem) {
        Ok(id) => Some(id),
        Err(e) => {
            ctx.error(
                Position::START,
                format!("the file name `{stem}` is not a valid campaign id: {e}"),
            )
            .hint(match crate::ids::suggest_id(&stem) {
                Some(id) => format!("a campaign's id is its file name: rename it to `{id}.toml`"),
                None => {
                    "a campaign's id is its file name: rename it, e.g. `anti-bullying-week.toml`"
                        .into()
                }
            });
            None
        }
    }
}

/// `title` (one line) and `summary` (Markdown of bounded depth).
fn title_and_summary(top: &Table<'_, '_, '_>) -> (Option<At<String>>, Option<At<String>>) {
    let ctx = top.ctx;
    let title = top.req_str("title", "\"Anti-Bullying Week\"");
    if let Some(t) = &title
        && t.value.chars().any(char::is_control)
    {
        ctx.error(t.pos, "`title` must be one line with no control characters");
    }
    let summary = top.req_str("summary", "\"What it is and how partners can take part.\"");
    if let Some(s) = &summary
        && crate::markdown::too_deep(&s.value).is_some()
    {
        ctx.error(
            s.pos,
            format!(
                "`summary` nests Markdown more than {} levels deep",
                crate::markdown::MAX_DEPTH
            ),
        )
        .hint(super::news::TOO_DEEP_HINT);
    }
    (title, summary)
}

/// `except_years`: years the rules skip, each a plausible year.
fn except_years(top: &Table<'_, '_, '_>) -> Vec<i32> {
    let ctx = top.ctx;
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
    except_years
}

/// `evergreen = { every = N }`: carried in every Nth issue.
fn evergreen(top: &Table<'_, '_, '_>) -> Option<u32> {
    let ctx = top.ctx;
    top.opt_table("evergreen").and_then(|t| {
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
    })
}

/// The `[[when]]` rules with their provenance, and whether any has an `at` (even one that
/// could not be read).
fn whens(top: &Table<'_, '_, '_>) -> (Vec<At<Rule>>, Vec<WhenInfo>, bool) {
    let ctx = top.ctx;
    let when_tables = top.array_of_tables("when");
    let mut rules = Vec::new();
    let mut when_info = Vec::new();
    for w in &when_tables {
        let info = info(w);
        if let Some(r) = rule(w) {
            if info.since.is_some() && !r.value.is_recurring() {
                ctx.error(
                    w.pos_of("since").unwrap_or(w.pos),
                    "`since` belongs with a rule that repeats every year (yearly, nth_weekday or weekday_on_or_after)",
                )
                .hint("a `dates` entry or an event happens once: remove `since`");
            }
            rules.push(r);
            when_info.push(info);
        }
    }
    let when_has_at = when_tables.iter().any(|w| w.has("at"));
    for w in when_tables {
        w.finish_under(top);
    }
    (rules, when_info, when_has_at)
}

/// A campaign is evergreen or has `[[when]]`s, not both; an evergreen one announces nothing.
fn check_shape(top: &Table<'_, '_, '_>, announces: bool) {
    let ctx = top.ctx;
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
    if announces && top.has("evergreen") {
        ctx.error(
            top.pos_of("announce").unwrap_or(top.pos),
            "an evergreen campaign has no start to announce",
        );
    }
}

/// An event's booking deadline comes before it starts; event keys need an event.
fn check_event(
    top: &Table<'_, '_, '_>,
    event: &EventDetails,
    rules: &[At<Rule>],
    meant_event: bool,
) {
    let ctx = top.ctx;
    if let (Some(deadline), Some(first)) = (
        event.booking_deadline,
        rules
            .iter()
            .filter_map(|r| match r.value {
                Rule::Event { at, .. } => Some(at.date()),
                _ => None,
            })
            .min(),
    ) && deadline > first
    {
        ctx.error(
            top.pos_of("booking_deadline").unwrap_or(top.pos),
            format!(
                "`booking_deadline` ({deadline}) is after the event starts ({first}): readers would be told to book after it began"
            ),
        )
        .hint(format!(
            "a booking deadline comes on or before the day of the event, e.g. booking_deadline = {}",
            first.pred_opt().unwrap_or(first)
        ));
    }
    if !event.is_empty() && !meant_event {
        let key = [
            "venue",
            "online",
            "booking",
            "audience",
            "capacity",
            "booking_deadline",
        ]
        .into_iter()
        .find(|k| top.has(k))
        .unwrap_or("venue");
        ctx.error(
            top.pos_of(key).unwrap_or(top.pos),
            format!("`{key}` belongs to an event, and this campaign has no `at` in its [[when]]"),
        )
        .hint("give the event its sessions: [[when]] at = 2026-12-09T10:00:00, minutes = 90");
    }
}

/// The announcement, and the lists it names even when another of its keys is wrong.
fn announce(t: &Table<'_, '_, '_>) -> (Option<Announce>, Vec<At<ListId>>) {
    let ctx = t.ctx;
    let days = t.req_int("days_before", "7");
    let at = t.opt_str("at");
    let lists = t.str_array("lists");
    let non_working = super::settings::non_working_day(t);
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
    let announce = match (days, at, non_working) {
        (Some(days_before), Some(at), Some(on_non_working_day)) => Some(Announce {
            days_before,
            at,
            lists: ids.clone(),
            on_non_working_day,
        }),
        _ => None,
    };
    (announce, ids)
}

fn rule(w: &Table<'_, '_, '_>) -> Option<At<Rule>> {
    let ctx = w.ctx;
    let kinds = [
        "yearly",
        "dates",
        "nth_weekday",
        "weekday_on_or_after",
        "at",
    ];
    let present: Vec<&str> = kinds.iter().copied().filter(|k| w.has(k)).collect();
    // Ask for `minutes` so it is a known key wherever it appears; it belongs with `at` only.
    let minutes = w.opt_int("minutes");
    match present.as_slice() {
        [] => {
            ctx.error(w.pos, "this [[when]] has no rule")
                .hint("add one of: yearly = { from = \"11-25\", to = \"12-10\" }, dates = { from = 2024-11-18, to = 2024-11-22 }, nth_weekday = { month = 11, weekday = \"mon\", nth = 3, days = 5 }, weekday_on_or_after = { month = 11, day = 10, weekday = \"mon\", days = 5 }, at = 2024-11-25T10:00");
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
        "dates" => dates_rule(w)?,
        "yearly" => yearly_rule(w)?,
        "nth_weekday" => nth_weekday_rule(w)?,
        "weekday_on_or_after" => weekday_on_or_after_rule(w)?,
        _ => event_rule(w, minutes)?,
    };
    Some(At::new(rule, pos))
}

/// `dates = { from, to }`: once, inclusive.
fn dates_rule(w: &Table<'_, '_, '_>) -> Option<Rule> {
    let ctx = w.ctx;
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
    Some(Rule::Dates {
        from: from.value,
        to: to.value,
    })
}

/// `yearly = { from = "MM-DD", to = "MM-DD" }`: every year.
fn yearly_rule(w: &Table<'_, '_, '_>) -> Option<Rule> {
    let ctx = w.ctx;
    let t = w.opt_table("yearly")?;
    let md = |key: &'static str| {
        let v = t.req_str(key, "\"11-25\"")?;
        match MonthDay::parse(&v.value) {
            Ok(md) => Some(At::new(md, v.pos)),
            Err(e) => {
                ctx.error(v.pos, format!("`{key}`: {e}"))
                    .hint(match MonthDay::swapped(&v.value) {
                        Some(md) => format!(
                            "month first: did you mean \"{:02}-{:02}\" ({} {})?",
                            md.month,
                            md.day,
                            md.day,
                            crate::dates::MONTHS[md.month as usize - 1]
                        ),
                        None => {
                            "write month-day with two digits each, e.g. \"11-25\" for 25 November"
                                .into()
                        }
                    });
                None
            }
        }
    };
    let (from, to) = (md("from"), md("to"));
    t.finish();
    let (from, to) = (from?, to?);
    for m in [&from, &to] {
        if m.value.is_leap_day() {
            ctx.warning(
                m.pos,
                "29 February exists only in leap years; in other years it is read as 28 February",
            )
            .hint("use \"02-28\" or \"03-01\" if that is what you mean");
        }
    }
    Some(Rule::Yearly {
        from: from.value,
        to: to.value,
    })
}

/// `nth_weekday = { month, weekday, nth, days }`.
fn nth_weekday_rule(w: &Table<'_, '_, '_>) -> Option<Rule> {
    let ctx = w.ctx;
    let t = w.opt_table("nth_weekday")?;
    let month = t.req_int("month", "11");
    let weekday = t.req_str("weekday", "\"mon\"");
    let nth = t.req_int("nth", "3");
    let days = t.opt_int("days");
    t.finish();
    let month = month.and_then(|m| month_of(ctx, m));
    let weekday = weekday.and_then(|w| weekday_of(ctx, w));
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
    let days = days_of(ctx, days);
    Some(Rule::NthWeekday {
        month: month?,
        weekday: weekday?,
        nth: nth?,
        days: days?,
    })
}

/// `weekday_on_or_after = { month, day, weekday, days }`.
fn weekday_on_or_after_rule(w: &Table<'_, '_, '_>) -> Option<Rule> {
    let ctx = w.ctx;
    let t = w.opt_table("weekday_on_or_after")?;
    let month = t.req_int("month", "11");
    let day = t.req_int("day", "10");
    let weekday = t.req_str("weekday", "\"mon\"");
    let days = t.opt_int("days");
    t.finish();
    let month = month.and_then(|m| month_of(ctx, m));
    let day = day.and_then(|d| {
        let ok = month.is_none_or(|m| {
            u32::try_from(d.value)
                .ok()
                .and_then(|day| NaiveDate::from_ymd_opt(2000, m, day))
                .is_some()
        });
        if (1..=31).contains(&d.value) && ok {
            Some(d.value as u32)
        } else {
            let what = match month {
                Some(m) => format!("month {m}"),
                None => "any month".to_string(),
            };
            ctx.error(
                d.pos,
                format!("`day` {} is not a day of {what}", d.value),
            )
            .hint("day is the day of the month the week can start on at the earliest, e.g. day = 10 for \"the Monday on or after 10 November\"");
            None
        }
    });
    let weekday = weekday.and_then(|w| weekday_of(ctx, w));
    let days = days_of(ctx, days);
    if let (Some(m), Some(d)) = (month, day)
        && m == 2
        && d == 29
    {
        ctx.warning(
            w.pos_of("weekday_on_or_after").unwrap_or(w.pos),
            "29 February exists only in leap years; in other years it is read as 28 February",
        )
        .hint("use day = 28 or month = 3, day = 1 if that is what you mean");
    }
    Some(Rule::WeekdayOnOrAfter {
        month: month?,
        day: day?,
        weekday: weekday?,
        days: days?,
    })
}

/// `at` (a local date and time) with `minutes`: an event.
fn event_rule(w: &Table<'_, '_, '_>, minutes: Option<At<i64>>) -> Option<Rule> {
    let ctx = w.ctx;
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
    Some(Rule::Event {
        at: at.value,
        minutes,
    })
}

/// `month`: 1 to 12.
fn month_of(ctx: &FileCtx<'_>, m: At<i64>) -> Option<u32> {
    if (1..=12).contains(&m.value) {
        Some(m.value as u32)
    } else {
        ctx.error(m.pos, format!("`month` must be 1 to 12, found {}", m.value));
        None
    }
}

/// `weekday`: `mon` … `sun`, or the full name, in any case.
fn weekday_of(ctx: &FileCtx<'_>, w: At<String>) -> Option<Weekday> {
    let lc = w.value.to_lowercase();
    match WEEKDAYS
        .iter()
        .find(|(n, _)| lc == *n || (lc.len() > 3 && lc.starts_with(n) && is_full_name(&lc)))
    {
        Some((_, d)) => Some(*d),
        None => {
            let names = WEEKDAYS.iter().map(|(n, _)| *n);
            let hint = match crate::diag::did_you_mean(&lc, names) {
                Some(s) => format!("did you mean `{s}`? Use mon, tue, wed, thu, fri, sat or sun"),
                None => "use mon, tue, wed, thu, fri, sat or sun".to_string(),
            };
            ctx.error(w.pos, format!("unknown weekday `{}`", w.value))
                .hint(hint);
            None
        }
    }
}

/// `days`: how long each occurrence lasts, 1 (the default) to 366.
fn days_of(ctx: &FileCtx<'_>, days: Option<At<i64>>) -> Option<u32> {
    match days {
        None => Some(1),
        Some(d) if (1..=366).contains(&d.value) => Some(d.value as u32),
        Some(d) => {
            ctx.error(
                d.pos,
                format!("`days` must be between 1 and 366, found {}", d.value),
            );
            None
        }
    }
}

/// A `[[when]]` entry's `source`, `confirmed` and `since`, each checked where it is written.
fn info(w: &Table<'_, '_, '_>) -> WhenInfo {
    let ctx = w.ctx;
    let source = w.opt_str("source").and_then(|s| {
        if s.value.trim().is_empty() || s.value.chars().any(char::is_control) {
            ctx.error(
                s.pos,
                "`source` must be one line of text: a URL or a citation",
            )
            .hint("e.g. source = \"https://anti-bullyingalliance.org.uk/anti-bullying-week\"");
            None
        } else {
            Some(s.value)
        }
    });
    let confirmed = w.opt_date("confirmed").map(|d| d.value);
    if confirmed.is_some() && source.is_none() && !w.has("source") {
        ctx.warning(
            w.pos_of("confirmed").unwrap_or(w.pos),
            "`confirmed` without a `source`: nobody can check it again",
        )
        .hint("add source = \"https://…\" (where the dates were published)");
    }
    let since = w.opt_int("since").and_then(|y| {
        if (1900..=2200).contains(&y.value) {
            Some(y.value as i32)
        } else {
            ctx.error(
                y.pos,
                format!("`since`: {} is not a plausible year", y.value),
            )
            .hint("since = 2022 is the first year the rule applies");
            None
        }
    });
    WhenInfo {
        source,
        confirmed,
        since,
    }
}

impl Rule {
    /// Whether the rule falls every year (rather than once).
    pub fn is_recurring(&self) -> bool {
        matches!(
            self,
            Rule::Yearly { .. } | Rule::NthWeekday { .. } | Rule::WeekdayOnOrAfter { .. }
        )
    }
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
