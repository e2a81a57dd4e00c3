//! This running process as the rest of a cluster sees it: its name in claims and leases, and
//! how often it says it is alive. Lives below both the daemon that heartbeats and the web pages
//! that judge the heartbeat, so neither has to import the other.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::timestamp::Timestamp;

/// The daemon's sign of life for `/healthz`: Unix seconds of the last time it was seen getting
/// on with its work — its start, each finished pass, and each batch of outcomes a send commits —
/// and, apart, of its last finished pass (0: none yet). A pass that sends a long issue beats all
/// through it, so a liveness probe does not take a busy daemon for a stuck one.
#[derive(Debug, Clone, Default)]
pub struct Heartbeat {
    beat: Arc<AtomicI64>,
    pass: Arc<AtomicI64>,
}

impl Heartbeat {
    /// Alive at `now` (never moves backwards).
    pub fn beat(&self, now: Timestamp) {
        self.beat.fetch_max(now.secs(), Ordering::SeqCst);
    }

    /// A pass finished at `now` (a beat too).
    pub fn pass_done(&self, now: Timestamp) {
        self.pass.fetch_max(now.secs(), Ordering::SeqCst);
        self.beat(now);
    }

    /// The last beat, 0 (the epoch) if none.
    pub fn last(&self) -> Timestamp {
        Timestamp::from_secs(self.beat.load(Ordering::SeqCst))
    }

    /// When the last pass finished, 0 (the epoch) if none has yet.
    pub fn last_pass(&self) -> Timestamp {
        Timestamp::from_secs(self.pass.load(Ordering::SeqCst))
    }
}

/// The longest the daemon sleeps without looking again (a clock jump, a file edit), and so the
/// longest gap between two of its passes.
pub const MAX_SLEEP_SECS: i64 = 300;

/// This process's name in claims and leases: host and process id.
pub fn instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}
