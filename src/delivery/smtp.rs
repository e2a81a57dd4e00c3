//! SMTP to a relay with lettre's async connection over our own TCP stream: `TCP_NODELAY` set
//! (lettre writes the body and the final `.` separately; without it every message waits out a
//! delayed ACK), STARTTLS required unless told otherwise, implicit TLS, AUTH, and a timeout
//! around every command. Replies are classified into [`Attempt`]s.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;

use super::policy::{Attempt, Stage};
use crate::config::TlsMode;
use crate::config::settings::SmtpRelay;

/// Everything needed to open sessions to one relay.
#[derive(Clone)]
pub struct SmtpTarget {
    pub relay: SmtpRelay,
    /// Extra trusted root (PEM) for a private relay's certificate.
    pub ca_pem: Option<Vec<u8>>,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    pub hello: String,
}

impl std::fmt::Debug for SmtpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SmtpTarget({}:{}, {:?}, user: {})",
            self.relay.host,
            self.relay.port,
            self.relay.tls,
            self.relay.username.as_deref().unwrap_or("-")
        )
    }
}

/// One open session.
pub struct SmtpSession {
    conn: AsyncSmtpConnection,
    command_timeout: Duration,
}

/// The relay's host name without the brackets of an address literal (`[192.0.2.1]`).
fn bare_host(t: &SmtpTarget) -> String {
    t.relay
        .host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string()
}

/// Why TLS to the relay could not be set up.
#[derive(Debug, thiserror::Error)]
enum TlsSetup {
    #[error("tls_ca_file is not a PEM certificate: {0}")]
    Ca(lettre::transport::smtp::Error),
    #[error("TLS setup failed: {0}")]
    Build(lettre::transport::smtp::Error),
}

fn tls_params(t: &SmtpTarget) -> Result<TlsParameters, TlsSetup> {
    let host = bare_host(t);
    let mut b = TlsParameters::builder(host);
    if let Some(pem) = &t.ca_pem {
        let cert = Certificate::from_pem(pem).map_err(TlsSetup::Ca)?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls().map_err(TlsSetup::Build)
}

/// Whether every envelope address is ASCII (else the relay must offer SMTPUTF8).
fn ascii_envelope(envelope: &Envelope) -> bool {
    envelope.from().is_none_or(|f| f.to_string().is_ascii())
        && envelope.to().iter().all(|t| t.to_string().is_ascii())
}

fn describe(e: &lettre::transport::smtp::Error) -> String {
    let s = e.to_string();
    s.trim().trim_end_matches('.').to_string()
}

/// The relay is down: `what` (the step that failed) the relay's address, and why.
fn down(t: &SmtpTarget, what: &str, e: impl std::fmt::Display) -> Attempt {
    Attempt::RelayDown(format!("{what} {}:{}: {e}", t.relay.host, t.relay.port))
}

/// Implicit TLS (port 465): TLS from the first byte.
async fn connect_tls(t: &SmtpTarget, hello: &ClientId) -> Result<AsyncSmtpConnection, Attempt> {
    let params = tls_params(t).map_err(|e| down(t, "TLS to", e))?;
    let host = bare_host(t);
    tokio::time::timeout(
        t.connect_timeout,
        AsyncSmtpConnection::connect_tokio1(
            (host, t.relay.port),
            Some(t.connect_timeout),
            hello,
            Some(params),
            None,
        ),
    )
    .await
    .map_err(|_| down(t, "timed out connecting to", "no answer"))?
    .map_err(|e| {
        down(
            t,
            "cannot connect with TLS to",
            format!(
                "{} (is this the implicit-TLS port, usually 465?)",
                describe(&e)
            ),
        )
    })
}

/// A plain connection, upgraded with STARTTLS when the settings ask for it (never falling
/// back to the clear when the relay does not offer it).
async fn connect_plain(t: &SmtpTarget, hello: &ClientId) -> Result<AsyncSmtpConnection, Attempt> {
    let host = bare_host(t);
    let stream = tokio::time::timeout(
        t.connect_timeout,
        tokio::net::TcpStream::connect((host.as_str(), t.relay.port)),
    )
    .await
    .map_err(|_| down(t, "timed out connecting to", "no answer"))?
    .map_err(|e| down(t, "cannot connect to", e))?;
    stream
        .set_nodelay(true)
        .map_err(|e| down(t, "cannot configure the socket to", e))?;
    let mut conn = tokio::time::timeout(
        t.command_timeout,
        AsyncSmtpConnection::connect_with_transport(Box::new(stream), hello),
    )
    .await
    .map_err(|_| down(t, "no greeting from", "timed out"))?
    .map_err(|e| down(t, "bad greeting from", describe(&e)))?;
    if t.relay.tls == TlsMode::StartTls {
        if !conn.can_starttls() {
            conn.abort().await;
            return Err(down(
                t,
                "STARTTLS is required but not offered by",
                "refusing to send credentials or mail in the clear (use tls = \"tls\" for port 465, or fix the relay)",
            ));
        }
        let params = tls_params(t).map_err(|e| down(t, "TLS to", e))?;
        tokio::time::timeout(t.command_timeout, conn.starttls(params, hello))
            .await
            .map_err(|_| down(t, "STARTTLS timed out with", "no answer"))?
            .map_err(|e| down(t, "STARTTLS failed with", describe(&e)))?;
    }
    Ok(conn)
}

/// Log in when the settings give credentials.
async fn authenticate(t: &SmtpTarget, conn: &mut AsyncSmtpConnection) -> Result<(), Attempt> {
    let (Some(user), Some(pass)) = (&t.relay.username, &t.relay.password) else {
        return Ok(());
    };
    let creds = Credentials::new(user.clone(), pass.expose().to_string());
    let r = tokio::time::timeout(
        t.command_timeout,
        conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds),
    )
    .await;
    match r {
        Err(_) => Err(down(t, "authentication timed out with", "no answer")),
        Ok(Err(e)) => Err(down(
            t,
            "authentication refused by",
            format!(
                "{} (check the username and BULLETIN_SMTP_PASSWORD or password_file)",
                describe(&e)
            ),
        )),
        Ok(Ok(_)) => Ok(()),
    }
}

impl SmtpSession {
    /// Connect, greet, secure and authenticate. Any failure here is the relay's: `RelayDown`.
    pub async fn open(t: &SmtpTarget) -> Result<SmtpSession, Attempt> {
        let hello = ClientId::Domain(t.hello.clone());
        let mut conn = match t.relay.tls {
            TlsMode::Tls => connect_tls(t, &hello).await?,
            TlsMode::StartTls | TlsMode::None => connect_plain(t, &hello).await?,
        };
        authenticate(t, &mut conn).await?;
        Ok(SmtpSession {
            conn,
            command_timeout: t.command_timeout,
        })
    }

    /// Whether the session can take another message.
    pub fn usable(&self) -> bool {
        !self.conn.has_broken()
    }

    /// Send one message to one recipient, knowing which step the relay answered: 250 → Sent;
    /// 4xx, timeouts and network errors → Retry; 5xx at RCPT → Reject (about the address);
    /// 5xx at MAIL FROM, DATA or the end of the data → Refused (about the message or the
    /// sender, never the address). After a refusal the session is reset (RSET) and kept.
    pub async fn send(&mut self, envelope: &Envelope, message: &[u8]) -> Attempt {
        if !ascii_envelope(envelope)
            && !self
                .conn
                .server_info()
                .supports_feature(Extension::SmtpUtfEight)
        {
            return Attempt::Reject(
                "the address is not ASCII and the relay does not offer SMTPUTF8".into(),
            );
        }
        let outcome =
            tokio::time::timeout(self.command_timeout, self.transaction(envelope, message)).await;
        match outcome {
            Err(_) => {
                self.conn.abort().await;
                Attempt::Retry("timed out waiting for the relay".into())
            }
            Ok(Ok(resp)) => Attempt::Sent(format!(
                "{} {}",
                resp.code(),
                resp.message().collect::<Vec<_>>().join(" ")
            )),
            Ok(Err((stage, e))) => {
                let answered = e.is_permanent() || e.is_transient();
                if answered {
                    // The relay answered in order: reset the transaction and keep the session.
                    let reset =
                        tokio::time::timeout(self.command_timeout, self.conn.command(Rset)).await;
                    if !matches!(reset, Ok(Ok(_))) {
                        self.conn.abort().await;
                    }
                } else {
                    self.conn.abort().await;
                }
                let reply = describe(&e);
                match (e.is_permanent(), stage) {
                    (true, Stage::RcptTo) => Attempt::Reject(reply),
                    (true, stage) => Attempt::Refused { stage, reply },
                    (false, _) => Attempt::Retry(reply),
                }
            }
        }
    }

    /// One SMTP transaction (MAIL, RCPT, DATA, the message), as lettre's `send` but saying at
    /// which step a reply was negative.
    async fn transaction(
        &mut self,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Response, (Stage, lettre::transport::smtp::Error)> {
        let info = self.conn.server_info();
        let mut options = Vec::new();
        if !ascii_envelope(envelope) {
            options.push(MailParameter::SmtpUtfEight);
        }
        if !message.is_ascii() && info.supports_feature(Extension::EightBitMime) {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        self.conn
            .command(Mail::new(envelope.from().cloned(), options))
            .await
            .map_err(|e| (Stage::MailFrom, e))?;
        for to in envelope.to() {
            self.conn
                .command(Rcpt::new(to.clone(), vec![]))
                .await
                .map_err(|e| (Stage::RcptTo, e))?;
        }
        self.conn
            .command(Data)
            .await
            .map_err(|e| (Stage::Data, e))?;
        self.conn
            .message(message)
            .await
            .map_err(|e| (Stage::EndOfData, e))
    }

    pub async fn quit(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.conn.quit()).await;
    }
}
