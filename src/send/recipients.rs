//! Who an issue goes to: the members of its lists, once each, marked where a suppression
//! applies.

use std::collections::BTreeMap;

use crate::config::Project;
use crate::store::NewDelivery;
use crate::suppress_rule::Suppressions;

/// Everyone the bulletin goes to, once each (case-insensitive), in list order; each marked
/// suppressed when they asked not to receive it: everything, this bulletin, or every list through
/// which they would receive it ([`crate::suppress_rule`]).
pub fn materialise(
    project: &Project,
    bulletin: &crate::config::Bulletin,
    suppressions: &[crate::store::Suppression],
) -> Vec<NewDelivery> {
    materialise_lists(project, &bulletin.lists, bulletin.id.as_str(), suppressions)
}

/// [`materialise`] for any lists; `scope_id` is the bulletin (or campaign) whose
/// `bulletin:<id>` suppressions apply.
pub fn materialise_lists(
    project: &Project,
    lists: &[crate::ids::ListId],
    scope_id: &str,
    suppressions: &[crate::store::Suppression],
) -> Vec<NewDelivery> {
    let rule = Suppressions::new(suppressions);
    let mut order: Vec<String> = Vec::new();
    let mut found: BTreeMap<String, (NewDelivery, bool)> = BTreeMap::new();
    for list in lists {
        for m in project.lists.members.get(list).into_iter().flatten() {
            let key = m.email.key();
            let reachable = !rule.off_list(&project.lists, list, &key);
            let entry = found.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                (
                    NewDelivery {
                        email: m.email.to_string(),
                        email_key: key.clone(),
                        name: m.name.as_ref().map(|n| n.to_string()),
                        suppressed: false,
                    },
                    false,
                )
            });
            entry.1 |= reachable;
        }
    }
    order
        .into_iter()
        .map(|k| {
            let (mut d, reachable) = found.remove(&k).expect("inserted above");
            d.suppressed = !reachable || rule.stops_sending(&k, scope_id);
            d
        })
        .collect()
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
    bulletin: &str,
) -> Option<Vec<crate::ids::ListId>> {
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
/// already created are suppressed where the rule now stops them (it is on some of the issue's
/// lists, and each of them no longer reaches it), so it takes effect before the next attempt
/// as whole-address and bulletin suppressions do. Returns how many deliveries were suppressed.
pub async fn apply_list_suppressions(
    project: &Project,
    store: &crate::store::Store,
    key: &str,
    now: i64,
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
        let on: Vec<&crate::ids::ListId> = lists
            .iter()
            .filter(|l| {
                project
                    .lists
                    .members
                    .get(*l)
                    .is_some_and(|ms| ms.iter().any(|m| m.email.key() == key))
            })
            .collect();
        if !on.is_empty() && on.iter().all(|l| rule.off_list(&project.lists, l, key)) {
            n += store.suppress_delivery(st.issue, key, now).await?;
        }
    }
    Ok(n)
}
