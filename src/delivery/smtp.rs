//! SMTP to a relay: lettre's async connection opens the session (our own TCP stream with
//! `TCP_NODELAY`, STARTTLS required unless told otherwise, implicit TLS, AUTH), and the
//! transactions on it are ours, pipelined (RFC 2920) when the relay offers PIPELINING.
//!
//! Why on lettre's connection and not a client of our own on tokio + rustls: the part of SMTP
//! that is easy to get subtly wrong and dangerous to get wrong (TLS setup with a private CA,
//! never falling back to the clear, AUTH PLAIN/LOGIN, EHLO parsing) is lettre's, already
//! covered by the tests against real relays; what lettre lacks is only pipelining, and its
//! public API is enough for that: `command` writes any text in one write and reads the first
//! reply, and `read_response` reads the next reply from the same buffered reader. So a whole
//! pipelined group (the message, its final dot, then the next message's MAIL, RCPT and DATA)
//! goes out in one write, and its replies are read one by one, each matched to its command.
//! CHUNKING (BDAT) is not used: it saves the dot-stuffing scan (one pass over bytes already in
//! cache) and nothing on the wire that pipelining does not already save.
//!
//! The durability contract: a delivery is `sent` only on the 250 that answers its own end of
//! data; every reply is matched to its command in order; a 4xx/5xx at RCPT is about that
//! recipient only; 5xx at MAIL FROM, DATA or the end of the data is about the message (never
//! the address); a connection lost or a reply not come in time leaves every transaction not
//! yet confirmed `Retry`. A session holds at most two transactions at once: one whose data is
//! written and one whose envelope is written behind it.

use std::collections::VecDeque;
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::Ehlo;
use lettre::transport::smtp::extension::{ClientId, Extension};
use lettre::transport::smtp::response::Response;

use super::policy::{Attempt, Stage};
use crate::address::EmailAddress;
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

/// One open session and the transactions in flight on it.
pub struct SmtpSession {
    conn: AsyncSmtpConnection,
    command_timeout: Duration,
    /// The relay offered PIPELINING: commands go out in groups, replies are read after.
    pipelining: bool,
    smtputf8: bool,
    /// What goes out with the next write.
    out: String,
    /// Envelopes begun and not yet answered, oldest first.
    envelopes: VecDeque<Envelope>,
    /// The reply `command` read with the last write, not yet taken.
    first: Option<Reply>,
    /// A transaction ended before its data: RSET goes ahead of the next MAIL.
    reset: bool,
    /// The connection is lost (or out of step): nothing more is sent on it.
    broken: bool,
}

/// One transaction's envelope: its command lines, and whether they are written yet.
struct Envelope {
    mail: String,
    rcpt: String,
    written: bool,
    /// RSET was written in front of it (its reply comes first).
    rset: bool,
}

/// A reply as the session sees it.
enum Reply {
    /// 2xx or 3xx.
    Yes(Response),
    /// 4xx or 5xx.
    No(lettre::transport::smtp::Error),
    /// No reply: the connection was lost, timed out or spoke nonsense.
    Lost(String),
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

/// Whether the EHLO reply lists `keyword` (PIPELINING, CHUNKING, ...).
fn offers(ehlo: &Response, keyword: &str) -> bool {
    ehlo.message().any(|line| {
        line.split_whitespace()
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
    })
}

/// Append `text` to `out` as DATA carries it: a dot doubled at the start of every line (RFC
/// 5321 §4.5.2, as lettre's codec does it: after CRLF, and at the start, for `text` begins a
/// line). The lines that need it are found with one SIMD search for CRLF and a dot
/// (`memchr::memmem`): a bulletin's quoted-printable lines never begin with a dot, so the
/// message is copied in one piece instead of being looked at line by line.
fn stuff_into(out: &mut String, text: &str) {
    if text.starts_with('.') {
        out.push('.');
    }
    let mut copied = 0;
    for at in memchr::memmem::find_iter(text.as_bytes(), b"\r\n.") {
        // `at + 2` is the dot: everything before it goes out, then the extra dot.
        out.push_str(&text[copied..at + 2]);
        out.push('.');
        copied = at + 2;
    }
    out.push_str(&text[copied..]);
}

/// What ends the data, after the message (whose own last CRLF lettre's codec kept too).
const END_OF_DATA: &str = "\r\n.\r\n";

impl SmtpSession {
    /// Connect, greet, secure and authenticate. Any failure here is the relay's: `RelayDown`.
    /// A second EHLO (before AUTH, which some relays forget on EHLO) reads the extensions
    /// lettre does not keep, PIPELINING among them.
    pub async fn open(t: &SmtpTarget) -> Result<SmtpSession, Attempt> {
        let hello = ClientId::Domain(t.hello.clone());
        let mut conn = match t.relay.tls {
            TlsMode::Tls => connect_tls(t, &hello).await?,
            TlsMode::StartTls | TlsMode::None => connect_plain(t, &hello).await?,
        };
        let ehlo = tokio::time::timeout(t.command_timeout, conn.command(Ehlo::new(hello))).await;
        let pipelining = match ehlo {
            Ok(Ok(r)) => offers(&r, "PIPELINING"),
            Ok(Err(e)) if e.is_permanent() || e.is_transient() => false,
            Ok(Err(e)) => return Err(down(t, "EHLO failed with", describe(&e))),
            Err(_) => return Err(down(t, "EHLO timed out with", "no answer")),
        };
        authenticate(t, &mut conn).await?;
        let smtputf8 = conn.server_info().supports_feature(Extension::SmtpUtfEight);
        Ok(SmtpSession {
            conn,
            command_timeout: t.command_timeout,
            pipelining,
            smtputf8,
            out: String::with_capacity(128 * 1024),
            envelopes: VecDeque::with_capacity(2),
            first: None,
            reset: false,
            broken: false,
        })
    }

    /// Whether the session can take another message.
    pub fn usable(&self) -> bool {
        !self.broken && !self.conn.has_broken()
    }

    /// Whether the relay offered PIPELINING (so a next envelope may follow the data).
    pub fn pipelining(&self) -> bool {
        self.pipelining
    }

    /// Send one message to one recipient, knowing which step the relay answered: 250 → Sent;
    /// 4xx, timeouts and network errors → Retry; 5xx at RCPT → Reject (about the address);
    /// 5xx at MAIL FROM, DATA or the end of the data → Refused (about the message or the
    /// sender, never the address). After a refusal the session is kept (RSET goes first).
    pub async fn send(
        &mut self,
        from: &EmailAddress,
        to: &EmailAddress,
        message: &[u8],
    ) -> Attempt {
        if let Err(a) = self.begin(from, to) {
            return a;
        }
        if let Err(a) = self.envelope().await {
            return a;
        }
        if let Err(a) = self.data(&[message]) {
            return a;
        }
        self.end(|| {}).await
    }

    /// Start a transaction: its MAIL, RCPT and DATA are queued (written with the next write
    /// when pipelining, one by one by [`Self::envelope`] otherwise). The message is not needed
    /// yet (it is made while the relay answers): messages are 7-bit (checked by
    /// [`Self::data`]), so MAIL never asks for 8BITMIME. `Reject` when it cannot be sent at
    /// all; then nothing is queued.
    pub fn begin(&mut self, from: &EmailAddress, to: &EmailAddress) -> Result<(), Attempt> {
        let utf8 = !(from.as_str().is_ascii() && to.as_str().is_ascii());
        if utf8 && !self.smtputf8 {
            return Err(Attempt::Reject(
                "the address is not ASCII and the relay does not offer SMTPUTF8".into(),
            ));
        }
        let mut mail = format!("MAIL FROM:<{from}>");
        if utf8 {
            mail.push_str(" SMTPUTF8");
        }
        mail.push_str("\r\n");
        self.envelopes.push_back(Envelope {
            mail,
            rcpt: format!("RCPT TO:<{to}>\r\n"),
            written: false,
            rset: false,
        });
        Ok(())
    }

    /// Queue the envelopes begun and not yet written (pipelining), RSET ahead when the last
    /// transaction ended before its data.
    fn queue_envelopes(&mut self) {
        for e in self.envelopes.iter_mut().filter(|e| !e.written) {
            if self.reset {
                self.out.push_str("RSET\r\n");
                e.rset = true;
                self.reset = false;
            }
            self.out.push_str(&e.mail);
            self.out.push_str(&e.rcpt);
            self.out.push_str("DATA\r\n");
            e.written = true;
        }
    }

    /// Write what is queued; the first reply comes back with the write and is kept for
    /// [`Self::reply`].
    async fn flush(&mut self) {
        self.flush_meanwhile(|| {}).await;
    }

    /// The next reply, in order.
    async fn reply(&mut self) -> Reply {
        if let Some(r) = self.first.take() {
            return r;
        }
        if !self.usable() {
            return Reply::Lost("the connection to the relay was lost".into());
        }
        let r = tokio::time::timeout(self.command_timeout, self.conn.read_response()).await;
        self.judge(r)
    }

    /// What a read came to; the session is broken when nothing sensible came.
    fn judge(
        &mut self,
        r: Result<Result<Response, lettre::transport::smtp::Error>, tokio::time::error::Elapsed>,
    ) -> Reply {
        match r {
            Ok(Ok(resp)) => Reply::Yes(resp),
            Ok(Err(e)) if e.is_permanent() || e.is_transient() => Reply::No(e),
            Ok(Err(e)) => {
                self.broken = true;
                Reply::Lost(describe(&e))
            }
            Err(_) => {
                self.broken = true;
                Reply::Lost("timed out waiting for the relay".into())
            }
        }
    }

    /// Write one command and read its reply (a relay without PIPELINING).
    async fn step(&mut self, line: &str) -> Reply {
        self.out.push_str(line);
        self.flush().await;
        self.reply().await
    }

    /// The replies to the oldest begun envelope (writing it first if need be): `Ok` at DATA's
    /// 354, when the message is wanted; else what the delivery came to, the first negative
    /// reply deciding (every reply owed is still read, so the next one meets its own command).
    pub async fn envelope(&mut self) -> Result<(), Attempt> {
        let Some(e) = self.envelopes.front() else {
            return Err(Attempt::Retry("no transaction was begun".into()));
        };
        if !e.written && !self.pipelining {
            return self.envelope_step_by_step().await;
        }
        self.queue_envelopes();
        self.flush().await;
        let e = self.envelopes.pop_front().expect("checked above");
        if e.rset
            && let Reply::Lost(why) = self.reply().await
        {
            return Err(Attempt::Retry(why));
        }
        let mut verdict: Option<Attempt> = None;
        for stage in [Stage::MailFrom, Stage::RcptTo, Stage::Data] {
            match self.reply().await {
                Reply::Lost(why) => return Err(verdict.unwrap_or(Attempt::Retry(why))),
                Reply::No(e) => {
                    verdict.get_or_insert_with(|| negative(stage, &e));
                }
                Reply::Yes(_) if stage == Stage::Data && verdict.is_some() => {
                    // The relay wants data for a transaction already refused: an empty
                    // message ends it; it is not anyone's delivery.
                    self.out.push_str(".\r\n");
                    self.flush().await;
                    let _ = self.reply().await;
                }
                Reply::Yes(_) => {}
            }
        }
        match verdict {
            None => Ok(()),
            Some(a) => {
                self.reset = true;
                Err(a)
            }
        }
    }

    /// MAIL, RCPT, DATA one at a time, stopping at the first negative reply.
    async fn envelope_step_by_step(&mut self) -> Result<(), Attempt> {
        let e = self.envelopes.pop_front().expect("the caller checked");
        if self.reset {
            self.reset = false;
            if let Reply::Lost(why) = self.step("RSET\r\n").await {
                return Err(Attempt::Retry(why));
            }
        }
        for (stage, line) in [
            (Stage::MailFrom, e.mail.as_str()),
            (Stage::RcptTo, e.rcpt.as_str()),
            (Stage::Data, "DATA\r\n"),
        ] {
            match self.step(line).await {
                Reply::Yes(_) => {}
                Reply::No(e) => {
                    self.reset = true;
                    return Err(negative(stage, &e));
                }
                Reply::Lost(why) => return Err(Attempt::Retry(why)),
            }
        }
        Ok(())
    }

    /// Queue the message for the transaction whose 354 came, and its final dot: `parts` one
    /// after the other (a DKIM header, then the message: each ends a line). A message that is
    /// not 7-bit (never so: messages are made 7-bit clean) cannot be sent after MAIL without
    /// BODY=8BITMIME, and a transaction past its 354 ends only with data: the session is
    /// dropped (the relay discards the transaction) and the message refused, not the address.
    pub fn data(&mut self, parts: &[&[u8]]) -> Result<(), Attempt> {
        if !parts.iter().all(|p| p.is_ascii()) {
            self.broken = true;
            return Err(Attempt::Refused {
                stage: Stage::Data,
                reply: "the message is not 7-bit text".into(),
            });
        }
        for part in parts {
            stuff_into(&mut self.out, std::str::from_utf8(part).unwrap_or_default());
        }
        self.out.push_str(END_OF_DATA);
        Ok(())
    }

    /// Write the data (and, pipelining, any envelope begun since, behind it), run `meanwhile`
    /// (the next message is made while the relay reads this one), then read the reply to the
    /// end of the data: the delivery's outcome.
    pub async fn end(&mut self, meanwhile: impl FnOnce()) -> Attempt {
        if self.pipelining {
            self.queue_envelopes();
        }
        self.flush_meanwhile(meanwhile).await;
        match self.reply().await {
            Reply::Yes(resp) => Attempt::Sent(format!(
                "{} {}",
                resp.code(),
                resp.message().collect::<Vec<_>>().join(" ")
            )),
            Reply::No(e) => negative(Stage::EndOfData, &e),
            Reply::Lost(why) => Attempt::Retry(why),
        }
    }

    /// [`Self::flush`], running `meanwhile` once the write is under way: lettre's `command`
    /// writes and then waits for the first reply, so it is polled once (on a socket with room,
    /// the whole write goes out then), `meanwhile` runs, and the reply is awaited after.
    async fn flush_meanwhile(&mut self, meanwhile: impl FnOnce()) {
        if self.out.is_empty() {
            meanwhile();
            return;
        }
        let out = std::mem::take(&mut self.out);
        let r = {
            let write = tokio::time::timeout(self.command_timeout, self.conn.command(out.as_str()));
            let mut write = std::pin::pin!(write);
            let polled =
                std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx))).await;
            meanwhile();
            match polled {
                std::task::Poll::Ready(r) => r,
                std::task::Poll::Pending => write.await,
            }
        };
        self.out = out;
        self.out.clear();
        let reply = self.judge(r);
        self.first = Some(reply);
    }

    pub async fn quit(mut self) {
        if self.usable() {
            let _ = tokio::time::timeout(Duration::from_secs(5), self.conn.quit()).await;
        } else {
            self.conn.abort().await;
        }
    }
}

/// What a 4xx or 5xx at `stage` means for the delivery.
fn negative(stage: Stage, e: &lettre::transport::smtp::Error) -> Attempt {
    let reply = describe(e);
    match (e.is_permanent(), stage) {
        (true, Stage::RcptTo) => Attempt::Reject(reply),
        (true, stage) => Attempt::Refused { stage, reply },
        (false, _) => Attempt::Retry(reply),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever the text, what DATA carries is the text with a dot added at the start of
        /// each line (after CRLF, and at the very start) that begins with one.
        #[test]
        fn stuffing_doubles_the_dot_of_every_line_that_begins_with_one(
            text in proptest::collection::vec(proptest::sample::select(vec!['.', '\r', '\n', 'a']), 0..80),
        ) {
            let text: String = text.into_iter().collect();
            let mut want = String::new();
            for (i, c) in text.char_indices() {
                if c == '.' && (i == 0 || text[..i].ends_with("\r\n")) {
                    want.push('.');
                }
                want.push(c);
            }
            let mut got = String::new();
            stuff_into(&mut got, &text);
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn dots_are_doubled_at_line_starts_only() {
        let mut out = String::new();
        stuff_into(&mut out, ".a\r\nb.c\r\n..d\r\n.");
        assert_eq!(out, "..a\r\nb.c\r\n...d\r\n..");
        let mut out = String::new();
        stuff_into(&mut out, "a\n.b\r\n");
        stuff_into(&mut out, ".c\r\n\r\n.");
        assert_eq!(out, "a\n.b\r\n..c\r\n\r\n..", "a bare LF is not a line end");
    }
}
