//! Sending an issue: create it once (assembled, rendered and materialised into deliveries in
//! one transaction) or resume it from the ledger, then hand it to the delivery workers. The
//! stored rendering is what gets sent, so a resend after a crash is byte-for-byte the same.
//! [`Service`] is how the daemon and `bulletin send` both do it.

mod issues;
mod proofs;
mod recipients;
mod sender;
mod service;
mod transport;

use std::sync::Arc;

use crate::config::Project;
use crate::delivery::{RunSummary, Sender};
use crate::store::{IssueRow, StoreError};

pub use issues::{create_announcement, create_or_resume};
pub use proofs::{EditorsCopy, PROOF_PAGE_PREFIX, create_copy};
pub use recipients::{
    apply_list_suppressions, issue_lists, list_recipients, materialise, materialise_lists,
    send_rule,
};
pub use sender::{bounce_setup, sender};
pub use service::{Clearance, Ownership, Service};
pub use transport::transport;

/// Why a send could not run.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Compose(#[from] crate::compose::ComposeError),
    #[error(transparent)]
    Signer(#[from] crate::compose::SignerError),
    #[error("the stored rendering of issue {0} cannot be read: {1}")]
    Stored(i64, serde_json::Error),
    #[error("{0}")]
    Setup(String),
}

/// Run every due delivery of a stored issue.
pub async fn deliver(
    sender: &Arc<Sender>,
    project: &Project,
    row: &IssueRow,
    progress: Option<indicatif::ProgressBar>,
) -> Result<RunSummary, SendError> {
    let rendered = Arc::new(
        row.rendered
            .read()
            .map_err(|e| SendError::Stored(row.id, e))?,
    );
    let today = project.local(sender.clock.timestamp()).date_naive();
    Ok(sender
        .run(
            row,
            &rendered,
            &today.to_string(),
            send_rule(project, row),
            progress,
        )
        .await?)
}
