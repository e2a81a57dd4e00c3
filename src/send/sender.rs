//! The `Sender` for a project: transport, signer, bounce return paths, DKIM and limits,
//! built from the settings.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::SendError;
use super::transport::transport;
use crate::clock::Clock;
use crate::compose;
use crate::config::Project;
use crate::delivery::{Backoff, Limits, Sender};
use crate::store::Store;
use crate::token::Signer;

/// VERP return paths and the soft-bounce policy, when `[bounces]` is configured.
pub fn bounce_setup(project: &Project, signer: &Signer) -> Option<crate::delivery::BounceSetup> {
    let b = project.settings.bounces.as_ref()?;
    Some(crate::delivery::BounceSetup {
        verp: crate::bounce::Verp::new(&b.address, signer.secrets()),
        policy: b.policy(),
    })
}

/// Build the sender for a project; it beats `heartbeat` as it records outcomes.
pub fn sender(
    project: &Project,
    store: Store,
    owner: &str,
    clock: Arc<dyn Clock>,
    stopping: Arc<AtomicBool>,
    heartbeat: crate::instance::Heartbeat,
) -> Result<Arc<Sender>, SendError> {
    let t = &project.settings.transport;
    let signer = compose::signer(project)?;
    Ok(Arc::new(Sender {
        store,
        transport: transport(project)?,
        bounces: bounce_setup(project, &signer),
        dkim: match &project.settings.dkim {
            Some(d) => Some(Arc::new(
                crate::dkim::DkimSigner::from_pem(
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
        heartbeat,
    }))
}
