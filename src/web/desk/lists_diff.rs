//! An upload's changes as tables: the rows refused first (they are what the admin has to act
//! on), then those added, changed and removed, each with the spreadsheet's row number.

use maud::{Markup, html};

use crate::spreadsheet::{Diff, Row};

/// Every table of a diff that has rows.
pub fn tables(d: &Diff) -> Markup {
    html! {
        @if !d.refused.is_empty() {
            h2 { "Rows refused" }
            p { "These rows are not used. Fix them in the spreadsheet and upload it again, or confirm without them." }
            table {
                caption { "Rows refused, with the reason" }
                thead { tr { th scope="col" { "Row" } th scope="col" { "Email address as written" } th scope="col" { "Reason" } } }
                tbody {
                    @for r in &d.refused {
                        tr { td { (r.row) } td { (r.email) } td { (r.reason) } }
                    }
                }
            }
        }
        (members("To add", "Members to add", "Row", &d.added))
        @if !d.changed.is_empty() {
            h2 { "To change" }
            table {
                caption { "Members whose name or agency changes" }
                thead { tr { th scope="col" { "Row" } th scope="col" { "Email address" } th scope="col" { "Name" } th scope="col" { "Agency" } } }
                tbody {
                    @for c in &d.changed {
                        tr {
                            td { (c.after.row) }
                            td { (c.before.email) }
                            td { (was_now(&c.before.name, &c.after.name)) }
                            td { (was_now(&c.before.agency, &c.after.agency)) }
                        }
                    }
                }
            }
        }
        (members("To remove", "Members to remove (row of the list's current file)", "Row now", &d.removed))
        (members("Kept as they are", "Members kept because their row in the spreadsheet is refused (row of the list's current file)", "Row now", &d.kept))
    }
}

fn was_now(before: &str, after: &str) -> Markup {
    html! {
        @if before == after { (after) } @else { del { (before) } " → " ins { (after) } }
    }
}

fn members(title: &str, caption: &str, row: &str, rows: &[Row]) -> Markup {
    html! {
        @if !rows.is_empty() {
            h2 { (title) }
            table {
                caption { (caption) }
                thead { tr { th scope="col" { (row) } th scope="col" { "Email address" } th scope="col" { "Name" } th scope="col" { "Agency" } } }
                tbody {
                    @for r in rows {
                        tr { td { (r.row) } td { (r.email) } td { (r.name) } td { (r.agency) } }
                    }
                }
            }
        }
    }
}
