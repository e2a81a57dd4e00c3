//! Composing an issue: the one path from the project to a rendered message, used by `send`,
//! proofs, announcements, the daemon, `check` and `preview` alike, so what is previewed is
//! what is sent. The stylesheet comes with the loaded project; unsubscribe links are signed
//! by [`signer`].

mod signer;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::{Bulletin, Project};
use crate::issue::{self, Issue};
use crate::render::{Context, Rendered};

pub use signer::{SignerError, preview_signer, signer};

/// Why an issue could not be composed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("unknown bulletin `{0}`{1}")]
    UnknownBulletin(String, String),
    #[error("bulletin `{0}` has no fire after {1}")]
    NoNextFire(String, DateTime<Utc>),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
}

/// The rendering context of the project: its organisation, public address and stylesheet.
pub fn context(project: &Project) -> Context<'_> {
    Context {
        organisation: &project.settings.organisation,
        public_url: &project.settings.web.public_url,
        css: &project.css,
        unsubscribe_mailbox: project.settings.bounces.as_ref().map(|b| &b.address),
    }
}

/// The date of the next issue of `bulletin` after `now`.
pub fn next_issue_date(
    project: &Project,
    bulletin: &crate::ids::BulletinId,
    now: DateTime<Utc>,
) -> Result<NaiveDate, ComposeError> {
    let b = find(project, bulletin.as_str())?;
    let tz = project.settings.organisation.time_zone;
    crate::schedule::issue_fires_after(b, tz, now)
        .next()
        .map(|p| p.date())
        .ok_or_else(|| ComposeError::NoNextFire(bulletin.to_string(), now))
}

/// The bulletin called `id`, or an error naming the nearest one.
pub fn find<'p>(project: &'p Project, id: &str) -> Result<&'p Bulletin, ComposeError> {
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
        ComposeError::UnknownBulletin(id.to_string(), hint)
    })
}

/// Assemble and render the issue of `bulletin` for `date`.
pub fn compose(
    project: &Project,
    bulletin: &crate::ids::BulletinId,
    date: NaiveDate,
) -> Result<(Issue, Rendered), ComposeError> {
    let b = find(project, bulletin.as_str())?;
    let issue = issue::assemble(project, b, date);
    let rendered = render(project, &issue)?;
    Ok((issue, rendered))
}

/// Render an assembled issue (an announcement, a retitled copy) with the project's context.
pub fn render(project: &Project, issue: &Issue) -> Result<Rendered, ComposeError> {
    Ok(Rendered::new(issue, &context(project))?)
}

/// A warning for each bulletin whose next issue's HTML is over Gmail's clipping size.
pub fn size_warnings(project: &Project, now: DateTime<Utc>) -> crate::diag::Diagnostics {
    let mut out = crate::diag::Diagnostics::new();
    for b in &project.settings.bulletins {
        let Ok(date) = next_issue_date(project, &b.id, now) else {
            continue;
        };
        match compose(project, &b.id, date) {
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
