//! Issue 21's first story end to end, in a real browser against the real daemon and a real SMTP
//! sink, on a project that is a git work tree: an editor signs in through the link the sink
//! received, writes a news item with a deadline through the form (seeing it in the live
//! preview and in the next issue), sends a proof, approves, and the daemon sends that issue
//! with the item to the list; the item is the file a person would write, committed as them.

use crate::support;

use std::time::Duration;

use support::desk::{DeskSite, EDITOR, READER};
use support::{Tree, wait_until};

const TITLE: &str = "Safer sleep briefing";
const BODY: &str = "Book your place by the deadline.";

/// The decoded text of every message to `who` whose raw text has `subject_has`.
fn mails_to(site: &DeskSite, who: &str, subject_has: &str) -> Vec<String> {
    site.sink
        .transactions()
        .into_iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(who)))
        .filter(|m| String::from_utf8_lossy(&m.data).contains(subject_has))
        .map(|m| {
            let parsed = support::email::parse_email(&m.data);
            let parts = parsed["parts"].as_array().unwrap();
            parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

/// The daemon holds today's issue (approval required, it fired a minute ago) of a project
/// that is a git work tree with everything committed.
fn held_work_tree(t: &Tree) {
    crate::desk_issue::held_today(t);
    crate::desk_news::signed_in::work_tree(t.root());
}

/// Run desk-story.mjs; its JSON report.
fn browse(site: &DeskSite, link: &str, publish: &str, deadline: &str) -> serde_json::Value {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "playwright-core missing: run scripts/test (or `npm ci` in tests/a11y)"
    );
    let base = format!("http://127.0.0.1:{}", site.port());
    let out = std::process::Command::new("node")
        .arg(dir.join("desk-story.mjs"))
        .args([&base, link, TITLE, publish, deadline, BODY])
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "desk-story.mjs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Each step of desk-story.mjs did what a person would see it do.
fn what_the_browser_saw(r: &serde_json::Value, slug: &str) {
    assert!(r.get("error").is_none(), "{r:#}");
    assert_eq!(r["signed_in"], true, "{r:#}");
    assert_eq!(r["preview_shows_item"], true, "{r:#}");
    assert_eq!(r["preview_shows_deadline"], true, "{r:#}");
    assert_eq!(r["saved_status"], 200, "{r:#}");
    assert_eq!(r["csp_errors"], serde_json::json!([]), "{r:#}");
    assert!(
        r["saved_url"]
            .as_str()
            .unwrap()
            .contains(&format!("/desk/news/{slug}?saved=1")),
        "{r:#}"
    );
    assert!(
        r["issue_url"]
            .as_str()
            .unwrap()
            .ends_with("/desk/issue/news"),
        "{r:#}"
    );
    assert!(
        r["issue_carries"].as_str().unwrap().contains(TITLE),
        "the next issue carries the item: {r:#}"
    );
    assert_eq!(r["issue_preview_shows_item"], true, "{r:#}");
    assert_eq!(r["issue_preview_shows_deadline"], true, "{r:#}");
    assert!(
        r["proof_notice"]
            .as_str()
            .unwrap_or("")
            .contains("A proof was sent to ed@x.example"),
        "{r:#}"
    );
    assert!(
        r["approve_notice"]
            .as_str()
            .unwrap_or("")
            .contains("Approved. It will be sent within a minute."),
        "{r:#}"
    );
}

#[test]
fn in_a_browser_an_editor_signs_in_writes_an_item_proofs_approves_and_the_daemon_sends_it() {
    #[allow(clippy::disallowed_methods)] // the date held_today's issue is for, on the real clock
    let date = (chrono::Utc::now() - chrono::Duration::minutes(1))
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    // Published on the held issue's day: new in it.
    let publish = date;
    let deadline = date + chrono::Duration::days(14);
    let site = DeskSite::start_with("", held_work_tree);
    assert!(
        wait_until(Duration::from_secs(30), || !mails_to(
            &site,
            EDITOR,
            "[Awaiting approval]"
        )
        .is_empty()),
        "the daemon holds today's issue: {}",
        site.daemon().log()
    );
    let link = site.mailed_link(EDITOR);
    let r = browse(&site, &link, &publish.to_string(), &deadline.to_string());
    let slug = format!("{}-safer-sleep-briefing", publish.format("%Y-%m"));
    what_the_browser_saw(&r, &slug);

    let closes = format!("Closes {}", deadline.format("%a %-d %b %Y"));
    assert!(
        wait_until(Duration::from_secs(20), || !mails_to(
            &site, EDITOR, "[Proof]"
        )
        .is_empty()),
        "the proof reaches the sink"
    );
    let proof = &mails_to(&site, EDITOR, "[Proof]")[0];
    assert!(proof.contains(TITLE) && proof.contains(&closes), "{proof}");
    assert!(
        wait_until(Duration::from_secs(60), || !mails_to(
            &site, READER, "News:"
        )
        .is_empty()),
        "approved, the daemon sends the issue: {}",
        site.daemon().log()
    );
    let sent = mails_to(&site, READER, "News:");
    assert_eq!(sent.len(), 1, "one issue to the list member");
    assert!(
        sent[0].contains(TITLE) && sent[0].contains(BODY) && sent[0].contains(&closes),
        "the issue carries the item and its deadline: {}",
        sent[0]
    );

    let root = site.tree.root();
    let file = std::fs::read_to_string(root.join(format!("news/{slug}.md"))).unwrap();
    assert_eq!(
        file,
        format!(
            "+++\ntitle = \"{TITLE}\"\nsection = \"partnership\"\npublish = {publish}\ndeadline = {deadline}\n+++\n{BODY}\n"
        )
    );
    let git = crate::desk_news::signed_in::git;
    let log = git(root, &["log", "-1", "--format=%an <%ae>|%s", "--name-only"]);
    assert!(
        log.starts_with(&format!(
            "Eddie Editor <ed@x.example>|News: add \"{TITLE}\""
        )),
        "{log}"
    );
    assert!(log.contains(&format!("news/{slug}.md")), "{log}");
    assert_eq!(
        git(root, &["status", "--porcelain", "news"]),
        "",
        "all committed"
    );
}
