//! Time: the one trait every reader of the clock goes through, and the system clock behind it.
//! A leaf module, so the daemon, the senders, the bounce reader, the web pages and the commands
//! can all take a clock without importing one another; tests pass their own. The system clock is
//! made once, in `main`, and handed down: `clippy.toml` refuses [`SystemClock::utc`] (and the
//! wall clock itself) anywhere else.

use chrono::{DateTime, Utc};

/// The clock, so tests (and the daemon's tests) can drive time.
pub trait Clock: Send + Sync {
    /// Unix seconds.
    fn now(&self) -> i64;

    /// Now, as the ledger records it.
    fn timestamp(&self) -> crate::timestamp::Timestamp {
        crate::timestamp::Timestamp::from_secs(self.now())
    }

    /// Unix milliseconds, for pacing sends; a clock that only knows seconds gives the start of
    /// the second.
    fn now_ms(&self) -> i64 {
        self.now() * 1000
    }

    /// The instant as a date-time, for what is shown or computed in calendar terms.
    fn now_utc(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default()
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The one place the program reads the wall clock (`clippy.toml` forbids it elsewhere, and
    /// forbids this but in `main`, which makes the one `SystemClock` the program runs on).
    #[allow(clippy::disallowed_methods)]
    pub fn utc() -> DateTime<Utc> {
        chrono::Utc::now()
    }
}

#[allow(clippy::disallowed_methods)]
impl Clock for SystemClock {
    fn now(&self) -> i64 {
        Self::utc().timestamp()
    }

    fn now_ms(&self) -> i64 {
        Self::utc().timestamp_millis()
    }

    fn now_utc(&self) -> DateTime<Utc> {
        Self::utc()
    }
}
