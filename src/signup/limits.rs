//! Per-client limits on the sign-up form: a client (an IP address as the server sees it) may
//! post a few times in a window, then gets the same neutral answer without any mail until the
//! window passes. Kept in memory on purpose: it is a brake on one process's callers, not a
//! promise; the promise that matters (one confirmation mail per address per day) is the
//! ledger's unique key.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::timestamp::Timestamp;

/// Posts a client may make in one window.
pub const PER_CLIENT: u32 = 5;
/// The window, in seconds.
pub const WINDOW: i64 = 600;
/// Clients remembered at once; beyond it, new clients are limited until old windows pass.
const MAX_CLIENTS: usize = 10_000;

/// The windows of the clients seen lately.
#[derive(Debug, Default)]
pub struct ClientLimits {
    seen: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl ClientLimits {
    /// Count a post from `client` at `now`; whether it is within its limit.
    pub fn allow(&self, client: IpAddr, now: Timestamp) -> bool {
        let now = now.secs();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= MAX_CLIENTS && !seen.contains_key(&client) {
            seen.retain(|_, (start, _)| now - *start < WINDOW);
            if seen.len() >= MAX_CLIENTS {
                return false;
            }
        }
        let e = seen.entry(client).or_insert((now, 0));
        if now - e.0 >= WINDOW {
            *e = (now, 0);
        }
        e.1 += 1;
        e.1 <= PER_CLIENT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_limited_until_its_window_passes() {
        let l = ClientLimits::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..PER_CLIENT {
            assert!(l.allow(a, Timestamp::from_secs(100)));
        }
        assert!(!l.allow(a, Timestamp::from_secs(101)));
        assert!(l.allow(b, Timestamp::from_secs(101)));
        assert!(l.allow(a, Timestamp::from_secs(100 + WINDOW)));
    }
}
