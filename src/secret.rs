//! Secrets (SMTP password, unsubscribe key, database URLs with credentials): read from the
//! environment or a file, never printed. `Debug` and `Display` show only `[redacted]`.

use std::fmt;
use std::path::PathBuf;

/// A secret value. The only way to see it is [`Secret::expose`], which greps well in review.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where a secret comes from.
#[derive(Debug, Clone)]
pub enum SecretSource {
    /// A file holding the secret; surrounding whitespace (a trailing newline) is dropped.
    File(PathBuf),
}

impl SecretSource {
    /// The secret, surrounding whitespace dropped.
    pub fn read(&self) -> Result<Secret, SecretFileError> {
        self.read_whole().map(|s| Secret::new(s.trim().to_string()))
    }

    /// The file as it is (a PEM key keeps its last newline); an empty one is an error.
    pub fn read_whole(&self) -> Result<String, SecretFileError> {
        match self {
            SecretSource::File(p) => {
                let fail = |problem| SecretFileError {
                    path: p.clone(),
                    problem,
                };
                match std::fs::read_to_string(p) {
                    Ok(s) if s.trim().is_empty() => Err(fail(FileProblem::Empty)),
                    Ok(s) => Ok(s),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Err(fail(FileProblem::Missing))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                        Err(fail(FileProblem::NotPermitted))
                    }
                    Err(e) => Err(fail(FileProblem::Other(e.to_string()))),
                }
            }
        }
    }
}

/// A secret file that could not be used, and why: the hint for each differs (see
/// `config::secret_hint`), and none of them may be "make a new one" when an old one signed
/// mail already in inboxes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.path, .problem))]
pub struct SecretFileError {
    pub path: PathBuf,
    pub problem: FileProblem,
}

/// Why a secret file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    /// Not there (for this process: a systemd credential exists only inside its service).
    Missing,
    /// There, but this user may not read it.
    NotPermitted,
    /// Read, but holds nothing.
    Empty,
    /// Any other reading error, as the system put it.
    Other(String),
}

fn describe(path: &std::path::Path, problem: &FileProblem) -> String {
    let p = path.display();
    match problem {
        FileProblem::Missing => format!("cannot read {p}: it does not exist"),
        FileProblem::NotPermitted => format!("cannot read {p}: permission denied"),
        FileProblem::Empty => format!("{p} is empty"),
        FileProblem::Other(e) => format!("cannot read {p}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
