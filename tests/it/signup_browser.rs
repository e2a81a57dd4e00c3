//! Issue 22's sign-up and preference stories in a real browser (headless Chromium, driven by
//! tests/a11y/signup-story.mjs) against the real daemon, a real SMTP sink and a real SQLite
//! ledger: a person signs up with the keyboard only, confirms through the link the sink
//! received, and is on the list (open) or waiting for review; a reader unticks a bulletin on the
//! preference page a sent message links to, and the ledger and CSV say what the page said.

use std::time::Duration;

use serde_json::{Value, json};

use crate::signup::{self, confirm_path, unqp};
use crate::support::daemon::Daemon;
use crate::support::smtp::SmtpSink;
use crate::support::{Tree, say, stdout, wait_until};

const EMAIL: &str = "Jo.Bloggs@school.example";
/// The confirmation page's button, by its accessible name.
const CONFIRM_BUTTON: &str = "Confirm my subscription";

/// Run signup-story.mjs in `mode` against the daemon; its JSON report, checked for a thrown
/// step and for Content-Security-Policy complaints in the console.
fn story(d: &Daemon, mode: &str, path: &str, args: &[&str]) -> Value {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "playwright-core missing: run scripts/test (or `npm ci` in tests/a11y)"
    );
    let base = format!("http://127.0.0.1:{}", d.port());
    let out = std::process::Command::new("node")
        .arg(dir.join("signup-story.mjs"))
        .args([mode, &base, path])
        .args(args)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "signup-story.mjs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r.get("error").is_none(), "{mode}: {r:#}\n{}", d.log());
    assert_eq!(r["csp_errors"], json!([]), "{mode}: {r:#}");
    r
}

/// A person signs up for `mode`'s list in Chromium with the keyboard, the confirmation mail
/// reaches the sink, and they press its page's button; the browser's report of that last page.
fn signed_up_and_confirmed(sink: &SmtpSink, t: &Tree, d: &Daemon) -> Value {
    let form = ["Jo Bloggs", "St Mary's", "DSL"];
    let r = story(
        d,
        "signup",
        "/subscribe/news",
        &[&[EMAIL][..], &form].concat(),
    );
    assert_eq!(
        r["focus_order"],
        json!(["email", "name", "agency", "role"]),
        "{r:#}"
    );
    assert_eq!(r["status"], 200, "{r:#}");
    assert_eq!(r["title"], "Check your email", "{r:#}");
    assert!(
        r["notice"]
            .as_str()
            .unwrap_or("")
            .contains("we have sent it an email with a link to confirm"),
        "{r:#}"
    );
    assert_eq!(
        sink.wait_for_count(1, Duration::from_secs(10)),
        1,
        "{}",
        d.log()
    );
    assert_eq!(sink.copies().get("jo.bloggs@school.example"), Some(&1));
    let mail = &sink.messages()[0];
    assert!(String::from_utf8_lossy(mail).contains("Subject: Confirm your subscription"));
    // Opening the link changes nothing; only the button does.
    let csv_before = std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap();
    let r = story(d, "confirm", &confirm_path(mail), &[CONFIRM_BUTTON]);
    assert_eq!(r["page_title"], "Confirm your subscription", "{r:#}");
    assert_eq!(r["status"], 200, "{r:#}");
    let csv = std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap();
    assert!(csv.starts_with(&csv_before), "{csv}");
    r
}

#[test]
fn in_a_browser_a_keyboard_user_signs_up_confirms_and_is_on_an_open_list() {
    let sink = SmtpSink::start(&[]);
    let t = signup::tree("open", sink.port);
    let d = signup::daemon(&t);
    let r = signed_up_and_confirmed(&sink, &t, &d);
    assert_eq!(r["title"], "You are subscribed", "{r:#}");
    let csv = std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap();
    assert!(
        csv.ends_with(&format!("{EMAIL},Jo Bloggs,\"St Mary's, DSL\"\n")),
        "{csv}"
    );
    d.stop();
    let o = signup::run(&t, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
}

#[test]
fn in_a_browser_a_keyboard_user_signs_up_confirms_and_waits_for_review() {
    let sink = SmtpSink::start(&[]);
    let t = signup::tree("review", sink.port);
    let d = signup::daemon(&t);
    let r = signed_up_and_confirmed(&sink, &t, &d);
    assert_eq!(r["title"], "Thank you for confirming", "{r:#}");
    d.stop();
    let o = signup::run(&t, &["signups"]);
    let listed = stdout(&o);
    assert!(
        listed.contains(EMAIL) && listed.contains("St Mary's, DSL"),
        "{}",
        say(&o)
    );
    let csv = std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap();
    assert!(!csv.contains(EMAIL), "not on the list before review: {csv}");
}

fn suppressions(t: &Tree) -> Value {
    let o = signup::run(t, &["suppressions", "--format", "json"]);
    serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", say(&o)))
}

/// The preference page's path in the issue the sink received for a@x.example.
fn preference_path(sink: &SmtpSink) -> String {
    let issue = sink
        .messages()
        .iter()
        .map(|m| unqp(m))
        .find(|m| m.contains("/preferences/"))
        .expect("an issue with a preference link");
    let at = issue.find("/preferences/").unwrap();
    issue[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/-_.".contains(*c))
        .collect()
}

#[test]
fn in_a_browser_a_reader_unticks_a_bulletin_from_a_sent_message_and_a_reload_changes_nothing() {
    let sink = SmtpSink::start(&[]);
    let t = signup::tree("open", sink.port);
    let o = signup::run(
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
    assert_eq!(sink.wait_for_count(1, Duration::from_secs(10)), 1);
    let path = preference_path(&sink);
    let d = signup::daemon(&t);
    assert_eq!(suppressions(&t), json!([]));

    let r = story(&d, "preferences", &path, &["news", "Alex Person"]);
    assert_eq!(r["ticked_before"], true, "{r:#}");
    assert_eq!(r["status"], 200, "{r:#}");
    assert!(
        r["notice"]
            .as_str()
            .unwrap_or("")
            .contains("Your preferences are saved"),
        "{r:#}"
    );
    let saved = suppressions(&t);
    assert_eq!(saved.as_array().map(Vec::len), Some(1), "{saved:#}");
    assert_eq!(saved[0]["scope"], "bulletin:news", "{saved:#}");
    let csv = std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap();
    assert!(csv.contains("a@x.example,Alex Person,Police\n"), "{csv}");

    // The page reads names from the running configuration, which catches up with the CSV
    // when the daemon reloads it (it watches the files): until then it shows the old name.
    let stale = std::time::Instant::now();
    assert!(
        wait_until(Duration::from_secs(10), || d
            .get(&path)
            .2
            .contains("value=\"Alex Person\"")),
        "the daemon reloads the rewritten CSV: {}",
        d.log()
    );
    eprintln!(
        "preference page showed the old name for {:?} after saving",
        stale.elapsed()
    );
    // Opened again and reloaded: the page shows what was saved, and GET changes nothing.
    let r = story(&d, "look", &path, &["news"]);
    assert_eq!(
        (&r["ticked"], &r["reloaded_ticked"]),
        (&json!(false), &json!(false)),
        "{r:#}"
    );
    assert_eq!(
        (&r["name"], &r["reloaded_name"]),
        (&json!("Alex Person"), &json!("Alex Person")),
        "{r:#}"
    );
    assert_eq!(suppressions(&t), saved);
    assert_eq!(
        std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap(),
        csv
    );
}
