//! Where each news item stands, for the desk's news list: which issue carries (or carried) it,
//! by the sender's own rules ([`crate::news_window::carries`] for which bulletins take it,
//! [`crate::news_window::before_publish`] and the bulletin's schedule for the first issue that
//! may carry it). Pure: `now` and the issues the ledger holds are arguments.

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::{NewsItem, Project};
use crate::news_window::{IssuesHeld, before_publish, carries};

/// What will happen, or happened, to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// The next issue carries it.
    Next,
    /// A later issue will carry it (its `publish` date is after the next issue).
    Drafted,
    /// The issue whose window held it has gone without it, and no future issue will carry it.
    Stranded,
    /// An issue the ledger holds carried it.
    Sent,
    /// No bulletin carries its section (or the bulletins it names).
    Nowhere,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Next => "In the next issue",
            State::Drafted => "Drafted",
            State::Stranded => "Stranded",
            State::Sent => "Sent",
            State::Nowhere => "In no bulletin",
        }
    }
}

/// One item's place: its state, and the bulletin and issue date it belongs to.
#[derive(Debug, Clone)]
pub struct Placed<'p> {
    pub item: &'p NewsItem,
    pub state: State,
    pub bulletin: Option<&'p crate::config::Bulletin>,
    pub issue: Option<NaiveDate>,
}

/// Where `n` stands in the first bulletin that carries it.
pub fn place<'p>(
    project: &'p Project,
    n: &'p NewsItem,
    now: DateTime<Utc>,
    held: &IssuesHeld,
) -> Placed<'p> {
    let tz = project.settings.organisation.time_zone;
    let nowhere = Placed {
        item: n,
        state: State::Nowhere,
        bulletin: None,
        issue: None,
    };
    let Some(b) = project.settings.bulletins.iter().find(|b| carries(b, n)) else {
        return nowhere;
    };
    let next = crate::schedule::issue_fires_after(b, tz, now)
        .next()
        .map(|p| p.date());
    let Some(first) = crate::schedule::issue_fires_after(b, tz, before_publish(tz, n)).next()
    else {
        return nowhere;
    };
    let (state, issue) = if first.at.with_timezone(&Utc) > now {
        if Some(first.date()) == next {
            (State::Next, first.date())
        } else {
            (State::Drafted, first.date())
        }
    } else if let Some(next) = next.filter(|d| n.until.as_ref().is_some_and(|u| u.value >= *d)) {
        (State::Next, next)
    } else if held.contains(&(b.id.to_string(), first.date())) {
        (State::Sent, first.date())
    } else {
        (State::Stranded, first.date())
    };
    Placed {
        item: n,
        state,
        bulletin: Some(b),
        issue: Some(issue),
    }
}

/// Every item placed, in the order the list shows them: the next issue, then later issues by
/// date, stranded items, sent items newest first, then items no bulletin carries.
pub fn all<'p>(project: &'p Project, now: DateTime<Utc>, held: &IssuesHeld) -> Vec<Placed<'p>> {
    let mut out: Vec<Placed<'p>> = project
        .news
        .iter()
        .map(|n| place(project, n, now, held))
        .collect();
    out.sort_by(|a, b| {
        let date_key = |p: &Placed<'_>| match p.state {
            State::Sent | State::Stranded => -p.issue.map_or(0, |d| d.num_days_from_ce_i64()),
            _ => p.issue.map_or(0, |d| d.num_days_from_ce_i64()),
        };
        (a.state, date_key(a), &a.item.title).cmp(&(b.state, date_key(b), &b.item.title))
    });
    out
}

trait DaysFromCe {
    fn num_days_from_ce_i64(&self) -> i64;
}

impl DaysFromCe for NaiveDate {
    fn num_days_from_ce_i64(&self) -> i64 {
        i64::from(chrono::Datelike::num_days_from_ce(self))
    }
}
