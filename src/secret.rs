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
    pub fn read(&self) -> Result<Secret, String> {
        match self {
            SecretSource::File(p) => match std::fs::read_to_string(p) {
                Ok(s) if s.trim().is_empty() => Err(format!("{} is empty", p.display())),
                Ok(s) => Ok(Secret::new(s.trim().to_string())),
                Err(e) => Err(format!("cannot read {}: {e}", p.display())),
            },
        }
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
