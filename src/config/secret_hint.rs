//! What to say when a secret file cannot be read, and how loud: a pure policy. The one thing
//! it must never do is tell a person to make a new unsubscribe secret while a ledger exists:
//! the secret signs every unsubscribe link and bounce return path already in inboxes, and a
//! new one silently breaks them all. So the hint says how to reach the existing secret (as
//! the daemon's user, or through the file systemd loads a credential from), and offers a new
//! one only when no ledger exists, so nothing has been signed yet.

use std::path::Path;

use super::env::SecretNeed;
use crate::diag::Severity;
use crate::secret::{FileProblem, SecretFileError};
use crate::whoami::User;

/// Which secret a file holds: the hints differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// `[unsubscribe] secret_file`: signs links and return paths already sent.
    Unsubscribe,
    /// `[[unsubscribe.retired]] secret_file`: an older one, still accepted.
    RetiredUnsubscribe,
    SmtpPassword,
    ImapPassword,
    DkimKey,
}

impl SecretKind {
    /// The environment variable that can hold it instead of the file, if any.
    fn variable(self) -> Option<&'static str> {
        match self {
            SecretKind::Unsubscribe => Some("BULLETIN_UNSUBSCRIBE_SECRET"),
            SecretKind::RetiredUnsubscribe => None,
            SecretKind::SmtpPassword => Some("BULLETIN_SMTP_PASSWORD"),
            SecretKind::ImapPassword => Some("BULLETIN_IMAP_PASSWORD"),
            SecretKind::DkimKey => Some("BULLETIN_DKIM_PRIVATE_KEY"),
        }
    }
}

/// Whether a ledger exists at the configured database: only with none has nothing been signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerState {
    Exists,
    Absent,
    /// PostgreSQL, which cannot be asked without connecting: assume it holds signed issues.
    Unknown,
}

/// Everything the advice depends on.
#[derive(Debug, Clone)]
pub struct Situation<'a> {
    pub kind: SecretKind,
    pub error: &'a SecretFileError,
    pub need: SecretNeed,
    /// Who this command runs as.
    pub who: &'a User,
    /// Who the daemon most likely runs as: the file's owner, else the ledger's.
    pub daemon: Option<&'a User>,
    pub ledger: LedgerState,
}

/// How loud, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub severity: Severity,
    /// None for commands that need no secret: one line is enough.
    pub hint: Option<String>,
}

/// A systemd credential path, `/run/credentials/UNIT/NAME`: (unit, name).
pub fn credential(path: &Path) -> Option<(String, String)> {
    let rest = path.strip_prefix("/run/credentials").ok()?;
    let mut parts = rest.components().map(|c| c.as_os_str().to_string_lossy());
    let unit = parts.next()?.into_owned();
    let name = parts.next_back()?.into_owned();
    Some((unit, name))
}

pub fn advise(s: &Situation<'_>) -> Advice {
    let path = &s.error.path;
    let cred = credential(path);
    let severity = match s.need {
        SecretNeed::Reading => Severity::Warning,
        // Where the daemon's own view differs from this shell's, check cannot tell.
        SecretNeed::Checking if cred.is_some() || s.error.problem == FileProblem::NotPermitted => {
            Severity::Warning
        }
        SecretNeed::Checking | SecretNeed::Signing => Severity::Error,
    };
    if s.need == SecretNeed::Reading {
        return Advice {
            severity,
            hint: None,
        };
    }
    let daemon = s
        .daemon
        .filter(|d| d.uid != s.who.uid)
        .and_then(User::sudo_name)
        .unwrap_or_else(|| "bulletin".to_string());
    let command = if s.need == SecretNeed::Checking {
        "bulletin check"
    } else {
        "bulletin …"
    };
    let mut hint = match (&cred, &s.error.problem) {
        (Some((unit, name)), _) => {
            let var = s.kind.variable().map_or_else(
                || "this command".to_string(),
                |v| format!("`sudo -u {daemon} env {v}=\"$(sudo cat SOURCE)\" {command}`"),
            );
            format!(
                "{} is a systemd credential: it exists only inside {unit} while it runs, not in this shell, which runs as {}. Read the file systemd loads it from, SOURCE in `LoadCredential={name}:SOURCE` of `systemctl cat {unit}`, as the daemon's user: {var}",
                path.display(),
                s.who
            )
        }
        (None, FileProblem::NotPermitted) => format!(
            "{} may not read it{}: run this as the daemon's user, `sudo -u {daemon} {command}`",
            s.who,
            s.daemon
                .map(|d| format!("; it belongs to {d}"))
                .unwrap_or_default()
        ),
        (None, FileProblem::Empty) => format!(
            "put back the secret the daemon used (from a backup, or its other copy), or set it in the environment; this command runs as {}",
            s.who
        ),
        (None, _) => format!(
            "this command runs as {}: point the setting{} at the file the daemon reads, or run this where the daemon runs, as its user: `sudo -u {daemon} {command}`",
            s.who,
            s.kind
                .variable()
                .map(|v| format!(" (or {v})"))
                .unwrap_or_default()
        ),
    };
    hint.push_str(&what_to_keep(s, cred.is_some()));
    Advice {
        severity,
        hint: Some(hint),
    }
}

/// What the hint adds about the secret itself: whether a new one may be made (an unsubscribe
/// secret only while nothing has been signed), and what a new DKIM key needs.
fn what_to_keep(s: &Situation<'_>, cred: bool) -> String {
    match s.kind {
        SecretKind::Unsubscribe if s.ledger == LedgerState::Absent => {
            // A credential is written where systemd loads it from, not in its directory.
            let target = if cred {
                "SOURCE".to_string()
            } else {
                s.error.path.display().to_string()
            };
            format!(
                ". No ledger exists at the configured database: if this is a new installation, nothing has been signed yet, and you can make one with `openssl rand -base64 48 > {target}`, readable only by the daemon's user"
            )
        }
        SecretKind::Unsubscribe | SecretKind::RetiredUnsubscribe => String::from(
            ". Never make a new one: it signs every unsubscribe link and bounce return path already sent, and a new one would break them all",
        ),
        SecretKind::DkimKey => String::from(
            ". A new key verifies only once its public half is published at SELECTOR._domainkey.DOMAIN",
        ),
        SecretKind::SmtpPassword | SecretKind::ImapPassword => String::new(),
    }
}

/// The hint for an unsubscribe secret shorter than 32 bytes: with a ledger, rotate (links
/// already sent keep working); without one, simply a longer secret.
pub fn short_secret_hint(ledger: LedgerState) -> &'static str {
    match ledger {
        LedgerState::Absent => {
            "nothing has been signed yet (no ledger): make a strong one with `openssl rand -base64 48`"
        }
        LedgerState::Exists | LedgerState::Unknown => {
            "strengthen it by rotation, so links already sent keep working: the longer secret under a new key_id, and this one under [[unsubscribe.retired]]"
        }
    }
}

/// The hint when mail is real but no unsubscribe secret is set: often a shell without the
/// daemon's environment, so with a ledger, the daemon's secret, never a new one.
pub fn unset_secret_hint(ledger: LedgerState) -> &'static str {
    match ledger {
        LedgerState::Absent => {
            "set BULLETIN_UNSUBSCRIBE_SECRET, or [unsubscribe] secret_file = \"/run/secrets/unsubscribe\" (32+ random bytes, e.g. `openssl rand -base64 48`)"
        }
        LedgerState::Exists | LedgerState::Unknown => {
            "give this command the secret the daemon signs with: its BULLETIN_UNSUBSCRIBE_SECRET (`systemctl show bulletin -p Environment`) or its [unsubscribe] secret_file; never a new one: it signs every unsubscribe link and bounce return path already sent"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn user(uid: u32, name: &str) -> User {
        User {
            uid: Some(uid),
            name: Some(name.to_string()),
        }
    }

    fn error(path: &str, problem: FileProblem) -> SecretFileError {
        SecretFileError {
            path: PathBuf::from(path),
            problem,
        }
    }

    fn advice(
        e: &SecretFileError,
        kind: SecretKind,
        need: SecretNeed,
        ledger: LedgerState,
    ) -> Advice {
        let (who, daemon) = (user(1000, "alice"), user(998, "bulletin"));
        advise(&Situation {
            kind,
            error: e,
            need,
            who: &who,
            daemon: Some(&daemon),
            ledger,
        })
    }

    /// The hint for an unsubscribe secret a signing command cannot read.
    fn signing_hint(path: &str, problem: FileProblem, ledger: LedgerState) -> String {
        let e = error(path, problem);
        advice(&e, SecretKind::Unsubscribe, SecretNeed::Signing, ledger)
            .hint
            .unwrap()
    }

    const CRED: &str = "/run/credentials/bulletin.service/unsubscribe-secret";

    #[test]
    fn finds_systemd_credentials() {
        assert_eq!(
            credential(Path::new(CRED)),
            Some(("bulletin.service".into(), "unsubscribe-secret".into()))
        );
        assert_eq!(credential(Path::new("/run/secrets/unsubscribe")), None);
        assert_eq!(credential(Path::new("/run/credentials")), None);
    }

    #[test]
    fn a_command_that_needs_no_secret_only_warns_in_one_line() {
        for problem in [
            FileProblem::Missing,
            FileProblem::NotPermitted,
            FileProblem::Empty,
        ] {
            let a = advice(
                &error("/etc/x", problem),
                SecretKind::Unsubscribe,
                SecretNeed::Reading,
                LedgerState::Exists,
            );
            assert_eq!(a.severity, Severity::Warning);
            assert_eq!(a.hint, None);
        }
    }

    #[test]
    fn check_warns_only_where_the_daemon_may_see_what_the_shell_cannot() {
        let sev = |path, problem| {
            advice(
                &error(path, problem),
                SecretKind::Unsubscribe,
                SecretNeed::Checking,
                LedgerState::Exists,
            )
            .severity
        };
        assert_eq!(sev(CRED, FileProblem::Missing), Severity::Warning);
        assert_eq!(sev("/etc/x", FileProblem::NotPermitted), Severity::Warning);
        assert_eq!(sev("/etc/x", FileProblem::Missing), Severity::Error);
        assert_eq!(sev("/etc/x", FileProblem::Empty), Severity::Error);
    }

    #[test]
    fn never_suggests_a_new_unsubscribe_secret_while_a_ledger_may_hold_signed_mail() {
        for ledger in [LedgerState::Exists, LedgerState::Unknown] {
            for path in [CRED, "/etc/bulletin/unsubscribe"] {
                for problem in [
                    FileProblem::Missing,
                    FileProblem::NotPermitted,
                    FileProblem::Empty,
                    FileProblem::Other("I/O error".into()),
                ] {
                    for kind in [SecretKind::Unsubscribe, SecretKind::RetiredUnsubscribe] {
                        let e = error(path, problem.clone());
                        let hint = advice(&e, kind, SecretNeed::Signing, ledger).hint.unwrap();
                        assert!(!hint.contains("rand"), "{hint}");
                        assert!(!hint.contains("urandom"), "{hint}");
                        assert!(hint.contains("alice (uid 1000)"), "{hint}");
                        assert!(hint.contains("Never make a new one"), "{hint}");
                    }
                }
            }
        }
    }

    #[test]
    fn says_how_to_read_the_existing_one() {
        let hint = signing_hint(CRED, FileProblem::Missing, LedgerState::Exists);
        assert!(hint.contains("systemctl cat bulletin.service"), "{hint}");
        assert!(
            hint.contains("LoadCredential=unsubscribe-secret:"),
            "{hint}"
        );
        assert!(
            hint.contains("sudo -u bulletin env BULLETIN_UNSUBSCRIBE_SECRET="),
            "{hint}"
        );

        let hint = signing_hint(
            "/etc/bulletin/unsubscribe",
            FileProblem::NotPermitted,
            LedgerState::Exists,
        );
        assert!(hint.contains("belongs to bulletin (uid 998)"), "{hint}");
        assert!(hint.contains("sudo -u bulletin bulletin"), "{hint}");
    }

    #[test]
    fn with_no_ledger_a_new_secret_may_be_made() {
        let hint = signing_hint(
            "/etc/bulletin/unsubscribe",
            FileProblem::Missing,
            LedgerState::Absent,
        );
        assert!(
            hint.contains("openssl rand -base64 48 > /etc/bulletin/unsubscribe"),
            "{hint}"
        );
        let hint = signing_hint(CRED, FileProblem::Missing, LedgerState::Absent);
        assert!(hint.contains("openssl rand -base64 48 > SOURCE"), "{hint}");
        assert!(!short_secret_hint(LedgerState::Exists).contains("rand"));
        assert!(!unset_secret_hint(LedgerState::Exists).contains("rand"));
        assert!(!unset_secret_hint(LedgerState::Unknown).contains("rand"));
        assert!(unset_secret_hint(LedgerState::Absent).contains("openssl rand"));
        assert!(short_secret_hint(LedgerState::Absent).contains("openssl rand"));
    }
}
