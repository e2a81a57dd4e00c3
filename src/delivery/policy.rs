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

pub use crate::backoff::Backoff;

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
