//! Finding the dates a writer wrote in English prose: "Tuesday 17 November", "Mon 25 Nov
//! 2024", "Tuesday 17/11/2020" (UK order), "the 3rd of March", ranges such as "Monday 16 to
//! Friday 20 November" (the first date takes its month from the second), and references
//! such as "the Monday of Anti-Bullying Week". Hand-rolled over words: names must start
//! with a capital letter, as English writes them, so "sat" and "may" stay verbs.

use chrono::Weekday;

use crate::dates::{MONTHS, weekday_name};

/// One word (letters, digits and `/`) and its byte range in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Token<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    /// A sentence ends between the previous word and this one (`.`, `!`, `?`, `;`, a blank
    /// line or a new list item).
    break_before: bool,
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    let mut gap_from = 0;
    let is_word = |c: char| c.is_alphanumeric() || c == '/';
    for (i, c) in text.char_indices() {
        match (is_word(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(token(text, s, i, gap_from));
                gap_from = i;
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(token(text, s, text.len(), gap_from));
    }
    // The full stop of an abbreviation ("Tue. 17 Nov. 2024") ends no sentence.
    for k in 1..out.len() {
        let prev = out[k - 1];
        let abbreviated =
            prev.text.len() <= 4 && (weekday(prev.text).is_some() || month(prev.text).is_some());
        if abbreviated && text[prev.end..out[k].start].trim_end() == "." {
            out[k].break_before = false;
        }
    }
    out
}

/// The word `text[start..end]`, after the gap `text[gap_from..start]`.
fn token(text: &str, start: usize, end: usize, gap_from: usize) -> Token<'_> {
    let gap = &text[gap_from..start];
    let break_before = gap.contains(['.', '!', '?', ';'])
        || gap.contains("\n\n")
        || gap.contains("\n-")
        || gap.contains("\n*")
        || gap.contains("\n#");
    Token {
        text: &text[start..end],
        start,
        end,
        break_before,
    }
}

const WEEKDAY_ABBREVIATIONS: [(&str, Weekday); 11] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("tues", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("weds", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("thur", Weekday::Thu),
    ("thurs", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

fn capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

fn weekday(word: &str) -> Option<Weekday> {
    if !capitalised(word) {
        return None;
    }
    let lc = word.to_lowercase();
    let full = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .find(|d| weekday_name(*d).eq_ignore_ascii_case(word));
    full.or_else(|| {
        WEEKDAY_ABBREVIATIONS
            .iter()
            .find(|(name, _)| *name == lc)
            .map(|(_, d)| *d)
    })
}

/// 1 to 12 for a month's name or its abbreviation ("Sept" too).
fn month(word: &str) -> Option<u32> {
    if !capitalised(word) {
        return None;
    }
    let lc = word.to_lowercase();
    if lc == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| {
            m.eq_ignore_ascii_case(word) || (lc.len() == 3 && m[..3].eq_ignore_ascii_case(word))
        })
        .map(|i| i as u32 + 1)
}

/// A day of the month: `17`, `17th`, `1st`, `22nd`, `3rd`.
fn day(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = word[digits.len()..].to_lowercase();
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !matches!(suffix.as_str(), "" | "st" | "nd" | "rd" | "th") {
        return None;
    }
    let d: u32 = digits.parse().ok()?;
    (1..=31).contains(&d).then_some(d)
}

fn year(word: &str) -> Option<i32> {
    if word.len() != 4 || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = word.parse().ok()?;
    (1900..=2199).contains(&y).then_some(y)
}

/// `17/11/2020`, `17/11/20` or `17/11`: day, month and the year if written.
fn numeric(word: &str) -> Option<(u32, u32, Option<i32>)> {
    let parts: Vec<&str> = word.split('/').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let d: u32 = parts[0].parse().ok()?;
    let m: u32 = parts[1].parse().ok()?;
    if !(1..=31).contains(&d) || !(1..=12).contains(&m) || parts[0].len() > 2 {
        return None;
    }
    let y = match parts.get(2) {
        None => None,
        Some(p) if p.len() == 2 => Some(2000 + p.parse::<i32>().ok()?),
        Some(p) if p.len() == 4 => Some(year(p)?),
        Some(_) => return None,
    };
    Some((d, m, y))
}

/// What the words before a date say of it: already happened, or still to come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tense {
    Past(&'static str),
    Future(&'static str),
}

/// Phrases that say a dated thing already happened (longest match wins, so "will be
/// launched" is not read as "launched").
const PAST: &[&str] = &[
    "launched",
    "has launched",
    "have launched",
    "took place",
    "was held",
    "were held",
    "happened",
    "took part",
    "was hosted",
    "were hosted",
];

/// Phrases that say a dated thing is still to come.
const FUTURE: &[&str] = &[
    "will be held",
    "will launch",
    "will be launched",
    "will take place",
    "will run",
    "will start",
    "will begin",
    "will open",
    "will happen",
    "will be on",
    "is coming",
    "are coming",
    "is taking place",
    "are taking place",
];

/// How many words before a date a tense phrase may be and still describe it.
const TENSE_REACH: usize = 12;

/// The tense phrase nearest before token `at`, within its sentence.
fn tense_before(toks: &[Token<'_>], at: usize) -> Option<Tense> {
    if toks.get(at).is_none_or(|t| t.break_before) {
        return None;
    }
    let mut from = at;
    while from > 0 && at - from < TENSE_REACH {
        from -= 1;
        if toks[from].break_before {
            break;
        }
    }
    let words: Vec<String> = toks[from..at]
        .iter()
        .map(|t| t.text.to_lowercase())
        .collect();
    for end in (1..=words.len()).rev() {
        let mut best: Option<Tense> = None;
        let mut best_len = 0;
        let phrases = PAST
            .iter()
            .map(|p| (Tense::Past(p), *p))
            .chain(FUTURE.iter().map(|p| (Tense::Future(p), *p)));
        for (tense, phrase) in phrases {
            let n = phrase.split(' ').count();
            if n <= end
                && n > best_len
                && words[end - n..end]
                    .iter()
                    .map(String::as_str)
                    .eq(phrase.split(' '))
            {
                best = Some(tense);
                best_len = n;
            }
        }
        if best.is_some() {
            return best;
        }
    }
    None
}

/// A date as written, with what of it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenDate {
    /// Byte range of the whole date in the text.
    pub start: usize,
    pub end: usize,
    pub weekday: Option<Weekday>,
    pub day: u32,
    pub month: u32,
    /// `None` when the writer left the year to the reader.
    pub year: Option<i32>,
    pub tense: Option<Tense>,
}

impl WrittenDate {
    /// The date as written, for messages.
    pub fn written<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }
}

/// "the Monday of <name>", or "<name> … on the Monday": a weekday said to be one of the
/// days of something named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekdayOf {
    /// Byte offset of "the".
    pub start: usize,
    pub weekday: Weekday,
    pub name: NamedAt,
}

/// Where to look for the name a weekday belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedAt {
    /// "the Monday of Anti-Bullying Week": the name starts at this byte offset.
    After(usize),
    /// "Odd Socks Day is on the Monday": the name is earlier in the sentence, which starts at
    /// this byte offset.
    Before(usize),
}

/// Everything [`scan`] recognises in one text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    pub dates: Vec<WrittenDate>,
    pub weekdays_of: Vec<WeekdayOf>,
}

/// A date starting at token `i`: the date and the index of the token after it. A day with
/// no month of its own, followed by a connector and another weekday date ("Monday 16 to
/// Friday 20 November"), takes the second date's month and year; both come back.
fn date_at(toks: &[Token<'_>], i: usize) -> Option<(Vec<WrittenDate>, usize)> {
    let tok = |k: usize| toks.get(k).filter(|t| k == i || !t.break_before);
    let wd = weekday(toks[i].text);
    let mut j = if wd.is_some() { i + 1 } else { i };
    if wd.is_some() && tok(j).is_some_and(|t| t.text.eq_ignore_ascii_case("the")) {
        j += 1;
    }
    let first = tok(j)?;
    let make = |end: usize, day: u32, month: u32, year: Option<i32>| WrittenDate {
        start: toks[i].start,
        end,
        weekday: wd,
        day,
        month,
        year,
        tense: None,
    };
    if wd.is_some()
        && let Some((d, m, y)) = numeric(first.text)
    {
        return Some((vec![make(first.end, d, m, y)], j + 1));
    }
    if let Some(d) = day(first.text) {
        let mut k = j + 1;
        if tok(k).is_some_and(|t| t.text == "of") {
            k += 1;
        }
        if let Some(m) = tok(k).and_then(|t| month(t.text)) {
            if let Some(y) = tok(k + 1).and_then(|t| year(t.text)) {
                return Some((vec![make(toks[k + 1].end, d, m, Some(y))], k + 2));
            }
            return Some((vec![make(toks[k].end, d, m, None)], k + 1));
        }
        // A range whose first day borrows the month of the second.
        wd?;
        let mut k = j + 1;
        if tok(k).is_some_and(|t| {
            matches!(
                t.text.to_lowercase().as_str(),
                "to" | "and" | "until" | "till" | "through"
            )
        }) {
            k += 1;
        }
        if tok(k).is_some_and(|t| weekday(t.text).is_some() || day(t.text).is_some()) {
            let (mut second, next) = date_at(toks, k)?;
            let s = second.first()?.clone();
            let (month, year) = if d <= s.day {
                (s.month, s.year)
            } else if s.month == 1 {
                (12, s.year.map(|y| y - 1))
            } else {
                (s.month - 1, s.year)
            };
            let mut out = vec![make(first.end, d, month, year)];
            out.append(&mut second);
            return Some((out, next));
        }
        return None;
    }
    // "Tuesday, November 17": only after a weekday.
    wd?;
    let m = month(first.text)?;
    let d = tok(j + 1).and_then(|t| day(t.text))?;
    if let Some(y) = tok(j + 2).and_then(|t| year(t.text)) {
        return Some((vec![make(toks[j + 2].end, d, m, Some(y))], j + 3));
    }
    Some((vec![make(toks[j + 1].end, d, m, None)], j + 2))
}

/// Every date and "the Monday of …" in `text`, in order.
pub fn scan(text: &str) -> Found {
    let toks = tokens(text);
    let mut found = Found::default();
    let mut i = 0;
    while i < toks.len() {
        if toks[i].text.eq_ignore_ascii_case("the")
            && let Some(wd) = toks
                .get(i + 1)
                .filter(|t| !t.break_before)
                .and_then(|t| weekday(t.text))
            && date_at(&toks, i + 1).is_none()
        {
            let of = toks
                .get(i + 2)
                .is_some_and(|t| t.text == "of" && !t.break_before);
            let name = match toks.get(i + 3).filter(|t| of && !t.break_before) {
                Some(name) => Some(NamedAt::After(name.start)),
                None if !of && i > 0 && toks[i - 1].text == "on" && !toks[i].break_before => {
                    let mut s = i - 1;
                    while s > 0 && !toks[s].break_before {
                        s -= 1;
                    }
                    Some(NamedAt::Before(toks[s].start))
                }
                None => None,
            };
            if let Some(name) = name {
                found.weekdays_of.push(WeekdayOf {
                    start: toks[i].start,
                    weekday: wd,
                    name,
                });
                i += 2;
                continue;
            }
        }
        if let Some((mut dates, next)) = date_at(&toks, i) {
            dates[0].tense = tense_before(&toks, i);
            found.dates.extend(dates);
            i = next;
        } else {
            i += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> WrittenDate {
        let f = scan(text);
        assert_eq!(f.dates.len(), 1, "{text}: {f:?}");
        f.dates[0].clone()
    }

    #[test]
    fn recognises_the_written_forms() {
        let d = one("on Tuesday 17 November to help");
        assert_eq!(
            (d.weekday, d.day, d.month, d.year),
            (Some(Weekday::Tue), 17, 11, None)
        );
        assert_eq!(
            d.written("on Tuesday 17 November to help"),
            "Tuesday 17 November"
        );
        let d = one("Mon 25 Nov 2024");
        assert_eq!((d.day, d.month, d.year), (25, 11, Some(2024)));
        let d = one("Tuesday 17/11/2020");
        assert_eq!((d.day, d.month, d.year), (17, 11, Some(2020)));
        let d = one("Thursday, the 3rd of December 2026, 9:30am");
        assert_eq!(
            (d.weekday, d.day, d.month, d.year),
            (Some(Weekday::Thu), 3, 12, Some(2026))
        );
        let d = one("on Tue. 17 Nov. 2024.");
        assert_eq!(
            (d.weekday, d.day, d.month, d.year),
            (Some(Weekday::Tue), 17, 11, Some(2024))
        );
        let d = one("Tuesday, November 17, 2020");
        assert_eq!((d.day, d.month, d.year), (17, 11, Some(2020)));
        let d = one("held on 6 Sept 2025");
        assert_eq!((d.weekday, d.day, d.month), (None, 6, 9));
    }

    #[test]
    fn a_range_lends_its_month_to_its_first_day() {
        let f = scan("from Monday 16 to Friday 20 November.");
        let got: Vec<_> = f
            .dates
            .iter()
            .map(|d| (d.weekday, d.day, d.month))
            .collect();
        assert_eq!(
            got,
            [(Some(Weekday::Mon), 16, 11), (Some(Weekday::Fri), 20, 11)]
        );
        let f = scan("Anti-Bullying Week (Monday 16th-20th November)");
        let got: Vec<_> = f
            .dates
            .iter()
            .map(|d| (d.weekday, d.day, d.month))
            .collect();
        assert_eq!(got, [(Some(Weekday::Mon), 16, 11), (None, 20, 11)]);
        let f = scan("Monday 28 – Wednesday 3 January 2024");
        assert_eq!((f.dates[0].month, f.dates[0].year), (12, Some(2023)));
    }

    #[test]
    fn ordinary_words_are_not_dates() {
        for text in [
            "she sat 3 exams in may",
            "on Monday we meet",
            "call 0161 603 4500, Monday to Friday, 8.30am to 4.30pm",
            "the 2024 report",
        ] {
            assert!(scan(text).dates.is_empty(), "{text}: {:?}", scan(text));
        }
    }

    #[test]
    fn tense_is_read_from_the_words_before_within_the_sentence() {
        let text = "The Home Office launched a new campaign, *Something's Not Right*, on Tuesday 17 November to help";
        assert_eq!(one(text).tense, Some(Tense::Past("launched")));
        assert_eq!(
            one("The review will be launched on Monday 2 December").tense,
            Some(Tense::Future("will be launched"))
        );
        assert_eq!(one("It launched. See Monday 2 December").tense, None);
        assert_eq!(
            one("The event will be held on Mon 25 Nov 2024").tense,
            Some(Tense::Future("will be held"))
        );
    }

    #[test]
    fn finds_a_weekday_of_a_named_week() {
        let text = "Wear odd socks on the Monday of Anti-Bullying Week.";
        let f = scan(text);
        assert!(f.dates.is_empty());
        assert_eq!(f.weekdays_of.len(), 1);
        assert_eq!(f.weekdays_of[0].weekday, Weekday::Mon);
        let NamedAt::After(name) = f.weekdays_of[0].name else {
            panic!("{f:?}")
        };
        assert!(text[name..].starts_with("Anti-Bullying"));
        let text = "Last year. Odd Socks Day is on the Tuesday this year; on the Monday of";
        let f = scan(text);
        assert_eq!(f.weekdays_of.len(), 1, "{f:?}");
        assert_eq!(
            f.weekdays_of[0].name,
            NamedAt::Before(text.find("Odd").unwrap())
        );
        assert_eq!(f.weekdays_of[0].weekday, Weekday::Tue);
        assert!(
            scan("It starts on the Monday 16 November.")
                .weekdays_of
                .is_empty()
        );
    }
}
