//! The command line: clap definitions ([`args`]) and the commands, one module a command or a
//! small group, each a thin call into the library. `main.rs` parses, makes the one clock, and
//! hands `bulletin run` to the daemon and every other command to [`run`]; the commands reach the
//! ledger's sending through [`crate::send::Service`], as the daemon does, never the daemon.

use std::process::ExitCode;

use anyhow::Context;

use std::sync::Arc;

use crate::clock::Clock;
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
mod person;
pub mod preview;
pub mod schedule;
mod send;
mod signups;

pub use args::{
    CalendarFormat, CheckFormat, Cli, Command, LogFormat, RecipientFilter, SignupsAction,
    TableJsonCsv, TableOrJson,
};
pub use lists::{ListRow, list_rows};
pub use logging::init_logging;

/// The async runtime the commands that use the ledger (and the daemon) run on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Run the parsed command line (every command but `run`, the daemon, which `main` starts). The
/// exit codes are the architecture notes' (`../shared/DESIGN.md`, kept beside the repository):
/// 0 done, 1 failed or invalid, 2 a usage error (clap's); `bounce` also uses 75 to keep a
/// message queued at the MTA.
pub fn run(cli: Cli, clock: Arc<dyn Clock>) -> anyhow::Result<ExitCode> {
    let env = Env::from_process();
    match cli.command {
        Command::Check {
            format,
            readability,
        } => {
            return check::check(
                &cli.config,
                &env.for_checking(),
                format,
                clock.now_utc(),
                readability,
            );
        }
        Command::Run => anyhow::bail!("`bulletin run` starts the daemon, not a command"),
        _ => {}
    }
    // Only sending needs the secrets; the other commands work from a shell without them.
    let env = match cli.command {
        Command::Send { .. } | Command::Bounce { imap: true, .. } => env,
        _ => env.for_reading(),
    };
    let reads_only = reads_only(&cli.command);
    let Some(project) = load_or_report(&cli.config, &env, reads_only, clock.now_utc()) else {
        if let Command::Bounce { imap: false, .. } = cli.command {
            // Keep the message queued at the MTA until the settings are fixed.
            return Ok(ExitCode::from(bounce::EX_TEMPFAIL));
        }
        return Ok(ExitCode::FAILURE);
    };
    let config_arg = config_arg(&cli.config);
    match cli.command {
        Command::Calendar { from, to, format } => {
            calendar::run(&project, from, to, format, clock.now_utc())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Preview {
            bulletin,
            date,
            out,
        } => {
            let b = crate::compose::find(&project, &bulletin)?;
            preview::run(&project, b, date, out.as_deref(), &*clock)
        }
        command => runtime()?.block_on(on_ledger(&project, command, &config_arg, clock)),
    }
}

/// A command that only reads goes on past rows left out of a list; one that writes does not.
fn reads_only(command: &Command) -> bool {
    matches!(
        command,
        Command::Lists { .. }
            | Command::Status { .. }
            | Command::Calendar { .. }
            | Command::Schedule { .. }
            | Command::Preview { .. }
            | Command::Suppressions { .. }
            | Command::Impact { .. }
            | Command::Signups { action: None, .. }
            | Command::Person {
                erase: false,
                lift: false,
                ..
            }
    )
}

/// The commands about people who signed up or asked what is held about them.
async fn people(p: &Project, command: Command, c: &dyn Clock) -> anyhow::Result<ExitCode> {
    match command {
        Command::Signups { action, format } => signups::run(p, action, format, c).await,
        Command::Person {
            address,
            format,
            erase,
            lift,
        } => person::command(p, &address, (format, erase, lift), c).await,
        _ => unreachable!("only signups and person come here"),
    }
}

/// The commands that read or write the ledger (or may, when there is one).
async fn on_ledger(
    p: &Project,
    command: Command,
    config_arg: &str,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<ExitCode> {
    let c = &*clock;
    match command {
        Command::Check { .. }
        | Command::Run
        | Command::Calendar { .. }
        | Command::Preview { .. } => {
            unreachable!("handled by run")
        }
        Command::Bounce { imap: true, .. } => bounce::imap(p, c).await,
        Command::Bounce { recipient, .. } => bounce::run(p, recipient, c).await,
        Command::Lists {
            format,
            stale,
            members,
            who,
        } => lists_command(p, format, stale, members, who).await,
        Command::Suppressions { format } => operator::suppressions(p, format).await,
        command @ (Command::Signups { .. } | Command::Person { .. }) => people(p, command, c).await,
        Command::Impact {
            issue,
            quarter,
            format,
        } => {
            let scope = quarter.unwrap_or(crate::impact::Scope::Issue(issue.unwrap_or_default()));
            impact::run(p, scope, format, c).await
        }
        Command::Schedule {
            count,
            months,
            from,
            format,
        } => schedule::on_ledger(p, schedule::Horizon { count, months }, from, format, c).await,
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
                config_arg: config_arg.to_string(),
            };
            send::send(p, crate::compose::find(p, &bulletin)?, &opts, clock).await
        }
        Command::Status {
            format,
            issue,
            recipients: _,
            state,
        } => {
            let json = format == TableOrJson::Json;
            match issue {
                Some(issue) => {
                    operator::recipients(p, &issue, state.map(RecipientFilter::state), json).await
                }
                None => ledger::status(p, json, c).await,
            }
        }
        Command::Backup { file } => backup::backup(p, &file).await,
        Command::Restore { file } => backup::restore(p, &file, c).await,
        command => by_hand(p, command, c).await,
    }
}

/// `lists [--stale | --members LIST | --who EMAIL]`.
async fn lists_command(
    p: &Project,
    format: TableOrJson,
    stale: bool,
    members: Option<String>,
    who: Option<String>,
) -> anyhow::Result<std::process::ExitCode> {
    use anyhow::Context;
    if stale {
        let store = crate::store::Store::open_read_only(&p.settings.database)
            .await
            .context("opening the ledger")?;
        lists::stale_lists(p, &store.stale_addresses().await?, format)?;
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let suppressions = ledger::existing_suppressions(p).await?;
    let json = format == TableOrJson::Json;
    match (members, who) {
        (Some(list), _) => operator::list_members(p, &suppressions, &list, json),
        (None, Some(email)) => operator::lists_who(p, &suppressions, &email, json),
        (None, None) => {
            lists::lists(p, &suppressions, format)?;
            Ok(std::process::ExitCode::SUCCESS)
        }
    }
}

/// The commands by which people act on issues and addresses: approve, cancel, uncancel,
/// withdraw, suppress and unsuppress.
async fn by_hand(p: &Project, command: Command, c: &dyn Clock) -> anyhow::Result<ExitCode> {
    match command {
        Command::Approve {
            bulletin,
            date,
            by,
            late,
        } => ledger::approve(p, crate::compose::find(p, &bulletin)?, date, by, late, c).await,
        Command::Cancel { bulletin, date } => {
            let b = crate::compose::find(p, &bulletin)?;
            operator::act(p, &b.id, date, operator::Act::Cancel, c).await
        }
        Command::Uncancel { bulletin, date } => {
            let b = crate::compose::find(p, &bulletin)?;
            operator::act(p, &b.id, date, operator::Act::Uncancel, c).await
        }
        Command::Withdraw { bulletin, date } => {
            let b = crate::compose::find(p, &bulletin)?;
            operator::act(p, &b.id, date, operator::Act::Withdraw, c).await
        }
        Command::Suppress {
            email,
            list,
            bulletin,
            reason,
        } => {
            let (list, bulletin, reason) =
                (list.as_deref(), bulletin.as_deref(), reason.as_deref());
            ledger::suppress(p, &email, list, bulletin, reason, c).await
        }
        Command::Unsuppress {
            email,
            list,
            bulletin,
        } => ledger::unsuppress(p, &email, list.as_deref(), bulletin.as_deref(), c).await,
        _ => unreachable!("dispatched by on_ledger"),
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
fn load_or_report(
    config_path: &std::path::Path,
    env: &Env,
    reads_only: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Project> {
    let Loaded {
        project,
        partial,
        diagnostics,
    } = crate::load::load(config_path, env, now);
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
