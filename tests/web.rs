//! A partner leaves in one click, reads past issues in a browser, and subscribes to the
//! calendar: HTTP against the real running daemon.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use support::smtp::free_port;
use support::{Tree, bulletin};

struct Daemon {
    child: Child,
    port: u16,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A sent November issue in the sample tree, then the daemon on a free port.
fn sample_with_sent_issue() -> (Tree, Daemon) {
    let t = Tree::sample();
    t.quiet_schedule();
    let port = free_port();
    let settings = std::fs::read_to_string(t.config()).unwrap().replace(
        "public_url = \"http://127.0.0.1:8080\"",
        &format!("public_url = \"http://127.0.0.1:{port}\""),
    );
    t.write("config/bulletin.toml", &settings);
    let o = bulletin(t.root())
        .args(["send", "sscp-news", "--now", "--date", "2026-11-01"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut child = bulletin(t.root())
        .arg("run")
        .env("BULLETIN_WEB_BIND", format!("127.0.0.1:{port}"))
        .env("BULLETIN_ADMIN_TOKEN", "test-admin-token")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || for _ in BufReader::new(err).lines() {});
    let d = Daemon { child, port };
    let start = Instant::now();
    while get(&d, "/healthz").0 != 200 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the daemon's web server did not come up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (t, d)
}

/// (status, headers lower-cased, body) of one HTTP/1.1 request.
fn request(
    d: &Daemon,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", d.port)) else {
        return (0, String::new(), String::new());
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_lowercase(), body.to_string())
}

fn get(d: &Daemon, path: &str) -> (u16, String, String) {
    request(d, "GET", path, &[], "")
}

fn post_form(d: &Daemon, path: &str, body: &str) -> (u16, String, String) {
    request(
        d,
        "POST",
        path,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body,
    )
}

/// The List-Unsubscribe https link of one outbox message, and its recipient.
fn unsubscribe_link(t: &Tree) -> (String, String) {
    let dir = t.root().join("outbox");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let headers = text.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ");
    let lu = headers
        .lines()
        .find(|l| l.starts_with("List-Unsubscribe:"))
        .unwrap();
    let url = lu
        .split('<')
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap()
        .to_string();
    let to = headers.lines().find(|l| l.starts_with("To:")).unwrap();
    let addr = to
        .rsplit(['<', ' '])
        .next()
        .unwrap()
        .trim_end_matches('>')
        .to_string();
    (url, addr)
}

/// Suppressions in the ledger, read straight from the SQLite file.
fn suppressions(t: &Tree) -> i64 {
    let db = t.root().join("data/bulletin.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM suppressions")
            .fetch_one(&pool)
            .await
            .unwrap();
        n.0
    })
}

fn path_of(url: &str) -> String {
    format!("/{}", url.splitn(4, '/').nth(3).unwrap())
}

#[test]
fn get_does_not_unsubscribe_post_does_and_the_next_issue_skips_them() {
    let (t, d) = sample_with_sent_issue();
    let (url, addr) = unsubscribe_link(&t);
    let path = path_of(&url);

    let (code, _, body) = get(&d, &path);
    assert_eq!(code, 200);
    assert!(
        body.contains("<form method=\"post\">") && body.contains("Unsubscribe from SSCP news"),
        "{body}"
    );
    assert!(body.contains(&addr));
    // Link scanners fetch links: still subscribed after any number of GETs.
    get(&d, &path);
    assert_eq!(suppressions(&t), 0, "GET changed nothing");

    // RFC 8058 one-click POST from a mail client.
    let (code, head, body) = post_form(&d, &path, "List-Unsubscribe=One-Click");
    assert_eq!(code, 200, "{head}{body}");
    assert!(
        !head.contains("set-cookie") && !head.contains("location:"),
        "no cookie, no redirect: {head}"
    );
    assert!(body.contains("You have been unsubscribed"), "{body}");
    assert_eq!(suppressions(&t), 1, "POST suppressed the address");

    drop(d);
    // The next issue goes to everyone else.
    let o = bulletin(t.root())
        .args(["send", "sscp-news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1 suppressed"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let december: Vec<String> = std::fs::read_dir(t.root().join("outbox"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .filter(|m| m.contains("Subject: SSCP news: December 2026"))
        .collect();
    assert!(!december.is_empty());
    assert!(
        december
            .iter()
            .all(|m| !m.contains(&format!("To: {addr}")) && !m.contains(&format!("<{addr}>"))),
        "the unsubscribed address got the next issue"
    );
}

#[test]
fn forged_and_tampered_tokens_are_refused_alike() {
    let (t, d) = sample_with_sent_issue();
    let (url, _) = unsubscribe_link(&t);
    let path = path_of(&url);
    let mut tampered = path.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (c1, _, b1) = post_form(&d, &tampered, "List-Unsubscribe=One-Click");
    let (c2, _, b2) = post_form(&d, "/unsubscribe/not-a-token", "List-Unsubscribe=One-Click");
    let (c3, _, b3) = get(&d, "/unsubscribe/azE6c3NjcC1uZXdzOmV2aWxAeC5leGFtcGxl.AAAA");
    assert_eq!((c1, c2, c3), (400, 400, 400));
    assert_eq!(b1, b2, "the same answer for every bad token");
    assert_eq!(b2, b3);
    assert!(b1.contains("This unsubscribe link is not valid"));
    let (code, _, body) = get(&d, &path);
    assert_eq!(code, 200, "the genuine link still works: {body}");
    drop(t);
}

#[test]
fn the_archive_holds_the_sent_issue_and_no_addresses() {
    let (t, d) = sample_with_sent_issue();
    let (code, _, index) = get(&d, "/archive/");
    assert_eq!(code, 200);
    assert!(index.contains("/archive/sscp-news/2026-11-01"), "{index}");
    assert!(index.contains("SSCP news: November 2026"));
    let (code, head, issue) = get(&d, "/archive/sscp-news/2026-11-01");
    assert_eq!(code, 200);
    assert!(
        head.contains("content-security-policy: default-src 'none'; style-src 'unsafe-inline'"),
        "{head}"
    );
    assert!(issue.contains("<html lang=\"en-GB\""));
    // No subscriber's address anywhere in the public pages.
    let p = t.load().project.unwrap();
    for m in p.lists.union(&p.bulletin("sscp-news").unwrap().lists) {
        assert!(
            !issue.contains(m.email.as_str()) && !index.contains(m.email.as_str()),
            "{} leaked",
            m.email
        );
    }
    assert!(!issue.contains("unsubscribe.invalid"));
    assert_eq!(
        get(&d, "/archive/sscp-news/2026-12-01").0,
        404,
        "an unsent issue is not public"
    );
    assert_eq!(get(&d, "/archive/..%2f..%2fetc/passwd").0, 404);
}

#[test]
fn both_feeds_parse_with_independent_parsers() {
    let (t, d) = sample_with_sent_issue();
    let (code, head, ics) = get(&d, "/calendar.ics");
    assert_eq!(code, 200);
    assert!(head.contains("content-type: text/calendar"), "{head}");
    let (code, head, atom) = get(&d, "/feed.atom");
    assert_eq!(code, 200);
    assert!(
        head.contains("content-type: application/atom+xml"),
        "{head}"
    );
    let ics_path = t.root().join("c.ics");
    std::fs::write(&ics_path, &ics).unwrap();
    let o = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ics_parse.py"))
        .arg(&ics_path)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "icalendar could not parse /calendar.ics: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let atom_path = t.root().join("f.atom");
    std::fs::write(&atom_path, &atom).unwrap();
    let o = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/parse_feed.py"
        ))
        .arg(&atom_path)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "feedparser missing or failed (scripts/test installs it): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let f: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(f["bozo"], false, "{f}");
    assert_eq!(f["version"], "atom10");
    assert_eq!(f["entries"][0]["title"], "SSCP news: November 2026");
    assert!(
        f["entries"][0]["link"]
            .as_str()
            .unwrap()
            .ends_with("/archive/sscp-news/2026-11-01")
    );
}

#[test]
fn operations_endpoints_and_hardening() {
    let (_t, d) = sample_with_sent_issue();
    let (code, head, body) = get(&d, "/healthz");
    assert_eq!(code, 200, "{body}");
    for h in [
        "content-security-policy: default-src 'none'",
        "x-content-type-options: nosniff",
        "referrer-policy: no-referrer",
        "x-frame-options: deny",
    ] {
        assert!(head.contains(h), "missing {h}: {head}");
    }
    let (code, _, metrics) = get(&d, "/metrics");
    assert_eq!(code, 200);
    assert!(
        metrics.contains("bulletin_deliveries{state=\"sent\"} 33"),
        "{metrics}"
    );
    assert!(metrics.contains("bulletin_relay_errors 0"));
    assert_eq!(get(&d, "/admin").0, 404, "absent without the token");
    assert_eq!(
        request(
            &d,
            "GET",
            "/admin",
            &[("Authorization", "Bearer wrong")],
            ""
        )
        .0,
        404
    );
    let (code, _, admin) = request(
        &d,
        "GET",
        "/admin",
        &[("Authorization", "Bearer test-admin-token")],
        "",
    );
    assert_eq!(code, 200);
    assert!(admin.contains("bulletin:sscp-news"), "next fires: {admin}");
    // Oversized bodies are refused; errors show no internals.
    let big = "x".repeat(64 * 1024);
    assert_eq!(post_form(&d, "/unsubscribe/abc", &big).0, 413);
    let (code, _, body) = get(&d, "/no/such/page");
    assert_eq!(code, 404);
    assert!(
        body.contains("Page not found")
            && !body.to_lowercase().contains("panicked")
            && !body.contains("src/")
    );
}

/// The archive filtered by one of the strategy's themes lists only the issues that carry it,
/// from the themes stored with each issue when it was created.
#[test]
fn the_archive_filters_by_theme() {
    let (t, d) = sample_with_sent_issue();
    // November 2026 carries the 16 Days of Action (domestic abuse) and no child sexual abuse item.
    let (code, _, da) = get(&d, "/archive/?theme=domestic-abuse");
    assert_eq!(code, 200);
    assert!(da.contains("/archive/sscp-news/2026-11-01"), "{da}");
    assert!(da.contains("Showing: <strong>Domestic abuse</strong>"));
    assert!(da.contains("themes: "), "{da}");
    let (code, _, csa) = get(&d, "/archive/?theme=child-sexual-abuse");
    assert_eq!(code, 200);
    assert!(!csa.contains("/archive/sscp-news/2026-11-01"), "{csa}");
    // An unknown theme filters nothing out.
    let (_, _, all) = get(&d, "/archive/?theme=nonsense");
    assert!(all.contains("/archive/sscp-news/2026-11-01"));
    drop(t);
}
