//! `bulletin impact`: the reach report for one issue or a quarter, on stdout.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use super::TableJsonCsv;
use crate::config::Project;
use crate::impact::{Scope, csv, report, table};
use crate::store::Store;

pub async fn run(
    project: &Project,
    scope: Scope,
    format: TableJsonCsv,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let store = Store::open_read_only(&project.settings.database)
        .await
        .context("opening the ledger")?;
    let now = clock.timestamp();
    let r = report(project, &store, &scope, now).await?;
    let mut out = std::io::stdout().lock();
    match format {
        TableJsonCsv::Json => {
            serde_json::to_writer_pretty(&mut out, &r)?;
            writeln!(out)?;
        }
        TableJsonCsv::Csv => out.write_all(csv(&r).as_bytes())?,
        TableJsonCsv::Table => out.write_all(table(&r).as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
