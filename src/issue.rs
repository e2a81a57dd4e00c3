//! Assembling one issue of a bulletin for a date: which news items, which campaigns (on now,
//! coming up, always-on), which standing blocks, in the bulletin's order. Pure: it takes the
//! project and the date, reads no clock and no files.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;

use crate::calendar::{Calendar, Occurrence, OccurrenceKind};
use crate::config::{Bulletin, CAMPAIGNS_SECTION, Project};

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
                SectionBody::News(items) => format!("{} ({})", s.title, items.len()),
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
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CampaignsSection {
    pub on_now: Vec<CampaignEntry>,
    pub coming_up: Vec<CampaignEntry>,
    pub always_on: Vec<CampaignEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignEntry {
    pub campaign: String,
    pub title: String,
    /// For people: "Mon 18 – Fri 22 Nov 2024", "Wed 9 Dec 2026, 10:00–11:30".
    pub when: Option<String>,
    pub summary: String,
    pub url: Option<String>,
    pub is_event: bool,
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

/// The first fire on or after the start of `date` (after the policy).
pub fn next_fire_on_or_after(bulletin: &Bulletin, tz: Tz, date: NaiveDate) -> Option<DateTime<Tz>> {
    let probe = (start_of_day(tz, date) - Duration::seconds(1)).with_timezone(&chrono::Utc);
    crate::schedule::issue_fires_after(bulletin, tz, probe)
        .next()
        .map(|p| p.at)
}

/// Local midnight, or the first instant of the day where midnight falls in a DST gap.
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Tz> {
    let mut t = date.and_time(NaiveTime::MIN);
    for _ in 0..48 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt;
        }
        t += Duration::minutes(30);
    }
    tz.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

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

pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "1 December 2026".
pub fn long_date(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

fn entry(project: &Project, o: Option<&Occurrence>, id: &str) -> Option<CampaignEntry> {
    let c = project.campaign(id)?;
    Some(CampaignEntry {
        campaign: id.to_string(),
        title: c.title.clone(),
        when: o.map(crate::calendar::human::when),
        summary: c.summary.clone(),
        url: c.url.clone(),
        is_event: o.is_some_and(|o| o.kind == OccurrenceKind::Event),
    })
}

/// Assemble the issue of `bulletin` for `date`.
pub fn assemble(project: &Project, bulletin: &Bulletin, date: NaiveDate) -> Issue {
    let tz = project.settings.organisation.time_zone;
    let scheduled = fire_on(bulletin, tz, date).unwrap_or_else(|| start_of_day(tz, date));
    let period_start = previous_fire(bulletin, tz, date)
        .map(|p| p.date_naive() + Duration::days(1))
        .unwrap_or(NaiveDate::MIN);
    let calendar = Calendar::new(&project.campaigns, tz);
    let mut sections = Vec::new();
    for sid in &bulletin.sections {
        let sid = sid.as_str();
        if sid == CAMPAIGNS_SECTION {
            let mut c = CampaignsSection::default();
            for o in calendar.on(date) {
                c.on_now
                    .extend(entry(project, Some(&o), o.campaign.as_str()));
            }
            for o in calendar.starting_within(date, bulletin.campaign_lookahead_days) {
                c.coming_up
                    .extend(entry(project, Some(&o), o.campaign.as_str()));
            }
            let n = ordinal(bulletin, tz, date);
            for ev in calendar.evergreen() {
                let every = u64::from(ev.evergreen.unwrap_or(1).max(1));
                if n.is_multiple_of(every) {
                    c.always_on.extend(entry(project, None, ev.id.as_str()));
                }
            }
            if !(c.on_now.is_empty() && c.coming_up.is_empty() && c.always_on.is_empty()) {
                sections.push(Section {
                    anchor: "campaigns".into(),
                    title: CAMPAIGNS_TITLE.into(),
                    body: SectionBody::Campaigns(c),
                });
            }
        } else if let Some(sec) = project
            .settings
            .sections
            .iter()
            .find(|s| s.id.as_str() == sid)
        {
            let items: Vec<NewsEntry> = project
                .news
                .iter()
                .filter(|n| n.section.value == sid)
                .filter(|n| {
                    n.bulletins.is_empty()
                        || n.bulletins.iter().any(|b| b.value == bulletin.id.as_str())
                })
                .filter(|n| {
                    n.publish <= date
                        && (n.publish >= period_start
                            || n.until.as_ref().is_some_and(|u| u.value >= date))
                })
                .map(|n| NewsEntry {
                    anchor: format!("item-{}", n.id),
                    title: n.title.clone(),
                    markdown: n.body.clone(),
                    url: n.url.clone(),
                })
                .collect();
            if !items.is_empty() {
                sections.push(Section {
                    anchor: format!("section-{sid}"),
                    title: sec.title.clone(),
                    body: SectionBody::News(items),
                });
            }
        } else if let Some(block) = project.blocks.get(sid) {
            sections.push(Section {
                anchor: format!("block-{sid}"),
                title: block.title.clone(),
                body: SectionBody::Block {
                    markdown: block.body.clone(),
                },
            });
        }
    }
    Issue {
        bulletin_id: bulletin.id.to_string(),
        bulletin_name: bulletin.name.clone(),
        date,
        scheduled,
        period_start,
        subject: subject(&bulletin.subject, date),
        sections,
    }
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
