//! iCalendar (RFC 5545) export of occurrences, written by hand so every byte is ours to test:
//! CRLF line ends, lines folded at 75 octets on UTF-8 character boundaries, TEXT escaping,
//! UIDs stable across runs, all-day occurrences with an exclusive DTEND, and events in the
//! organisation's zone with a VTIMEZONE (Europe/London), or in UTC for zones we do not describe.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use super::Occurrence;
use crate::config::Campaign;
use crate::config::settings::Organisation;

/// RFC 5545 §3.1: a content line is at most 75 octets, not counting its CRLF.
pub const MAX_LINE_OCTETS: usize = 75;

/// Europe/London since 1996 (the EU rules): BST from 01:00 GMT on the last Sunday in March,
/// GMT from 02:00 BST on the last Sunday in October. Each DTSTART is local time in the offset
/// in force before the change, and is itself a day the RRULE gives (29 Mar 1981, 27 Oct 1996).
const VTIMEZONE_LONDON: &[&str] = &[
    "BEGIN:VTIMEZONE",
    "TZID:Europe/London",
    "X-LIC-LOCATION:Europe/London",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "TZNAME:BST",
    "DTSTART:19810329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "TZNAME:GMT",
    "DTSTART:19961027T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
];

/// A VTIMEZONE for `tz` if we can write one; events in other zones are written in UTC.
fn vtimezone(tz: Tz) -> Option<&'static [&'static str]> {
    (tz == chrono_tz::Europe::London).then_some(VTIMEZONE_LONDON)
}

/// The whole calendar for `occurrences` (in the order given), described from `campaigns`.
/// `dtstamp` is when the file was made (the CLI passes now; tests pass a fixed time).
pub fn to_ics(
    occurrences: &[Occurrence],
    campaigns: &[Campaign],
    org: &Organisation,
    dtstamp: DateTime<Utc>,
) -> String {
    let host = host_of(&org.website);
    let by_id: HashMap<&str, &Campaign> = campaigns.iter().map(|c| (c.id.as_str(), c)).collect();
    let tz = org.time_zone;
    let zone_lines = vtimezone(tz);
    let stamp = dtstamp.format("%Y%m%dT%H%M%SZ").to_string();

    let mut w = Writer::default();
    w.prop("BEGIN", "VCALENDAR");
    w.prop("VERSION", "2.0");
    w.prop(
        "PRODID",
        &format!("-//bulletin//bulletin {}//EN", env!("CARGO_PKG_VERSION")),
    );
    w.prop("CALSCALE", "GREGORIAN");
    w.prop("METHOD", "PUBLISH");
    w.prop("X-WR-CALNAME", &escape_text(&org.name));
    w.prop("X-WR-TIMEZONE", tz.name());
    if let Some(lines) = zone_lines
        && occurrences.iter().any(|o| o.event.is_some())
    {
        for line in lines {
            w.line(line);
        }
    }
    let zone = Zone {
        tz,
        described: zone_lines.is_some(),
    };
    for o in occurrences {
        let campaign = by_id.get(o.campaign.as_str()).copied();
        // iCalendar writes years with four digits: a start it cannot write is left out.
        if starts_writable(o) {
            w.event(o, campaign, &host, &stamp, zone);
        }
    }
    w.prop("END", "VCALENDAR");
    w.out
}

/// Whether iCalendar can write `d`: its dates have exactly four digits of year.
fn writable(d: chrono::NaiveDate) -> bool {
    (0..=9999).contains(&d.year())
}

/// An event's description: the year's theme and content when the file has them for the year
/// the occurrence starts in, then the event's practical facts, then the link.
fn description(c: &Campaign, year: i32) -> String {
    let content = c.year(year);
    let mut parts: Vec<String> = Vec::new();
    if let Some(t) = content.and_then(|y| y.theme.as_ref()) {
        parts.push(format!("This year's theme: {t}"));
    }
    let summary = content
        .and_then(|y| y.summary.as_deref())
        .unwrap_or(&c.summary);
    parts.push(markdown_to_plain(summary));
    if let Some(y) = content {
        if !y.days.is_empty() {
            let days: Vec<String> = y
                .days
                .iter()
                .map(|d| format!("{}: {}", d.day, d.theme))
                .collect();
            parts.push(days.join("\n"));
        }
        if let Some(l) = &y.local {
            parts.push(markdown_to_plain(l));
        }
        for h in &y.helplines {
            parts.push(format!("{}: {}", h.name, h.number));
        }
        for l in &y.links {
            parts.push(format!("{}: {}", l.label, l.url));
        }
        if !y.hashtags.is_empty() {
            parts.push(y.hashtags.join(" "));
        }
    }
    let e = &c.event;
    for (label, value) in [
        ("Venue", e.venue.clone()),
        ("Online", e.online.clone()),
        ("For", e.audience.clone()),
        ("Book", e.booking.clone()),
        (
            "Book by",
            e.booking_deadline
                .map(|d| d.format("%-d %B %Y").to_string()),
        ),
    ] {
        if let Some(v) = value {
            parts.push(format!("{label}: {v}"));
        }
    }
    if let Some(url) = &c.url {
        parts.push(format!("More: {url}"));
    }
    parts.join("\n\n")
}

/// Content lines, folded and CRLF-terminated.
#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn prop(&mut self, name: &str, value: &str) {
        fold_into(&format!("{name}:{value}"), &mut self.out);
    }

    fn line(&mut self, line: &str) {
        fold_into(line, &mut self.out);
    }

    /// One VEVENT: the occurrence's times, title and status, and what its campaign says.
    fn event(
        &mut self,
        o: &Occurrence,
        campaign: Option<&Campaign>,
        host: &str,
        stamp: &str,
        zone: Zone,
    ) {
        self.prop("BEGIN", "VEVENT");
        self.prop("UID", &format!("{}@{host}", o.key()));
        self.prop("DTSTAMP", stamp);
        match &o.event {
            None => self.all_day(o),
            Some(e) => self.timed(e, zone),
        }
        self.prop("SUMMARY", &escape_text(&o.title));
        // Dates a rule worked out are the organiser's usual week, not yet their announcement.
        self.prop(
            "STATUS",
            if o.confirmed {
                "CONFIRMED"
            } else {
                "TENTATIVE"
            },
        );
        if let Some(c) = campaign {
            self.campaign(c, o.start.year());
        }
        self.prop("END", "VEVENT");
    }

    /// The dates of an all-day occurrence, with an exclusive DTEND.
    fn all_day(&mut self, o: &Occurrence) {
        self.prop("DTSTART;VALUE=DATE", &o.start.format("%Y%m%d").to_string());
        match o.end.succ_opt().filter(|d| writable(*d)) {
            Some(after) => self.prop("DTEND;VALUE=DATE", &after.format("%Y%m%d").to_string()),
            // Ending on the last day iCalendar can write: the same span as a length.
            None => self.prop(
                "DURATION",
                &format!("P{}D", (o.end - o.start).num_days() + 1),
            ),
        }
        // An awareness week does not make anyone busy.
        self.prop("TRANSP", "TRANSPARENT");
    }

    /// The times of an event: local with the zone's TZID when we describe the zone, else UTC.
    fn timed(&mut self, e: &super::EventTime, zone: Zone) {
        let end_fits = writable(e.end.naive_local().date())
            && writable(e.end.with_timezone(&Utc).date_naive());
        for (name, t) in [("DTSTART", e.start), ("DTEND", e.end)] {
            if name == "DTEND" && !end_fits {
                // Past the last year iCalendar can write: the same span as a length.
                let minutes = (e.end - e.start).num_minutes().max(0);
                self.prop("DURATION", &format!("PT{minutes}M"));
            } else if zone.described {
                let local = t.naive_local().format("%Y%m%dT%H%M%S");
                self.prop(
                    &format!("{name};TZID={}", zone.tz.name()),
                    &local.to_string(),
                );
            } else {
                self.prop(
                    name,
                    &t.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string(),
                );
            }
        }
    }

    /// What the campaign says of the occurrence: description, link and themes.
    fn campaign(&mut self, c: &Campaign, year: i32) {
        self.prop("DESCRIPTION", &escape_text(&description(c, year)));
        if let Some(url) = &c.url {
            self.prop(
                "URL",
                &url.chars()
                    .filter(|ch| !ch.is_control())
                    .collect::<String>(),
            );
        }
        if !c.themes.is_empty() {
            let themes: Vec<String> = c.themes.iter().map(|t| escape_text(t.id())).collect();
            self.prop("CATEGORIES", &themes.join(","));
        }
    }
}

/// The organisation's zone, and whether the file carries a VTIMEZONE for it.
#[derive(Clone, Copy)]
struct Zone {
    tz: Tz,
    described: bool,
}

/// Whether iCalendar can write the occurrence's start (as a date, and for an event both its
/// local and its UTC date).
fn starts_writable(o: &Occurrence) -> bool {
    match &o.event {
        None => writable(o.start),
        Some(e) => {
            writable(e.start.naive_local().date())
                && writable(e.start.with_timezone(&Utc).date_naive())
        }
    }
}

/// Append one content line to `out`, folded so no physical line exceeds 75 octets (a
/// continuation line's leading space counts) and never inside a UTF-8 character, then CRLF.
///
/// A fold is also kept away from spaces where the line allows: some readers trim trailing
/// whitespace from each line, others unfold by dropping *all* the whitespace after a CRLF,
/// and either would eat a space that sat next to the fold.
pub fn fold_into(line: &str, out: &mut String) {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut start = 0; // index into `chars` of the current physical line's first character
    let mut room = MAX_LINE_OCTETS;
    while start < chars.len() {
        // The furthest fold point that fits.
        let mut end = start;
        let mut used = 0;
        while end < chars.len() && used + chars[end].1.len_utf8() <= room {
            used += chars[end].1.len_utf8();
            end += 1;
        }
        if end < chars.len() {
            // Step back (a little) from a fold next to a space; the first character stays.
            let mut fold = end;
            while fold > start + 1
                && end - fold < 8
                && (chars[fold - 1].1 == ' ' || chars[fold].1 == ' ')
            {
                fold -= 1;
            }
            if chars[fold - 1].1 != ' ' && chars[fold].1 != ' ' {
                end = fold;
            }
        }
        let from = chars[start].0;
        let to = chars.get(end).map_or(line.len(), |c| c.0);
        if start > 0 {
            out.push_str("\r\n ");
        }
        out.push_str(&line[from..to]);
        start = end;
        room = MAX_LINE_OCTETS - 1;
    }
    out.push_str("\r\n");
}

/// One content line folded, with its CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 64 * 3 + 2);
    fold_into(line, &mut out);
    out
}

/// RFC 5545 §3.3.11 TEXT: `\` `;` `,` escaped, line breaks as `\n`; other control characters
/// (not allowed in TEXT) dropped, tabs kept.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The host of the organisation's website, for UIDs (`…@safeguardingchildren.salford.gov.uk`).
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !h.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    let host: String = host
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect();
    if host.is_empty() {
        "bulletin.invalid".into()
    } else {
        host.to_lowercase()
    }
}

/// A campaign's Markdown summary as plain text for a calendar's DESCRIPTION: links become
/// "text (url)", emphasis and code markers go, headings and quotes lose their markers, list
/// items stay on their own lines, and a paragraph's lines join into one.
pub fn markdown_to_plain(md: &str) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in md.lines() {
        let hard_break = line.ends_with("  ") || line.trim_end().ends_with('\\');
        let mut line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            continue;
        }
        while let Some(rest) = line.strip_prefix('>') {
            line = rest.trim_start();
        }
        let heading = line.starts_with('#') && line.trim_start_matches('#').starts_with(' ');
        if heading {
            line = line.trim_start_matches('#').trim();
        }
        let bullet = ["- ", "* ", "+ "].iter().find_map(|m| line.strip_prefix(m));
        let numbered = line
            .split_once(". ")
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        let text = match bullet {
            Some(rest) => format!("- {}", inline(rest)),
            None => inline(line.strip_suffix('\\').unwrap_or(line).trim_end()),
        };
        if heading && !current.is_empty() {
            paragraphs.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current = text;
        } else if bullet.is_some() || numbered || current.ends_with('\n') {
            current.push('\n');
            current.push_str(&text);
        } else {
            current.push(' ');
            current.push_str(&text);
        }
        if heading {
            paragraphs.push(std::mem::take(&mut current));
        } else if hard_break {
            current.push('\n');
        }
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
        .iter()
        .map(|p| p.trim_end())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A piece of one line: text, or a run of `*`/`_` that may mark emphasis.
enum Piece {
    Text(String),
    Delim {
        ch: char,
        len: usize,
        open: bool,
        close: bool,
        used: bool,
    },
}

/// Inline Markdown to plain text (one line). Linear in the length of `s`: brackets and
/// parentheses are matched in one pass each, a link's label is read once more (without links:
/// a link cannot contain a link), and emphasis runs are paired with a stack.
fn inline(s: &str) -> String {
    inline_with(s, true)
}

fn inline_with(s: &str, links: bool) -> String {
    let mut pieces = pieces(s, links);
    pair_emphasis(&mut pieces);
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(&t),
            Piece::Delim { used: true, .. } => {}
            Piece::Delim { ch, len, .. } => out.extend(std::iter::repeat_n(ch, len)),
        }
    }
    out
}

/// One line read into text (escapes, links and autolinks already plain, code markers gone)
/// and the runs of `*`/`_` between, not yet paired.
fn pieces(s: &str, links: bool) -> Vec<Piece> {
    let chars: Vec<char> = s.chars().collect();
    let (brackets, parens) = if links {
        (matching(&chars, '[', ']'), matching(&chars, '(', ')'))
    } else {
        (Vec::new(), Vec::new())
    };
    let mut pieces: Vec<Piece> = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if chars.get(i + 1).is_some_and(char::is_ascii_punctuation) => {
                text.push(chars[i + 1]);
                i += 2;
            }
            '[' | '!' => {
                let at = if c == '!' && chars.get(i + 1) == Some(&'[') {
                    i + 1
                } else {
                    i
                };
                let found = (links && chars[at] == '[')
                    .then(|| link(&chars, at, &brackets, &parens))
                    .flatten();
                match found {
                    Some((label, url, next)) => {
                        text.push_str(&link_text(&inline_with(&label, false), &url));
                        i = next;
                    }
                    None => {
                        text.push(c);
                        i += 1;
                    }
                }
            }
            '<' => match autolink(&chars, i) {
                Some((url, next)) => {
                    text.push_str(&url);
                    i = next;
                }
                None => {
                    text.push(c);
                    i += 1;
                }
            },
            '`' => i += 1,
            '*' | '_' => {
                let delim = delim(&chars, i);
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                if let Piece::Delim { len, .. } = delim {
                    i += len;
                }
                pieces.push(delim);
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    pieces.push(Piece::Text(text));
    pieces
}

/// A link as plain text: "label (url)", or just the one of them that says something.
fn link_text(label: &str, url: &str) -> String {
    if label.is_empty() || label == url {
        url.to_string()
    } else if url.is_empty() {
        label.to_string()
    } else {
        format!("{label} ({url})")
    }
}

/// The run of `*` or `_` starting at `chars[i]`, and whether it may open or close emphasis
/// (flanking rules, simplified).
fn delim(chars: &[char], i: usize) -> Piece {
    let c = chars[i];
    let len = chars[i..].iter().take_while(|&&x| x == c).count();
    let before = i.checked_sub(1).map(|j| chars[j]);
    let after = chars.get(i + len).copied();
    let space = |x: Option<char>| x.is_none_or(char::is_whitespace);
    let word = |x: Option<char>| x.is_some_and(char::is_alphanumeric);
    let mut open = !space(after);
    let mut close = !space(before);
    if c == '_' {
        // snake_case and URLs keep their underscores.
        open &= !word(before);
        close &= !word(after);
    }
    Piece::Delim {
        ch: c,
        len,
        open,
        close,
        used: false,
    }
}

/// Pair each closing run with the nearest unused opening run of the same character before it;
/// the pairs are markers and go, the rest are literal asterisks and underscores. The unused
/// openers of each character wait on a stack, nearest on top.
fn pair_emphasis(pieces: &mut [Piece]) {
    let mut openers: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for k in 0..pieces.len() {
        let Piece::Delim {
            ch, open, close, ..
        } = pieces[k]
        else {
            continue;
        };
        let stack = &mut openers[usize::from(ch == '_')];
        if close && let Some(j) = stack.pop() {
            for idx in [j, k] {
                if let Piece::Delim { used, .. } = &mut pieces[idx] {
                    *used = true;
                }
            }
        } else if open {
            stack.push(k);
        }
    }
}

/// For each `open` in `chars`, the index of the `close` that balances it (`None` if nothing
/// does); a backslash takes the next character out of the count.
fn matching(chars: &[char], open: char, close: char) -> Vec<Option<usize>> {
    let mut out = vec![None; chars.len()];
    let mut stack = Vec::new();
    let mut j = 0;
    while j < chars.len() {
        match chars[j] {
            '\\' => j += 1,
            c if c == open => stack.push(j),
            c if c == close => {
                if let Some(o) = stack.pop() {
                    out[o] = Some(j);
                }
            }
            _ => {}
        }
        j += 1;
    }
    out
}

/// `[label](url "title")` starting at `chars[i] == '['`: the label, the url and the index after.
fn link(
    chars: &[char],
    i: usize,
    brackets: &[Option<usize>],
    parens: &[Option<usize>],
) -> Option<(String, String, usize)> {
    let close = (*brackets.get(i)?)?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = (*parens.get(close + 1)?)?;
    let label: String = chars[i + 1..close].iter().collect();
    let target: String = chars[close + 2..end].iter().collect();
    let url = target.split_whitespace().next().unwrap_or_default();
    let url = url
        .strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .unwrap_or(url);
    Some((label, url.to_string(), end + 1))
}

/// `<https://…>` or `<mailto:…>` starting at `chars[i] == '<'`. The search stops at the first
/// `<` or space (an autolink holds neither), so the stretches searched from different `<` never
/// overlap.
fn autolink(chars: &[char], i: usize) -> Option<(String, usize)> {
    let len = chars[i + 1..]
        .iter()
        .position(|&c| c == '>' || c == '<' || c.is_whitespace())?;
    let end = i + 1 + len;
    if chars[end] != '>' {
        return None;
    }
    let inner: String = chars[i + 1..end].iter().collect();
    let is_link = ["http://", "https://", "mailto:"]
        .iter()
        .any(|p| inner.starts_with(p));
    is_link.then_some((inner, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn physical_lines(s: &str) -> Vec<&str> {
        assert!(s.ends_with("\r\n"), "ends with CRLF");
        s[..s.len() - 2].split("\r\n").collect()
    }

    /// Undo folding (RFC 5545 §3.1): CRLF followed by one space goes.
    fn unfold(s: &str) -> String {
        s.replace("\r\n ", "")
    }

    #[test]
    fn short_lines_are_not_folded() {
        assert_eq!(
            fold("SUMMARY:Anti-Bullying Week"),
            "SUMMARY:Anti-Bullying Week\r\n"
        );
        let exactly = format!("DESCRIPTION:{}", "x".repeat(75 - 12));
        assert_eq!(exactly.len(), 75);
        assert_eq!(fold(&exactly), format!("{exactly}\r\n"));
    }

    #[test]
    fn long_ascii_lines_fold_at_75_octets() {
        let line = format!("DESCRIPTION:{}", "abcdefghij".repeat(30));
        let folded = fold(&line);
        let lines = physical_lines(&folded);
        assert_eq!(lines[0].len(), 75);
        assert!(
            lines[1..]
                .iter()
                .all(|l| l.starts_with(' ') && l.len() <= 75)
        );
        assert_eq!(lines[1].len(), 75);
        assert_eq!(unfold(&folded), format!("{line}\r\n"));
    }

    #[test]
    fn folding_never_splits_a_utf8_character() {
        // 2-, 3- and 4-byte characters, at every alignment against the 75-octet limit.
        for prefix in 0..4 {
            for ch in ['é', '€', '😀', 'ñ'] {
                let line = format!(
                    "SUMMARY:{}{}",
                    "a".repeat(prefix),
                    ch.to_string().repeat(80)
                );
                let folded = fold(&line);
                for l in physical_lines(&folded) {
                    assert!(l.len() <= 75, "{} octets: {l:?}", l.len());
                    // Each physical line is valid UTF-8 by itself (it is a &str slice of
                    // whole characters), so no character straddles a fold.
                    assert!(std::str::from_utf8(l.as_bytes()).is_ok());
                }
                // Cutting the raw bytes at each CRLF gives whole characters on both sides.
                for piece in folded.as_bytes().split(|&b| b == b'\n') {
                    assert!(std::str::from_utf8(piece).is_ok());
                }
                assert_eq!(unfold(&folded), format!("{line}\r\n"));
            }
        }
        // A line of 3-byte characters: 24 of them after "X:" fill 74 octets, a 25th would not fit.
        let folded = fold(&format!("X:{}", "€".repeat(30)));
        let lines = physical_lines(&folded);
        assert_eq!(lines[0].len(), 2 + 24 * 3);
        assert_eq!(lines[1], format!(" {}", "€".repeat(6)));
    }

    #[test]
    fn folds_stay_away_from_spaces() {
        let line = format!("SUMMARY:{} and then some more words", "w".repeat(62));
        let folded = fold(&line);
        for l in physical_lines(&folded) {
            assert!(!l.ends_with(' '), "{l:?}");
            assert!(!l.starts_with("  "), "{l:?}");
        }
        assert_eq!(unfold(&folded), format!("{line}\r\n"));
        // Nothing but spaces: fold anyway, at the limit.
        let spaces = format!("X:{}", " ".repeat(100));
        assert_eq!(physical_lines(&fold(&spaces))[0].len(), 75);
        assert_eq!(unfold(&fold(&spaces)), format!("{spaces}\r\n"));
    }

    #[test]
    fn text_escaping() {
        assert_eq!(escape_text(r"a\b;c,d"), r"a\\b\;c\,d");
        assert_eq!(
            escape_text("one\ntwo\r\nthree\rfour"),
            r"one\ntwo\nthree\nfour"
        );
        assert_eq!(escape_text("bell\u{7}tab\tend"), "belltab\tend");
        assert_eq!(escape_text("Ünïcödé: fine"), "Ünïcödé: fine");
        // `:` and `"` need no escaping in a TEXT value.
        assert_eq!(escape_text(r#"time: "10:00""#), r#"time: "10:00""#);
    }

    #[test]
    fn hosts_for_uids() {
        assert_eq!(
            host_of("https://safeguardingchildren.salford.gov.uk/"),
            "safeguardingchildren.salford.gov.uk"
        );
        assert_eq!(host_of("https://Example.org:8443/path?q#f"), "example.org");
        assert_eq!(host_of("http://user@example.org"), "example.org");
        assert_eq!(host_of(""), "bulletin.invalid");
    }

    #[test]
    fn markdown_becomes_plain_text() {
        assert_eq!(
            markdown_to_plain(
                "Led by the [Ann Craft Trust](https://www.anncrafttrust.org/), a week."
            ),
            "Led by the Ann Craft Trust (https://www.anncrafttrust.org/), a week."
        );
        assert_eq!(
            markdown_to_plain(
                "**I**nfant crying is normal, it's **O**K, *really*, __truly__ _so_."
            ),
            "Infant crying is normal, it's OK, really, truly so."
        );
        assert_eq!(
            markdown_to_plain("Call **0808 2000 247** now"),
            "Call 0808 2000 247 now"
        );
        assert_eq!(
            markdown_to_plain("snake_case_name and 5 * 3 and a_b"),
            "snake_case_name and 5 * 3 and a_b"
        );
        assert_eq!(
            markdown_to_plain("see <https://example.org/a_b_c>"),
            "see https://example.org/a_b_c"
        );
        assert_eq!(
            markdown_to_plain("[https://x.org](https://x.org)"),
            "https://x.org"
        );
        assert_eq!(
            markdown_to_plain("[*Bold* link](https://x.org/a_(b))"),
            "Bold link (https://x.org/a_(b))"
        );
        assert_eq!(
            markdown_to_plain(r"literal \*stars\* and `code`"),
            "literal *stars* and code"
        );
        assert_eq!(
            markdown_to_plain(
                "# Heading\nline one\nline two\n\n- item *one*\n- item two\n\n> quoted"
            ),
            "Heading\n\nline one line two\n\n- item one\n- item two\n\nquoted"
        );
        assert_eq!(markdown_to_plain("[not a link] here"), "[not a link] here");
    }

    /// Pathological summaries (each 200,000 characters) convert in one pass: before, each `[`,
    /// `<` or closing `*` searched the rest of the line, and 200,000 `[` took minutes.
    #[test]
    fn pathological_summaries_convert_in_linear_work() {
        let n = 200_000;
        for (input, expect) in [
            ("[".repeat(n), "[".repeat(n)),
            ("<".repeat(n), "<".repeat(n)),
            ("](".repeat(n / 2), "](".repeat(n / 2)),
            ("[a](".repeat(n / 4), "[a](".repeat(n / 4)),
            ("<http://x".repeat(n / 9), "<http://x".repeat(n / 9)),
            (
                "a* ".repeat(n / 3),
                "a* ".repeat(n / 3).trim_end().to_string(),
            ),
            (
                "_a ".repeat(n / 3),
                "_a ".repeat(n / 3).trim_end().to_string(),
            ),
        ] {
            assert_eq!(markdown_to_plain(&input), expect);
        }
        // Links nested deep inside one another: the label is read once, without links.
        let deep = format!("{}x{}", "[".repeat(n / 8), "](u)".repeat(n / 8));
        let plain = markdown_to_plain(&deep);
        assert!(plain.len() < deep.len() * 2, "{}", plain.len());
    }

    #[test]
    fn a_calendar_with_nothing_in_it_is_still_valid() {
        let org = Organisation {
            name: "A, B; C".into(),
            short_name: None,
            from: crate::address::Mailbox::parse("News <news@example.org>").expect("mailbox"),
            reply_to: None,
            email: None,
            phone: None,
            postal_address: "1 Street".into(),
            website: "https://example.org".into(),
            time_zone: chrono_tz::Europe::London,
        };
        let stamp = DateTime::parse_from_rfc3339("2026-11-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ics = to_ics(&[], &[], &org, stamp);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bulletin//bulletin "));
        assert!(ics.contains("\r\nCALSCALE:GREGORIAN\r\n"));
        assert!(ics.contains("\r\nX-WR-CALNAME:A\\, B\\; C\r\n"));
        assert!(!ics.contains("VTIMEZONE"), "no events, no zone");
        assert!(ics.ends_with("\r\nEND:VCALENDAR\r\n"));
    }
}
