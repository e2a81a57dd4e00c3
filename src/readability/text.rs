//! A Markdown body as the words a reader reads: the visible text with the byte offset in the
//! source of every character (so findings point at the source), the blocks that end sentences,
//! and the links with the text they show.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

/// A character a reader sees, and where it is in the source. `'\n'` marks the end of a block
/// (a paragraph, a heading, a list item), which ends a sentence whatever its punctuation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Char {
    pub c: char,
    pub at: usize,
}

/// A link and the words it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub at: usize,
    pub text: String,
    pub href: String,
    /// `<https://…>`: the address is the text.
    pub autolink: bool,
}

/// What a reader reads of a body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visible {
    pub chars: Vec<Char>,
    pub links: Vec<Link>,
}

/// The visible text of `md`. Code blocks, raw HTML and image alt text are left out: they are not
/// prose the writer can make plainer.
pub fn visible(md: &str) -> Visible {
    let mut v = Visible::default();
    let mut skip = 0usize;
    let mut link: Option<Link> = None;
    for (ev, range) in Parser::new_ext(md, Options::ENABLE_STRIKETHROUGH).into_offset_iter() {
        match ev {
            Event::Start(Tag::CodeBlock(_) | Tag::Image { .. } | Tag::HtmlBlock) => skip += 1,
            Event::End(TagEnd::CodeBlock | TagEnd::Image | TagEnd::HtmlBlock) => {
                skip = skip.saturating_sub(1)
            }
            _ if skip > 0 => {}
            Event::Text(t) | Event::Code(t) => {
                if let Some(l) = &mut link {
                    l.text.push_str(&t);
                }
                let src = &md[range.clone()];
                if *src == *t {
                    v.chars.extend(t.char_indices().map(|(i, c)| Char {
                        c,
                        at: range.start + i,
                    }));
                } else {
                    // An escape, an entity or code in backticks: the characters all point at
                    // where the run starts.
                    v.chars
                        .extend(t.chars().map(|c| Char { c, at: range.start }));
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(l) = &mut link {
                    l.text.push(' ');
                }
                v.chars.push(Char {
                    c: ' ',
                    at: range.start,
                });
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                link = Some(Link {
                    at: range.start,
                    text: String::new(),
                    href: dest_url.to_string(),
                    autolink: matches!(link_type, LinkType::Autolink),
                })
            }
            Event::End(TagEnd::Link) => v.links.extend(link.take()),
            Event::Start(Tag::Item)
            | Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
                v.chars.push(Char {
                    c: '\n',
                    at: range.start,
                })
            }
            _ => {}
        }
    }
    v
}

/// A word: its text and where its first character is, as an index into [`Visible::chars`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub index: usize,
}

/// A sentence: its words, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sentence {
    pub words: Vec<Word>,
}

/// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "dr", "mr", "mrs", "ms", "st", "no", "vs", "cllr", "prof", "approx",
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn joins_word(c: char) -> bool {
    matches!(c, '\'' | '’' | '-' | '.' | '/' | ':' | '@' | '&')
}

/// The sentences of the visible text. A sentence ends at `.`, `!` or `?` followed by a space
/// and a word that does not start in lower case (so "e.g. a" and "Dr. Smith" do not end one),
/// and at the end of every block.
pub fn sentences(chars: &[Char]) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut cur = Sentence::default();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].c;
        if is_word_char(c) {
            let start = i;
            let mut text = String::new();
            while i < chars.len() {
                let ch = chars[i].c;
                let next_is_word = chars.get(i + 1).is_some_and(|n| is_word_char(n.c));
                if is_word_char(ch) || (joins_word(ch) && next_is_word) {
                    text.push(ch);
                    i += 1;
                } else {
                    break;
                }
            }
            cur.words.push(Word { text, index: start });
            continue;
        }
        let ends = match c {
            '\n' => true,
            '.' | '!' | '?' => {
                let rest = chars[i + 1..]
                    .iter()
                    .map(|c| c.c)
                    .skip_while(|c| matches!(c, '"' | '\'' | '’' | '”' | ')' | '.' | '!' | '?'));
                let mut rest = rest.peekable();
                let spaced = rest.peek().is_none_or(|c| c.is_whitespace());
                let next_word = rest.find(|c| !c.is_whitespace());
                let abbreviation = c == '.'
                    && cur.words.last().is_some_and(|w| {
                        ABBREVIATIONS.contains(&w.text.to_lowercase().as_str())
                            && chars
                                .get(i.wrapping_sub(1))
                                .is_some_and(|p| is_word_char(p.c))
                    });
                spaced && !abbreviation && next_word.is_none_or(|n| !n.is_lowercase())
            }
            _ => false,
        };
        if ends && !cur.words.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        i += 1;
    }
    if !cur.words.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(md: &str) -> Vec<Vec<String>> {
        let v = visible(md);
        sentences(&v.chars)
            .into_iter()
            .map(|s| s.words.into_iter().map(|w| w.text).collect())
            .collect()
    }

    #[test]
    fn blocks_and_full_stops_end_sentences_but_abbreviations_do_not() {
        assert_eq!(
            words("# Title\n\nIt is here, e.g. now. Next one's **bold**!\n\n- an item"),
            vec![
                vec!["Title"],
                vec!["It", "is", "here", "e.g", "now"],
                vec!["Next", "one's", "bold"],
                vec!["an", "item"],
            ]
        );
    }

    #[test]
    fn links_keep_their_text_and_offsets_point_at_the_source() {
        let md = "See [click here](https://x.example) and <https://y.example>.";
        let v = visible(md);
        assert_eq!(v.links.len(), 2);
        assert_eq!(v.links[0].text, "click here");
        assert_eq!(v.links[0].at, 4);
        assert!(v.links[1].autolink);
        let s = sentences(&v.chars);
        let click = &s[0].words[1];
        assert_eq!(click.text, "click");
        assert_eq!(v.chars[click.index].at, 5);
    }
}
