//! Whether the configuration the daemon runs is the one in the files. A reload that finds
//! errors keeps the last good configuration running (see `daemon::reload`); until the files are
//! fixed, `/healthz` and `/metrics` say so. Lives below both the daemon that records it and the
//! web pages that report it, so neither has to import the other.

use std::sync::{Arc, Mutex};

/// What the last reload found, shared between the daemon and its web server.
#[derive(Debug, Clone)]
pub struct ConfigHealth {
    state: Arc<Mutex<ConfigStatus>>,
}

/// A snapshot of [`ConfigHealth`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigStatus {
    /// When the configuration now running was loaded (Unix seconds).
    pub loaded_at: i64,
    /// Errors the files had at the last reload attempt (0: they load).
    pub errors: usize,
    /// When the files first failed to load since the running configuration was loaded.
    pub failing_since: Option<i64>,
}

impl ConfigHealth {
    /// A configuration loaded at `at`.
    pub fn new(at: i64) -> Self {
        ConfigHealth {
            state: Arc::new(Mutex::new(ConfigStatus {
                loaded_at: at,
                errors: 0,
                failing_since: None,
            })),
        }
    }

    /// A reload at `at` put the files' configuration in place.
    pub fn loaded(&self, at: i64) {
        *self.lock() = ConfigStatus {
            loaded_at: at,
            errors: 0,
            failing_since: None,
        };
    }

    /// A reload at `at` found `errors` errors (at least one is counted) and kept the last good
    /// configuration.
    pub fn failed(&self, errors: usize, at: i64) {
        let mut s = self.lock();
        s.errors = errors.max(1);
        s.failing_since.get_or_insert(at);
    }

    pub fn status(&self) -> ConfigStatus {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ConfigStatus> {
        // A panic elsewhere while holding it leaves plain numbers: still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ConfigStatus {
    /// The `/healthz` line, `None` while the files load.
    pub fn describe(&self) -> Option<String> {
        let since = self.failing_since?;
        Some(format!(
            "config: {} error(s) since {}; running the configuration loaded at {}",
            self.errors,
            rfc3339(since),
            rfc3339(self.loaded_at)
        ))
    }
}

fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map_or_else(|| t.to_string(), |t| t.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_said_from_the_first_failure_until_a_good_load() {
        let h = ConfigHealth::new(1_000);
        assert_eq!(h.status().describe(), None);
        h.failed(2, 2_000);
        h.failed(3, 3_000);
        assert_eq!(
            h.status().describe().as_deref(),
            Some(
                "config: 3 error(s) since 1970-01-01T00:33:20+00:00; running the configuration loaded at 1970-01-01T00:16:40+00:00"
            )
        );
        h.loaded(4_000);
        let s = h.status();
        assert_eq!((s.errors, s.loaded_at, s.describe()), (0, 4_000, None));
    }
}
