//! The campaign calendar page (placeholder until the month grid lands).
use maud::{Markup, html};

pub fn calendar_page(
    project: &crate::config::Project,
    month: chrono::NaiveDate,
    _today: chrono::NaiveDate,
    _list_view: bool,
) -> Markup {
    super::layout::page(
        &project.settings.organisation,
        "Campaign calendar",
        html! { p { (month) } },
    )
}
