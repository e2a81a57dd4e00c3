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
    /// Lists and their member counts after includes and de-duplication.
    Lists {
        #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
        /// Instead: addresses bounces suppressed, with the list file and line to remove.
        #[arg(long)]
        stale: bool,
    },
    /// Campaigns, weeks of action and events between two dates (default: today to +90 days).
    Calendar {
        /// First day (YYYY-MM-DD), default today.
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last day, inclusive (YYYY-MM-DD), default 90 days after --from.
        #[arg(long)]
        to: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = CalendarFormat::Table)]
        format: CalendarFormat,
    },
    /// The next fire times of each job (issues, proofs, announcements), sorted by time.
    Schedule {
        /// How many fires of each job.
        #[arg(long, default_value_t = 5)]
        count: usize,
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
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Send a proof to these addresses only; nothing is recorded as the issue.
        #[arg(long = "test-to", num_args = 1.., value_name = "EMAIL")]
        test_to: Vec<String>,
    },
    /// Issues and their deliveries by state.
    Status {
        #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
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
        #[arg(long)]
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
    /// The daemon: sends each issue on schedule, retries, proofs, announcements; until SIGTERM.
    Run,
    /// Render an issue to a file: the next one, or the one for --date.
    Preview {
        /// The bulletin's id.
        bulletin: String,
        /// The issue date (YYYY-MM-DD); default the next scheduled issue.
        #[arg(long)]
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

/// Set up tracing on stderr.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
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
        } => {
            let stale = runtime()?.block_on(crate::bounce::stale::read_stale(p));
            stale_lists(p, &stale, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lists { format, .. } => {
            let suppressions = runtime()?.block_on(crate::commands::existing_suppressions(p))?;
            lists(p, &suppressions, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { from, to, format } => {
            crate::calendar::cli::run(p, from, to, format, Utc::now())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Schedule { count, format } => {
            crate::schedule::cli::run(p, count, format, Utc::now())?;
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
        } => runtime()?.block_on(crate::commands::send(p, &bulletin, now, date, &test_to)),
        Command::Status { format } => {
            runtime()?.block_on(crate::commands::status(p, format == TableOrJson::Json))
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

fn relative_display(d: crate::diag::Diagnostics) -> crate::diag::Diagnostics {
    match std::env::current_dir() {
        Ok(cwd) => d.relative_to(&cwd),
        Err(_) => d,
    }
}

/// Load the project; on errors print them (and a pointer to `check`) to stderr.
fn load_or_report(config_path: &std::path::Path, env: &Env) -> Option<Project> {
    let Loaded {
        project,
        diagnostics,
    } = config::load(config_path, env, Utc::now());
    let diagnostics = relative_display(diagnostics);
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
        let stale = runtime()?.block_on(crate::bounce::stale::read_stale(p));
        for w in crate::bounce::stale::warnings(&crate::bounce::stale::stale_members(p, &stale)) {
            diagnostics.push(w);
        }
    }
    let diagnostics = relative_display(diagnostics);
    let mut out = std::io::stdout().lock();
    match format {
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &diagnostics.iter().collect::<Vec<_>>())?;
            writeln!(out)?;
        }
        CheckFormat::Text => {
            write!(out, "{diagnostics}")?;
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
    project
        .lists
        .lists
        .values()
        .map(|l| {
            let scope = format!("list:{}", l.id);
            let members = project.lists.members.get(&l.id).map_or(0, |ms| {
                ms.iter()
                    .filter(|m| {
                        let key = m.email.key();
                        !suppressions
                            .iter()
                            .any(|s| s.email_key == key && (s.scope == "*" || s.scope == scope))
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
