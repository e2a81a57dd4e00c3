//! `bulletin person ADDRESS`: everything held about one address — the lists and the file:line
//! that names it, suppressions, deliveries, bounces, sign-ups and consent — as text or JSON (a
//! subject access request in one command). `--erase` removes it from the ledger, keeping a
//! suppression by keyed hash, and names the files an admin must still edit; `--lift` removes
//! that suppression again.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use crate::address::EmailAddress;
use crate::config::Project;
use crate::store::{PersonRecord, Suppression};

/// Where a project file names the address.
#[derive(Debug, Serialize)]
struct Place {
    list: String,
    /// `path:line` of the member (a CSV's line is the spreadsheet's row).
    at: String,
    /// The lists that reach this one through `include` (and so the address too).
    reached_through: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    address: &'a str,
    lists: Vec<Place>,
    suppressions: Vec<Suppression>,
    #[serde(flatten)]
    ledger: PersonRecord,
}

/// What the command was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Show { json: bool },
    Erase,
    Lift,
}

/// `person ADDRESS [--format F] [--erase | --lift]` as parsed.
pub async fn command(
    project: &Project,
    address: &str,
    (format, erase, lift): (super::TableOrJson, bool, bool),
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let action = match (erase, lift) {
        (true, _) => Action::Erase,
        (_, true) => Action::Lift,
        _ => Action::Show {
            json: format == super::TableOrJson::Json,
        },
    };
    run(project, address, action, clock).await
}

pub async fn run(
    project: &Project,
    address: &str,
    action: Action,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let email = EmailAddress::parse(address)
        .map_err(|e| anyhow::anyhow!("`{address}` is not an email address: {e}"))?;
    let store = super::ledger::open(project).await?;
    let hashes = crate::compose::signer(project)?.address_hashes(&email);
    let key = email.key();
    let places = places(project, &key);
    let mut out = std::io::stdout().lock();
    match action {
        Action::Show { json } => {
            let suppressions = store
                .suppressions()
                .await?
                .into_iter()
                .filter(|s| s.email_key == key || hashes.contains(&s.email_key))
                .collect();
            let report = Report {
                address: email.as_str(),
                lists: places,
                suppressions,
                ledger: store.person(&key).await?,
            };
            if json {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            } else {
                text(&mut out, project, &report)?;
            }
        }
        Action::Erase => {
            let erased = store.erase(&key, &hashes, clock.timestamp()).await?;
            writeln!(
                out,
                "{email}: erased from the ledger ({} deliveries kept without the address, {} bounces, {} sign-ups, {} suppressions, {} audit lines); a suppression by hash stops it being signed up again until `bulletin person {email} --lift`",
                erased.deliveries,
                erased.bounces,
                erased.signups,
                erased.suppressions,
                erased.events
            )?;
            if places.is_empty() {
                writeln!(out, "No project file names it.")?;
            } else {
                writeln!(
                    out,
                    "Still named in these files; remove it from each by hand:"
                )?;
                for p in &places {
                    writeln!(out, "  {}  (list {})", p.at, p.list)?;
                }
            }
        }
        Action::Lift => {
            let n = store.lift_erasure(&hashes, clock.timestamp()).await?;
            writeln!(out, "{email}: {n} erasure suppression(s) lifted")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every list file that names the address, with the lists that include it.
fn places(project: &Project, key: &str) -> Vec<Place> {
    let mut out = Vec::new();
    for l in project.lists.lists.values() {
        for m in l.members.iter().filter(|m| m.email.key() == key) {
            let at = m.origin.as_ref().map_or_else(
                || l.path.display().to_string(),
                |o| format!("{}:{}", o.path.display(), o.pos.line),
            );
            let reached_through = project
                .lists
                .lists
                .keys()
                .filter(|other| *other != &l.id)
                .filter(|other| {
                    project
                        .lists
                        .paths_to(other, key)
                        .iter()
                        .any(|p| p.last() == Some(&l.id))
                })
                .map(ToString::to_string)
                .collect();
            out.push(Place {
                list: l.id.to_string(),
                at,
                reached_through,
            });
        }
    }
    out
}

fn text(out: &mut impl Write, project: &Project, r: &Report<'_>) -> std::io::Result<()> {
    writeln!(out, "{}", r.address)?;
    writeln!(out, "Lists ({}):", r.lists.len())?;
    for p in &r.lists {
        let via = if p.reached_through.is_empty() {
            String::new()
        } else {
            format!(
                " (also on {} through include)",
                p.reached_through.join(", ")
            )
        };
        writeln!(out, "  {}  {}{via}", p.list, p.at)?;
    }
    writeln!(out, "Suppressions ({}):", r.suppressions.len())?;
    for s in &r.suppressions {
        writeln!(
            out,
            "  {}  since {}  {}",
            s.scope,
            project.local(s.created_at).to_rfc3339(),
            s.reason.as_deref().unwrap_or("")
        )?;
    }
    writeln!(out, "Deliveries ({}):", r.ledger.deliveries.len())?;
    for d in &r.ledger.deliveries {
        writeln!(
            out,
            "  {} {} ({})  {}",
            d.bulletin, d.issue_date, d.kind, d.state
        )?;
    }
    writeln!(out, "Bounces ({}):", r.ledger.bounces.len())?;
    for b in &r.ledger.bounces {
        writeln!(
            out,
            "  {}  {}  {}",
            project.local(b.received_at).to_rfc3339(),
            b.kind,
            b.detail.as_deref().unwrap_or("")
        )?;
    }
    writeln!(out, "Sign-ups and consent ({}):", r.ledger.signups.len())?;
    for s in &r.ledger.signups {
        let consent = match (s.confirmed_at, &s.notice_version) {
            (Some(t), Some(v)) => format!(
                "consented {} to privacy notice {v}",
                project.local(t).to_rfc3339()
            ),
            _ => "not confirmed".into(),
        };
        writeln!(
            out,
            "  {} to list {}  {}  from {}  {consent}",
            s.bulletin, s.list_id, s.state, s.source
        )?;
    }
    Ok(())
}
