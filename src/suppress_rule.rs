//! The one rule for what a suppression stops, used by every send path (issues, `send --now`,
//! announcements, proofs and held notices to the editors) and by `lists`.
//!
//! - `*` stops everything sent to the address.
//! - `bulletin:<id>` stops that bulletin (or campaign's announcements) whichever list it
//!   reaches the address through.
//! - `list:<id>` takes the address off that list, and so off every list that has it only
//!   through that one (`include`, at any depth). It is scoped to the named list: someone
//!   suppressed on `police` who is also directly on `all-partners` (or on another list that
//!   `all-partners` includes) still gets what goes to `all-partners`.
//!
//! Put as paths: mail sent to list `L` reaches an address when some chain of includes from `L`
//! leads to a list the address is written on, with no list along the chain (ends included)
//! suppressing it.
//!
//! [`skips`] is the whole rule for one address of an issue. Issue creation marks deliveries
//! with it, and each send asks it again (with the issue's lists) about the addresses suppressed
//! since, so a suppression of any scope stops the same people before the next attempt as it
//! would have at creation.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::lists::{List, ResolvedLists};
use crate::ids::{IssueOwner, ListId};
use crate::store::{Suppression, SuppressionScope};

/// Whether mail sent to `list` reaches the address `key` when it is suppressed on the lists
/// `suppressed_on`: some chain of includes from `list` to a list that names the address
/// directly passes through none of them. Include cycles (which `check` rejects) end the walk.
pub fn reaches(
    lists: &BTreeMap<ListId, List>,
    list: &ListId,
    key: &str,
    suppressed_on: &BTreeSet<&ListId>,
) -> bool {
    let mut visited: BTreeSet<&ListId> = BTreeSet::new();
    let mut todo = vec![list];
    while let Some(id) = todo.pop() {
        if suppressed_on.contains(id) || !visited.insert(id) {
            continue;
        }
        let Some(l) = lists.get(id) else { continue };
        if l.members.iter().any(|m| m.email.key() == key) {
            return true;
        }
        todo.extend(l.include.iter().map(|inc| &inc.value));
    }
    false
}

/// Whether mail of `owner` (a bulletin, or a campaign's announcement) sent to `lists` skips the
/// address `key`, suppressed under `scopes`: `*` and `bulletin:<owner>` skip it; list-scoped
/// suppressions skip it when it is on some of `lists` (after includes) and none of those reaches
/// it any more. An address on none of `lists` (it left them since the issue was made) is
/// skipped by the first two only.
pub fn skips(
    resolved: &ResolvedLists,
    lists: &[ListId],
    owner: &IssueOwner,
    key: &str,
    scopes: &[&SuppressionScope],
) -> bool {
    if stops(scopes, owner.as_str()) {
        return true;
    }
    let off: BTreeSet<&ListId> = list_scopes(scopes);
    if off.is_empty() {
        return false;
    }
    let mut on = lists
        .iter()
        .filter(|l| {
            resolved
                .members
                .get(*l)
                .is_some_and(|ms| ms.iter().any(|m| m.email.key() == key))
        })
        .peekable();
    on.peek().is_some() && on.all(|l| !reaches(&resolved.lists, l, key, &off))
}

/// Whether `scopes` stop everything, or the bulletin (or campaign) `owner`.
fn stops(scopes: &[&SuppressionScope], owner: &str) -> bool {
    scopes.iter().any(|s| match s {
        SuppressionScope::All => true,
        SuppressionScope::Bulletin(b) => b.as_str() == owner,
        SuppressionScope::List(_) => false,
    })
}

/// The lists `scopes` suppress the address on.
fn list_scopes<'a>(scopes: &[&'a SuppressionScope]) -> BTreeSet<&'a ListId> {
    scopes
        .iter()
        .filter_map(|s| match s {
            SuppressionScope::List(l) => Some(l),
            _ => None,
        })
        .collect()
}

/// The ledger's suppressions by address, to ask [`reaches`] and the scope questions of each
/// recipient without scanning them all each time.
pub struct Suppressions<'a> {
    by_key: BTreeMap<&'a str, Vec<&'a SuppressionScope>>,
}

impl<'a> Suppressions<'a> {
    pub fn new(all: &'a [Suppression]) -> Self {
        let mut by_key: BTreeMap<&str, Vec<&SuppressionScope>> = BTreeMap::new();
        for s in all {
            by_key
                .entry(s.email_key.as_str())
                .or_default()
                .push(&s.scope);
        }
        Suppressions { by_key }
    }

    fn scopes(&self, key: &str) -> &[&'a SuppressionScope] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }

    /// Whether list-scoped suppressions keep `key` (a member of `list` after includes) off mail
    /// sent to `list`. Whole-address and bulletin suppressions are not considered here.
    pub fn off_list(&self, lists: &ResolvedLists, list: &ListId, key: &str) -> bool {
        let on = list_scopes(self.scopes(key));
        !on.is_empty() && !reaches(&lists.lists, list, key, &on)
    }

    /// Whether `key` is suppressed from everything, or from the bulletin (or campaign) `scope_id`.
    pub fn stops_sending(&self, key: &str, scope_id: &str) -> bool {
        stops(self.scopes(key), scope_id)
    }

    /// [`skips`], with `key`'s suppressions.
    pub fn skips(
        &self,
        resolved: &ResolvedLists,
        lists: &[ListId],
        owner: &IssueOwner,
        key: &str,
    ) -> bool {
        skips(resolved, lists, owner, key, self.scopes(key))
    }

    /// The bulletins (or campaigns) `key` unsubscribed from alone, by id: they stop those and
    /// nothing else, so list views name them beside the counts they lower.
    pub fn bulletins_left(&self, key: &str) -> Vec<&'a str> {
        self.scopes(key)
            .iter()
            .filter_map(|s| match s {
                SuppressionScope::Bulletin(b) => Some(b.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The scopes that stop mail sent to `list` from reaching `key` (a member of `list` after
    /// includes), as stored (`*`, `list:<id>`); empty when it reaches them. When list
    /// suppressions stop it, those of `list` and of the lists it includes are named.
    pub fn stopping(&self, lists: &ResolvedLists, list: &ListId, key: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .scopes(key)
            .iter()
            .filter(|s| matches!(s, SuppressionScope::All))
            .map(|s| s.to_string())
            .collect();
        if self.off_list(lists, list, key) {
            let within = included(&lists.lists, list);
            out.extend(
                self.scopes(key)
                    .iter()
                    .filter(|s| matches!(s, SuppressionScope::List(l) if within.contains(l)))
                    .map(|s| s.to_string()),
            );
        }
        out
    }
}

/// Whether mail sent to `from` goes to `list`'s members too: it is `list`, or includes it at
/// any depth.
pub fn covers(lists: &BTreeMap<ListId, List>, from: &ListId, list: &ListId) -> bool {
    included(lists, from).contains(list)
}

/// `list` and every list it includes, at any depth.
fn included<'l>(lists: &'l BTreeMap<ListId, List>, list: &'l ListId) -> BTreeSet<&'l ListId> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![list];
    while let Some(id) = todo.pop() {
        if seen.insert(id)
            && let Some(l) = lists.get(id)
        {
            todo.extend(l.include.iter().map(|inc| &inc.value));
        }
    }
    seen
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::address::EmailAddress;
    use crate::config::doc::At;
    use crate::config::lists::Member;
    use crate::diag::Position;
    use proptest::prelude::*;

    fn id(s: &str) -> ListId {
        ListId::parse(s).unwrap()
    }

    /// Lists from `(id, direct members, includes)`.
    fn lists(spec: &[(&str, &[&str], &[&str])]) -> BTreeMap<ListId, List> {
        spec.iter()
            .map(|(l, members, include)| {
                (
                    id(l),
                    List {
                        id: id(l),
                        name: l.to_string(),
                        description: None,
                        include: include
                            .iter()
                            .map(|i| At::new(id(i), Position::START))
                            .collect(),
                        signup: None,
                        members: members
                            .iter()
                            .map(|e| Member {
                                email: EmailAddress::parse(e).unwrap(),
                                name: None,
                                agency: None,
                                origin: None,
                            })
                            .collect(),
                        path: Default::default(),
                        pos: Position::START,
                        invalid_rows: Default::default(),
                        left_out: Vec::new(),
                        members_csv: None,
                    },
                )
            })
            .collect()
    }

    fn on(ids: &[ListId]) -> BTreeSet<&ListId> {
        ids.iter().collect()
    }

    const PARTNERS: &[(&str, &[&str], &[&str])] = &[
        ("all-partners", &["direct@x.example"], &["police", "health"]),
        (
            "police",
            &["pc@x.example", "direct@x.example", "both@x.example"],
            &[],
        ),
        ("health", &["both@x.example"], &[]),
        ("editors", &["ed@x.example"], &[]),
    ];

    #[test]
    fn a_list_suppression_stops_that_list() {
        let l = lists(PARTNERS);
        let s = [id("editors")];
        assert!(!reaches(&l, &id("editors"), "ed@x.example", &on(&s)));
        assert!(reaches(&l, &id("editors"), "ed@x.example", &on(&[])));
    }

    #[test]
    fn it_stops_the_lists_that_have_the_address_only_through_it() {
        let l = lists(PARTNERS);
        let s = [id("police")];
        assert!(!reaches(&l, &id("all-partners"), "pc@x.example", &on(&s)));
        assert!(reaches(&l, &id("all-partners"), "pc@x.example", &on(&[])));
    }

    #[test]
    fn it_does_not_stop_a_list_that_has_the_address_another_way() {
        let l = lists(PARTNERS);
        let s = [id("police")];
        // Directly on all-partners too.
        assert!(reaches(
            &l,
            &id("all-partners"),
            "direct@x.example",
            &on(&s)
        ));
        // On health too, which all-partners also includes.
        assert!(reaches(&l, &id("all-partners"), "both@x.example", &on(&s)));
        // Suppressed on the including list itself: every way in is closed.
        let s = [id("all-partners")];
        assert!(!reaches(
            &l,
            &id("all-partners"),
            "direct@x.example",
            &on(&s)
        ));
        assert!(!reaches(&l, &id("all-partners"), "both@x.example", &on(&s)));
        assert!(reaches(&l, &id("police"), "both@x.example", &on(&s)));
    }

    #[test]
    fn it_holds_at_any_depth_and_survives_a_cycle() {
        let l = lists(&[
            ("top", &[], &["mid"]),
            ("mid", &[], &["leaf", "top"]),
            ("leaf", &["deep@x.example"], &[]),
        ]);
        assert!(reaches(&l, &id("top"), "deep@x.example", &on(&[])));
        let s = [id("leaf")];
        assert!(!reaches(&l, &id("top"), "deep@x.example", &on(&s)));
        let s = [id("mid")];
        assert!(!reaches(&l, &id("top"), "deep@x.example", &on(&s)));
    }

    /// An include graph of up to 6 lists (`l0`…), each with some of 4 addresses and includes.
    pub(crate) fn graph() -> impl Strategy<Value = Vec<(Vec<usize>, Vec<usize>)>> {
        (1usize..6).prop_flat_map(|n| {
            proptest::collection::vec(
                (
                    proptest::collection::vec(0usize..4, 0..3),
                    proptest::collection::vec(0..n, 0..3),
                ),
                n,
            )
        })
    }

    pub(crate) fn build(g: &[(Vec<usize>, Vec<usize>)]) -> BTreeMap<ListId, List> {
        let names: Vec<String> = (0..g.len()).map(|i| format!("l{i}")).collect();
        let emails: Vec<String> = (0..4).map(|i| format!("p{i}@x.example")).collect();
        let spec: Vec<(Vec<&str>, Vec<&str>)> = g
            .iter()
            .map(|(m, inc)| {
                (
                    m.iter().map(|&i| emails[i].as_str()).collect(),
                    inc.iter().map(|&i| names[i].as_str()).collect(),
                )
            })
            .collect();
        let rows: Vec<(&str, &[&str], &[&str])> = names
            .iter()
            .zip(&spec)
            .map(|(n, (m, inc))| (n.as_str(), m.as_slice(), inc.as_slice()))
            .collect();
        lists(&rows)
    }

    /// All simple include paths from `from`, by brute force: the reference the walk must match.
    fn paths(
        l: &BTreeMap<ListId, List>,
        from: &ListId,
        path: &mut Vec<ListId>,
        out: &mut Vec<Vec<ListId>>,
    ) {
        path.push(from.clone());
        out.push(path.clone());
        for inc in &l[from].include {
            if !path.contains(&inc.value) {
                paths(l, &inc.value, path, out);
            }
        }
        path.pop();
    }

    proptest! {
        #[test]
        fn reaches_means_an_unsuppressed_chain_of_includes(
            g in graph(),
            suppressed in proptest::collection::vec(0usize..6, 0..3),
            list in 0usize..6,
            who in 0usize..4,
        ) {
            let l = build(&g);
            let list = id(&format!("l{}", list % g.len()));
            let key = format!("p{who}@x.example");
            let s: Vec<ListId> = suppressed.iter().map(|i| id(&format!("l{}", i % g.len()))).collect();
            let mut all = Vec::new();
            paths(&l, &list, &mut Vec::new(), &mut all);
            let expected = all.iter().any(|p| {
                p.iter().all(|x| !s.contains(x))
                    && l[p.last().unwrap()].members.iter().any(|m| m.email.key() == key)
            });
            prop_assert_eq!(reaches(&l, &list, &key, &on(&s)), expected);
            // With no suppression it is exactly the resolved membership.
            let mut d = crate::diag::Diagnostics::new();
            let resolved = crate::config::lists::resolve(l.values().cloned().collect(), &mut d);
            let member = resolved.members[&list].iter().any(|m| m.email.key() == key);
            prop_assert_eq!(reaches(&l, &list, &key, &on(&[])), member);
        }
    }
}
