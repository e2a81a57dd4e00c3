//! Retry backoff: how long to wait before the next attempt, doubling up to a ceiling. A leaf
//! module, so the ledger (paused issues) and delivery (deferred messages) share it without
//! importing each other.

/// Postfix-like backoff: `first` after the first failure, doubling, capped at `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first_secs: i64,
    pub max_secs: i64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first_secs: 5 * 60,
            max_secs: 60 * 60,
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempts + 1`, after `attempts` failed ones (≥ 1).
    pub fn delay(&self, attempts: i64) -> i64 {
        let doublings = (attempts.max(1) - 1).min(30) as u32;
        self.first_secs
            .saturating_mul(1i64 << doublings)
            .min(self.max_secs)
    }
}
