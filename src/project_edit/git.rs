//! The project's history when it is a git work tree: one commit per change, authored by the
//! person who made it, and the recent commits of a file for the desk to show.

use std::path::Path;
use std::process::Command;

use super::{Author, EditError, ProjectPath};

/// A commit that touched a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub id: String,
    pub author: String,
    pub email: String,
    /// Seconds since the epoch, as git records them.
    pub when: crate::timestamp::Timestamp,
    pub subject: String,
}

/// Whether `root` is inside a git work tree (and git is installed).
fn is_work_tree(root: &Path) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"true"))
}

fn git(root: &Path, args: &[&str]) -> Result<String, EditError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| EditError::Git(format!("could not run git: {e}")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(EditError::Git(format!(
            "git {} failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Commit exactly `paths` (added, changed or removed) as `author`; `None` when the project is
/// not a work tree. Other changes in the work tree are left out of the commit.
pub(super) fn commit(
    root: &Path,
    paths: &[&ProjectPath],
    author: &Author,
    message: &str,
) -> Result<Option<String>, EditError> {
    if !is_work_tree(root) {
        return Ok(None);
    }
    let files: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    let mut add = vec!["add", "--all", "--"];
    add.extend(files.iter().map(String::as_str));
    git(root, &add)?;
    let who = format!("{} <{}>", author.name, author.email.as_str());
    let name = format!("user.name={}", author.name);
    let email = format!("user.email={}", author.email.as_str());
    let mut commit = vec![
        "-c",
        &name,
        "-c",
        &email,
        "commit",
        "--quiet",
        "--no-verify",
        "--author",
        &who,
        "-m",
        message,
        "--",
    ];
    commit.extend(files.iter().map(String::as_str));
    git(root, &commit)?;
    Ok(Some(git(root, &["rev-parse", "HEAD"])?.trim().to_string()))
}

/// The last `n` commits that touched `path`, newest first; none outside a work tree.
pub fn history(root: &Path, path: &ProjectPath, n: usize) -> Result<Vec<Commit>, EditError> {
    if !is_work_tree(root) {
        return Ok(Vec::new());
    }
    let count = format!("-n{n}");
    let file = path.to_string();
    let out = git(
        root,
        &[
            "log",
            &count,
            "--format=%H%x1f%an%x1f%ae%x1f%at%x1f%s",
            "--",
            &file,
        ],
    )?;
    Ok(out.lines().filter_map(parse_line).collect())
}

fn parse_line(line: &str) -> Option<Commit> {
    let mut f = line.split('\u{1f}');
    let (id, author, email, at, subject) = (f.next()?, f.next()?, f.next()?, f.next()?, f.next()?);
    Some(Commit {
        id: id.to_string(),
        author: author.to_string(),
        email: email.to_string(),
        when: crate::timestamp::Timestamp::from_secs(at.parse().ok()?),
        subject: subject.to_string(),
    })
}
