//! The command line: clap definitions and one thin function per command.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, Env, Loaded, Project};

/// Build and send a partnership's email news bulletin, around its calendar of campaigns.
#[derive(Debug, Parser)]
#[command(name = "bulletin", version, about, propagate_version = true)]
pub struct Cli {
    /// The settings file; the project root is the parent of its folder.
    #[arg(
        long,
        global = true,
        env = "BULLETIN_CONFIG",
        default_value = "config/bulletin.toml"
    )]
    pub config: PathBuf,

    /// Log format on stderr (level from RUST_LOG, default info).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TableOrJson {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TableJsonCsv {
    Table,
    Json,
    Csv,
}

/// The delivery states `status ISSUE --recipients --state` can pick.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RecipientFilter {
    Pending,
    InFlight,
    Sent,
    Deferred,
    Failed,
    Expired,
    Suppressed,
    Cancelled,
}

impl RecipientFilter {
    pub fn state(self) -> crate::store::DeliveryState {
        use crate::store::DeliveryState as D;
        match self {
            RecipientFilter::Pending => D::Pending,
            RecipientFilter::InFlight => D::InFlight,
            RecipientFilter::Sent => D::Sent,
            RecipientFilter::Deferred => D::Deferred,
            RecipientFilter::Failed => D::Failed,
            RecipientFilter::Expired => D::Expired,
            RecipientFilter::Suppressed => D::Suppressed,
            RecipientFilter::Cancelled => D::Cancelled,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CalendarFormat {
    Table,
    Json,
    Ics,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate every file; print each problem as path:line:col; exit 1 on any error.
    Check {
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Lists and their member counts after includes and de-duplication; or one list's members
    /// (--members), or the lists that reach one address (--who).
    Lists {
        #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
        /// Print this list's members (after includes), each marked if suppressed.
        #[arg(long, value_name = "LIST", conflicts_with = "who")]
        members: Option<String>,
        /// Print which lists include this address (directly or through `include`) and whether
        /// it is suppressed.
        #[arg(long, value_name = "EMAIL")]
        who: Option<String>,
        /// Instead: addresses bounces suppressed, with the list file and line to remove.
        #[arg(long)]
        stale: bool,
    },
    /// Who asked not to receive what: address, scope, when and how (link, one-click, admin,
    /// bounce).
    Suppressions {
        #[arg(long, value_enum, default_value_t = TableJsonCsv::Table)]
        format: TableJsonCsv,
    },
    /// Campaigns, weeks of action and events between two dates (default: today to +90 days).
    Calendar {
        /// First day (YYYY-MM-DD), default today.
        #[arg(long, value_parser = crate::dates::cli_date)]
        from: Option<NaiveDate>,
        /// Last day, inclusive (YYYY-MM-DD), default 90 days after --from.
        #[arg(long, value_parser = crate::dates::cli_date)]
        to: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = CalendarFormat::Table)]
        format: CalendarFormat,
    },
    /// The next fire times of each job (issues, proofs, announcements), sorted by time.
    Schedule {
        /// How many fires of each job.
        #[arg(long, default_value_t = 5)]
        count: usize,
        /// List the fires from the start of this day (YYYY-MM-DD, organisation's time zone)
        /// instead of from now: to plan a year ahead.
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
    },
    /// Send an issue now (create or resume it), or a proof to the given addresses only.
    #[command(group(clap::ArgGroup::new("mode").required(true).args(["now", "test_to"])))]
    Send {
        /// The bulletin's id.
        bulletin: String,
        /// Create (or resume) the issue for --date (default today) and attempt every due delivery.
        #[arg(long)]
        now: bool,
        /// The issue date (YYYY-MM-DD); default today in the organisation's time zone.
        #[arg(long, value_parser = crate::dates::cli_date)]
        date: Option<NaiveDate>,
        /// Send a proof to these addresses only; nothing is recorded as the issue.
        #[arg(long = "test-to", num_args = 1.., value_name = "EMAIL")]
        test_to: Vec<String>,
        /// Send an issue that needs approval without it (recorded in the audit log).
        #[arg(long, requires = "now")]
        force: bool,
        /// Do not ask before sending a future date's issue now (for scripts).
        #[arg(long, requires = "now")]
        yes: bool,
    },
    /// Issues and their deliveries by state (and issues held for approval); with ISSUE and
    /// --recipients, that issue's deliveries one by one.
    Status {
        #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
        /// An issue: its id (as `status` shows it) or BULLETIN@YYYY-MM-DD.
        #[arg(value_name = "ISSUE", requires = "recipients")]
        issue: Option<String>,
        /// List the issue's recipients: address, state, attempts, last reply, updated.
        #[arg(long, requires = "issue")]
        recipients: bool,
        /// Only recipients in this state.
        #[arg(long, value_enum, requires = "recipients")]
        state: Option<RecipientFilter>,
    },
    /// Stop an issue that has not finished: its waiting deliveries become `cancelled`
    /// (messages already being handed to the relay complete).
    Cancel {
        bulletin: String,
        /// The issue date (YYYY-MM-DD).
        #[arg(long)]
        date: NaiveDate,
    },
    /// Take an issue off the web archive and the Atom feed (it stays in the ledger, marked
    /// withdrawn).
    Withdraw {
        bulletin: String,
        /// The issue date (YYYY-MM-DD).
        #[arg(long)]
        date: NaiveDate,
    },
    /// Stop sending to an address (everything, or one list or bulletin).
    Suppress {
        email: String,
        /// Only for this list.
        #[arg(long, conflicts_with = "bulletin")]
        list: Option<String>,
        /// Only for this bulletin.
        #[arg(long)]
        bulletin: Option<String>,
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Send to an address again (removes its suppressions; with --list or --bulletin, only that one).
    Unsuppress {
        email: String,
        #[arg(long, conflicts_with = "bulletin")]
        list: Option<String>,
        #[arg(long)]
        bulletin: Option<String>,
    },
    /// Approve an issue of a bulletin with `require_approval = true`.
    Approve {
        bulletin: String,
        /// The issue date (YYYY-MM-DD).
        #[arg(long, value_parser = crate::dates::cli_date)]
        date: NaiveDate,
        /// Who approves (default $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// Read one bounce or abuse report on stdin (for an MTA alias or pipe) and record it.
    /// Exit 0 when recorded or ignored; 75 (try again later) when the ledger is unavailable.
    Bounce {
        /// The envelope recipient (the VERP address); default $ORIGINAL_RECIPIENT or $RECIPIENT.
        #[arg(long, conflicts_with = "imap")]
        recipient: Option<String>,
        /// Instead of stdin: one pass over the `[bounces.imap]` mailbox (the daemon polls it).
        #[arg(long)]
        imap: bool,
    },
    /// Evidence of reach for one issue or a quarter: sent, delivered, bounced, unsubscribed,
    /// clicks per item (with `[reach] count_clicks`) and by agency (groups of 10 or more only).
    Impact {
        /// The issue: BULLETIN@YYYY-MM-DD or its number in the ledger.
        #[arg(
            long,
            value_name = "ISSUE",
            required_unless_present = "quarter",
            conflicts_with = "quarter"
        )]
        issue: Option<String>,
        /// A calendar quarter: YYYY-QN (e.g. 2026-Q4).
        #[arg(long, value_name = "QUARTER", value_parser = crate::impact::Scope::quarter)]
        quarter: Option<crate::impact::Scope>,
        #[arg(long, value_enum, default_value_t = TableJsonCsv::Table)]
        format: TableJsonCsv,
    },
    /// The daemon: sends each issue on schedule, retries, proofs, announcements; until SIGTERM.
    Run,
    /// Render an issue to a file: the next one, or the one for --date.
    Preview {
        /// The bulletin's id.
        bulletin: String,
        /// The issue date (YYYY-MM-DD); default the next scheduled issue.
        #[arg(long, value_parser = crate::dates::cli_date)]
        date: Option<NaiveDate>,
        /// Where to write: FILE.html, FILE.txt or FILE.eml (default preview/BULLETIN-DATE.html).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Libraries whose debug and trace output carries what must never reach a log: the SMTP
/// dialogue (the `AUTH` line with the password, every recipient, every message), HTTP request
/// lines (unsubscribe tokens), TLS internals. Whatever `RUST_LOG` says, they log at `info` at
/// most; our own debug lines carry ids and counts only.
const QUIET_TARGETS: [&str; 9] = [
    "lettre",
    "hyper",
    "hyper_util",
    "h2",
    "tower",
    "tower_http",
    "axum",
    "rustls",
    "tokio_rustls",
];

/// The cap put over `RUST_LOG`: everything else at whatever level it asks for.
fn log_cap() -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    QUIET_TARGETS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, target| t.with_target(*target, LevelFilter::INFO),
    )
}

/// Set up tracing on stderr.
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.finish().with(log_cap()).init(),
        LogFormat::Json => builder.json().finish().with(log_cap()).init(),
    }
}

/// Run the parsed command line; the exit code follows DESIGN.md (0 ok, 1 failed or invalid).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let env = Env::from_process();
    if let Command::Check { format } = cli.command {
        return check(&cli.config, &env, format);
    }
    if let Command::Run = cli.command {
        return runtime()?.block_on(crate::daemon::run(cli.config.clone(), env));
    }
    // Only sending needs the secrets; the other commands work from a shell without them.
    let env = match cli.command {
        Command::Send { .. } | Command::Bounce { imap: true, .. } => env,
        _ => env.for_reading(),
    };
    let Some(project) = load_or_report(&cli.config, &env) else {
        if let Command::Bounce { imap: false, .. } = cli.command {
            // Keep the message queued at the MTA until the settings are fixed.
            return Ok(ExitCode::from(crate::bounce::cli::EX_TEMPFAIL));
        }
        return Ok(ExitCode::FAILURE);
    };
    let p = &project;
    match cli.command {
        Command::Check { .. } | Command::Run => unreachable!("handled above"),
        Command::Bounce { imap: true, .. } => runtime()?.block_on(crate::bounce::cli::imap(p)),
        Command::Bounce { recipient, .. } => {
            runtime()?.block_on(crate::bounce::cli::run(p, recipient))
        }
        Command::Approve { bulletin, date, by } => {
            runtime()?.block_on(crate::commands::approve(p, &bulletin, date, by))
        }
        Command::Lists {
            format,
            stale: true,
            ..
        } => {
            let stale = runtime()?.block_on(crate::bounce::stale::read_stale(p));
            stale_lists(p, &stale, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lists {
            format,
            members,
            who,
            ..
        } => {
            let suppressions = runtime()?.block_on(crate::commands::existing_suppressions(p))?;
            let json = format == TableOrJson::Json;
            match (members, who) {
                (Some(list), _) => crate::operator::list_members(p, &suppressions, &list, json),
                (None, Some(email)) => crate::operator::lists_who(p, &suppressions, &email, json),
                (None, None) => {
                    lists(p, &suppressions, format)?;
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::Impact {
            issue,
            quarter,
            format,
        } => runtime()?.block_on(crate::impact::run(
            p,
            quarter.unwrap_or(crate::impact::Scope::Issue(issue.unwrap_or_default())),
            format,
        )),
        Command::Suppressions { format } => {
            runtime()?.block_on(crate::operator::suppressions(p, format))
        }
        Command::Cancel { bulletin, date } => {
            runtime()?.block_on(crate::operator::cancel(p, &bulletin, date))
        }
        Command::Withdraw { bulletin, date } => {
            runtime()?.block_on(crate::operator::withdraw(p, &bulletin, date))
        }
        Command::Calendar { from, to, format } => {
            crate::calendar::cli::run(p, from, to, format, Utc::now())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Schedule {
            count,
            from,
            format,
        } => {
            let tz = p.settings.organisation.time_zone;
            let after = match from {
                Some(d) => (crate::issue::start_of_day(tz, d) - chrono::Duration::seconds(1))
                    .with_timezone(&Utc),
                None => Utc::now(),
            };
            crate::schedule::cli::run(p, count, format, after)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Preview {
            bulletin,
            date,
            out,
        } => preview(p, &bulletin, date, out.as_deref()),
        Command::Send {
            bulletin,
            now,
            date,
            test_to,
            force,
            yes,
        } => {
            let opts = crate::commands::SendOptions {
                now,
                date,
                test_to: &test_to,
                force,
                yes,
                config_arg: config_arg(&cli.config),
            };
            runtime()?.block_on(crate::commands::send(p, &bulletin, &opts))
        }
        Command::Status {
            format,
            issue,
            recipients: _,
            state,
        } => {
            let json = format == TableOrJson::Json;
            match issue {
                Some(issue) => runtime()?.block_on(crate::operator::recipients(
                    p,
                    &issue,
                    state.map(RecipientFilter::state),
                    json,
                )),
                None => runtime()?.block_on(crate::commands::status(p, json)),
            }
        }
        Command::Suppress {
            email,
            list,
            bulletin,
            reason,
        } => runtime()?.block_on(crate::commands::suppress(
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
        } => runtime()?.block_on(crate::commands::unsuppress(
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

/// Load the project; on errors print them (and a pointer to `check`) to stderr.
fn load_or_report(config_path: &std::path::Path, env: &Env) -> Option<Project> {
    let Loaded {
        project,
        diagnostics,
    } = config::load(config_path, env, Utc::now());
    let diagnostics = diagnostics.as_given(config_path);
    if diagnostics.has_errors() {
        eprint!("{diagnostics}");
        eprintln!(
            "error: the configuration has {} error(s); nothing was done",
            diagnostics.error_count()
        );
        return None;
    }
    if diagnostics.warning_count() > 0 {
        tracing::debug!(
            warnings = diagnostics.warning_count(),
            "the configuration has warnings; run `bulletin check` to see them"
        );
    }
    project
}

fn check(
    config_path: &std::path::Path,
    env: &Env,
    format: CheckFormat,
) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let Loaded {
        project,
        mut diagnostics,
    } = config::load(config_path, env, now);
    if let Some(p) = &project {
        diagnostics.extend(crate::preview::size_warnings(p, now));
        for d in crate::schedule::workdays::coverage_warnings(p, now) {
            diagnostics.push(d);
        }
        diagnostics.extend(crate::news_window::stranded(p, now));
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
            if let Some(p) = &project {
                write!(out, "{}", crate::schedule::cli::moves_next_year(p, now))?;
                write!(out, "{}", crate::schedule::cli::schedules_in_english(p))?;
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

/// One row of `lists --format json`.
#[derive(Debug, serde::Serialize)]
pub struct ListRow {
    pub id: String,
    pub name: String,
    pub members: usize,
}

/// Each list's members after includes, de-duplication and suppressions (of the whole address
/// or of that list).
pub fn list_rows(project: &Project, suppressions: &[crate::store::Suppression]) -> Vec<ListRow> {
    use crate::store::SuppressionScope;
    project
        .lists
        .lists
        .values()
        .map(|l| {
            let members = project.lists.members.get(&l.id).map_or(0, |ms| {
                ms.iter()
                    .filter(|m| {
                        let key = m.email.key();
                        !suppressions.iter().any(|s| {
                            s.email_key == key
                                && match &s.scope {
                                    SuppressionScope::All => true,
                                    SuppressionScope::List(id) => *id == l.id,
                                    SuppressionScope::Bulletin(_) => false,
                                }
                        })
                    })
                    .count()
            });
            ListRow {
                id: l.id.to_string(),
                name: l.name.clone(),
                members,
            }
        })
        .collect()
}

fn lists(
    project: &Project,
    suppressions: &[crate::store::Suppression],
    format: TableOrJson,
) -> anyhow::Result<()> {
    let rows = list_rows(project, suppressions);
    let mut out = std::io::stdout().lock();
    match format {
        TableOrJson::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        TableOrJson::Table => {
            let w_id = rows.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
            let w_name = rows
                .iter()
                .map(|r| r.name.chars().count())
                .max()
                .unwrap_or(4)
                .max(4);
            writeln!(
                out,
                "{:<w_id$}  {:<w_name$}  {:>7}",
                "ID", "NAME", "MEMBERS"
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{:<w_id$}  {:<w_name$}  {:>7}",
                    r.id, r.name, r.members
                )?;
            }
        }
    }
    Ok(())
}

/// `lists --stale`: each suppressed address still in a list file, and where to remove it.
fn stale_lists(
    project: &Project,
    stale: &[crate::store::StaleAddress],
    format: TableOrJson,
) -> anyhow::Result<()> {
    let rows = crate::bounce::stale::stale_members(project, stale);
    let mut out = std::io::stdout().lock();
    if format == TableOrJson::Json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(out, "no list holds an address that bounces suppressed")?;
        return Ok(());
    }
    let base = std::env::current_dir().unwrap_or_default();
    for r in &rows {
        writeln!(out, "{}  {} on {}", r.email, r.why(), r.since)?;
        for p in &r.remove {
            writeln!(out, "  remove from {}", p.show(&base))?;
        }
    }
    writeln!(
        out,
        "{} address(es) to remove; they stay suppressed until then (`bulletin unsuppress` if one works again)",
        rows.len()
    )?;
    Ok(())
}

fn preview(
    project: &Project,
    bulletin: &str,
    date: Option<NaiveDate>,
    out: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    use crate::preview;
    let date = match date {
        Some(d) => d,
        None => preview::next_issue_date(project, bulletin, Utc::now())?,
    };
    let w = preview::write(project, bulletin, date, out)?;
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| w.path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| w.path.clone());
    println!(
        "wrote {} ({:.1} KB; HTML part {:.1} KB) for {} on {}, as {} would receive it",
        shown.display(),
        w.bytes as f64 / 1024.0,
        w.html_bytes as f64 / 1024.0,
        bulletin,
        w.issue.date,
        w.sample
    );
    println!("subject: {}", w.issue.subject);
    if w.issue.sections.is_empty() {
        println!("sections: none (no news, campaigns or standing blocks for this date)");
    } else {
        println!("sections: {}", w.issue.summary());
    }
    if w.html_bytes > crate::render::HTML_SIZE_LIMIT {
        eprintln!(
            "warning: the HTML part is {:.1} KB; Gmail clips messages above about 102 KB",
            w.html_bytes as f64 / 1024.0
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod log_cap_tests {
    use tracing::Level;

    #[test]
    fn libraries_that_log_secrets_are_capped_at_info_whatever_rust_log_says() {
        let cap = super::log_cap();
        for target in [
            "lettre::transport::smtp::client::async_connection",
            "hyper::proto::h1::role",
            "rustls::client::hs",
        ] {
            assert!(!cap.would_enable(target, &Level::DEBUG), "{target}");
            assert!(cap.would_enable(target, &Level::WARN), "{target}");
        }
        assert!(cap.would_enable("bulletin::delivery", &Level::TRACE));
        assert!(cap.would_enable("sqlx::query", &Level::DEBUG));
    }
}
