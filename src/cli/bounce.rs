//! `bulletin bounce`: one message on stdin, as an MTA's alias or pipe hands it over. Exit 0
//! whether it was recorded or ignored, so the MTA never bounces a bounce; 75 (EX_TEMPFAIL)
//! when the ledger or the settings cannot be used right now, so the MTA keeps the message and
//! tries again later.

use std::io::Read;
use std::process::ExitCode;

use crate::bounce;
use crate::config::Project;
use crate::store::{OpenMode, Store};

/// sysexits.h EX_TEMPFAIL: "try again later" to Postfix, Exim and sendmail alike.
pub const EX_TEMPFAIL: u8 = 75;

/// How much of a message is read: reports put their status part first, and a bounce quoting a
/// huge original should not hold memory.
const MAX_MESSAGE: u64 = 10 * 1024 * 1024;

/// The envelope recipient the MTA delivered to: `--recipient`, else what Postfix's local and
/// pipe deliveries export (`ORIGINAL_RECIPIENT`, `RECIPIENT`).
fn envelope_recipient(given: Option<String>) -> Option<String> {
    given
        .or_else(|| std::env::var("ORIGINAL_RECIPIENT").ok())
        .or_else(|| std::env::var("RECIPIENT").ok())
        .filter(|r| !r.trim().is_empty())
}

pub async fn run(
    project: &Project,
    recipient: Option<String>,
    clock: &dyn crate::clock::Clock,
) -> anyhow::Result<ExitCode> {
    let mut message = Vec::new();
    let mut stdin = std::io::stdin().lock();
    (&mut stdin).take(MAX_MESSAGE).read_to_end(&mut message)?;
    // Drain the rest so the MTA's pipe never sees a broken pipe.
    std::io::copy(&mut stdin, &mut std::io::sink())?;
    let Some(b) = &project.settings.bounces else {
        tracing::warn!(
            "a message was piped to `bulletin bounce` but [bounces] is not configured; ignored"
        );
        println!("ignored: [bounces] is not configured in bulletin.toml");
        return Ok(ExitCode::SUCCESS);
    };
    let signer = match crate::compose::signer(project) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot check bounce signatures; the MTA will retry");
            hint_the_pipe_user(project);
            return Ok(ExitCode::from(EX_TEMPFAIL));
        }
    };
    let verp = bounce::Verp::new(&b.address, signer.secrets());
    // Never a new ledger: one made here would not hold the delivery, and the bounce would be
    // dropped. Without the ledger, the MTA keeps the message until it is there.
    let store = match Store::open_with(&project.settings.database, OpenMode::Existing).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the ledger; the MTA will retry");
            hint_the_pipe_user(project);
            return Ok(ExitCode::from(EX_TEMPFAIL));
        }
    };
    let recipient = envelope_recipient(recipient);
    let outcome = bounce::ingest(
        &store,
        &verp,
        &signer,
        b.policy(),
        message,
        recipient.as_deref(),
        clock.timestamp(),
    )
    .await;
    match outcome {
        Ok(o) => {
            bounce::log(&o);
            println!("{}", bounce::summary(&o));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot record the bounce; the MTA will retry");
            Ok(ExitCode::from(EX_TEMPFAIL))
        }
    }
}

/// When the ledger belongs to another user than this process, say so: the usual cause is an
/// MTA pipe that runs as `nobody` (an /etc/aliases entry), which no file mode should fix.
fn hint_the_pipe_user(project: &Project) {
    let crate::config::DatabaseUrl::Sqlite(path) = &project.settings.database else {
        return;
    };
    // A ledger folder of mode 0700 hides the ledger from others: its folder's owner tells.
    let owner =
        crate::whoami::owner_of(path).or_else(|| path.parent().and_then(crate::whoami::owner_of));
    if let Some(hint) = pipe_user_hint(&crate::whoami::current(), owner.as_ref()) {
        tracing::error!("{hint}");
    }
}

/// The advice when `bulletin bounce` runs as `runs_as` and the ledger is `owner`'s: none when
/// they are the same user (or the owner is unknown).
fn pipe_user_hint(
    runs_as: &crate::whoami::User,
    owner: Option<&crate::whoami::User>,
) -> Option<String> {
    let owner = owner?;
    if owner.uid.is_some() && owner.uid == runs_as.uid {
        return None;
    }
    let name = owner.sudo_name()?;
    Some(format!(
        "`bulletin bounce` runs as {runs_as}, but the ledger belongs to {owner}: deliver bounces through a Postfix pipe transport with user={name} (README, \"Bounces\"); an /etc/aliases pipe runs as nobody or the alias file's owner and cannot use the ledger"
    ))
}

/// `bulletin bounce --imap`: one pass over the configured mailbox; exit 1 if it failed.
pub async fn imap(project: &Project, clock: &dyn crate::clock::Clock) -> anyhow::Result<ExitCode> {
    let Some(b) = &project.settings.bounces else {
        anyhow::bail!("[bounces] is not configured");
    };
    let Some(m) = &b.imap else {
        anyhow::bail!("[bounces.imap] is not configured");
    };
    let signer = crate::compose::signer(project)?;
    let verp = bounce::Verp::new(&b.address, signer.secrets());
    let store = Store::open_with(&project.settings.database, OpenMode::Existing).await?;
    let s = bounce::imap::poll_once(m, &store, &verp, &signer, b.policy(), clock).await?;
    let unsubscribed = if s.unsubscribed > 0 {
        format!(", {} unsubscribe request(s)", s.unsubscribed)
    } else {
        String::new()
    };
    println!(
        "{}: {} message(s) read, {} bounce(s) recorded, {} ignored, {} left for a person{unsubscribed}",
        m.folder, s.read, s.recorded, s.ignored, s.left
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whoami::User;

    fn user(uid: u32, name: &str) -> User {
        User {
            uid: Some(uid),
            name: Some(name.into()),
        }
    }

    #[test]
    fn the_hint_names_the_ledger_owner_as_the_pipe_user() {
        let hint = pipe_user_hint(&user(65534, "nobody"), Some(&user(999, "bulletin"))).unwrap();
        assert!(hint.contains("runs as nobody (uid 65534)"), "{hint}");
        assert!(hint.contains("user=bulletin"), "{hint}");
        assert_eq!(
            pipe_user_hint(&user(999, "bulletin"), Some(&user(999, "bulletin"))),
            None
        );
        assert_eq!(pipe_user_hint(&user(999, "bulletin"), None), None);
    }
}
