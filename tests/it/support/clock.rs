//! A clock the test moves by hand, for driving the scheduler and the sender in-process through
//! days, backoffs and clock changes in milliseconds of real time.

use std::sync::atomic::{AtomicI64, Ordering};

use bulletin::delivery::Clock;

/// Unix seconds that stand still until the test sets or advances them.
pub struct TestClock(AtomicI64);

impl TestClock {
    /// A clock standing at `now` (Unix seconds).
    pub fn at(now: i64) -> TestClock {
        TestClock(AtomicI64::new(now))
    }

    pub fn set(&self, now: i64) {
        self.0.store(now, Ordering::SeqCst);
    }

    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
