//! A file's recent history on its edit page: who changed it, when, and how they described it,
//! from the project's git log (nothing when the project is not a git work tree).

use maud::{Markup, html};

/// How many changes an edit page lists.
const SHOWN: usize = 10;

/// The "Recent changes" section for `path` (relative to the project `root`).
pub fn section(root: &std::path::Path, path: &str) -> Markup {
    let commits = crate::project_edit::ProjectPath::new(path)
        .ok()
        .and_then(|p| crate::project_edit::history(root, &p, SHOWN).ok())
        .unwrap_or_default();
    html! {
        section aria-labelledby="history-heading" {
            h2 id="history-heading" { "Recent changes to this file" }
            @if commits.is_empty() {
                p { "No changes are recorded (the project is not a git work tree, or the file is new)." }
            } @else {
                ul {
                    @for c in &commits {
                        li {
                            (when(c.when)) ": " (c.subject) " – " (c.author)
                            " " span class="muted" { (c.id.get(..7).unwrap_or(&c.id)) }
                        }
                    }
                }
            }
        }
    }
}

fn when(at: crate::timestamp::Timestamp) -> String {
    at.to_utc()
        .map_or_else(String::new, |t| t.format("%-d %b %Y %H:%M UTC").to_string())
}
