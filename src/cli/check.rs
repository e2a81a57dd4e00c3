//! `bulletin check`: everything the loader finds, plus what only a composed issue, the working
//! days, the news windows and the bounce ledger can tell, as text or JSON.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use super::{CheckFormat, runtime, schedule};
use crate::config::{Env, Loaded};

pub(super) fn check(
    config_path: &std::path::Path,
    env: &Env,
    format: CheckFormat,
    now: chrono::DateTime<chrono::Utc>,
    readability: bool,
) -> anyhow::Result<ExitCode> {
    let Loaded {
        project,
        mut diagnostics,
        ..
    } = crate::load::load(config_path, env, now);
    let mut readable = Vec::new();
    if let (true, Some(p)) = (readability, &project) {
        let (ds, summaries) = crate::readability::project::warnings(p);
        diagnostics.extend(ds);
        readable = summaries;
    }
    if let Some(p) = &project {
        diagnostics.extend(crate::compose::size_warnings(p, now));
        for d in crate::schedule::workdays::coverage_warnings(p, now) {
            diagnostics.push(d);
        }
        let held = runtime()?.block_on(issues_held(p));
        diagnostics.extend(crate::news_window::stranded(p, now, &held));
        diagnostics.extend(crate::news_window::deadlines_before_issue(p, now));
        diagnostics.extend(crate::news_window::booking_deadlines_before_issue(p, now));
        diagnostics.extend(crate::calendar::unconfirmed::unconfirmed(
            &p.campaigns,
            p.settings.organisation.time_zone,
            p.local(now).date_naive(),
        ));
        let stale = runtime()?.block_on(crate::bounce::stale::read_stale(p));
        for w in crate::bounce::stale::warnings(&crate::bounce::stale::stale_members(p, &stale)) {
            diagnostics.push(w);
        }
    }
    let diagnostics = diagnostics.as_given(config_path);
    let mut out = std::io::stdout().lock();
    match format {
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &diagnostics.iter().collect::<Vec<_>>())?;
            writeln!(out)?;
        }
        CheckFormat::Text => {
            write!(out, "{diagnostics}")?;
            for s in &mut readable {
                s.path = crate::diag::path_as_given(&s.path, config_path);
                writeln!(out, "readability: {s}")?;
            }
            if let Some(p) = &project {
                write!(out, "{}", schedule::moves_next_year(p, now))?;
                write!(out, "{}", schedule::schedules_in_english(p))?;
            }
            let summary = match &project {
                Some(p) => format!(
                    "{} bulletin(s), {} list(s), {} campaign(s), {} news item(s), {} standing block(s)",
                    p.settings.bulletins.len(),
                    p.lists.lists.len(),
                    p.campaigns.len(),
                    p.news.len(),
                    p.blocks.len()
                ),
                None => "nothing can be sent until the errors are fixed".into(),
            };
            writeln!(
                out,
                "check: {} error(s), {} warning(s); {summary}",
                diagnostics.error_count(),
                diagnostics.warning_count()
            )?;
        }
    }
    out.flush().context("writing to stdout")?;
    Ok(if diagnostics.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The issues the ledger holds, if there is a ledger to read (never creating one).
async fn issues_held(p: &crate::config::Project) -> crate::news_window::IssuesHeld {
    let Ok(store) = crate::store::Store::open_read_only(&p.settings.database).await else {
        return Default::default();
    };
    store
        .status()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.kind == crate::store::IssueKind::Issue && s.issue != 0)
        .map(|s| (s.bulletin.to_string(), s.date))
        .collect()
}
