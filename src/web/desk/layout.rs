//! The desk's page frame: the site's look, with the signed-in person and the desk's navigation.

use maud::{Markup, html};

use super::DeskUser;
use crate::config::settings::Organisation;

/// A desk page: `title` as its heading, `main` as its content.
pub fn page(org: &Organisation, user: &DeskUser, title: &str, main: Markup) -> Markup {
    crate::web::layout::page(
        org,
        title,
        html! {
            p { "Signed in as " (user.name) }
            (main)
        },
    )
}
