//! Campaigns whose coming year nobody has checked: a recurring campaign with dates in the next
//! 12 months, none of them `confirmed` against the organiser's announcement, is a warning that
//! lists those dates, so confirming them becomes a yearly chore `check` reminds of. Events are
//! the partnership's own and count as confirmed; a campaign with no dates in the window (a
//! one-off that has passed) has nothing to confirm. Pure: `today` is an argument.

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;

use super::{Calendar, OccurrenceKind, human};
use crate::config::Campaign;
use crate::diag::{Diagnostic, Diagnostics, Position};

/// How far ahead `check` looks for confirmed dates.
pub const HORIZON_DAYS: u64 = 365;

/// A warning for each campaign with dates from `today` to [`HORIZON_DAYS`] later and none of
/// them confirmed, at its first `[[when]]`, listing those dates.
pub fn unconfirmed(campaigns: &[Campaign], tz: Tz, today: NaiveDate) -> Diagnostics {
    let to = today
        .checked_add_days(Days::new(HORIZON_DAYS))
        .unwrap_or(today);
    let occurrences = Calendar::new(campaigns, tz).between(today, to);
    let mut out = Diagnostics::new();
    for c in campaigns {
        let mine: Vec<_> = occurrences
            .iter()
            .filter(|o| o.campaign == c.id && o.kind == OccurrenceKind::Campaign)
            .collect();
        if mine.is_empty() || mine.iter().any(|o| o.confirmed) {
            continue;
        }
        let dates = mine
            .iter()
            .map(|o| human::when(o))
            .collect::<Vec<_>>()
            .join("; ");
        let pos = c.rules.first().map_or(Position::START, |r| r.pos);
        out.push(
            Diagnostic::warning(
                &c.path,
                pos,
                format!(
                    "`{}` has no confirmed dates in the next 12 months: {dates} (worked out by its rule)",
                    c.id
                ),
            )
            .with_hint("check the organiser's announcement, then add a `[[when]]` with `dates`, `source` and `confirmed` for that year"),
        );
    }
    out
}
