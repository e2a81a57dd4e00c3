//! The desk's page frame: the site's look, with the desk's navigation (lists and suppressions
//! only for admins), who is signed in, and the sign-out buttons.

use maud::{Markup, html};

use super::DeskUser;
use crate::config::settings::Organisation;

/// The desk's sections: (address, name, admins only).
const NAV: &[(&str, &str, bool)] = &[
    ("/desk/news", "News", false),
    ("/desk/campaigns", "Campaigns", false),
    ("/desk/issue", "The next issue", false),
    ("/desk/lists", "Lists", true),
    ("/desk/suppressions", "Suppressions", true),
];

/// A desk page: `title` as its heading, `main` as its content.
pub fn page(org: &Organisation, user: &DeskUser, title: &str, main: Markup) -> Markup {
    crate::web::layout::page(
        org,
        title,
        html! {
            nav class="desk" aria-label="Desk" {
                ul {
                    li { a href="/desk/" { "Desk home" } }
                    @for (href, name, admin) in NAV {
                        @if !admin || user.may_manage_lists() {
                            li { a href=(href) { (name) } }
                        }
                    }
                }
            }
            div class="desk-user" {
                p { "Signed in as " strong { (user.name) } " (" (user.email) ")" }
                form method="post" action="/desk/sign-out" {
                    input type="hidden" name="csrf" value=(user.csrf);
                    button class="secondary" type="submit" { "Sign out" }
                }
                form method="post" action="/desk/sign-out-everywhere" {
                    input type="hidden" name="csrf" value=(user.csrf);
                    button class="secondary" type="submit" { "Sign out everywhere" }
                }
            }
            (main)
        },
    )
}
