//! The desk's "next issue" page against a real daemon and SMTP sink: what the issue will be,
//! and each button doing what the command of the same name does, under the person's name.

use crate::support;

use std::time::Duration;

use support::desk::{ADMIN, DeskSite, EDITOR, READER};
use support::{Tree, wait_until};

/// The bulletin gets the editors list and, if `approval`, needs approving.
fn with_editors(approval: bool) -> impl FnOnce(&Tree) {
    move |t: &Tree| {
        let text = std::fs::read_to_string(t.config()).unwrap();
        let lines =
            format!("lists = [\"all\"]\neditors = \"editors\"\nrequire_approval = {approval}");
        t.write(
            "config/bulletin.toml",
            &text.replacen("lists = [\"all\"]", &lines, 1),
        );
    }
}

fn mails_to(site: &DeskSite, who: &str, subject_has: &str) -> usize {
    site.sink
        .messages()
        .iter()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .filter(|m| m.contains(&format!("To: {who}")) || m.contains(&format!("<{who}>")))
        .filter(|m| m.contains(subject_has))
        .count()
}

#[test]
fn the_next_issue_page_shows_the_issue_and_its_recipients() {
    let site = DeskSite::start_with("", with_editors(true));
    let (code, head, _) = site.get("/desk/issue/news");
    assert_eq!(code, 303, "not signed in: {head}");
    let s = site.sign_in(EDITOR);
    let (code, head, _) = s.get(&site, "/desk/issue");
    assert_eq!(code, 303);
    assert!(head.contains("location: /desk/issue/news"), "{head}");
    let (code, _, page) = s.get(&site, "/desk/issue/news");
    assert_eq!(code, 200, "{page}");
    for want in [
        "News: ",
        "Everyone",
        "Not approved yet",
        "No proofs of this issue yet",
        "Send me a proof",
        "Send a proof to the editors",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    let preview = page
        .split("href=\"")
        .find_map(|p| p.split('"').next().filter(|h| h.ends_with("/preview")))
        .expect("a link to the issue as it will be sent")
        .to_string();
    let (code, head, html) = s.get(&site, &preview);
    assert_eq!(code, 200, "{html}");
    assert!(
        html.contains("Worried about a child?"),
        "the standing block: {html}"
    );
    assert!(
        head.contains("style-src 'unsafe-inline'"),
        "the archive's policy: {head}"
    );
    assert_eq!(
        site.get(&preview).0,
        303,
        "the preview needs signing in too"
    );
}

#[test]
fn proofs_to_me_and_to_the_editors_go_through_the_transport() {
    let site = DeskSite::start_with("", with_editors(true));
    let s = site.sign_in(EDITOR);
    let (_, _, page) = s.get(&site, "/desk/issue/news");
    let action = |what: &str| {
        page.split("action=\"")
            .find_map(|p| p.split('"').next().filter(|a| a.ends_with(what)))
            .unwrap_or_else(|| panic!("a {what} button: {page}"))
            .to_string()
    };
    let me = action("/proof-me");
    assert_eq!(s.post_raw(&site, &me, "").0, 403, "no CSRF token, no proof");
    let (code, _, body) = s.post(&site, &me, "");
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("A proof was sent to ed@x.example (1 sent)"),
        "{body}"
    );
    assert!(wait_until(Duration::from_secs(20), || mails_to(
        &site, EDITOR, "[Proof]"
    ) == 1));
    let (code, _, body) = s.post(&site, &action("/proof-editors"), "");
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("A proof was sent to 2 editors (2 sent)"),
        "{body}"
    );
    assert!(wait_until(Duration::from_secs(20), || mails_to(
        &site, ADMIN, "[Proof]"
    ) == 1));
    assert_eq!(mails_to(&site, EDITOR, "[Proof]"), 2);
    assert_eq!(
        mails_to(&site, READER, "[Proof]"),
        0,
        "a proof never goes to readers"
    );
    let (_, _, page) = s.get(&site, "/desk/issue/news");
    assert!(!page.contains("No proofs of this issue yet"), "{page}");
    assert!(page.contains("sent to 2"), "{page}");
}

#[test]
fn approve_and_cancel_do_what_the_commands_do() {
    let site = DeskSite::start_with("", with_editors(true));
    let s = site.sign_in(EDITOR);
    let (_, _, page) = s.get(&site, "/desk/issue/news");
    let base = page
        .split("action=\"")
        .find_map(|p| p.split('"').next().filter(|a| a.ends_with("/approve")))
        .expect("an approve button")
        .trim_end_matches("/approve")
        .to_string();
    assert_eq!(
        s.post_raw(&site, &format!("{base}/approve"), "csrf=wrong")
            .0,
        403
    );
    let (code, _, body) = s.post(&site, &format!("{base}/approve"), "");
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("Approved. It will be sent at its time."),
        "{body}"
    );
    assert!(
        body.contains("Approved by Eddie Editor &lt;ed@x.example&gt;"),
        "{body}"
    );
    let (_, _, body) = s.post(&site, &format!("{base}/approve"), "");
    assert!(
        body.contains("It was already approved by Eddie Editor"),
        "{body}"
    );
    // The command line sees the approval, under the person's name.
    let date = base.rsplit('/').next().unwrap();
    let env = [("BULLETIN_UNSUBSCRIBE_SECRET", support::desk::SECRET)];
    let o = support::run_env(&site.tree, &env, &["approve", "news", "--date", date]);
    let said = support::ok(&o);
    assert!(
        said.contains("already approved by desk:Eddie Editor <ed@x.example>"),
        "{said}"
    );

    assert_eq!(s.post_raw(&site, &format!("{base}/cancel"), "").0, 403);
    let (code, _, body) = s.post(&site, &format!("{base}/cancel"), "");
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("Cancelled: this issue will not be made or sent."),
        "{body}"
    );
    assert!(
        body.contains("Cancelled by Eddie Editor &lt;ed@x.example&gt;"),
        "{body}"
    );
    // As `bulletin uncancel` sees it: cancelled, and restorable.
    let o = support::run_env(&site.tree, &env, &["uncancel", "news", "--date", date]);
    assert!(
        support::ok(&o).contains("restored news"),
        "{}",
        support::say(&o)
    );
}

#[test]
fn withdraw_takes_a_sent_issue_off_the_archive() {
    use chrono::Timelike;
    let site = DeskSite::start_with("", |t: &Tree| {
        #[allow(clippy::disallowed_methods)] // the daemon under test runs on the real clock
        let at = (chrono::Utc::now() - chrono::Duration::minutes(1))
            .with_timezone(&chrono_tz::Europe::London);
        let text = std::fs::read_to_string(t.config()).unwrap();
        let fixed: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("schedule =") {
                    format!("schedule = \"{} {} * * *\"", at.minute(), at.hour())
                } else {
                    l.to_string()
                }
            })
            .collect();
        t.write("config/bulletin.toml", &fixed.join("\n"));
    });
    #[allow(clippy::disallowed_methods)]
    let today = (chrono::Utc::now() - chrono::Duration::minutes(1))
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    assert!(
        wait_until(Duration::from_secs(30), || mails_to(&site, READER, "News:")
            == 1),
        "the daemon sends today's issue: {}",
        site.daemon().log()
    );
    let archived = |site: &DeskSite| {
        site.get("/archive/")
            .2
            .contains(&format!("/archive/news/{today}"))
    };
    assert!(wait_until(Duration::from_secs(10), || archived(&site)));
    let s = site.sign_in(ADMIN);
    let path = format!("/desk/issue/news/{today}/withdraw");
    assert_eq!(s.post_raw(&site, &path, "").0, 403);
    let (code, _, body) = s.post(&site, &path, "");
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("Withdrawn from the web archive and feed"),
        "{body}"
    );
    assert!(!archived(&site), "off the archive");
    let (_, _, body) = s.post(&site, &path, "");
    assert!(body.contains("It was already withdrawn."), "{body}");
}

/// The bulletin fires daily a minute before now (so the daemon holds today's issue for
/// approval as soon as it starts), with the editors list and approval required.
fn held_today(t: &Tree) {
    use chrono::Timelike;
    #[allow(clippy::disallowed_methods)] // the daemon under test runs on the real clock
    let at = (chrono::Utc::now() - chrono::Duration::minutes(1))
        .with_timezone(&chrono_tz::Europe::London);
    let text = std::fs::read_to_string(t.config()).unwrap();
    let fixed: Vec<String> = text
        .lines()
        .map(|l| match l {
            l if l.starts_with("schedule =") => {
                format!("schedule = \"{} {} * * *\"", at.minute(), at.hour())
            }
            "lists = [\"all\"]" => {
                "lists = [\"all\"]\neditors = \"editors\"\nrequire_approval = true".into()
            }
            l => l.to_string(),
        })
        .collect();
    t.write("config/bulletin.toml", &fixed.join("\n"));
}

#[test]
fn in_a_browser_an_editor_signs_in_sends_a_proof_approves_and_the_issue_goes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "playwright-core missing: run scripts/test (or `npm ci` in tests/a11y)"
    );
    let site = DeskSite::start_with("", held_today);
    assert!(
        wait_until(Duration::from_secs(30), || mails_to(
            &site,
            EDITOR,
            "[Awaiting approval]"
        ) == 1),
        "the daemon holds today's issue: {}",
        site.daemon().log()
    );
    assert_eq!(mails_to(&site, READER, "News:"), 0, "held, not sent");
    let link = site.mailed_link(EDITOR);
    let base = format!("http://127.0.0.1:{}", site.port());
    let out = std::process::Command::new("node")
        .arg(dir.join("desk.mjs"))
        .args([&base, &link])
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "desk.mjs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = &report["steps"];
    assert_eq!(steps["signed_in"], true, "{report:#}");
    assert!(
        steps["issue_url"]
            .as_str()
            .unwrap()
            .ends_with("/desk/issue/news"),
        "{steps}"
    );
    assert!(
        steps["proof_notice"]
            .as_str()
            .unwrap_or("")
            .contains("A proof was sent to ed@x.example"),
        "{steps}"
    );
    assert!(
        steps["approve_notice"]
            .as_str()
            .unwrap_or("")
            .contains("Approved. It will be sent within a minute."),
        "{steps}"
    );
    let pages = report["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 14, "7 pages, light and dark: {report:#}");
    for p in pages {
        assert_eq!(p["violations"].as_array().unwrap().len(), 0, "axe: {p:#}");
        assert!(matches!(p["status"].as_u64(), Some(200)), "{p:#}");
    }
    assert!(wait_until(Duration::from_secs(20), || mails_to(
        &site, EDITOR, "[Proof]"
    ) == 1));
    assert!(
        wait_until(Duration::from_secs(60), || mails_to(&site, READER, "News:")
            == 1),
        "approved, the daemon sends the issue: {}",
        site.daemon().log()
    );
}

#[test]
fn the_next_issue_goes_on_the_day_the_working_day_rules_say() {
    let site = DeskSite::start_with("", |t: &Tree| {
        let text = std::fs::read_to_string(t.config()).unwrap();
        let fixed: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("schedule =") {
                    // Saturdays, moved to the next working day.
                    "schedule = \"0 9 * * 6\"\non_non_working_day = \"next\"".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect();
        t.write("config/bulletin.toml", &fixed.join("\n"));
    });
    let s = site.sign_in(EDITOR);
    let (code, _, page) = s.get(&site, "/desk/issue/news");
    assert_eq!(code, 200, "{page}");
    let goes = page
        .split("<dt>Goes</dt><dd>")
        .nth(1)
        .and_then(|r| r.split("</dd>").next())
        .expect("when it goes");
    assert!(
        goes.starts_with("Monday") || goes.starts_with("Tuesday"),
        "a Saturday fire goes on the next working day: {goes}"
    );
    assert!(goes.contains("at 09:00"), "{goes}");
}
