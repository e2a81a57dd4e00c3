//! How many connections the web server holds, and which one gives way. Every accepted socket is
//! a file descriptor the scheduler and the ledger need too, so the server keeps at most
//! [`MAX_CONNECTIONS`]. When a new client arrives at the cap, the connection that has been idle
//! longest (waiting for a request head, or between keep-alive requests) is closed to make room:
//! a thousand idle or slowloris sockets cannot keep a real request (or `/healthz`) out, and a
//! request being answered is never cut off.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

/// Connections held at once: far below a 1,024 file-descriptor limit, far above what a
/// partnership's site needs (the reverse proxy in front keeps its own few).
pub const MAX_CONNECTIONS: usize = 256;

#[derive(Debug)]
struct Slot {
    /// When it went idle; `None` while a request is being answered.
    idle_since: Option<Instant>,
    close: Arc<Notify>,
}

/// The connections being served.
#[derive(Debug, Default)]
pub struct Registry {
    slots: Mutex<HashMap<u64, Slot>>,
    next: AtomicU64,
    cap: usize,
}

/// One admitted connection; leaves the registry when dropped.
#[derive(Debug)]
pub struct Admitted {
    id: u64,
    registry: Arc<Registry>,
    /// Notified when this connection must give way.
    pub close: Arc<Notify>,
}

impl Registry {
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Registry {
            cap: cap.max(1),
            ..Default::default()
        })
    }

    /// Admit a new connection, closing the longest-idle one if at the cap. `None` when every
    /// held connection is busy answering a request: the caller turns the newcomer away.
    pub fn admit(self: &Arc<Self>) -> Option<Admitted> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= self.cap {
            let oldest = slots
                .iter()
                .filter_map(|(id, s)| s.idle_since.map(|t| (t, *id)))
                .min()?
                .1;
            if let Some(s) = slots.remove(&oldest) {
                s.close.notify_one();
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let close = Arc::new(Notify::new());
        slots.insert(
            id,
            Slot {
                idle_since: Some(Instant::now()),
                close: close.clone(),
            },
        );
        Some(Admitted {
            id,
            registry: self.clone(),
            close,
        })
    }

    /// Close the longest-idle connection, if any (the process ran out of file descriptors).
    pub fn shed_one(&self) -> bool {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let oldest = slots
            .iter()
            .filter_map(|(id, s)| s.idle_since.map(|t| (t, *id)))
            .min()
            .map(|x| x.1);
        match oldest.and_then(|id| slots.remove(&id)) {
            Some(s) => {
                s.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// Connections held now.
    pub fn len(&self) -> usize {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Admitted {
    fn set(&self, idle: bool) {
        let mut slots = self
            .registry
            .slots
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(s) = slots.get_mut(&self.id) {
            s.idle_since = idle.then(Instant::now);
        }
    }

    /// A request is being answered: not to be closed for room.
    pub fn busy(&self) {
        self.set(false);
    }

    /// Waiting for the next request.
    pub fn idle(&self) {
        self.set(true);
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut slots = self
            .registry
            .slots
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        slots.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_idle_gives_way_and_busy_ones_never_do() {
        let r = Registry::new(2);
        let a = r.admit().unwrap();
        let b = r.admit().unwrap();
        b.busy();
        // At the cap: `a` (idle) is told to close; `b` (busy) is kept.
        let c = r.admit().unwrap();
        assert_eq!(r.len(), 2);
        let closed = a.close.clone();
        assert!(
            futures_ready(closed),
            "the idle connection was told to close"
        );
        c.busy();
        // Everyone busy: the newcomer is turned away.
        assert!(r.admit().is_none());
        drop(b);
        assert!(r.admit().is_some());
        assert!(!r.is_empty());
    }

    /// Whether a `notify_one` is waiting for this Notify.
    fn futures_ready(n: Arc<Notify>) -> bool {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_millis(10), n.notified())
                .await
                .is_ok()
        })
    }
}
