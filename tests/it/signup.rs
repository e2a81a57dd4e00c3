//! Sign-up from the public form to the next issue, against the real binary, a real SMTP sink
//! and a real SQLite ledger; and the form under abuse.

use std::time::Duration;

use crate::support::daemon::Daemon;
use crate::support::smtp::{SmtpSink, free_port};
use crate::support::{self, Tree, say};

pub const SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// A minimal project whose `all` list takes sign-ups (`mode`) into `all.csv`, mailing through
/// the sink.
pub fn tree(mode: &str, sink_port: u16) -> Tree {
    let t = Tree::minimal();
    t.write(
        "config/lists/all.csv",
        "email,name,agency\na@x.example,A Person,Police\n",
    );
    t.write(
        "config/lists/all.toml",
        &format!("name = \"Everyone\"\nmembers_csv = \"all.csv\"\nsignups = \"{mode}\"\nsignup_fields = [\"agency\", \"role\"]\n"),
    );
    t.append_config(&format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{sink_port}\"\ntls = \"none\"\nmax_per_minute = 0\nmax_per_day = 0\n"
    ));
    t.quiet_schedule();
    t
}

pub fn daemon(t: &Tree) -> Daemon {
    Daemon::builder(t)
        .port(free_port())
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("BULLETIN_SMTP_PASSWORD", "any")
        .start()
}

pub fn run(t: &Tree, args: &[&str]) -> std::process::Output {
    support::run_env(
        t,
        &[
            ("BULLETIN_UNSUBSCRIBE_SECRET", SECRET),
            ("BULLETIN_SMTP_PASSWORD", "any"),
        ],
        args,
    )
}

/// POST the sign-up form as the client `ip` (the proxy's X-Forwarded-For, from loopback).
pub fn sign_up(d: &Daemon, ip: &str, body: &str) -> (u16, String) {
    let (status, _, page) = d.request(
        "POST",
        "/subscribe/news",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Forwarded-For", ip),
        ],
        body,
    );
    (status, page)
}

/// A quoted-printable body decoded (soft breaks and `=XX` escapes).
pub fn unqp(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw)
        .replace("=\r\n", "")
        .replace("=\n", "");
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (b[i], hex) {
            (b'=', Some(x)) => {
                out.push(x);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The confirmation link's path in a raw message.
pub fn confirm_path(raw: &[u8]) -> String {
    let text = unqp(raw);
    let start = text.find("/confirm/").expect("a confirmation link");
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/-_.".contains(*c))
        .collect()
}

#[test]
fn a_confirmed_sign_up_accepted_by_an_admin_reaches_the_next_issue_once() {
    let sink = SmtpSink::start(&[]);
    let t = tree("review", sink.port);
    let d = daemon(&t);
    let (status, _) = sign_up(
        &d,
        "203.0.113.7",
        "email=Jo.Bloggs%40school.example&name=Jo+Bloggs&agency=St+Mary%27s&role=DSL&website=",
    );
    assert_eq!(status, 200);
    assert_eq!(
        sink.wait_for_count(1, Duration::from_secs(10)),
        1,
        "{}",
        d.log()
    );
    let mail = &sink.messages()[0];
    assert!(String::from_utf8_lossy(mail).contains("Subject: Confirm your subscription"));
    let path = confirm_path(mail);
    let (status, _, page) = d.get(&path);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Confirm my subscription"), "{page}");
    // GET changes nothing: nothing waits for review yet.
    assert!(support::stdout(&run(&t, &["signups"])).contains("No sign-ups"));
    let (status, _, page) = d.post_form(&path, "");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Thank you for confirming"), "{page}");
    d.stop();
    let o = run(&t, &["signups"]);
    assert!(
        support::stdout(&o).contains("Jo.Bloggs@school.example"),
        "{}",
        say(&o)
    );
    assert!(
        support::stdout(&o).contains("St Mary's, DSL"),
        "{}",
        say(&o)
    );
    let o = run(&t, &["signups", "accept", "jo.bloggs@school.example"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let csv = std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap();
    assert!(
        csv.ends_with("Jo.Bloggs@school.example,Jo Bloggs,\"St Mary's, DSL\"\n"),
        "{csv}"
    );
    let o = run(&t, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert!(support::stdout(&run(&t, &["signups"])).contains("No sign-ups"));
    let o = run(
        &t,
        &[
            "send",
            "news",
            "--now",
            "--unscheduled",
            "--date",
            "2026-12-01",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    sink.wait_for_count(3, Duration::from_secs(10));
    let copies = sink.copies();
    assert_eq!(
        copies.get("jo.bloggs@school.example"),
        Some(&2),
        "confirmation + one issue: {copies:?}"
    );
    assert_eq!(copies.get("a@x.example"), Some(&1), "{copies:?}");
    // The issue carries, beside its unsubscribe link, the preference link with the same token.
    let issue = sink
        .messages()
        .into_iter()
        .map(|m| unqp(&m))
        .find(|m| {
            m.contains("To: Jo Bloggs")
                || m.contains("To: \"Jo Bloggs\"")
                || (m.contains("Jo.Bloggs@school.example") && m.contains("List-Unsubscribe"))
        })
        .expect("Jo's copy of the issue");
    let token = |path: &str| {
        let at = issue
            .find(path)
            .unwrap_or_else(|| panic!("no {path} in {issue}"))
            + path.len();
        issue[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
            .collect::<String>()
    };
    assert_eq!(token("/preferences/"), token("/unsubscribe/"));
}

#[test]
fn an_open_list_takes_a_confirmed_person_at_once_and_a_link_works_once() {
    let sink = SmtpSink::start(&[]);
    let t = tree("open", sink.port);
    let d = daemon(&t);
    sign_up(&d, "203.0.113.8", "email=kim%40home.example&name=Kim");
    sink.wait_for_count(1, Duration::from_secs(10));
    let path = confirm_path(&sink.messages()[0]);
    // A tampered link adds nobody.
    let mut bent = path.clone().into_bytes();
    let i = bent.len() - 4;
    bent[i] = if bent[i] == b'A' { b'B' } else { b'A' };
    let (status, _, _) = d.post_form(std::str::from_utf8(&bent).unwrap(), "");
    assert_eq!(status, 400);
    // An expired link (the same sign-up and nonce, sealed with an end in the past) adds nobody.
    let token = path.trim_start_matches("/confirm/");
    let key_id = token.split('.').next().unwrap();
    let signer = bulletin::token::Signer::new(key_id, bulletin::secret::Secret::new(SECRET));
    let text = signer
        .open_for(bulletin::signup::CONFIRM_PURPOSE, token)
        .unwrap();
    let mut link = bulletin::signup::ConfirmLink::parse(&text).unwrap();
    link.expires = 1_000_000_000;
    let expired = signer.seal_for(bulletin::signup::CONFIRM_PURPOSE, &link.text());
    assert_eq!(d.post_form(&format!("/confirm/{expired}"), "").0, 400);
    assert!(
        !std::fs::read_to_string(t.root().join("config/lists/all.csv"))
            .unwrap()
            .contains("kim@")
    );
    let (status, _, page) = d.post_form(&path, "");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You are subscribed"), "{page}{}", d.log());
    let csv = std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap();
    assert!(csv.ends_with("kim@home.example,Kim,\n"), "{csv}");
    // Replayed: the link has been used.
    assert_eq!(d.post_form(&path, "").0, 400);
    assert_eq!(d.get(&path).0, 400);
    d.stop();
    let o = run(&t, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert_eq!(
        std::fs::read_to_string(t.root().join("config/lists/all.csv"))
            .unwrap()
            .matches("kim@")
            .count(),
        1
    );
}

#[test]
fn abuse_gets_one_neutral_answer_and_at_most_one_mail_per_address_a_day() {
    let sink = SmtpSink::start(&[]);
    let t = tree("review", sink.port);
    let d = daemon(&t);
    let new = sign_up(&d, "198.51.100.1", "email=new%40x.example&name=New");
    assert_eq!(new.0, 200);
    // 100 sign-ups of one address from 100 clients: one confirmation mail.
    for i in 0..100 {
        let r = sign_up(
            &d,
            &format!("10.0.{}.{}", i / 250, i % 250 + 1),
            "email=victim%40x.example&name=V",
        );
        assert_eq!(r, new, "answer {i} differs");
    }
    // An existing subscriber, a robot, a client over its limit: the same bytes, no mail.
    assert_eq!(
        sign_up(&d, "198.51.100.2", "email=a%40x.example&name=A"),
        new
    );
    assert_eq!(
        sign_up(
            &d,
            "198.51.100.3",
            "email=bot%40x.example&name=B&website=http%3A%2F%2Fspam.example"
        ),
        new
    );
    for i in 0..7 {
        let r = sign_up(
            &d,
            "198.51.100.4",
            &format!("email=many{i}%40x.example&name=M"),
        );
        assert_eq!(r, new);
    }
    // new + victim + the limit's 5 of many0..6
    assert_eq!(
        sink.wait_for_count(8, Duration::from_secs(5)),
        7,
        "{}",
        d.log()
    );
    let copies = sink.copies();
    assert_eq!(copies.get("victim@x.example"), Some(&1));
    for nobody in [
        "a@x.example",
        "bot@x.example",
        "many5@x.example",
        "many6@x.example",
    ] {
        assert_eq!(copies.get(nobody), None, "{nobody}: {copies:?}");
    }
    // A form's own mistakes are shown back, with the error summary.
    let (status, page) = sign_up(&d, "198.51.100.5", "email=not-an-address&name=");
    assert_eq!(status, 400);
    assert!(
        page.contains("There is a problem") && page.contains("Enter your name"),
        "{page}"
    );
}

/// axe-core (WCAG 2.2 AA) in headless Chromium over the sign-up pages, light and dark.
pub fn axe(targets: &[String]) -> Vec<serde_json::Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y");
    let out = std::process::Command::new("node")
        .arg(dir.join("axe.mjs"))
        .args(targets)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "axe.mjs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().clone()
}

#[test]
fn the_sign_up_and_confirmation_pages_pass_axe() {
    let sink = SmtpSink::start(&[]);
    let t = tree("review", sink.port);
    t.write(
        "config/agencies.toml",
        "[[agency]]\nname = \"Salford City Council\"\n\n[[agency]]\nname = \"NHS\"\n",
    );
    let d = daemon(&t);
    let base = format!("http://127.0.0.1:{}", d.port());
    let (status, page) = sign_up(&d, "203.0.113.30", "email=nope&name=&agency=Acme");
    assert_eq!(status, 400);
    assert!(page.contains("<select"), "{page}");
    let errors = t.root().join("form-errors.html");
    std::fs::write(
        &errors,
        page.replace(
            "href=\"/static/site.css\"",
            &format!("href=\"{base}/static/site.css\""),
        ),
    )
    .unwrap();
    sign_up(
        &d,
        "203.0.113.31",
        "email=pat%40x.example&name=Pat&agency=NHS",
    );
    sink.wait_for_count(1, Duration::from_secs(10));
    let confirm = format!("{base}{}", confirm_path(&sink.messages()[0]));
    let targets = vec![
        format!("{base}/subscribe/news"),
        errors.display().to_string(),
        format!("{base}/subscribe/news/snippet"),
        format!("{base}/privacy"),
        confirm,
    ];
    let results = axe(&targets);
    assert_eq!(results.len(), 2 * targets.len());
    for r in &results {
        assert!(r["passes"].as_u64().unwrap() > 5, "axe ran: {r}");
        assert_eq!(
            r["violations"],
            serde_json::json!([]),
            "{} ({}): {:#}",
            r["target"],
            r["scheme"],
            r["violations"]
        );
    }
}

#[test]
fn a_list_that_takes_sign_ups_needs_a_csv_and_a_known_mode() {
    let t = Tree::minimal();
    t.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\nsignups = \"review\"\n[[member]]\nemail = \"a@x.example\"\n",
    );
    let o = run(&t, &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", say(&o));
    let out = say(&o);
    assert!(
        out.contains(
            "all.toml:2:11: error: a list that takes sign-ups needs a members_csv to add them to"
        ),
        "{out}"
    );
    assert!(out.contains("hint: add members_csv"), "{out}");
    t.write("config/lists/all.csv", "email,name,agency\n");
    t.write("config/lists/all.toml", "name = \"Everyone\"\nmembers_csv = \"all.csv\"\nsignups = \"yes\"\nsignup_fields = [\"shoe size\"]\n");
    let out = say(&run(&t, &["check"]));
    assert!(
        out.contains("all.toml:3:11: error: signups = \"yes\" is not a choice"),
        "{out}"
    );
    assert!(
        out.contains("all.toml:4:18: error: signup_fields: `shoe size` is not a field"),
        "{out}"
    );
}
