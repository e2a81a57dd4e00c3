//! Each list's members after includes and suppressions, and how many of them each bulletin
//! reaches: what `bulletin lists` prints and the desk's lists page shows.

use crate::config::Project;

/// One row of `lists --format json`.
#[derive(Debug, serde::Serialize)]
pub struct ListRow {
    pub id: String,
    pub name: String,
    /// Members that mail sent to the list reaches (whole-address and list suppressions taken
    /// off).
    pub members: usize,
    /// Each bulletin that sends to this list (or to one that includes it), with how many of
    /// its members the bulletin reaches: fewer when some unsubscribed from that bulletin alone.
    pub bulletins: Vec<BulletinReach>,
    /// CSV rows that cannot be read and are not counted in `members`: each to fix by hand.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOutRow>,
}

/// A CSV row left out of a list, where a spreadsheet shows it.
#[derive(Debug, serde::Serialize)]
pub struct LeftOutRow {
    pub path: std::path::PathBuf,
    pub row: usize,
    pub problem: String,
    /// Whether the list skips it (`invalid_rows = "skip"`) or sending waits for the fix.
    pub skipped: bool,
}

/// How many of a list's members one bulletin will reach.
#[derive(Debug, serde::Serialize)]
pub struct BulletinReach {
    pub bulletin: String,
    pub reaches: usize,
}

/// Each list's members after includes, de-duplication and suppressions (of the whole address,
/// of that list, or of the lists through which alone it has them: [`crate::suppress_rule`]);
/// and for each bulletin whose lists are or include it, how many of its members that bulletin
/// reaches, as a send would: through any of the bulletin's lists, bulletin unsubscribes off.
pub fn list_rows(project: &Project, suppressions: &[crate::store::Suppression]) -> Vec<ListRow> {
    let rule = crate::suppress_rule::Suppressions::new(suppressions);
    let resolved = &project.lists;
    let on: std::collections::HashMap<&crate::ids::ListId, std::collections::HashSet<String>> =
        resolved
            .members
            .iter()
            .map(|(id, ms)| (id, ms.iter().map(|m| m.email.key()).collect()))
            .collect();
    // Whether mail sent to `list` reaches `key`.
    let reached = |list: &crate::ids::ListId, key: &String| {
        on.get(list).is_some_and(|keys| keys.contains(key))
            && rule.stopping(resolved, list, key).is_empty()
    };
    resolved
        .lists
        .values()
        .map(|l| {
            let keys: Vec<String> = resolved
                .members
                .get(&l.id)
                .into_iter()
                .flatten()
                .map(|m| m.email.key())
                .collect();
            let members = keys
                .iter()
                .filter(|key| rule.stopping(resolved, &l.id, key).is_empty())
                .count();
            let bulletins = project
                .settings
                .bulletins
                .iter()
                .filter(|b| {
                    b.lists
                        .iter()
                        .any(|x| crate::suppress_rule::covers(&resolved.lists, x, &l.id))
                })
                .map(|b| BulletinReach {
                    bulletin: b.id.to_string(),
                    reaches: keys
                        .iter()
                        .filter(|key| {
                            !rule.stops_sending(key, b.id.as_str())
                                && b.lists.iter().any(|x| reached(x, key))
                        })
                        .count(),
                })
                .collect();
            ListRow {
                id: l.id.to_string(),
                name: l.name.clone(),
                members,
                bulletins,
                left_out: l
                    .left_out
                    .iter()
                    .map(|d| LeftOutRow {
                        path: d.path.clone(),
                        row: d.pos.line,
                        problem: d.message.clone(),
                        skipped: l.invalid_rows == crate::config::lists::InvalidRows::Skip,
                    })
                    .collect(),
            }
        })
        .collect()
}
