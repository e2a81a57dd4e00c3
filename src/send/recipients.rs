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
