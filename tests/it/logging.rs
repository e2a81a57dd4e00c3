//! An operator turns on `RUST_LOG=trace` to see why mail is slow, and pastes the log into a
//! ticket. Nothing secret or personal may be in it: not the SMTP password (plain or as the
//! base64 of `AUTH PLAIN`/`AUTH LOGIN`), not a message body, not an unsubscribe token, not a
//! subscriber's address.

use crate::support;

use base64::Engine;
use support::smtp::TestSmtpServer;
use support::{Tree, bulletin};

const SECRET: &str = "logging-test-secret-logging-test-secret-01";
const PASSWORD: &str = "Pa55-w0rd-nobody-may-read";
const BODY: &str = "Zebra crossings outside every primary school";

#[test]
fn trace_logging_carries_no_password_body_token_or_address() {
    let server = TestSmtpServer::start(&[
        "--starttls",
        "--auth",
        &format!("bulletin:{PASSWORD}"),
        "--require-auth",
    ]);
    let ca = server.ca_pem.clone().expect("a CA");
    let t = Tree::minimal();
    let members = ["jo.bloggs@nhs.example", "sam.smith@police.example"];
    let mut list = String::from("name = \"Everyone\"\n");
    for m in members {
        list.push_str(&format!(
            "[[member]]\nemail = \"{m}\"\nname = \"Someone\"\n"
        ));
    }
    t.write("config/lists/all.toml", &list);
    t.write(
        "news/item.md",
        &format!(
            "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 2026-11-01\n+++\n{BODY}.\n"
        ),
    );
    let settings = std::fs::read_to_string(t.config()).unwrap();
    t.write(
        "config/bulletin.toml",
        &format!(
            "{settings}\n[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://localhost:{}\"\ntls = \"starttls\"\ntls_ca_file = \"{}\"\nusername = \"bulletin\"\n",
            server.port,
            ca.display()
        ),
    );
    let o = bulletin(t.root())
        .env("RUST_LOG", "trace")
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("BULLETIN_SMTP_PASSWORD", PASSWORD)
        .args(["send", "news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(0), "{log}");
    let messages = server.messages();
    assert_eq!(messages.len(), 2, "both delivered: {log}");
    assert!(
        !server.events("auth").is_empty(),
        "the password was really used"
    );
    assert!(
        log.lines().count() > 20,
        "trace logging is on and says something: {log}"
    );

    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut forbidden: Vec<(String, &str)> = vec![
        (PASSWORD.to_string(), "the password"),
        (b64(&format!("\0bulletin\0{PASSWORD}")), "AUTH PLAIN"),
        (b64(PASSWORD), "AUTH LOGIN"),
        (BODY.to_string(), "the body"),
    ];
    for m in members {
        forbidden.push((m.to_string(), "an address"));
    }
    // Each recipient's unsubscribe token, from the List-Unsubscribe header they received.
    for m in &messages {
        let text = String::from_utf8_lossy(m);
        let token = text
            .split("/unsubscribe/")
            .nth(1)
            .and_then(|s| s.split(['>', '"', '\r', '\n']).next())
            .expect("an unsubscribe link")
            .to_string();
        assert!(token.len() > 16, "{token}");
        forbidden.push((token, "an unsubscribe token"));
    }
    for (needle, what) in &forbidden {
        if let Some(line) = log.lines().find(|l| l.contains(needle.as_str())) {
            panic!("{what} is in the trace log: {line}");
        }
    }
}

/// `bulletin run > daemon.log 2>&1`: a log that goes to a file or a pipe is plain text, without
/// the ANSI colour codes a terminal would get (they turn every line into `\x1b[2m…` noise in
/// the file, in journald and in a log shipper).
#[test]
fn a_log_written_to_a_pipe_carries_no_colour_codes() {
    let t = Tree::minimal();
    // Without `[bounces]`, a piped message is ignored with a warning: a log line at any level.
    let mut child = bulletin(t.root())
        .env("RUST_LOG", "debug")
        .env_remove("NO_COLOR")
        .arg("bounce")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        b"Subject: a bounce\r\n\r\nhello\r\n",
    )
    .unwrap();
    let o = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(log.contains("WARN"), "a warning was logged: {log}");
    let escapes = o.stderr.iter().filter(|&&b| b == 0x1b).count();
    assert_eq!(escapes, 0, "ESC bytes in a piped log: {log:?}");
}
