//! This running process as the rest of a cluster sees it: its name in claims and leases, and
//! how often it says it is alive. Lives below both the daemon that heartbeats and the web pages
//! that judge the heartbeat, so neither has to import the other.

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
