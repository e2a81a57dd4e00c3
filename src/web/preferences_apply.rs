//! The changes a posted preferences form makes: suppressions in the ledger for bulletins
//! unticked (lifted when ticked again), rows appended to an open bulletin's CSV for one newly
//! ticked, and the name and organisation rewritten in the sign-up CSVs that hold the address.

use super::state::AppState;
use crate::config::Env;
use crate::store::{SuppressionHow, SuppressionScope};
use crate::token::Unsubscribe;

pub async fn apply(
    s: &AppState,
    u: &Unsubscribe,
    ticked: &[String],
    (name, agency): (Option<String>, Option<String>),
) -> anyhow::Result<()> {
    let live = s.live();
    let project = live.project.clone();
    let key = u.email.key();
    let now = s.clock.timestamp();
    let mut to_append = Vec::new();
    for (b, list) in crate::signup::open_bulletins(&project) {
        let scope = SuppressionScope::Bulletin(b.id.clone());
        let wants = ticked.iter().any(|t| t == b.id.as_str());
        let on = project
            .lists
            .union(&b.lists)
            .iter()
            .any(|m| m.email.key() == key);
        match (wants, on) {
            (false, true) => {
                s.store
                    .suppress_how(
                        &key,
                        &scope,
                        Some("preferences page"),
                        SuppressionHow::Link,
                        now,
                    )
                    .await?;
            }
            (true, true) => {
                s.store.unsuppress(&key, Some(&scope), now).await?;
            }
            (true, false) => to_append.extend(list.signup.as_ref().map(|c| c.csv.clone())),
            (false, false) => {}
        }
    }
    let Some(at) = now.to_utc() else {
        return Ok(());
    };
    let author = crate::project_edit::Author {
        name: "Preferences page".into(),
        email: project.settings.organisation.from.address.clone(),
    };
    let email = u.email.to_string();
    tokio::task::spawn_blocking(move || {
        write_files(
            &project,
            (&key, &email),
            &to_append,
            (name, agency),
            at,
            &author,
        )
    })
    .await?
}

/// The file side of a save: append to `to_append`, rewrite name and organisation in every
/// sign-up CSV that holds `key`.
fn write_files(
    project: &crate::config::Project,
    (key, email): (&str, &str),
    to_append: &[std::path::PathBuf],
    (name, agency): (Option<String>, Option<String>),
    at: chrono::DateTime<chrono::Utc>,
    author: &crate::project_edit::Author,
) -> anyhow::Result<()> {
    let env = Env::from_process();
    let (held_name, held_agency) = held(project, key);
    let name = name.filter(|n| !n.is_empty()).unwrap_or(held_name);
    let agency = agency.or(held_agency).filter(|a| !a.is_empty());
    for csv in to_append {
        crate::signup::append(
            project,
            &env,
            at,
            csv,
            (email, &name, agency.as_deref()),
            author,
        )?;
    }
    for l in project.lists.lists.values() {
        let Some(cfg) = &l.signup else { continue };
        let before = std::fs::read(&cfg.csv)?;
        let text = String::from_utf8_lossy(&before);
        if let Some(new) = crate::signup::renamed(&text, key, &name, agency.as_deref())
            && new != text
        {
            let msg = format!(
                "Lists: a subscriber changed their name or organisation in {}",
                l.id
            );
            crate::signup::rewrite(project, &env, at, (&cfg.csv, &before, new), author, &msg)?;
        }
    }
    Ok(())
}

/// The name and organisation the lists hold for `key` (the first list that names it): what the
/// preferences page shows and what a change is compared with.
pub(super) fn held(project: &crate::config::Project, key: &str) -> (String, Option<String>) {
    project
        .lists
        .lists
        .values()
        .flat_map(|l| l.members.iter())
        .find(|m| m.email.key() == key)
        .map(|m| {
            (
                m.name
                    .as_ref()
                    .map(|n| n.as_str().to_string())
                    .unwrap_or_default(),
                m.agency.clone(),
            )
        })
        .unwrap_or_default()
}
