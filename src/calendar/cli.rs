//! `bulletin calendar` (being built).
use chrono::{DateTime, NaiveDate, Utc};

pub fn run(
    _project: &crate::config::Project,
    _from: Option<NaiveDate>,
    _to: Option<NaiveDate>,
    _format: crate::cli::CalendarFormat,
    _now: DateTime<Utc>,
) -> anyhow::Result<()> {
    anyhow::bail!("calendar: not built yet")
}
