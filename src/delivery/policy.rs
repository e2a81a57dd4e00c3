//! What one attempt came to, and what follows from it. Failure policy lives in the type: a
//! caller cannot forget to distinguish "try again later" from "never" from "stop everything".

/// The outcome of handing one message to the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The relay accepted it (250). Only now is a delivery `sent`.
    Sent(String),
    /// A 4xx reply, a timeout or a dropped connection: defer with backoff.
    Retry(String),
    /// A 5xx reply about this recipient: fail this one, carry on with the rest.
    Reject(String),
    /// The relay itself is unusable (refused connection, 535 authentication, TLS failure, no
    /// STARTTLS): stop the issue, attempt nobody else, lose nothing.
    RelayDown(String),
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_about_an_hour() {
        let b = Backoff::default();
        let mins: Vec<i64> = (1..=7).map(|n| b.delay(n) / 60).collect();
        assert_eq!(mins, [5, 10, 20, 40, 60, 60, 60]);
        assert_eq!(b.delay(1000), 3600);
    }
}
