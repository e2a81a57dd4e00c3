//! The environment overrides (12-factor): passed in as a value, so tests never touch the
//! process environment and the loader stays deterministic.

use std::collections::BTreeMap;

/// Every variable the loader reads.
pub const VARIABLES: [&str; 8] = [
    "BULLETIN_DATABASE_URL",
    "BULLETIN_SMTP_URL",
    "BULLETIN_SMTP_PASSWORD",
    "BULLETIN_UNSUBSCRIBE_SECRET",
    "BULLETIN_WEB_BIND",
    "BULLETIN_ADMIN_TOKEN",
    "BULLETIN_IMAP_PASSWORD",
    "BULLETIN_DKIM_PRIVATE_KEY",
];

/// A snapshot of the `BULLETIN_*` variables that override the files, and what the command at
/// hand needs of the secrets (only sending makes a missing secret an error; an operator's
/// shell without the daemon's secrets can still run `status` or `lists`).
#[derive(Clone, Default)]
pub struct Env(BTreeMap<String, String>, SecretNeed);

/// What a command needs of the daemon's secrets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecretNeed {
    /// It sends or signs (`send`, `run`, `bounce`): a secret it cannot read is an error.
    #[default]
    Signing,
    /// `check`: a secret is checked where this shell can see it; a systemd credential, which
    /// exists only inside the service, or a file only the daemon's user may read, is a
    /// warning.
    Checking,
    /// It sends and signs nothing: a missing secret is a warning.
    Reading,
}

impl Env {
    /// The overrides set in this process's environment (empty values count as unset).
    pub fn from_process() -> Self {
        Env(
            VARIABLES
                .iter()
                .filter_map(|k| {
                    std::env::var(k)
                        .ok()
                        .filter(|v| !v.is_empty())
                        .map(|v| (k.to_string(), v))
                })
                .collect(),
            SecretNeed::Signing,
        )
    }

    pub fn empty() -> Self {
        Env::default()
    }

    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.0.insert(key.to_string(), value.to_string());
        self
    }

    /// For a command that sends nothing: a missing SMTP password or unsubscribe secret is a
    /// warning, not an error.
    pub fn for_reading(mut self) -> Self {
        self.1 = SecretNeed::Reading;
        self
    }

    /// For `check`: see [`SecretNeed::Checking`].
    pub fn for_checking(mut self) -> Self {
        self.1 = SecretNeed::Checking;
        self
    }

    /// Whether missing secrets are tolerated (see [`Env::for_reading`]).
    pub fn secrets_optional(&self) -> bool {
        self.1 == SecretNeed::Reading
    }

    /// What the command at hand needs of the secrets.
    pub fn secret_need(&self) -> SecretNeed {
        self.1
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
}

impl std::fmt::Debug for Env {
    /// Names only: several of these are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}
