//! `/privacy`: the privacy notice sign-ups agree to (`templates/privacy-notice-<version>.md`).

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};

use super::layout::page;
use super::state::AppState;

/// The notice's text as HTML, or a sentence naming the file when the project has none.
pub fn notice(project: &crate::config::Project) -> Markup {
    let path = project.root.join(format!(
        "templates/privacy-notice-{}.md",
        crate::signup::NOTICE_VERSION
    ));
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let md = strip_front_matter(&text);
            html! { section aria-label="Privacy notice" { (crate::render::html::blocks(&crate::markdown::parse(md), 2)) } }
        }
        Err(_) => html! { p { "Ask us for our privacy notice: reply to any of our emails." } },
    }
}

pub async fn show(State(s): State<AppState>) -> Response {
    let live = s.live();
    let body = page(
        &live.project.settings.organisation,
        "Privacy notice",
        notice(&live.project),
    );
    Html(body.into_string()).into_response()
}

/// The Markdown after a `+++` front matter, if the file has one.
fn strip_front_matter(text: &str) -> &str {
    text.strip_prefix("+++")
        .and_then(|rest| rest.split_once("\n+++").map(|(_, body)| body))
        .map_or(text, |body| body.trim_start_matches(['\r', '\n']))
}
