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

pub async fn run(project: &Project, recipient: Option<String>) -> anyhow::Result<ExitCode> {
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
            return Ok(ExitCode::from(EX_TEMPFAIL));
        }
    };
    let recipient = envelope_recipient(recipient);
    let outcome = bounce::ingest(
        &store,
        &verp,
        b.policy(),
        message,
        recipient.as_deref(),
        crate::clock::SystemClock::utc().timestamp(),
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

/// `bulletin bounce --imap`: one pass over the configured mailbox; exit 1 if it failed.
pub async fn imap(project: &Project) -> anyhow::Result<ExitCode> {
    let Some(b) = &project.settings.bounces else {
        anyhow::bail!("[bounces] is not configured");
    };
    let Some(m) = &b.imap else {
        anyhow::bail!("[bounces.imap] is not configured");
    };
    let signer = crate::compose::signer(project)?;
    let verp = bounce::Verp::new(&b.address, signer.secrets());
    let store = Store::open_with(&project.settings.database, OpenMode::Existing).await?;
    let s = bounce::imap::poll_once(m, &store, &verp, b.policy()).await?;
    println!(
        "{}: {} message(s) read, {} bounce(s) recorded, {} ignored, {} left for a person",
        m.folder, s.read, s.recorded, s.ignored, s.left
    );
    Ok(ExitCode::SUCCESS)
}
