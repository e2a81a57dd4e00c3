//! The frame of every public page: language, title, the site stylesheet (served from
//! `/static/site.css`, so the Content-Security-Policy needs no inline styles), a skip link,
//! landmarks, and the organisation's footer.

use maud::{DOCTYPE, Markup, html};

use crate::config::settings::Organisation;
use crate::render::html::head_meta;

/// The site stylesheet, compiled in.
pub const SITE_CSS: &str = include_str!("../../static/site.css");

/// A whole page: `title` becomes the `<title>` (with the organisation's name) and the `<h1>`.
pub fn page(org: &Organisation, title: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                (head_meta())
                title { (title) " – " (org.name) }
                link rel="stylesheet" href="/static/site.css";
                link rel="alternate" type="application/atom+xml" title={ (org.name) " news" } href="/feed.atom";
            }
            body {
                a class="skip" href="#main" { "Skip to main content" }
                header class="site" {
                    p class="org" { a href="/archive/" { (org.name) } }
                    nav aria-label="Site" {
                        ul {
                            li { a href="/archive/" { "Past issues" } }
                            li { a href="/calendar" { "Campaign calendar" } }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (main)
                }
                footer class="site" {
                    p { (org.name) ", " (org.postal_address) }
                    p { a href=(org.website) { (org.name) " website" } }
                }
            }
        }
    }
}
