//! What one attempt came to, and what follows from it. Failure policy lives in the type: a
//! caller cannot forget to distinguish "try again later" from "never" from "stop everything".

/// The outcome of handing one message to the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The relay accepted it (250). Only now is a delivery `sent`.
    Sent(String),
    /// A 4xx reply, a timeout or a dropped connection: defer with backoff.
    Retry(String),
    /// A 5xx reply at RCPT: about this recipient (unless it is a policy verdict; see
    /// [`crate::bounce::policy::reply_kind`]): fail this one, carry on with the rest.
    Reject(String),
    /// A 5xx reply at MAIL FROM, DATA or the end of the data: a verdict on the message or the
    /// sender, never on the address. Nobody is failed or suppressed: the delivery waits, and
    /// the issue pauses when refusals repeat.
    Refused { stage: Stage, reply: String },
    /// The relay itself is unusable (refused connection, 535 authentication, TLS failure, no
    /// STARTTLS): stop the issue, attempt nobody else, lose nothing.
    RelayDown(String),
}

/// The step of an SMTP transaction a relay answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    MailFrom,
    RcptTo,
    Data,
    EndOfData,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::MailFrom => "MAIL FROM",
            Stage::RcptTo => "RCPT TO",
            Stage::Data => "DATA",
            Stage::EndOfData => "the end of the data",
        })
    }
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
