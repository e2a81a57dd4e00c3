//! `bulletin preview`: write the coming issue (or one for any date) to a file a person can
//! open, as a sample reader would receive it (written 0600, with a dummy unsubscribe link).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;

use crate::compose::{self, ComposeError};
use crate::config::Project;
use crate::issue::Issue;
use crate::render::Recipient;

/// Why a preview could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error(transparent)]
    Compose(#[from] ComposeError),
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, std::io::Error),
    #[error("--out must end in .html, .txt or .eml: {0}")]
    OutKind(PathBuf),
}

/// Who a preview is made out to: nobody real.
pub const SAMPLE_EMAIL: &str = "reader@example.org";
/// The name on a preview's `To:`.
pub const SAMPLE_NAME: &str = "Sample Reader";

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
/// under `preview/` in the project root when `out` is `None`. `now` is the message's Date (as
/// if created now: a message never carries a future Date).
pub fn write(
    project: &Project,
    b: &crate::config::Bulletin,
    date: NaiveDate,
    out: Option<&Path>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Written, PreviewError> {
    let bulletin = &b.id;
    let (issue, mut rendered) = compose::compose(project, bulletin, date)?;
    rendered.set_date(&project.local(now));
    // A preview file is left on disk and passed around: it is made out to a sample reader,
    // with a proof's dummy unsubscribe link, so it names no subscriber and carries no working
    // unsubscribe token.
    let rendered = rendered.into_sample();
    let email = &crate::address::EmailAddress::parse(SAMPLE_EMAIL).expect("valid");
    let sample_name = crate::address::DisplayName::parse(SAMPLE_NAME).expect("valid");
    let name = Some(&sample_name);
    let signer = compose::preview_signer(project);
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
        crate::private::create_dir_all(dir).map_err(|e| PreviewError::Write(path.clone(), e))?;
    }
    crate::private::write_atomically(&path, &bytes)
        .map_err(|e| PreviewError::Write(path.clone(), e))?;
    Ok(Written {
        path,
        bytes: bytes.len(),
        html_bytes: rendered.html_size(),
        issue,
        sample: email.to_string(),
    })
}

/// `bulletin preview`: write the file and say what is in it.
pub(super) fn run(
    project: &Project,
    b: &crate::config::Bulletin,
    date: Option<NaiveDate>,
    out: Option<&std::path::Path>,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let now = clock.now_utc();
    let date = match date {
        Some(d) => d,
        None => crate::compose::next_issue_date(project, &b.id, now)?,
    };
    let w = write(project, b, date, out, now)?;
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| w.path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| w.path.clone());
    println!(
        "wrote {} ({:.1} KB; HTML part {:.1} KB) for {} on {}, as a reader would receive it (made out to a sample reader, {}; its unsubscribe link does nothing)",
        shown.display(),
        w.bytes as f64 / 1024.0,
        w.html_bytes as f64 / 1024.0,
        b.id,
        w.issue.date,
        w.sample
    );
    println!("subject: {}", w.issue.subject);
    if w.issue.sections.is_empty() {
        println!("sections: none (no news, campaigns or standing blocks for this date)");
    } else {
        println!("sections: {}", w.issue.summary());
    }
    for line in readability_panel(project, &w.issue) {
        println!("{line}");
    }
    if w.html_bytes > crate::render::HTML_SIZE_LIMIT {
        eprintln!(
            "warning: the HTML part is {:.1} KB; Gmail clips messages above about 102 KB",
            w.html_bytes as f64 / 1024.0
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The readability panel: one line per news item the issue carries (its figures and how many
/// things `check --readability` would ask the editor to make plainer), so the writer sees them
/// beside the preview.
fn readability_panel(project: &Project, issue: &crate::issue::Issue) -> Vec<String> {
    use crate::issue::SectionBody;
    let (glossary, _) = crate::readability::project::glossary(&project.root);
    let entries = issue.sections.iter().flat_map(|s| match &s.body {
        SectionBody::News(items) => items.iter().collect::<Vec<_>>(),
        SectionBody::Campaigns(c) => c.entries().flat_map(|e| e.news.iter()).collect(),
        SectionBody::Block { .. } => Vec::new(),
    });
    entries
        .map(|e| {
            let r = crate::readability::read(&e.markdown, &glossary);
            format!(
                "readability: {}: {} words, {} sentences, reading age {:.1}, {} to make plainer",
                e.title,
                r.figures.words,
                r.figures.sentences,
                r.figures.reading_age(),
                r.findings.len()
            )
        })
        .collect()
}
