//! The command line: clap definitions ([`args`]) and the commands, one module a command or a
//! small group, each a thin call into the library. `main.rs` only parses and calls [`run`].

use std::process::ExitCode;

use anyhow::Context;

use crate::config::{Env, Loaded, Project};

mod args;
mod backup;
mod bounce;
mod calendar;
mod check;
mod impact;
mod ledger;
mod lists;
mod logging;
mod operator;
pub mod preview;
pub mod schedule;
mod send;

pub use args::{
    CalendarFormat, CheckFormat, Cli, Command, LogFormat, RecipientFilter, TableJsonCsv,
    TableOrJson,
};
pub use lists::{ListRow, list_rows};
pub use logging::init_logging;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Run the parsed command line; the exit code follows DESIGN.md (0 ok, 1 failed or invalid).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let env = Env::from_process();
    if let Command::Check {
        format,
        readability,
    } = cli.command
    {
        return check::check(&cli.config, &env.for_checking(), format, readability);
    }
    if let Command::Run = cli.command {
        return runtime()?.block_on(crate::daemon::run(cli.config.clone(), env));
    }
    // Only sending needs the secrets; the other commands work from a shell without them.
    let env = match cli.command {
        Command::Send { .. } | Command::Bounce { imap: true, .. } => env,
        _ => env.for_reading(),
    };
    // A command that only reads goes on past rows left out of a list; one that writes does not.
    let reads_only = matches!(
        cli.command,
        Command::Lists { .. }
            | Command::Status { .. }
            | Command::Calendar { .. }
            | Command::Schedule { .. }
            | Command::Preview { .. }
            | Command::Suppressions { .. }
            | Command::Impact { .. }
    );
    let Some(project) = load_or_report(&cli.config, &env, reads_only) else {
        if let Command::Bounce { imap: false, .. } = cli.command {
            // Keep the message queued at the MTA until the settings are fixed.
            return Ok(ExitCode::from(bounce::EX_TEMPFAIL));
        }
        return Ok(ExitCode::FAILURE);
    };
    let p = &project;
    match cli.command {
        Command::Check { .. } | Command::Run => unreachable!("handled above"),
        Command::Bounce { imap: true, .. } => runtime()?.block_on(bounce::imap(p)),
        Command::Bounce { recipient, .. } => runtime()?.block_on(bounce::run(p, recipient)),
        Command::Approve {
            bulletin,
            date,
            by,
            late,
        } => runtime()?.block_on(ledger::approve(p, &bulletin, date, by, late)),
        Command::Lists {
            format,
            stale: true,
            ..
        } => {
            let stale = runtime()?.block_on(async {
                let store = crate::store::Store::open_read_only(&p.settings.database)
                    .await
                    .context("opening the ledger")?;
                anyhow::Ok(store.stale_addresses().await?)
            })?;
            lists::stale_lists(p, &stale, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lists {
            format,
            members,
            who,
            ..
        } => {
            let suppressions = runtime()?.block_on(ledger::existing_suppressions(p))?;
            let json = format == TableOrJson::Json;
            match (members, who) {
                (Some(list), _) => operator::list_members(p, &suppressions, &list, json),
                (None, Some(email)) => operator::lists_who(p, &suppressions, &email, json),
                (None, None) => {
                    lists::lists(p, &suppressions, format)?;
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::Suppressions { format } => runtime()?.block_on(operator::suppressions(p, format)),
        Command::Impact {
            issue,
            quarter,
            format,
        } => runtime()?.block_on(impact::run(
            p,
            quarter.unwrap_or(crate::impact::Scope::Issue(issue.unwrap_or_default())),
            format,
        )),
        Command::Cancel { bulletin, date } => {
            runtime()?.block_on(operator::cancel(p, &bulletin, date))
        }
        Command::Uncancel { bulletin, date } => {
            runtime()?.block_on(operator::uncancel(p, &bulletin, date))
        }
        Command::Withdraw { bulletin, date } => {
            runtime()?.block_on(operator::withdraw(p, &bulletin, date))
        }
        Command::Calendar { from, to, format } => {
            calendar::run(p, from, to, format, crate::clock::SystemClock::utc())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Schedule {
            count,
            months,
            from,
            format,
        } => {
            let tz = p.settings.organisation.time_zone;
            let after = match from {
                Some(d) => (crate::issue::start_of_day(tz, d) - chrono::Duration::seconds(1))
                    .with_timezone(&chrono::Utc),
                None => crate::clock::SystemClock::utc(),
            };
            // What the ledger already holds is not coming; no ledger yet, nothing is sent.
            let created = runtime()?.block_on(async {
                match crate::store::Store::open_read_only(&p.settings.database).await {
                    Ok(store) => store.created_issues().await.unwrap_or_default(),
                    Err(_) => Default::default(),
                }
            });
            let cancelled = runtime()?.block_on(ledger::cancelled_fires(p))?;
            schedule::run(
                p,
                schedule::Horizon { count, months },
                format,
                after,
                &created,
                &cancelled,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Preview {
            bulletin,
            date,
            out,
        } => preview::run(p, &bulletin, date, out.as_deref()),
        Command::Send {
            bulletin,
            now,
            date,
            test_to,
            force,
            yes,
            unscheduled,
        } => {
            let opts = send::SendOptions {
                now,
                date,
                unscheduled,
                test_to: &test_to,
                force,
                yes,
                config_arg: config_arg(&cli.config),
            };
            runtime()?.block_on(send::send(p, &bulletin, &opts))
        }
        Command::Status {
            format,
            issue,
            recipients: _,
            state,
        } => {
            let json = format == TableOrJson::Json;
            match issue {
                Some(issue) => runtime()?.block_on(operator::recipients(
                    p,
                    &issue,
                    state.map(RecipientFilter::state),
                    json,
                )),
                None => runtime()?.block_on(ledger::status(p, json)),
            }
        }
        Command::Backup { file } => runtime()?.block_on(backup::backup(p, &file)),
        Command::Restore { file } => runtime()?.block_on(backup::restore(p, &file)),
        Command::Suppress {
            email,
            list,
            bulletin,
            reason,
        } => runtime()?.block_on(ledger::suppress(
            p,
            &email,
            list.as_deref(),
            bulletin.as_deref(),
            reason.as_deref(),
        )),
        Command::Unsuppress {
            email,
            list,
            bulletin,
        } => runtime()?.block_on(ledger::unsuppress(
            p,
            &email,
            list.as_deref(),
            bulletin.as_deref(),
        )),
    }
}

/// ` --config PATH` as the user gave it, when it is not the default (so a printed command can be
/// pasted as is).
fn config_arg(path: &std::path::Path) -> String {
    if path == std::path::Path::new("config/bulletin.toml") {
        String::new()
    } else {
        let shown = path.display().to_string();
        if shown.contains(char::is_whitespace) {
            format!(" --config '{shown}'")
        } else {
            format!(" --config {shown}")
        }
    }
}

/// Load the project; on errors print them (and a pointer to `check`) to stderr. With
/// `reads_only`, a project whose only errors are CSV rows left out of lists is used without
/// those rows, the rows printed as warnings. Rows a list skips (`invalid_rows = "skip"`) are
/// printed as warnings for every command, so whoever sends sees who was left out.
fn load_or_report(config_path: &std::path::Path, env: &Env, reads_only: bool) -> Option<Project> {
    let Loaded {
        project,
        partial,
        diagnostics,
    } = crate::load::load(config_path, env, crate::clock::SystemClock::utc());
    let diagnostics = diagnostics.as_given(config_path);
    if let (true, Some(partial)) = (reads_only, partial) {
        let rows = diagnostics.error_count();
        for d in diagnostics.iter().filter(|d| d.is_error()) {
            let shown = crate::diag::Diagnostic {
                severity: crate::diag::Severity::Warning,
                ..d.clone()
            };
            eprintln!("{shown}");
        }
        eprintln!(
            "warning: {rows} invalid row(s) in list CSVs are left out of what is shown here; `send` and the daemon refuse until they are fixed (or the list says invalid_rows = \"skip\")"
        );
        print_skipped_rows(&partial, config_path);
        return Some(partial);
    }
    if diagnostics.has_errors() {
        eprint!("{diagnostics}");
        eprintln!(
            "error: the configuration has {} error(s); nothing was done",
            diagnostics.error_count()
        );
        return None;
    }
    if let Some(p) = &project {
        print_skipped_rows(p, config_path);
    }
    if diagnostics.warning_count() > 0 {
        tracing::debug!(
            warnings = diagnostics.warning_count(),
            "the configuration has warnings; run `bulletin check` to see them"
        );
    }
    project
}

/// Each row a list leaves out because it says `invalid_rows = "skip"`, as a warning on stderr.
fn print_skipped_rows(project: &Project, config_path: &std::path::Path) {
    let mut skipped = crate::diag::Diagnostics::new();
    for d in project
        .lists
        .lists
        .values()
        .flat_map(crate::config::List::skipped_rows)
    {
        skipped.push(d);
    }
    eprint!("{}", skipped.as_given(config_path));
}

/// `bulletin status … | head`: when the reader of standard output goes away, stop quietly
/// instead of printing a panic and a stack trace. `println!` panics on a closed pipe (Rust
/// ignores SIGPIPE); every such panic is caught here, whichever command or thread printed.
pub fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("os error 32") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Whether a command failed only because the reader of its output went away (`| head`): not
/// an error worth a message.
pub fn is_closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}
