//! Markdown into a small, safe document tree that both the HTML and the plain-text renderers
//! walk, so the two parts carry the same structure. Raw HTML in the source is kept as visible
//! text (never as markup), and only http(s), mailto, tel and in-page links survive.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A block of a Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Para(Vec<Inline>),
    /// Level as written in the Markdown (1–6); renderers shift it under their own headings.
    Heading(u8, Vec<Inline>),
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Quote(Vec<Block>),
    Code(String),
    Rule,
}

/// Inline content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emph(Vec<Inline>),
    Code(String),
    /// `href` is `None` when the link's target was unsafe (e.g. `javascript:`): the text stays.
    Link {
        href: Option<String>,
        children: Vec<Inline>,
    },
    Image {
        src: Option<String>,
        alt: String,
    },
    Break,
}

/// Whether a link target is safe to put in mail: http(s), mailto, tel, or an in-page anchor.
pub fn safe_href(href: &str) -> Option<String> {
    let h = href.trim();
    if h.chars()
        .any(|c| c.is_control() || c == '"' || c == '<' || c == '>')
    {
        return None;
    }
    let lower = h.to_ascii_lowercase();
    let ok = ["https://", "http://", "mailto:", "tel:"]
        .iter()
        .any(|p| lower.starts_with(p) && h.len() > p.len())
        || (h.starts_with('#') && h.len() > 1);
    ok.then(|| h.to_string())
}

/// How deeply quotes, lists and emphasis may nest. Real bulletins nest three or four levels;
/// the bound keeps every walk over the tree (rendering, plain text, dropping it) to a small,
/// fixed stack, whatever a file contains.
pub const MAX_DEPTH: usize = 32;

fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION
}

/// Parse a Markdown body. Never nests deeper than [`MAX_DEPTH`]: content below that depth is
/// kept, flattened into the deepest allowed container (`check` refuses such files first, see
/// [`too_deep`], so this only guards what reaches the renderer by other routes).
pub fn parse(md: &str) -> Vec<Block> {
    let mut b = Builder::default();
    for ev in Parser::new_ext(md, options()) {
        b.event(ev);
    }
    b.finish()
}

/// The byte offset in `md` where nesting first goes deeper than [`MAX_DEPTH`], if it does.
pub fn too_deep(md: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (ev, range) in Parser::new_ext(md, options()).into_offset_iter() {
        match ev {
            Event::Start(_) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(range.start);
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Every image without alt text, by its source (for `check`).
pub fn images_without_alt(blocks: &[Block]) -> Vec<String> {
    fn inl(out: &mut Vec<String>, xs: &[Inline]) {
        for x in xs {
            match x {
                Inline::Image { src, alt } if alt.trim().is_empty() => {
                    out.push(src.clone().unwrap_or_default())
                }
                Inline::Strong(c) | Inline::Emph(c) | Inline::Link { children: c, .. } => {
                    inl(out, c)
                }
                _ => {}
            }
        }
    }
    fn blk(out: &mut Vec<String>, bs: &[Block]) {
        for b in bs {
            match b {
                Block::Para(i) | Block::Heading(_, i) => inl(out, i),
                Block::List { items, .. } => items.iter().for_each(|it| blk(out, it)),
                Block::Quote(q) => blk(out, q),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    blk(&mut out, blocks);
    out
}

/// The plain words of inline content (for alt text, titles and link comparisons).
pub fn plain(xs: &[Inline]) -> String {
    let mut s = String::new();
    for x in xs {
        match x {
            Inline::Text(t) | Inline::Code(t) => s.push_str(t),
            Inline::Strong(c) | Inline::Emph(c) | Inline::Link { children: c, .. } => {
                s.push_str(&plain(c))
            }
            Inline::Image { alt, .. } => s.push_str(alt),
            Inline::Break => s.push(' '),
        }
    }
    s
}

/// What is being built: a block container or an inline container.
#[derive(Debug)]
enum Frame {
    Para(Vec<Inline>),
    Heading(u8, Vec<Inline>),
    List(Option<u64>, Vec<Vec<Block>>),
    Item(Vec<Block>, Vec<Inline>),
    Quote(Vec<Block>),
    Code(String),
    Strong(Vec<Inline>),
    Emph(Vec<Inline>),
    Strike(Vec<Inline>),
    Link(Option<String>, Vec<Inline>),
    Image(Option<String>, String),
    /// Anything else (tables, footnotes): content is kept as inline text.
    Other(Vec<Inline>),
}

#[derive(Debug, Default)]
struct Builder {
    stack: Vec<Frame>,
    done: Vec<Block>,
    /// Containers opened beyond [`MAX_DEPTH`] and not yet closed: they get no frame of their
    /// own, so their content lands in the deepest frame.
    overflow: usize,
}

impl Builder {
    fn push_inline(&mut self, i: Inline) {
        match self.stack.last_mut() {
            Some(
                Frame::Para(v)
                | Frame::Heading(_, v)
                | Frame::Strong(v)
                | Frame::Emph(v)
                | Frame::Strike(v)
                | Frame::Link(_, v)
                | Frame::Other(v)
                | Frame::Item(_, v),
            ) => v.push(i),
            Some(Frame::Image(_, alt)) => alt.push_str(&plain(&[i])),
            Some(Frame::Code(c)) => c.push_str(&plain(&[i])),
            Some(Frame::List(..) | Frame::Quote(_)) | None => {
                // Inline content outside a paragraph (e.g. raw HTML at top level): wrap it.
                self.stack.push(Frame::Para(vec![i]));
                let f = self.stack.pop().expect("just pushed");
                self.close(f);
            }
        }
    }

    fn push_block(&mut self, b: Block) {
        match self.stack.last_mut() {
            Some(Frame::Quote(v)) => v.push(b),
            Some(Frame::Item(blocks, inl)) => {
                if !inl.is_empty() {
                    blocks.push(Block::Para(std::mem::take(inl)));
                }
                blocks.push(b)
            }
            _ => self.done.push(b),
        }
    }

    fn close(&mut self, f: Frame) {
        match f {
            Frame::Para(v) => {
                if !v.is_empty() {
                    self.push_block(Block::Para(v))
                }
            }
            Frame::Heading(l, v) => self.push_block(Block::Heading(l, v)),
            Frame::List(start, items) => self.push_block(Block::List { start, items }),
            Frame::Item(mut blocks, inl) => {
                if !inl.is_empty() {
                    blocks.push(Block::Para(inl));
                }
                if let Some(Frame::List(_, items)) = self.stack.last_mut() {
                    items.push(blocks);
                }
            }
            Frame::Quote(v) => self.push_block(Block::Quote(v)),
            Frame::Code(c) => self.push_block(Block::Code(c)),
            Frame::Strong(v) => self.push_inline(Inline::Strong(v)),
            Frame::Emph(v) => self.push_inline(Inline::Emph(v)),
            Frame::Strike(v) | Frame::Other(v) => {
                for i in v {
                    self.push_inline(i)
                }
            }
            Frame::Link(href, children) => self.push_inline(Inline::Link { href, children }),
            Frame::Image(src, alt) => self.push_inline(Inline::Image { src, alt }),
        }
    }

    fn event(&mut self, ev: Event<'_>) {
        match ev {
            Event::Start(_) if self.stack.len() >= MAX_DEPTH => self.overflow += 1,
            Event::End(_) if self.overflow > 0 => self.overflow -= 1,
            Event::Start(tag) => {
                let f = match tag {
                    Tag::Paragraph => Frame::Para(Vec::new()),
                    Tag::Heading { level, .. } => Frame::Heading(
                        match level {
                            HeadingLevel::H1 => 1,
                            HeadingLevel::H2 => 2,
                            HeadingLevel::H3 => 3,
                            HeadingLevel::H4 => 4,
                            HeadingLevel::H5 => 5,
                            HeadingLevel::H6 => 6,
                        },
                        Vec::new(),
                    ),
                    Tag::BlockQuote(_) => Frame::Quote(Vec::new()),
                    Tag::CodeBlock(_) => Frame::Code(String::new()),
                    Tag::List(start) => Frame::List(start, Vec::new()),
                    Tag::Item => Frame::Item(Vec::new(), Vec::new()),
                    Tag::Emphasis => Frame::Emph(Vec::new()),
                    Tag::Strong => Frame::Strong(Vec::new()),
                    Tag::Strikethrough => Frame::Strike(Vec::new()),
                    Tag::Link { dest_url, .. } => Frame::Link(safe_href(&dest_url), Vec::new()),
                    Tag::Image { dest_url, .. } => {
                        let src = safe_href(&dest_url).filter(|s| s.starts_with("http"));
                        Frame::Image(src, String::new())
                    }
                    _ => Frame::Other(Vec::new()),
                };
                self.stack.push(f);
            }
            Event::End(end) => {
                // Paragraphs inside tight list items arrive without Paragraph tags; everything
                // else closes the frame it opened.
                let _ = matches!(end, TagEnd::Paragraph);
                if let Some(f) = self.stack.pop() {
                    self.close(f);
                }
            }
            Event::Text(t) => self.push_inline(Inline::Text(t.into_string())),
            Event::Code(t) => self.push_inline(Inline::Code(t.into_string())),
            // Raw HTML is shown as the text it is, never interpreted.
            Event::Html(t) | Event::InlineHtml(t) => {
                self.push_inline(Inline::Text(t.into_string()))
            }
            Event::SoftBreak => self.push_inline(Inline::Text(" ".into())),
            Event::HardBreak => self.push_inline(Inline::Break),
            Event::Rule => self.push_block(Block::Rule),
            Event::FootnoteReference(t) => self.push_inline(Inline::Text(format!("[{t}]"))),
            Event::TaskListMarker(done) => {
                self.push_inline(Inline::Text(if done { "[x] " } else { "[ ] " }.into()))
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => {
                self.push_inline(Inline::Text(t.into_string()))
            }
        }
    }

    fn finish(mut self) -> Vec<Block> {
        while let Some(f) = self.stack.pop() {
            self.close(f);
        }
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_blocks_and_inlines() {
        let doc = parse("Hello **there** and [a link](https://x.example).\n\n- one\n- two\n");
        assert_eq!(doc.len(), 2);
        match &doc[0] {
            Block::Para(i) => {
                assert_eq!(plain(i), "Hello there and a link.");
                assert!(i.iter().any(
                    |x| matches!(x, Inline::Link { href: Some(h), .. } if h == "https://x.example")
                ));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&doc[1], Block::List { items, .. } if items.len() == 2));
    }

    #[test]
    fn unsafe_links_lose_their_target_but_keep_their_text() {
        let doc =
            parse("[click](javascript:alert(1)) [data](data:text/html,x) [ok](mailto:a@b.example)");
        let Block::Para(i) = &doc[0] else { panic!() };
        let hrefs: Vec<_> = i
            .iter()
            .filter_map(|x| match x {
                Inline::Link { href, .. } => Some(href.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(hrefs, vec![None, None, Some("mailto:a@b.example".into())]);
        assert!(plain(i).contains("click"));
    }

    #[test]
    fn raw_html_is_text() {
        let doc = parse("<script>alert(1)</script>\n\nHi <b onclick=x>there</b>");
        let all: String = doc
            .iter()
            .map(|b| match b {
                Block::Para(i) => plain(i),
                other => format!("{other:?}"),
            })
            .collect();
        assert!(all.contains("<script>alert(1)</script>"), "{all}");
        assert!(all.contains("<b onclick=x>"), "{all}");
    }

    #[test]
    fn finds_images_without_alt() {
        let doc = parse("![](https://x.example/a.png) ![A chart](https://x.example/b.png)");
        assert_eq!(
            images_without_alt(&doc),
            vec!["https://x.example/a.png".to_string()]
        );
    }

    fn depth(bs: &[Block]) -> usize {
        fn inl(xs: &[Inline]) -> usize {
            xs.iter()
                .map(|x| match x {
                    Inline::Strong(c) | Inline::Emph(c) | Inline::Link { children: c, .. } => {
                        1 + inl(c)
                    }
                    _ => 0,
                })
                .max()
                .unwrap_or(0)
        }
        bs.iter()
            .map(|b| match b {
                Block::Para(i) | Block::Heading(_, i) => 1 + inl(i),
                Block::List { items, .. } => {
                    1 + items.iter().map(|it| 1 + depth(it)).max().unwrap_or(0)
                }
                Block::Quote(q) => 1 + depth(q),
                _ => 1,
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn hostile_nesting_builds_a_bounded_tree_that_keeps_its_text() {
        for md in [
            ">".repeat(50_000) + " deep words",
            "- ".repeat(50_000) + "deep words",
            "*".repeat(50_000) + "deep words" + &"*".repeat(50_000),
            "[".repeat(20_000) + "deep words" + &"](https://x.example)".repeat(20_000),
        ] {
            assert!(too_deep(&md).is_some() || md.starts_with('['));
            let doc = parse(&md);
            assert!(depth(&doc) <= MAX_DEPTH + 2, "{}", depth(&doc));
            let words: String = doc
                .iter()
                .map(|b| format!("{b:?}"))
                .collect::<Vec<_>>()
                .join(" ");
            assert!(words.contains("deep words"), "{}", &md[..10]);
        }
        // The paragraph inside the quotes is a level too.
        assert_eq!(too_deep(&(">".repeat(MAX_DEPTH - 1) + " x")), None);
        assert_eq!(
            too_deep(&(">".repeat(MAX_DEPTH + 1) + " x")),
            Some(MAX_DEPTH)
        );
    }
}
