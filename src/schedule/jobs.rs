//! The daemon's jobs and when they fire: each bulletin's issues, their proofs to the editors,
//! and campaign announcements. Pure: takes the project and `after`, reads no clock.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use super::dst::place;
use super::issues::{Placed, issue_fires_after};
use super::workdays::{Closed, NonWorkingDay, shift};
use crate::calendar::Calendar;
use crate::config::{Bulletin, Project};
use crate::ids::{BulletinId, CampaignId};

/// Something the daemon does on a schedule. Named `bulletin:<id>`, `proof:<id>` and
/// `announce:<campaign>` (its [`Display`](fmt::Display), parsed back by [`FromStr`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Job {
    /// An issue of the bulletin, at its `schedule`.
    Bulletin(BulletinId),
    /// The proof of an issue to the bulletin's `editors`, `proof_days_before` days before it
    /// at the same local time.
    Proof(BulletinId),
    /// A campaign's announcement, `announce.days_before` days before each occurrence starts,
    /// at `announce.at` local time.
    Announce(CampaignId),
}

impl Job {
    /// Which goes first when two jobs fire at the same instant: a proof before its issue (with
    /// `proof_days_before = 0`), then issues, then announcements.
    fn rank(&self) -> u8 {
        match self {
            Job::Proof(_) => 0,
            Job::Bulletin(_) => 1,
            Job::Announce(_) => 2,
        }
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Job::Bulletin(id) => write!(f, "bulletin:{id}"),
            Job::Proof(id) => write!(f, "proof:{id}"),
            Job::Announce(id) => write!(f, "announce:{id}"),
        }
    }
}

/// Why a job name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a job name: expected bulletin:<id>, proof:<id> or announce:<campaign>")]
pub struct JobNameError(pub String);

impl FromStr for Job {
    type Err = JobNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || JobNameError(s.to_string());
        let (kind, id) = s.split_once(':').ok_or_else(bad)?;
        match kind {
            "bulletin" => BulletinId::parse(id).map(Job::Bulletin).map_err(|_| bad()),
            "proof" => BulletinId::parse(id).map(Job::Proof).map_err(|_| bad()),
            "announce" => CampaignId::parse(id).map(Job::Announce).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

/// One upcoming fire: the job, when, and what it is for: the issue date (for a bulletin or
/// proof job) or the first day of the campaign occurrence (for an announcement), so the daemon
/// can do each at most once.
pub type Upcoming = (Job, DateTime<Tz>, Option<NaiveDate>);

/// The next `count_per_job` fires strictly after `after` of every job of the project, merged
/// and sorted by time (then proofs, issues, announcements, then by name).
///
/// - `bulletin:<id>` fires at the bulletin's schedule; it is for the fire's local date.
/// - `proof:<id>` (only when both `proof_days_before` and `editors` are set) fires
///   `proof_days_before` days before each issue at the same local time (under the DST policy);
///   a proof whose time is not after `after` is left out, its issue still counted.
/// - `announce:<campaign>` fires at `announce.at` local time, `announce.days_before` days
///   before each occurrence starts (one fire per occurrence start; it looks
///   `count_per_job + 1` years ahead, at most [`MAX_LOOKAHEAD_YEARS`]).
pub fn upcoming(project: &Project, after: DateTime<Utc>, count_per_job: usize) -> Vec<Upcoming> {
    plan(project, after, None, count_per_job)
        .into_iter()
        .map(Planned::upcoming)
        .collect()
}

/// One fire as [`upcoming`] gives it, with the day it was moved from (and why) when its
/// `on_non_working_day` policy moved it off a weekend or bank holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub job: Job,
    pub at: DateTime<Tz>,
    pub for_date: Option<NaiveDate>,
    pub moved_from: Option<(NaiveDate, Closed)>,
}

impl Planned {
    fn upcoming(self) -> Upcoming {
        (self.job, self.at, self.for_date)
    }
}

/// The issues already in the ledger, by bulletin and (working-day) date: a fire for one of
/// them does nothing, so it is not "coming" (an issue sent early by hand).
pub type Created = BTreeSet<(String, NaiveDate)>;

/// What lists of coming fires say of one whose issue is already in the ledger.
pub const ALREADY_CREATED: &str = "already created (sent early): nothing more goes";

/// Whether the issue a bulletin's fire (or its proof) is for is already in the ledger.
pub fn already_created(job: &Job, for_date: Option<NaiveDate>, created: &Created) -> bool {
    match (job, for_date) {
        (Job::Bulletin(id) | Job::Proof(id), Some(d)) => created.contains(&(id.to_string(), d)),
        _ => false,
    }
}

/// [`fires_in`] with the moves: what `check` reports.
pub fn fires_planned_in(
    project: &Project,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Planned> {
    plan(project, after, Some(until), usize::MAX)
}

/// [`upcoming`] with the moves: what `bulletin schedule` shows.
pub fn upcoming_planned(
    project: &Project,
    after: DateTime<Utc>,
    count_per_job: usize,
) -> Vec<Planned> {
    plan(project, after, None, count_per_job)
}

/// Every fire of every job with `after < t <= until`, at most `count_per_job` of each job,
/// with what moved them: the default view of `bulletin schedule` (a year ahead).
pub fn planned_until(
    project: &Project,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
    count_per_job: usize,
) -> Vec<Planned> {
    plan(project, after, Some(until), count_per_job)
}

/// Every fire of every job with `after < t <= until`, sorted as [`upcoming`] sorts them: what
/// a scheduler catching up, or a calendar page for a month, wants.
pub fn fires_in(project: &Project, after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<Upcoming> {
    plan(project, after, Some(until), usize::MAX)
        .into_iter()
        .map(Planned::upcoming)
        .collect()
}

/// How far [`upcoming`] looks for a campaign's occurrences to announce.
pub const MAX_LOOKAHEAD_YEARS: u64 = 100;

fn plan(
    project: &Project,
    after: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    count: usize,
) -> Vec<Planned> {
    let tz = project.settings.organisation.time_zone;
    let in_range = |t: &DateTime<Tz>| until.is_none_or(|u| *t <= u);
    let mut out = Vec::new();
    for b in &project.settings.bulletins {
        out.extend(
            issue_fires_after(b, tz, after)
                .take_while(|f| in_range(&f.at))
                .take(count)
                .map(|f| Planned {
                    job: Job::Bulletin(b.id.clone()),
                    at: f.at,
                    for_date: Some(f.date()),
                    moved_from: f.moved_from,
                }),
        );
        out.extend(
            proofs(b, tz, after)
                .take_while(|(at, _)| in_range(at))
                .take(count)
                .map(|(at, date)| Planned {
                    job: Job::Proof(b.id.clone()),
                    at,
                    for_date: Some(date),
                    moved_from: None,
                }),
        );
    }
    out.extend(announcements(project, tz, after, until, count));
    out.sort_by(|a, b| {
        (a.at, a.job.rank(), &a.job, a.for_date).cmp(&(b.at, b.job.rank(), &b.job, b.for_date))
    });
    out
}

/// The proofs of `bulletin`'s issues after `after`, in time order: (when, issue date). A proof
/// goes `proof_days_before` days before its issue as the issue goes (after any move), and
/// when the bulletin moves off non-working days, on the working day before if it lands on one.
fn proofs(
    bulletin: &Bulletin,
    tz: Tz,
    after: DateTime<Utc>,
) -> impl Iterator<Item = (DateTime<Tz>, NaiveDate)> + '_ {
    let days = match (&bulletin.editors, bulletin.proof_days_before) {
        (Some(_), Some(days)) => Some(days),
        _ => None,
    };
    days.into_iter().flat_map(move |days| {
        issue_fires_after(bulletin, tz, after).filter_map(move |Placed { at, .. }| {
            let local = at
                .naive_local()
                .checked_sub_days(Days::new(u64::from(days)))?;
            // Editors work the same week as readers: a proof that lands on a weekend or bank
            // holiday goes on the working day before (so it still comes before its issue).
            let day = match bulletin.on_non_working_day {
                NonWorkingDay::Send => local.date(),
                _ => {
                    shift(
                        local.date(),
                        NonWorkingDay::Previous,
                        &bulletin.working_days,
                    )
                    .date
                }
            };
            let proof = place(tz, day.and_time(local.time()));
            (proof > after).then_some((proof, at.date_naive()))
        })
    })
}

/// Every campaign's announcements after `after` (and up to `until`), at most `count` each.
fn announcements(
    project: &Project,
    tz: Tz,
    after: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    count: usize,
) -> Vec<Planned> {
    let announced: Vec<_> = project
        .campaigns
        .iter()
        .filter(|c| c.announce.is_some())
        .collect();
    if announced.is_empty() || count == 0 {
        return Vec::new();
    }
    let local_date = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let max_days_before = announced
        .iter()
        .filter_map(|c| c.announce.as_ref().map(|a| a.days_before))
        .max()
        .unwrap_or(0);
    // An occurrence announced after `after` starts on or after the day before `after`'s date
    // (the day before: a time in a gap that crosses midnight moves to the next day); one
    // announced by `until` starts no later than `days_before` days after `until`'s date.
    // Widened by the furthest a weekend or bank holiday can move an announcement.
    let slack = super::workdays::MAX_MOVE_DAYS;
    let from = local_date(after)
        .checked_sub_days(Days::new(1 + slack))
        .unwrap_or(NaiveDate::MIN);
    let to = match until {
        Some(u) => {
            local_date(u).checked_add_days(Days::new(u64::from(max_days_before) + 1 + slack))
        }
        None => local_date(after).checked_add_days(Days::new(
            u64::from(max_days_before)
                + 366 * (count as u64).saturating_add(1).min(MAX_LOOKAHEAD_YEARS),
        )),
    }
    .unwrap_or(NaiveDate::MAX);
    let calendar = Calendar::new(&project.campaigns, tz);
    let occurrences = calendar.between(from, to);
    let mut out = Vec::new();
    for c in announced {
        let Some(a) = &c.announce else { continue };
        let mut fires: Vec<Planned> = occurrences
            .iter()
            .filter(|o| o.campaign == c.id)
            .filter_map(|o| {
                let day = o
                    .start
                    .checked_sub_days(Days::new(u64::from(a.days_before)))?;
                let shifted = shift(day, a.on_non_working_day, &project.working_days);
                let at = place(tz, shifted.date.and_time(a.at));
                (at > after && until.is_none_or(|u| at <= u)).then(|| Planned {
                    job: Job::Announce(c.id.clone()),
                    at,
                    for_date: Some(o.start),
                    moved_from: shifted.moved.map(|why| (day, why)),
                })
            })
            .collect();
        fires.sort_by_key(|f| (f.at, f.for_date));
        // Two sessions of an event on one day are one announcement.
        fires.dedup_by_key(|f| f.for_date);
        fires.truncate(count);
        out.extend(fires);
    }
    out
}
