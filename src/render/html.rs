//! The HTML part: maud templates for a 600px table layout that survives Outlook, real headings,
//! meaningful link text, and the CSS from `templates/email.css` inlined into each element.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::Context;
use crate::markdown::{self, Block, Inline};
use chrono::NaiveDate;

use crate::calendar::human::date;
use crate::config::YearContent;
use crate::config::settings::Organisation;
use crate::issue::{CampaignEntry, Issue, NewsEntry, Section, SectionBody, long_date};
use crate::themes::Theme;

/// Markdown blocks as HTML; headings are shifted below the item's own heading level.
pub fn blocks(bs: &[Block], heading_base: u8) -> Markup {
    html! {
        @for b in bs {
            @match b {
                Block::Para(i) => p { (inlines(i)) },
                Block::Heading(level, i) => {
                    @let l = (level + heading_base).min(6);
                    @match l {
                        1..=3 => h3 { (inlines(i)) },
                        4 => h4 { (inlines(i)) },
                        5 => h5 { (inlines(i)) },
                        _ => h6 { (inlines(i)) },
                    }
                },
                Block::List { start: Some(n), items } => ol start=(n) { @for it in items { li { (item(it, heading_base)) } } },
                Block::List { start: None, items } => ul { @for it in items { li { (item(it, heading_base)) } } },
                Block::Quote(q) => blockquote { (blocks(q, heading_base)) },
                Block::Code(c) => pre { code { (c) } },
                Block::Rule => hr;,
            }
        }
    }
}

/// A list item: a lone paragraph is written without `<p>`, so tight lists stay tight.
fn item(bs: &[Block], heading_base: u8) -> Markup {
    match bs {
        [Block::Para(i)] => inlines(i),
        _ => blocks(bs, heading_base),
    }
}

fn inlines(xs: &[Inline]) -> Markup {
    html! {
        @for x in xs {
            @match x {
                Inline::Text(t) => (t),
                Inline::Strong(c) => strong { (inlines(c)) },
                Inline::Emph(c) => em { (inlines(c)) },
                Inline::Code(c) => code { (c) },
                Inline::Link { href: Some(h), children } => a href=(h) { (inlines(children)) },
                Inline::Link { href: None, children } => (inlines(children)),
                Inline::Image { src: Some(s), alt } => img src=(s) alt=(alt) style="max-width:100%;height:auto;";,
                Inline::Image { src: None, alt } => (alt),
                Inline::Break => br;,
            }
        }
    }
}

/// The strategy's themes as small text labels: words, not colours, so they read the same to
/// everyone (and in the plain-text part).
fn themes(ts: &[Theme]) -> Markup {
    html! {
        @if !ts.is_empty() {
            p class="themes" {
                "Themes: "
                @for (i, t) in ts.iter().enumerate() {
                    @if i > 0 { ", " }
                    span class="tag" { (t.label()) }
                }
            }
        }
    }
}

/// A deadline, with "Closing soon" when this is the last issue before it.
fn deadline(d: NaiveDate, soon: bool, what: &str) -> Markup {
    html! {
        p class="deadline" {
            @if soon { strong { "Closing soon: " } }
            (what) " " (date(d))
        }
    }
}

/// A news item's own body: its deadline, Markdown and link (the title is the caller's).
fn news_body(n: &NewsEntry, heading_base: u8) -> Markup {
    html! {
        (themes(&n.themes))
        @if let Some(d) = n.deadline { (deadline(d, n.closing_soon, "Closes")) }
        (blocks(&markdown::parse(&n.markdown), heading_base))
        @if let Some(u) = &n.url {
            p class="more" { a href=(u) { "Read more: " (n.title) } }
        }
    }
}

fn tel(number: &str) -> String {
    let digits: String = number
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    format!("tel:{digits}")
}

fn year_content(y: &YearContent) -> Markup {
    html! {
        @if !y.days.is_empty() {
            p { "Day by day:" }
            ul { @for d in &y.days { li { strong { (d.day) } ": " (d.theme) } } }
        }
        @if let Some(l) = &y.local { (blocks(&markdown::parse(l), 4)) }
        @if let Some(i) = &y.image {
            p { img src=(i.url) alt=(i.alt) width="552" style="max-width:100%;height:auto;"; }
        }
        @if !y.helplines.is_empty() {
            ul class="helplines" {
                @for h in &y.helplines { li { (h.name) ": " a href=(tel(&h.number)) { (h.number) } } }
            }
        }
        @if !y.hashtags.is_empty() {
            p class="hashtags" { "Share with " (y.hashtags.join(" ")) }
        }
        @if !y.links.is_empty() {
            ul class="links" { @for l in &y.links { li { a href=(l.url) { (l.label) } } } }
        }
    }
}

fn event_details(c: &CampaignEntry) -> Markup {
    let e = &c.event;
    html! {
        @if !e.is_empty() {
            ul class="event" {
                @if let Some(v) = &e.venue { li { "Venue: " (v) } }
                @if let Some(a) = &e.audience { li { "For: " (a) } }
                @if let Some(n) = e.capacity { li { "Places: " (n) } }
                @if let Some(u) = &e.online { li { a href=(u) { "Join " (c.title) " online" } } }
                @if let Some(u) = &e.booking { li { a href=(u) { "Book a place: " (c.title) } } }
            }
            @if let Some(d) = e.booking_deadline { (deadline(d, c.closing_soon, "Book by")) }
        }
    }
}

fn campaign(c: &CampaignEntry) -> Markup {
    html! {
        h4 id=(c.anchor()) { (c.title) }
        @if let Some(w) = &c.when { p class="when" { (w) } }
        (themes(&c.themes))
        @if let Some(t) = c.year.as_ref().and_then(|y| y.theme.as_ref()) {
            p class="theme" { "This year's theme: " strong { (t) } }
        }
        @if c.news.is_empty() {
            (blocks(&markdown::parse(&c.summary), 3))
        }
        @for n in &c.news {
            div id=(n.anchor) { (news_body(n, 4)) }
        }
        @if let Some(y) = &c.year { (year_content(y)) }
        (event_details(c))
        @if let Some(u) = &c.url {
            p { a href=(u) { "Find out more about " (c.title) } }
        }
    }
}

/// The meta tags every HTML document of ours opens its head with, an email's and a web page's
/// alike: UTF-8, a viewport for phones, and both colour schemes offered.
pub fn head_meta() -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        meta name="color-scheme" content="light dark";
    }
}

/// The whole HTML document, before CSS inlining. The unsubscribe link's target is the personal
/// marker (see [`super::marker`]), replaced per recipient.
pub fn document(issue: &Issue, ctx: &Context<'_>, marker: &str) -> String {
    let org = ctx.organisation;
    let web_url = ctx.web_url(issue);
    let markup = html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                (head_meta())
                meta name="supported-color-schemes" content="light dark";
                title { (issue.subject) }
                style { (PreEscaped(ctx.css)) }
            }
            body class="body" {
                table role="presentation" class="wrapper" width="100%" cellpadding="0" cellspacing="0" border="0" {
                    tr { td align="center" class="wrapper-cell" {
                        table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0" {
                            tr { td class="browser" {
                                a href=(web_url) { "View this issue in your browser" }
                            } }
                            tr { td class="masthead" {
                                p class="org" { (org.name) }
                                h1 { (issue.subject) }
                                p class="date" { (long_date(issue.date)) }
                            } }
                            @if !issue.sections.is_empty() { (contents(issue)) }
                            @for s in &issue.sections { (section(s)) }
                            (footer(issue, org, marker))
                        }
                    } }
                }
            }
        }
    };
    line_breaks(&markup.into_string())
}

/// The contents row: a link to each section, then the items closing soon.
fn contents(issue: &Issue) -> Markup {
    html! {
        tr { td class="contents" {
            h2 id="contents" { "In this issue" }
            ul {
                @for s in &issue.sections {
                    li { a href={ "#" (s.anchor) } { (s.title) } }
                }
            }
            @let closing = issue.closing_soon();
            @if !closing.is_empty() {
                h2 id="closing-soon" { "Closing soon" }
                ul {
                    @for (anchor, title, d) in &closing {
                        li { a href={ "#" (anchor) } { (title) } ": closes " (date(*d)) }
                    }
                }
            }
        } }
    }
}

/// One section's row, ending with the way back to the contents.
fn section(s: &Section) -> Markup {
    html! {
        tr { td class={ "section" @if matches!(s.body, SectionBody::Block { .. }) { " block" } } {
            h2 id=(s.anchor) { (s.title) }
            @match &s.body {
                SectionBody::News(items) => {
                    @for n in items {
                        div class="item" {
                            h3 id=(n.anchor) { (n.title) }
                            (news_body(n, 3))
                        }
                    }
                }
                SectionBody::Campaigns(c) => {
                    @if !c.on_now.is_empty() {
                        h3 { "On now" }
                        @for e in &c.on_now { div class="item" { (campaign(e)) } }
                    }
                    @if !c.coming_up.is_empty() {
                        h3 { "Coming up" }
                        @for e in &c.coming_up { div class="item" { (campaign(e)) } }
                    }
                    @if !c.always_on.is_empty() {
                        h3 { "All year round" }
                        @for e in &c.always_on { div class="item" { (campaign(e)) } }
                    }
                }
                SectionBody::Block { markdown: md } => {
                    (blocks(&markdown::parse(md), 2))
                }
            }
            p class="top" { a href="#contents" { "Back to contents" } }
        } }
    }
}

/// Why the reader receives it, the unsubscribe link (`marker`, replaced per recipient), and
/// the organisation's address and contacts.
fn footer(issue: &Issue, org: &Organisation, marker: &str) -> Markup {
    html! {
        tr { td class="footer" {
            p {
                "You receive " (issue.bulletin_name) " because you are on one of the "
                (org.name) "'s mailing lists."
            }
            p {
                a href=(marker) { "Unsubscribe from " (issue.bulletin_name) }
                " (one click, no login). "
                a href=(super::preferences_marker(marker)) { "Change what you receive" }
                " (your bulletins, name and organisation)."
            }
            p { (org.name) br; (org.postal_address) }
            p {
                a href=(org.website) { (org.name) " website" }
                @if let Some(e) = &org.email { " · " a href={ "mailto:" (e) } { (e) } }
                @if let Some(ph) = &org.phone { " · " (ph) }
            }
        } }
    }
}

/// A line break before each block-level tag: readable source, diffable snapshots, and
/// quoted-printable lines that end at tags rather than mid-word. Text is escaped by maud, so
/// `<` here only ever starts a tag.
fn line_breaks(html: &str) -> String {
    const TAGS: [&str; 14] = [
        "<tr", "<td", "<table", "</table", "<h1", "<h2", "<h3", "<h4", "<p>", "<p ", "<ul", "<ol",
        "<li", "<div",
    ];
    let mut out = String::with_capacity(html.len() + html.len() / 20);
    let mut rest = html;
    while let Some(i) = rest[1..].find('<').map(|i| i + 1) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if TAGS.iter().any(|t| rest.starts_with(t)) && !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out.push_str(rest);
    out
}

/// Inline the stylesheet into each element; `@media` rules (dark mode, narrow screens) stay in a
/// `<style>` block for the clients that honour them.
pub fn inline_css(doc: &str) -> Result<String, css_inline::InlineError> {
    css_inline::CSSInliner::options()
        .keep_at_rules(true)
        .load_remote_stylesheets(false)
        .build()
        .inline(doc)
}
