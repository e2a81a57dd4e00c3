//! Plain English: what in a news item makes it harder to read than it needs to be — long
//! sentences, the passive voice, acronyms not spelt out, links that do not say where they go,
//! and words with a plainer equivalent — and how hard the whole item is to read. Pure: a
//! Markdown body and a glossary in, findings (as byte offsets in the body) and figures out;
//! [`project`] turns them into `check` warnings.

pub mod glossary;
pub mod project;
pub mod text;

pub use glossary::Glossary;

use text::{Char, Sentence, Word};

/// Sentences longer than this many words are reported. GOV.UK's style guide asks for 25 at
/// most.
pub const MAX_SENTENCE_WORDS: usize = 25;

/// An item whose reading age is above this is reported. The readers are practitioners
/// (teachers, nurses, social workers, volunteers), not the public, so the target is the
/// reading age of someone leaving school at 18 rather than GOV.UK's 9 for everyone.
pub const MAX_READING_AGE: f64 = 18.0;

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    LongSentence {
        words: usize,
    },
    Passive {
        phrase: String,
    },
    Acronym {
        acronym: String,
        expansion: Option<String>,
    },
    VagueLink {
        text: String,
    },
    PlainWord {
        word: String,
        plainer: String,
    },
}

/// One thing to make plainer, at byte `at` of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub at: usize,
    pub kind: Kind,
}

/// How hard an item is to read, by the Flesch–Kincaid grade level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub words: usize,
    pub sentences: usize,
    pub syllables: usize,
}

impl Figures {
    /// The Flesch–Kincaid grade level: 0.39 × words per sentence + 11.8 × syllables per word
    /// − 15.59 (a US school grade). Syllables are counted by [`syllables`].
    pub fn grade(&self) -> f64 {
        if self.words == 0 || self.sentences == 0 {
            return 0.0;
        }
        0.39 * self.words as f64 / self.sentences as f64
            + 11.8 * self.syllables as f64 / self.words as f64
            - 15.59
    }

    /// The reading age: the grade plus 5, the usual UK conversion (US grade 1 is the year a
    /// child turns 6–7), never below 5.
    pub fn reading_age(&self) -> f64 {
        (self.grade() + 5.0).max(5.0)
    }
}

/// What a body has to make plainer, and its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub figures: Figures,
}

/// The syllables of a word, by the vowel-group heuristic: each run of vowels (`y` counting as
/// one except at the start) is a syllable, after dropping a silent final `-e` (not `-le` after a
/// consonant, nor `-ee`), an `-es` that is not its own syllable (not after s, x, z, c, g, h)
/// and an `-ed` that is not (not after t or d). Words of three letters or fewer, and numbers,
/// are one syllable. Right for most English words; off by one on some (e.g. "created").
pub fn syllables(word: &str) -> usize {
    let w: Vec<char> = word
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect();
    if w.len() <= 3 {
        return 1;
    }
    let n = w.len();
    let consonant = |c: char| !"aeiouy".contains(c);
    let cut = if w.ends_with(&['e', 's']) {
        if "sxzcgh".contains(w[n - 3]) || !consonant(w[n - 3]) {
            0
        } else {
            2
        }
    } else if w.ends_with(&['e', 'd']) {
        if "td".contains(w[n - 3]) || !consonant(w[n - 3]) {
            0
        } else {
            2
        }
    } else if w[n - 1] == 'e' {
        let le = w[n - 2] == 'l' && consonant(w[n - 3]);
        if le || w[n - 2] == 'e' { 0 } else { 1 }
    } else {
        0
    };
    let w = &w[..n - cut];
    let mut count = 0;
    let mut in_vowel = false;
    for (i, &c) in w.iter().enumerate() {
        let vowel = "aeiou".contains(c) || (c == 'y' && i > 0);
        if vowel && !in_vowel {
            count += 1;
        }
        in_vowel = vowel;
    }
    count.max(1)
}

/// Forms of "to be" that make a passive with a past participle after them.
const TO_BE: &[&str] = &["am", "is", "are", "was", "were", "be", "been", "being"];

/// Past participles that do not end in -ed.
const IRREGULAR_PARTICIPLES: &[&str] = &[
    "begun",
    "born",
    "bought",
    "broken",
    "brought",
    "built",
    "caught",
    "chosen",
    "done",
    "drawn",
    "driven",
    "eaten",
    "fallen",
    "felt",
    "forgotten",
    "found",
    "given",
    "gone",
    "grown",
    "heard",
    "held",
    "hidden",
    "hurt",
    "kept",
    "known",
    "laid",
    "led",
    "left",
    "lost",
    "made",
    "meant",
    "met",
    "paid",
    "put",
    "run",
    "said",
    "seen",
    "sent",
    "set",
    "shown",
    "sold",
    "spent",
    "spoken",
    "stolen",
    "taken",
    "taught",
    "thought",
    "told",
    "understood",
    "won",
    "worn",
    "written",
];

/// Words ending in -ed that are not participles.
const NOT_PARTICIPLES: &[&str] = &[
    "bed", "need", "red", "seed", "shed", "speed", "feed", "hundred",
];

fn is_participle(word: &str) -> bool {
    let w = word.to_lowercase();
    IRREGULAR_PARTICIPLES.contains(&w.as_str())
        || (w.len() > 3 && w.ends_with("ed") && !NOT_PARTICIPLES.contains(&w.as_str()))
}

/// A passive: a form of "to be", then (past at most one adverb in -ly, or "not") a past
/// participle — a regular -ed word or one of [`IRREGULAR_PARTICIPLES`]. A heuristic: "is
/// interested" counts, "is red" does not.
fn passives(s: &Sentence) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, w) in s.words.iter().enumerate() {
        if !TO_BE.contains(&w.text.to_lowercase().as_str()) {
            continue;
        }
        let mut j = i + 1;
        if let Some(next) = s.words.get(j) {
            let lc = next.text.to_lowercase();
            if lc == "not" || (lc.ends_with("ly") && lc.len() > 4) {
                j += 1;
            }
        }
        if s.words.get(j).is_some_and(|p| is_participle(&p.text)) {
            let phrase = s.words[i..=j]
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            out.push((w.index, phrase));
        }
    }
    out
}

/// Link text that says nothing of where the link goes.
const VAGUE_LINK_TEXT: &[&str] = &[
    "click here",
    "here",
    "read more",
    "this link",
    "link",
    "more",
    "click",
    "this",
    "find out more",
    "more information",
];

fn vague_link(l: &text::Link) -> Option<String> {
    let t = l
        .text
        .trim()
        .trim_end_matches(|c: char| c.is_ascii_punctuation())
        .to_lowercase();
    let url_like = ["http://", "https://", "www."]
        .iter()
        .any(|p| t.starts_with(p))
        || l.autolink
        || t == l.href.to_lowercase();
    (url_like || VAGUE_LINK_TEXT.contains(&t.as_str())).then(|| l.text.trim().to_string())
}

/// An acronym: two or more capital letters and nothing else (a plural `s` allowed).
fn acronym(word: &str) -> Option<&str> {
    let a = word.strip_suffix('s').unwrap_or(word);
    (a.chars().count() >= 2 && a.chars().all(|c| c.is_ascii_uppercase())).then_some(a)
}

/// Whether `acronym` is spelt out where it is first used at `first` (an index into `chars`):
/// its expansion (from the glossary, or words whose initials spell it) comes before it, or in
/// brackets straight after it ("DSL (Designated Safeguarding Lead)").
fn spelt_out(
    acronym: &str,
    expansion: Option<&str>,
    chars: &[Char],
    words: &[&Word],
    first_word: usize,
) -> bool {
    let first = words[first_word].index;
    if let Some(exp) = expansion {
        let lc: String = chars.iter().map(|c| c.c.to_ascii_lowercase()).collect();
        let exp = exp.to_lowercase();
        let byte_of = |idx: usize| lc.char_indices().nth(idx).map_or(lc.len(), |(b, _)| b);
        let first_b = byte_of(first);
        let after_b = byte_of(first + acronym.chars().count());
        if lc[..first_b].contains(&exp) {
            return true;
        }
        let after = lc[after_b..].trim_start_matches(['s', ' ', '(']);
        if after.starts_with(&exp) {
            return true;
        }
    }
    // "Serious Case Review (SCR)", "sudden unexpected death in children (SUDC)": the words
    // before it spell it out, with or without the small words between.
    let n = acronym.chars().count();
    let before = &words[first_word.saturating_sub(2 * n)..first_word];
    let initials = |skip_small: bool| -> String {
        let mut out: Vec<char> = before
            .iter()
            .rev()
            .filter(|w| !(skip_small && SMALL_WORDS.contains(&w.text.to_lowercase().as_str())))
            .filter_map(|w| w.text.chars().next())
            .map(|c| c.to_ascii_uppercase())
            .take(n)
            .collect();
        out.reverse();
        out.into_iter().collect()
    };
    initials(false) == acronym || initials(true) == acronym
}

/// Words an acronym usually leaves out of its initials.
const SMALL_WORDS: &[&str] = &["of", "in", "and", "the", "for", "to", "on", "a", "an", "&"];

/// Whether words `at..` of `words` are the words of `phrase` (whitespace-separated); a
/// one-word phrase also matches its inflections ("utilise": "utilised", "utilising").
fn matches_phrase(words: &[&Word], at: usize, phrase: &[String]) -> bool {
    if phrase.len() == 1 {
        let w = words[at].text.to_lowercase();
        let p = &phrase[0];
        if w == *p {
            return true;
        }
        let stem = p.strip_suffix('e').unwrap_or(p);
        return w
            .strip_prefix(stem)
            .is_some_and(|rest| ["s", "es", "d", "ed", "ing"].contains(&rest));
    }
    phrase.len() <= words.len() - at
        && phrase
            .iter()
            .zip(&words[at..])
            .all(|(p, w)| w.text.to_lowercase() == *p)
}

/// Everything to make plainer in the Markdown `body`, and its figures.
pub fn read(body: &str, glossary: &Glossary) -> Report {
    let v = text::visible(body);
    let sentences = text::sentences(&v.chars);
    let at = |index: usize| v.chars.get(index).map_or(0, |c| c.at);
    let mut findings = Vec::new();
    let mut figures = Figures {
        words: 0,
        sentences: sentences.len(),
        syllables: 0,
    };
    for s in &sentences {
        figures.words += s.words.len();
        figures.syllables += s.words.iter().map(|w| syllables(&w.text)).sum::<usize>();
        if s.words.len() > MAX_SENTENCE_WORDS {
            findings.push(Finding {
                at: at(s.words[0].index),
                kind: Kind::LongSentence {
                    words: s.words.len(),
                },
            });
        }
        for (index, phrase) in passives(s) {
            findings.push(Finding {
                at: at(index),
                kind: Kind::Passive { phrase },
            });
        }
    }
    let words: Vec<&Word> = sentences.iter().flat_map(|s| &s.words).collect();
    let mut seen = std::collections::HashSet::new();
    for (i, w) in words.iter().enumerate() {
        let Some(a) = acronym(&w.text) else { continue };
        if glossary.familiar.contains(a) || !seen.insert(a.to_string()) {
            continue;
        }
        let expansion = glossary.acronyms.get(a).map(String::as_str);
        if !spelt_out(a, expansion, &v.chars, &words, i) {
            findings.push(Finding {
                at: at(w.index),
                kind: Kind::Acronym {
                    acronym: a.to_string(),
                    expansion: expansion.map(str::to_string),
                },
            });
        }
    }
    let plain: Vec<(Vec<String>, &String)> = glossary
        .plain
        .iter()
        .map(|(k, v)| (k.split_whitespace().map(str::to_lowercase).collect(), v))
        .collect();
    for i in 0..words.len() {
        for (phrase, plainer) in &plain {
            if !phrase.is_empty() && matches_phrase(&words, i, phrase) {
                let word = words[i..i + phrase.len()]
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                findings.push(Finding {
                    at: at(words[i].index),
                    kind: Kind::PlainWord {
                        word,
                        plainer: plainer.to_string(),
                    },
                });
            }
        }
    }
    for l in &v.links {
        if let Some(text) = vague_link(l) {
            findings.push(Finding {
                at: l.at,
                kind: Kind::VagueLink { text },
            });
        }
    }
    findings.sort_by_key(|f| f.at);
    Report { findings, figures }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(body: &str, g: &Glossary) -> Vec<Kind> {
        read(body, g).findings.into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn syllables_of_known_words() {
        for (w, n) in [
            ("the", 1),
            ("cat", 1),
            ("cake", 1),
            ("table", 2),
            ("jumped", 1),
            ("wanted", 2),
            ("free", 1),
            ("makes", 1),
            ("services", 3),
            ("families", 3),
            ("children", 2),
            ("reading", 2),
            ("beautiful", 3),
            ("education", 4),
            ("year", 1),
            ("2024", 1),
        ] {
            assert_eq!(syllables(w), n, "{w}");
        }
    }

    #[test]
    fn flesch_kincaid_on_a_known_passage() {
        // 9 words, 2 sentences, 9 syllables: 0.39 × 4.5 + 11.8 × 1 − 15.59 = −2.035.
        let r = read("The cat sat on the mat. The dog ran.", &Glossary::default());
        assert_eq!(
            r.figures,
            Figures {
                words: 9,
                sentences: 2,
                syllables: 9
            }
        );
        assert!((r.figures.grade() - -2.035).abs() < 1e-9);
        assert_eq!(r.figures.reading_age(), 5.0);
        let r = read(
            "Practitioners should consider the family's circumstances before making any referral today.",
            &Glossary::default(),
        );
        assert_eq!((r.figures.words, r.figures.sentences), (11, 1));
        let expected = 0.39 * 11.0 + 11.8 * r.figures.syllables as f64 / 11.0 - 15.59;
        assert!((r.figures.grade() - expected).abs() < 1e-9);
        assert!((r.figures.reading_age() - (expected + 5.0)).abs() < 1e-9);
    }

    #[test]
    fn passive_voice_is_a_form_of_be_and_a_participle() {
        let g = Glossary::default();
        let passive = |s: &str| {
            kinds(s, &g)
                .iter()
                .any(|k| matches!(k, Kind::Passive { .. }))
        };
        assert!(passive("The report was published in May."));
        assert!(passive("Training will be given by the team."));
        assert!(passive("Referrals are not accepted by email."));
        assert!(passive("The review was quickly written."));
        assert!(!passive("The team published the report in May."));
        assert!(!passive("The door is red."));
        assert!(!passive("We are ready to help."));
        assert!(!passive("What you need is here."));
    }

    #[test]
    fn acronyms_must_be_spelt_out_at_first_use() {
        let mut g = Glossary::default();
        g.acronyms
            .insert("DSL".into(), "Designated Safeguarding Lead".into());
        g.familiar.insert("NHS".into());
        let acronyms = |s: &str| -> Vec<String> {
            kinds(s, &g)
                .into_iter()
                .filter_map(|k| match k {
                    Kind::Acronym { acronym, .. } => Some(acronym),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(acronyms("Ask your DSL. The DSL knows."), vec!["DSL"]);
        assert!(acronyms("Ask your Designated Safeguarding Lead (DSL). The DSL knows.").is_empty());
        assert!(acronyms("Ask your DSL (designated safeguarding lead).").is_empty());
        assert!(acronyms("Read the Serious Case Review (SCR) today.").is_empty());
        assert!(acronyms("It is a sudden unexpected death in children (SUDC).").is_empty());
        assert_eq!(acronyms("Read the SCR today."), vec!["SCR"]);
        assert!(acronyms("Your NHS trust can help.").is_empty());
        assert!(acronyms("I am here. A plan.").is_empty());
    }

    #[test]
    fn vague_links_and_plain_words() {
        let g = Glossary::default();
        let k = kinds(
            "To utilise it, [click here](https://x.example). Prior to that see \
             [https://y.example](https://y.example) or [the guidance](https://z.example).",
            &g,
        );
        assert_eq!(
            k,
            vec![
                Kind::PlainWord {
                    word: "utilise".into(),
                    plainer: "use".into()
                },
                Kind::VagueLink {
                    text: "click here".into()
                },
                Kind::PlainWord {
                    word: "Prior to".into(),
                    plainer: "before".into()
                },
                Kind::VagueLink {
                    text: "https://y.example".into()
                },
            ]
        );
    }

    #[test]
    fn long_sentences_are_over_the_limit() {
        let g = Glossary::default();
        let words = |n: usize| format!("{}.", vec!["word"; n].join(" "));
        assert!(kinds(&words(MAX_SENTENCE_WORDS), &g).is_empty());
        assert_eq!(
            kinds(&words(MAX_SENTENCE_WORDS + 1), &g),
            vec![Kind::LongSentence {
                words: MAX_SENTENCE_WORDS + 1
            }]
        );
    }
}
