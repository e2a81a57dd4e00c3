//! What `check` can only learn by expanding the rules: a campaign that overlaps itself, an
//! event at a local time the clocks skip (or pass twice), an event that runs past midnight, and
//! a `dates` entry or event in a year `except_years` drops.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta};
use chrono_tz::Tz;

use super::expand::{LocalTime, Plan, Raw, last_day, resolve_local};
use super::{human, rule_name};
use crate::config::{Campaign, Rule};
use crate::diag::{Diagnostic, Diagnostics};

/// Years every recurring rule is expanded over when looking for overlaps: a century holds every
/// arrangement of weekdays and leap years the rules can meet. Widened to the years of any
/// `dates` entry or event outside it.
const LINT_YEARS: (i32, i32) = (2000, 2100);

/// Problems only expansion reveals, for every campaign; event times are read in `tz`.
/// The loader runs this after `config` has read the files, so `config` needs no calendar.
pub fn lint(campaigns: &[Campaign], tz: Tz) -> Diagnostics {
    let mut out = Diagnostics::new();
    for c in campaigns {
        events(c, tz, &mut out);
        skipped_years(c, &mut out);
        overlaps(c, tz, &mut out);
    }
    out.extend(content_years(campaigns, tz));
    out.extend(look_alikes(campaigns, tz));
    out
}

/// Words that do not tell one awareness campaign from another ("National Child Exploitation
/// Awareness Day" is "Child Exploitation Awareness Day").
const FILLER: &[&str] = &[
    "a",
    "an",
    "and",
    "the",
    "of",
    "for",
    "on",
    "in",
    "uk",
    "national",
    "international",
    "world",
    "global",
    "awareness",
    "day",
    "week",
    "month",
    "fortnight",
    "campaign",
];

/// A title as words, lower case, without punctuation; and its telling words (no filler).
fn title_words(title: &str) -> (Vec<String>, std::collections::BTreeSet<String>) {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let core = words
        .iter()
        .filter(|w| !FILLER.contains(&w.as_str()))
        .cloned()
        .collect();
    (words, core)
}

/// Years two campaigns' occurrences are compared over for a clash.
const CLASH_YEARS: (i32, i32) = (2020, 2035);

/// Two files for the same campaign (a second "Safer Internet Day"; "Child Exploitation
/// Awareness Day" beside "National Child Exploitation Awareness Day" on the same date) put it in
/// an issue twice: a warning at the second file, when the titles are the same, or say the same
/// thing and their dates coincide.
fn look_alikes(campaigns: &[Campaign], tz: Tz) -> Diagnostics {
    let mut out = Diagnostics::new();
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(CLASH_YEARS.0, 1, 1),
        NaiveDate::from_ymd_opt(CLASH_YEARS.1, 12, 31),
    ) else {
        return out;
    };
    let mut spans: BTreeMap<&str, Vec<(NaiveDate, NaiveDate)>> = BTreeMap::new();
    for o in super::Calendar::new(campaigns, tz).between(from, to) {
        if let Some(c) = campaigns.iter().find(|c| c.id == o.campaign) {
            spans
                .entry(c.id.as_str())
                .or_default()
                .push((o.start, o.end));
        }
    }
    let words: Vec<_> = campaigns.iter().map(|c| title_words(&c.title)).collect();
    for (j, b) in campaigns.iter().enumerate() {
        for (i, a) in campaigns.iter().enumerate().take(j) {
            let ((wa, ca), (wb, cb)) = (&words[i], &words[j]);
            let same_title = wa == wb;
            let same_thing = !ca.is_empty() && ca == cb;
            if !(same_title || same_thing) {
                continue;
            }
            let clashes: Vec<NaiveDate> = match (spans.get(a.id.as_str()), spans.get(b.id.as_str()))
            {
                (Some(sa), Some(sb)) => sa
                    .iter()
                    .filter_map(|&(s1, e1)| {
                        sb.iter()
                            .find(|&&(s2, e2)| s1 <= e2 && s2 <= e1)
                            .map(|&(s2, _)| s2.max(s1))
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let message = match (same_title, clashes.first()) {
                (_, Some(&day)) => format!(
                    "`{}` looks like the same campaign as `{}`: \"{}\" and \"{}\" both run on {} (and on the same dates in {} of the years {}–{}), so an issue would carry it twice",
                    b.id,
                    a.id,
                    b.title,
                    a.title,
                    human::date(day),
                    clashes.len(),
                    CLASH_YEARS.0,
                    CLASH_YEARS.1
                ),
                (true, None) => format!(
                    "`{}` has the same title as `{}` (\"{}\"): readers cannot tell them apart",
                    b.id, a.id, b.title
                ),
                (false, None) => continue,
            };
            let pos = b
                .rules
                .first()
                .map_or(crate::diag::Position::START, |r| r.pos);
            out.push(Diagnostic::warning(&b.path, pos, message).with_hint(format!(
                "if they are one campaign, keep one file (campaigns/{}.toml); if not, give them titles that tell them apart",
                a.id
            )));
        }
    }
    out
}

/// A `[year.YYYY]` table for a year in which the campaign has no occurrence is content nobody
/// will see (often a mistyped year): a warning at the table. Evergreen campaigns use every year.
fn content_years(campaigns: &[Campaign], tz: Tz) -> Diagnostics {
    let mut out = Diagnostics::new();
    for c in campaigns.iter().filter(|c| c.evergreen.is_none()) {
        let calendar = super::Calendar::new(std::slice::from_ref(c), tz);
        for y in &c.years {
            let (Some(first), Some(last)) = (
                NaiveDate::from_ymd_opt(y.year, 1, 1),
                NaiveDate::from_ymd_opt(y.year, 12, 31),
            ) else {
                continue;
            };
            let starts = calendar
                .between(first, last)
                .iter()
                .any(|o| o.start >= first);
            if !starts {
                out.push(
                    Diagnostic::warning(
                        &c.path,
                        y.pos,
                        format!(
                            "`{}` has content for {}, but the campaign has no occurrence starting that year",
                            c.id, y.year
                        ),
                    )
                    .with_hint("check the year, or the campaign's [[when]] rules for that year"),
                );
            }
        }
    }
    out
}

fn hm(t: DateTime<Tz>) -> String {
    t.format("%H:%M").to_string()
}

fn events(c: &Campaign, tz: Tz, out: &mut Diagnostics) {
    for rule in &c.rules {
        let Rule::Event { at, minutes } = rule.value else {
            continue;
        };
        let local = resolve_local(tz, at);
        match local {
            LocalTime::Gap { after } => {
                let gap_start = last_minute_before_gap(tz, at).map_or_else(
                    || "?".into(),
                    |t| (t + TimeDelta::minutes(1)).format("%H:%M").to_string(),
                );
                out.push(
                    Diagnostic::error(
                        &c.path,
                        rule.pos,
                        format!(
                            "{} on {} does not exist in {tz}: the clocks go forward from {gap_start} to {} that night",
                            at.format("%H:%M"),
                            human::date(at.date()),
                            hm(after)
                        ),
                    )
                    .with_hint(format!(
                        "choose a time outside {gap_start}–{}; as written it would start at {} {}",
                        hm(after),
                        hm(after),
                        after.format("%Z")
                    )),
                );
            }
            LocalTime::Ambiguous { first, second } => {
                out.push(
                    Diagnostic::warning(
                        &c.path,
                        rule.pos,
                        format!(
                            "{} on {} happens twice in {tz} (the clocks go back that night); it is read as the first, {} {}",
                            at.format("%H:%M"),
                            human::date(at.date()),
                            hm(first),
                            first.format("%Z")
                        ),
                    )
                    .with_hint(format!(
                        "to avoid doubt, choose a time outside the repeated hour (it is also {} {})",
                        hm(second),
                        second.format("%Z")
                    )),
                );
            }
            LocalTime::Single(_) => {}
        }
        let start = local.instant();
        let end = start + TimeDelta::minutes(i64::from(minutes.max(1)));
        if last_day(start, end) != start.date_naive() {
            out.push(
                Diagnostic::warning(
                    &c.path,
                    rule.pos,
                    format!(
                        "this event starts on {} and ends on another day ({}, {minutes} minutes later)",
                        human::date(start.date_naive()),
                        human::event_time(&super::EventTime { start, end })
                    ),
                )
                .with_hint(
                    "check `at` and `minutes`; for something that runs over several days use dates = { from = …, to = … }",
                ),
            );
        }
    }
}

/// The last local minute (wall-clock time) that exists before the gap `at` falls in.
fn last_minute_before_gap(tz: Tz, at: chrono::NaiveDateTime) -> Option<chrono::NaiveDateTime> {
    use chrono::{TimeZone, Timelike};
    let minute = at.with_second(0)?.with_nanosecond(0)?;
    (1..=48 * 60)
        .filter_map(|m| minute.checked_sub_signed(TimeDelta::minutes(m)))
        .find(|t| tz.from_local_datetime(t).latest().is_some())
}

fn skipped_years(c: &Campaign, out: &mut Diagnostics) {
    for rule in &c.rules {
        let year = match rule.value {
            Rule::Dates { from, .. } => from.year(),
            Rule::Event { at, .. } => at.year(),
            Rule::Yearly { .. } | Rule::NthWeekday { .. } | Rule::WeekdayOnOrAfter { .. } => {
                continue;
            }
        };
        if c.except_years.contains(&year) {
            out.push(
                Diagnostic::warning(
                    &c.path,
                    rule.pos,
                    format!(
                        "this {} is in {year}, which `except_years` skips, so it never appears",
                        rule_name(&rule.value)
                    ),
                )
                .with_hint(format!(
                    "remove {year} from `except_years`, or remove this entry"
                )),
            );
        }
    }
}

/// One pair of rules whose occurrences overlap: how often, and the first time.
struct Clash {
    count: usize,
    first: (Raw, Raw),
}

fn overlaps(c: &Campaign, tz: Tz, out: &mut Diagnostics) {
    if c.rules.len() < 2 && !c.rules.iter().any(|r| r.value.is_recurring()) {
        return;
    }
    let Some((from, to)) = lint_span(c) else {
        return;
    };
    let plan = Plan::new(c, tz);
    let mut raw = Vec::new();
    plan.raw(from, to, &mut raw);
    for (pair, clash) in clashes(&raw) {
        out.push(clash_diagnostic(c, pair, &clash, to.year()));
    }
}

/// The days the rules are expanded over: [`LINT_YEARS`], widened by a year either side of any
/// `dates` entry or event outside them. `None` when that passes the dates chrono can hold.
fn lint_span(c: &Campaign) -> Option<(NaiveDate, NaiveDate)> {
    let fixed_years = c.rules.iter().filter_map(|r| match r.value {
        Rule::Dates { from, to } => Some((from.year(), to.year())),
        Rule::Event { at, .. } => Some((at.year(), at.year())),
        Rule::Yearly { .. } | Rule::NthWeekday { .. } | Rule::WeekdayOnOrAfter { .. } => None,
    });
    let (lo, hi) = fixed_years.fold(LINT_YEARS, |(lo, hi), (a, b)| {
        (lo.min(a - 1), hi.max(b + 1))
    });
    Some((
        NaiveDate::from_ymd_opt(lo, 1, 1)?,
        NaiveDate::from_ymd_opt(hi, 12, 31)?,
    ))
}

/// Pairs of rules (lower index first) whose occurrences overlap. Whole-day occurrences clash
/// when their days meet; events when their times do. An event during its own campaign's week
/// (a launch, say) is how campaigns work, so not compared.
fn clashes(raw: &[Raw]) -> BTreeMap<(usize, usize), Clash> {
    let mut clashes: BTreeMap<(usize, usize), Clash> = BTreeMap::new();
    let mut record = |a: &Raw, b: &Raw| {
        let (a, b) = if (a.rule, a.start) <= (b.rule, b.start) {
            (*a, *b)
        } else {
            (*b, *a)
        };
        clashes
            .entry((a.rule, b.rule))
            .and_modify(|c| c.count += 1)
            .or_insert(Clash {
                count: 1,
                first: (a, b),
            });
    };
    let mut days: Vec<Raw> = raw.iter().filter(|r| r.event.is_none()).copied().collect();
    days.sort_by_key(|r| (r.start, r.end, r.rule));
    for (i, a) in days.iter().enumerate() {
        for b in days[i + 1..].iter().take_while(|b| b.start <= a.end) {
            record(a, b);
        }
    }
    let mut timed: Vec<(Raw, super::EventTime)> = raw
        .iter()
        .filter_map(|r| r.event.map(|e| (*r, e)))
        .collect();
    timed.sort_by_key(|(r, e)| (e.start, e.end, r.rule));
    for (i, (a, ea)) in timed.iter().enumerate() {
        for (b, _) in timed[i + 1..]
            .iter()
            .take_while(|(_, eb)| eb.start < ea.end)
        {
            record(a, b);
        }
    }
    clashes
}

/// The error for one clashing pair of rules, reported at the entry most likely to be the
/// mistake: a `dates` entry against a recurring rule (the stray one), otherwise the later of
/// the two. `hi` is the last year looked at.
fn clash_diagnostic(c: &Campaign, (ia, ib): (usize, usize), clash: &Clash, hi: i32) -> Diagnostic {
    let (a, b) = clash.first;
    let is_dates = |i: usize| matches!(c.rules[i].value, Rule::Dates { .. });
    let ((here, here_occ), (other, other_occ)) = if is_dates(ia) && !is_dates(ib) {
        ((ia, a), (ib, b))
    } else {
        ((ib, b), (ia, a))
    };
    let (rule, other_rule) = (&c.rules[here], &c.rules[other]);
    let more = match clash.count {
        1 => String::new(),
        n => format!(" (and {} more times up to {hi})", n - 1),
    };
    let message = if here == other {
        format!(
            "this {}'s occurrences overlap each other: {} and {}{more}",
            rule_name(&rule.value),
            describe(&other_occ),
            describe(&here_occ)
        )
    } else {
        format!(
            "this campaign overlaps itself: this {} ({}) overlaps the {} on line {} ({}){more}",
            rule_name(&rule.value),
            describe(&here_occ),
            rule_name(&other_rule.value),
            other_rule.pos.line,
            describe(&other_occ)
        )
    };
    let hint = overlap_hint(&rule.value, &other_rule.value, &other_occ);
    Diagnostic::error(&c.path, rule.pos, message).with_hint(hint)
}

/// What to do about two rules that overlap; `other_occ` is the other rule's occurrence.
fn overlap_hint(rule: &Rule, other_rule: &Rule, other_occ: &Raw) -> String {
    match (rule, other_rule) {
        (Rule::Event { .. }, Rule::Event { .. }) => {
            "two sessions overlap in time: check their `at` and `minutes`".to_string()
        }
        (Rule::Dates { .. }, Rule::Dates { .. }) => {
            "two `dates` entries cover the same days: merge them into one, or remove one".to_string()
        }
        (Rule::Dates { .. }, other) if other.is_recurring() => {
            let year = other_occ.start.year();
            format!(
                "a `dates` entry replaces a rule's occurrence only when both start in the same year; if this entry moves the {year} occurrence, make it start in {year}, otherwise remove it"
            )
        }
        _ => "each day of a campaign should come from one rule: remove or narrow one of them, or skip a year with `except_years`".to_string(),
    }
}

fn describe(r: &Raw) -> String {
    match &r.event {
        Some(e) => human::event_time(e),
        None => human::date_range(r.start, r.end),
    }
}
