//! The calendar as a page and as an iCalendar feed, and past issues and news items as an Atom
//! feed (an item from its publish day, linking to its place on its month's news page).

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate};

use super::offload::{busy, off_the_async_threads};
use super::state::AppState;

#[derive(Debug, serde::Deserialize)]
pub struct CalendarQuery {
    /// `YYYY-MM`.
    month: Option<String>,
    /// `list` for the list view.
    view: Option<String>,
    /// One of the strategy's themes (`neglect`): only its campaigns are shown.
    theme: Option<String>,
}

/// The years `?month=` may name: wide enough for any partnership's planning, narrow enough that
/// every date sum the page does (weeks around the month, job fires, a year's campaigns) stays
/// far inside chrono's range, which panics or fails near its ends.
pub const MONTH_YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// `YYYY-MM` as the first of that month, only for years in [`MONTH_YEARS`].
pub fn parse_month(m: &str) -> Option<NaiveDate> {
    let (y, mo) = m.split_once('-')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(mo, 2) {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    if !MONTH_YEARS.contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, mo.parse().ok()?, 1)
}

pub async fn calendar_page(State(s): State<AppState>, Query(q): Query<CalendarQuery>) -> Response {
    let live = s.live();
    let today = live.project.local(s.clock.now_utc()).date_naive();
    let month = match q.month.as_deref() {
        None | Some("") => today,
        Some(m) => match parse_month(m) {
            Some(d) => d,
            None => {
                return super::state::error_page(
                    &s,
                    StatusCode::BAD_REQUEST,
                    "No such month",
                    &format!(
                        "Months are written like 2026-11, for a year from {} to {}.",
                        MONTH_YEARS.start(),
                        MONTH_YEARS.end()
                    ),
                );
            }
        },
    };
    let list = q.view.as_deref() == Some("list");
    // An unknown theme shows everything rather than an empty month.
    let theme = q
        .theme
        .as_deref()
        .and_then(|t| crate::themes::Theme::parse(t).ok());
    let held: Vec<(String, NaiveDate)> = s
        .store
        .held_fires()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|h| h.issue().map(|(id, date)| (id.to_string(), date)))
        .collect();
    let project = live.project.clone();
    let page = off_the_async_threads(move || {
        super::calendar_page::calendar_page_for(&project, month, today, list, theme, &held)
            .into_string()
    })
    .await;
    match page {
        Some(body) => Html(body).into_response(),
        None => busy(&s),
    }
}

pub async fn calendar_ics(State(s): State<AppState>) -> Response {
    let live = s.live();
    let p = &live.project;
    let now = s.clock.now_utc();
    let today = p.local(now).date_naive();
    let tz = p.settings.organisation.time_zone;
    let from = NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today);
    let to = today.checked_add_months(Months::new(24)).unwrap_or(today);
    let project = live.project.clone();
    let ics = off_the_async_threads(move || {
        let p = &project;
        let cal = crate::calendar::Calendar::new(&p.campaigns, tz);
        crate::calendar::ics::to_ics(
            &cal.between(from, to),
            &p.campaigns,
            &p.settings.organisation,
            now,
        )
    })
    .await;
    let Some(ics) = ics else {
        return busy(&s);
    };
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"calendar.ics\"",
            ),
        ],
        ics,
    )
        .into_response()
}

use super::xml::escape as xml;

/// An issue's contents for a feed reader, from its stored plain-text part (what was sent, not
/// what the files say now): "In this issue: Partnership news; Campaigns, events and weeks of
/// action; Worried about a child?". Empty when the text has no contents list.
pub fn summary(text: &str) -> String {
    let mut lines = text.lines().skip_while(|l| *l != "In this issue");
    if lines.next().is_none() {
        return String::new();
    }
    let items: Vec<&str> = lines
        .skip_while(|l| l.starts_with('-') && !l.starts_with("- "))
        .map_while(|l| l.strip_prefix("- "))
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!("In this issue: {}.", items.join("; "))
}

/// When a feed with no issues yet last changed: its settings file's modification time (the feed
/// is what the settings describe until the first issue goes), rather than 1970.
fn set_up_at(p: &crate::config::Project) -> i64 {
    std::fs::metadata(&p.config_path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64)
}

/// The feed's own elements, up to its first entry: title, id, links, when it last changed
/// (`updated`, RFC 3339) and author.
fn feed_head(p: &crate::config::Project, host: &str, updated: &str) -> String {
    let base = &p.settings.web.public_url;
    let org = &p.settings.organisation;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en-GB\">\n",
    );
    out.push_str(&format!("  <title>{} news</title>\n", xml(&org.name)));
    out.push_str(&format!("  <id>tag:{},2024:bulletin</id>\n", xml(host)));
    out.push_str(&format!(
        "  <link rel=\"self\" href=\"{}/feed.atom\"/>\n",
        xml(base)
    ));
    out.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}/archive/\"/>\n",
        xml(base)
    ));
    out.push_str(&format!("  <updated>{updated}</updated>\n"));
    out.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        xml(&org.name)
    ));
    out
}

pub async fn atom(State(s): State<AppState>) -> Response {
    let live = s.live();
    let p = &live.project;
    let base = &p.settings.web.public_url;
    let org = &p.settings.organisation;
    let host = crate::calendar::ics::host_of(&org.website);
    let entries = s.store.archive().await.unwrap_or_default();
    let stamp = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let today = p.local(s.clock.now_utc()).date_naive();
    let items = feed_items(p, today);
    let updated = entries
        .iter()
        .map(|e| e.first_sent.secs())
        .chain(items.first().map(|(n, _)| published_at(p, n)))
        .max()
        .unwrap_or_else(|| set_up_at(p));
    let mut out = feed_head(p, &host, &stamp(updated));
    for e in &entries {
        let url = format!("{base}/archive/{}/{}", e.bulletin, e.date);
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <title>{}</title>\n", xml(&e.subject)));
        out.push_str(&format!(
            "    <id>tag:{},{}:{}</id>\n",
            xml(&host),
            xml(&e.date.to_string()),
            xml(e.bulletin.as_str())
        ));
        out.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml(&url)
        ));
        out.push_str(&format!(
            "    <updated>{}</updated>\n",
            stamp(e.first_sent.secs())
        ));
        out.push_str(&format!(
            "    <published>{}</published>\n",
            stamp(e.first_sent.secs())
        ));
        let contents = match s
            .store
            .find_issue(&e.bulletin, e.date, crate::store::IssueKind::Issue)
            .await
        {
            Ok(Some(row)) => row
                .rendered
                .read()
                .map(|r| summary(&r.text))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let contents = if contents.is_empty() {
            format!("{}: the issue of {}.", e.subject, e.date)
        } else {
            contents
        };
        out.push_str(&format!("    <summary>{}</summary>\n", xml(&contents)));
        out.push_str("  </entry>\n");
    }
    for (n, b) in &items {
        out.push_str(&item_entry(p, n, b, &host));
    }
    out.push_str("</feed>\n");
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        out,
    )
        .into_response()
}

/// How many news items the feed lists, newest first.
const FEED_ITEMS: usize = 50;

/// The news items published by `today`, newest first, each with the first bulletin that
/// carries it (its month page is the item's address); at most [`FEED_ITEMS`].
fn feed_items(
    p: &crate::config::Project,
    today: NaiveDate,
) -> Vec<(&crate::config::NewsItem, &crate::ids::BulletinId)> {
    let mut items: Vec<_> = p
        .news
        .iter()
        .filter(|n| n.publish <= today)
        .filter_map(|n| {
            p.settings
                .bulletins
                .iter()
                .find(|b| crate::news_window::carries(b, n))
                .map(|b| (n, &b.id))
        })
        .collect();
    items.sort_by_key(|(n, _)| std::cmp::Reverse(n.publish));
    items.truncate(FEED_ITEMS);
    items
}

/// When an item was published: the start of its `publish` day in the organisation's time zone.
fn published_at(p: &crate::config::Project, n: &crate::config::NewsItem) -> i64 {
    crate::dates::start_of_day(p.settings.organisation.time_zone, n.publish).timestamp()
}

/// One news item as a feed entry: its title, its place on its month's page, its publish day
/// and its first paragraph.
fn item_entry(
    p: &crate::config::Project,
    n: &crate::config::NewsItem,
    bulletin: &crate::ids::BulletinId,
    host: &str,
) -> String {
    let base = &p.settings.web.public_url;
    let url = format!(
        "{base}{}#{}",
        super::news_page::month_path(bulletin, n.publish),
        n.id
    );
    let when = chrono::DateTime::from_timestamp(published_at(p, n), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let summary = crate::markdown::parse(&n.body)
        .iter()
        .find_map(|b| match b {
            crate::markdown::Block::Para(i) => Some(crate::markdown::plain(i)),
            _ => None,
        })
        .unwrap_or_else(|| n.title.clone());
    format!(
        "  <entry>\n    <title>{}</title>\n    <id>tag:{},{}:news/{}</id>\n    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n    <updated>{when}</updated>\n    <published>{when}</published>\n    <summary>{}</summary>\n  </entry>\n",
        xml(&n.title),
        xml(host),
        n.publish,
        xml(&n.id),
        xml(&url),
        xml(&summary)
    )
}

#[cfg(test)]
mod tests {
    use super::parse_month;
    use chrono::NaiveDate;

    #[test]
    fn months_are_parsed_strictly_and_within_range() {
        assert_eq!(parse_month("2026-11"), NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!(parse_month("1900-01"), NaiveDate::from_ymd_opt(1900, 1, 1));
        assert_eq!(parse_month("9999-12"), NaiveDate::from_ymd_opt(9999, 12, 1));
        for bad in [
            "-262143-01",
            "262143-01",
            "1899-12",
            "+2026-11",
            "2026-13",
            "2026-00",
            "2026-1",
            "2026",
            "2026-11-01",
            "abcd-ef",
        ] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }
}
