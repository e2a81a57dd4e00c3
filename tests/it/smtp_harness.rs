//! The SMTP servers the delivery tests rely on work: a hand-typed SMTP session over a plain
//! `TcpStream` reaches `smtp-sink`'s dump and `smtp_server.py`'s messages and log.

use crate::support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use support::smtp::{SmtpSink, TestSmtpServer};

/// A minimal SMTP client: one command, one (possibly multi-line) reply.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(port: u16) -> (Client, String) {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut c = Client {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        };
        let greeting = c.reply();
        (c, greeting)
    }

    fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("read reply");
            assert!(
                line.ends_with("\r\n"),
                "reply line not CRLF-terminated: {line:?}"
            );
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    fn cmd(&mut self, line: &str) -> String {
        self.writer.write_all(line.as_bytes()).unwrap();
        self.writer.write_all(b"\r\n").unwrap();
        self.reply()
    }

    /// DATA, then `body` (already CRLF, dot-stuffed) and the final dot.
    fn data(&mut self, body: &[u8]) -> String {
        let r = self.cmd("DATA");
        assert!(r.starts_with("354"), "{r}");
        self.writer.write_all(body).unwrap();
        self.writer.write_all(b".\r\n").unwrap();
        self.reply()
    }
}

const BODY: &[u8] =
    b"Subject: harness\r\nFrom: a@x.example\r\n\r\nHello.\r\n..starts with a dot\r\n";

#[test]
fn smtp_sink_dumps_a_hand_typed_message() {
    let sink = SmtpSink::start(&[]);
    let (mut c, greeting) = Client::connect(sink.port);
    assert!(greeting.starts_with("220 "), "{greeting}");
    assert!(c.cmd("EHLO client.example").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<a@x.example>").starts_with("250"));
    assert!(c.cmd("RCPT TO:<b@y.example>").starts_with("250"));
    assert!(
        c.cmd("RCPT TO:<c@y.example> NOTIFY=NEVER")
            .starts_with("250")
    );
    let r = c.data(BODY);
    assert!(r.starts_with("250"), "{r}");
    assert!(c.cmd("QUIT").starts_with("221"));

    // Dumped before the 250, so no waiting is needed.
    assert_eq!(sink.count(), 1);
    let t = sink.transactions();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].helo.as_deref(), Some("client.example"));
    assert_eq!(t[0].mail_from, "a@x.example");
    assert_eq!(t[0].rcpt_to, ["b@y.example", "c@y.example"]);
    assert_eq!(
        sink.messages(),
        [b"Subject: harness\nFrom: a@x.example\n\nHello.\n.starts with a dot\n".to_vec()]
    );
}

#[test]
fn smtp_sink_injects_faults() {
    let sink = SmtpSink::start(&["-r", "rcpt"]);
    let (mut c, _) = Client::connect(sink.port);
    c.cmd("EHLO client.example");
    c.cmd("MAIL FROM:<a@x.example>");
    let r = c.cmd("RCPT TO:<b@y.example>");
    assert!(r.starts_with("450 4.3.0"), "{r}");
    assert_eq!(sink.count(), 0);
}

#[test]
fn sinks_run_side_by_side_on_their_own_ports() {
    let sinks: Vec<SmtpSink> = (0..4).map(|_| SmtpSink::discard(&[])).collect();
    let mut ports: Vec<u16> = sinks.iter().map(|s| s.port).collect();
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), 4);
    for s in &sinks {
        let (_, greeting) = Client::connect(s.port);
        assert!(greeting.starts_with("220 "), "{greeting}");
    }
}

#[test]
fn a_sink_can_come_up_on_a_port_chosen_before() {
    let port = support::smtp::free_port();
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens yet"
    );
    let sink = SmtpSink::start_on(port, &[]);
    assert_eq!(sink.port, port);
    let (_, greeting) = Client::connect(port);
    assert!(greeting.starts_with("220 "), "{greeting}");
}

#[test]
fn test_server_refuses_one_recipient_and_logs_plain_text() {
    let server = TestSmtpServer::start(&["--reject-rcpt", "bounce"]);
    assert!(server.ca_pem.is_none());
    let (mut c, greeting) = Client::connect(server.port);
    assert!(greeting.starts_with("220 "), "{greeting}");
    let ehlo = c.cmd("EHLO client.example");
    assert!(!ehlo.contains("STARTTLS"), "no TLS was asked for: {ehlo}");
    assert!(c.cmd("MAIL FROM:<a@x.example>").starts_with("250"));
    let r = c.cmd("RCPT TO:<bounce@x.example>");
    assert!(r.starts_with("550 5.1.1"), "{r}");
    let r = c.cmd("RCPT TO:<ok@x.example>");
    assert!(r.starts_with("250"), "{r}");
    let r = c.data(BODY);
    assert!(r.starts_with("250"), "{r}");
    assert!(c.cmd("QUIT").starts_with("221"));

    // Byte for byte, CRLF kept, the leading dot unstuffed.
    assert_eq!(
        server.messages(),
        [
            b"Subject: harness\r\nFrom: a@x.example\r\n\r\nHello.\r\n.starts with a dot\r\n"
                .to_vec()
        ]
    );
    let log = server.log();
    let events: Vec<&str> = log.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["ehlo", "mail", "rcpt", "reject", "rcpt", "data"]);
    assert!(log.iter().all(|e| e["tls"] == false), "{log:?}");
    assert_eq!(log[2]["detail"]["address"], "bounce@x.example");
    assert_eq!(log[2]["detail"]["reply"], "550 5.1.1 User unknown");
    assert_eq!(
        log[5]["detail"]["rcpt_tos"],
        serde_json::json!(["ok@x.example"])
    );
    assert_eq!(log[5]["detail"]["file"], "1.eml");
}

#[test]
fn test_server_refuses_auth_in_the_clear_and_logs_it() {
    let server = TestSmtpServer::start(&["--starttls", "--auth", "user:pw", "--require-auth"]);
    let ca = server.ca_pem.as_ref().expect("CA for STARTTLS");
    assert!(
        std::fs::read_to_string(ca)
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    let (mut c, _) = Client::connect(server.port);
    let ehlo = c.cmd("EHLO client.example");
    assert!(ehlo.contains("STARTTLS"), "{ehlo}");
    assert!(
        !ehlo.contains("AUTH"),
        "AUTH is offered only after STARTTLS: {ehlo}"
    );
    // AHVzZXIAcHc= is "\0user\0pw".
    let r = c.cmd("AUTH PLAIN AHVzZXIAcHc=");
    assert!(r.starts_with("538 5.7.11"), "{r}");
    let r = c.cmd("MAIL FROM:<a@x.example>");
    assert_eq!(r, "530 5.7.0 Authentication required\r\n");

    let auth = server.events("auth");
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0]["tls"], false);
    let mail = server.events("mail");
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["tls"], false);
    assert!(server.messages().is_empty());
}

#[test]
#[should_panic(expected = "unrecognized arguments: --no-such-option")]
fn test_server_start_failure_shows_its_stderr() {
    TestSmtpServer::start(&["--no-such-option"]);
}
