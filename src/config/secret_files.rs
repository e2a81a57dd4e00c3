//! Reading the settings' secret files, and saying (through [`super::secret_hint`]) what to do
//! when one cannot be read: the facts the advice needs (who this command runs as, who owns
//! the file or the ledger, whether a ledger exists) are gathered here, at the edge.

use std::path::Path;

use super::doc::{At, FileCtx};
use super::env::Env;
use super::secret_hint::{LedgerState, SecretKind, Situation, advise};
use crate::diag::Severity;
use crate::secret::{Secret, SecretFileError, SecretSource};
use crate::whoami::User;

/// What the loader knows of the ledger when it reads the secrets.
pub(crate) struct SecretFiles<'a> {
    root: &'a Path,
    env: &'a Env,
    ledger: LedgerState,
    /// Its owner, most likely the daemon's user.
    ledger_owner: Option<User>,
}

/// A secret file that could not be read, reported already.
pub(crate) struct Unreadable {
    pub error: SecretFileError,
    pub severity: Severity,
}

impl<'a> SecretFiles<'a> {
    /// `sqlite_ledger`: the SQLite file the settings name; None for PostgreSQL or a broken
    /// database setting, when any ledger may exist.
    pub fn new(root: &'a Path, env: &'a Env, sqlite_ledger: Option<&Path>) -> Self {
        let (ledger, ledger_owner) = match sqlite_ledger {
            // `try_exists` is Ok(false) only when the file (or a folder above it) surely is
            // not there; a folder this user may not search is an error, so Unknown.
            Some(p) => match p.try_exists() {
                Ok(true) => (LedgerState::Exists, crate::whoami::owner_of(p)),
                Ok(false) => (LedgerState::Absent, None),
                Err(_) => (LedgerState::Unknown, None),
            },
            // PostgreSQL cannot be asked without connecting: assume it holds signed issues.
            None => (LedgerState::Unknown, None),
        };
        SecretFiles {
            root,
            env,
            ledger,
            ledger_owner,
        }
    }

    pub fn ledger(&self) -> LedgerState {
        self.ledger
    }

    /// The secret in `file` (relative to the project root): trimmed, except a DKIM key, which
    /// is PEM and read whole. When it cannot be read, the problem is reported under `key`, as
    /// loud as the command at hand needs.
    pub fn read(
        &self,
        ctx: &FileCtx<'_>,
        file: &At<String>,
        key: &str,
        kind: SecretKind,
    ) -> Result<Secret, Unreadable> {
        let source = SecretSource::File(self.root.join(&file.value));
        let read = match kind {
            SecretKind::DkimKey => source.read_whole().map(Secret::new),
            _ => source.read(),
        };
        read.map_err(|e| self.report(ctx, file, key, kind, e))
    }

    fn report(
        &self,
        ctx: &FileCtx<'_>,
        file: &At<String>,
        key: &str,
        kind: SecretKind,
        error: SecretFileError,
    ) -> Unreadable {
        let who = crate::whoami::current();
        let daemon = crate::whoami::owner_of(&error.path).or_else(|| self.ledger_owner.clone());
        let advice = advise(&Situation {
            kind,
            error: &error,
            need: self.env.secret_need(),
            who: &who,
            daemon: daemon.as_ref(),
            ledger: self.ledger,
        });
        let message = match self.env.secret_need() {
            super::env::SecretNeed::Reading => {
                format!("`{key}`: {error} (this command does not need it)")
            }
            _ => format!("`{key}`: {error}"),
        };
        let b = match advice.severity {
            Severity::Error => ctx.error(file.pos, message),
            Severity::Warning => ctx.warning(file.pos, message),
        };
        if let Some(h) = advice.hint {
            b.hint(h);
        }
        Unreadable {
            error,
            severity: advice.severity,
        }
    }
}
