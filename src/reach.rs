//! Aggregate link counts (`[reach] count_clicks = true`): each http(s) link an issue carries in
//! its news items, campaigns and standing blocks is numbered, and both parts point it at
//! `<public_url>/r/<bulletin>/<date>/<n>`, which the web server redirects and counts per
//! (issue, link) only. Pure: the rewrite is done once per issue, on its shared rendering, so
//! nothing personal can end up in a link.

use crate::config::YearContent;
use crate::issue::{CampaignEntry, Issue, NewsEntry, SectionBody};
use crate::markdown::{self, Block, Inline};

/// One counted link: where it goes and what in the issue carries it, kept with the issue's
/// rendering so the redirect only ever goes to a URL the issue itself carried.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrackedLink {
    pub url: String,
    /// What kind of thing carries it: `news`, `campaign` or `block` (a standing block).
    pub place: String,
    /// The news item's, campaign's or standing block's title.
    pub title: String,
}

/// The redirect a link becomes; `n` counts from 1.
pub fn redirect_url(public_url: &str, issue: &Issue, n: usize) -> String {
    format!("{public_url}/r/{}/{}/{n}", issue.bulletin_id, issue.date)
}

/// Every distinct http(s) link in the issue's content, in the order they are shown, each with
/// the first item that carries it. Footer links (unsubscribe, browser view, website) and
/// mailto/tel/in-page links are not content and are left alone.
pub fn collect(issue: &Issue) -> Vec<TrackedLink> {
    let mut out: Vec<TrackedLink> = Vec::new();
    for s in &issue.sections {
        match &s.body {
            SectionBody::News(items) => {
                for n in items {
                    news(n, &mut out);
                }
            }
            SectionBody::Campaigns(c) => {
                for e in c.entries() {
                    campaign(e, &mut out);
                }
            }
            SectionBody::Block { markdown } => {
                markdown_links(markdown, "block", &s.title, &mut out);
            }
        }
    }
    out
}

fn push(url: &str, place: &str, title: &str, out: &mut Vec<TrackedLink>) {
    let web = url.starts_with("https://") || url.starts_with("http://");
    if web && !out.iter().any(|l| l.url == url) {
        out.push(TrackedLink {
            url: url.to_string(),
            place: place.to_string(),
            title: title.to_string(),
        });
    }
}

fn news(n: &NewsEntry, out: &mut Vec<TrackedLink>) {
    markdown_links(&n.markdown, "news", &n.title, out);
    if let Some(u) = &n.url {
        push(u, "news", &n.title, out);
    }
}

fn campaign(c: &CampaignEntry, out: &mut Vec<TrackedLink>) {
    let t = &c.title;
    if c.news.is_empty() {
        markdown_links(&c.summary, "campaign", t, out);
    }
    for n in &c.news {
        news(n, out);
    }
    if let Some(y) = &c.year {
        year(y, t, out);
    }
    for u in [&c.event.online, &c.event.booking].into_iter().flatten() {
        push(u, "campaign", t, out);
    }
    if let Some(u) = &c.url {
        push(u, "campaign", t, out);
    }
}

fn year(y: &YearContent, title: &str, out: &mut Vec<TrackedLink>) {
    if let Some(l) = &y.local {
        markdown_links(l, "campaign", title, out);
    }
    for l in &y.links {
        push(&l.url, "campaign", title, out);
    }
}

fn markdown_links(md: &str, place: &str, title: &str, out: &mut Vec<TrackedLink>) {
    fn blocks(bs: &[Block], f: &mut dyn FnMut(&str)) {
        for b in bs {
            match b {
                Block::Para(i) | Block::Heading(_, i) => inlines(i, f),
                Block::List { items, .. } => items.iter().for_each(|it| blocks(it, f)),
                Block::Quote(q) => blocks(q, f),
                Block::Code(_) | Block::Rule => {}
            }
        }
    }
    fn inlines(xs: &[Inline], f: &mut dyn FnMut(&str)) {
        for x in xs {
            match x {
                Inline::Strong(c) | Inline::Emph(c) => inlines(c, f),
                Inline::Link { href, children } => {
                    if let Some(h) = href {
                        f(h);
                    }
                    inlines(children, f);
                }
                _ => {}
            }
        }
    }
    blocks(&markdown::parse(md), &mut |h| push(h, place, title, out));
}

/// `html` with every `href` that is exactly one of `links` pointing at its redirect instead.
pub fn rewrite_html(
    html: &str,
    links: &[TrackedLink],
    redirect: impl Fn(usize) -> String,
) -> String {
    let mut out = html.to_string();
    for (i, l) in links.iter().enumerate() {
        let from = format!("href=\"{}\"", attr(&l.url));
        let to = format!("href=\"{}\"", attr(&redirect(i + 1)));
        out = out.replace(&from, &to);
    }
    out
}

/// `text` with every whole occurrence of one of `links` (a URL standing on its own: after a
/// space, a line start or `(`, before a space, a line end or `)`) replaced by its redirect.
/// Longer URLs go first so one that extends another is never cut in two.
pub fn rewrite_text(
    text: &str,
    links: &[TrackedLink],
    redirect: impl Fn(usize) -> String,
) -> String {
    let mut order: Vec<usize> = (0..links.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(links[i].url.len()));
    let mut out = text.to_string();
    for i in order {
        out = replace_whole(&out, &links[i].url, &redirect(i + 1));
    }
    out
}

fn replace_whole(hay: &str, url: &str, to: &str) -> String {
    let mut out = String::with_capacity(hay.len());
    let mut pos = 0;
    while let Some(found) = hay[pos..].find(url) {
        let at = pos + found;
        let end = at + url.len();
        let open = hay[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == '(');
        let close = hay[end..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || c == ')');
        out.push_str(&hay[pos..at]);
        out.push_str(if open && close { to } else { url });
        pos = end;
    }
    out.push_str(&hay[pos..]);
    out
}

fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(url: &str) -> TrackedLink {
        TrackedLink {
            url: url.into(),
            place: "news".into(),
            title: "T".into(),
        }
    }

    #[test]
    fn text_replaces_whole_urls_only() {
        let links = [link("https://a.org/x"), link("https://a.org/xy")];
        let text =
            "Read more: https://a.org/xy\nsee (https://a.org/x) and https://a.org/x/deeper\n";
        let got = rewrite_text(text, &links, |n| format!("R{n}"));
        assert_eq!(got, "Read more: R2\nsee (R1) and https://a.org/x/deeper\n");
    }

    #[test]
    fn html_replaces_exact_hrefs() {
        let links = [link("https://a.org/?a=1&b=2")];
        let html = r#"<a href="https://a.org/?a=1&amp;b=2">x</a><a href="https://a.org/?a=1&amp;b=23">y</a>"#;
        let got = rewrite_html(html, &links, |n| format!("https://p/r/b/d/{n}"));
        assert_eq!(
            got,
            r#"<a href="https://p/r/b/d/1">x</a><a href="https://a.org/?a=1&amp;b=23">y</a>"#
        );
    }
}
