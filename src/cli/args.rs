//! The command line as clap reads it: the global options, the subcommands and their formats.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

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
        /// Also report what makes each news item harder to read than it needs to be (long
        /// sentences, passive voice, acronyms, vague links, wordy words), as warnings, and a
        /// line of figures per item.
        #[arg(long)]
        readability: bool,
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
        /// How many fires of each job; without it, every fire within --months.
        #[arg(long)]
        count: Option<usize>,
        /// How far ahead to list, in months (default 12: a year of issues at a glance).
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=1200))]
        months: u32,
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
        /// Create (or resume) the issue for --date (default the next scheduled issue) and
        /// attempt every due delivery.
        #[arg(long)]
        now: bool,
        /// The issue date (YYYY-MM-DD): a day the schedule sends on (after `on_non_working_day`);
        /// default the next scheduled issue (today's, if one is due today).
        #[arg(long, value_parser = crate::dates::cli_date)]
        date: Option<NaiveDate>,
        /// Allow a --date the schedule does not send on (an extra, unscheduled issue).
        #[arg(long, requires = "date")]
        unscheduled: bool,
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
    /// Undo `cancel` of an issue still to come: it is created and sent as scheduled.
    Uncancel {
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
    /// Write a consistent copy of the running SQLite ledger to FILE (0600), with its id in
    /// FILE.ledger-id; safe while the daemon runs. On PostgreSQL: prints the pg_dump command
    /// and exits 1 (no backup was made).
    Backup { file: std::path::PathBuf },
    /// Put a backup made by `bulletin backup` in place as the SQLite ledger (the daemon must be
    /// stopped); whatever was there is moved aside, never deleted. On PostgreSQL: prints the
    /// pg_restore command and exits 1.
    Restore { file: std::path::PathBuf },
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
        /// Who approves (default $USER; required when $USER is not set).
        #[arg(long)]
        by: Option<String>,
        /// Approve a date whose time has passed and which the daemon will not send, so that
        /// `bulletin send BULLETIN --now --date D` sends it by hand.
        #[arg(long)]
        late: bool,
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
    /// Confirmed sign-ups waiting for review (lists with `signups = "review"`); `accept` adds
    /// them to the list's members CSV (only if `check` still passes), `decline` does not.
    Signups {
        #[command(subcommand)]
        action: Option<SignupsAction>,
        #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
    },
    /// Everything held about one address: lists (file:line), suppressions, deliveries,
    /// bounces, sign-ups and consent. --erase removes it from the ledger (a suppression by
    /// hash stays, so it is not signed up again) and names the files to edit; --lift undoes
    /// that suppression.
    Person {
        address: String,
        #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
        #[arg(long, conflicts_with = "lift")]
        erase: bool,
        #[arg(long)]
        lift: bool,
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

/// `bulletin signups accept|decline ADDRESS…`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum SignupsAction {
    /// Add each address's confirmed sign-up to its list's members CSV.
    Accept {
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Decline each address's confirmed sign-up: nothing is added.
    Decline {
        #[arg(required = true)]
        addresses: Vec<String>,
    },
}
