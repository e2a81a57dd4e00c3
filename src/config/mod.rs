//! Reading and validating every file of a project: settings, lists, campaigns, news and
//! templates. `load` never stops at the first problem: it returns every diagnostic, and the
//! validated [`Project`] only when there are no errors.

pub mod agencies;
pub mod campaigns;
pub mod content;
pub mod desk;
pub mod doc;
pub mod env;
pub mod files;
pub mod lists;
mod member;
pub(crate) mod members_csv;
pub mod news;
mod secret_files;
pub mod secret_hint;
pub mod settings;
mod uk_time;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;

pub use campaigns::{Announce, Campaign, MonthDay, Nth, Rule, WhenInfo};
pub use content::{DayTheme, EventDetails, Helpline, Image, Link, YearContent};
pub use env::Env;
pub use lists::{List, Member, ResolvedLists, SignupConfig, SignupFields, SignupMode};
pub use news::{Block, NewsItem};
pub use settings::{Bulletin, DatabaseUrl, Settings, TlsMode, TransportKind};

use crate::diag::{Diagnostic, Diagnostics, Position, did_you_mean};
use doc::FileCtx;

use crate::holidays::{Division, WorkingDays};

/// The built-in section that lists campaigns, events and weeks of action.
pub const CAMPAIGNS_SECTION: &str = "campaigns";

/// A whole project, validated: what every later stage works from.
#[derive(Debug, Clone)]
pub struct Project {
    /// The folder every relative path is resolved against (the config folder's parent).
    pub root: PathBuf,
    pub config_path: PathBuf,
    pub settings: Settings,
    pub lists: ResolvedLists,
    /// Sorted by id.
    pub campaigns: Vec<Campaign>,
    /// Sorted by publish date, then file name.
    pub news: Vec<NewsItem>,
    pub blocks: BTreeMap<String, Block>,
    /// `templates/email.css`, or the built-in stylesheet when there is none: read once with
    /// the rest of the project, so a render never touches the disk and a reload sees edits.
    pub css: String,
    /// The bank holidays of `organisation.bank_holidays` (with weekends, the days fires move
    /// off), from `holidays_file` or, without one, the compiled-in copy. Each bulletin holds
    /// the same table.
    pub working_days: Arc<WorkingDays>,
    /// `holidays/bank-holidays.json` when the project has one; `None` when the compiled-in
    /// bank holidays are used.
    pub holidays_file: Option<PathBuf>,
}

impl Project {
    pub fn bulletin(&self, id: &str) -> Option<&Bulletin> {
        self.settings.bulletins.iter().find(|b| b.id.as_str() == id)
    }

    pub fn campaign(&self, id: &str) -> Option<&Campaign> {
        self.campaigns.iter().find(|c| c.id.as_str() == id)
    }
}

/// The outcome of a load: the project if it is valid, and every diagnostic either way.
#[derive(Debug)]
pub struct Loaded {
    pub project: Option<Project>,
    /// When the only errors are CSV rows left out of strict lists (`invalid_rows`): the
    /// project without those rows. Nothing may send from it, but a command that only reads
    /// (`lists`, `status`, …) can show the rest instead of refusing because of one agency's row.
    pub partial: Option<Project>,
    pub diagnostics: Diagnostics,
}

/// The project root for a config file: the parent of the folder holding it.
pub fn root_of(config_path: &Path) -> PathBuf {
    let abs = std::path::absolute(config_path).unwrap_or_else(|_| config_path.to_path_buf());
    abs.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The files of `dir` ending in `.ext` (dotfiles skipped), sorted; a missing folder has none,
/// an unreadable one is an error.
fn files_with(dir: &Path, ext: &str, diags: &mut Diagnostics) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) => {
            diags.push(
                Diagnostic::error(dir, Position::START, format!("cannot read the folder: {e}"))
                    .with_hint("make it a readable folder for the user bulletin runs as"),
            );
            return out;
        }
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == ext)
            && !p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The project's stylesheet, or the built-in one when there is none. Read like every project
/// file: a regular file within the size cap, so a FIFO or a link to a device cannot stall.
fn stylesheet(root: &Path, diags: &mut Diagnostics) -> Option<String> {
    let path = root.join("templates/email.css");
    match files::read_text(&path, files::TEXT_CAP) {
        Ok(s) => Some(s),
        Err(files::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Some(DEFAULT_CSS.to_string())
        }
        Err(e) => {
            diags.push(e.diagnostic(&path));
            None
        }
    }
}

/// The project's bank holidays for `division` from `holidays/bank-holidays.json`, and that
/// file; the compiled-in copy (and no file) when the project has none. A file that is not
/// GOV.UK's format, or lacks the division, is an error at its line and column.
fn bank_holidays(
    root: &Path,
    division: Division,
    diags: &mut Diagnostics,
) -> (Option<Arc<WorkingDays>>, Option<PathBuf>) {
    let path = root.join("holidays/bank-holidays.json");
    let text = match files::read_text(&path, files::TEXT_CAP) {
        Ok(text) => text,
        Err(files::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return (Some(Arc::new(WorkingDays::compiled(division))), None);
        }
        Err(e) => {
            diags.push(e.diagnostic(&path));
            return (None, Some(path));
        }
    };
    match WorkingDays::from_govuk_json(&text, division) {
        Ok(days) => (Some(Arc::new(days)), Some(path)),
        Err(e) => {
            let (line, col) = e.line_col();
            let hint = match e {
                crate::holidays::HolidayDataError::NoDivision(_) => format!(
                    "add the `{division}` division from GOV.UK's feed (scripts/update-bank-holidays keeps all three), or set organisation.bank_holidays to one the file has"
                ),
                _ => "keep GOV.UK's format: {\"england-and-wales\": {\"division\": …, \"events\": [{\"title\", \"date\": \"YYYY-MM-DD\", …}]}, …}; scripts/update-bank-holidays writes it".into(),
            };
            diags.push(
                Diagnostic::error(&path, Position { line, col }, e.to_string()).with_hint(hint),
            );
            (None, Some(path))
        }
    }
}

/// `config/agencies.toml`, or an empty vocabulary (every agency as written) when there is none.
fn agency_vocabulary(root: &Path, diags: &mut Diagnostics) -> agencies::Agencies {
    let path = root.join("config/agencies.toml");
    match files::read_text(&path, files::TEXT_CAP) {
        Ok(text) => {
            let ctx = FileCtx::new(&path, &text);
            let out = agencies::parse(&ctx);
            diags.extend(ctx.into_diagnostics());
            out
        }
        Err(files::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            agencies::Agencies::default()
        }
        Err(e) => {
            diags.push(e.diagnostic(&path));
            agencies::Agencies::default()
        }
    }
}

fn read(path: &Path, diags: &mut Diagnostics) -> Option<String> {
    files::read_reported(path, files::TEXT_CAP, diags)
}

/// The stylesheet used when a project has no `templates/email.css`.
pub const DEFAULT_CSS: &str = include_str!("../../templates/email.css");

/// What a loader checks of the campaigns beyond the files themselves (the calendar's lint,
/// which needs expansion): passed in so `config` does not depend on the calendar built on it.
pub type CampaignLint = fn(&[Campaign], chrono_tz::Tz) -> Diagnostics;

/// Load and validate the project whose settings are at `config_path`, running `lint` over the
/// campaigns once the time zone is known. `now` (in the organisation's time zone) decides
/// which news windows have passed. Callers use [`crate::load::load`], which passes the
/// calendar's lint.
pub fn load_with(
    config_path: &Path,
    env: &Env,
    now: chrono::DateTime<chrono::Utc>,
    lint: CampaignLint,
) -> Loaded {
    let abs = std::path::absolute(config_path).unwrap_or_else(|_| config_path.to_path_buf());
    let config_path = abs.as_path();
    let root = root_of(config_path);
    let mut diags = Diagnostics::new();

    let Some((settings, refs)) = load_settings(config_path, &root, env, &mut diags) else {
        return Loaded {
            project: None,
            partial: None,
            diagnostics: diags,
        };
    };
    let (lists, row_errors) = load_lists(&root, &mut diags);

    let (campaigns, campaign_refs) = load_campaigns(&root, &mut diags);
    if let Some(tz) = refs.time_zone {
        diags.extend(lint(&campaigns, tz));
    }

    let blocks = load_blocks(&root, &mut diags);
    let news = load_news(&root, &mut diags);

    let css = stylesheet(&root, &mut diags);
    let (working_days, holidays_file) = bank_holidays(&root, refs.bank_holidays, &mut diags);

    let tz = refs.time_zone.unwrap_or(chrono_tz::Europe::London);
    let today = now.with_timezone(&tz).date_naive();
    CrossCheck {
        config_path,
        refs: &refs,
        lists: &lists,
        campaigns: &campaign_refs,
        news: &news,
        blocks: &blocks,
        today,
    }
    .run(&mut diags);

    let blocked = diags.has_errors();
    let rows_only = !row_errors.is_empty();
    diags.extend(row_errors);
    let diagnostics = diags.sorted();
    let project = match (settings, css, working_days) {
        (Some(mut settings), Some(css), Some(working_days)) if !blocked => {
            for b in &mut settings.bulletins {
                b.working_days = Arc::clone(&working_days);
            }
            Some(Project {
                root,
                config_path: config_path.to_path_buf(),
                settings,
                lists,
                campaigns,
                news,
                blocks,
                css,
                working_days,
                holidays_file,
            })
        }
        _ => None,
    };
    let (project, partial) = if rows_only {
        (None, project)
    } else {
        (project, None)
    };
    Loaded {
        project,
        partial,
        diagnostics,
    }
}

/// The settings and the references other files are checked against; `None` when the file
/// cannot be read (a missing one is the only problem then reported).
fn load_settings(
    config_path: &Path,
    root: &Path,
    env: &Env,
    diags: &mut Diagnostics,
) -> Option<(Option<Settings>, settings::SettingsRefs)> {
    let Some(text) = read(config_path, diags) else {
        if !config_path.exists() {
            *diags = Diagnostics::new();
            diags.push(
                Diagnostic::error(config_path, Position::START, "no such file").with_hint(
                    "run from the project root, or pass --config PATH (or set BULLETIN_CONFIG)",
                ),
            );
        }
        return None;
    };
    let ctx = FileCtx::new(config_path, &text);
    let out = settings::parse(&ctx, root, env);
    diags.extend(ctx.into_diagnostics());
    Some(out)
}

/// Every list file (and its CSV), with includes resolved; the rows strict lists leave out
/// come back apart, as errors.
fn load_lists(root: &Path, diags: &mut Diagnostics) -> (ResolvedLists, Diagnostics) {
    let lists_dir = root.join("config/lists");
    let mut parsed_lists = Vec::new();
    for path in files_with(&lists_dir, "toml", diags) {
        let Some(text) = read(&path, diags) else {
            continue;
        };
        let ctx = FileCtx::new(&path, &text);
        let (list, csv_diags) = lists::parse(&ctx, &lists_dir, root);
        diags.extend(ctx.into_diagnostics());
        diags.extend(csv_diags);
        parsed_lists.extend(list);
    }
    // Rows left out of strict lists are errors, kept apart until the end: when they are the
    // only ones, the rest of the project is still good to read.
    let mut row_errors = Diagnostics::new();
    for l in &parsed_lists {
        for d in &l.left_out {
            match l.invalid_rows {
                lists::InvalidRows::Strict => row_errors.push(d.clone().with_hint(format!(
                    "fix or delete this row, or add invalid_rows = \"skip\" to {} to leave bad rows out with a warning",
                    l.path.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned())
                ))),
                lists::InvalidRows::Skip => diags.push(lists::left_out_warning(d, &l.id)),
            }
        }
    }
    let agencies = agency_vocabulary(root, diags);
    for l in &mut parsed_lists {
        for m in &mut l.members {
            if let Some(a) = &mut m.agency {
                *a = agencies.canonical(a);
            }
        }
    }
    let mut lists = lists::resolve(parsed_lists, diags);
    lists.agency_names = agencies.names();
    (lists, row_errors)
}

/// Every campaign file, sorted by id, and each file's references.
fn load_campaigns(
    root: &Path,
    diags: &mut Diagnostics,
) -> (Vec<Campaign>, Vec<campaigns::CampaignRefs>) {
    let mut campaigns = Vec::new();
    let mut campaign_refs = Vec::new();
    for path in files_with(&root.join("campaigns"), "toml", diags) {
        let Some(text) = read(&path, diags) else {
            continue;
        };
        let ctx = FileCtx::new(&path, &text);
        let (campaign, refs) = campaigns::parse(&ctx);
        diags.extend(crate::prose_dates::campaign_file(&path, &text));
        campaigns.extend(campaign);
        campaign_refs.push(refs);
        diags.extend(ctx.into_diagnostics());
    }
    campaigns.sort_by(|a, b| a.id.cmp(&b.id));
    (campaigns, campaign_refs)
}

/// The standing blocks in templates/blocks, by id.
fn load_blocks(root: &Path, diags: &mut Diagnostics) -> BTreeMap<String, Block> {
    let mut blocks = BTreeMap::new();
    for path in files_with(&root.join("templates/blocks"), "md", diags) {
        let Some(text) = read(&path, diags) else {
            continue;
        };
        let (block, ds) = news::parse_block(&path, &text);
        diags.extend(ds);
        diags.extend(crate::prose_dates::block_file(&path, &text));
        if let Some(b) = block {
            blocks.insert(b.id.clone(), b);
        }
    }
    blocks
}

/// Every news item, sorted by publish date, then path.
fn load_news(root: &Path, diags: &mut Diagnostics) -> Vec<NewsItem> {
    let mut news = Vec::new();
    for path in files::markdown_tree(&root.join("news"), diags) {
        let Some(text) = read(&path, diags) else {
            continue;
        };
        let (item, ds) = news::parse_news(&path, &text);
        diags.extend(ds);
        if let Some(n) = &item {
            diags.extend(crate::prose_dates::news_file(&path, &text, n.publish));
        }
        news.extend(item);
    }
    news.sort_by(|a, b| (a.publish, &a.path).cmp(&(b.publish, &b.path)));
    news
}

/// A name another file refers to: where it is written, and how messages call it.
struct Named<'a> {
    word: &'a str,
    pos: Position,
    /// The message when nothing of that name exists ("unknown list `x` in `announce`").
    what: String,
}

impl<'a> Named<'a> {
    fn at(v: &'a doc::At<String>, what: String) -> Self {
        Named {
            word: &v.value,
            pos: v.pos,
            what,
        }
    }
}

/// An error for a name `known` does not hold, hinting the nearest known name (or `fallback`).
fn unknown(path: &Path, name: Named<'_>, known: &[&str], fallback: &str) -> Diagnostic {
    let d = Diagnostic::error(path, name.pos, name.what);
    match did_you_mean(name.word, known.iter().copied()) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint(fallback.to_string()),
    }
}

/// [`unknown`], when `known` lacks the name.
fn check_known(
    diags: &mut Diagnostics,
    path: &Path,
    name: Named<'_>,
    known: &[&str],
    fallback: &str,
) {
    if !known.contains(&name.word) {
        diags.push(unknown(path, name, known, fallback));
    }
}

/// Everything the references between files are checked against: which lists, sections,
/// bulletins and campaigns exist, and what names them.
struct CrossCheck<'a> {
    config_path: &'a Path,
    refs: &'a settings::SettingsRefs,
    lists: &'a ResolvedLists,
    /// Every campaign file's references, including the files that have errors of their own.
    campaigns: &'a [campaigns::CampaignRefs],
    news: &'a [NewsItem],
    blocks: &'a BTreeMap<String, Block>,
    /// Decides which news windows have ended.
    today: NaiveDate,
}

/// How long after its window ended a news item is still worth a warning.
const RECENTLY_ENDED_DAYS: i64 = 62;

const LIST_HINT: &str = "lists are the files in config/lists/ (their `id`, or the file name)";

impl CrossCheck<'_> {
    /// Every reference between files: unknown names are errors with the nearest known one,
    /// unused lists and ended news windows warnings.
    fn run(&self, diags: &mut Diagnostics) {
        let mut used_lists = self.bulletin_refs(diags);
        used_lists.extend(self.announce_refs(diags));
        used_lists.extend(self.desk_refs(diags));
        self.unused_lists(used_lists, diags);
        self.news_refs(diags);
    }

    fn list_ids(&self) -> Vec<&str> {
        self.lists.lists.keys().map(|l| l.as_str()).collect()
    }

    fn news_sections(&self) -> Vec<&str> {
        self.refs.sections.iter().map(|(s, _)| s.as_str()).collect()
    }

    /// Every section an issue can hold: news sections, `campaigns` and the standing blocks.
    fn all_sections(&self) -> Vec<&str> {
        let mut all = self.news_sections();
        all.push(CAMPAIGNS_SECTION);
        all.extend(self.blocks.keys().map(String::as_str));
        all
    }

    /// The lists and sections each bulletin names; returns the lists named.
    fn bulletin_refs(&self, diags: &mut Diagnostics) -> BTreeSet<String> {
        let (config_path, list_hint) = (self.config_path, LIST_HINT);
        let list_ids = self.list_ids();
        let all_sections = self.all_sections();
        let mut used_lists: BTreeSet<String> = BTreeSet::new();
        for b in &self.refs.bulletins {
            for l in b.lists.iter().chain(b.editors.iter()) {
                used_lists.insert(l.value.clone());
                let name = Named::at(
                    l,
                    format!("unknown list `{}` in bulletin `{}`", l.value, b.id.value),
                );
                check_known(diags, config_path, name, &list_ids, list_hint);
            }
            for s in &b.sections {
                let name = Named::at(
                    s,
                    format!("unknown section `{}` in bulletin `{}`", s.value, b.id.value),
                );
                let hint = format!(
                    "a section is a [[section]] id, `campaigns`, or a standing block templates/blocks/{}.md",
                    s.value
                );
                check_known(diags, config_path, name, &all_sections, &hint);
            }
        }
        used_lists
    }

    /// The lists `[desk]` lets sign in; returns the lists named.
    fn desk_refs(&self, diags: &mut Diagnostics) -> BTreeSet<String> {
        let list_ids = self.list_ids();
        let mut used = BTreeSet::new();
        for l in &self.refs.desk_lists {
            used.insert(l.value.clone());
            let name = Named::at(l, format!("unknown list `{}` in [desk]", l.value));
            check_known(diags, self.config_path, name, &list_ids, LIST_HINT);
        }
        used
    }

    /// The lists each campaign's announcement goes to; returns the lists named.
    fn announce_refs(&self, diags: &mut Diagnostics) -> BTreeSet<String> {
        let list_hint = LIST_HINT;
        let list_ids = self.list_ids();
        let mut used_lists: BTreeSet<String> = BTreeSet::new();
        for c in self.campaigns {
            for l in &c.announce_lists {
                used_lists.insert(l.value.to_string());
                let name = Named {
                    word: l.value.as_str(),
                    pos: l.pos,
                    what: format!("unknown list `{}` in `announce`", l.value),
                };
                check_known(diags, &c.path, name, &list_ids, list_hint);
            }
        }
        used_lists
    }

    /// A warning for each list no bulletin or announcement reaches.
    fn unused_lists(&self, mut used_lists: BTreeSet<String>, diags: &mut Diagnostics) {
        let lists = self.lists;
        // A list is used if a bulletin or announcement names it, or a used list includes it.
        let mut frontier: Vec<String> = used_lists.iter().cloned().collect();
        while let Some(id) = frontier.pop() {
            if let Some(l) = lists.lists.get(id.as_str()) {
                for inc in &l.include {
                    if used_lists.insert(inc.value.to_string()) {
                        frontier.push(inc.value.to_string());
                    }
                }
            }
        }
        for l in lists.lists.values() {
            if !used_lists.contains(l.id.as_str()) {
                diags.push(
                    Diagnostic::warning(
                        &l.path,
                        l.pos,
                        format!("list `{}` is not used by any bulletin", l.id),
                    )
                    .with_hint("name it in a bulletin's `lists`, or include it in a list that is"),
                );
            }
        }
    }

    /// The section, bulletins and campaign each news item names, and whether its window ended.
    fn news_refs(&self, diags: &mut Diagnostics) {
        let (today, campaigns, news) = (self.today, self.campaigns, self.news);
        let news_sections = self.news_sections();
        let all_sections = self.all_sections();
        let bulletin_ids: Vec<&str> = self
            .refs
            .bulletins
            .iter()
            .map(|b| b.id.value.as_str())
            .collect();
        let campaign_ids: Vec<&str> = campaigns
            .iter()
            .filter_map(|c| c.id.as_ref().map(|id| id.as_str()))
            .collect();
        let sections_hint = format!(
            "news sections are the [[section]] ids in bulletin.toml: {}",
            news_sections.join(", ")
        );
        for n in news {
            let section = &n.section;
            if all_sections.contains(&section.value.as_str())
                && !news_sections.contains(&section.value.as_str())
            {
                diags.push(
                    Diagnostic::error(
                        &n.path,
                        section.pos,
                        format!("`{}` is not a news section", section.value),
                    )
                    .with_hint(sections_hint.clone()),
                );
            } else {
                let name = Named::at(section, format!("unknown section `{}`", section.value));
                check_known(diags, &n.path, name, &news_sections, &sections_hint);
            }
            for b in &n.bulletins {
                let name = Named::at(b, format!("unknown bulletin `{}`", b.value));
                let hint = "bulletins are the [[bulletin]] ids in bulletin.toml";
                check_known(diags, &n.path, name, &bulletin_ids, hint);
            }
            if let Some(c) = &n.campaign {
                let name = Named::at(c, format!("unknown campaign `{}`", c.value));
                let hint = "a campaign's id is its file name in campaigns/, without `.toml`";
                check_known(diags, &n.path, name, &campaign_ids, hint);
            }
            // Recently ended only: an item whose window closed long ago is history (the
            // sample keeps past issues' news for their snapshots), not a slip.
            if let Some(u) = &n.until
                && u.value < today
                && today - u.value <= chrono::Duration::days(RECENTLY_ENDED_DAYS)
            {
                diags.push(
                    Diagnostic::warning(
                        &n.path,
                        u.pos,
                        format!(
                            "this item's window ended on {}; no future issue will carry it",
                            u.value
                        ),
                    )
                    .with_hint("move it to an archive, or extend `until`"),
                );
            }
        }
    }
}
