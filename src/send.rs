//! Sending an issue: create it once (assembled, rendered and materialised into deliveries in
//! one transaction) or resume it from the ledger, then hand it to the delivery workers. The
//! stored rendering is what gets sent, so a resend after a crash is byte-for-byte the same.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::NaiveDate;

use crate::address::EmailAddress;
use crate::config::{Project, TransportKind};
use crate::delivery::{Backoff, Clock, Limits, RunSummary, Sender, Transport, smtp::SmtpTarget};
use crate::render::{Context, Rendered};
use crate::secret::Secret;
use crate::store::{
    IssueKind, IssueRow, NewDelivery, NewIssue, Store, StoreError, SuppressionScope,
};
use crate::token::Signer;

/// Why a send could not run.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Preview(#[from] crate::preview::PreviewError),
    #[error("the stored rendering of issue {0} cannot be read: {1}")]
    Stored(i64, serde_json::Error),
    #[error("{0}")]
    Setup(String),
}

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

/// The unsubscribe signer. Real mail needs a configured secret (`check` insists); for the
/// outbox a secret is made once and kept in `data/unsubscribe.secret`, so links keep working.
pub fn signer(project: &Project) -> Result<Signer, SendError> {
    let u = &project.settings.unsubscribe;
    if let Some(s) = &u.secret {
        let mut signer = Signer::new(&u.key_id, s.clone());
        for (id, old) in &u.retired {
            signer = signer.with_retired(id, old.clone());
        }
        return Ok(signer);
    }
    if project.settings.transport.kind.sends_real_mail() {
        return Err(SendError::Setup(
            "no unsubscribe secret: set BULLETIN_UNSUBSCRIBE_SECRET or [unsubscribe] secret_file"
                .into(),
        ));
    }
    let path = project.root.join("data/unsubscribe.secret");
    Ok(Signer::new(&u.key_id, local_secret(&path)?))
}

fn local_secret(path: &Path) -> Result<Secret, SendError> {
    if let Ok(s) = std::fs::read_to_string(path)
        && s.trim().len() >= 32
    {
        return Ok(Secret::new(s.trim().to_string()));
    }
    use sha2::{Digest, Sha256};
    // 256 bits from the operating system's random source.
    let mut seed = [0u8; 32];
    let mut f = std::fs::File::open("/dev/urandom")
        .map_err(|e| SendError::Setup(format!("no randomness for a secret: {e}")))?;
    std::io::Read::read_exact(&mut f, &mut seed)
        .map_err(|e| SendError::Setup(format!("no randomness for a secret: {e}")))?;
    let hex: String = Sha256::digest(seed)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if let Some(dir) = path.parent() {
        crate::private::create_dir_all(dir)
            .map_err(|e| SendError::Setup(format!("cannot create {}: {e}", dir.display())))?;
    }
    // 0600 from the moment it exists: never readable by anyone else, even for an instant.
    crate::private::write_atomically(path, hex.as_bytes())
        .map_err(|e| SendError::Setup(format!("cannot write {}: {e}", path.display())))?;
    Ok(Secret::new(hex))
}

/// The transport the settings describe.
pub fn transport(project: &Project) -> Result<Transport, SendError> {
    Ok(match &project.settings.transport.kind {
        TransportKind::Outbox { dir } => Transport::Outbox(dir.clone()),
        TransportKind::Sendmail { path } => Transport::Sendmail(path.clone()),
        TransportKind::Smtp(relay) => {
            let ca_pem = match &relay.tls_ca_file {
                Some(p) => Some(std::fs::read(p).map_err(|e| {
                    SendError::Setup(format!("cannot read tls_ca_file {}: {e}", p.display()))
                })?),
                None => None,
            };
            Transport::Smtp(SmtpTarget {
                relay: relay.clone(),
                ca_pem,
                connect_timeout: std::time::Duration::from_secs(30),
                command_timeout: std::time::Duration::from_secs(120),
                hello: project
                    .settings
                    .organisation
                    .from
                    .address
                    .domain()
                    .to_string(),
            })
        }
    })
}

/// VERP return paths and the soft-bounce policy, when `[bounces]` is configured.
pub fn bounce_setup(project: &Project, signer: &Signer) -> Option<crate::delivery::BounceSetup> {
    let b = project.settings.bounces.as_ref()?;
    Some(crate::delivery::BounceSetup {
        verp: crate::bounce::Verp::new(&b.address, signer.secrets()),
        policy: b.soft_policy(),
    })
}

/// Build the sender for a project.
pub fn sender(
    project: &Project,
    store: Store,
    owner: &str,
    clock: Arc<dyn Clock>,
    stopping: Arc<AtomicBool>,
) -> Result<Arc<Sender>, SendError> {
    let t = &project.settings.transport;
    let signer = signer(project)?;
    Ok(Arc::new(Sender {
        store,
        transport: transport(project)?,
        bounces: bounce_setup(project, &signer),
        dkim: match &project.settings.dkim {
            Some(d) => Some(Arc::new(
                crate::render::dkim::DkimSigner::from_pem(
                    &d.domain,
                    &d.selector,
                    d.private_key.expose().as_bytes(),
                )
                .map_err(|e| SendError::Setup(e.to_string()))?,
            )),
            None => None,
        },
        signer,
        from: project.settings.organisation.from.address.clone(),
        limits: Limits {
            connections: t.connections,
            max_per_minute: t.max_per_minute,
            max_per_day: t.max_per_day,
            backoff: Backoff {
                first_secs: i64::from(t.retry_first_minutes) * 60,
                max_secs: i64::from(t.retry_max_minutes) * 60,
            },
            max_age_secs: i64::from(t.max_age_hours) * 3600,
            lease_secs: i64::from(project.settings.lease_seconds),
            ..Limits::default()
        },
        owner: owner.to_string(),
        clock,
        stopping,
    }))
}

/// `now` (Unix seconds) in the organisation's time zone: the Date of an issue created now.
fn created_at(project: &Project, now: i64) -> chrono::DateTime<chrono_tz::Tz> {
    chrono::DateTime::from_timestamp(now, 0)
        .unwrap_or_default()
        .with_timezone(&project.settings.organisation.time_zone)
}

/// Find or create the issue of `bulletin` for `date` (kind `issue`).
pub async fn create_or_resume(
    project: &Project,
    store: &Store,
    bulletin: &str,
    date: NaiveDate,
    now: i64,
) -> Result<(IssueRow, bool), SendError> {
    if let Some(row) = store.find_issue(bulletin, date, IssueKind::Issue).await? {
        return Ok((row, false));
    }
    let (issue, mut rendered) = crate::preview::render(project, bulletin, date)?;
    if project.settings.reach.count_clicks {
        rendered = rendered
            .count_clicks(&issue)
            .map_err(crate::preview::PreviewError::from)?;
    }
    rendered.set_date(&created_at(project, now));
    let b = project.bulletin(bulletin).expect("render found it");
    let suppressions = store.suppressions().await?;
    let new = NewIssue {
        bulletin: bulletin.to_string(),
        date,
        kind: IssueKind::Issue,
        subject: issue.subject.clone(),
        rendered: serde_json::to_string(&rendered).map_err(|e| SendError::Setup(e.to_string()))?,
        themes: issue.theme_tags(),
        deliveries: materialise(project, b, &suppressions),
    };
    Ok(store.create_issue(&new, now).await?)
}

/// A proof: the issue through the same pipeline to the given addresses only, recorded as a
/// proof (kind `proof:<time>`), never as the issue.
pub async fn create_proof(
    project: &Project,
    store: &Store,
    bulletin: &str,
    date: NaiveDate,
    to: &[EmailAddress],
    now: i64,
) -> Result<IssueRow, SendError> {
    let kind = IssueKind::TestProof { at: now };
    Ok(
        create_proof_kind(project, store, bulletin, date, to, kind, now)
            .await?
            .0,
    )
}

/// A proof recorded under `kind`: `proof` for the scheduled proof of an issue (once per issue),
/// `proof:<time>` for one asked for by hand.
pub async fn create_proof_kind(
    project: &Project,
    store: &Store,
    bulletin: &str,
    date: NaiveDate,
    to: &[EmailAddress],
    kind: IssueKind,
    now: i64,
) -> Result<(IssueRow, bool), SendError> {
    create_copy(project, store, bulletin, date, to, kind, "[Proof]", now).await
}

/// The editors' notice that an issue is held for approval: the issue as a proof, subject
/// `[Awaiting approval]`, once per held issue (kind `held`).
pub async fn create_held_notice(
    project: &Project,
    store: &Store,
    bulletin: &str,
    date: NaiveDate,
    to: &[EmailAddress],
    now: i64,
) -> Result<(IssueRow, bool), SendError> {
    create_copy(
        project,
        store,
        bulletin,
        date,
        to,
        IssueKind::HeldNotice,
        "[Awaiting approval]",
        now,
    )
    .await
}

/// A copy of the issue for the editors (a proof or a held notice), recorded under `kind`.
#[allow(clippy::too_many_arguments)]
async fn create_copy(
    project: &Project,
    store: &Store,
    bulletin: &str,
    date: NaiveDate,
    to: &[EmailAddress],
    kind: IssueKind,
    prefix: &str,
    now: i64,
) -> Result<(IssueRow, bool), SendError> {
    if let Some(row) = store.find_issue(bulletin, date, kind).await? {
        return Ok((row, false));
    }
    let (mut issue, _) = crate::preview::render(project, bulletin, date)?;
    issue.subject = format!("{prefix} {}", issue.subject);
    let css = crate::preview::stylesheet(project)?;
    let ctx = Context {
        organisation: &project.settings.organisation,
        public_url: &project.settings.web.public_url,
        css: &css,
    };
    let mut rendered = Rendered::new(&issue, &ctx).map_err(crate::preview::PreviewError::from)?;
    rendered.set_date(&created_at(project, now));
    let page = random_hex()?;
    let proof_url = format!("{}/proof/{page}", project.settings.web.public_url);
    let note = proof_note(project, store, &issue, now).await?;
    let rendered = rendered
        .into_proof(&note, &ctx.web_url(&issue), &proof_url)
        .map_err(crate::preview::PreviewError::from)?;
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
        bulletin: bulletin.to_string(),
        date,
        kind,
        subject: issue.subject.clone(),
        rendered: serde_json::to_string(&rendered).map_err(|e| SendError::Setup(e.to_string()))?,
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
    now: i64,
) -> Result<crate::render::ProofNote, SendError> {
    let Some(b) = project.bulletin(&issue.bulletin_id) else {
        return Ok(crate::render::ProofNote::default());
    };
    let when = issue.scheduled.format("%A %-d %B %Y at %H:%M %Z");
    let people = materialise(project, b, &store.suppressions().await?)
        .iter()
        .filter(|d| !d.suppressed)
        .count();
    let lists: Vec<&str> = b.lists.iter().map(|l| l.as_str()).collect();
    let mut lines = vec![format!(
        "{} {when} to {people} {} (lists: {}).",
        if issue.scheduled.timestamp() > now {
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
    Ok(crate::render::ProofNote { lines })
}

/// A campaign's announcement for the occurrence starting on `start`: a short message of its own
/// to the announce lists, once per occurrence (kind `announce`, keyed by campaign and start).
pub async fn create_announcement(
    project: &Project,
    store: &Store,
    campaign: &str,
    start: NaiveDate,
    now: i64,
) -> Result<Option<(IssueRow, bool)>, SendError> {
    use crate::issue::{CampaignsSection, Issue, Section, SectionBody};
    let Some(c) = project.campaign(campaign) else {
        return Ok(None);
    };
    let Some(announce) = &c.announce else {
        return Ok(None);
    };
    if let Some(row) = store
        .find_issue(campaign, start, IssueKind::Announcement)
        .await?
    {
        return Ok(Some((row, false)));
    }
    let tz = project.settings.organisation.time_zone;
    let cal = crate::calendar::Calendar::new(&project.campaigns, tz);
    let Some(occ) = cal
        .between(start, start)
        .into_iter()
        .find(|o| o.campaign.as_str() == campaign && o.start == start)
    else {
        return Ok(None);
    };
    let when = crate::calendar::human::when(&occ);
    let Some(entry) =
        crate::issue::campaign_entry(project, campaign, &[occ], chrono::Datelike::year(&start))
    else {
        return Ok(None);
    };
    let issue = Issue {
        bulletin_id: campaign.to_string(),
        bulletin_name: c.title.clone(),
        date: start,
        scheduled: chrono::DateTime::from_timestamp(now, 0)
            .unwrap_or_default()
            .with_timezone(&tz),
        period_start: start,
        subject: format!("Coming up: {}, {when}", c.title),
        sections: vec![Section {
            anchor: "campaigns".into(),
            title: crate::issue::CAMPAIGNS_TITLE.into(),
            body: SectionBody::Campaigns(CampaignsSection {
                coming_up: vec![entry],
                ..CampaignsSection::default()
            }),
        }],
    };
    let css = crate::preview::stylesheet(project)?;
    let ctx = Context {
        organisation: &project.settings.organisation,
        public_url: &project.settings.web.public_url,
        css: &css,
    };
    let mut rendered = Rendered::new(&issue, &ctx).map_err(crate::preview::PreviewError::from)?;
    rendered.set_date(&created_at(project, now));
    let lists: Vec<crate::ids::ListId> = announce.lists.iter().map(|l| l.value.clone()).collect();
    let suppressions = store.suppressions().await?;
    let new = NewIssue {
        bulletin: campaign.to_string(),
        date: start,
        kind: IssueKind::Announcement,
        subject: issue.subject.clone(),
        rendered: serde_json::to_string(&rendered).map_err(|e| SendError::Setup(e.to_string()))?,
        themes: issue.theme_tags(),
        deliveries: materialise_lists(project, &lists, campaign, &suppressions),
    };
    Ok(Some(store.create_issue(&new, now).await?))
}

/// The stored rendering of an issue.
pub fn stored_rendering(row: &IssueRow) -> Result<Rendered, SendError> {
    serde_json::from_str(&row.rendered).map_err(|e| SendError::Stored(row.id, e))
}

/// Run every due delivery of a stored issue.
pub async fn deliver(
    sender: &Arc<Sender>,
    project: &Project,
    row: &IssueRow,
    progress: Option<indicatif::ProgressBar>,
) -> Result<RunSummary, SendError> {
    let rendered = Arc::new(stored_rendering(row)?);
    let tz = project.settings.organisation.time_zone;
    let today = chrono::DateTime::from_timestamp(sender.clock.now(), 0)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive();
    Ok(sender
        .run(row, &rendered, &today.to_string(), progress)
        .await?)
}
