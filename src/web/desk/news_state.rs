//! Where each news item stands, for the desk's news list: which issue carries (or carried) it,
//! by the sender's own rules ([`crate::news_window::carries`] for which bulletins take it,
//! [`crate::news_window::first_issue`] for the first issue that may carry it). Pure: `now` and the issues the ledger holds are arguments.

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::{NewsItem, Project};
use crate::news_window::{IssuesHeld, carries, first_issue};

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
    let Some(first) = first_issue(b, tz, n) else {
        return nowhere;
    };
    // The first issue is still to go when it is the next issue or a later one.
    let (state, issue) = match next {
        Some(next) if first == next => (State::Next, first),
        Some(next) if first > next => (State::Drafted, first),
        Some(next) if n.until.as_ref().is_some_and(|u| u.value >= next) => (State::Next, next),
        _ if held.contains(&(b.id.to_string(), first)) => (State::Sent, first),
        _ => (State::Stranded, first),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn sample(now: DateTime<Utc>) -> Project {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/bulletin.toml");
        let mut p = crate::load::load(&config, &crate::config::Env::empty(), now)
            .project
            .expect("the sample tree loads");
        for b in &mut p.settings.bulletins {
            b.on_non_working_day = crate::schedule::NonWorkingDay::Send;
        }
        p
    }

    fn state_of(
        p: &Project,
        id: &str,
        now: DateTime<Utc>,
        held: &IssuesHeld,
    ) -> (State, NaiveDate) {
        let n = p.news.iter().find(|n| n.id == id).expect(id);
        let placed = place(p, n, now, held);
        (placed.state, placed.issue.unwrap())
    }

    #[test]
    fn each_item_is_placed_by_the_senders_rules() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 23, 12, 0, 0).unwrap();
        let mut p = sample(now);
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let none = IssuesHeld::new();
        assert_eq!(
            state_of(&p, "2026-12-learning-review-briefing", now, &none),
            (State::Next, d("2026-12-01"))
        );
        // Its window was November's issue's, but `until` reaches the next one.
        assert_eq!(
            state_of(&p, "2026-11-multi-agency-training-dates", now, &none),
            (State::Next, d("2026-12-01"))
        );
        let mut later = p.news[0].clone();
        later.id = "later".into();
        later.publish = d("2027-01-05");
        later.until = None;
        p.news.push(later);
        assert_eq!(
            state_of(&p, "later", now, &none),
            (State::Drafted, d("2027-02-01"))
        );
        assert_eq!(
            state_of(&p, "2024-11-p4pc", now, &none),
            (State::Stranded, d("2024-11-01"))
        );
        let b = p.settings.bulletins[0].id.to_string();
        let held: IssuesHeld = [(b, d("2024-11-01"))].into_iter().collect();
        assert_eq!(
            state_of(&p, "2024-11-p4pc", now, &held),
            (State::Sent, d("2024-11-01"))
        );
        let order: Vec<State> = all(&p, now, &held).iter().map(|x| x.state).collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
    }
}
