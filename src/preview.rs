//! `bulletin preview`: render the coming issue (or one for any date) to a file a person can open,
//! exactly as a sample recipient would receive it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Project;
use crate::issue::{self, Issue};
use crate::render::{Context, DEFAULT_CSS, Recipient, Rendered};
use crate::secret::Secret;
use crate::token::Signer;

/// Why a preview could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("unknown bulletin `{0}`{1}")]
    UnknownBulletin(String, String),
    #[error("bulletin `{0}` has no fire after {1}")]
    NoNextFire(String, DateTime<Utc>),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, std::io::Error),
    #[error("{path}:1:1: {error}", path = .0.display(), error = .1)]
    Css(PathBuf, crate::config::files::ReadError),
    #[error("--out must end in .html, .txt or .eml: {0}")]
    OutKind(PathBuf),
}

/// The project's stylesheet, or the built-in one. Read like every project file: a regular
/// file within the size cap, so a FIFO or a link to a device cannot stall a send.
pub fn stylesheet(project: &Project) -> Result<String, PreviewError> {
    use crate::config::files::{ReadError, TEXT_CAP, read_text};
    let p = project.root.join("templates/email.css");
    match read_text(&p, TEXT_CAP) {
        Ok(s) => Ok(s),
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(DEFAULT_CSS.to_string())
        }
        Err(e) => Err(PreviewError::Css(p, e)),
    }
}

/// The signer for unsubscribe links: the configured secret, or (when none is configured, which
/// `check` allows only for the outbox) a clearly-labelled preview key.
pub fn signer(project: &Project) -> Signer {
    let u = &project.settings.unsubscribe;
    match &u.secret {
        Some(s) => Signer::new(&u.key_id, s.clone()),
        None => Signer::new("preview", Secret::new("preview-only-key-not-for-real-mail")),
    }
}

/// The date of the next issue of `bulletin` after `now`.
pub fn next_issue_date(
    project: &Project,
    bulletin: &str,
    now: DateTime<Utc>,
) -> Result<NaiveDate, PreviewError> {
    let b = find(project, bulletin)?;
    let tz = project.settings.organisation.time_zone;
    crate::schedule::issue_fires_after(b, tz, now)
        .next()
        .map(|p| p.date())
        .ok_or_else(|| PreviewError::NoNextFire(bulletin.to_string(), now))
}

fn find<'p>(project: &'p Project, id: &str) -> Result<&'p crate::config::Bulletin, PreviewError> {
    project.bulletin(id).ok_or_else(|| {
        let ids: Vec<&str> = project
            .settings
            .bulletins
            .iter()
            .map(|b| b.id.as_str())
            .collect();
        let hint = match crate::diag::did_you_mean(id, ids.iter().copied()) {
            Some(s) => format!(" (did you mean `{s}`?)"),
            None => format!(" (bulletins: {})", ids.join(", ")),
        };
        PreviewError::UnknownBulletin(id.to_string(), hint)
    })
}

/// Assemble and render one issue.
pub fn render(
    project: &Project,
    bulletin: &str,
    date: NaiveDate,
) -> Result<(Issue, Rendered), PreviewError> {
    let b = find(project, bulletin)?;
    let issue = issue::assemble(project, b, date);
    let css = stylesheet(project)?;
    let ctx = Context {
        organisation: &project.settings.organisation,
        public_url: &project.settings.web.public_url,
        css: &css,
    };
    let rendered = Rendered::new(&issue, &ctx)?;
    Ok((issue, rendered))
}

/// What `preview` wrote.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: usize,
    pub html_bytes: usize,
    pub issue: Issue,
    pub sample: String,
}

/// Render and write the issue: `.html`, `.txt` or `.eml` by the extension of `out`, or HTML
/// under `preview/` in the project root when `out` is `None`.
pub fn write(
    project: &Project,
    bulletin: &str,
    date: NaiveDate,
    out: Option<&Path>,
) -> Result<Written, PreviewError> {
    let (issue, mut rendered) = render(project, bulletin, date)?;
    // As if created now: a message never carries a future Date.
    rendered.set_date(&Utc::now().with_timezone(&project.settings.organisation.time_zone));
    let b = find(project, bulletin)?;
    let members = project.lists.union(&b.lists);
    let fallback = crate::address::EmailAddress::parse("reader@example.org").expect("valid");
    let (email, name) = members
        .first()
        .map_or((&fallback, None), |m| (&m.email, m.name.as_ref()));
    let signer = signer(project);
    let path = match out {
        Some(p) => p.to_path_buf(),
        None => project
            .root
            .join("preview")
            .join(format!("{bulletin}-{date}.html")),
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = match ext.as_str() {
        "html" | "htm" => rendered.html_for(&signer, email).into_bytes(),
        "txt" => rendered.text_for(&signer, email).into_bytes(),
        "eml" => {
            let mut v = Vec::new();
            rendered.message(&signer, &Recipient { email, name }, &mut v);
            v
        }
        _ => return Err(PreviewError::OutKind(path)),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| PreviewError::Write(path.clone(), e))?;
    }
    std::fs::write(&path, &bytes).map_err(|e| PreviewError::Write(path.clone(), e))?;
    Ok(Written {
        path,
        bytes: bytes.len(),
        html_bytes: rendered.html_size(),
        issue,
        sample: email.to_string(),
    })
}

/// A warning for each bulletin whose next issue's HTML is over Gmail's clipping size.
pub fn size_warnings(project: &Project, now: DateTime<Utc>) -> crate::diag::Diagnostics {
    let mut out = crate::diag::Diagnostics::new();
    for b in &project.settings.bulletins {
        let Ok(date) = next_issue_date(project, b.id.as_str(), now) else {
            continue;
        };
        match render(project, b.id.as_str(), date) {
            Ok((_, r)) if r.html_size() > crate::render::HTML_SIZE_LIMIT => out.push(
                crate::diag::Diagnostic::warning(
                    &project.config_path,
                    b.pos,
                    format!(
                        "the next issue of `{}` ({date}) has {:.1} KB of HTML; Gmail clips messages above about 102 KB",
                        b.id,
                        r.html_size() as f64 / 1024.0
                    ),
                )
                .with_hint("shorten news items, link to the full text with `url`, or use `until` less"),
            ),
            Ok(_) => {}
            Err(e) => out.push(crate::diag::Diagnostic::error(
                &project.config_path,
                b.pos,
                format!("the next issue of `{}` ({date}) cannot be rendered: {e}", b.id),
            )),
        }
    }
    out
}
