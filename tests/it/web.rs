//! A partner leaves in one click, reads past issues in a browser, and subscribes to the
//! calendar: HTTP against the real running daemon.

use crate::support;

use support::daemon::Daemon;
use support::email::first_link;
use support::send_sample;
use support::smtp::free_port;
use support::{Tree, bulletin};

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
    let o = send_sample(&t, "2026-11-01");
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
    let o = send_sample(&t, "2026-12-01");
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
    let f = support::python_json("tests/it/support/parse_feed.py", "f.atom", atom.as_bytes());
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

/// An unsubscribe page shows the address and its URL is a personal token: neither a browser
/// nor a proxy may keep it, whether it is the page (GET) or the answer to the button (POST).
#[test]
fn unsubscribe_pages_are_never_stored() {
    let (t, d) = sample_with_sent_issue();
    let (url, addr) = first_link(&t);
    let path = path_of(&url);
    let (code, head, body) = d.get(&path);
    assert_eq!(code, 200);
    assert!(body.contains(&addr));
    assert!(
        head.contains("\r\ncache-control: no-store\r\n"),
        "GET: {head}"
    );
    let (code, head, body) = d.post_form(&path, "scope=bulletin");
    assert_eq!(code, 200, "{head}{body}");
    assert!(body.contains(&addr));
    assert!(
        head.contains("\r\ncache-control: no-store\r\n"),
        "POST: {head}"
    );
    let (code, head, _) = d.post_form(&path, "List-Unsubscribe=One-Click");
    assert_eq!(code, 200);
    assert!(
        head.contains("\r\ncache-control: no-store\r\n"),
        "one-click: {head}"
    );
}

/// `/admin` does not exist for a caller without the token, whatever the method: a 405 to a
/// POST would say it is there.
#[test]
fn admin_by_any_method_is_as_absent_as_by_get() {
    let (_t, d) = sample_with_sent_issue();
    let unknown = d.get("/no/such/page");
    assert_eq!(unknown.0, 404);
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
        for auth in [&[][..], &[("Authorization", "Bearer wrong")][..]] {
            let (code, head, body) = d.request(method, "/admin", auth, "");
            assert_eq!(code, 404, "{method} {auth:?}: {head}");
            assert!(!head.contains("\r\nallow:"), "{method}: {head}");
            assert_eq!(
                body, unknown.2,
                "{method}: the same page as any unknown address"
            );
        }
    }
    let token = format!("Bearer {}", support::daemon::ADMIN_TOKEN);
    let (code, head, _) = d.request("POST", "/admin", &[("Authorization", &token)], "");
    assert_eq!(code, 405, "with the token it may say so: {head}");
    assert!(head.contains("\r\nallow: get, head\r\n"), "{head}");
    assert_eq!(d.admin_get("/admin").0, 200);
}

/// A date in a path has one spelling, `YYYY-MM-DD`: anything chrono would also read (a sign,
/// a fifth digit) is another address for the same page, so it is a 404.
#[test]
fn a_date_in_a_path_has_one_spelling() {
    let (_t, d) = sample_with_sent_issue();
    assert_eq!(d.get("/archive/sscp-news/2026-11-01").0, 200);
    for alias in [
        "/archive/sscp-news/+2026-11-01",
        "/archive/sscp-news/%2B2026-11-01",
        "/archive/sscp-news/02026-11-01",
        "/archive/sscp-news/+02026-11-01",
        "/archive/sscp-news/2026-11-1",
        "/archive/sscp-news/2026-11-01%20",
    ] {
        assert_eq!(d.get(alias).0, 404, "{alias}");
    }
}

/// A preview is a file left on disk and passed around: it names no subscriber, its unsubscribe
/// link is a proof's dummy one (no token the daemon accepts), and only its owner may read it.
#[test]
fn a_preview_names_no_subscriber_carries_no_working_token_and_is_private() {
    use std::os::unix::fs::PermissionsExt;
    const SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let t = Tree::sample();
    t.quiet_schedule();
    let port = free_port();
    let settings = std::fs::read_to_string(t.config()).unwrap().replace(
        "public_url = \"http://127.0.0.1:8080\"",
        &format!("public_url = \"http://127.0.0.1:{port}\""),
    );
    t.write("config/bulletin.toml", &settings);
    let mut files = Vec::new();
    for ext in ["html", "txt", "eml"] {
        let path = t.root().join(format!("preview.{ext}"));
        let o = support::bulletin_with_umask(t.root(), "022")
            .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
            .args(["preview", "sscp-news", "--date", "2026-11-01", "--out"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        files.push(path);
    }
    let d = Daemon::start_with(&t, port, &[("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)]);
    let p = t.load().project.unwrap();
    let members = p.lists.union(&p.bulletin("sscp-news").unwrap().lists);
    assert!(!members.is_empty());
    // Every problem of every file, so one run shows them all.
    let mut problems = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        if mode != 0o600 {
            problems.push(format!("{name}: mode {mode:o}"));
        }
        // Quoted-printable soft breaks and folded headers joined, so no link hides across lines.
        let text = std::fs::read_to_string(f)
            .unwrap()
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("\r\n ", " ")
            .replace("=3D", "=");
        let lower = text.to_lowercase();
        for m in &members {
            if lower.contains(&m.email.key()) {
                problems.push(format!("{name}: names {}", m.email));
            }
        }
        for (at, _) in text.match_indices("/unsubscribe/") {
            let token: String = text[at + "/unsubscribe/".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-_.~".contains(*c))
                .collect();
            let (code, _, page) = d.get(&format!("/unsubscribe/{token}"));
            if code != 400 {
                let whose = members
                    .iter()
                    .find(|m| page.contains(m.email.as_str()))
                    .map_or(String::new(), |m| format!(", the page of {}", m.email));
                problems.push(format!("{name}: a token the daemon takes ({code}{whose})"));
            }
        }
        if !text.contains("#proof") {
            problems.push(format!("{name}: no dummy unsubscribe link"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// `/admin` lists a cancelled coming issue among the next fires as cancelled, with who and
/// when and the command that restores it, not as if it were still going.
#[test]
#[allow(clippy::disallowed_methods)] // the real clock the daemon under test reads
fn admin_shows_a_cancelled_coming_issue_as_cancelled() {
    let t = Tree::sample();
    t.quiet_schedule();
    t.create_ledger();
    let port = free_port();
    let settings = std::fs::read_to_string(t.config()).unwrap().replace(
        "public_url = \"http://127.0.0.1:8080\"",
        &format!("public_url = \"http://127.0.0.1:{port}\""),
    );
    t.write("config/bulletin.toml", &settings);
    let p = t.load().project.unwrap();
    let tz = p.settings.organisation.time_zone;
    let next = bulletin::issue::next_fire_on_or_after(
        p.bulletin("sscp-news").unwrap(),
        tz,
        chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Days::new(1),
    )
    .unwrap();
    let date = next.date_naive().to_string();
    let o = bulletin(t.root())
        .args(["cancel", "sscp-news", "--date", &date])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = Daemon::start(&t, port);
    let (code, _, admin) = d.admin_get("/admin");
    assert_eq!(code, 200);
    let line = admin
        .split("<li>")
        .find(|l| l.contains(&format!("(for {date})")) && l.contains("bulletin:sscp-news"))
        .unwrap_or_else(|| panic!("the issue among the next fires: {admin}"));
    assert!(
        line.contains("cancelled</strong> by tester")
            && line.contains(&format!("bulletin uncancel sscp-news --date {date}")),
        "{line}"
    );
}
