//! Copies for the editors: proofs (scheduled or asked for by hand) and the notice that an
//! issue is held for approval, each with a banner saying what will happen.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::SendError;
use super::issues::created_at;
use super::recipients::materialise;
use crate::address::EmailAddress;
use crate::compose;
use crate::config::Project;
use crate::ids::{BulletinId, IssueOwner};
use crate::store::{IssueKind, IssueRow, NewDelivery, NewIssue, Store};
use crate::timestamp::Timestamp;

/// What the editors are sent: a copy of the issue through the same pipeline, to the given
/// addresses only, recorded under a kind of its own, never as the issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorsCopy {
    /// The scheduled proof of an issue (kind `proof`, once per issue).
    Proof,
    /// A proof asked for by hand (kind `proof:<time>:<n>`, `n` from the ledger's sequence of
    /// proofs, so every proof asked for is a new one however close together they come).
    TestProof,
    /// The notice that an issue is held for approval (kind `held`, once per held issue).
    HeldNotice,
}

impl EditorsCopy {
    fn subject_prefix(self) -> &'static str {
        match self {
            EditorsCopy::Proof | EditorsCopy::TestProof => "[Proof]",
            EditorsCopy::HeldNotice => "[Awaiting approval]",
        }
    }
}

/// The ledger's sequence that numbers proofs asked for by hand.
const TEST_PROOF_SEQUENCE: &str = "test-proof";

/// Find or create a copy of the issue of `bulletin` for `date` for the editors `to`.
pub async fn create_copy(
    project: &Project,
    store: &Store,
    bulletin: &BulletinId,
    date: NaiveDate,
    to: &[EmailAddress],
    what: EditorsCopy,
    now: Timestamp,
) -> Result<(IssueRow, bool), SendError> {
    let kind = match what {
        EditorsCopy::Proof => IssueKind::Proof,
        EditorsCopy::HeldNotice => IssueKind::HeldNotice,
        EditorsCopy::TestProof => IssueKind::TestProof {
            at: now.secs(),
            n: Some(store.next_in_sequence(TEST_PROOF_SEQUENCE).await?),
        },
    };
    let prefix = what.subject_prefix();
    if let Some(row) = store.find_issue(bulletin, date, kind).await? {
        return Ok((row, false));
    }
    let (mut issue, _) = compose::compose(project, bulletin, date)?;
    issue.subject = format!("{prefix} {}", issue.subject);
    let ctx = compose::context(project);
    let mut rendered = compose::render(project, &issue)?;
    rendered.set_date(&created_at(project, now));
    let page = random_hex()?;
    let proof_url = format!("{}/proof/{page}", project.settings.web.public_url);
    let note = proof_note(project, store, &issue, now).await?;
    let rendered = rendered
        .into_proof(&note, &ctx.web_url(&issue), &proof_url)
        .map_err(compose::ComposeError::from)?;
    let mut seen = BTreeSet::new();
    let deliveries = to
        .iter()
        .filter(|e| seen.insert(e.key()))
        .map(|e| NewDelivery {
            email: e.to_string(),
            email_key: e.key(),
            name: None,
            suppressed: false,
        })
        .collect();
    let new = NewIssue {
        owner: IssueOwner::Bulletin(bulletin.clone()),
        date,
        kind,
        subject: issue.subject.clone(),
        rendered: crate::store::StoredRendering::of(&rendered)
            .map_err(|e| SendError::Setup(e.to_string()))?,
        themes: issue.theme_tags(),
        deliveries,
    };
    let (row, created) = store.create_issue(&new, now).await?;
    if created {
        store
            .set_state(&format!("{PROOF_PAGE_PREFIX}{page}"), &row.id.to_string())
            .await?;
    }
    Ok((row, created))
}

/// The ledger key (in `daemon_state`) that maps a proof page's opaque id to its issue id.
pub const PROOF_PAGE_PREFIX: &str = "proof-page:";

/// 128 random bits as hex, from the operating system: a proof page's unguessable id.
fn random_hex() -> Result<String, SendError> {
    let mut seed = [0u8; 16];
    let mut f = std::fs::File::open("/dev/urandom")
        .map_err(|e| SendError::Setup(format!("no randomness: {e}")))?;
    std::io::Read::read_exact(&mut f, &mut seed)
        .map_err(|e| SendError::Setup(format!("no randomness: {e}")))?;
    Ok(seed.iter().map(|b| format!("{b:02x}")).collect())
}

/// The banner of a proof: when the issue goes, to how many people, what it carries, and how
/// to approve it (or that it needs no approval).
async fn proof_note(
    project: &Project,
    store: &Store,
    issue: &crate::issue::Issue,
    now: Timestamp,
) -> Result<crate::render::ProofNote, SendError> {
    let Some(b) = project.bulletin(&issue.bulletin_id) else {
        return Ok(crate::render::ProofNote::default());
    };
    if let Some(row) = store
        .find_issue(&b.id, issue.date, IssueKind::Issue)
        .await?
        && let Some(first) = store.first_sent(row.id).await?
    {
        return sent_note(project, store, &row, first).await;
    }
    let when = issue.scheduled.format("%A %-d %B %Y at %H:%M %Z");
    let people = materialise(project, b, &store.suppressions().await?)
        .iter()
        .filter(|d| !d.suppressed)
        .count();
    let lists: Vec<&str> = b.lists.iter().map(|l| l.as_str()).collect();
    let mut lines = vec![format!(
        "{} {when} to {people} {} (lists: {}).",
        if Timestamp::from(issue.scheduled) > now {
            "This issue goes on"
        } else {
            "This issue was due on"
        },
        if people == 1 { "person" } else { "people" },
        lists.join(", ")
    )];
    lines.push(if issue.sections.is_empty() {
        "It carries nothing yet: no news, campaigns or standing blocks for this date.".into()
    } else {
        format!("It carries: {}.", issue.summary())
    });
    let date = issue.date;
    if b.require_approval {
        match store.approval(&b.id, date).await? {
            Some(a) => lines.push(format!("Approved by {}.", a.by)),
            None => lines.push(format!(
                "It needs approval before it goes: run `bulletin approve {} --date {date}`.",
                b.id
            )),
        }
    } else {
        lines.push("It needs no approval: it goes automatically at that time.".into());
    }
    lines.push("The unsubscribe link in a proof does nothing.".into());
    Ok(crate::render::ProofNote { lines, sent: false })
}

/// The banner of a proof of an issue that has already gone: when it was sent, to how many
/// people (from the ledger), and what is still on its way.
async fn sent_note(
    project: &Project,
    store: &Store,
    row: &IssueRow,
    first_sent: Timestamp,
) -> Result<crate::render::ProofNote, SendError> {
    let c = store.counts(row.id).await?;
    let when = project
        .local(first_sent)
        .format("%A %-d %B %Y at %H:%M %Z")
        .to_string();
    let mut lines = vec![format!(
        "This issue was sent to {} {}, from {when} (issue {} in the ledger).",
        c.sent,
        if c.sent == 1 { "person" } else { "people" },
        row.id
    )];
    if c.open() > 0 {
        lines.push(format!(
            "{} more {} still on the way.",
            c.open(),
            if c.open() == 1 { "is" } else { "are" }
        ));
    }
    lines.push(
        "This copy is composed afresh; readers got the issue as it was stored when it was created."
            .into(),
    );
    lines.push("The unsubscribe link in a proof does nothing.".into());
    Ok(crate::render::ProofNote { lines, sent: true })
}
