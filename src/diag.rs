//! Diagnostics: every problem found in the project's files, as `path:line:col: severity: message`
//! with an optional hint, collected (never thrown) so one run reports them all.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a problem is: errors stop `check` (and every send); warnings never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A 1-based line and column (columns count characters, not bytes, so editors agree).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub col: usize,
}

impl Position {
    pub const START: Position = Position { line: 1, col: 1 };
    /// No place in a file: the problem is in an environment variable, named as the path.
    pub const NONE: Position = Position { line: 0, col: 0 };

    /// The position of byte `offset` in `text`.
    pub fn at(text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        Position { line, col }
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub pos: Position,
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(path: impl Into<PathBuf>, pos: Position, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.into(),
            pos,
            severity: Severity::Error,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(path: impl Into<PathBuf>, pos: Position, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, pos, message)
        }
    }

    /// A problem in the value of an environment variable (which has no lines): printed as
    /// `VARIABLE: error: message`.
    pub fn env(variable: &str, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            ..Diagnostic::error(variable, Position::NONE, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pos == Position::NONE {
            write!(
                f,
                "{}: {}: {}",
                self.path.display(),
                self.severity,
                self.message
            )?;
        } else {
            write!(
                f,
                "{}:{}:{}: {}: {}",
                self.path.display(),
                self.pos.line,
                self.pos.col,
                self.severity,
                self.message
            )?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every diagnostic of one load, in the order `check` prints them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Sorted by path, then position, errors before warnings at one place; exact repeats dropped.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| {
            (&a.path, a.pos, a.severity, &a.message).cmp(&(&b.path, b.pos, b.severity, &b.message))
        });
        self.0.dedup();
        self
    }

    /// Paths shown relative to `root` (how people and editors read them).
    pub fn relative_to(mut self, root: &Path) -> Self {
        for d in &mut self.0 {
            if let Ok(rel) = d.path.strip_prefix(root) {
                d.path = rel.to_path_buf();
            }
        }
        self.sorted()
    }

    /// Paths shown the way the settings file was named on the command line: with
    /// `--config ../site/config/bulletin.toml`, a news item is `../site/news/item.md`; an
    /// absolute `--config` gives absolute paths. `config_given` is the path as typed.
    pub fn as_given(mut self, config_given: &Path) -> Self {
        for d in &mut self.0 {
            d.path = path_as_given(&d.path, config_given);
        }
        self.sorted()
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// `path` shown the way the settings file was named on the command line (see
/// [`Diagnostics::as_given`]); unchanged when it is outside the project.
pub fn path_as_given(path: &Path, config_given: &Path) -> PathBuf {
    let Ok(config_abs) = std::path::absolute(config_given) else {
        return path.to_path_buf();
    };
    let root_abs = config_abs.parent().and_then(Path::parent);
    let dir = config_given.parent().unwrap_or(Path::new(""));
    let root_given = match dir.file_name() {
        Some(_) => dir.parent().unwrap_or(Path::new("")).to_path_buf(),
        None => dir.join(".."),
    };
    match root_abs.and_then(|r| path.strip_prefix(r).ok()) {
        Some(rel) => root_given.join(rel),
        None => path.to_path_buf(),
    }
}

/// The known word closest to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_lc = word.to_lowercase();
    known
        .into_iter()
        .map(|k| (levenshtein(&word_lc, &k.to_lowercase()), k))
        .filter(|(dist, k)| *dist <= (k.chars().count().max(3) / 3).max(1) || k.starts_with(word))
        .min_by_key(|(dist, _)| *dist)
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let text = "a = 1\nné = \"x\"\n";
        assert_eq!(Position::at(text, 0), Position { line: 1, col: 1 });
        let off = text.find('=').unwrap();
        assert_eq!(Position::at(text, off), Position { line: 1, col: 3 });
        let off = text.rfind('=').unwrap();
        assert_eq!(Position::at(text, off), Position { line: 2, col: 4 });
    }

    #[test]
    fn suggests_near_misses_only() {
        let keys = ["organisation", "database", "transport", "web", "bulletin"];
        assert_eq!(did_you_mean("organization", keys), Some("organisation"));
        assert_eq!(did_you_mean("bulletins", keys), Some("bulletin"));
        assert_eq!(did_you_mean("zzzzzz", keys), None);
    }
}
