//! `bulletin signups`: the confirmed sign-ups waiting for an admin (lists with
//! `signups = "review"`), and `signups accept|decline ADDRESS…`. Accepting appends the person
//! to the list's members CSV through [`crate::project_edit`]: refused, with `check`'s
//! diagnostics, when the changed project would not pass `check`.

use crate::store::SignupState;
use std::io::Write;
use std::process::ExitCode;

use crate::address::EmailAddress;
use crate::config::{Env, Project};
use crate::store::{SignupRow, Store};

/// What to do with the named sign-ups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Decline,
}

/// `bulletin signups [accept|decline ADDRESS…]`.
pub async fn run(
    p: &Project,
    action: Option<super::SignupsAction>,
    format: super::TableOrJson,
    c: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    use super::SignupsAction;
    match action {
        None => list(p, format == super::TableOrJson::Json).await,
        Some(SignupsAction::Accept { addresses }) => {
            decide(p, Decision::Accept, &addresses, c).await
        }
        Some(SignupsAction::Decline { addresses }) => {
            decide(p, Decision::Decline, &addresses, c).await
        }
    }
}

/// `bulletin signups` (every pending sign-up), as a table or JSON.
pub async fn list(project: &Project, json: bool) -> anyhow::Result<ExitCode> {
    let rows = super::ledger::open(project)
        .await?
        .signups(Some(SignupState::Pending))
        .await?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        writeln!(out, "No sign-ups are waiting for review.")?;
    }
    for r in &rows {
        let when = r
            .confirmed_at
            .map_or_else(String::new, |t| project.local(t).to_rfc3339());
        writeln!(
            out,
            "{}  {}  {}  list {}  confirmed {}  ({}, notice {})",
            r.email,
            r.name,
            r.agency.as_deref().unwrap_or("-"),
            r.list_id,
            when,
            r.source,
            r.notice_version.as_deref().unwrap_or("-"),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `bulletin signups accept|decline ADDRESS…`: each address's pending sign-ups, decided.
pub async fn decide(
    project: &Project,
    decision: Decision,
    addresses: &[String],
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let store = super::ledger::open(project).await?;
    let mut failed = false;
    for a in addresses {
        let email = EmailAddress::parse(a)
            .map_err(|e| anyhow::anyhow!("`{a}` is not an email address: {e}"))?;
        let pending: Vec<SignupRow> = store
            .signups_of(&email.key())
            .await?
            .into_iter()
            .filter(|r| r.state == SignupState::Pending.as_str())
            .collect();
        if pending.is_empty() {
            eprintln!("{email}: no sign-up is waiting for review");
            failed = true;
            continue;
        }
        for row in &pending {
            if let Err(e) = decide_one(project, &store, row, decision, clock).await {
                eprintln!("{email}: {e:#}");
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn decide_one(
    project: &Project,
    store: &Store,
    row: &SignupRow,
    decision: Decision,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<()> {
    let now = clock.timestamp();
    if decision == Decision::Decline {
        store
            .decide_signup(row.id, SignupState::Pending, SignupState::Declined, now)
            .await?;
        println!(
            "{}: declined (nothing was added to list {})",
            row.email, row.list_id
        );
        return Ok(());
    }
    let list = project
        .lists
        .lists
        .values()
        .find(|l| l.id.as_str() == row.list_id)
        .ok_or_else(|| anyhow::anyhow!("list `{}` no longer exists", row.list_id))?;
    let cfg = list.signup.as_ref().ok_or_else(|| {
        anyhow::anyhow!(
            "list `{}` no longer takes sign-ups (no `signups`)",
            row.list_id
        )
    })?;
    let user = crate::whoami::current();
    let author = crate::project_edit::Author {
        name: user.to_string(),
        email: project.settings.organisation.from.address.clone(),
    };
    let at = now.to_utc().unwrap_or_default();
    let person = (row.email.as_str(), row.name.as_str(), row.agency.as_deref());
    match crate::signup::append(project, &Env::from_process(), at, &cfg.csv, person, &author) {
        Ok(()) => {}
        Err(crate::signup::AppendError::Edit(crate::project_edit::EditError::Check(d))) => {
            for line in d.sorted().iter() {
                eprintln!("{line}");
            }
            anyhow::bail!("not added: the list would fail `bulletin check`");
        }
        Err(e) => return Err(e.into()),
    }
    store
        .decide_signup(row.id, SignupState::Pending, SignupState::Accepted, now)
        .await?;
    println!("{}: added to {}", row.email, cfg.csv.display());
    Ok(())
}
