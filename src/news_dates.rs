//! What a news item's prose says about dates, read on the day its issue goes: "launched on
//! Tuesday 17 November" in the issue of 1 November has not happened yet for its readers, and
//! "will be held on" a day before the issue is already over. "The Monday of Anti-Bullying
//! Week" must be a day the named campaign is on. Warnings, never errors: the writer may mean
//! it. Recognising the dates is [`crate::prose_dates`]'s; this module knows the issues that
//! carry an item (as the issue builder picks them) and the campaigns' computed dates.

use chrono::{Datelike, Duration, NaiveDate};

use crate::config::{Bulletin, NewsItem, Project};
use crate::diag::{Diagnostic, Diagnostics};
use crate::prose_dates::{self, YearFrom};

/// The most issues of one bulletin an item with a long `until` is checked against.
const MAX_CARRIERS: usize = 60;

/// The dates of the issues of `b` that carry `n`: the first on or after its publish date
/// (whose window holds it), then each later one its `until` reaches.
fn carrying_issues(project: &Project, b: &Bulletin, n: &NewsItem) -> Vec<NaiveDate> {
    if !crate::news_window::carries(b, n) {
        return Vec::new();
    }
    let tz = project.settings.organisation.time_zone;
    let after = crate::news_window::before_publish(tz, n);
    let mut fires = crate::schedule::issue_fires_after(b, tz, after).map(|p| p.date());
    let Some(first) = fires.next() else {
        return Vec::new();
    };
    let mut out = vec![first];
    if let Some(until) = &n.until {
        out.extend(
            fires
                .take_while(|d| *d <= until.value)
                .take(MAX_CARRIERS - 1),
        );
    }
    out
}

fn long(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

/// A warning for each date in a news item's body whose tense does not fit the issue that
/// carries it, and for each "the Monday of <campaign>" that is not a day of that campaign.
pub fn warnings(project: &Project) -> Diagnostics {
    let mut out = Diagnostics::new();
    let calendar =
        crate::calendar::Calendar::new(&project.campaigns, project.settings.organisation.time_zone);
    for n in &project.news {
        let found = prose_dates::scan(&n.body);
        if found.dates.is_empty() && found.weekdays_of.is_empty() {
            continue;
        }
        for b in &project.settings.bulletins {
            let issues = carrying_issues(project, b, n);
            tense(&mut out, n, b, &found.dates, &issues);
        }
        for w in &found.weekdays_of {
            weekday_of(&mut out, n, &calendar, w);
        }
    }
    out
}

/// Past tense about a date after the first issue that carries the item, or future tense about
/// a date before the last one.
fn tense(
    out: &mut Diagnostics,
    n: &NewsItem,
    b: &Bulletin,
    dates: &[prose_dates::WrittenDate],
    issues: &[NaiveDate],
) {
    let (Some(&first), Some(&last)) = (issues.first(), issues.last()) else {
        return;
    };
    for d in dates {
        let Some(r) = prose_dates::resolve(d, YearFrom::Publish(n.publish)) else {
            continue;
        };
        let (issue, phrase) = match d.tense {
            Some(prose_dates::Tense::Past(_)) => {
                (first, prose_dates::tense_mismatch(d, r.date, first))
            }
            Some(prose_dates::Tense::Future(_)) => {
                (last, prose_dates::tense_mismatch(d, r.date, last))
            }
            None => continue,
        };
        let Some(phrase) = phrase else {
            continue;
        };
        let (when, fix) = if r.date > issue {
            (
                "has not happened yet",
                "write it as still to come (\"will launch on …\", \"will be held on …\"), or publish the item after the date",
            )
        } else {
            (
                "is already over",
                "write it as past (\"took place on …\"), or publish the item in an earlier issue",
            )
        };
        out.push(
            Diagnostic::warning(
                &n.path,
                n.body_position(d.start),
                format!(
                    "\"{phrase}\" … `{}`: for readers of the issue of `{}` on {}, which carries this item, {} {}{}",
                    d.written(&n.body),
                    b.id,
                    long(issue),
                    long(r.date),
                    when,
                    prose_dates::assumed_note(&r)
                ),
            )
            .with_hint(fix),
        );
    }
}

/// "the Monday of Anti-Bullying Week" (or "Odd Socks Day is on the Monday"): the campaign
/// named, in its occurrence nearest the item's publish date, must be on a Monday.
fn weekday_of(
    out: &mut Diagnostics,
    n: &NewsItem,
    calendar: &crate::calendar::Calendar<'_>,
    w: &prose_dates::WeekdayOf,
) {
    let titled = |c: &&crate::config::Campaign| !c.title.is_empty();
    let Some(c) = (match w.name {
        prose_dates::NamedAt::After(at) => {
            let named = n.body[at..].to_lowercase();
            calendar
                .campaigns()
                .iter()
                .filter(titled)
                .filter(|c| named.starts_with(&c.title.to_lowercase()))
                .max_by_key(|c| c.title.len())
        }
        prose_dates::NamedAt::Before(from) => {
            // The campaign named last before "on the …", the longest title at one place.
            let sentence = n.body[from..w.start].to_lowercase();
            calendar
                .campaigns()
                .iter()
                .filter(titled)
                .filter_map(|c| sentence.rfind(&c.title.to_lowercase()).map(|at| (at, c)))
                .max_by_key(|(at, c)| (*at, c.title.len()))
                .map(|(_, c)| c)
        }
    }) else {
        return;
    };
    let around = Duration::days(400);
    let Some(o) = calendar
        .between(n.publish - around, n.publish + around)
        .into_iter()
        .filter(|o| o.campaign == c.id)
        .min_by_key(|o| (o.start - n.publish).num_days().abs())
    else {
        return;
    };
    if o.start
        .iter_days()
        .take_while(|d| *d <= o.end)
        .any(|d| d.weekday() == w.weekday)
    {
        return;
    }
    out.push(
        Diagnostic::warning(
            &n.path,
            n.body_position(w.start),
            if o.start == o.end {
                format!(
                    "{} {} is on {}, not a {}",
                    c.title,
                    o.start.year(),
                    long(o.start),
                    crate::dates::weekday_name(w.weekday)
                )
            } else {
                format!(
                    "{} {} runs from {} to {}: it has no {}",
                    c.title,
                    o.start.year(),
                    long(o.start),
                    long(o.end),
                    crate::dates::weekday_name(w.weekday)
                )
            },
        )
        .with_hint(format!(
            "name a day the campaign is on, or check the campaign's dates in {}",
            c.path.file_name().map_or_else(String::new, |f| format!(
                "campaigns/{}",
                f.to_string_lossy()
            ))
        )),
    );
}
