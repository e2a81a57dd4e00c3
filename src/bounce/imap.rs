//! Bounces from an IMAP mailbox, for a relay that can only deliver them to a mailbox: each
//! pass logs in, reads every unseen message, records it like `bulletin bounce` would, then
//! moves (or deletes) the reports it handled. Idempotent: a pass that dies half-way leaves
//! messages that the next pass reads again, and the ledger ignores a report it already has.
//! Messages that are not reports (a person writing back) are left in place, marked seen.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite};

use super::{Ignored, Outcome, SoftPolicy, Verp};
use crate::config::settings::ImapMailbox;
use crate::store::Store;
use crate::token::Signer;

/// Why a pass failed; the next pass tries again.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot connect to the IMAP server {0}: {1}")]
    Connect(String, String),
    #[error("IMAP TLS with {0}: {1}")]
    Tls(String, String),
    #[error(
        "IMAP login refused by {0}: {1} (check username and BULLETIN_IMAP_PASSWORD or password_file)"
    )]
    Login(String, String),
    #[error("IMAP {0}: {1}")]
    Protocol(&'static str, String),
    #[error("timed out talking to the IMAP server {0}")]
    Timeout(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassSummary {
    /// Messages read.
    pub read: usize,
    /// Bounces and complaints newly recorded.
    pub recorded: usize,
    /// Reports already recorded, or with nothing to act on or no valid signature.
    pub ignored: usize,
    /// Not reports: left in the folder for a person.
    pub left: usize,
    /// Unsubscribe requests by mail with a valid token (already suppressed or not).
    pub unsubscribed: usize,
}

/// How long a pass may take in all.
const PASS_TIMEOUT: Duration = Duration::from_secs(300);

/// One pass over the mailbox.
pub async fn poll_once(
    m: &ImapMailbox,
    store: &Store,
    verp: &Verp,
    signer: &Signer,
    policy: SoftPolicy,
    clock: &dyn crate::clock::Clock,
) -> Result<PassSummary, ImapError> {
    let addr = format!("{}:{}", m.host, m.port);
    if m.password.is_none() {
        return Err(ImapError::Login(addr, "no password configured".into()));
    }
    let run = async {
        let tcp = tokio::net::TcpStream::connect((m.host.as_str(), m.port))
            .await
            .map_err(|e| ImapError::Connect(addr.clone(), e.to_string()))?;
        if m.tls {
            let config = tls_config(m).map_err(|e| ImapError::Tls(addr.clone(), e.to_string()))?;
            let name = rustls_pki_types::ServerName::try_from(m.host.clone())
                .map_err(|e| ImapError::Tls(addr.clone(), e.to_string()))?;
            let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await
                .map_err(|e| ImapError::Tls(addr.clone(), e.to_string()))?;
            session(tls, m, store, verp, signer, policy, clock).await
        } else {
            session(tcp, m, store, verp, signer, policy, clock).await
        }
    };
    tokio::time::timeout(PASS_TIMEOUT, run)
        .await
        .map_err(|_| ImapError::Timeout(addr.clone()))?
}

/// Why the TLS settings for a mailbox could not be built.
#[derive(Debug, thiserror::Error)]
enum TlsSetup {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0} is not a PEM certificate: {1}")]
    NotPem(String, rustls_pki_types::pem::Error),
    #[error("{0}: {1}")]
    Refused(String, tokio_rustls::rustls::Error),
    #[error("{0}")]
    Protocols(tokio_rustls::rustls::Error),
}

fn tls_config(m: &ImapMailbox) -> Result<tokio_rustls::rustls::ClientConfig, TlsSetup> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &m.tls_ca_file {
        let shown = || path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| TlsSetup::Read(shown(), e))?;
        for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| TlsSetup::NotPem(shown(), e))?;
            roots.add(cert).map_err(|e| TlsSetup::Refused(shown(), e))?;
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    Ok(
        tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsSetup::Protocols)?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn proto(what: &'static str) -> impl Fn(async_imap::error::Error) -> ImapError {
    move |e| ImapError::Protocol(what, e.to_string())
}

async fn session<S>(
    stream: S,
    m: &ImapMailbox,
    store: &Store,
    verp: &Verp,
    signer: &Signer,
    policy: SoftPolicy,
    clock: &dyn crate::clock::Clock,
) -> Result<PassSummary, ImapError>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let addr = format!("{}:{}", m.host, m.port);
    let addr = addr.as_str();
    let mut s = log_in(stream, m, addr).await?;
    s.select(&m.folder).await.map_err(proto("SELECT"))?;
    let mut uids: Vec<u32> = s
        .uid_search("UNSEEN")
        .await
        .map_err(proto("SEARCH"))?
        .into_iter()
        .collect();
    uids.sort_unstable();
    let mut sorted = Sorted::default();
    let mut first_err = None;
    for uid in uids {
        let Some(body) = fetch_body(&mut s, uid).await? else {
            continue;
        };
        sorted.summary.read += 1;
        let outcome =
            super::ingest(store, verp, signer, policy, body, None, clock.timestamp()).await;
        match outcome {
            Ok(o) => {
                super::log(&o);
                sorted.add(uid, &o);
            }
            Err(e) => {
                // Left unseen: the next pass reads it again.
                first_err.get_or_insert(e);
            }
        }
    }
    settle(&mut s, m, &sorted).await?;
    let _ = s.logout().await;
    if let Some(e) = first_err {
        return Err(e.into());
    }
    Ok(sorted.summary)
}

/// Read the greeting and log in.
async fn log_in<S>(
    stream: S,
    m: &ImapMailbox,
    addr: &str,
) -> Result<async_imap::Session<S>, ImapError>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .map_err(|e| ImapError::Connect(addr.to_string(), e.to_string()))?
        .ok_or_else(|| ImapError::Connect(addr.to_string(), "no greeting".into()))?;
    client
        .login(
            &m.username,
            m.password.as_ref().map(|p| p.expose()).unwrap_or_default(),
        )
        .await
        .map_err(|(e, _)| ImapError::Login(addr.to_string(), e.to_string()))
}

/// One message, without marking it seen. One at a time: a bounce quoting a large message stays
/// one message in memory.
async fn fetch_body<S>(
    s: &mut async_imap::Session<S>,
    uid: u32,
) -> Result<Option<Vec<u8>>, ImapError>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut fetches = s
        .uid_fetch(uid.to_string(), "BODY.PEEK[]")
        .await
        .map_err(proto("FETCH"))?;
    let mut body = None;
    while let Some(f) = fetches.next().await {
        let f = f.map_err(proto("FETCH"))?;
        if f.uid == Some(uid) || body.is_none() {
            body = f.body().map(<[u8]>::to_vec);
        }
    }
    Ok(body)
}

/// The messages of a pass by what becomes of them: `handled` are moved (or deleted), `left` are
/// marked seen and stay for a person.
#[derive(Default)]
struct Sorted {
    summary: PassSummary,
    handled: Vec<u32>,
    left: Vec<u32>,
}

impl Sorted {
    fn add(&mut self, uid: u32, outcome: &Outcome) {
        match outcome {
            Outcome::Ignored(
                Ignored::NotAReport
                | Ignored::InvalidUnsubscribe
                | Ignored::TooLarge(_)
                | Ignored::TooSlow,
            ) => {
                self.summary.left += 1;
                self.left.push(uid);
            }
            Outcome::Unsubscribed { .. } => {
                self.summary.unsubscribed += 1;
                self.handled.push(uid);
            }
            Outcome::Recorded { .. } => {
                self.summary.recorded += 1;
                self.handled.push(uid);
            }
            _ => {
                self.summary.ignored += 1;
                self.handled.push(uid);
            }
        }
    }
}

/// Mark the messages left for a person seen, and move (or delete) the handled reports.
async fn settle<S>(
    s: &mut async_imap::Session<S>,
    m: &ImapMailbox,
    sorted: &Sorted,
) -> Result<(), ImapError>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    if !sorted.left.is_empty() {
        let set = uid_set(&sorted.left);
        drain(
            s.uid_store(&set, "+FLAGS.SILENT (\\Seen)")
                .await
                .map_err(proto("STORE"))?,
        )
        .await;
    }
    if !sorted.handled.is_empty() {
        let set = uid_set(&sorted.handled);
        match &m.processed_folder {
            Some(folder) => {
                // Created on first use; "already exists" is fine.
                let _ = s.create(folder).await;
                s.uid_mv(&set, folder).await.map_err(proto("MOVE"))?;
            }
            None => {
                drain(
                    s.uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
                        .await
                        .map_err(proto("STORE"))?,
                )
                .await;
                drain(s.expunge().await.map_err(proto("EXPUNGE"))?).await;
            }
        }
    }
    Ok(())
}

async fn drain<T, E>(stream: impl futures_util::Stream<Item = Result<T, E>>) {
    futures_util::pin_mut!(stream);
    while stream.next().await.is_some() {}
}

fn uid_set(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
