//! `news/*.md` and `templates/blocks/*.md`: Markdown with TOML front matter between `+++` lines.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::doc::{At, FileCtx, Table};
use crate::diag::Position;

/// A news item, ready for the issue builder.
#[derive(Debug, Clone)]
pub struct NewsItem {
    /// The file stem: stable, used for in-page anchors.
    pub id: String,
    pub title: String,
    pub section: At<String>,
    pub publish: NaiveDate,
    /// Where `publish` is written, for warnings about the item's window.
    pub publish_pos: Position,
    pub until: Option<At<NaiveDate>>,
    /// Empty means every bulletin.
    pub bulletins: Vec<At<String>>,
    pub url: Option<String>,
    /// The campaign it is about: the issue shows it inside that campaign's entry.
    pub campaign: Option<At<String>>,
    /// The strategy's themes it serves.
    pub themes: Vec<crate::themes::Theme>,
    /// When what it asks for closes (a survey, a consultation, booking).
    pub deadline: Option<NaiveDate>,
    /// Where `deadline` is written, for warnings about it.
    pub deadline_pos: Option<Position>,
    /// Markdown.
    pub body: String,
    /// Where `body` starts in the file, so what is found in it can be reported in place.
    pub body_pos: Position,
    pub path: PathBuf,
}

impl NewsItem {
    /// Whether it goes to the bulletin `id` (an item naming no bulletin goes to every one).
    pub fn goes_to(&self, id: &str) -> bool {
        self.bulletins.is_empty() || self.bulletins.iter().any(|b| b.value == id)
    }

    /// The place in its file of byte `offset` of the body (for diagnostics about the prose).
    pub fn body_position(&self, offset: usize) -> Position {
        let rel = Position::at(&self.body, offset);
        if rel.line == 1 {
            Position {
                line: self.body_pos.line,
                col: self.body_pos.col + rel.col - 1,
            }
        } else {
            Position {
                line: self.body_pos.line + rel.line - 1,
                col: rel.col,
            }
        }
    }
}

/// A standing block ("Worried about a child?").
#[derive(Debug, Clone)]
pub struct Block {
    pub id: String,
    pub title: String,
    pub body: String,
    pub path: PathBuf,
}

/// Why a Markdown file has no front matter to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum FrontMatterError {
    #[error("the file has no front matter")]
    Missing,
    #[error("the file must start with a `+++` line, then TOML front matter, then `+++`")]
    NoOpeningLine,
    #[error("the front matter is not closed by a `+++` line")]
    NotClosed,
}

/// Split `+++\nTOML\n+++\nbody` into (front matter, its byte offset, body).
fn split_front_matter(text: &str) -> Result<(&str, usize, &str), FrontMatterError> {
    let text_nobom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - text_nobom.len();
    let first_end = text_nobom.find('\n').ok_or(FrontMatterError::Missing)?;
    if text_nobom[..first_end].trim_end() != "+++" {
        return Err(FrontMatterError::NoOpeningLine);
    }
    let fm_start = first_end + 1;
    let mut offset = fm_start;
    for line in text_nobom[fm_start..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let body = &text_nobom[offset + line.len()..];
            return Ok((&text_nobom[fm_start..offset], bom + fm_start, body));
        }
        offset += line.len();
    }
    Err(FrontMatterError::NotClosed)
}

/// Parse a news item: front matter is checked in place so positions point into the file.
pub(crate) fn parse_news(
    path: &std::path::Path,
    text: &str,
) -> (Option<NewsItem>, crate::diag::Diagnostics) {
    let (fm, base, body) = match split_front_matter(text) {
        Ok(parts) => parts,
        Err(msg) => {
            let ctx = FileCtx::new(path, text);
            ctx.error(Position::START, msg.to_string())
                .hint("start with:\n+++\ntitle = \"…\"\nsection = \"partnership\"\npublish = 2024-11-01\n+++");
            return (None, ctx.into_diagnostics());
        }
    };
    let ctx = FileCtx::part(path, text, fm, base);
    let doc = ctx.parse();
    let top = Table::root(&ctx, &doc);
    let title = top.req_str("title", "\"Parents 4 Positive Change\"");
    if let Some(t) = &title
        && t.value.chars().any(char::is_control)
    {
        ctx.error(t.pos, "`title` must be one line with no control characters");
    }
    let section = top.req_str("section", "\"partnership\"");
    let publish = top.req_date("publish");
    let until = top.opt_date("until");
    let bulletins = top.str_array("bulletins").unwrap_or_default();
    let url = top.opt_str("url");
    ctx.check_http_url(url.as_ref(), "https://www.example.org/more");
    let campaign = top.opt_str("campaign");
    let themes = super::content::themes(&top);
    let deadline = top.opt_date("deadline");
    if let (Some(p), Some(d)) = (&publish, &deadline)
        && d.value < p.value
    {
        ctx.error(
            d.pos,
            format!("`deadline` ({}) is before `publish` ({})", d.value, p.value),
        )
        .hint("an item is first carried on its `publish` date; its deadline comes after");
    }
    if let (Some(p), Some(u)) = (&publish, &until)
        && u.value < p.value
    {
        ctx.error(
            u.pos,
            format!("`until` ({}) is before `publish` ({})", u.value, p.value),
        );
    }
    if body.trim().is_empty() {
        ctx.warning(ctx.pos(fm.len()), "this news item has no body text");
    }
    check_markdown(&ctx, text, body);
    top.finish();
    let item = (|| {
        let publish = publish?;
        Some(NewsItem {
            id: ctx.stem(),
            title: title?.value,
            section: section?,
            publish: publish.value,
            publish_pos: publish.pos,
            until,
            bulletins,
            url: url.map(|u| u.value),
            campaign,
            themes,
            deadline_pos: deadline.as_ref().map(|d| d.pos),
            deadline: deadline.map(|d| d.value),
            body: body.to_string(),
            body_pos: Position::at(text, text.len() - body.len()),
            path: path.to_path_buf(),
        })
    })();
    (item, ctx.into_diagnostics())
}

/// The hint for Markdown nested too deeply (shared with campaign summaries).
pub(crate) const TOO_DEEP_HINT: &str =
    "quotes, lists and emphasis can nest at most 32 levels deep: flatten this part";

/// The body's Markdown: nesting within [`crate::markdown::MAX_DEPTH`] (checked first,
/// without building a tree, so a hostile file costs one linear pass), then every image needs
/// alt text (WCAG 1.1.1): each problem at its place in the file.
fn check_markdown(ctx: &FileCtx<'_>, whole: &str, body: &str) {
    let body_start = whole.len() - body.len();
    if let Some(at) = crate::markdown::too_deep(body) {
        ctx.error(
            Position::at(whole, body_start + at),
            format!(
                "the Markdown nests more than {} levels deep here",
                crate::markdown::MAX_DEPTH
            ),
        )
        .hint(TOO_DEEP_HINT);
        return;
    }
    let blocks = crate::markdown::parse(body);
    for src in crate::markdown::images_without_alt(&blocks) {
        let at = body
            .find(&format!("]({src}"))
            .and_then(|close| body[..close].rfind("!["))
            .unwrap_or(0);
        ctx.error(
            Position::at(whole, body_start + at),
            format!("image `{src}` has no alt text"),
        )
        .hint(
            "describe the image for people who cannot see it: ![A chart of referrals by month](…)",
        );
    }
}

/// Parse a standing block.
pub(crate) fn parse_block(
    path: &std::path::Path,
    text: &str,
) -> (Option<Block>, crate::diag::Diagnostics) {
    let (fm, base, body) = match split_front_matter(text) {
        Ok(parts) => parts,
        Err(msg) => {
            let ctx = FileCtx::new(path, text);
            ctx.error(Position::START, msg.to_string())
                .hint("start with:\n+++\ntitle = \"Worried about a child?\"\n+++");
            return (None, ctx.into_diagnostics());
        }
    };
    let ctx = FileCtx::part(path, text, fm, base);
    let doc = ctx.parse();
    let top = Table::root(&ctx, &doc);
    let title = top.req_str("title", "\"Worried about a child?\"");
    top.finish();
    check_markdown(&ctx, text, body);
    let block = title.map(|t| Block {
        id: ctx.stem(),
        title: t.value,
        body: body.to_string(),
        path: path.to_path_buf(),
    });
    (block, ctx.into_diagnostics())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_splits_with_offsets() {
        let text = "+++\ntitle = \"x\"\n+++\nBody\n";
        let (fm, base, body) = split_front_matter(text).unwrap();
        assert_eq!(fm, "title = \"x\"\n");
        assert_eq!(&text[base..base + 5], "title");
        assert_eq!(body, "Body\n");
        assert!(split_front_matter("title = 1\n").is_err());
        assert!(split_front_matter("+++\ntitle = 1\n").is_err());
    }
}
