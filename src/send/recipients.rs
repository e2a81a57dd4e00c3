//! Who an issue goes to: the members of its lists, once each, marked where a suppression
//! applies.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::config::Project;
use crate::config::lists::ResolvedLists;
use crate::delivery::Skip;
use crate::ids::{IssueOwner, ListId};
use crate::store::{IssueRow, NewDelivery, SuppressionScope};
use crate::suppress_rule::Suppressions;

/// Everyone the bulletin goes to, once each (case-insensitive), in list order; each marked
/// suppressed when they asked not to receive it: everything, this bulletin, or every list through
/// which they would receive it ([`crate::suppress_rule::skips`]).
pub fn materialise(
    project: &Project,
    bulletin: &crate::config::Bulletin,
    suppressions: &[crate::store::Suppression],
) -> Vec<NewDelivery> {
    let owner = IssueOwner::Bulletin(bulletin.id.clone());
    materialise_lists(project, &bulletin.lists, &owner, suppressions)
}

/// [`materialise`] for any lists; `owner` is the bulletin (or campaign) whose `bulletin:<id>`
/// suppressions apply.
pub fn materialise_lists(
    project: &Project,
    lists: &[ListId],
    owner: &IssueOwner,
    suppressions: &[crate::store::Suppression],
) -> Vec<NewDelivery> {
    deliveries(&project.lists, lists, owner, suppressions)
}

/// The members of `lists` once each, in list order, marked as the rule says.
fn deliveries(
    resolved: &ResolvedLists,
    lists: &[ListId],
    owner: &IssueOwner,
    suppressions: &[crate::store::Suppression],
) -> Vec<NewDelivery> {
    let rule = Suppressions::new(suppressions);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for list in lists {
        for m in resolved.members.get(list).into_iter().flatten() {
            let key = m.email.key();
            if seen.insert(key.clone()) {
                out.push(NewDelivery {
                    email: m.email.to_string(),
                    suppressed: rule.skips(resolved, lists, owner, &key),
                    email_key: key,
                    name: m.name.as_ref().map(|n| n.to_string()),
                });
            }
        }
    }
    out
}

/// The rule a send of `row` asks about the addresses suppressed since it was created: the one
/// issue creation marked its deliveries with ([`crate::suppress_rule::skips`]), with the lists
/// the files now give the issue (none for a proof sent by hand to given addresses).
pub fn send_rule(project: &Project, row: &IssueRow) -> Skip {
    let lists = issue_lists(project, row.kind, &row.bulletin).unwrap_or_default();
    rule_for(Arc::new(project.lists.clone()), lists, row.bulletin.clone())
}

/// The rule for mail of `owner` sent to `lists`, as the delivery workers ask it.
fn rule_for(resolved: Arc<ResolvedLists>, lists: Vec<ListId>, owner: IssueOwner) -> Skip {
    Arc::new(move |key: &str, scopes: &[&SuppressionScope]| {
        crate::suppress_rule::skips(&resolved, &lists, &owner, key, scopes)
    })
}

/// Everyone mail sent to `list` reaches (after includes), less those a whole-address or
/// list-scoped suppression stops there: the editors a proof or held notice goes to.
pub fn list_recipients(
    project: &Project,
    list: &crate::ids::ListId,
    suppressions: &[crate::store::Suppression],
) -> Vec<crate::address::EmailAddress> {
    let rule = Suppressions::new(suppressions);
    project
        .lists
        .members
        .get(list)
        .into_iter()
        .flatten()
        .filter(|m| {
            rule.stopping(&project.lists, list, &m.email.key())
                .is_empty()
        })
        .map(|m| m.email.clone())
        .collect()
}

/// The lists an issue row went to, by its kind: the bulletin's lists, the campaign's announce
/// lists, or the editors for a proof or held notice. `None` for a proof sent by hand to
/// addresses given on the command line (no list), or when the files no longer name it.
pub fn issue_lists(
    project: &Project,
    kind: crate::store::IssueKind,
    owner: &crate::ids::IssueOwner,
) -> Option<Vec<crate::ids::ListId>> {
    let bulletin = owner.as_str();
    use crate::store::IssueKind;
    match kind {
        IssueKind::Issue => project.bulletin(bulletin).map(|b| b.lists.clone()),
        IssueKind::Announcement => project
            .campaign(bulletin)
            .and_then(|c| c.announce.as_ref())
            .map(|a| a.lists.iter().map(|l| l.value.clone()).collect()),
        IssueKind::Proof | IssueKind::HeldNotice => project
            .bulletin(bulletin)
            .and_then(|b| b.editors.clone())
            .map(|e| vec![e]),
        IssueKind::TestProof { .. } => None,
    }
}

/// After a list-scoped suppression of `key`: its deliveries still to be attempted in issues
/// already created are suppressed where the rule now stops them, so it takes effect at once,
/// as it would at the next send of each issue. Returns how many deliveries were suppressed.
pub async fn apply_list_suppressions(
    project: &Project,
    store: &crate::store::Store,
    key: &str,
    now: crate::timestamp::Timestamp,
) -> Result<u64, crate::store::StoreError> {
    let suppressions = store.suppressions().await?;
    let rule = Suppressions::new(&suppressions);
    let mut n = 0;
    for st in store.status().await? {
        if st.issue == 0 || st.deliveries.pending + st.deliveries.deferred == 0 {
            continue;
        }
        let Some(lists) = issue_lists(project, st.kind, &st.bulletin) else {
            continue;
        };
        if rule.skips(&project.lists, &lists, &st.bulletin, key) {
            n += store.suppress_deliveries(st.issue, &[key], now).await?;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::BulletinId;
    use crate::store::{Suppression, SuppressionHow};
    use crate::suppress_rule::tests::{build, graph};
    use crate::timestamp::Timestamp;
    use proptest::prelude::*;

    /// A suppression of person `who` (of the 4 `graph` uses): everything, a list of the graph,
    /// or a bulletin (`news` or `other`).
    fn suppression() -> impl Strategy<Value = (usize, usize, usize)> {
        (0usize..4, 0usize..3, 0usize..6)
    }

    proptest! {
        /// Issue creation marks a delivery suppressed exactly when a send, starting from the
        /// same deliveries all pending and asking the rule about the ledger's suppressions of
        /// each address, would suppress it: one rule, whichever path applies it.
        #[test]
        fn creation_and_sending_skip_the_same_people(
            g in graph(),
            sent_to in proptest::collection::vec(0usize..6, 1..3),
            made in proptest::collection::vec(suppression(), 0..6),
        ) {
            let mut d = crate::diag::Diagnostics::new();
            let resolved = crate::config::lists::resolve(build(&g).into_values().collect(), &mut d);
            let list = |i: usize| ListId::parse(&format!("l{}", i % g.len())).unwrap();
            let lists: Vec<ListId> = sent_to.iter().map(|&i| list(i)).collect();
            let owner = IssueOwner::Bulletin(BulletinId::parse("news").unwrap());
            let suppressions: Vec<Suppression> = made
                .iter()
                .map(|&(who, kind, which)| Suppression {
                    email_key: format!("p{who}@x.example"),
                    scope: match kind {
                        0 => SuppressionScope::All,
                        1 => SuppressionScope::List(list(which)),
                        _ => SuppressionScope::Bulletin(
                            BulletinId::parse(if which % 2 == 0 { "news" } else { "other" }).unwrap(),
                        ),
                    },
                    reason: None,
                    created_at: Timestamp::default(),
                    how: SuppressionHow::Admin,
                })
                .collect();

            let created = deliveries(&resolved, &lists, &owner, &suppressions);
            let skip = rule_for(Arc::new(resolved.clone()), lists.clone(), owner.clone());
            let sent = deliveries(&resolved, &lists, &owner, &[]);
            prop_assert_eq!(created.len(), sent.len());
            for (c, s) in created.iter().zip(&sent) {
                prop_assert_eq!(&c.email_key, &s.email_key);
                prop_assert!(!s.suppressed);
                let scopes: Vec<&SuppressionScope> = suppressions
                    .iter()
                    .filter(|x| x.email_key == s.email_key)
                    .map(|x| &x.scope)
                    .collect();
                prop_assert_eq!(c.suppressed, skip(&s.email_key, &scopes), "{}", c.email_key);
            }
        }
    }
}
