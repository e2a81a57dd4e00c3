//! How many deliveries a worker claims at a time. A claim is a round of ledger work between
//! two SMTP transactions (the suppressions recorded since the last one applied, then the
//! claim committed), and the connection idles through it; with a fixed 50 a fast relay saw
//! one every 30 ms or so, a few per cent of the send. So a claim covers about [`SPAN`] of the
//! worker's own recent sending instead: small while a paced or slow relay takes a message at
//! a time, a few hundred when loopback takes thousands a second.
//!
//! What a claim does not change: the crash window. It is the permits (`connections × batch`,
//! [`super::Limits::batch`]), taken per transaction, not per claim; a claimed delivery not yet
//! begun is only leased, and a lease that lapses is attempted once by whoever takes it next.
//! What it does change is how soon a suppression recorded during a send reaches a worker's
//! claimed deliveries: within about [`SPAN`] of sending, where it was within 50 messages.

use std::time::Duration;

/// About how much sending one claim covers.
pub const SPAN: Duration = Duration::from_millis(200);

/// The most one claim takes, however fast the relay: a worker that stops early (a relay that
/// goes down) leaves no more than this leased.
pub const MOST: u32 = 1000;

/// The size of a worker's next claim, from its last one: its `sent` deliveries (attempted,
/// or given back when the run stopped) gone through in `took`, scaled to [`SPAN`], never fewer than `least` (the smallest claim, the crash
/// window's batch) nor more than [`MOST`] (or `least`, if that is more).
pub fn next(least: u32, sent: usize, took: Duration) -> u32 {
    let most = MOST.max(least);
    if sent == 0 {
        return least;
    }
    let secs = took.as_secs_f64();
    if secs <= 0.0 {
        return most;
    }
    let fit = sent as f64 * SPAN.as_secs_f64() / secs;
    // `as` saturates: a huge rate gives u32::MAX, clamped to `most`.
    (fit as u32).clamp(least, most)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_fast_relay_grows_the_claim_to_what_is_sent_in_the_span() {
        // 50 in 25 ms: 2,000 a second, 400 in 200 ms.
        assert_eq!(next(50, 50, Duration::from_millis(25)), 400);
        // Faster than MOST in the span: MOST.
        assert_eq!(next(50, 50, Duration::from_micros(100)), MOST);
    }

    #[test]
    fn a_paced_or_slow_relay_keeps_the_smallest_claim() {
        // 50 in a minute: the claim stays at 50.
        assert_eq!(next(50, 50, Duration::from_secs(60)), 50);
        // Nothing attempted (the run stopped): no rate to go by.
        assert_eq!(next(50, 0, Duration::from_millis(1)), 50);
    }

    #[test]
    fn a_smallest_claim_above_most_wins() {
        assert_eq!(next(2000, 10, Duration::from_millis(1)), 2000);
        assert_eq!(next(2000, 10, Duration::ZERO), 2000);
    }

    proptest! {
        #[test]
        fn the_claim_stays_within_its_bounds_and_grows_with_the_rate(
            least in 1u32..3000,
            sent in 0usize..5000,
            micros in 0u64..120_000_000,
        ) {
            let took = Duration::from_micros(micros);
            let n = next(least, sent, took);
            prop_assert!(n >= least);
            prop_assert!(n <= MOST.max(least));
            // The same count sent in half the time never claims less.
            prop_assert!(next(least, sent, took / 2) >= n);
        }
    }
}
