//! A batch of delivery outcomes laid out as columns, one row per delivery: what both backends
//! record in one statement (PostgreSQL's UNNEST, SQLite's json_each).

use super::Recorded;

/// A batch's outcomes as columns: one row per delivery, the first outcome of an id winning (as when they are applied one by one: the first leaves the delivery no longer
/// in flight).
pub(super) struct Columns<'a> {
    pub ids: Vec<i64>,
    pub states: Vec<&'static str>,
    pub replies: Vec<Option<&'a str>>,
    pub retries: Vec<Option<i64>>,
}

impl<'a> Columns<'a> {
    pub fn of(outcomes: &'a [(i64, Recorded)]) -> Self {
        let mut seen = std::collections::HashSet::new();
        let mut c = Columns {
            ids: Vec::with_capacity(outcomes.len()),
            states: Vec::with_capacity(outcomes.len()),
            replies: Vec::with_capacity(outcomes.len()),
            retries: Vec::with_capacity(outcomes.len()),
        };
        for (id, o) in outcomes {
            if !seen.insert(*id) {
                continue;
            }
            let (reply, retry) = match o {
                Recorded::Sent { reply } | Recorded::Failed { reply } => (Some(reply), None),
                Recorded::Expired { reply } => (Some(reply), None),
                Recorded::Deferred { reply, retry_at } => (Some(reply), Some(retry_at.secs())),
                Recorded::Released => (None, None),
            };
            c.ids.push(*id);
            c.states.push(o.state().as_str());
            c.replies.push(reply.map(String::as_str));
            c.retries.push(retry);
        }
        c
    }
}
