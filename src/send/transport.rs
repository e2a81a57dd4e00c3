//! The mail transport the settings describe: SMTP or the outbox folder.

use super::SendError;
use crate::config::{Project, TransportKind};
use crate::delivery::{Transport, smtp::SmtpTarget};

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
                    .transport
                    .helo_name
                    .clone()
                    .unwrap_or_else(|| {
                        project
                            .settings
                            .organisation
                            .from
                            .address
                            .domain()
                            .to_string()
                    }),
            })
        }
    })
}
