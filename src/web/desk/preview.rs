//! A news item as readers will see it: the text a form would save, read by the loader's news
//! parser, put in place of the saved item, and the issue that will carry it assembled and
//! rendered by the email's own path ([`crate::compose::render`]); then only the part of that
//! issue holding the item is kept. Pure: the project and `now` are arguments.

use chrono::{DateTime, Utc};

use crate::config::{NewsItem, Project};
use crate::diag::{Diagnostics, Severity};
use crate::issue::{Issue, Section, SectionBody};

/// The preview page for the item that `text` is, saved as `news/<stem>.md`: the rendered HTML,
/// with the loader's errors about it above when it does not read.
pub fn render(project: &Project, stem: &str, text: &str, now: DateTime<Utc>) -> String {
    if text.is_empty() {
        return page(&[], "");
    }
    let path = std::path::PathBuf::from(format!("news/{stem}.md"));
    let (item, diags) = crate::config::news::parse_news(&path, text);
    let errors = errors(&diags);
    let Some(item) = item else {
        return page(&errors, "");
    };
    match issue_html(project, item, now) {
        Some(html) if errors.is_empty() => html,
        Some(html) => page(&errors, &html),
        None => page(&errors, ""),
    }
}

fn errors(diags: &Diagnostics) -> Vec<String> {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("Line {}: {}", d.pos.line, d.message))
        .collect()
}

/// A plain page for what cannot be rendered (yet).
fn page(errors: &[String], html: &str) -> String {
    let head = maud::html! {
        (maud::DOCTYPE)
        html lang="en-GB" {
            head { meta charset="utf-8"; title { "Preview" } }
            body {
                @if errors.is_empty() && html.is_empty() {
                    p { "Write a title, a section, a publish date and some text to see the item here." }
                }
                @if !errors.is_empty() {
                    h2 { "This item cannot be saved yet" }
                    ul { @for e in errors { li { (e) } } }
                }
            }
        }
    };
    if html.is_empty() {
        return head.into_string();
    }
    let at = html
        .find("<body")
        .and_then(|start| html[start..].find('>').map(|end| start + end + 1));
    match at {
        Some(at) => format!("{}{}{}", &html[..at], error_list(errors), &html[at..]),
        None => html.to_string(),
    }
}

fn error_list(errors: &[String]) -> String {
    maud::html! { div { p { strong { "This item cannot be saved yet:" } } ul { @for e in errors { li { (e) } } } } }
        .into_string()
}

/// The web version of the issue that will carry `item`, cut down to the item's section.
fn issue_html(project: &Project, item: NewsItem, now: DateTime<Utc>) -> Option<String> {
    let tz = project.settings.organisation.time_zone;
    let mut p = project.clone();
    let anchor = format!("item-{}", item.id);
    p.news.retain(|n| n.id != item.id);
    p.news.push(item.clone());
    let b = p
        .settings
        .bulletins
        .iter()
        .find(|b| crate::news_window::carries(b, &item))
        .or_else(|| p.settings.bulletins.first())?;
    let after = crate::news_window::before_publish(tz, &item).max(now);
    let date = crate::schedule::issue_fires_after(b, tz, after)
        .next()
        .map_or(item.publish, |f| f.date());
    let mut issue = crate::issue::assemble(&p, b, date);
    keep_only(&mut issue, &anchor);
    if issue.sections.is_empty() {
        issue.sections.push(alone(&p, &item));
    }
    crate::compose::render(&p, &issue)
        .ok()
        .map(|r| r.html_for_web())
}

/// Keep only the section holding the item (and inside a campaigns section, only its campaign).
fn keep_only(issue: &mut Issue, anchor: &str) {
    issue.sections.retain_mut(|s| match &mut s.body {
        SectionBody::News(items) => items.iter().any(|e| e.anchor == anchor),
        SectionBody::Campaigns(c) => {
            let has = |e: &crate::issue::CampaignEntry| e.news.iter().any(|n| n.anchor == anchor);
            c.on_now.retain(has);
            c.coming_up.retain(has);
            c.always_on.retain(has);
            c.entries().next().is_some()
        }
        SectionBody::Block { .. } => false,
    });
}

/// The item in a section of its own, when no issue of a bulletin would carry it.
fn alone(project: &Project, n: &NewsItem) -> Section {
    let title = project
        .settings
        .sections
        .iter()
        .find(|s| s.id.as_str() == n.section.value)
        .map_or_else(|| n.section.value.clone(), |s| s.title.clone());
    Section {
        anchor: format!("section-{}", n.section.value),
        title,
        body: SectionBody::News(vec![crate::issue::NewsEntry {
            anchor: format!("item-{}", n.id),
            title: n.title.clone(),
            markdown: n.body.clone(),
            url: n.url.clone(),
            themes: n.themes.clone(),
            deadline: n.deadline,
            closing_soon: false,
        }]),
    }
}

/// The script that keeps the preview up to date while a person types: it submits the form's
/// "Preview" button (which targets the preview frame) a moment after the last change. Served
/// as a file, so the desk's Content-Security-Policy allows it without inline script.
pub const SCRIPT: &str = r#"(function () {
  var form = document.getElementById('news-form');
  var button = document.getElementById('preview-button');
  if (!form || !button || !form.requestSubmit) { return; }
  var timer = null;
  form.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { form.requestSubmit(button); }, 400);
  });
})();
"#;
