//! A partner leaves in one click, reads past issues in a browser, and subscribes to the
//! calendar: HTTP against the real running daemon.

mod support;

use support::daemon::Daemon;
use support::email::unsubscribe_link;
use support::smtp::free_port;
use support::{Tree, bulletin};

/// The unsubscribe link and recipient of the first message in the outbox.
fn first_link(t: &Tree) -> (String, String) {
    unsubscribe_link(&std::fs::read_to_string(&t.outbox()[0]).unwrap())
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
    let d = Daemon::start(&t, port);
    (t, d)
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
    let (url, addr) = first_link(&t);
    let path = path_of(&url);

    let (code, _, body) = d.get(&path);
    assert_eq!(code, 200);
    assert!(
        body.contains("<form method=\"post\">") && body.contains("Unsubscribe from SSCP news"),
        "{body}"
    );
    assert!(body.contains(&addr));
    // Link scanners fetch links: still subscribed after any number of GETs.
    d.get(&path);
    assert_eq!(suppressions(&t), 0, "GET changed nothing");

    // RFC 8058 one-click POST from a mail client.
    let (code, head, body) = d.post_form(&path, "List-Unsubscribe=One-Click");
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
    let (url, _) = first_link(&t);
    let path = path_of(&url);
    let mut tampered = path.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (c1, _, b1) = d.post_form(&tampered, "List-Unsubscribe=One-Click");
    let (c2, _, b2) = d.post_form("/unsubscribe/not-a-token", "List-Unsubscribe=One-Click");
    let (c3, _, b3) = d.get("/unsubscribe/azE6c3NjcC1uZXdzOmV2aWxAeC5leGFtcGxl.AAAA");
    assert_eq!((c1, c2, c3), (400, 400, 400));
    assert_eq!(b1, b2, "the same answer for every bad token");
    assert_eq!(b2, b3);
    assert!(b1.contains("This unsubscribe link is not valid"));
    let (code, _, body) = d.get(&path);
    assert_eq!(code, 200, "the genuine link still works: {body}");
    drop(t);
}

#[test]
fn the_archive_holds_the_sent_issue_and_no_addresses() {
    let (t, d) = sample_with_sent_issue();
    let (code, _, index) = d.get("/archive/");
    assert_eq!(code, 200);
    assert!(index.contains("/archive/sscp-news/2026-11-01"), "{index}");
    assert!(index.contains("SSCP news: November 2026"));
    let (code, head, issue) = d.get("/archive/sscp-news/2026-11-01");
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
        d.get("/archive/sscp-news/2026-12-01").0,
        404,
        "an unsent issue is not public"
    );
    assert_eq!(d.get("/archive/..%2f..%2fetc/passwd").0, 404);
}

#[test]
fn both_feeds_parse_with_independent_parsers() {
    let (_t, d) = sample_with_sent_issue();
    let (code, head, ics) = d.get("/calendar.ics");
    assert_eq!(code, 200);
    assert!(head.contains("content-type: text/calendar"), "{head}");
    let (code, head, atom) = d.get("/feed.atom");
    assert_eq!(code, 200);
    assert!(
        head.contains("content-type: application/atom+xml"),
        "{head}"
    );
    // Independent parsers: icalendar for the calendar, feedparser for the feed.
    support::python_json("tests/ics_parse.py", "c.ics", ics.as_bytes());
    let f = support::python_json("tests/support/parse_feed.py", "f.atom", atom.as_bytes());
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
    let (code, head, body) = d.get("/healthz");
    assert_eq!(code, 200, "{body}");
    for h in [
        "content-security-policy: default-src 'none'",
        "x-content-type-options: nosniff",
        "referrer-policy: no-referrer",
        "x-frame-options: deny",
    ] {
        assert!(head.contains(h), "missing {h}: {head}");
    }
    let (code, _, metrics) = d.get("/metrics");
    assert_eq!(code, 200);
    assert!(
        metrics.contains("bulletin_deliveries{state=\"sent\"} 33"),
        "{metrics}"
    );
    assert!(metrics.contains("bulletin_relay_errors 0"));
    assert_eq!(d.get("/admin").0, 404, "absent without the token");
    assert_eq!(
        d.request("GET", "/admin", &[("Authorization", "Bearer wrong")], "")
            .0,
        404
    );
    let (code, _, admin) = d.admin_get("/admin");
    assert_eq!(code, 200);
    assert!(admin.contains("bulletin:sscp-news"), "next fires: {admin}");
    // Oversized bodies are refused; errors show no internals.
    let big = "x".repeat(64 * 1024);
    assert_eq!(d.post_form("/unsubscribe/abc", &big).0, 413);
    let (code, _, body) = d.get("/no/such/page");
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
    let (code, _, da) = d.get("/archive/?theme=domestic-abuse");
    assert_eq!(code, 200);
    assert!(da.contains("/archive/sscp-news/2026-11-01"), "{da}");
    assert!(da.contains("Showing: <strong>Domestic abuse</strong>"));
    assert!(da.contains("themes: "), "{da}");
    let (code, _, csa) = d.get("/archive/?theme=child-sexual-abuse");
    assert_eq!(code, 200);
    assert!(!csa.contains("/archive/sscp-news/2026-11-01"), "{csa}");
    // An unknown theme filters nothing out.
    let (_, _, all) = d.get("/archive/?theme=nonsense");
    assert!(all.contains("/archive/sscp-news/2026-11-01"));
    drop(t);
}
