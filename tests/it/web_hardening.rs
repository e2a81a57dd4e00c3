//! The web server attacked as an outsider would: idle and slowloris connections under a small
//! file-descriptor limit, malformed and oversized requests, out-of-range dates, pathological
//! campaign text, characters XML forbids, and unsubscribe links in proxy logs. Against the real
//! running daemon, over raw TCP.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use crate::support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use support::daemon::Daemon;
use support::email::first_link;
use support::smtp::free_port;
use support::wait_until;
use support::{Tree, bulletin, http};

/// `bulletin run` on a free port (named as the tree's `public_url` unless the tree has a `[web]`
/// section already), serving; with `nofile`, under that file-descriptor limit.
fn start(t: &Tree, nofile: Option<u32>) -> Daemon {
    let port = free_port();
    let settings = std::fs::read_to_string(t.config()).unwrap();
    if !settings.contains("[web]") {
        t.write(
            "config/bulletin.toml",
            &format!("{settings}\n[web]\npublic_url = \"http://127.0.0.1:{port}\"\n"),
        );
    }
    let b = Daemon::builder(t).port(port).admin_token();
    match nofile {
        Some(n) => b.nofile(n).start(),
        None => b.start(),
    }
}

const SECURITY: &[&str] = &[
    "content-security-policy: default-src 'none'",
    "x-content-type-options: nosniff",
    "referrer-policy: no-referrer",
    "x-frame-options: deny",
];

fn assert_hardened(what: &str, head: &str) {
    for h in SECURITY {
        assert!(head.contains(h), "{what}: missing `{h}` in\n{head}");
    }
}

/// A minimal tree with an issue sent to the outbox on 1 Nov 2026.
fn sent(t: &Tree) {
    let o = bulletin(t.root())
        .args(["send", "news", "--now", "--date", "2026-11-01"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn out_of_range_months_are_a_400_and_nothing_panics() {
    let t = Tree::minimal();
    let d = start(&t, None);
    for month in [
        "-262143-01",
        "262143-01",
        "+262142-12",
        "1899-12",
        "10000-01",
        "2026-13",
        "2026-00",
        "x",
    ] {
        let (code, head, body) = d.get(&format!("/calendar?month={month}&view=list"));
        assert_eq!(code, 400, "{month}: {body}");
        assert_hardened(month, &head);
        assert!(body.contains("No such month"), "{body}");
        let (code, _, _) = d.get(&format!("/calendar?month={month}"));
        assert_eq!(code, 400, "{month}");
    }
    for month in ["1900-01", "2026-11", "9999-12"] {
        let (code, _, body) = d.get(&format!("/calendar?month={month}"));
        assert_eq!(code, 200, "{month}: {body}");
    }
    assert_eq!(d.get("/healthz").0, 200);
    assert!(!d.log().contains("panicked"), "{}", d.log());
}

#[test]
fn the_atom_feed_stays_well_formed_with_characters_xml_forbids() {
    let t = Tree::minimal();
    let settings = std::fs::read_to_string(t.config()).unwrap().replace(
        "subject = \"News: {month} {year}\"",
        "subject = \"News\\uFFFE: {month}\\uFFFF {year} & <more>\"",
    );
    t.write("config/bulletin.toml", &settings);
    sent(&t);
    let d = start(&t, None);
    let (code, head, atom) = d.get("/feed.atom");
    assert_eq!(code, 200);
    assert_hardened("/feed.atom", &head);
    assert!(
        atom.contains("<title>News: November 2026 &amp; &lt;more&gt;</title>"),
        "{atom}"
    );
    let path = t.root().join("f.atom");
    std::fs::write(&path, &atom).unwrap();
    // A strict XML parser: any character XML forbids is a hard error.
    let o = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1]); print('ok')",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "not well-formed XML: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/it/support/parse_feed.py"
        ))
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let f: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(f["bozo"], false, "{f}");
    assert!(!f["entries"].as_array().unwrap().is_empty(), "{f}");
}

/// Every kind of refusal carries the security headers: hyper's own parse errors (malformed
/// request line, a URI or headers too large), the body limit, and ours.
#[test]
fn every_error_response_carries_the_security_headers() {
    let t = Tree::minimal();
    let d = start(&t, None);
    let wait = Duration::from_secs(15);
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("malformed request line", b"GARBAGE\r\n\r\n".to_vec(), 400),
        (
            "bad content-length",
            b"POST /unsubscribe/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".to_vec(),
            400,
        ),
        (
            "long URI",
            format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000)).into_bytes(),
            414,
        ),
        (
            "oversized headers",
            format!(
                "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "a".repeat(500_000)
            )
            .into_bytes(),
            431,
        ),
        (
            "too many headers",
            format!(
                "GET / HTTP/1.1\r\nHost: x\r\n{}\r\n",
                (0..200)
                    .map(|i| format!("X-{i}: y\r\n"))
                    .collect::<String>()
            )
            .into_bytes(),
            431,
        ),
    ];
    for (what, raw, expect) in cases {
        let (code, head, _) = d.raw(&raw, wait);
        assert_eq!(code, expect, "{what}: {head}");
        assert_hardened(what, &head);
    }
    // The body limit (16 KB).
    let big = "x".repeat(64 * 1024);
    let (code, head, _) = d.request(
        "POST",
        "/unsubscribe/abc",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &big,
    );
    assert_eq!(code, 413);
    assert_hardened("413", &head);
    // The second request on a keep-alive connection is judged the same.
    let mut s = TcpStream::connect(("127.0.0.1", d.port())).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(
        format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(20_000)
        )
        .as_bytes(),
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    let second = text
        .match_indices("HTTP/1.1 ")
        .nth(1)
        .map(|(i, _)| &text[i..])
        .unwrap_or_else(|| panic!("one response only: {text}"));
    let (code, head, _) = http::parse_response(second.as_bytes());
    assert_eq!(code, 431, "{second}");
    assert_hardened("keep-alive 431", &head);
    // The daemon is fine.
    assert_eq!(d.get("/healthz").0, 200);
}

/// Every response `raw` gets on one connection (read until the server closes or `wait`
/// passes), as (status, head lower-cased).
fn responses(d: &Daemon, raw: &[u8], wait: Duration) -> Vec<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", d.port())).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(raw).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    split_responses(&out)
}

fn split_responses(out: &[u8]) -> Vec<(u16, String)> {
    let text = String::from_utf8_lossy(out);
    let starts: Vec<usize> = text.match_indices("HTTP/1.").map(|(i, _)| i).collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let end = starts.get(n + 1).copied().unwrap_or(text.len());
            let (code, head, _) = http::parse_response(text[i..end].as_bytes());
            (code, head)
        })
        .collect()
}

/// A malformed request is answered 400 with the security headers, whether it is the first of
/// its connection or follows others on a kept-alive one (hyper's own 400 carries none), and so
/// is a request whose lines end in a bare LF (which was not answered at all); bodies, sized or
/// chunked, are never mistaken for the next request.
#[test]
fn malformed_and_bare_lf_requests_get_a_hardened_400_first_or_kept_alive() {
    let t = Tree::minimal();
    let d = start(&t, None);
    // Less than the 10 s header timeout: a bare-LF head must be answered, not timed out.
    let wait = Duration::from_secs(5);
    let get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    let cases: Vec<(&str, String, Vec<u16>)> = vec![
        (
            "bare LF first",
            "GET /healthz HTTP/1.1\nHost: x\n\n".into(),
            vec![400],
        ),
        (
            "bare LF in one header line",
            "GET /healthz HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n".into(),
            vec![400],
        ),
        (
            "malformed after a valid one",
            format!("{get}GARBAGE\r\n\r\n"),
            vec![200, 400],
        ),
        (
            "bare LF after a valid one",
            format!("{get}GET /healthz HTTP/1.1\nHost: x\n\n"),
            vec![200, 400],
        ),
        (
            "malformed after two valid ones",
            format!("{get}{get}GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            vec![200, 200, 400],
        ),
        (
            "malformed after a sized body that looks like a request",
            format!(
                "POST /unsubscribe/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 12\r\n\r\nGARBAGE\r\n\r\nx{get}GARBAGE\r\n\r\n"
            ),
            vec![400, 200, 400],
        ),
        (
            "malformed after a chunked body",
            format!(
                "POST /unsubscribe/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\na=b&c\r\nc\r\nGARBAGE\r\n\r\nx\r\n0\r\nX-Trailer: y\r\n\r\n{get}GARBAGE\r\n\r\n"
            ),
            vec![400, 200, 400],
        ),
    ];
    for (what, raw, expect) in cases {
        let got = responses(&d, raw.as_bytes(), wait);
        let codes: Vec<u16> = got.iter().map(|r| r.0).collect();
        assert_eq!(codes, expect, "{what}: {got:?}");
        for (code, head) in &got {
            assert_hardened(&format!("{what} ({code})"), head);
        }
    }
    // Not pipelined: the malformed request comes after the first answer was read.
    let mut s = TcpStream::connect(("127.0.0.1", d.port())).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(get.as_bytes()).unwrap();
    let mut first = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&first).contains("paused:") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed after one answer");
        first.extend_from_slice(&buf[..n]);
    }
    s.write_all(b"GARBAGE\r\n\r\n").unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    let got = split_responses(&rest);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, 400);
    assert_hardened("malformed after an answer", &got[0].1);
    assert_eq!(d.get("/healthz").0, 200);
}

#[test]
fn the_bearer_scheme_is_case_insensitive() {
    let t = Tree::minimal();
    let d = start(&t, None);
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} test-admin-token");
        let (code, _, _) = d.request("GET", "/admin", &[("Authorization", &auth)], "");
        assert_eq!(code, 200, "{scheme}");
    }
    let (code, _, _) = d.request(
        "GET",
        "/admin",
        &[("Authorization", "bearer wrong-token")],
        "",
    );
    assert_eq!(code, 404);
}

/// 200,000 `[` in a campaign summary: the calendar feed and page are built in one pass (before:
/// quadratic, minutes of work that the request timeout did not stop, on the async threads) and
/// `/healthz` answers while they are built.
#[test]
fn a_pathological_summary_neither_stalls_the_feed_nor_the_server() {
    let t = Tree::minimal();
    let summary = "[".repeat(200_000);
    t.write(
        "campaigns/brackets.toml",
        &format!(
            "title = \"Brackets\"\nsummary = \"{summary}\"\n[[when]]\ndates = {{ from = {y}-11-16, to = {y}-11-20 }}\n",
            y = chrono::Utc::now().format("%Y")
        ),
    );
    let d = Arc::new(start(&t, None));
    let feeds: Vec<_> = (0..3)
        .map(|_| {
            let d = d.clone();
            std::thread::spawn(move || d.get("/calendar.ics"))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    for _ in 0..5 {
        let (code, _, body) = d.raw(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Duration::from_secs(5),
        );
        assert_eq!(code, 200, "/healthz while the feed is built: {body}");
    }
    for f in feeds {
        let (code, _, ics) = f.join().unwrap();
        assert_eq!(code, 200);
        assert!(ics.contains("SUMMARY:Brackets"), "the feed is complete");
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("DESCRIPTION:{summary}")));
    }
    let (code, _, page) = d.get(&format!(
        "/calendar?month={}-11",
        chrono::Utc::now().format("%Y")
    ));
    assert_eq!(code, 200);
    assert!(page.contains("Brackets"));
}

fn suppressed(t: &Tree) -> Vec<String> {
    let db = t.root().join("data/bulletin.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let rows: Vec<(String,)> = sqlx::query_as("SELECT email_key FROM suppressions")
            .fetch_all(&pool)
            .await
            .unwrap();
        rows.into_iter().map(|r| r.0).collect()
    })
}

#[test]
fn unsubscribe_links_do_not_carry_the_address_and_old_links_still_work() {
    let t = Tree::minimal();
    let list = "name = \"Everyone\"\n[[member]]\nemail = \"jo.bloggs@nhs.example\"\n[[member]]\nemail = \"sam.smith@police.example\"\n";
    t.write("config/lists/all.toml", list);
    sent(&t);
    let (url, addr) = first_link(&t);
    let token = url.rsplit('/').next().unwrap().to_string();
    let local = addr.split('@').next().unwrap();
    assert!(!url.contains(local), "{url}");
    for part in token.split('.') {
        let decoded = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
        let text = String::from_utf8_lossy(&decoded);
        assert!(
            !text.contains(local) && !text.contains(".example"),
            "a part of {token} decodes to {text:?}"
        );
    }
    // A link in the first format, as in issues sent before.
    let p = t.load().project.unwrap();
    let signer = bulletin::compose::signer(&p).unwrap();
    let other = if addr.starts_with("jo") {
        "sam.smith@police.example"
    } else {
        "jo.bloggs@nhs.example"
    };
    let old = signer.sign_legacy(
        &bulletin::ids::BulletinId::parse("news").unwrap(),
        &bulletin::address::EmailAddress::parse(other).unwrap(),
    );
    let d = start(&t, None);
    let path = format!("/unsubscribe/{token}");
    // Tampered: one character of the ciphertext changed.
    let mut bent = token.clone().into_bytes();
    let mid = token.find('.').unwrap() + 3;
    bent[mid] = if bent[mid] == b'A' { b'B' } else { b'A' };
    let bent = String::from_utf8(bent).unwrap();
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let (code, _, _) = d.request(
        "POST",
        &format!("/unsubscribe/{bent}"),
        &form,
        "List-Unsubscribe=One-Click",
    );
    assert_eq!(code, 400);
    assert!(suppressed(&t).is_empty());
    let (code, _, body) = d.get(&path);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains(&addr), "the page names the address: {body}");
    let (code, _, _) = d.request("POST", &path, &form, "List-Unsubscribe=One-Click");
    assert_eq!(code, 200);
    let (code, _, _) = d.request(
        "POST",
        &format!("/unsubscribe/{old}"),
        &form,
        "List-Unsubscribe=One-Click",
    );
    assert_eq!(code, 200, "an old-format link still unsubscribes");
    let mut got = suppressed(&t);
    got.sort();
    assert_eq!(
        got,
        vec!["jo.bloggs@nhs.example", "sam.smith@police.example"]
    );
}

fn outbox(t: &Tree) -> usize {
    t.outbox().len()
}

/// 1,100 idle connections and 100 slowloris ones against a daemon limited to 1,024 file
/// descriptors: `/healthz` still answers at once, and the issue due in the middle of the
/// attack goes out on time.
#[test]
fn idle_and_slowloris_connections_cannot_exhaust_the_daemon() {
    use chrono::Timelike;
    let t = Tree::minimal();
    let fire = (chrono::Utc::now() + chrono::Duration::seconds(40))
        .with_timezone(&chrono_tz::Europe::London);
    let settings = std::fs::read_to_string(t.config()).unwrap().replace(
        "schedule = \"0 9 1 * *\"",
        &format!(
            "schedule = \"{} {} {} * * *\"\ncatch_up_hours = 0",
            fire.second(),
            fire.minute(),
            fire.hour()
        ),
    );
    t.write("config/bulletin.toml", &settings);
    let mut list = String::from("name = \"Everyone\"\n");
    for i in 0..5 {
        list.push_str(&format!("[[member]]\nemail = \"p{i}@x.example\"\n"));
    }
    t.write("config/lists/all.toml", &list);
    let d = start(&t, Some(1024));

    let mut attacker = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/it/support/hold_sockets.py"
        ))
        .args([&d.port().to_string(), "1100", "100", "120"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(attacker.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert!(ready.starts_with("ready"), "the attacker failed: {ready}");

    for _ in 0..5 {
        let (code, head, body) = d.raw(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Duration::from_secs(5),
        );
        assert_eq!(
            code,
            200,
            "/healthz under attack: {head}{body}\n{}",
            d.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    wait_until(Duration::from_secs(75), || outbox(&t) >= 5);
    assert_eq!(
        outbox(&t),
        5,
        "the issue due during the attack: {}",
        d.log()
    );
    let (code, _, _) = d.get("/healthz");
    assert_eq!(code, 200);
    drop(attacker.stdin.take());
    let _ = attacker.kill();
    let _ = attacker.wait();
    assert!(
        !d.log().contains("Too many open files"),
        "the daemon ran out of descriptors: {}",
        d.log()
    );
}
