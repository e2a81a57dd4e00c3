//! The plain-text part, built from the same structure as the HTML (not stripped from it):
//! wrapped near 72 columns, headings underlined, every link kept inline as "text (address)".

use super::Context;
use crate::calendar::human::date;
use crate::issue::{CampaignEntry, Issue, NewsEntry, SectionBody, long_date};
use crate::markdown::{self, Block, Inline};
use crate::themes::Theme;

const WIDTH: usize = 72;

/// Whether a word is a group of a phone number: digits, perhaps with `+`, brackets or a
/// trailing punctuation mark (`+44`, `(0161)`, `4350.`).
fn digit_group(word: &str) -> bool {
    let core = word
        .trim_end_matches(['.', ',', ';', ':', ')'])
        .trim_start_matches('(');
    !core.is_empty()
        && core.chars().any(|c| c.is_ascii_digit())
        && core
            .chars()
            .all(|c| c.is_ascii_digit() || c == '+' || c == ')')
}

/// The unbreakable units of a line: words, except that digit groups separated by one space
/// stay together, so a phone number such as `0161 603 4350` is never split across lines.
fn units(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text.trim_start();
    let mut gap = "";
    while !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        let glue = gap == " "
            && digit_group(word)
            && out
                .last()
                .and_then(|u| u.rsplit(' ').next())
                .is_some_and(digit_group);
        match out.last_mut() {
            Some(last) if glue => {
                last.push(' ');
                last.push_str(word);
            }
            _ => out.push(word.to_string()),
        }
        let after = &rest[end..];
        let next = after.trim_start();
        gap = &after[..after.len() - next.len()];
        rest = next;
    }
    out
}

/// Words wrapped to `WIDTH - indent`, each line prefixed; a word longer than the line (a URL)
/// stands alone rather than being broken.
fn wrap(text: &str, first: &str, rest: &str, out: &mut String) {
    let mut line = String::from(first);
    let mut empty = true;
    for word in units(text) {
        let word = word.as_str();
        let len = line.chars().count();
        if !empty && len + 1 + word.chars().count() > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn inline_text(xs: &[Inline], out: &mut String) {
    for x in xs {
        match x {
            Inline::Text(t) => out.push_str(t),
            Inline::Code(t) => out.push_str(t),
            Inline::Strong(c) => inline_text(c, out),
            Inline::Emph(c) => inline_text(c, out),
            Inline::Link { href, children } => {
                let label = markdown::plain(children);
                match href {
                    Some(h) => {
                        let bare = h
                            .strip_prefix("mailto:")
                            .or(h.strip_prefix("tel:"))
                            .unwrap_or(h);
                        if label.trim() == bare || label.trim() == h {
                            out.push_str(bare);
                        } else if h.starts_with('#') {
                            out.push_str(&label);
                        } else {
                            out.push_str(&label);
                            out.push_str(" (");
                            out.push_str(bare);
                            out.push(')');
                        }
                    }
                    None => out.push_str(&label),
                }
            }
            Inline::Image { alt, src } => {
                out.push_str(&format!("[Image: {alt}]"));
                if let Some(s) = src {
                    out.push_str(&format!(" ({s})"));
                }
            }
            Inline::Break => out.push('\n'),
        }
    }
}

fn para(xs: &[Inline], first: &str, rest: &str, out: &mut String) {
    let mut s = String::new();
    inline_text(xs, &mut s);
    for (i, hard_line) in s.split('\n').enumerate() {
        wrap(hard_line, if i == 0 { first } else { rest }, rest, out);
    }
}

fn underline(title: &str, ch: char, out: &mut String) {
    out.push_str(title);
    out.push('\n');
    out.push_str(&ch.to_string().repeat(title.chars().count().min(WIDTH)));
    out.push('\n');
}

/// Markdown blocks as text, each followed by a blank line.
pub fn blocks(bs: &[Block], indent: &str, out: &mut String) {
    for b in bs {
        match b {
            Block::Para(i) => {
                para(i, indent, indent, out);
                out.push('\n');
            }
            Block::Heading(_, i) => {
                let mut s = String::new();
                inline_text(i, &mut s);
                out.push_str(indent);
                out.push_str(s.trim());
                out.push_str("\n\n");
            }
            Block::List { start, items } => {
                for (n, item) in items.iter().enumerate() {
                    let bullet = match start {
                        Some(s) => format!("{indent}{}. ", s + n as u64),
                        None => format!("{indent}- "),
                    };
                    let hang = format!("{indent}{}", " ".repeat(bullet.len() - indent.len()));
                    let mut first = true;
                    for b in item {
                        match b {
                            Block::Para(i) if first => para(i, &bullet, &hang, out),
                            other => {
                                let mut sub = String::new();
                                blocks(std::slice::from_ref(other), &hang, &mut sub);
                                out.push_str(sub.trim_end_matches('\n'));
                                out.push('\n');
                            }
                        }
                        first = false;
                    }
                }
                out.push('\n');
            }
            Block::Quote(q) => blocks(q, &format!("{indent}> "), out),
            Block::Code(c) => {
                for l in c.lines() {
                    out.push_str(indent);
                    out.push_str("    ");
                    out.push_str(l);
                    out.push('\n');
                }
                out.push('\n');
            }
            Block::Rule => out.push_str(&format!("{indent}{}\n\n", "-".repeat(20))),
        }
    }
}

fn themes(ts: &[Theme], indent: &str, out: &mut String) {
    if !ts.is_empty() {
        let labels: Vec<&str> = ts.iter().map(|t| t.label()).collect();
        wrap(
            &format!("Themes: {}", labels.join(", ")),
            indent,
            indent,
            out,
        );
    }
}

fn deadline(d: chrono::NaiveDate, soon: bool, what: &str, indent: &str, out: &mut String) {
    let soon = if soon { "CLOSING SOON: " } else { "" };
    out.push_str(&format!("{indent}{soon}{what} {}\n", date(d)));
}

/// A news item's body, deadline and link (the title is the caller's).
fn news_body(n: &NewsEntry, indent: &str, out: &mut String) {
    themes(&n.themes, indent, out);
    if let Some(d) = n.deadline {
        deadline(d, n.closing_soon, "Closes", indent, out);
    }
    if !n.themes.is_empty() || n.deadline.is_some() {
        out.push('\n');
    }
    blocks(&markdown::parse(&n.markdown), indent, out);
    if let Some(u) = &n.url {
        out.push_str(&format!("{indent}Read more: {u}\n\n"));
    }
}

fn campaign(c: &CampaignEntry, out: &mut String) {
    out.push_str(&format!("* {}\n", c.title));
    if let Some(w) = &c.when {
        out.push_str(&format!("  {w}\n"));
    }
    themes(&c.themes, "  ", out);
    if let Some(t) = c.year.as_ref().and_then(|y| y.theme.as_ref()) {
        wrap(&format!("This year's theme: {t}"), "  ", "  ", out);
    }
    out.push('\n');
    if c.news.is_empty() {
        blocks(&markdown::parse(&c.summary), "  ", out);
    }
    for n in &c.news {
        news_body(n, "  ", out);
    }
    if let Some(y) = &c.year {
        if !y.days.is_empty() {
            out.push_str("  Day by day:\n");
            for d in &y.days {
                wrap(&format!("{}: {}", d.day, d.theme), "  - ", "    ", out);
            }
            out.push('\n');
        }
        if let Some(l) = &y.local {
            blocks(&markdown::parse(l), "  ", out);
        }
        if let Some(i) = &y.image {
            wrap(&format!("[Image: {}] ({})", i.alt, i.url), "  ", "  ", out);
            out.push('\n');
        }
        for h in &y.helplines {
            wrap(&format!("{}: {}", h.name, h.number), "  ", "  ", out);
        }
        if !y.hashtags.is_empty() {
            wrap(
                &format!("Share with {}", y.hashtags.join(" ")),
                "  ",
                "  ",
                out,
            );
        }
        for l in &y.links {
            wrap(&format!("{}: {}", l.label, l.url), "  ", "  ", out);
        }
        if !(y.helplines.is_empty() && y.hashtags.is_empty() && y.links.is_empty()) {
            out.push('\n');
        }
    }
    let e = &c.event;
    if !e.is_empty() {
        for (label, v) in [
            ("Venue", e.venue.clone()),
            ("For", e.audience.clone()),
            ("Places", e.capacity.map(|n| n.to_string())),
            ("Join online", e.online.clone()),
            ("Book a place", e.booking.clone()),
        ] {
            if let Some(v) = v {
                out.push_str(&format!("  {label}: {v}\n"));
            }
        }
        if let Some(d) = e.booking_deadline {
            deadline(d, c.closing_soon, "Book by", "  ", out);
        }
        out.push('\n');
    }
    if let Some(u) = &c.url {
        out.push_str(&format!("  Find out more: {u}\n\n"));
    }
}

/// The whole plain-text part, with the personal marker where the unsubscribe link goes.
pub fn document(issue: &Issue, ctx: &Context<'_>, marker: &str) -> String {
    let org = ctx.organisation;
    let mut out = String::new();
    underline(&issue.subject, '=', &mut out);
    out.push_str(&format!("{}, {}\n\n", org.name, long_date(issue.date)));
    out.push_str(&format!(
        "View this issue in your browser: {}\n\n",
        ctx.web_url(issue)
    ));
    if !issue.sections.is_empty() {
        underline("In this issue", '-', &mut out);
        for s in &issue.sections {
            out.push_str(&format!("- {}\n", s.title));
        }
        out.push('\n');
        let closing = issue.closing_soon();
        if !closing.is_empty() {
            underline("Closing soon", '-', &mut out);
            for (_, title, d) in &closing {
                wrap(
                    &format!("{title}: closes {}", date(*d)),
                    "- ",
                    "  ",
                    &mut out,
                );
            }
            out.push('\n');
        }
    }
    for s in &issue.sections {
        out.push('\n');
        underline(&s.title.to_uppercase(), '=', &mut out);
        out.push('\n');
        match &s.body {
            SectionBody::News(items) => {
                for n in items {
                    underline(&n.title, '-', &mut out);
                    out.push('\n');
                    news_body(n, "", &mut out);
                }
            }
            SectionBody::Campaigns(c) => {
                for (title, list) in [
                    ("On now", &c.on_now),
                    ("Coming up", &c.coming_up),
                    ("All year round", &c.always_on),
                ] {
                    if !list.is_empty() {
                        underline(title, '-', &mut out);
                        out.push('\n');
                        for e in list {
                            campaign(e, &mut out);
                        }
                    }
                }
            }
            SectionBody::Block { markdown: md } => blocks(&markdown::parse(md), "", &mut out),
        }
    }
    out.push_str(&"-".repeat(WIDTH));
    out.push_str("\n\n");
    wrap(
        &format!(
            "You receive {} because you are on one of the {}'s mailing lists.",
            issue.bulletin_name, org.name
        ),
        "",
        "",
        &mut out,
    );
    out.push_str(&personal_links(marker));
    out.push_str(&org.name);
    out.push('\n');
    wrap(&org.postal_address, "", "", &mut out);
    out.push_str(&org.website);
    out.push('\n');
    out
}

/// The footer's two personal links as markers: unsubscribe, and the preference page.
fn personal_links(marker: &str) -> String {
    format!(
        "\nUnsubscribe (one click, no login):\n{marker}\n\nChange what you receive, or your name or organisation:\n{}\n\n",
        super::preferences_marker(marker)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_never_split_across_lines() {
        let lead = "x".repeat(60);
        for phone in ["0161 603 4350", "+44 161 603 4350", "(0161) 603 4350."] {
            let mut out = String::new();
            wrap(&format!("{lead} call {phone} today"), "", "", &mut out);
            assert!(
                out.lines().any(|l| l.contains(phone)),
                "{phone} split:\n{out}"
            );
            assert!(out.lines().all(|l| l.chars().count() <= WIDTH), "{out}");
        }
        // Two spaces, or words between, still break as before.
        assert_eq!(
            units("on 5 December 2026 call 0161  603"),
            ["on", "5", "December", "2026", "call", "0161", "603"]
        );
        assert_eq!(
            units("call 0161 603 4350, or"),
            ["call", "0161 603 4350,", "or"]
        );
    }
}
