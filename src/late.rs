//! Whether the daemon will still create an issue whose time has come: the rule `approve`
//! uses to refuse an approval that would change nothing.

use crate::store::FireState;
use crate::timestamp::Timestamp;

/// Whether an issue due at `due` (Unix seconds), with no issue created for it, will never be
/// created by the daemon: its time has passed, no fire is recorded for it (a held fire is
/// waiting and a skipped one says so itself), and it is older than the catch-up window, so a
/// daemon starting now would skip it too.
pub fn passed_unsent(
    due: Timestamp,
    recorded: Option<FireState>,
    now: Timestamp,
    catch_up_secs: i64,
) -> bool {
    recorded.is_none() && now - due > catch_up_secs
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn only_an_unrecorded_fire_older_than_the_catch_up_window_has_passed() {
        let now = Timestamp::from_secs(100 * DAY);
        assert!(passed_unsent(now - 2 * DAY, None, now, DAY));
        assert!(!passed_unsent(now - DAY / 2, None, now, DAY), "caught up");
        assert!(!passed_unsent(now + DAY, None, now, DAY), "still to come");
        assert!(
            !passed_unsent(now - 2 * DAY, Some(FireState::Held), now, DAY),
            "held: waiting for the approval"
        );
    }
}
