//! Who an issue goes to: the members of its lists, once each, marked where a suppression
//! applies.

use std::collections::BTreeMap;

use crate::config::Project;
use crate::store::{NewDelivery, SuppressionScope};

/// Everyone the bulletin goes to, once each (case-insensitive), in list order; each marked
/// suppressed when they asked not to receive it: everything, this bulletin, or every list through
/// which they would receive it.
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
    let mut scopes: BTreeMap<&str, Vec<&SuppressionScope>> = BTreeMap::new();
    for s in suppressions {
        scopes
            .entry(s.email_key.as_str())
            .or_default()
            .push(&s.scope);
    }
    let mut order: Vec<String> = Vec::new();
    let mut found: BTreeMap<String, (NewDelivery, bool)> = BTreeMap::new();
    for list in lists {
        for m in project.lists.members.get(list).into_iter().flatten() {
            let key = m.email.key();
            let s = scopes.get(key.as_str());
            let reachable = !s.is_some_and(|s| {
                s.iter()
                    .any(|sc| matches!(sc, SuppressionScope::List(l) if l == list))
            });
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
            let s = scopes.get(k.as_str());
            d.suppressed = !reachable
                || s.is_some_and(|s| {
                    s.iter().any(|sc| match sc {
                        SuppressionScope::All => true,
                        SuppressionScope::Bulletin(b) => b.as_str() == scope_id,
                        SuppressionScope::List(_) => false,
                    })
                });
            d
        })
        .collect()
}
