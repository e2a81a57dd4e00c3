//! Time: the one trait every reader of the clock goes through, and the system clock behind it.
//! A leaf module, so the daemon, the senders, the bounce reader and the web pages can all take
//! a clock without importing one another; tests pass their own.

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
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The one place the program reads the wall clock (`clippy.toml` forbids it elsewhere).
    /// Edges that need a date-time call this; the core takes its time as an argument.
    #[allow(clippy::disallowed_methods)]
    pub fn utc() -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        Self::utc().timestamp()
    }

    fn now_ms(&self) -> i64 {
        Self::utc().timestamp_millis()
    }
}
