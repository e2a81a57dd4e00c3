//! `config/bulletin.toml`: the organisation, database, transport, web, sections and bulletins.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono_tz::Tz;

use super::doc::{At, FileCtx, Table};
use super::env::Env;
use super::secret_files::SecretFiles;
use super::secret_hint::SecretKind;
use crate::address::{EmailAddress, Mailbox};
use crate::cron::{CronSchedule, parse_time_zone};
use crate::diag::Severity;
use crate::holidays::{Division, WorkingDays};
use crate::ids::{BulletinId, ListId, SectionId};
use crate::secret::{Secret, SecretFileError};

/// Who sends the bulletin; shown in every footer.
#[derive(Debug, Clone)]
pub struct Organisation {
    pub name: String,
    /// Short form for the List-Id header and subjects, e.g. "SSCP".
    pub short_name: Option<String>,
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    /// Public contact address shown in the footer.
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
    pub postal_address: String,
    pub website: String,
    pub time_zone: Tz,
    /// `bank_holidays`: whose bank holidays are not working days.
    pub bank_holidays: Division,
}

/// Where the send ledger lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file, resolved against the project root.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres {
        /// The URL, kept whole (it may carry credentials: never logged).
        url: Secret,
        /// The marker file holding the id of the ledger this project keeps there:
        /// `data/postgres.ledger-id` under the project root. One per project, not one per URL:
        /// a marker keyed by the URL would let a changed or mistyped URL, which names a new,
        /// empty database, start a fresh ledger without a word (forgetting every unsubscribe),
        /// which is what the marker is there to prevent; moving the ledger to another server
        /// with its data keeps its id and needs nothing. In the project's folder rather than
        /// the database, because a database dropped and created again takes its own record
        /// with it. Each machine of a cluster has its own, written at its first start.
        marker: PathBuf,
    },
}

/// How TLS is used towards an SMTP relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS; refused if the relay does not offer it.
    StartTls,
    /// Implicit TLS from the first byte (port 465).
    Tls,
    /// No TLS: loopback relays only.
    None,
}

/// An SMTP relay: host, port, TLS and credentials (the password never inline in logs).
#[derive(Debug, Clone)]
pub struct SmtpRelay {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// An extra trusted root certificate (PEM) for a private relay.
    pub tls_ca_file: Option<PathBuf>,
}

/// Where messages go.
#[derive(Debug, Clone)]
pub enum TransportKind {
    Outbox { dir: PathBuf },
    Smtp(SmtpRelay),
    Sendmail { path: PathBuf },
}

impl TransportKind {
    /// Whether this transport delivers to real people (and so needs working unsubscribe links).
    pub fn sends_real_mail(&self) -> bool {
        !matches!(self, TransportKind::Outbox { .. })
    }
}

/// The transport and the relay's limits.
#[derive(Debug, Clone)]
pub struct Transport {
    pub kind: TransportKind,
    pub connections: u32,
    /// 0 means no limit.
    pub max_per_minute: u32,
    /// 0 means no limit.
    pub max_per_day: u32,
    /// First retry delay after a 4xx or network error; doubles up to `retry_max_minutes`.
    pub retry_first_minutes: u32,
    pub retry_max_minutes: u32,
    /// Deliveries still not sent this long after their issue was created expire.
    pub max_age_hours: u32,
    /// The name the daemon gives in EHLO (`helo_name`); without it, the From domain. Set it to
    /// the sending host's name when the relay checks it against its reverse DNS.
    pub helo_name: Option<String>,
}

/// The web server: one-click unsubscribe, archive, feeds.
#[derive(Debug, Clone)]
pub struct Web {
    pub bind: SocketAddr,
    /// Base of every link in mail, without a trailing slash.
    pub public_url: String,
    /// Bearer token for `/admin` (`BULLETIN_ADMIN_TOKEN`); without one the page does not
    /// exist. Read with the rest of the settings, so a reload sees what the loader sees.
    pub admin_token: Option<Secret>,
}

/// The HMAC secret behind unsubscribe links, and the id that names it for rotation.
#[derive(Debug, Clone)]
pub struct Unsubscribe {
    pub secret: Option<Secret>,
    pub key_id: String,
    /// Earlier secrets, still accepted for links already in inboxes: (key id, secret).
    pub retired: Vec<(String, Secret)>,
    /// A configured secret file (current or retired) this command could not read: tolerated
    /// only by commands that sign nothing, and never replaced by a stand-in.
    pub unavailable: Option<SecretFileError>,
}

/// Bounce handling (`[bounces]`): off unless the table is there.
#[derive(Debug, Clone)]
pub struct Bounces {
    /// The address bounces go to; each delivery is sent from `local+<token>@domain` (VERP).
    pub address: EmailAddress,
    /// Soft bounces (of different messages) that suppress an address…
    pub soft_limit: u32,
    /// …when they arrive within this many days.
    pub soft_window_days: u32,
    /// When a burst of one issue's hard bounces is not believed (`breaker_percent`,
    /// `breaker_minimum`, `breaker_window_minutes`).
    pub breaker: crate::bounce_limits::Breaker,
    /// A mailbox the daemon polls for bounces (`[bounces.imap]`), instead of or beside a pipe.
    pub imap: Option<ImapMailbox>,
}

impl Bounces {
    /// The policy these settings make: `soft_limit` within `soft_window_days`, and the breaker.
    pub fn policy(&self) -> crate::bounce_limits::SoftPolicy {
        crate::bounce_limits::SoftPolicy {
            limit: self.soft_limit,
            window_secs: i64::from(self.soft_window_days) * 86_400,
            breaker: self.breaker,
        }
    }
}

/// `[bounces.imap]`: where bounces wait when no MTA can pipe them to `bulletin bounce`.
#[derive(Debug, Clone)]
pub struct ImapMailbox {
    pub host: String,
    pub port: u16,
    /// Implicit TLS (993); `false` only for a server on loopback.
    pub tls: bool,
    pub username: String,
    /// From BULLETIN_IMAP_PASSWORD or `password_file`; polling refuses to start without it.
    pub password: Option<Secret>,
    /// The folder bounces arrive in (default INBOX).
    pub folder: String,
    /// Handled reports are moved here; without it they are deleted.
    pub processed_folder: Option<String>,
    /// Seconds between polls in the daemon.
    pub interval_secs: u64,
    /// An extra trusted root certificate (PEM) for a private server.
    pub tls_ca_file: Option<PathBuf>,
}

/// `[reach]`: evidence of reach without tracking people.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Send content links through `/r/…`, which counts clicks per issue and link only.
    pub count_clicks: bool,
}

/// `[dkim]`: sign every message for the organisation's domain.
#[derive(Debug, Clone)]
pub struct Dkim {
    /// `d=`: the signing domain (usually the From address's).
    pub domain: String,
    /// `s=`: the selector; the public key is published at `<selector>._domainkey.<domain>`.
    pub selector: String,
    /// The private key, PEM (from `private_key_file` or BULLETIN_DKIM_PRIVATE_KEY).
    pub private_key: Secret,
}

/// A news section a news item can be filed under.
#[derive(Debug, Clone)]
pub struct Section {
    pub id: SectionId,
    pub title: String,
    pub pos: crate::diag::Position,
}

/// One bulletin: what it is called, when it goes, to whom, and what it carries.
#[derive(Debug, Clone)]
pub struct Bulletin {
    pub id: BulletinId,
    pub name: String,
    pub subject: String,
    pub schedule: CronSchedule,
    pub lists: Vec<ListId>,
    pub sections: Vec<SectionId>,
    pub campaign_lookahead_days: u32,
    pub catch_up_hours: u32,
    pub editors: Option<ListId>,
    pub proof_days_before: Option<u32>,
    pub require_approval: bool,
    /// Where an issue goes when its fire lands on a weekend or bank holiday (default: sent
    /// on the day).
    pub on_non_working_day: crate::cron::NonWorkingDay,
    /// The days `on_non_working_day` moves fires off: the project's bank holidays, set when
    /// the project is loaded (the compiled-in England and Wales until then), so the pure
    /// schedule code is handed them with the bulletin.
    pub working_days: Arc<WorkingDays>,
    pub pos: crate::diag::Position,
}

/// Everything in `bulletin.toml`, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub organisation: Organisation,
    pub database: DatabaseUrl,
    /// How long a sender's claim on a delivery holds without renewal: when an instance dies,
    /// its deliveries return to the queue this long after (renewed every third of it).
    pub lease_seconds: u32,
    pub transport: Transport,
    pub web: Web,
    pub unsubscribe: Unsubscribe,
    /// Bounce handling; `None` when `[bounces]` is absent.
    pub bounces: Option<Bounces>,
    /// DKIM signing; `None` when `[dkim]` is absent.
    pub dkim: Option<Dkim>,
    /// Aggregate link counts; off unless `[reach] count_clicks = true`.
    pub reach: Reach,
    pub sections: Vec<Section>,
    pub bulletins: Vec<Bulletin>,
    /// The desk (sign-in to the browser workspace); `None` when `[desk]` is absent, and then
    /// every `/desk` address answers 404.
    pub desk: Option<super::desk::Desk>,
}

/// The parts of `bulletin.toml` other files are checked against, kept even when some of the
/// settings are broken, so every file's problems are found in one run.
#[derive(Debug, Clone, Default)]
pub struct SettingsRefs {
    /// Each bulletin's lists, editors list and sections, with positions, for cross-checks.
    pub bulletins: Vec<BulletinRefs>,
    pub sections: Vec<(SectionId, crate::diag::Position)>,
    /// The organisation's time zone, when it parsed (for "today" in warnings).
    pub time_zone: Option<Tz>,
    /// The organisation's `bank_holidays` division, when it parsed (the default otherwise).
    pub bank_holidays: Division,
    /// The lists `[desk]` lets sign in (`editors` and `admins`), as written.
    pub desk_lists: Vec<At<String>>,
}

#[derive(Debug, Clone)]
pub struct BulletinRefs {
    pub id: At<String>,
    pub lists: Vec<At<String>>,
    pub editors: Option<At<String>>,
    pub sections: Vec<At<String>>,
}

/// Subjects longer than this (after filling in the placeholders) are cut short in most inboxes
/// lists; `check` warns. Longer ones are still sent, folded over several header lines.
const SUBJECT_WARN_CHARS: usize = 78;

pub(crate) const SUBJECT_PLACEHOLDERS: [&str; 3] = ["{month}", "{year}", "{date}"];

/// Parse `bulletin.toml`. Returns the settings when every part is valid, and always the
/// references other files are checked against.
pub(crate) fn parse(ctx: &FileCtx<'_>, root: &Path, env: &Env) -> (Option<Settings>, SettingsRefs) {
    let doc = ctx.parse();
    let top = Table::root(ctx, &doc);

    let organisation = match top.opt_table("organisation") {
        Some(t) => organisation(&t),
        None => {
            ctx.error(top.pos, "missing required table [organisation]")
                .hint("add [organisation] with name, from, postal_address and website");
            None
        }
    };
    let database = database(top.opt_table("database").as_ref(), root, env, ctx);
    let lease_seconds = top
        .opt_table("database")
        .and_then(|t| t.opt_int_in("lease_seconds", 2..=3600))
        .map_or(300, |v| v.value as u32);
    let sqlite_ledger = match &database {
        Some(DatabaseUrl::Sqlite(p)) => Some(p.as_path()),
        _ => None,
    };
    let secrets = SecretFiles::new(root, env, sqlite_ledger);
    let transport = transport(
        top.opt_table("transport").as_ref(),
        root,
        env,
        &secrets,
        ctx,
    );
    let web = web(top.opt_table("web").as_ref(), env, ctx);
    let unsubscribe = unsubscribe(top.opt_table("unsubscribe").as_ref(), env, &secrets, ctx);
    let bounces = top
        .opt_table("bounces")
        .map(|t| bounces(&t, root, env, &secrets));
    let reach = Reach {
        count_clicks: top.opt_table("reach").is_some_and(|t| {
            let on = t.opt_bool("count_clicks").is_some_and(|v| v.value);
            t.finish();
            on
        }),
    };
    let dkim = match top.opt_table("dkim") {
        None => Some(None),
        Some(t) => dkim(&t, env, &secrets),
    };

    real_mail_warnings(&top, env, &secrets, (&transport, &web, &unsubscribe));
    let mut refs = SettingsRefs {
        time_zone: organisation.as_ref().map(|o| o.time_zone),
        bank_holidays: organisation
            .as_ref()
            .map_or(Division::default(), |o| o.bank_holidays),
        ..SettingsRefs::default()
    };
    let sections = sections(&top, &mut refs);
    let bulletins = bulletins(&top, &mut refs);
    let desk = super::desk::table(&top, &mut refs.desk_lists);
    top.finish();

    // A broken `[bounces]` or `[dkim]` is `None`; an absent one `Some(None)`.
    let bounces = bounces.map_or(Some(None), |b| b.map(Some));
    let settings = (|| {
        Some(Settings {
            organisation: organisation?,
            database: database?,
            lease_seconds,
            transport: transport?,
            web: web?,
            unsubscribe: unsubscribe?,
            bounces: bounces?,
            dkim: dkim?,
            reach,
            sections,
            bulletins,
            desk: desk?,
        })
    })();
    (settings, refs)
}

/// Where a transport that sends real mail would let people down: links on plain http, or
/// unsubscribe links anyone could forge.
fn real_mail_warnings(
    top: &Table<'_, '_, '_>,
    env: &Env,
    secrets: &SecretFiles<'_>,
    (transport, web, unsubscribe): (&Option<Transport>, &Option<Web>, &Option<Unsubscribe>),
) {
    let ctx = top.ctx;
    if let (Some(tr), Some(w)) = (transport, web)
        && tr.kind.sends_real_mail()
        && plain_http_to_the_world(&w.public_url)
    {
        let pos = top
            .opt_table("web")
            .and_then(|t| t.pos_of("public_url").or(Some(t.pos)))
            .unwrap_or(top.pos);
        ctx.warning(
            pos,
            format!(
                "`public_url` is plain http ({}) while mail goes to real people: Gmail and Yahoo expect one-click unsubscribe links on https",
                w.public_url
            ),
        )
        .hint("put the web server behind TLS (see docs/operations.md) and set public_url = \"https://…\"");
    }
    if let (Some(tr), Some(u)) = (transport, unsubscribe)
        && tr.kind.sends_real_mail()
        && u.secret.is_none()
        && u.unavailable.is_none()
    {
        let pos = top
            .opt_table("transport")
            .and_then(|t| t.pos_of("kind").or(Some(t.pos)))
            .unwrap_or(top.pos);
        let severity = if env.secrets_optional() {
            Severity::Warning
        } else {
            Severity::Error
        };
        let msg = "this transport sends real mail but no unsubscribe secret is set, so unsubscribe links could be forged";
        let b = if env.get("BULLETIN_SMTP_URL").is_some() {
            ctx.env_problem("BULLETIN_SMTP_URL", severity, msg)
        } else if severity == Severity::Warning {
            ctx.warning(pos, msg)
        } else {
            ctx.error(pos, msg)
        };
        b.hint(super::secret_hint::unset_secret_hint(secrets.ledger()));
    }
}

/// The `[[section]]`s, each id once; their ids and positions go to `refs` for cross-checks.
fn sections(top: &Table<'_, '_, '_>, refs: &mut SettingsRefs) -> Vec<Section> {
    let ctx = top.ctx;
    let mut sections = Vec::new();
    for t in top.array_of_tables("section") {
        let id =
            t.req_str("id", "\"partnership\"")
                .and_then(|id| match SectionId::parse(&id.value) {
                    Ok(s) => Some((s, id.pos)),
                    Err(e) => {
                        ctx.error(id.pos, format!("section id `{}`: {e}", id.value));
                        None
                    }
                });
        let title = t.req_str("title", "\"Partnership news\"");
        t.finish();
        if let Some((id, pos)) = id {
            if id.as_str() == "campaigns" {
                ctx.error(
                    pos,
                    "`campaigns` is the built-in calendar section; it cannot be declared",
                )
                .hint("leave it out of [[section]] and just name it in a bulletin's `sections`");
                continue;
            }
            if let Some((_, first)) = refs.sections.iter().find(|(s, _)| *s == id) {
                ctx.error(
                    pos,
                    format!(
                        "section `{id}` is declared twice (first at line {})",
                        first.line
                    ),
                );
                continue;
            }
            refs.sections.push((id.clone(), pos));
            if let Some(title) = title {
                sections.push(Section {
                    id,
                    title: title.value,
                    pos,
                });
            }
        }
    }

    sections
}

/// The `[[bulletin]]`s; each one's references go to `refs` for cross-checks.
fn bulletins(top: &Table<'_, '_, '_>, refs: &mut SettingsRefs) -> Vec<Bulletin> {
    let ctx = top.ctx;
    let mut bulletins = Vec::new();
    let bulletin_tables = top.array_of_tables("bulletin");
    if bulletin_tables.is_empty() {
        ctx.warning(
            top.pos,
            "no [[bulletin]] is defined, so nothing will be sent",
        )
        .hint("add a [[bulletin]] with id, subject, schedule and lists");
    }
    for t in bulletin_tables {
        let tz = refs.time_zone.unwrap_or(chrono_tz::Europe::London);
        if let Some((b, r)) = bulletin(&t, &refs.bulletins, tz) {
            refs.bulletins.push(r);
            if let Some(b) = b {
                bulletins.push(b);
            }
        }
        t.finish();
    }
    bulletins
}

fn mailbox(t: &Table<'_, '_, '_>, v: At<String>, key: &str) -> Option<Mailbox> {
    match Mailbox::parse(&v.value) {
        Ok(m) => Some(m),
        Err(e) => {
            let b = t
                .ctx
                .error(v.pos, format!("`{key}` is not a valid mailbox: {e}"));
            if let Some(h) = e.hint() {
                b.hint(h);
            }
            None
        }
    }
}

fn http_url(t: &Table<'_, '_, '_>, v: &At<String>, key: &str) -> bool {
    let ok = (v.value.starts_with("https://") || v.value.starts_with("http://"))
        && v.value.len() > "https://".len()
        && !v.value.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        t.ctx
            .error(
                v.pos,
                format!("`{key}` must be an http(s) URL, found \"{}\"", v.value),
            )
            .hint("write the full address, e.g. \"https://example.org\"");
    }
    ok
}

fn organisation(t: &Table<'_, '_, '_>) -> Option<Organisation> {
    let name = t.req_str("name", "\"Salford Safeguarding Children Partnership\"");
    let short_name = t.opt_str("short_name");
    let from = t
        .req_str("from", "\"SSCP News <news@example.org>\"")
        .and_then(|v| mailbox(t, v, "from"));
    let reply_to_raw = t.opt_str("reply_to");
    let reply_to = reply_to_raw.clone().map(|v| mailbox(t, v, "reply_to"));
    let email = t
        .opt_str("email")
        .map(|v| match EmailAddress::parse(&v.value) {
            Ok(e) => Some(e),
            Err(e) => {
                t.ctx
                    .error(v.pos, format!("`email` is not a valid address: {e}"));
                None
            }
        });
    let phone = t.opt_str("phone");
    let postal_address = t.req_str("postal_address", "\"1 High Street, Town, AB1 2CD\"");
    let website = t.req_str("website", "\"https://example.org\"");
    let website_ok = website.as_ref().is_some_and(|w| http_url(t, w, "website"));
    let time_zone = time_zone(t, postal_address.as_ref());
    let bank_holidays = bank_holidays(t);
    for (key, v) in [
        ("name", &name),
        ("postal_address", &postal_address),
        ("phone", &phone),
        ("short_name", &short_name),
    ] {
        if let Some(v) = v
            && v.value.chars().any(|c| c.is_control() && c != '\n')
        {
            t.ctx
                .error(v.pos, format!("`{key}` contains a control character"));
        }
    }
    if let Some(n) = &name
        && n.value.contains('\n')
    {
        t.ctx.error(
            n.pos,
            "`name` must be on one line (it goes into mail headers)",
        );
    }
    t.finish();
    Some(Organisation {
        name: name?.value,
        short_name: short_name.map(|s| s.value),
        from: from?,
        reply_to: match reply_to {
            Some(r) => Some(r?),
            None => None,
        },
        email: match email {
            Some(e) => Some(e?),
            None => None,
        },
        phone: phone.map(|p| p.value),
        postal_address: postal_address?.value,
        website: website
            .filter(|_| website_ok)?
            .value
            .trim_end_matches('/')
            .to_string(),
        time_zone: time_zone?,
        bank_holidays: bank_holidays?,
    })
}

/// `bank_holidays`: the division of GOV.UK's bank holidays whose days are not working days,
/// England and Wales without it.
fn bank_holidays(t: &Table<'_, '_, '_>) -> Option<Division> {
    let Some(v) = t.opt_str("bank_holidays") else {
        return Some(Division::default());
    };
    let found = Division::parse(&v.value);
    if found.is_none() {
        let names: Vec<String> = Division::ALL.iter().map(|d| format!("\"{d}\"")).collect();
        t.ctx
            .error(
                v.pos,
                format!("unknown bank holidays division `{}`", v.value),
            )
            .hint(format!("use one of {}", names.join(", ")));
    }
    found
}

/// `time_zone`, Europe/London without it; a UK organisation set to a zone that differs from
/// UK time is warned.
fn time_zone(t: &Table<'_, '_, '_>, postal_address: Option<&At<String>>) -> Option<Tz> {
    match t.opt_str("time_zone") {
        None => Some(chrono_tz::Europe::London),
        Some(v) => match parse_time_zone(&v.value) {
            Ok(tz) => {
                let sites: Vec<String> = ["website", "from", "reply_to", "email"]
                    .into_iter()
                    .filter_map(|k| t.opt_str(k).map(|s| s.value))
                    .collect();
                let sites: Vec<&str> = sites.iter().map(String::as_str).collect();
                let postal = postal_address.map_or("", |p| p.value.as_str());
                if super::uk_time::is_uk(postal, &sites)
                    && let Some(why) = super::uk_time::differs_from_uk(tz, &v.value)
                {
                    t.ctx.warning(v.pos, why).hint(
                        "use time_zone = \"Europe/London\": GMT in winter, BST in summer, switching by itself",
                    );
                }
                Some(tz)
            }
            Err(near) => {
                let b = t
                    .ctx
                    .error(v.pos, format!("unknown time zone `{}`", v.value));
                let summer = ["bst", "british summer time"]
                    .contains(&v.value.trim().to_lowercase().as_str());
                match near {
                    _ if summer => b.hint(
                        "did you mean `Europe/London`? It is GMT in winter and BST in summer, switching by itself",
                    ),
                    Some(n) => b.hint(format!("did you mean `{n}`?")),
                    None => b.hint("use an IANA name such as \"Europe/London\""),
                };
                None
            }
        },
    }
}

fn database(
    t: Option<&Table<'_, '_, '_>>,
    root: &Path,
    env: &Env,
    ctx: &FileCtx<'_>,
) -> Option<DatabaseUrl> {
    let from_file = t.and_then(|t| t.opt_str("url"));
    // Read here so it is a known key; used through `lease_seconds` below.
    let _ = t.map(|t| t.has("lease_seconds"));
    if let Some(t) = t {
        t.finish();
    }
    if let Some(url) = env.get("BULLETIN_DATABASE_URL") {
        return match parse_database_url(&url, root) {
            Ok(u) => Some(u),
            Err(msg) => {
                ctx.env_error("BULLETIN_DATABASE_URL", msg.to_string())
                    .hint("use sqlite://PATH or postgres://USER@HOST/DB");
                None
            }
        };
    }
    match from_file {
        None => Some(DatabaseUrl::Sqlite(root.join("data/bulletin.db"))),
        Some(v) => match parse_database_url(&v.value, root) {
            Ok(u) => Some(u),
            Err(msg) => {
                ctx.error(v.pos, format!("`url`: {msg}"))
                    .hint("use \"sqlite://data/bulletin.db\" or \"postgres://user@host/db\"");
                None
            }
        },
    }
}

/// Where a PostgreSQL ledger's marker lives, under the project root (see
/// [`DatabaseUrl::Postgres`]).
pub const POSTGRES_MARKER: &str = "data/postgres.ledger-id";

/// `sqlite://relative/or/absolute.db` or `postgres://…`.
pub fn parse_database_url(url: &str, root: &Path) -> Result<DatabaseUrl, DatabaseUrlError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or("");
        if path.is_empty() {
            return Err(DatabaseUrlError::NoFile);
        }
        return Ok(DatabaseUrl::Sqlite(root.join(path)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(DatabaseUrl::Postgres {
            url: Secret::new(url.to_string()),
            marker: root.join(POSTGRES_MARKER),
        });
    }
    let scheme = url.split("://").next().unwrap_or(url);
    Err(DatabaseUrlError::Unsupported(scheme.to_string()))
}

/// Why a database URL does not name a ledger this program can open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("the SQLite URL names no file")]
    NoFile,
    #[error("unsupported database `{0}`: expected sqlite:// or postgres://")]
    Unsupported(String),
}

/// Why an `smtp://` URL does not name a relay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpUrlError {
    #[error("an SMTP URL starts with smtp:// or smtps://")]
    Scheme,
    #[error("put the password in BULLETIN_SMTP_PASSWORD or password_file, not in the URL")]
    PasswordInUrl,
    #[error("unclosed `[` in host")]
    UnclosedBracket,
    #[error("`{0}` is not a host name")]
    NotHost(String),
    #[error("`{0}` is not a port number")]
    NotPort(String),
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Parsed `smtp://` / `smtps://` URL: host, port, implicit TLS, optional user.
pub fn parse_smtp_url(url: &str) -> Result<(String, u16, bool, Option<String>), SmtpUrlError> {
    let (implicit, rest) = if let Some(r) = url.strip_prefix("smtps://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("smtp://") {
        (false, r)
    } else {
        return Err(SmtpUrlError::Scheme);
    };
    let rest = rest.trim_end_matches('/');
    let (user, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) => {
            if u.contains(':') {
                return Err(SmtpUrlError::PasswordInUrl);
            }
            (Some(u.to_string()), h)
        }
        None => (None, rest),
    };
    let (host, port) = if let Some(stripped) = hostport.strip_prefix('[') {
        let (h, p) = stripped
            .split_once(']')
            .ok_or(SmtpUrlError::UnclosedBracket)?;
        (format!("[{h}]"), p.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (hostport.to_string(), None),
        }
    };
    if host.is_empty()
        || host
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c.is_control())
    {
        return Err(SmtpUrlError::NotHost(host));
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| SmtpUrlError::NotPort(p.to_string()))?,
        None if implicit => 465,
        None => 587,
    };
    Ok((host, port, implicit, user))
}

fn transport(
    t: Option<&Table<'_, '_, '_>>,
    root: &Path,
    env: &Env,
    secrets: &SecretFiles<'_>,
    ctx: &FileCtx<'_>,
) -> Option<Transport> {
    let pos0 = t.map_or(crate::diag::Position::START, |t| t.pos);
    let kind_v = t.and_then(|t| t.opt_str("kind"));
    let outbox_dir = t.and_then(|t| t.opt_str("outbox_dir"));
    let smtp = SmtpKeys {
        at: pos0,
        kind_at: kind_v.as_ref().map(|k| k.pos),
        url: t.and_then(|t| t.opt_str("smtp_url")),
        tls: t.and_then(|t| t.opt_str("tls")),
        username: t.and_then(|t| t.opt_str("username")),
        password: t.and_then(|t| t.opt_str("password")),
        password_file: t.and_then(|t| t.opt_str("password_file")),
        tls_ca_file: t.and_then(|t| t.opt_str("tls_ca_file")),
        username_in_file: t.is_some_and(|t| t.has("username")),
    };
    let sendmail_path = t.and_then(|t| t.opt_str("sendmail_path"));
    let connections = t.and_then(|t| t.opt_int_in("connections", 1..=64));
    let per_minute = t.and_then(|t| t.opt_int_in("max_per_minute", 0..=1_000_000));
    let per_day = t.and_then(|t| t.opt_int_in("max_per_day", 0..=100_000_000));
    let retry_first = t.and_then(|t| t.opt_int_in("retry_first_minutes", 1..=24 * 60));
    let retry_max = t.and_then(|t| t.opt_int_in("retry_max_minutes", 1..=24 * 60));
    let max_age = t.and_then(|t| t.opt_int_in("max_age_hours", 1..=24 * 30));
    let helo_v = t.and_then(|t| t.opt_str("helo_name"));
    t.inspect(|t| t.finish());
    let kind_name = if env.get("BULLETIN_SMTP_URL").is_some() {
        "smtp".to_string()
    } else {
        kind_v.as_ref().map_or("outbox".into(), |k| k.value.clone())
    };
    let kind = match kind_name.as_str() {
        "outbox" => Some(TransportKind::Outbox {
            dir: root.join(outbox_dir.map_or("outbox".into(), |d| d.value)),
        }),
        "sendmail" => Some(TransportKind::Sendmail {
            path: sendmail_path.map_or("/usr/sbin/sendmail".into(), |p| PathBuf::from(p.value)),
        }),
        "smtp" => Some(TransportKind::Smtp(smtp_relay(
            ctx, root, env, secrets, smtp,
        )?)),
        other => {
            let b = ctx.error(
                kind_v.as_ref().map_or(pos0, |k| k.pos),
                format!("unknown transport kind `{other}`"),
            );
            match crate::diag::did_you_mean(other, ["outbox", "smtp", "sendmail"]) {
                Some(s) => b.hint(format!("did you mean `{s}`?")),
                None => b.hint("use \"outbox\", \"smtp\" or \"sendmail\""),
            };
            return None;
        }
    };
    let helo_name = helo_name(ctx, helo_v)?;
    Some(Transport {
        helo_name,
        kind: kind?,
        connections: connections.map_or(4, |c| c.value as u32),
        max_per_minute: per_minute.map_or(600, |c| c.value as u32),
        max_per_day: per_day.map_or(10_000, |c| c.value as u32),
        retry_first_minutes: retry_first.map_or(5, |c| c.value as u32),
        retry_max_minutes: retry_max.map_or(60, |c| c.value as u32),
        max_age_hours: max_age.map_or(48, |c| c.value as u32),
    })
}

/// The keys of `[transport]` an SMTP relay is made from, as written.
struct SmtpKeys {
    /// Where `[transport]` starts (or the file, without one).
    at: crate::diag::Position,
    /// Where `kind` is written, if it is.
    kind_at: Option<crate::diag::Position>,
    url: Option<At<String>>,
    tls: Option<At<String>>,
    username: Option<At<String>>,
    password: Option<At<String>>,
    password_file: Option<At<String>>,
    tls_ca_file: Option<At<String>>,
    /// Whether `username` is written (even with a value of the wrong type).
    username_in_file: bool,
}

/// The relay `smtp_url` (or BULLETIN_SMTP_URL) names, with its TLS mode and credentials.
fn smtp_relay(
    ctx: &FileCtx<'_>,
    root: &Path,
    env: &Env,
    secrets: &SecretFiles<'_>,
    k: SmtpKeys,
) -> Option<SmtpRelay> {
    let (url, url_pos, from_env) = match (&env.get("BULLETIN_SMTP_URL"), &k.url) {
        (Some(u), _) => (u.clone(), k.at, true),
        (None, Some(u)) => (u.value.clone(), u.pos, false),
        (None, None) => {
            ctx.error(
                k.kind_at.unwrap_or(k.at),
                "kind = \"smtp\" needs `smtp_url`",
            )
            .hint("add smtp_url = \"smtp://relay.example.org:587\" or set BULLETIN_SMTP_URL");
            return None;
        }
    };
    let (host, port, implicit, url_user) = match parse_smtp_url(&url) {
        Ok(p) => p,
        Err(msg) => {
            let b = if from_env {
                ctx.env_error("BULLETIN_SMTP_URL", msg.to_string())
            } else {
                ctx.error(url_pos, format!("`smtp_url`: {msg}"))
            };
            b.hint("e.g. smtp://relay.example.org:587 (STARTTLS) or smtps://relay.example.org:465");
            return None;
        }
    };
    let user_from_env = from_env && url_user.is_some();
    let tls = tls_mode(ctx, k.tls.as_ref(), implicit)?;
    if tls == TlsMode::None && !is_loopback(&host) {
        ctx.error(k.tls.as_ref().map_or(url_pos, |v| v.pos), format!("plain SMTP (tls = \"none\") to `{host}`, which is not a loopback address, would send credentials and mail in the clear"))
            .hint("use tls = \"starttls\" on port 587 or tls = \"tls\" on port 465; \"none\" is only for a relay on 127.0.0.1");
    }
    if let Some(p) = &k.password {
        ctx.warning(p.pos, "an inline SMTP password is readable by anyone who can read this file or its git history")
            .hint("set BULLETIN_SMTP_PASSWORD or password_file = \"/run/secrets/smtp\" instead");
    }
    let (password, unreadable) = smtp_password(ctx, env, secrets, &k);
    let username = k.username.map(|u| u.value).or(url_user);
    if username.is_some() && password.is_none() && !unreadable {
        let severity = if env.secrets_optional() {
            Severity::Warning
        } else {
            Severity::Error
        };
        let msg = "an SMTP username is set but no password";
        let b = if user_from_env && !k.username_in_file {
            ctx.env_problem("BULLETIN_SMTP_URL", severity, msg)
        } else if severity == Severity::Warning {
            ctx.warning(k.at, msg)
        } else {
            ctx.error(k.at, msg)
        };
        b.hint("set BULLETIN_SMTP_PASSWORD or password_file");
    }
    let tls_ca_file = k.tls_ca_file.map(|c| {
        let p = root.join(&c.value);
        if !p.is_file() {
            ctx.error(
                c.pos,
                format!("`tls_ca_file`: {} is not a file", p.display()),
            )
            .hint("a PEM file with the root certificate of your relay's certificate");
        }
        p
    });
    Some(SmtpRelay {
        host,
        port,
        tls,
        username,
        password,
        tls_ca_file,
    })
}

/// `tls = "starttls" | "tls" | "none"`; without it, what the URL's scheme implies.
fn tls_mode(ctx: &FileCtx<'_>, tls: Option<&At<String>>, implicit: bool) -> Option<TlsMode> {
    match tls.map(|v| (v.value.as_str(), v.pos)) {
        None if implicit => Some(TlsMode::Tls),
        None => Some(TlsMode::StartTls),
        Some(("starttls", _)) => Some(TlsMode::StartTls),
        Some(("tls", _)) => Some(TlsMode::Tls),
        Some(("none", _)) => Some(TlsMode::None),
        Some((other, p)) => {
            ctx.error(p, format!("unknown tls mode `{other}`"))
                .hint("use \"starttls\" (port 587), \"tls\" (port 465) or \"none\" (loopback relays only)");
            None
        }
    }
}

/// The relay's password (BULLETIN_SMTP_PASSWORD, `password_file` or inline), and whether a
/// configured file could not be read (reported already).
fn smtp_password(
    ctx: &FileCtx<'_>,
    env: &Env,
    secrets: &SecretFiles<'_>,
    k: &SmtpKeys,
) -> (Option<Secret>, bool) {
    let mut unreadable = false;
    let password = if let Some(p) = env.get("BULLETIN_SMTP_PASSWORD") {
        Some(Secret::new(p))
    } else if let Some(f) = &k.password_file {
        match secrets.read(ctx, f, "password_file", SecretKind::SmtpPassword) {
            Ok(s) => Some(s),
            Err(_) => {
                unreadable = true;
                None
            }
        }
    } else {
        k.password.as_ref().map(|p| Secret::new(p.value.clone()))
    };
    (password, unreadable)
}

/// `helo_name`, lower case without a trailing dot; `None` after reporting one that is no
/// host name.
fn helo_name(ctx: &FileCtx<'_>, helo_v: Option<At<String>>) -> Option<Option<String>> {
    let Some(h) = helo_v else {
        return Some(None);
    };
    match crate::hostname::problem(&h.value) {
        None => Some(Some(h.value.trim_end_matches('.').to_ascii_lowercase())),
        Some(why) => {
            ctx.error(
                h.pos,
                format!("`helo_name` \"{}\" is not a host name: {why}", h.value),
            )
            .hint("the sending host's fully qualified name, as its reverse DNS gives it, e.g. helo_name = \"mail.example.org\"");
            None
        }
    }
}

/// An `http://` address other than this machine's own: where readers would follow links in
/// the clear (a loopback address is a test or a local preview).
fn plain_http_to_the_world(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    !is_loopback(&host.to_ascii_lowercase())
}

fn web(t: Option<&Table<'_, '_, '_>>, env: &Env, ctx: &FileCtx<'_>) -> Option<Web> {
    let bind_v = t.and_then(|t| t.opt_str("bind"));
    let public_v = t.and_then(|t| t.opt_str("public_url"));
    if let Some(t) = t {
        t.finish();
    }
    let bind = match env.get("BULLETIN_WEB_BIND") {
        Some(b) => match b.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                ctx.env_error(
                    "BULLETIN_WEB_BIND",
                    format!("`{b}` is not an address and port"),
                )
                .hint("e.g. BULLETIN_WEB_BIND=127.0.0.1:8080");
                None
            }
        },
        None => match &bind_v {
            None => Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            Some(v) => match v.value.parse::<SocketAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    ctx.error(
                        v.pos,
                        format!("`bind`: `{}` is not an address and port", v.value),
                    )
                    .hint("e.g. bind = \"127.0.0.1:8080\"");
                    None
                }
            },
        },
    };
    let public_url = match public_v {
        None => bind.map(|b| format!("http://{b}")),
        Some(v) => {
            let ok = (v.value.starts_with("https://") || v.value.starts_with("http://"))
                && !v.value.chars().any(|c| c.is_whitespace() || c.is_control());
            if ok {
                Some(v.value.trim_end_matches('/').to_string())
            } else {
                ctx.error(
                    v.pos,
                    format!("`public_url` must be an http(s) URL, found \"{}\"", v.value),
                )
                .hint(
                    "the address partners reach this server at, e.g. \"https://news.example.org\"",
                );
                None
            }
        }
    };
    Some(Web {
        bind: bind?,
        public_url: public_url?,
        admin_token: env.get("BULLETIN_ADMIN_TOKEN").map(Secret::new),
    })
}

/// `Some(None)` when the key file cannot be read by a command that signs nothing (reported as
/// a warning): such a command works without DKIM.
fn dkim(t: &Table<'_, '_, '_>, env: &Env, secrets: &SecretFiles<'_>) -> Option<Option<Dkim>> {
    let domain = t.req_str("domain", "\"example.org\"");
    let selector = t.req_str("selector", "\"bulletin\"");
    let file = t.opt_str("private_key_file");
    t.finish();
    let label_ok = |s: &str| {
        !s.is_empty()
            && s.split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    for v in [&domain, &selector].into_iter().flatten() {
        if !label_ok(&v.value) {
            t.ctx
                .error(v.pos, format!("`{}` is not a DNS name", v.value))
                .hint("letters, digits, `-` and `.`, e.g. domain = \"example.org\", selector = \"bulletin\"");
            return None;
        }
    }
    let (key, pos) = if let Some(k) = env.get("BULLETIN_DKIM_PRIVATE_KEY") {
        (Secret::new(k), t.pos)
    } else if let Some(f) = &file {
        match secrets.read(t.ctx, f, "private_key_file", SecretKind::DkimKey) {
            Ok(k) => (k, f.pos),
            Err(u) if u.severity == Severity::Warning => return Some(None),
            Err(_) => return None,
        }
    } else {
        t.ctx
            .error(t.pos, "[dkim] needs a private key")
            .hint("set private_key_file = \"/run/secrets/dkim.pem\" or BULLETIN_DKIM_PRIVATE_KEY");
        return None;
    };
    let (domain, selector) = (domain?.value, selector?.value);
    if let Err(e) = crate::dkim::DkimSigner::from_pem(&domain, &selector, key.expose().as_bytes()) {
        t.ctx
            .error(pos, format!("the DKIM private key cannot be used: {e}"))
            .hint("a PEM RSA (2048 bits or more) or Ed25519 private key");
        return None;
    }
    Some(Some(Dkim {
        domain,
        selector,
        private_key: key,
    }))
}

fn imap(
    t: &Table<'_, '_, '_>,
    root: &Path,
    env: &Env,
    secrets: &SecretFiles<'_>,
) -> Option<ImapMailbox> {
    let host = t.req_str("host", "\"imap.example.org\"");
    let tls_v = t.opt_str("tls");
    let port = t.opt_int_in("port", 1..=65535);
    let username = t.req_str("username", "\"bounces\"");
    let password_file = t.opt_str("password_file");
    let folder = t.opt_str("folder");
    let processed = t.opt_str("processed_folder");
    let interval = t.opt_int_in("interval_seconds", 10..=86_400);
    let ca = t.opt_str("tls_ca_file");
    t.finish();
    let host = host?;
    let tls = match tls_v.as_ref().map(|v| v.value.as_str()) {
        None | Some("tls") => true,
        Some("none") if is_loopback(&host.value) => false,
        Some("none") => {
            let v = tls_v.as_ref().expect("matched");
            t.ctx
                .error(
                    v.pos,
                    format!(
                        "plain IMAP to `{}` would send the password in the clear",
                        host.value
                    ),
                )
                .hint("use tls = \"tls\" (port 993); \"none\" is only for a server on loopback");
            return None;
        }
        Some(other) => {
            let v = tls_v.as_ref().expect("matched");
            t.ctx
                .error(
                    v.pos,
                    format!("`tls` must be \"tls\" or \"none\", found \"{other}\""),
                )
                .hint("tls = \"tls\" for implicit TLS on port 993");
            return None;
        }
    };
    let password = if let Some(p) = env.get("BULLETIN_IMAP_PASSWORD") {
        Some(Secret::new(p))
    } else if let Some(f) = &password_file {
        // Unreadable: reported; only polling the mailbox needs it.
        secrets
            .read(t.ctx, f, "password_file", SecretKind::ImapPassword)
            .ok()
    } else {
        // Sending works without it; only polling the mailbox needs it.
        t.ctx
            .warning(t.pos, "no IMAP password: the bounce mailbox cannot be read")
            .hint("set BULLETIN_IMAP_PASSWORD or password_file = \"/run/secrets/imap\"");
        None
    };
    Some(ImapMailbox {
        port: port.map_or(if tls { 993 } else { 143 }, |p| p.value as u16),
        host: host.value,
        tls,
        username: username?.value,
        password,
        folder: folder.map_or_else(|| "INBOX".to_string(), |f| f.value),
        processed_folder: processed.map(|p| p.value),
        interval_secs: interval.map_or(300, |v| v.value as u64),
        tls_ca_file: ca.map(|c| root.join(c.value)),
    })
}

fn bounces(
    t: &Table<'_, '_, '_>,
    root: &Path,
    env: &Env,
    secrets: &SecretFiles<'_>,
) -> Option<Bounces> {
    let address = t.req_str("address", "\"bounces@example.org\"");
    let limit = t.opt_int_in("soft_limit", 1..=100);
    let window = t.opt_int_in("soft_window_days", 1..=365);
    let breaker_percent = t.opt_int_in("breaker_percent", 1..=100);
    let breaker_minimum = t.opt_int_in("breaker_minimum", 0..=1_000_000);
    let breaker_window = t.opt_int_in("breaker_window_minutes", 1..=10_080);
    let imap = match t.opt_table("imap") {
        None => Some(None),
        Some(i) => imap(&i, root, env, secrets).map(Some),
    };
    t.finish();
    let address = address?;
    let parsed = match EmailAddress::parse(&address.value) {
        Ok(a) => a,
        Err(e) => {
            t.ctx
                .error(address.pos, format!("`address`: invalid address: {e}"))
                .hint("the mailbox bounces are delivered to, e.g. \"bounces@example.org\"");
            return None;
        }
    };
    if parsed
        .as_str()
        .split('@')
        .next()
        .is_some_and(|l| l.contains('+'))
    {
        t.ctx
            .error(address.pos, "`address` must not contain `+`: each message is sent from `<local>+<token>@<domain>`")
            .hint("use the plain mailbox, e.g. \"bounces@example.org\", and let the mail server deliver `bounces+…` to it");
        return None;
    }
    Some(Bounces {
        address: parsed,
        soft_limit: limit.map_or(3, |v| v.value as u32),
        soft_window_days: window.map_or(30, |v| v.value as u32),
        breaker: {
            let d = crate::bounce_limits::Breaker::default();
            crate::bounce_limits::Breaker {
                share_percent: breaker_percent.map_or(d.share_percent, |v| v.value as u32),
                minimum: breaker_minimum.map_or(d.minimum, |v| v.value as u32),
                window_secs: breaker_window.map_or(d.window_secs, |v| v.value * 60),
            }
        },
        imap: imap?,
    })
}

fn unsubscribe(
    t: Option<&Table<'_, '_, '_>>,
    env: &Env,
    secrets: &SecretFiles<'_>,
    ctx: &FileCtx<'_>,
) -> Option<Unsubscribe> {
    let file = t.and_then(|t| t.opt_str("secret_file"));
    let key_id = t.and_then(|t| t.opt_str("key_id"));
    let mut retired = Vec::new();
    let mut unavailable = None;
    for r in t.map(|t| t.array_of_tables("retired")).unwrap_or_default() {
        let id = r.req_str("key_id", "\"k1\"");
        let f = r.req_str("secret_file", "\"/run/secrets/unsubscribe-k1\"");
        r.finish();
        if let (Some(id), Some(f)) = (id, f) {
            match secrets.read(ctx, &f, "secret_file", SecretKind::RetiredUnsubscribe) {
                Ok(s) => retired.push((id.value, s)),
                Err(u) => unavailable = Some(u.error),
            }
        }
    }
    if let Some(t) = t {
        t.finish();
    }
    let secret = if let Some(s) = env.get("BULLETIN_UNSUBSCRIBE_SECRET") {
        Some(Secret::new(s))
    } else if let Some(f) = &file {
        match secrets.read(ctx, f, "secret_file", SecretKind::Unsubscribe) {
            Ok(s) => Some(s),
            Err(u) => {
                unavailable = Some(u.error);
                None
            }
        }
    } else {
        None
    };
    if let Some(s) = &secret
        && s.expose().len() < 32
    {
        let msg = "the unsubscribe secret is shorter than 32 bytes";
        let b = if env.get("BULLETIN_UNSUBSCRIBE_SECRET").is_some() {
            ctx.env_error("BULLETIN_UNSUBSCRIBE_SECRET", msg)
        } else {
            ctx.error(
                file.as_ref()
                    .map_or(crate::diag::Position::START, |f| f.pos),
                msg,
            )
        };
        b.hint(super::secret_hint::short_secret_hint(secrets.ledger()));
    }
    let key_id = match key_id {
        None => "k1".to_string(),
        Some(k) => {
            if k.value.is_empty()
                || !k
                    .value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                ctx.error(k.pos, "`key_id` must be letters, digits and `-`");
                return None;
            }
            k.value
        }
    };
    Some(Unsubscribe {
        secret,
        key_id,
        retired,
        unavailable,
    })
}

fn bulletin(
    t: &Table<'_, '_, '_>,
    seen: &[BulletinRefs],
    tz: Tz,
) -> Option<(Option<Bulletin>, BulletinRefs)> {
    let ctx = t.ctx;
    let (id_raw, id) = bulletin_id(t, seen);
    let name = t.opt_str("name");
    let subject = t.req_str("subject", "\"SSCP news: {month} {year}\"");
    if let Some(s) = &subject {
        check_subject(ctx, s);
    }
    let schedule = t
        .req_str("schedule", "\"0 9 1 * *\"")
        .and_then(|s| schedule(ctx, &s, tz));
    let (lists, sections) = lists_and_sections(t, &id_raw.value);
    let lookahead = t.opt_int_in("campaign_lookahead_days", 0..=366);
    let catch_up = t.opt_int_in("catch_up_hours", 0..=24 * 31);
    let editors = t.opt_str("editors");
    let proof_days = t.opt_int_in("proof_days_before", 0..=60);
    let approval = t.opt_bool("require_approval");
    let non_working = non_working_day(t);
    if proof_days.is_some() && editors.is_none() {
        ctx.error(
            proof_days.as_ref().map_or(t.pos, |p| p.pos),
            "`proof_days_before` needs an `editors` list to send proofs to",
        )
        .hint("add editors = \"editors\" (a list in config/lists/)");
    }
    if approval.as_ref().is_some_and(|a| a.value) && editors.is_none() {
        ctx.warning(
            approval.as_ref().map_or(t.pos, |a| a.pos),
            "`require_approval` without `editors`: nobody receives a proof to approve",
        )
        .hint("add editors = \"editors\" and proof_days_before = 2");
    }
    let (section_ids, list_ids) = section_and_list_ids(ctx, &sections, lists.iter().flatten());
    let editors_id = editors.as_ref().and_then(|e| list_id(ctx, e));
    let refs = BulletinRefs {
        id: id_raw.clone(),
        lists: lists.clone().unwrap_or_default(),
        editors: editors.clone(),
        sections: sections.clone(),
    };
    let built = (|| {
        Some(Bulletin {
            name: name.map_or_else(|| id_raw.value.clone(), |n| n.value),
            id: id?,
            subject: subject?.value,
            schedule: schedule?,
            lists: list_ids,
            sections: section_ids,
            campaign_lookahead_days: lookahead.map_or(45, |v| v.value as u32),
            catch_up_hours: catch_up.map_or(24, |v| v.value as u32),
            editors: editors_id,
            proof_days_before: proof_days.map(|v| v.value as u32),
            require_approval: approval.is_some_and(|a| a.value),
            on_non_working_day: non_working?,
            working_days: Arc::clone(WorkingDays::england_and_wales_shared()),
            pos: t.pos,
        })
    })();
    Some((built, refs))
}

/// The lists and sections a bulletin names, as written; both keys are required.
fn lists_and_sections(
    t: &Table<'_, '_, '_>,
    id: &str,
) -> (Option<Vec<At<String>>>, Vec<At<String>>) {
    let ctx = t.ctx;
    let lists = t.str_array("lists");
    if !t.has("lists") {
        ctx.error(
            t.pos,
            format!("missing required key `lists` in bulletin `{}`", id),
        )
        .hint("add lists = [\"all-partners\"]");
    } else if lists.as_ref().is_some_and(Vec::is_empty) {
        ctx.error(
            t.pos_of("lists").unwrap_or(t.pos),
            "`lists` is empty: this bulletin would go to nobody",
        );
    }
    let sections = t.str_array("sections").unwrap_or_default();
    if !t.has("sections") {
        ctx.error(
            t.pos,
            format!("missing required key `sections` in bulletin `{}`", id),
        )
        .hint("add sections = [\"partnership\", \"campaigns\", \"worried-about-a-child\"]");
    }
    (lists, sections)
}

/// A bulletin's id as written (empty when missing) and parsed; one used twice is reported.
fn bulletin_id(t: &Table<'_, '_, '_>, seen: &[BulletinRefs]) -> (At<String>, Option<BulletinId>) {
    let ctx = t.ctx;
    let id_raw = t
        .req_str("id", "\"sscp-news\"")
        .unwrap_or_else(|| At::new(String::new(), t.pos));
    let id = match BulletinId::parse(&id_raw.value) {
        Ok(id) => Some(id),
        Err(_) if id_raw.value.is_empty() => None,
        Err(e) => {
            ctx.error(id_raw.pos, format!("bulletin id `{}`: {e}", id_raw.value));
            None
        }
    };
    if let Some(first) = seen
        .iter()
        .find(|b| !id_raw.value.is_empty() && b.id.value == id_raw.value)
    {
        ctx.error(
            id_raw.pos,
            format!(
                "bulletin id `{}` is used twice (first at line {})",
                id_raw.value, first.id.pos.line
            ),
        )
        .hint("each [[bulletin]] needs its own id");
    }
    (id_raw, id)
}

/// The sections and lists a bulletin names, each parsed; a section named twice is reported.
fn section_and_list_ids<'a>(
    ctx: &FileCtx<'_>,
    sections: &[At<String>],
    lists: impl Iterator<Item = &'a At<String>>,
) -> (Vec<SectionId>, Vec<ListId>) {
    let mut section_ids = Vec::new();
    for s in sections {
        match SectionId::parse(&s.value) {
            Ok(id) => {
                if section_ids.contains(&id) {
                    ctx.error(s.pos, format!("section `{id}` is listed twice"));
                }
                section_ids.push(id)
            }
            Err(e) => {
                ctx.error(s.pos, format!("section `{}`: {e}", s.value));
            }
        }
    }
    let list_ids = lists.filter_map(|l| list_id(ctx, l)).collect();
    (section_ids, list_ids)
}

/// A list id a bulletin names (in `lists` or `editors`), reported when it is not one.
fn list_id(ctx: &FileCtx<'_>, e: &At<String>) -> Option<ListId> {
    match ListId::parse(&e.value) {
        Ok(id) => Some(id),
        Err(err) => {
            ctx.error(e.pos, format!("list `{}`: {err}", e.value));
            None
        }
    }
}

/// A subject's placeholders are known, and it fits an inbox once filled in.
fn check_subject(ctx: &FileCtx<'_>, s: &At<String>) {
    if s.value.chars().any(char::is_control) {
        ctx.error(
            s.pos,
            "`subject` must be one line with no control characters",
        );
    }
    let mut rest = s.value.as_str();
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map(|c| open + c + 1);
        let ph = close.map_or(&rest[open..], |c| &rest[open..c]);
        if !SUBJECT_PLACEHOLDERS.contains(&ph) {
            ctx.error(s.pos, format!("unknown placeholder `{ph}` in `subject`"))
                .hint("the placeholders are {month}, {year} and {date}");
        }
        rest = close.map_or("", |c| &rest[c..]);
    }
    // The longest the placeholders can make it: September, a four-digit year, the 30th.
    let longest = s
        .value
        .replace("{month}", "September")
        .replace("{year}", "2026")
        .replace("{date}", "30 September 2026");
    let len = longest.chars().count();
    if len > SUBJECT_WARN_CHARS {
        ctx.warning(
            s.pos,
            format!(
                "`subject` can be {len} characters long once filled in; mail clients cut subjects after about {SUBJECT_WARN_CHARS}"
            ),
        )
        .hint("put the essentials first and keep it short, e.g. \"SSCP news: {month} {year}\"");
    }
}

/// A bulletin's cron schedule: at most once a day; a warning where it says something other
/// than people usually mean (either-day matching, too often, out of hours).
fn schedule(ctx: &FileCtx<'_>, s: &At<String>, tz: Tz) -> Option<CronSchedule> {
    match CronSchedule::parse(&s.value) {
        Ok(c) if c.fires_more_than_once_a_day() => {
            ctx.error(
                s.pos,
                "`schedule` fires more than once a day; a bulletin has at most one issue per day",
            )
            .hint("e.g. \"0 9 * * 1\" for 09:00 every Monday");
            None
        }
        Ok(c) => {
            if let Some(meant) = crate::cron::english::either_day(c.as_str()) {
                let b = ctx.warning(
                s.pos,
                format!(
                    "`{}` means {}: when both a day of the month and a weekday are given, cron fires on days that match either",
                    c.as_str(),
                    crate::cron::english::describe(c.as_str(), tz)
                ),
            );
                match meant {
                Some(m) => b.hint(format!(
                    "for {}, write schedule = \"{m}\"",
                    crate::cron::english::phrase(&m).unwrap_or_else(|| m.clone())
                )),
                None => b.hint("for the nth weekday of the month use `#` in the weekday field, e.g. \"0 9 * * MON#1\" for the first Monday"),
            };
            }
            for slip in crate::cron::slips(&c) {
                let said = crate::cron::english::describe(c.as_str(), tz);
                match slip {
                crate::cron::Slip::MoreThanWeekly { days } => ctx
                    .warning(
                        s.pos,
                        format!("`{}` means {said}: the bulletin would go out {days} times within 7 days", c.as_str()),
                    )
                    .hint("a monthly bulletin is e.g. \"0 9 1 * *\" (09:00 on the 1st); a weekly one \"0 9 * * MON\""),
                crate::cron::Slip::OutOfHours { hour, minute } => ctx
                    .warning(
                        s.pos,
                        format!("`{}` means {said}: {hour:02}:{minute:02} is outside 06:00–20:00, when partners read mail", c.as_str()),
                    )
                    .hint("cron fields are minute first, then hour: 09:00 is \"0 9 …\""),
            };
            }
            Some(c)
        }
        Err(e) => {
            ctx.error(s.pos, e.to_string()).hint(e.hint());
            None
        }
    }
}

/// `on_non_working_day = "next" | "previous" | "send"` in a table (a bulletin, an announcement);
/// `Some(default)` when absent, `None` after reporting a value that is none of them.
pub(crate) fn non_working_day(
    t: &super::doc::Table<'_, '_, '_>,
) -> Option<crate::cron::NonWorkingDay> {
    use crate::cron::NonWorkingDay;
    let Some(v) = t.opt_str("on_non_working_day") else {
        return if t.has("on_non_working_day") {
            None
        } else {
            Some(NonWorkingDay::default())
        };
    };
    match NonWorkingDay::parse(&v.value) {
        Some(p) => Some(p),
        None => {
            let hint = match crate::diag::did_you_mean(&v.value, NonWorkingDay::NAMES) {
                Some(s) => format!("did you mean `{s}`?"),
                None => {
                    "use \"next\" (the next working day), \"previous\" or \"send\" (on the day)"
                        .to_string()
                }
            };
            t.ctx
                .error(
                    v.pos,
                    format!(
                        "`on_non_working_day` must be \"next\", \"previous\" or \"send\", found \"{}\"",
                        v.value
                    ),
                )
                .hint(hint);
            None
        }
    }
}
