//! Assembling one issue of a bulletin for a date: which news items, which campaigns (on now,
//! coming up, always-on), which standing blocks, in the bulletin's order; and a campaign's
//! announcement, a short issue of its own. Also the bulletin's fires around a date and its
//! subject line, which the issue is dated and titled by. Pure: it takes the project and the
//! date, reads no clock and no files.

use chrono::{DateTime, Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

use crate::calendar::{Calendar, Occurrence, OccurrenceKind};
use crate::config::{Bulletin, CAMPAIGNS_SECTION, EventDetails, NewsItem, Project, YearContent};
use crate::dates::MONTHS;
use crate::themes::Theme;

/// The heading of the built-in calendar section.
pub const CAMPAIGNS_TITLE: &str = "Campaigns, events and weeks of action";

/// One issue, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub bulletin_id: String,
    pub bulletin_name: String,
    pub date: NaiveDate,
    /// When it is scheduled to go (the fire on `date`, or the start of that day).
    pub scheduled: DateTime<Tz>,
    /// The day after the previous issue: news published from then on is new in this one.
    pub period_start: NaiveDate,
    pub subject: String,
    pub sections: Vec<Section>,
}

impl Issue {
    /// A short summary for people: section titles with their item counts.
    pub fn summary(&self) -> String {
        self.sections
            .iter()
            .map(|s| match &s.body {
                SectionBody::News(items) => format!(
                    "{} ({}: {})",
                    s.title,
                    items.len(),
                    items
                        .iter()
                        .map(|n| n.title.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                SectionBody::Campaigns(c) => format!(
                    "{} ({} on now, {} coming up{})",
                    s.title,
                    c.on_now.len(),
                    c.coming_up.len(),
                    if c.always_on.is_empty() {
                        String::new()
                    } else {
                        format!(", {} always on", c.always_on.len())
                    }
                ),
                SectionBody::Block { .. } => s.title.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl Issue {
    /// The strategy's themes this issue carries (its news items' and campaigns'), in the
    /// strategy's order.
    pub fn themes(&self) -> Vec<Theme> {
        let mut out: Vec<Theme> = Vec::new();
        for s in &self.sections {
            let tags: Vec<Theme> = match &s.body {
                SectionBody::News(items) => items.iter().flat_map(|n| n.themes.clone()).collect(),
                SectionBody::Campaigns(c) => c
                    .entries()
                    .flat_map(|e| {
                        e.themes
                            .iter()
                            .chain(e.news.iter().flat_map(|n| &n.themes))
                            .copied()
                    })
                    .collect(),
                SectionBody::Block { .. } => Vec::new(),
            };
            out.extend(tags);
        }
        out.sort();
        out.dedup();
        out
    }

    /// What closes before the next issue, soonest first: (anchor, title, deadline). News items
    /// by their `deadline`, events by their `booking_deadline`; listed at the top of the issue.
    pub fn closing_soon(&self) -> Vec<(String, String, NaiveDate)> {
        let mut out = Vec::new();
        let news = |n: &NewsEntry| {
            n.deadline
                .filter(|_| n.closing_soon)
                .map(|d| (n.anchor.clone(), n.title.clone(), d))
        };
        for s in &self.sections {
            match &s.body {
                SectionBody::News(items) => out.extend(items.iter().filter_map(news)),
                SectionBody::Campaigns(c) => {
                    for e in c.entries() {
                        if let Some(d) = e.event.booking_deadline.filter(|_| e.closing_soon) {
                            out.push((e.anchor(), format!("Booking for {}", e.title), d));
                        }
                        out.extend(e.news.iter().filter_map(news));
                    }
                }
                SectionBody::Block { .. } => {}
            }
        }
        out.sort_by_key(|(_, _, d)| *d);
        out
    }

    /// [`Issue::themes`] as stored with the issue: comma-separated tags.
    pub fn theme_tags(&self) -> String {
        self.themes()
            .iter()
            .map(|t| t.id())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A section of an issue, with an anchor for the contents list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub anchor: String,
    pub title: String,
    pub body: SectionBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionBody {
    News(Vec<NewsEntry>),
    Campaigns(CampaignsSection),
    /// A standing block's Markdown.
    Block {
        markdown: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsEntry {
    pub anchor: String,
    pub title: String,
    pub markdown: String,
    pub url: Option<String>,
    pub themes: Vec<Theme>,
    /// When what it asks for closes.
    pub deadline: Option<NaiveDate>,
    /// The deadline falls before the next issue: the reader's last reminder.
    pub closing_soon: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CampaignsSection {
    pub on_now: Vec<CampaignEntry>,
    pub coming_up: Vec<CampaignEntry>,
    pub always_on: Vec<CampaignEntry>,
}

impl CampaignsSection {
    /// Every entry, in the order they are shown.
    pub fn entries(&self) -> impl Iterator<Item = &CampaignEntry> {
        self.on_now
            .iter()
            .chain(&self.coming_up)
            .chain(&self.always_on)
    }

    fn entry_mut(&mut self, campaign: &str) -> Option<&mut CampaignEntry> {
        self.on_now
            .iter_mut()
            .chain(&mut self.coming_up)
            .chain(&mut self.always_on)
            .find(|e| e.campaign == campaign)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignEntry {
    pub campaign: String,
    pub title: String,
    /// For people: "Mon 18 – Fri 22 Nov 2024", "Wed 9 Dec 2026, 10:00–11:30", or an event's
    /// sessions listed once: "Tue 3 and Thu 12 Dec 2026, 10:00–12:00".
    pub when: Option<String>,
    /// Markdown: the year's summary if the file has one, else the campaign's.
    pub summary: String,
    pub url: Option<String>,
    pub is_event: bool,
    /// The content of the year this entry is about (its occurrence's start year).
    pub year: Option<YearContent>,
    pub event: EventDetails,
    pub themes: Vec<Theme>,
    /// News items that name this campaign: shown inside this entry, not on their own.
    pub news: Vec<NewsEntry>,
    /// Booking closes before the next issue.
    pub closing_soon: bool,
}

impl CampaignEntry {
    /// Its in-page anchor (one entry per campaign, so unique in an issue).
    pub fn anchor(&self) -> String {
        format!("campaign-{}", self.campaign)
    }
}

/// The entry for a campaign: `occurrences` are the times this issue mentions (several sessions
/// of one event are one entry), `year` picks its year content.
pub fn campaign_entry(
    project: &Project,
    id: &str,
    occurrences: &[Occurrence],
    year: i32,
) -> Option<CampaignEntry> {
    let c = project.campaign(id)?;
    let content = c.year(year).cloned();
    Some(CampaignEntry {
        campaign: id.to_string(),
        title: c.title.clone(),
        when: (!occurrences.is_empty()).then(|| crate::calendar::human::sessions(occurrences)),
        summary: content
            .as_ref()
            .and_then(|y| y.summary.clone())
            .unwrap_or_else(|| c.summary.clone()),
        url: c.url.clone(),
        is_event: occurrences.iter().any(|o| o.kind == OccurrenceKind::Event),
        year: content,
        event: c.event.clone(),
        themes: c.themes.clone(),
        news: Vec::new(),
        closing_soon: false,
    })
}

/// The fire of `bulletin` on `date` (after its `on_non_working_day` policy), if it has one.
pub fn fire_on(bulletin: &Bulletin, tz: Tz, date: NaiveDate) -> Option<DateTime<Tz>> {
    next_fire_on_or_after(bulletin, tz, date).filter(|t| t.date_naive() == date)
}

/// The last fire strictly before `date` began (after the policy).
pub fn previous_fire(bulletin: &Bulletin, tz: Tz, date: NaiveDate) -> Option<DateTime<Tz>> {
    let start = start_of_day(tz, date).with_timezone(&chrono::Utc);
    crate::schedule::issue_fire_before(bulletin, tz, start).map(|p| p.at)
}

/// The first day whose news the issue of `date` carries: the day after the previous fire (the
/// earliest date there is when there was none).
pub fn window_start(bulletin: &Bulletin, tz: Tz, date: NaiveDate) -> NaiveDate {
    previous_fire(bulletin, tz, date).map_or(NaiveDate::MIN, |p| p.date_naive() + Duration::days(1))
}

/// The first fire on or after the start of `date` (after the policy).
pub fn next_fire_on_or_after(bulletin: &Bulletin, tz: Tz, date: NaiveDate) -> Option<DateTime<Tz>> {
    let probe = (start_of_day(tz, date) - Duration::seconds(1)).with_timezone(&chrono::Utc);
    crate::schedule::issue_fires_after(bulletin, tz, probe)
        .next()
        .map(|p| p.at)
}

pub use crate::dates::start_of_day;

/// The issue's ordinal among its schedule's fires since 2020 (for rotating always-on
/// campaigns into every Nth issue). Deterministic: the same date always gets the same number.
pub fn ordinal(bulletin: &Bulletin, tz: Tz, date: NaiveDate) -> u64 {
    let epoch = NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid");
    if date < epoch {
        return 0;
    }
    let t = start_of_day(tz, epoch).with_timezone(&chrono::Utc);
    let end = start_of_day(tz, date + Duration::days(1));
    crate::schedule::issue_fires_after(bulletin, tz, t)
        .take_while(|p| p.at < end)
        .count() as u64
}

/// The subject line: `{month}`, `{year}` and `{date}` filled in, in British English.
pub fn subject(template: &str, date: NaiveDate) -> String {
    template
        .replace("{month}", MONTHS[date.month0() as usize])
        .replace("{year}", &date.year().to_string())
        .replace("{date}", &long_date(date))
}

/// "1 December 2026".
pub fn long_date(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// The campaigns section: each campaign once, in the first group it belongs to (on now, then
/// coming up, then all year round); further sessions of an event join its entry.
fn campaigns_section(
    project: &Project,
    bulletin: &Bulletin,
    tz: Tz,
    date: NaiveDate,
) -> CampaignsSection {
    let calendar = Calendar::new(&project.campaigns, tz);
    let mut groups: [Vec<(String, Vec<Occurrence>)>; 2] = [Vec::new(), Vec::new()];
    let occurrences = calendar.on(date).into_iter().map(|o| (0, o)).chain(
        calendar
            .starting_within(date, bulletin.campaign_lookahead_days)
            .into_iter()
            .map(|o| (1, o)),
    );
    for (group, o) in occurrences {
        let id = o.campaign.to_string();
        match groups
            .iter_mut()
            .flat_map(|g| g.iter_mut())
            .find(|(c, _)| *c == id)
        {
            Some((_, sessions)) => sessions.push(o),
            None => groups[group].push((id, vec![o])),
        }
    }
    let [on_now, coming_up] = groups;
    let build = |list: Vec<(String, Vec<Occurrence>)>| -> Vec<CampaignEntry> {
        list.into_iter()
            .filter_map(|(id, sessions)| {
                let year = sessions.first().map_or(date.year(), |o| o.start.year());
                campaign_entry(project, &id, &sessions, year)
            })
            .collect()
    };
    let mut c = CampaignsSection {
        on_now: build(on_now),
        coming_up: build(coming_up),
        always_on: Vec::new(),
    };
    let n = ordinal(bulletin, tz, date);
    for ev in calendar.evergreen() {
        let every = u64::from(ev.evergreen.unwrap_or(1).max(1));
        if n.is_multiple_of(every) && c.entry_mut(ev.id.as_str()).is_none() {
            c.always_on
                .extend(campaign_entry(project, ev.id.as_str(), &[], date.year()));
        }
    }
    c
}

/// Whether `deadline` falls in `[date, next)`: this issue is the last before it passes.
fn closes_before(deadline: Option<NaiveDate>, date: NaiveDate, next: NaiveDate) -> bool {
    deadline.is_some_and(|d| d >= date && d < next)
}

/// A campaign's announcement for its occurrence starting on `start`: a short issue of its own
/// whose one section is that campaign, scheduled at `now`. `None` when the campaign is unknown
/// or has no occurrence starting that day.
pub fn announcement(
    project: &Project,
    campaign: &str,
    start: NaiveDate,
    now: DateTime<Tz>,
) -> Option<Issue> {
    let c = project.campaign(campaign)?;
    let cal = Calendar::new(&project.campaigns, project.settings.organisation.time_zone);
    let occ = cal
        .between(start, start)
        .into_iter()
        .find(|o| o.campaign.as_str() == campaign && o.start == start)?;
    let when = crate::calendar::human::when(&occ);
    let entry = campaign_entry(project, campaign, &[occ], start.year())?;
    Some(Issue {
        bulletin_id: campaign.to_string(),
        bulletin_name: c.title.clone(),
        date: start,
        scheduled: now,
        period_start: start,
        subject: format!("Coming up: {}, {when}", c.title),
        sections: vec![Section {
            anchor: "campaigns".into(),
            title: CAMPAIGNS_TITLE.into(),
            body: SectionBody::Campaigns(CampaignsSection {
                coming_up: vec![entry],
                ..CampaignsSection::default()
            }),
        }],
    })
}

/// Assemble the issue of `bulletin` for `date`.
pub fn assemble(project: &Project, bulletin: &Bulletin, date: NaiveDate) -> Issue {
    let tz = project.settings.organisation.time_zone;
    let scheduled = fire_on(bulletin, tz, date).unwrap_or_else(|| start_of_day(tz, date));
    let period = Period {
        date,
        start: window_start(bulletin, tz, date),
        // The day the next issue goes: deadlines before it are "closing soon" in this one.
        next: bulletin
            .schedule
            .next_after(&scheduled.max(start_of_day(tz, date + Duration::days(1))))
            .map_or(date + Duration::days(31), |t| t.date_naive()),
    };
    let mut campaigns = bulletin
        .sections
        .iter()
        .any(|s| s.as_str() == CAMPAIGNS_SECTION)
        .then(|| campaigns_section(project, bulletin, tz, date));
    if let Some(c) = &mut campaigns {
        for e in c
            .on_now
            .iter_mut()
            .chain(&mut c.coming_up)
            .chain(&mut c.always_on)
        {
            e.closing_soon = period.closes_before(e.event.booking_deadline);
        }
    }
    let mut sections: Vec<Section> = bulletin
        .sections
        .iter()
        .filter_map(|sid| section(project, bulletin, sid.as_str(), &period, &mut campaigns))
        .collect();
    if let Some(c) = campaigns {
        for s in &mut sections {
            if matches!(s.body, SectionBody::Campaigns(_)) {
                s.body = SectionBody::Campaigns(c.clone());
            }
        }
    }
    // Empty sections are left out.
    sections.retain(|s| match &s.body {
        SectionBody::News(items) => !items.is_empty(),
        SectionBody::Campaigns(c) => c.entries().next().is_some(),
        SectionBody::Block { .. } => true,
    });
    Issue {
        bulletin_id: bulletin.id.to_string(),
        bulletin_name: bulletin.name.clone(),
        date,
        scheduled,
        period_start: period.start,
        subject: subject(&bulletin.subject, date),
        sections,
    }
}

/// The days an issue covers: news published from `start` to `date` is new in it, and a
/// deadline before `next` (the day the next issue goes) is closing soon.
struct Period {
    date: NaiveDate,
    start: NaiveDate,
    next: NaiveDate,
}

impl Period {
    fn closes_before(&self, deadline: Option<NaiveDate>) -> bool {
        closes_before(deadline, self.date, self.next)
    }

    /// Published by the issue's date, and either new since the last issue or still running.
    fn carries(&self, n: &NewsItem) -> bool {
        n.publish <= self.date
            && (n.publish >= self.start || n.until.as_ref().is_some_and(|u| u.value >= self.date))
    }
}

/// The section `sid` of the bulletin, `None` when the id names nothing. The calendar section is
/// left empty here (filled once every news item has found its place); a news item about a
/// campaign in `campaigns` goes into that campaign's entry instead of its section.
fn section(
    project: &Project,
    bulletin: &Bulletin,
    sid: &str,
    period: &Period,
    campaigns: &mut Option<CampaignsSection>,
) -> Option<Section> {
    if sid == CAMPAIGNS_SECTION {
        return Some(Section {
            anchor: "campaigns".into(),
            title: CAMPAIGNS_TITLE.into(),
            body: SectionBody::Campaigns(CampaignsSection::default()),
        });
    }
    if let Some(sec) = project
        .settings
        .sections
        .iter()
        .find(|s| s.id.as_str() == sid)
    {
        let mut items = Vec::new();
        for n in project
            .news
            .iter()
            .filter(|n| n.section.value == sid)
            .filter(|n| n.goes_to(bulletin.id.as_str()))
            .filter(|n| period.carries(n))
        {
            let entry = news_entry(n, period);
            let home = n.campaign.as_ref().and_then(|cid| {
                campaigns
                    .as_mut()
                    .and_then(|c| c.entry_mut(cid.value.as_str()))
            });
            match home {
                Some(e) => join_campaign(e, entry),
                None => items.push(entry),
            }
        }
        return Some(Section {
            anchor: format!("section-{sid}"),
            title: sec.title.clone(),
            body: SectionBody::News(items),
        });
    }
    project.blocks.get(sid).map(|block| Section {
        anchor: format!("block-{sid}"),
        title: block.title.clone(),
        body: SectionBody::Block {
            markdown: block.body.clone(),
        },
    })
}

fn news_entry(n: &NewsItem, period: &Period) -> NewsEntry {
    NewsEntry {
        anchor: format!("item-{}", n.id),
        title: n.title.clone(),
        markdown: n.body.clone(),
        url: n.url.clone(),
        themes: n.themes.clone(),
        deadline: n.deadline,
        closing_soon: period.closes_before(n.deadline),
    }
}

/// A news item inside its campaign's entry: its themes join the campaign's, so the entry names
/// each once.
fn join_campaign(e: &mut CampaignEntry, mut entry: NewsEntry) {
    for t in std::mem::take(&mut entry.themes) {
        if !e.themes.contains(&t) {
            e.themes.push(t);
        }
    }
    e.news.push(entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_british() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(
            subject("SSCP news: {month} {year}", d),
            "SSCP news: December 2026"
        );
        assert_eq!(subject("News for {date}", d), "News for 1 December 2026");
    }
}
