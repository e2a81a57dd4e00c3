//! The campaign calendar: when each campaign is on (its occurrences), the questions the issue
//! builder and `bulletin calendar` ask of them, what only expansion can check, and iCalendar
//! export. Pure: everything here takes its dates as arguments; its callers read the clock.
//!
//! The rules (docs/files.md): dates are inclusive local dates; `yearly` ranges may cross the
//! year end and read 29 February as the 28th in other years; `nth_weekday` has no occurrence in
//! a year whose month lacks that weekday; a `dates` entry replaces the recurring occurrence that
//! starts in its year; `except_years` drops every occurrence starting in those years; events
//! are local date-times in the organisation's time zone. Each occurrence belongs to the year it
//! starts in.

mod expand;
pub mod human;
pub mod ics;
mod lint;
pub mod unconfirmed;

use chrono::{DateTime, Days, NaiveDate};
use chrono_tz::Tz;

use crate::config::{Campaign, Rule};
use crate::ids::CampaignId;

pub use expand::{
    LocalTime, last_day, month_day_in, nth_weekday, resolve_local, weekday_on_or_after,
};
pub use ics::to_ics;
pub use lint::lint;

/// An awareness week or campaign (whole days), or an event (a time on a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OccurrenceKind {
    Campaign,
    Event,
}

/// When an event happens, in the organisation's time zone. `end` is exclusive (`start` plus
/// the event's `minutes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventTime {
    pub start: DateTime<Tz>,
    pub end: DateTime<Tz>,
}

/// One time a campaign is on. Serialises as a row of `bulletin calendar --format json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Occurrence {
    pub campaign: CampaignId,
    pub title: String,
    /// First day, inclusive, local date.
    pub start: NaiveDate,
    /// Last day, inclusive, local date (for an event, the day it ends; one that ends at
    /// midnight ends on the day it started).
    pub end: NaiveDate,
    pub kind: OccurrenceKind,
    /// Whether these dates were checked against the organiser's announcement: an event, or a
    /// `dates` entry or `yearly` rule with `confirmed`. False for weeks a weekday rule worked
    /// out, so the comms subgroup can see which years still need checking.
    pub confirmed: bool,
    /// Where the dates were published (the `[[when]]` entry's `source`), if recorded.
    pub source: Option<String>,
    /// Some for events.
    #[serde(skip)]
    pub event: Option<EventTime>,
}

impl Occurrence {
    /// Whether it is on at any time in `[from, to]` (inclusive).
    pub fn overlaps(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.start <= to && self.end >= from
    }

    /// Whether it is on at some time on `date`.
    pub fn is_on(&self, date: NaiveDate) -> bool {
        self.overlaps(date, date)
    }

    /// Days from `start` to `end`, both counted.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// The key that names one occurrence, stable across runs: the campaign, its first day, and
    /// for an event its start time (two sessions on one day are two occurrences). The ICS UID
    /// is built from it.
    pub fn key(&self) -> String {
        match &self.event {
            None => format!("{}-{}", self.campaign, self.start.format("%Y-%m-%d")),
            Some(e) => format!(
                "{}-{}",
                self.campaign,
                e.start.naive_local().format("%Y-%m-%dT%H%M")
            ),
        }
    }
}

/// Sort as the calendar lists them: by start, then title; then campaign id, time and end, so
/// the order never depends on the order of the input.
pub fn sort_occurrences(occurrences: &mut [Occurrence]) {
    occurrences.sort_by(|a, b| {
        (
            a.start,
            &a.title,
            &a.campaign,
            a.event.map(|e| e.start),
            a.end,
        )
            .cmp(&(
                b.start,
                &b.title,
                &b.campaign,
                b.event.map(|e| e.start),
                b.end,
            ))
    });
}

/// The campaigns of a project, ready to answer "what is on?" for any range of dates.
#[derive(Debug, Clone)]
pub struct Calendar<'a> {
    campaigns: &'a [Campaign],
    tz: Tz,
    plans: Vec<expand::Plan<'a>>,
}

impl<'a> Calendar<'a> {
    /// Prepare `campaigns` (validated, as in [`crate::config::Project`]) with event times read in
    /// `tz`, the organisation's time zone.
    pub fn new(campaigns: &'a [Campaign], tz: Tz) -> Self {
        let plans = campaigns
            .iter()
            .filter(|c| !c.rules.is_empty())
            .map(|c| expand::Plan::new(c, tz))
            .collect();
        Calendar {
            campaigns,
            tz,
            plans,
        }
    }

    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// Every occurrence on at some time in `[from, to]` (inclusive; one that started before
    /// `from` and is still on counts), sorted by start then title. Empty if `to < from`.
    pub fn between(&self, from: NaiveDate, to: NaiveDate) -> Vec<Occurrence> {
        let mut out = Vec::new();
        for plan in &self.plans {
            let c = plan.campaign;
            out.extend(plan.distinct(from, to).into_iter().map(|r| Occurrence {
                campaign: c.id.clone(),
                title: c.title.clone(),
                start: r.start,
                end: r.end,
                kind: if r.event.is_some() {
                    OccurrenceKind::Event
                } else {
                    OccurrenceKind::Campaign
                },
                confirmed: is_confirmed(c, r.rule),
                source: c.when_info.get(r.rule).and_then(|w| w.source.clone()),
                event: r.event,
            }));
        }
        sort_occurrences(&mut out);
        out
    }

    /// What is on at some time on `date`.
    pub fn on(&self, date: NaiveDate) -> Vec<Occurrence> {
        self.between(date, date)
    }

    /// What starts after `date` and no later than `days` days after it: start in
    /// `(date, date + days]`. What is already on at `date` is [`Calendar::on`]'s answer.
    pub fn starting_within(&self, date: NaiveDate, days: u32) -> Vec<Occurrence> {
        let (Some(first), Some(last)) = (
            date.succ_opt(),
            date.checked_add_days(Days::new(u64::from(days))),
        ) else {
            return Vec::new();
        };
        let mut out = self.between(first, last);
        out.retain(|o| o.start >= first);
        out
    }

    /// The always-on campaigns (no dates; the issue builder rotates them in), in id order.
    pub fn evergreen(&self) -> Vec<&'a Campaign> {
        let mut out: Vec<&'a Campaign> = self
            .campaigns
            .iter()
            .filter(|c| c.evergreen.is_some())
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    pub fn campaign(&self, id: &CampaignId) -> Option<&'a Campaign> {
        self.campaigns.iter().find(|c| &c.id == id)
    }

    pub fn campaigns(&self) -> &'a [Campaign] {
        self.campaigns
    }
}

/// Whether the occurrence rule `i` of `c` gives has confirmed dates: events are the
/// partnership's own; a `dates` entry, or a `yearly` rule (a day that never moves, such as
/// 25 November), counts once someone recorded when they checked it. A week found by weekday
/// is the organiser's choice each year, so it needs a `dates` entry for the year.
fn is_confirmed(c: &Campaign, i: usize) -> bool {
    let checked = || c.when_info.get(i).is_some_and(|w| w.confirmed.is_some());
    match c.rules.get(i).map(|r| &r.value) {
        Some(Rule::Event { .. }) => true,
        Some(Rule::Dates { .. } | Rule::Yearly { .. }) => checked(),
        _ => false,
    }
}

/// What a rule is called in messages.
fn rule_name(rule: &Rule) -> &'static str {
    match rule {
        Rule::Dates { .. } => "`dates` entry",
        Rule::Yearly { .. } => "`yearly` rule",
        Rule::NthWeekday { .. } => "`nth_weekday` rule",
        Rule::WeekdayOnOrAfter { .. } => "`weekday_on_or_after` rule",
        Rule::Event { .. } => "event",
    }
}
