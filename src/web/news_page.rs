//! The month's news page, `/news/<bulletin>/<YYYY-MM>`: the items a bulletin carries that were
//! published in that month, newest first, each with its date and the email issue that carries
//! it, and the month's campaigns, like the partnership's own "News from November 2019" pages.
//!
//! The page fills through the month as the partnership's pages do: an item shows from its
//! `publish` day in the organisation's time zone, never before, while the email goes at the
//! start of the month. Which issue carries an item is [`crate::news_window::first_issue`], the
//! rule the sender uses, so the page never names an issue the email does not match. Pure core:
//! [`news_page`] takes `today` and the sent issues; only [`month`] reads the clock and ledger.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, Days, Months, NaiveDate};
use maud::{Markup, html};

use super::layout::page;
use super::state::{AppState, error_page};
use crate::calendar::{Calendar, Occurrence, human};
use crate::config::{Bulletin, NewsItem, Project};
use crate::dates::MONTHS;
use crate::ids::BulletinId;
use crate::issue::long_date;
use crate::news_window::{carries, first_issue};

/// One item on the page: the item and the date of the issue that first carries it.
#[derive(Debug, Clone)]
pub struct MonthItem<'a> {
    pub item: &'a NewsItem,
    pub issue: Option<NaiveDate>,
}

/// "November 2019".
pub fn month_name(month: NaiveDate) -> String {
    format!("{} {}", MONTHS[month.month0() as usize], month.year())
}

/// `/news/<bulletin>/<YYYY-MM>` for the month holding `day`.
pub fn month_path(bulletin: &BulletinId, day: NaiveDate) -> String {
    format!("/news/{bulletin}/{}", day.format("%Y-%m"))
}

/// The first and last days of the month holding `day`.
fn month_bounds(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let last = first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.checked_sub_days(Days::new(1)))
        .unwrap_or(first);
    (first, last)
}

/// The items `b` carries that were published in the month holding `month` and by `today`,
/// newest first (items of one day in file order).
pub fn month_items<'a>(
    project: &'a Project,
    b: &Bulletin,
    month: NaiveDate,
    today: NaiveDate,
) -> Vec<MonthItem<'a>> {
    let tz = project.settings.organisation.time_zone;
    let (first, last) = month_bounds(month);
    let mut items: Vec<MonthItem<'a>> = project
        .news
        .iter()
        .filter(|n| carries(b, n) && n.publish >= first && n.publish <= last.min(today))
        .map(|n| MonthItem {
            item: n,
            issue: first_issue(b, tz, n),
        })
        .collect();
    items.sort_by_key(|m| std::cmp::Reverse(m.item.publish));
    items
}

/// The campaigns, weeks and events on at some time in the month holding `month`.
pub fn month_campaigns(project: &Project, month: NaiveDate) -> Vec<Occurrence> {
    let (first, last) = month_bounds(month);
    let tz = project.settings.organisation.time_zone;
    let mut os = Calendar::new(&project.campaigns, tz).between(first, last);
    os.sort_by_key(|o| (o.start, o.title.clone()));
    os
}

/// The whole page for bulletin `b` and the month holding `month`, as seen on `today` (the
/// organisation's local date); `sent` holds the dates of `b`'s issues in the archive.
pub fn news_page(
    project: &Project,
    b: &Bulletin,
    month: NaiveDate,
    today: NaiveDate,
    sent: &[NaiveDate],
) -> Markup {
    let items = month_items(project, b, month, today);
    let campaigns = month_campaigns(project, month);
    let id = &b.id;
    let title = format!("News from {}", month_name(month));
    page(
        &project.settings.organisation,
        &title,
        html! {
            p { "What " (b.name) " published in " (month_name(month)) ", newest first. Each item says which email carries it." }
            @if items.is_empty() {
                p { "Nothing has been published this month so far." }
            }
            @for m in &items {
                (item(id, m, today, sent))
            }
            section aria-labelledby="month-campaigns" {
                h2 id="month-campaigns" { "Campaigns and events in " (month_name(month)) }
                @if campaigns.is_empty() {
                    p { "No campaigns or events this month." }
                } @else {
                    ul {
                        @for o in &campaigns {
                            li { strong { (o.title) } ": " (human::when(o)) }
                        }
                    }
                }
                p { a href={ "/calendar?month=" (month.format("%Y-%m")) } { "The campaign calendar for " (month_name(month)) } }
            }
            (months_nav(id, month, today))
        },
    )
}

/// One item: its title, publish date, body, link, and the email that carries it.
fn item(bulletin: &BulletinId, m: &MonthItem<'_>, today: NaiveDate, sent: &[NaiveDate]) -> Markup {
    let n = m.item;
    let blocks = crate::markdown::parse(&n.body);
    html! {
        article id=(n.id) aria-labelledby={ "h-" (n.id) } {
            h2 id={ "h-" (n.id) } { (n.title) }
            p class="muted" { "Published " time datetime=(n.publish) { (long_date(n.publish)) } }
            (crate::render::html::blocks(&blocks, 2))
            @if let Some(u) = &n.url {
                p { a href=(u) { "More about " (n.title) } }
            }
            @if let Some(d) = m.issue {
                p class="muted" {
                    @if sent.contains(&d) {
                        "Sent in "
                        a href={ "/archive/" (bulletin) "/" (d) } { "the email of " (long_date(d)) }
                        "."
                    } @else if d > today {
                        "Goes out in the email of " (long_date(d)) "."
                    } @else {
                        "Carried by the email of " (long_date(d)) "."
                    }
                }
            }
        }
    }
}

/// Links to the month before and, when it has begun, the month after.
fn months_nav(bulletin: &BulletinId, month: NaiveDate, today: NaiveDate) -> Markup {
    let prev = month.checked_sub_months(Months::new(1));
    let next = month
        .checked_add_months(Months::new(1))
        .filter(|d| *d <= today);
    html! {
        nav aria-label="Other months" {
            ul {
                @if let Some(p) = prev {
                    li { a href=(month_path(bulletin, p)) { "News from " (month_name(p)) } }
                }
                @if let Some(n) = next {
                    li { a href=(month_path(bulletin, n)) { "News from " (month_name(n)) } }
                }
                li { a href="/feed.atom" { "Follow new items with a feed reader (Atom)" } }
            }
        }
    }
}

/// `GET /news/{bulletin}/{month}`: a month up to the current one; later months have nothing
/// published yet.
pub async fn month(
    State(s): State<AppState>,
    Path((bulletin, month)): Path<(String, String)>,
) -> Response {
    let not_found =
        |sentence: &str| error_page(&s, StatusCode::NOT_FOUND, "News not found", sentence);
    let live = s.live();
    let project = live.project.clone();
    let Some(b) = crate::ids::BulletinId::parse(&bulletin)
        .ok()
        .and_then(|id| project.bulletin(id.as_str()).map(|b| b.id.clone()))
    else {
        return not_found("There is no news at this address.");
    };
    // `YYYY-MM`, as the first of that month.
    let first = (month.len() == 7).then(|| format!("{month}-01"));
    let Some(month) = first.as_deref().and_then(crate::dates::path_date) else {
        return not_found("Months are written like 2019-11.");
    };
    let today = project.local(s.clock.now_utc()).date_naive();
    if month > today {
        return not_found("Nothing has been published for this month yet.");
    }
    let sent: Vec<NaiveDate> = s
        .store
        .archive()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.bulletin == b)
        .map(|e| e.date)
        .collect();
    let body = super::offload::off_the_async_threads(move || {
        let bulletin = project.bulletin(b.as_str())?;
        Some(news_page(&project, bulletin, month, today, &sent).into_string())
    })
    .await
    .flatten();
    match body {
        Some(body) => Html(body).into_response(),
        None => super::offload::busy(&s),
    }
}

/// The months whose news the issue of `b` dated `date` first carried, oldest first: what the
/// archived issue links back to.
pub fn issue_months(project: &Project, b: &Bulletin, date: NaiveDate) -> Vec<NaiveDate> {
    let tz = project.settings.organisation.time_zone;
    let mut months: Vec<NaiveDate> = project
        .news
        .iter()
        .filter(|n| carries(b, n) && first_issue(b, tz, n) == Some(date))
        .map(|n| month_bounds(n.publish).0)
        .collect();
    months.sort();
    months.dedup();
    months
}

/// An archived issue's web page with a row linking to the month pages of the news it carried,
/// where the email has its "view in your browser" row, styled as that row is (the issue's own
/// stylesheet, dark mode included). The page unchanged when it carried no news.
pub fn with_month_links(html: String, bulletin: &BulletinId, months: &[NaiveDate]) -> String {
    let Some(at) = html
        .find("class=\"masthead\"")
        .and_then(|m| html[..m].rfind("<tr"))
    else {
        return html;
    };
    if months.is_empty() {
        return html;
    }
    let row = html! {
        tr { td class="browser" style="padding: 8px 24px;font-size: 14px;text-align: right;background-color: #ffffff;" {
            @for (i, m) in months.iter().enumerate() {
                @if i > 0 { " · " }
                a href=(month_path(bulletin, *m)) style="color: #1d4ed8;text-decoration: underline;" {
                    "News published in " (month_name(*m))
                }
            }
        } }
    };
    format!("{}{}{}", &html[..at], row.into_string(), &html[at..])
}
