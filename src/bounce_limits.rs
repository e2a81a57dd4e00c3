//! The bounce policy's parameters as `[bounces]` sets them: when soft bounces add up to a
//! suppression, and when a burst of hard ones trips the breaker. A leaf, so the settings can
//! hold them and `bounce::policy` can apply them without the two importing each other.

/// When too many hard bounces of one issue arrive too fast to be believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breaker {
    /// It trips when more than this share (per cent) of the recipients…
    pub share_percent: u32,
    /// …and more than this many (so a small list is not tripped by two dead addresses)…
    pub minimum: u32,
    /// …bounce hard within this many seconds.
    pub window_secs: i64,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            share_percent: 5,
            minimum: 5,
            window_secs: 30 * 60,
        }
    }
}

/// The bounce policy's parameters: when soft bounces add up to a suppression, and when a burst
/// of hard ones trips the breaker. `[bounces]` sets them (`Bounces::policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftPolicy {
    /// This many soft bounces (of different messages)…
    pub limit: u32,
    /// …within this many seconds.
    pub window_secs: i64,
    pub breaker: Breaker,
}

impl Default for SoftPolicy {
    fn default() -> Self {
        SoftPolicy {
            limit: 3,
            window_secs: 30 * 86_400,
            breaker: Breaker::default(),
        }
    }
}
