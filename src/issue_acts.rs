//! What an operator does to a bulletin's issue of a date — approve, cancel, withdraw it from
//! the web — whichever way they ask: `bulletin approve|cancel|withdraw` prints the outcome,
//! the desk shows it. Each is recorded in the ledger under the name of who asked.

use chrono::NaiveDate;

use crate::config::{Bulletin, Project};
use crate::ids::BulletinId;
use crate::schedule::jobs::Job;
use crate::store::{FireState, IssueKind, IssueState, Store, StoreError};
use crate::timestamp::Timestamp;

/// What `cancel` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancelled {
    /// The issue in the ledger was cancelled before.
    Already { issue: i64 },
    /// Everything of it went already.
    Finished { issue: i64, sent: u64 },
    /// Its waiting deliveries were cancelled.
    Issue {
        issue: i64,
        waiting: u64,
        sent: u64,
        in_flight: u64,
    },
    /// It was not created yet (held, or to come): it never will be.
    Fire,
    /// No issue in the ledger and none to come that day.
    NothingToCancel,
    /// Its fire was handled already (it went, or was skipped).
    Handled(FireState),
}

/// Cancel `id`'s issue of `date`: the waiting deliveries of one in the ledger, or the fire of
/// one still to come (held for approval, or scheduled), recorded as skipped by `by`.
pub async fn cancel(
    project: &Project,
    store: &Store,
    id: &BulletinId,
    date: NaiveDate,
    by: &str,
    now: Timestamp,
) -> Result<Cancelled, StoreError> {
    let Some(row) = store.find_issue(id, date, IssueKind::Issue).await? else {
        return cancel_fire(project, store, id, date, by, now).await;
    };
    if row.state == IssueState::Cancelled {
        return Ok(Cancelled::Already { issue: row.id });
    }
    let before = store.counts(row.id).await?;
    if before.open() == 0 {
        return Ok(Cancelled::Finished {
            issue: row.id,
            sent: before.sent,
        });
    }
    let waiting = store.cancel_issue(row.id, by, now).await?;
    let after = store.counts(row.id).await?;
    Ok(Cancelled::Issue {
        issue: row.id,
        waiting,
        sent: after.sent,
        in_flight: after.in_flight,
    })
}

async fn cancel_fire(
    project: &Project,
    store: &Store,
    id: &BulletinId,
    date: NaiveDate,
    by: &str,
    now: Timestamp,
) -> Result<Cancelled, StoreError> {
    let job = Job::Bulletin(id.clone());
    let detail = format!("{}{by}", crate::store::CANCELLED_BY);
    let held = store
        .held_fires()
        .await?
        .into_iter()
        .find(|h| h.job == job && h.for_date == Some(date));
    let due = match held {
        Some(h) => Some(h.due_at.secs()),
        None => project.bulletin(id.as_str()).and_then(|b| {
            crate::issue::fire_on(b, project.settings.organisation.time_zone, date)
                .map(|t| t.timestamp())
                .filter(|t| *t > now.secs())
        }),
    };
    let Some(due) = due else {
        return Ok(Cancelled::NothingToCancel);
    };
    let state = store
        .record_fire(
            &job,
            due.into(),
            Some(date),
            FireState::Skipped,
            &detail,
            now,
        )
        .await?;
    store
        .log_event(
            None,
            None,
            "cancelled",
            &format!("{id} {date}: {detail}"),
            now,
        )
        .await?;
    Ok(if state == FireState::Skipped {
        Cancelled::Fire
    } else {
        Cancelled::Handled(state)
    })
}

/// What `withdraw` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawn {
    Now {
        issue: i64,
    },
    Already {
        issue: i64,
    },
    /// No issue of that date in the ledger.
    NoIssue,
}

/// Take `id`'s issue of `date` off the web archive and feed (it stays in the ledger).
pub async fn withdraw(
    store: &Store,
    id: &BulletinId,
    date: NaiveDate,
    by: &str,
    now: Timestamp,
) -> Result<Withdrawn, StoreError> {
    let Some(row) = store.find_issue(id, date, IssueKind::Issue).await? else {
        return Ok(Withdrawn::NoIssue);
    };
    Ok(if store.withdraw_issue(row.id, by, now).await? {
        Withdrawn::Now { issue: row.id }
    } else {
        Withdrawn::Already { issue: row.id }
    })
}

/// What `approve` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approved {
    /// The schedule does not fire that day: nothing approved.
    Unscheduled,
    /// Its time passed unsent (the daemon will not send it): nothing approved unless `late`.
    Passed { due: Timestamp },
    /// Recorded: what the daemon does next follows from these.
    Now {
        has_issue: bool,
        held: bool,
        skipped: bool,
        passed: bool,
    },
    /// Approved before, by this person (`skipped` as for [`Approved::Now`]).
    Already { by: String, skipped: bool },
}

/// Approve `b`'s issue of `date` as `by`. `late`: approve one whose time has passed too.
pub async fn approve(
    project: &Project,
    store: &Store,
    b: &Bulletin,
    date: NaiveDate,
    (by, late): (&str, bool),
    now: Timestamp,
) -> Result<Approved, StoreError> {
    let tz = project.settings.organisation.time_zone;
    let has_issue = store
        .find_issue(&b.id, date, IssueKind::Issue)
        .await?
        .is_some();
    let job = Job::Bulletin(b.id.clone());
    let held = store
        .held_fires()
        .await?
        .iter()
        .any(|h| h.job == job && h.for_date == Some(date));
    let fire = crate::issue::fire_on(b, tz, date).map(Timestamp::from);
    if !has_issue && !held && fire.is_none() {
        return Ok(Approved::Unscheduled);
    }
    let recorded = match fire {
        Some(due) => store.fire_state(&job, due).await?,
        None => None,
    };
    let passed = fire.is_some_and(|due| {
        !has_issue
            && !held
            && crate::late::passed_unsent(due, recorded, now, i64::from(b.catch_up_hours) * 3600)
    });
    if let Some(due) = fire.filter(|_| passed && !late) {
        return Ok(Approved::Passed { due });
    }
    let skipped = recorded == Some(FireState::Skipped);
    if !store.approve(&b.id, date, by, now).await? {
        let by = store
            .approval(&b.id, date)
            .await?
            .map(|a| a.by)
            .unwrap_or_default();
        return Ok(Approved::Already { by, skipped });
    }
    Ok(Approved::Now {
        has_issue,
        held,
        skipped,
        passed,
    })
}
