//! News items that no future issue will carry: an item whose window (after the previous
//! issue, up to its own) belongs to an issue that has already gone, and whose `until` does not
//! reach the next one. Usually added too late for its issue, or given a `publish` date in the
//! past. Also deadlines (a news item's, an event's booking deadline) that pass before the first
//! issue that carries them goes. Pure: `now` and the issues the ledger holds are arguments, so
//! a warning never claims a send the ledger does not hold.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::config::{NewsItem, Project};
use crate::diag::{Diagnostic, Diagnostics};
use crate::issue::{previous_fire, window_start};

/// Whether bulletin `b` carries news item `n`: the item goes to it, and it has the item's
/// section.
pub fn carries(b: &crate::config::Bulletin, n: &NewsItem) -> bool {
    n.goes_to(b.id.as_str()) && b.sections.iter().any(|s| s.as_str() == n.section.value)
}

/// The instant just before `n`'s publish day starts in `tz`: the first issue fired after it
/// is the first that may carry the item.
pub(crate) fn before_publish(tz: chrono_tz::Tz, n: &NewsItem) -> DateTime<Utc> {
    crate::issue::start_of_day(tz, n.publish).with_timezone(&Utc) - Duration::seconds(1)
}

/// The date of the issue of `b` that first carries `n`: the first issue fired after the
/// item's publish day starts (the issue that day, or the next one), so an item published after
/// an issue goes in the next one. The month's news page links each item to it.
pub fn first_issue(
    b: &crate::config::Bulletin,
    tz: chrono_tz::Tz,
    n: &NewsItem,
) -> Option<NaiveDate> {
    crate::schedule::issue_fires_after(b, tz, before_publish(tz, n))
        .next()
        .map(|f| f.date())
}

/// Why no future issue of one bulletin carries `n`: the issue it belonged to (date and time
/// it went) and the next issue's date; `None` when a future issue carries it, or when it
/// belonged to an older issue (then it is history, not a mistake).
fn missed(
    project: &Project,
    b: &crate::config::Bulletin,
    n: &NewsItem,
    now: DateTime<Utc>,
) -> Option<(DateTime<chrono_tz::Tz>, NaiveDate)> {
    let tz = project.settings.organisation.time_zone;
    let next = b.schedule.next_after(&project.local(now))?.date_naive();
    let carried_next = n.publish > next
        || n.publish >= window_start(b, tz, next)
        || n.until.as_ref().is_some_and(|u| u.value >= next);
    if carried_next {
        return None;
    }
    let last = previous_fire(b, tz, next)?;
    let last_window = window_start(b, tz, last.date_naive());
    (n.publish >= last_window && n.publish <= last.date_naive()).then_some((last, next))
}

/// The issues a ledger holds: (bulletin id, issue date).
pub type IssuesHeld = std::collections::BTreeSet<(String, NaiveDate)>;

/// A warning for each news item whose window closed with an issue that has gone (the ledger
/// `held` it) and that no future issue will carry. An issue whose time passed but which the
/// ledger does not hold did not go: a late send would still carry the item.
pub fn stranded(project: &Project, now: DateTime<Utc>, held: &IssuesHeld) -> Diagnostics {
    let mut out = Diagnostics::new();
    for n in &project.news {
        let bulletins: Vec<_> = project
            .settings
            .bulletins
            .iter()
            .filter(|b| carries(b, n))
            .collect();
        let misses: Vec<_> = bulletins
            .iter()
            .map(|b| missed(project, b, n, now))
            .collect();
        if misses.is_empty() || misses.iter().any(Option::is_none) {
            continue;
        }
        let Some((last, next)) = misses[0] else {
            continue;
        };
        if !held.contains(&(bulletins[0].id.to_string(), last.date_naive())) {
            continue;
        }
        let long = |d: NaiveDate| d.format("%-d %B %Y").to_string();
        out.push(
            Diagnostic::warning(
                &n.path,
                n.publish_pos,
                format!(
                    "no future issue will carry this item: with publish = {} it belongs to the issue of {}, which went at {}",
                    n.publish,
                    long(last.date_naive()),
                    last.format("%H:%M %Z on %-d %B")
                ),
            )
            .with_hint(format!(
                "if that issue went without it, add `until = {next}` (or move `publish` to {} or later) so the next issue, {}, carries it; if it went out, nothing needs doing",
                last.date_naive() + Duration::days(1),
                long(next)
            )),
        );
    }
    out
}

/// A warning for each news item whose `deadline` falls before the next issue that carries it
/// (the first issue, after `on_non_working_day`, on or after its `publish` date that is still
/// to go): readers would first see it after it closed. Issues already gone are history.
pub fn deadlines_before_issue(project: &Project, now: DateTime<Utc>) -> Diagnostics {
    let tz = project.settings.organisation.time_zone;
    let mut out = Diagnostics::new();
    for n in &project.news {
        let (Some(deadline), Some(pos)) = (n.deadline, n.deadline_pos) else {
            continue;
        };
        for b in project.settings.bulletins.iter().filter(|b| carries(b, n)) {
            let after = before_publish(tz, n);
            let Some(carrier) = crate::schedule::issue_fires_after(b, tz, after.max(now)).next()
            else {
                continue;
            };
            // Only the issue whose window holds the item carries it; a later one does not
            // (unless `until` reaches it), so no warning is owed for it here.
            if n.publish < window_start(b, tz, carrier.date())
                && n.until.as_ref().is_none_or(|u| u.value < carrier.date())
            {
                continue;
            }
            if deadline < carrier.date() {
                out.push(
                    Diagnostic::warning(
                        &n.path,
                        pos,
                        format!(
                            "the deadline {} is before the issue that will carry this item: the issue of `{}` on {} ({})",
                            deadline.format("%a %-d %b %Y"),
                            b.id,
                            carrier.date().format("%a %-d %b %Y"),
                            carrier.date()
                        ),
                    )
                    .with_hint("readers would see it after it closed: move the deadline, send the issue earlier, or drop the item"),
                );
            }
        }
    }
    out
}

/// A warning for each event whose `booking_deadline` falls before the first issue still to go
/// that carries it (an issue on the event's day, or within the bulletin's
/// `campaign_lookahead_days` before it): the issue would say "book by" a day already gone.
pub fn booking_deadlines_before_issue(project: &Project, now: DateTime<Utc>) -> Diagnostics {
    let tz = project.settings.organisation.time_zone;
    let today = project.local(now).date_naive();
    let mut out = Diagnostics::new();
    for c in &project.campaigns {
        let Some(deadline) = c.event.booking_deadline else {
            continue;
        };
        let Some((start, pos)) = c
            .rules
            .iter()
            .filter_map(|r| match r.value {
                crate::config::Rule::Event { at, .. } if at.date() >= today => {
                    Some((at.date(), r.pos))
                }
                _ => None,
            })
            .min_by_key(|(d, _)| *d)
        else {
            continue;
        };
        for b in project.settings.bulletins.iter().filter(|b| {
            b.sections
                .iter()
                .any(|s| s.as_str() == crate::config::CAMPAIGNS_SECTION)
        }) {
            let lookahead = Duration::days(i64::from(b.campaign_lookahead_days));
            let Some(carrier) = crate::schedule::issue_fires_after(b, tz, now)
                .map(|f| f.date())
                .take_while(|d| *d <= start)
                .find(|d| start - *d <= lookahead)
            else {
                continue;
            };
            if deadline < carrier {
                out.push(
                    Diagnostic::warning(
                        &c.path,
                        pos,
                        format!(
                            "the booking deadline {} is before the first issue that will carry this event: the issue of `{}` on {} ({carrier})",
                            deadline.format("%a %-d %b %Y"),
                            b.id,
                            carrier.format("%a %-d %b %Y"),
                        ),
                    )
                    .with_hint("readers would be told to book by a day already gone: move the booking deadline, or send the issue earlier"),
                );
            }
        }
    }
    out
}
