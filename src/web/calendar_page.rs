//! The campaign calendar page, `/calendar`: a month of the comms subgroup's year at a glance. A
//! month grid (a real table: caption, weekday column headers, one row a week) with each campaign
//! as a bar across its days, events with their times, and the bulletins' sends, proofs and
//! announcements marked in words; a key of what is on; what each issue going out this month will
//! carry; and the same month as a list. Pure: `today` is an argument, nothing reads a clock.
//!
//! No scripts and no inline styles (the Content-Security-Policy forbids both): everything is
//! classes, styled by the calendar section of `static/site.css`. Colour is never the only
//! carrier of meaning: every bar, event and mark says what it is in text.

use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};

use crate::calendar::{Calendar, Occurrence, OccurrenceKind, human};
use crate::config::Project;
use crate::issue::{self, CampaignEntry, SectionBody};
use crate::schedule::{Job, fires_in};
use crate::themes::Theme;

/// The page title (and `<h1>`).
pub const TITLE: &str = "Campaign calendar";

/// How many bar colours the stylesheet defines (`.c0` … `.c5`).
const COLOURS: usize = 6;

/// Weekday column headers: what is shown, and what a screen reader says.
const WEEKDAYS: [(&str, &str); 7] = [
    ("Mon", "Monday"),
    ("Tue", "Tuesday"),
    ("Wed", "Wednesday"),
    ("Thu", "Thursday"),
    ("Fri", "Friday"),
    ("Sat", "Saturday"),
    ("Sun", "Sunday"),
];

/// The whole page for the month holding `month` (any day of it), as seen on `today` (the
/// organisation's local date), as a month grid or, with `list_view`, as a list.
pub fn calendar_page(
    project: &Project,
    month: NaiveDate,
    today: NaiveDate,
    list_view: bool,
) -> Markup {
    calendar_page_for(project, month, today, list_view, None, &[])
}

/// [`calendar_page`], with a notice of the issues held for approval: (bulletin id, issue date).
pub fn calendar_page_with_held(
    project: &Project,
    month: NaiveDate,
    today: NaiveDate,
    list_view: bool,
    held: &[(String, NaiveDate)],
) -> Markup {
    calendar_page_for(project, month, today, list_view, None, held)
}

/// The page with only the campaigns and events tagged with `theme` (`?theme=neglect`), so a
/// subgroup lead sees their theme's year; bulletins and announcements are shown as ever. `held`
/// lists the issues held for approval: (bulletin id, issue date).
pub fn calendar_page_for(
    project: &Project,
    month: NaiveDate,
    today: NaiveDate,
    list_view: bool,
    theme: Option<Theme>,
    held: &[(String, NaiveDate)],
) -> Markup {
    let mut v = View::new(project, month, today);
    if let Some(t) = theme {
        v.occurrences.retain(|o| {
            project
                .campaign(o.campaign.as_str())
                .is_some_and(|c| c.themes.contains(&t))
        });
    }
    v.theme = theme;
    let name_of = |id: &str| {
        project
            .bulletin(id)
            .map_or_else(|| id.to_string(), |b| b.name.clone())
    };
    let main = html! {
        @if !held.is_empty() {
            section class="notice" aria-labelledby="held-heading" {
                h2 id="held-heading" { "Awaiting approval" }
                ul { @for (b, d) in held {
                    li { "The " (name_of(b)) " issue for " (human::date(*d))
                        " is held until an editor approves it; nothing has been sent yet." }
                } }
            }
        }
        p {
            "Awareness weeks, campaigns and events, and when each bulletin, its proof and each "
            "campaign announcement goes out. Times are UK time (" (v.tz.name()) ")."
        }
        (v.nav(list_view))
        (v.theme_filter(list_view))
        @if list_view {
            (v.agenda())
        } @else {
            (v.grid())
        }
        (v.key())
        (v.carries())
    };
    super::layout::page(&project.settings.organisation, TITLE, main)
}

/// What is marked on a day besides campaigns and events: a daemon job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum MarkKind {
    Proof,
    Send,
    Announcement,
}

/// One job fire in the month, ready to show.
#[derive(Debug, Clone)]
struct Mark {
    kind: MarkKind,
    at: DateTime<Tz>,
    /// The bulletin's name, or the announced campaign's title.
    name: String,
    /// The bulletin's id (sends and proofs).
    bulletin: Option<crate::ids::BulletinId>,
    /// The issue date (sends and proofs) or the occurrence's first day (announcements).
    date: Option<NaiveDate>,
}

impl Mark {
    fn day(&self) -> NaiveDate {
        self.at.date_naive()
    }

    /// "Send: SSCP news", "Proof: SSCP news", "Announcement: Safeguarding Adults Week".
    fn label(&self) -> String {
        let kind = match self.kind {
            MarkKind::Send => "Send",
            MarkKind::Proof => "Proof",
            MarkKind::Announcement => "Announcement",
        };
        format!("{kind}: {}", self.name)
    }

    fn class(&self) -> &'static str {
        match self.kind {
            MarkKind::Send => "mark send",
            MarkKind::Proof => "mark proof",
            MarkKind::Announcement => "mark announce",
        }
    }

    /// What a proof is for, or when an announced campaign starts, when that is not obvious.
    fn detail(&self) -> Option<String> {
        match (self.kind, self.date) {
            (MarkKind::Proof, Some(d)) => Some(format!("for the issue of {}", human::date(d))),
            (MarkKind::Announcement, Some(d)) => Some(format!("it starts {}", human::date(d))),
            _ => None,
        }
    }

    /// The in-page anchor of an issue's "what it carries" entry.
    fn anchor(&self) -> Option<String> {
        match (self.kind, &self.bulletin, self.date) {
            (MarkKind::Send, Some(b), Some(d)) => Some(issue_anchor(b, d)),
            _ => None,
        }
    }
}

fn issue_anchor(bulletin: &crate::ids::BulletinId, date: NaiveDate) -> String {
    format!("issue-{bulletin}-{date}")
}

/// A campaign's stretch within one week row of the grid (and within the month), and the lane
/// (vertical slot) it keeps across that row so its bar reads as one strip.
#[derive(Debug, Clone)]
struct Segment<'o> {
    occurrence: &'o Occurrence,
    from: NaiveDate,
    to: NaiveDate,
    lane: usize,
}

/// Something timed on a day (an event or a mark), for the day's list, in time order.
enum Timed<'a> {
    Event(&'a Occurrence),
    Mark(&'a Mark),
}

/// Everything the page shows, computed once.
struct View<'a> {
    project: &'a Project,
    tz: Tz,
    first: NaiveDate,
    last: NaiveDate,
    today: NaiveDate,
    /// Every occurrence on at some time in the month, in calendar order.
    occurrences: Vec<Occurrence>,
    /// Every job fire in the month, in time order.
    marks: Vec<Mark>,
    /// Only campaigns with this theme are shown.
    theme: Option<Theme>,
}

impl<'a> View<'a> {
    fn new(project: &'a Project, month: NaiveDate, today: NaiveDate) -> Self {
        let tz = project.settings.organisation.time_zone;
        let first = month.with_day(1).unwrap_or(month);
        let last = first
            .checked_add_months(Months::new(1))
            .and_then(|d| d.pred_opt())
            .unwrap_or(first);
        let occurrences = Calendar::new(&project.campaigns, tz).between(first, last);
        let marks = marks_between(project, tz, first, last);
        View {
            project,
            tz,
            first,
            last,
            today,
            occurrences,
            marks,
            theme: None,
        }
    }

    /// The query that keeps the theme filter when moving between months and views.
    fn theme_query(&self) -> String {
        self.theme
            .map_or(String::new(), |t| format!("&theme={}", t.id()))
    }

    /// Links that show one theme's campaigns, or all of them; the current choice is said in
    /// words (and `aria-current`), not only by style.
    fn theme_filter(&self, list_view: bool) -> Markup {
        let view = if list_view { "&view=list" } else { "" };
        let base = month_url(self.first);
        html! {
            nav class="cal-themes" aria-label="Themes" {
                p {
                    "Showing: "
                    strong { (self.theme.map_or("all themes", |t| t.label())) }
                }
                ul {
                    @if self.theme.is_some() {
                        li { a href=(format!("{base}{view}")) { "All themes" } }
                    }
                    @for t in Theme::ALL {
                        li {
                            @if self.theme == Some(t) {
                                a href=(format!("{base}{view}&theme={}", t.id())) aria-current="page" { (t.label()) " (shown)" }
                            } @else {
                                a href=(format!("{base}{view}&theme={}", t.id())) { "Only " (t.label()) }
                            }
                        }
                    }
                }
            }
        }
    }

    fn month_title(&self) -> String {
        self.first.format("%B %Y").to_string()
    }

    /// The bar colour of a campaign: its place among the month's campaigns (in calendar
    /// order), so neighbouring bars differ as far as the palette allows and the key and every
    /// bar of the month agree.
    fn colour(&self, o: &Occurrence) -> usize {
        let mut seen: Vec<&crate::ids::CampaignId> = Vec::new();
        for x in self
            .occurrences
            .iter()
            .filter(|x| x.kind == OccurrenceKind::Campaign)
        {
            if x.campaign == o.campaign {
                break;
            }
            if !seen.contains(&&x.campaign) {
                seen.push(&x.campaign);
            }
        }
        seen.len() % COLOURS
    }

    fn nav(&self, list_view: bool) -> Markup {
        let prev = self.first.checked_sub_months(Months::new(1));
        let next = self.first.checked_add_months(Months::new(1));
        let suffix = format!(
            "{}{}",
            if list_view { "&view=list" } else { "" },
            self.theme_query()
        );
        let this_month = self.today.with_day(1) == Some(self.first);
        html! {
            nav class="cal-nav" aria-label="Calendar" {
                ul {
                    @if let Some(p) = prev {
                        li { a rel="prev" href=(format!("{}{suffix}", month_url(p))) {
                            "Previous month (" (p.format("%B %Y")) ")"
                        } }
                    }
                    @if let Some(n) = next {
                        li { a rel="next" href=(format!("{}{suffix}", month_url(n))) {
                            "Next month (" (n.format("%B %Y")) ")"
                        } }
                    }
                    @if !this_month {
                        li { a href=(if list_view { "/calendar?view=list" } else { "/calendar" }) {
                            "This month"
                        } }
                    }
                    li {
                        @if list_view {
                            a href=(month_url(self.first)) { "Show " (self.month_title()) " as a grid" }
                        } @else {
                            a href=(format!("{}&view=list", month_url(self.first))) {
                                "Show " (self.month_title()) " as a list"
                            }
                        }
                    }
                    li { a href="/calendar.ics" type="text/calendar" { "Subscribe to this calendar (iCalendar)" } }
                }
            }
        }
    }

    // --- The month grid -----------------------------------------------------------------------

    fn grid(&self) -> Markup {
        let back = u64::from(self.first.weekday().num_days_from_monday());
        let start = self.first - Days::new(back);
        let weeks: Vec<NaiveDate> = (0..6)
            .map(|w| start + Days::new(7 * w))
            .take_while(|monday| *monday <= self.last)
            .collect();
        html! {
            // Scrolls sideways on a narrow screen rather than squeezing seven columns; focusable
            // so the keyboard can scroll it too.
            div class="cal-scroll" role="region" aria-labelledby="cal-caption" tabindex="0" {
                table class="cal" {
                    caption id="cal-caption" { (self.month_title()) }
                    thead {
                        tr {
                            @for (short, long) in WEEKDAYS {
                                th scope="col" {
                                    span aria-hidden="true" { (short) }
                                    span class="vh" { (long) }
                                }
                            }
                        }
                    }
                    tbody {
                        @for monday in weeks {
                            @let segments = self.segments(monday);
                            tr {
                                @for i in 0..7 {
                                    (self.cell(monday + Days::new(i), &segments))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The campaigns (whole days) of the week starting `monday`, clipped to the week and the
    /// month, each given the lowest lane free from its first day: those already running first,
    /// then the longest, so long campaigns keep the top lanes and bars line up across the row.
    fn segments(&self, monday: NaiveDate) -> Vec<Segment<'_>> {
        let lo = monday.max(self.first);
        let hi = (monday + Days::new(6)).min(self.last);
        let mut out: Vec<Segment<'_>> = self
            .occurrences
            .iter()
            .filter(|o| o.kind == OccurrenceKind::Campaign && o.overlaps(lo, hi))
            .map(|o| Segment {
                occurrence: o,
                from: o.start.max(lo),
                to: o.end.min(hi),
                lane: 0,
            })
            .collect();
        out.sort_by(|a, b| {
            (
                a.from,
                a.occurrence.start,
                b.occurrence.end,
                &a.occurrence.title,
            )
                .cmp(&(
                    b.from,
                    b.occurrence.start,
                    a.occurrence.end,
                    &b.occurrence.title,
                ))
        });
        let mut lane_ends: Vec<NaiveDate> = Vec::new();
        for s in &mut out {
            match lane_ends.iter().position(|end| *end < s.from) {
                Some(l) => {
                    s.lane = l;
                    lane_ends[l] = s.to;
                }
                None => {
                    s.lane = lane_ends.len();
                    lane_ends.push(s.to);
                }
            }
        }
        out
    }

    fn cell(&self, d: NaiveDate, segments: &[Segment<'_>]) -> Markup {
        if d < self.first || d > self.last {
            // Outside the month: the date only, for orientation.
            return html! {
                td class="outside" {
                    p class="num" { (d.day()) " " (d.format("%b")) }
                }
            };
        }
        let is_today = d == self.today;
        let lanes: Vec<Option<&Segment<'_>>> = {
            let on: Vec<&Segment<'_>> = segments
                .iter()
                .filter(|s| s.from <= d && d <= s.to)
                .collect();
            let n = on.iter().map(|s| s.lane + 1).max().unwrap_or(0);
            (0..n)
                .map(|l| on.iter().copied().find(|s| s.lane == l))
                .collect()
        };
        let timed = self.timed_on(d);
        html! {
            td class=(if is_today { "day today" } else { "day" }) aria-current=[is_today.then_some("date")] {
                p class="num" {
                    time datetime=(d.format("%Y-%m-%d")) {
                        (d.day()) span class="vh" { " " (d.format("%B")) }
                    }
                    @if is_today { " " strong class="today-badge" { "Today" } }
                }
                @if !lanes.is_empty() {
                    ul class="bars" {
                        @for lane in &lanes {
                            @match lane {
                                Some(s) => (self.bar(d, s, s.lane + 1 == lanes.len())),
                                // An empty slot keeps the bars below it in line with the
                                // rest of their strip; it is nothing to a screen reader.
                                None => li class="gap" aria-hidden="true" {},
                            }
                        }
                    }
                }
                @if !timed.is_empty() {
                    ul class="items" {
                        @for t in &timed { (self.timed_item(d, t, false)) }
                    }
                }
            }
        }
    }

    /// One day's piece of a campaign's bar.
    ///
    /// For a screen reader, the first day of the campaign in each week row carries the title
    /// and the dates ("Anti-Bullying Week, Mon 16 – Fri 20 Nov 2026"): reading a row, or
    /// landing on its first cell, says what runs and until when. The other days say only
    /// "Anti-Bullying Week (continues)": the cell still says what is on that day when reached
    /// on its own, without repeating the dates in every cell. Visually the title sits on the
    /// first piece and runs across the row's later pieces (it is as wide as the stretch), so
    /// the strip reads as one bar; the text, not its colour, says what it is.
    ///
    /// A one-day piece wraps its title onto more lines only in the cell's last lane
    /// (`last_lane`): a taller piece higher up would push the lanes below it out of line with
    /// the titles running in from the left. Elsewhere it is one line, cut short if need be (the
    /// hidden text, the key below and the list view have the whole title).
    fn bar(&self, d: NaiveDate, s: &Segment<'_>, last_lane: bool) -> Markup {
        let o = s.occurrence;
        let mut class = format!("bar c{}", self.colour(o));
        if d == o.start {
            class.push_str(" starts");
        }
        if d == o.end {
            class.push_str(" ends");
        }
        let days = (s.to - s.from).num_days() + 1;
        if d == s.from && days == 1 && last_lane {
            class.push_str(" one");
        }
        // The label carries the strip's fill under its text, and its rounded ends where the
        // campaign starts or ends within the row.
        let mut label_class = format!("label s{days}");
        if s.from == o.start {
            label_class.push_str(" from-start");
        }
        if s.to == o.end {
            label_class.push_str(" to-end");
        }
        html! {
            li class=(class) {
                @if d == s.from {
                    span class=(label_class) { (o.title) }
                    span class="vh" { ", " (human::date_range(o.start, o.end)) }
                } @else {
                    span class="vh" { (o.title) " (continues)" }
                }
            }
        }
    }

    /// The events on `d` and the marks on `d`, in time order (a proof before a send at the
    /// same time, as the daemon does them).
    fn timed_on(&self, d: NaiveDate) -> Vec<Timed<'_>> {
        let mut out: Vec<(DateTime<Tz>, u8, Timed<'_>)> = Vec::new();
        for o in &self.occurrences {
            if let (OccurrenceKind::Event, Some(e)) = (o.kind, &o.event)
                && o.is_on(d)
            {
                let at = if o.start == d { e.start } else { e.end };
                out.push((at, 3, Timed::Event(o)));
            }
        }
        for m in self.marks.iter().filter(|m| m.day() == d) {
            out.push((m.at, m.kind as u8, Timed::Mark(m)));
        }
        out.sort_by_key(|(at, rank, _)| (*at, *rank));
        out.into_iter().map(|(_, _, t)| t).collect()
    }

    /// An event or a mark on day `d`: its time, then what it is. `long` (the list view) gives
    /// an event's end time and a mark's detail as visible text; the grid keeps them for screen
    /// readers only.
    fn timed_item(&self, d: NaiveDate, t: &Timed<'_>, long: bool) -> Markup {
        match t {
            Timed::Event(o) => {
                let Some(e) = &o.event else { return html! {} };
                let starts_today = e.start.date_naive() == d;
                html! {
                    li class="event" {
                        @if starts_today {
                            time datetime=(e.start.format("%Y-%m-%dT%H:%M")) { (e.start.format("%H:%M")) }
                            @if long { "–" (e.end.format("%H:%M")) }
                            " " (o.title)
                            @if !long { span class="vh" { ", until " (e.end.format("%H:%M")) } }
                        } @else {
                            "Until " time datetime=(e.end.format("%Y-%m-%dT%H:%M")) { (e.end.format("%H:%M")) }
                            " " (o.title) " (continues)"
                        }
                    }
                }
            }
            Timed::Mark(m) => html! {
                li class=(m.class()) {
                    time datetime=(m.at.format("%Y-%m-%dT%H:%M")) { (m.at.format("%H:%M")) }
                    " "
                    @match m.anchor() {
                        Some(a) => a href=(format!("#{a}")) { (m.label()) },
                        None => (m.label()),
                    }
                    @if let Some(detail) = m.detail() {
                        @if long { " (" (detail) ")" } @else { span class="vh" { " (" (detail) ")" } }
                    }
                }
            },
        }
    }

    // --- The list view ------------------------------------------------------------------------

    fn agenda(&self) -> Markup {
        let days: Vec<NaiveDate> = self
            .first
            .iter_days()
            .take_while(|d| *d <= self.last)
            .collect();
        html! {
            h2 id="cal-caption" { (self.month_title()) ", day by day" }
            ol class="agenda" {
                @for d in days {
                    @let starts: Vec<&Occurrence> = self.occurrences.iter()
                        .filter(|o| o.kind == OccurrenceKind::Campaign
                            && (o.start == d || (d == self.first && o.start < d)))
                        .collect();
                    @let timed = self.timed_on(d);
                    @let is_today = d == self.today;
                    @if is_today || !starts.is_empty() || !timed.is_empty() {
                        li class=(if is_today { "today" } else { "" }) aria-current=[is_today.then_some("date")] {
                            h3 {
                                time datetime=(d.format("%Y-%m-%d")) { (d.format("%A %-d %B %Y")) }
                                @if is_today { " " strong class="today-badge" { "Today" } }
                            }
                            @if starts.is_empty() && timed.is_empty() {
                                p class="muted" { "Nothing starts or goes out today." }
                            } @else {
                                ul {
                                    @for o in &starts {
                                        li class=(format!("campaign c{}", self.colour(o))) {
                                            (if o.start == d { "Starts: " } else { "Continues: " })
                                            (o.title) ", " (human::date_range(o.start, o.end))
                                            @if !o.confirmed { " " em { "(dates not yet confirmed)" } }
                                        }
                                    }
                                    @for t in &timed { (self.timed_item(d, t, true)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // --- Below the grid or list ---------------------------------------------------------------

    /// What is on this month: every campaign with its dates (with its bar colour) and every
    /// event with its time.
    fn key(&self) -> Markup {
        html! {
            h2 { "On in " (self.month_title()) }
            @if self.occurrences.is_empty() {
                p { "No campaigns or events this month." }
            } @else {
                ul class="cal-key" {
                    @for o in &self.occurrences {
                        li {
                            @if o.kind == OccurrenceKind::Campaign {
                                span class=(format!("swatch c{}", self.colour(o))) aria-hidden="true" {}
                            } @else {
                                span class="swatch event" aria-hidden="true" {}
                            }
                            @match self.project.campaign(o.campaign.as_str()).and_then(|c| c.url.as_deref()) {
                                Some(url) => a href=(url) { (o.title) },
                                None => (o.title),
                            }
                            ": " (human::when(o))
                            @if o.kind == OccurrenceKind::Event { " (event)" }
                            @if let Some(t) = self
                                .project
                                .campaign(o.campaign.as_str())
                                .and_then(|c| c.year(o.start.year()))
                                .and_then(|y| y.theme.as_deref())
                            {
                                "; theme: " (t)
                            }
                        }
                    }
                }
            }
        }
    }

    /// For each issue going out this month: when, and what it will carry: the campaigns it
    /// shows as on now and coming up, and how many news items each of its sections has so far
    /// (a section with none is left out of the issue, which the team may want to know).
    fn carries(&self) -> Markup {
        let sends: Vec<&Mark> = self
            .marks
            .iter()
            .filter(|m| m.kind == MarkKind::Send)
            .collect();
        let heading = match sends.as_slice() {
            [] | [_, _, ..] => "What this month’s issues carry",
            [m] if m.day() >= self.today => "What the next issue carries",
            [_] => "What this month’s issue carries",
        };
        html! {
            h2 { (heading) }
            @if sends.is_empty() {
                p { "No issue goes out in " (self.month_title()) "." }
            }
            @for m in sends {
                @if let (Some(b), Some(date)) = (m.bulletin.as_ref().and_then(|b| self.project.bulletin(b.as_str())), m.date) {
                    (self.issue(b, date, m))
                }
            }
        }
    }

    fn issue(&self, b: &crate::config::Bulletin, date: NaiveDate, m: &Mark) -> Markup {
        let issue = issue::assemble(self.project, b, date);
        let anchor = issue_anchor(&b.id, date);
        let proof = match (&b.editors, b.proof_days_before) {
            (Some(_), Some(0)) => Some("the same day".to_string()),
            (Some(_), Some(1)) => Some("1 day before".to_string()),
            (Some(_), Some(n)) => Some(format!("{n} days before")),
            _ => None,
        };
        html! {
            section class="issue" aria-labelledby=(anchor) {
                h3 id=(anchor) { (b.name) ", " (date.format("%A %-d %B %Y")) }
                p {
                    "Scheduled for " (m.at.format("%H:%M")) ", with the subject “" (issue.subject) "”."
                    @if let Some(p) = proof { " The proof goes to the editors " (p) "." }
                    @if b.require_approval { " An editor must approve it before it goes." }
                }
                @for s in &issue.sections {
                    @if let SectionBody::Campaigns(c) = &s.body {
                        (entries("On now", &c.on_now))
                        (entries("Coming up", &c.coming_up))
                        (entries("Always on", &c.always_on))
                    }
                }
                h4 { "Sections, in order" }
                ul {
                    @for sid in &b.sections {
                        @let sid = sid.as_str();
                        @let found = issue.sections.iter().find(|s| match &s.body {
                            SectionBody::Campaigns(_) => sid == crate::config::CAMPAIGNS_SECTION,
                            SectionBody::News(_) => s.anchor == format!("section-{sid}"),
                            SectionBody::Block { .. } => s.anchor == format!("block-{sid}"),
                        });
                        li {
                            @match found {
                                Some(s) => {
                                    (s.title) ": "
                                    @match &s.body {
                                        SectionBody::News(items) => {
                                            (count(items.len(), "news item", "news items"))
                                            ul {
                                                @for n in items { li { (n.title) } }
                                            }
                                        }
                                        SectionBody::Campaigns(c) => (count(c.on_now.len() + c.coming_up.len() + c.always_on.len(), "campaign or event", "campaigns and events")),
                                        SectionBody::Block { .. } => "standing text",
                                    }
                                }
                                None => {
                                    (self.section_title(sid)) ": "
                                    "no news items yet, so it is left out"
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn section_title(&self, sid: &str) -> String {
        if sid == crate::config::CAMPAIGNS_SECTION {
            return issue::CAMPAIGNS_TITLE.to_string();
        }
        self.project
            .settings
            .sections
            .iter()
            .find(|s| s.id.as_str() == sid)
            .map(|s| s.title.clone())
            .or_else(|| self.project.blocks.get(sid).map(|b| b.title.clone()))
            .unwrap_or_else(|| sid.to_string())
    }
}

/// "On now", "Coming up": the campaigns an issue shows, with their dates.
fn entries(title: &str, list: &[CampaignEntry]) -> Markup {
    html! {
        @if !list.is_empty() {
            h4 { (title) }
            ul {
                @for e in list {
                    li {
                        (e.title)
                        @if let Some(w) = &e.when { ", " (w) }
                    }
                }
            }
        }
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `/calendar?month=2026-11`.
fn month_url(d: NaiveDate) -> String {
    format!("/calendar?month={}", d.format("%Y-%m"))
}

/// Every job fire from the start of `first` to the end of `last` (local dates), in time order.
fn marks_between(project: &Project, tz: Tz, first: NaiveDate, last: NaiveDate) -> Vec<Mark> {
    let second = Duration::seconds(1);
    let after = (issue::start_of_day(tz, first) - second).with_timezone(&Utc);
    let until = (issue::start_of_day(tz, last + Days::new(1)) - second).with_timezone(&Utc);
    fires_in(project, after, until)
        .into_iter()
        .filter_map(|(job, at, date)| {
            let (kind, name, bulletin) = match &job {
                Job::Bulletin(id) => (
                    MarkKind::Send,
                    project.bulletin(id.as_str())?.name.clone(),
                    Some(id.clone()),
                ),
                Job::Proof(id) => (
                    MarkKind::Proof,
                    project.bulletin(id.as_str())?.name.clone(),
                    Some(id.clone()),
                ),
                Job::Announce(id) => (
                    MarkKind::Announcement,
                    project.campaign(id.as_str())?.title.clone(),
                    None,
                ),
            };
            Some(Mark {
                kind,
                at,
                name,
                bulletin,
                date,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn sample() -> Project {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/bulletin.toml");
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 23, 12, 0, 0).unwrap();
        let mut p = crate::load::load(&config, &crate::config::Env::empty(), now)
            .project
            .expect("the sample tree loads");
        // These tests are about the page, on the sample's plain monthly schedule: send on the
        // 1st whatever the day (the moves are tested with the schedule).
        for b in &mut p.settings.bulletins {
            b.on_non_working_day = crate::schedule::NonWorkingDay::Send;
        }
        p
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn november(list_view: bool) -> String {
        calendar_page(&sample(), d("2026-11-15"), d("2026-11-23"), list_view).into_string()
    }

    /// The grid cell of `date`, from its `<td` to its `</td>`.
    fn cell<'h>(html: &'h str, date: &str) -> &'h str {
        let marker = format!("<time datetime=\"{date}\">");
        let at = html
            .find(&marker)
            .unwrap_or_else(|| panic!("no cell for {date}"));
        let start = html[..at].rfind("<td").unwrap();
        let end = at + html[at..].find("</td>").unwrap();
        &html[start..end]
    }

    #[test]
    fn the_grid_is_a_table_with_a_caption_and_weekday_headers() {
        let html = november(false);
        assert!(html.contains("<caption id=\"cal-caption\">November 2026</caption>"));
        assert_eq!(html.matches("<th scope=\"col\">").count(), 7);
        assert!(html.contains("<span class=\"vh\">Wednesday</span>"));
        // 1 Nov 2026 is a Sunday and 30 Nov a Monday: six week rows.
        assert_eq!(d("2026-11-01").weekday(), chrono::Weekday::Sun);
        assert_eq!(html.matches("<tr>").count(), 1 + 6);
        assert!(html.contains(
            "<title>Campaign calendar – Salford Safeguarding Children Partnership</title>"
        ));
    }

    #[test]
    fn sixteen_days_is_a_bar_from_25_to_30_november() {
        let html = november(false);
        let title = "16 Days of Action against gender-based violence";
        for day in 25..=30 {
            let c = cell(&html, &format!("2026-11-{day}"));
            assert!(c.contains(title), "16 Days missing on {day} Nov: {c}");
        }
        assert!(!cell(&html, "2026-11-24").contains(title));
        // The first day says the title and the dates; the rest of the row continues it; the new
        // week row (Mon 30) says it in full again.
        let wed = cell(&html, "2026-11-25");
        assert!(wed.contains(&format!(
            "<span class=\"label s5 from-start\">{title}</span><span class=\"vh\">, Wed 25 Nov – Thu 10 Dec 2026</span>"
        )));
        assert!(wed.contains("bar c"), "{wed}");
        assert!(wed.contains(" starts"), "{wed}");
        let thu = cell(&html, "2026-11-26");
        assert!(thu.contains(&format!("<span class=\"vh\">{title} (continues)</span>")));
        let mon = cell(&html, "2026-11-30");
        // Two one-day pieces: only the lowest wraps its title, so nothing below moves.
        assert!(
            mon.contains("<li class=\"bar c0 ends\"><span class=\"label s1 to-end\">Islamophobia"),
            "{mon}"
        );
        assert!(
            mon.contains("<li class=\"bar c5 one\"><span class=\"label s1\">16 Days"),
            "{mon}"
        );
        assert!(mon.contains(&format!("<span class=\"label s1\">{title}</span>")));
        let bar = &mon[mon.find(&format!("{title}</span>")).unwrap() - 60..];
        assert!(
            !bar[..60].contains(" ends"),
            "it runs on into December: {bar}"
        );
    }

    #[test]
    fn sends_proofs_and_announcements_are_marked_in_words() {
        let html = november(false);
        let first = cell(&html, "2026-11-01");
        assert!(
            first.contains(
                "09:00</time> <a href=\"#issue-sscp-news-2026-11-01\">Send: SSCP news</a>"
            ),
            "{first}"
        );
        let proof = cell(&html, "2026-11-29");
        assert!(proof.contains("Proof: SSCP news"), "{proof}");
        assert!(proof.contains("for the issue of Tue 1 Dec 2026"), "{proof}");
        assert!(cell(&html, "2026-11-09").contains("Announcement: Safeguarding Adults Week"));
        assert!(
            cell(&html, "2026-11-18")
                .contains("Announcement: 16 Days of Action against gender-based violence")
        );
        // 1 December is shown in the last row for orientation, but nothing in it: its send
        // belongs to December's page.
        assert_eq!(html.matches("Send: SSCP news").count(), 1);
        assert!(html.contains("<td class=\"outside\"><p class=\"num\">1 Dec</p></td>"));
        // The 30 October proof of the November issue is October's.
        assert!(!html.contains("for the issue of Sun 1 Nov 2026"));
    }

    #[test]
    fn today_is_marked_in_words_and_for_assistive_technology() {
        let html = november(false);
        let today = cell(&html, "2026-11-23");
        assert!(
            today.starts_with("<td class=\"day today\" aria-current=\"date\">"),
            "{today}"
        );
        assert!(today.contains("<strong class=\"today-badge\">Today</strong>"));
        assert_eq!(html.matches("aria-current=\"date\"").count(), 1);
    }

    #[test]
    fn events_show_their_time() {
        let html = calendar_page(&sample(), d("2026-12-01"), d("2026-11-23"), false).into_string();
        let c = cell(&html, "2026-12-09");
        assert!(c.contains("10:00</time> Professional curiosity: spotlight briefing<span class=\"vh\">, until 11:30</span>"), "{c}");
        assert!(
            cell(&html, "2026-12-03").contains("09:30</time> Support and Safeguarding in Salford")
        );
        // December: the send on the 1st, and 16 Days continuing from November says so.
        assert!(cell(&html, "2026-12-01").contains("Send: SSCP news"));
        assert!(cell(&html, "2026-12-01").contains("<span class=\"label s6\">16 Days of Action"));
    }

    #[test]
    fn what_the_next_issue_carries() {
        let html = calendar_page(&sample(), d("2026-11-01"), d("2026-10-28"), false).into_string();
        let at = html
            .find("What the next issue carries")
            .expect("the section");
        let carries = &html[at..];
        assert!(carries.contains(
            "<h3 id=\"issue-sscp-news-2026-11-01\">SSCP news, Sunday 1 November 2026</h3>"
        ));
        assert!(carries.contains("Scheduled for 09:00, with the subject “SSCP news: November 2026”. The proof goes to the editors 2 days before."));
        assert!(carries.contains(
            "<h4>On now</h4><ul><li>Islamophobia Awareness Month, Sun 1 – Mon 30 Nov 2026</li></ul>"
        ));
        assert!(carries.contains("<h4>Coming up</h4>"));
        assert!(carries.contains("<li>Safeguarding Adults Week, Mon 16 – Fri 20 Nov 2026</li>"));
        assert!(
            carries.contains("<li>Partnership news: no news items yet, so it is left out</li>"),
            "{carries}"
        );
        assert!(
            carries
                .contains("<li>Campaigns, events and weeks of action: 9 campaigns and events</li>"),
            "{carries}"
        );
        assert!(
            carries.contains("Worried about a child?: standing text"),
            "{carries}"
        );
        // Seen on 23 November, the 1 November issue is this month's, no longer the next.
        assert!(november(false).contains("<h2>What this month’s issue carries</h2>"));
        // December's issue carries the news published since.
        let dec = calendar_page(&sample(), d("2026-12-01"), d("2026-11-23"), false).into_string();
        for line in [
            "<li>Partnership news: 1 news item<ul><li>Safeguarding Adults Week 2026: thank you</li></ul></li>",
            "<li>Learning from practice reviews: 1 news item<ul><li>7 minute briefing: learning from a local review about a baby under one</li></ul></li>",
            "<li>National updates and learning: no news items yet, so it is left out</li>",
            "<li>Training, information and resources: 1 news item<ul><li>New multi-agency training dates for winter 2026–27</li></ul></li>",
        ] {
            assert!(dec.contains(line), "{line}");
        }
        assert!(dec.contains("<h2>What the next issue carries</h2>"));
    }

    #[test]
    fn navigation_links() {
        let html = november(false);
        assert!(html.contains(
            "<a rel=\"prev\" href=\"/calendar?month=2026-10\">Previous month (October 2026)</a>"
        ));
        assert!(html.contains(
            "<a rel=\"next\" href=\"/calendar?month=2026-12\">Next month (December 2026)</a>"
        ));
        assert!(html.contains(
            "href=\"/calendar?month=2026-11&amp;view=list\">Show November 2026 as a list</a>"
        ));
        assert!(html.contains("href=\"/calendar.ics\" type=\"text/calendar\">Subscribe to this calendar (iCalendar)</a>"));
        assert!(!html.contains("This month"), "November is this month");
        let list = november(true);
        assert!(list.contains("href=\"/calendar?month=2026-10&amp;view=list\">Previous month"));
        assert!(list.contains("href=\"/calendar?month=2026-11\">Show November 2026 as a grid</a>"));
        let january =
            calendar_page(&sample(), d("2027-01-31"), d("2026-11-23"), false).into_string();
        assert!(january.contains("<a href=\"/calendar\">This month</a>"));
        assert!(january.contains("<caption id=\"cal-caption\">January 2027</caption>"));
    }

    #[test]
    fn the_list_view_has_every_campaign_event_and_mark() {
        let html = calendar_page(&sample(), d("2026-12-01"), d("2026-11-23"), true).into_string();
        assert!(!html.contains("<table"));
        assert!(html.contains("<ol class=\"agenda\">"));
        assert!(html.contains("Continues: 16 Days of Action against gender-based violence, Wed 25 Nov – Thu 10 Dec 2026"));
        assert!(html.contains(
            "Starts: Staying safe online over the holidays, Sun 20 Dec 2026 – Tue 5 Jan 2027"
        ));
        assert!(html.contains("10:00</time>–11:30 Professional curiosity: spotlight briefing"));
        assert!(html.contains("Send: SSCP news"));
        let nov = november(true);
        assert!(nov.contains("Starts: Anti-Bullying Week, Mon 16 – Fri 20 Nov 2026"));
        assert!(nov.contains("Proof: SSCP news</a>") || nov.contains("Proof: SSCP news ("));
        assert!(nov.contains("(for the issue of Tue 1 Dec 2026)"));
        assert!(nov.contains("Announcement: Safeguarding Adults Week (it starts Mon 16 Nov 2026)"));
        assert!(nov.contains("<li class=\"today\" aria-current=\"date\">"));
    }

    #[test]
    fn no_inline_styles_and_no_scripts() {
        for html in [november(false), november(true)] {
            assert!(!html.contains("style="));
            assert!(!html.contains("<script"));
            assert!(!html.contains("<style"));
        }
    }

    #[test]
    fn a_daily_bulletin_is_marked_every_day() {
        let mut p = sample();
        p.settings.bulletins[0].schedule =
            crate::schedule::CronSchedule::parse("0 9 * * *").unwrap();
        let html = calendar_page(&p, d("2026-11-01"), d("2026-11-23"), false).into_string();
        assert_eq!(html.matches("Send: SSCP news").count(), 30);
        assert!(html.contains("What this month’s issues carry"));
    }

    #[test]
    fn the_list_view_says_which_dates_are_not_yet_confirmed() {
        let html = november(true);
        let row = |title: &str| {
            let at = html
                .find(&format!("Starts: {title}"))
                .unwrap_or_else(|| panic!("{title}"));
            html[at..at + html[at..].find("</li>").unwrap()].to_string()
        };
        // 2026's Anti-Bullying Week is the Alliance's rule, not yet its announcement.
        assert!(
            row("Anti-Bullying Week").contains("(dates not yet confirmed)"),
            "{html}"
        );
        assert!(!row("White Ribbon Day").contains("not yet confirmed"));
    }

    #[test]
    fn snapshot_november_2026() {
        insta::assert_snapshot!(readable(&november(false)));
    }

    /// The page with a line break before each block-level tag, so the snapshot diffs well.
    fn readable(html: &str) -> String {
        let mut out = html.to_string();
        for tag in [
            "<tr", "<td", "<th ", "<li", "<ul", "<ol", "<h2", "<h3", "<h4", "<p", "<nav", "<table",
            "<section", "</ul>", "</tr>",
        ] {
            out = out.replace(tag, &format!("\n{tag}"));
        }
        out
    }

    /// The `ul class="cal-key"` list of what is on, for checking which campaigns are shown.
    fn key_of(html: &str) -> &str {
        let start = html.find("class=\"cal-key\"").expect("a key");
        &html[start..start + html[start..].find("</ul>").unwrap()]
    }

    #[test]
    fn a_theme_shows_only_its_campaigns_and_keeps_itself_across_months() {
        let p = sample();
        let all = calendar_page(&p, d("2026-11-01"), d("2026-11-23"), false).into_string();
        let da = calendar_page_for(
            &p,
            d("2026-11-01"),
            d("2026-11-23"),
            false,
            Some(Theme::DomesticAbuse),
            &[],
        )
        .into_string();
        assert!(key_of(&all).contains("Anti-Bullying Week"));
        assert!(!key_of(&da).contains("Anti-Bullying Week"));
        assert!(key_of(&da).contains("16 Days of Action"));
        assert!(key_of(&da).contains("White Ribbon Day"));
        assert!(da.contains("Showing: <strong>Domestic abuse</strong>"));
        assert!(da.contains("href=\"/calendar?month=2026-12&amp;theme=domestic-abuse\""));
        assert!(da.contains("aria-current=\"page\""));
    }

    #[test]
    fn the_key_says_each_years_theme() {
        let p = sample();
        let nov_2024 = calendar_page(&p, d("2024-11-01"), d("2024-10-28"), false).into_string();
        assert!(key_of(&nov_2024).contains("; theme: Choose Respect"));
        assert!(key_of(&nov_2024).contains("; theme: Seeds of Change"));
        let nov_2020 = calendar_page(&p, d("2020-11-01"), d("2020-10-28"), false).into_string();
        assert!(key_of(&nov_2020).contains("; theme: United Against Bullying"));
        assert!(!key_of(&nov_2020).contains("Choose Respect"));
    }
}
