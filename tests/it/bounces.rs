//! A relay's bounces come back to the daemon: each message is sent from its own signed return
//! path (VERP), `bulletin bounce` reads what an MTA pipes to it (Postfix, Exchange and Gmail
//! DSNs, ARF complaints), and dead addresses are suppressed for the next issues. Forged and
//! tampered bounces change nothing.

use crate::support;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Output, Stdio};

use bulletin::address::EmailAddress;
use bulletin::bounce::Verp;
use bulletin::secret::Secret;
use support::bounce::{
    BOUNCES, FIVE, SECRET, fixture, members, per_recipient, pipe, return_paths, run, send, status,
    tree,
};
use support::say;
use support::smtp::{SmtpSink, TestSmtpServer};
use support::wait_until;
use support::{Tree, bulletin};

/// What was logged, without colour codes.
fn stderr(o: &Output) -> String {
    let raw = String::from_utf8_lossy(&o.stderr);
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn hard_bounces_from_postfix_exchange_and_gmail_suppress_before_the_next_issue() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    assert_eq!(rp.len(), 5);
    let verp = |i: usize| rp[FIVE[i]].as_str();
    let cases = [
        ("postfix-user-unknown.eml", 0, "5.1.1"),
        ("exchange-recipient-not-found.eml", 1, "5.1.10"),
        ("gmail-failure.eml", 2, "5.1.1"),
    ];
    for (file, i, status) in cases {
        let o = pipe(
            &t,
            &fixture(
                file,
                &[
                    ("VERP", verp(i)),
                    ("RCPT", FIVE[i]),
                    ("RCPT_LOCAL", FIVE[i].split('@').next().unwrap()),
                    ("STATUS", status),
                ],
            ),
            &[],
        );
        assert!(
            stderr(&o).contains("the address is suppressed") && stderr(&o).contains("kind=hard"),
            "{file}: {}",
            say(&o)
        );
        assert!(
            !stderr(&o).contains(FIVE[i]),
            "no address in the log: {}",
            say(&o)
        );
    }
    // An auto-reply and a delay warning are not bounces.
    let o = pipe(
        &t,
        &fixture("out-of-office.eml", &[("VERP", verp(3)), ("RCPT", FIVE[3])]),
        &[],
    );
    assert!(stderr(&o).contains("message ignored"), "{}", say(&o));
    let o = pipe(
        &t,
        &fixture(
            "postfix-delayed.eml",
            &[("VERP", verp(4)), ("RCPT", FIVE[4])],
        ),
        &[],
    );
    assert!(
        stderr(&o).contains("no failure or complaint"),
        "{}",
        say(&o)
    );
    assert_eq!(members(&t), 2);

    send(&t, "2027-01-01");
    let s = status(&t);
    let second = s
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["date"] == "2027-01-01")
        .unwrap();
    assert_eq!(second["deliveries"]["suppressed"], 3, "{s}");
    assert_eq!(second["deliveries"]["sent"], 2, "{s}");
    let mut got: Vec<_> = return_paths(&t, 2).into_keys().collect();
    got.sort();
    assert_eq!(got, [FIVE[3], FIVE[4]]);
}

#[test]
fn the_same_bounce_twice_changes_nothing() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    let msg = fixture(
        "postfix-user-unknown.eml",
        &[
            ("VERP", &rp[FIVE[0]]),
            ("RCPT", FIVE[0]),
            ("STATUS", "5.1.1"),
        ],
    );
    let first = pipe(&t, &msg, &[]);
    assert!(
        stderr(&first).contains("bounce recorded"),
        "{}",
        say(&first)
    );
    let again = pipe(&t, &msg, &[]);
    assert!(
        stderr(&again).contains("already recorded"),
        "{}",
        say(&again)
    );
    assert_eq!(members(&t), 4);
}

#[test]
fn forged_and_tampered_bounces_change_nothing() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    let real = rp[FIVE[0]].clone();
    let (local, domain) = real.split_once('@').unwrap();
    let (id_part, tag) = local
        .trim_start_matches("bounces+")
        .split_once('-')
        .unwrap();
    let flipped_tag: String = tag
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 3 {
                if c == 'a' { 'b' } else { 'a' }
            } else {
                c
            }
        })
        .collect();
    let other_id: i64 = id_part.parse::<i64>().unwrap() + 1;
    let other_secret = Verp::new(
        &EmailAddress::parse("bounces@test.example").unwrap(),
        [&Secret::new("someone-elses-secret-someone-elses-secret")],
    )
    .address(
        &bulletin::store::LedgerId::new("any"),
        id_part.parse().unwrap(),
        FIVE[0],
    );
    let forgeries = [
        format!("bounces+{id_part}-{flipped_tag}@{domain}"),
        format!("bounces+{other_id}-{tag}@{domain}"),
        format!("bounces+{id_part}@{domain}"),
        other_secret,
        // The plain bounce address, naming the victim only as Final-Recipient.
        "bounces@test.example".to_string(),
    ];
    for forged in &forgeries {
        let o = pipe(
            &t,
            &fixture(
                "postfix-user-unknown.eml",
                &[("VERP", forged), ("RCPT", FIVE[1]), ("STATUS", "5.1.1")],
            ),
            &[],
        );
        assert!(
            stderr(&o).contains("no bounce address of ours with a valid signature"),
            "{forged}: {}",
            say(&o)
        );
        // The same forgery as the envelope recipient the MTA reports.
        let o = pipe(
            &t,
            &fixture(
                "gmail-failure.eml",
                &[
                    ("VERP", "bounces@test.example"),
                    ("RCPT", FIVE[1]),
                    ("STATUS", "5.1.1"),
                ],
            ),
            &["--recipient", forged],
        );
        assert!(
            stderr(&o).contains("message ignored"),
            "{forged}: {}",
            say(&o)
        );
    }
    assert_eq!(members(&t), 5, "nobody was suppressed");
}

#[test]
fn an_abuse_report_suppresses_and_not_spam_feedback_does_not() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    let o = pipe(
        &t,
        &fixture(
            "arf-complaint.eml",
            &[
                ("VERP", &rp[FIVE[0]]),
                ("RCPT", FIVE[0]),
                ("FEEDBACK", "abuse"),
            ],
        ),
        &[],
    );
    assert!(
        stderr(&o).contains("kind=complaint") && stderr(&o).contains("suppressed"),
        "{}",
        say(&o)
    );
    let o = pipe(
        &t,
        &fixture(
            "arf-complaint.eml",
            &[
                ("VERP", &rp[FIVE[1]]),
                ("RCPT", FIVE[1]),
                ("FEEDBACK", "not-spam"),
            ],
        ),
        &[],
    );
    assert!(stderr(&o).contains("message ignored"), "{}", say(&o));
    assert_eq!(members(&t), 4);
}

#[test]
fn soft_bounces_suppress_only_when_they_repeat_within_the_window() {
    let t = tree(&FIVE, BOUNCES);
    let soft = |issue: i64, file: &str, status: &str| {
        let rp = return_paths(&t, issue);
        fixture(
            file,
            &[
                ("VERP", &rp[FIVE[0]]),
                ("RCPT", FIVE[0]),
                ("STATUS", status),
            ],
        )
    };
    send(&t, "2026-12-01");
    // Over quota at Gmail (a final failure with a 4.x.x status), reported twice.
    let m = soft(1, "gmail-failure.eml", "4.2.2");
    let o = pipe(&t, &m, &[]);
    assert!(
        stderr(&o).contains("kind=soft") && stderr(&o).contains("suppressed=false"),
        "{}",
        say(&o)
    );
    pipe(&t, &m, &[]);
    assert_eq!(
        members(&t),
        5,
        "one soft bounce, even reported twice, is not enough"
    );
    send(&t, "2027-01-01");
    // Mailbox full (5.2.2) is soft too.
    pipe(&t, &soft(2, "postfix-user-unknown.eml", "5.2.2"), &[]);
    assert_eq!(members(&t), 5, "two soft bounces are not enough");
    send(&t, "2027-02-01");
    let o = pipe(&t, &soft(3, "gmail-failure.eml", "4.2.2"), &[]);
    assert!(
        stderr(&o).contains("the address is suppressed"),
        "{}",
        say(&o)
    );
    assert_eq!(members(&t), 4, "the third within 30 days suppresses");
}

#[test]
fn the_limit_and_window_come_from_the_settings() {
    let t = tree(
        &FIVE,
        &format!("{BOUNCES}soft_limit = 1\nsoft_window_days = 7\n"),
    );
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    let o = pipe(
        &t,
        &fixture(
            "gmail-failure.eml",
            &[
                ("VERP", &rp[FIVE[0]]),
                ("RCPT", FIVE[0]),
                ("STATUS", "4.2.2"),
            ],
        ),
        &[],
    );
    assert!(
        stderr(&o).contains("the address is suppressed"),
        "{}",
        say(&o)
    );
}

#[test]
fn without_bounces_configured_a_piped_message_is_ignored_and_mail_has_no_return_path() {
    let t = tree(&FIVE, "");
    send(&t, "2026-12-01");
    let first = std::fs::read_dir(t.root().join("outbox"))
        .unwrap()
        .flatten()
        .next()
        .unwrap();
    let text = std::fs::read_to_string(first.path()).unwrap();
    assert!(!text.starts_with("Return-Path:"), "{text}");
    let o = pipe(
        &t,
        &fixture(
            "postfix-user-unknown.eml",
            &[
                ("VERP", "bounces@test.example"),
                ("RCPT", FIVE[0]),
                ("STATUS", "5.1.1"),
            ],
        ),
        &[],
    );
    assert!(
        stderr(&o).contains("[bounces] is not configured"),
        "{}",
        say(&o)
    );
}

#[test]
fn a_broken_configuration_asks_the_mta_to_try_again_later() {
    let t = tree(&FIVE, "[bounces]\naddress = \"not an address\"\n");
    let mut child = bulletin(t.root())
        .arg("bounce")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Subject: x\r\n\r\nx\r\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(75), "EX_TEMPFAIL: {}", say(&o));
    assert!(stderr(&o).contains("bulletin.toml"), "{}", say(&o));
}

fn smtp(port: u16) -> String {
    format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\ntls = \"none\"\nconnections = 2\nmax_per_minute = 0\nmax_per_day = 0\n"
    )
}

#[test]
fn every_message_goes_from_its_own_signed_return_path() {
    let sink = SmtpSink::start(&[]);
    let t = tree(&FIVE, &format!("{}\n{BOUNCES}", smtp(sink.port)));
    send(&t, "2026-12-01");
    let verp = Verp::new(
        &EmailAddress::parse("bounces@test.example").unwrap(),
        [&Secret::new(SECRET)],
    );
    // Signed for this ledger and each message's recipient.
    let ledger = bulletin::store::LedgerId::new(
        std::fs::read_to_string(t.root().join("data/bulletin.db.ledger-id"))
            .unwrap()
            .trim(),
    );
    let txs = sink.transactions();
    assert_eq!(txs.len(), 5);
    let mut deliveries: Vec<i64> = txs
        .iter()
        .map(|tx| {
            let c = verp
                .candidate(&tx.mail_from)
                .unwrap_or_else(|| panic!("MAIL FROM {} is not a VERP address", tx.mail_from));
            assert_eq!(
                verp.check(&c, &ledger, &tx.rcpt_to[0].to_ascii_lowercase()),
                bulletin::bounce::verp::Signed::Bound,
                "MAIL FROM {} is not signed for {}",
                tx.mail_from,
                tx.rcpt_to[0]
            );
            c.delivery
        })
        .collect();
    deliveries.sort();
    deliveries.dedup();
    assert_eq!(deliveries.len(), 5, "one return path per delivery");
    for tx in &txs {
        let data = String::from_utf8_lossy(&tx.data);
        assert!(
            data.contains("From: Test News <news@test.example>"),
            "{data}"
        );
    }
}

#[test]
fn a_relay_refusal_at_rcpt_is_a_hard_bounce_and_a_deferral_is_not() {
    let server = TestSmtpServer::start(&["--reject-rcpt", "gone", "--defer-rcpt", "busy"]);
    let t = tree(
        &["ok@x.example", "gone@x.example", "busy@x.example"],
        &format!("{}\n{BOUNCES}", smtp(server.port)),
    );
    let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
    assert_eq!(o.status.code(), Some(1), "{}", say(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1 sent, 1 deferred, 1 failed"),
        "{}",
        say(&o)
    );
    assert_eq!(members(&t), 2, "only the refused address is suppressed");
    let o = run(
        &t,
        &["send", "news", "--now", "--yes", "--date", "2027-01-01"],
    );
    let s = status(&t);
    let second = s
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["date"] == "2027-01-01")
        .unwrap();
    assert_eq!(second["deliveries"]["suppressed"], 1, "{}\n{s}", say(&o));
}

/// The line of the first occurrence of `needle` in a file of the tree (1-based).
fn line_of(t: &Tree, rel: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(t.root().join(rel)).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// A tree where m1 is also in a CSV list, and m1 hard-bounced.
fn tree_with_a_stale_member() -> Tree {
    let t = tree(&FIVE, BOUNCES);
    t.write(
        "config/lists/schools.toml",
        "name = \"Schools\"\nmembers_csv = \"schools.csv\"\n",
    );
    t.write(
        "config/lists/schools.csv",
        &format!(
            "email,name,agency\nhead@school.example,Head,School\n{},Someone,Police\n",
            FIVE[1].to_uppercase()
        ),
    );
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    pipe(
        &t,
        &fixture(
            "postfix-user-unknown.eml",
            &[
                ("VERP", &rp[FIVE[1]]),
                ("RCPT", FIVE[1]),
                ("STATUS", "5.1.1"),
            ],
        ),
        &[],
    );
    t
}

#[test]
fn lists_stale_names_each_file_and_line_to_remove() {
    let t = tree_with_a_stale_member();
    let toml_line = line_of(&t, "config/lists/all.toml", FIVE[1]);
    let o = run(&t, &["lists", "--stale"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("{}  hard bounce 5.1.1 on", FIVE[1])),
        "{out}"
    );
    assert!(
        out.contains(&format!("remove from config/lists/all.toml:{toml_line}\n")),
        "{out}"
    );
    assert!(
        out.contains("remove from config/lists/schools.csv:3 (CSV row 3)"),
        "{out}"
    );
    assert!(!out.contains(FIVE[0]), "only suppressed addresses: {out}");

    let o = run(&t, &["lists", "--stale", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["email"], FIVE[1]);
    assert_eq!(v[0]["kind"], "hard");
    assert_eq!(v[0]["status"], "5.1.1");
    let places: Vec<(String, u64, bool)> = v[0]["remove"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["list"].as_str().unwrap().to_string(),
                p["line"].as_u64().unwrap(),
                p["csv"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("all".into(), toml_line as u64, false),
            ("schools".into(), 3, true)
        ]
    );

    // Once unsuppressed (it works again), it is no longer stale.
    let o = run(&t, &["unsuppress", FIVE[1]]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let o = run(&t, &["lists", "--stale"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("no list holds"),
        "{}",
        say(&o)
    );
}

#[test]
fn check_warns_at_each_line_of_a_bounced_member_and_changes_nothing() {
    let t = tree_with_a_stale_member();
    let db = t.root().join("data/bulletin.db");
    let before = std::fs::read(&db).unwrap();
    let toml_line = line_of(&t, "config/lists/all.toml", FIVE[1]);
    let o = run(&t, &["check"]);
    assert_eq!(o.status.code(), Some(0), "warnings never fail: {}", say(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for place in [
        format!("config/lists/all.toml:{toml_line}:"),
        "config/lists/schools.csv:3:".to_string(),
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(&place)
                && l.contains("warning")
                && l.contains("suppressed after a hard bounce 5.1.1")),
            "{place}: {out}"
        );
    }
    assert!(out.contains("bulletin lists --stale"), "a hint: {out}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "check only reads the ledger"
    );

    // Without a ledger, check creates none.
    let fresh = tree(&FIVE, BOUNCES);
    let o = run(&fresh, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert!(!fresh.root().join("data").exists());
}

#[test]
fn admin_lists_the_addresses_to_remove() {
    use std::io::Read;
    let t = tree_with_a_stale_member();
    let port = support::smtp::free_port();
    let mut child = bulletin(t.root())
        .arg("run")
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("BULLETIN_WEB_BIND", format!("127.0.0.1:{port}"))
        .env("BULLETIN_ADMIN_TOKEN", "stale-admin-token")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let fetch = || -> Option<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.write_all(b"GET /admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer stale-admin-token\r\n\r\n")
            .ok()?;
        let mut body = String::new();
        s.read_to_string(&mut body).ok()?;
        Some(body)
    };
    let mut page = None;
    let up = wait_until(std::time::Duration::from_secs(20), || {
        page = fetch().filter(|p| p.starts_with("HTTP/1.1 200"));
        page.is_some()
    });
    assert!(up, "the daemon did not come up");
    let page = page.unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let toml_line = line_of(&t, "config/lists/all.toml", FIVE[1]);
    assert!(page.contains("Addresses to remove from lists"), "{page}");
    assert!(
        page.contains(FIVE[1]) && page.contains("hard bounce 5.1.1"),
        "{page}"
    );
    assert!(
        page.contains(&format!("config/lists/all.toml:{toml_line}")),
        "{page}"
    );
    assert!(
        page.contains("config/lists/schools.csv:3 (CSV row 3)"),
        "{page}"
    );
}

fn imap_settings(port: u16, processed: Option<&str>) -> String {
    let mut s = format!(
        "{BOUNCES}\n[bounces.imap]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nusername = \"{}\"\ninterval_seconds = 10\n",
        support::imap::USER
    );
    if let Some(p) = processed {
        s.push_str(&format!("processed_folder = \"{p}\"\n"));
    }
    s
}

fn imap_pass(t: &Tree) -> String {
    let o = bulletin(t.root())
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("BULLETIN_IMAP_PASSWORD", support::imap::PASSWORD)
        .args(["bounce", "--imap"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn an_imap_mailbox_is_read_once_and_its_reports_moved_aside() {
    let imap = support::imap::Dovecot::start();
    let t = tree(&FIVE, &imap_settings(imap.port, Some("Processed")));
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    let postfix = fixture(
        "postfix-user-unknown.eml",
        &[
            ("VERP", &rp[FIVE[0]]),
            ("RCPT", FIVE[0]),
            ("STATUS", "5.1.1"),
        ],
    );
    imap.deliver(&postfix);
    imap.deliver(&postfix);
    imap.deliver(&fixture(
        "exchange-recipient-not-found.eml",
        &[
            ("VERP", &rp[FIVE[1]]),
            ("RCPT", FIVE[1]),
            ("RCPT_LOCAL", "m1"),
            ("STATUS", ""),
        ],
    ));
    imap.deliver(&fixture(
        "out-of-office.eml",
        &[("VERP", &rp[FIVE[2]]), ("RCPT", FIVE[2])],
    ));
    let out = imap_pass(&t);
    assert_eq!(
        out.trim(),
        "INBOX: 4 message(s) read, 2 bounce(s) recorded, 1 ignored, 1 left for a person",
        "{}",
        imap.log()
    );
    assert_eq!(members(&t), 3);
    assert_eq!(imap.count(Some("Processed")), 3, "the reports were moved");
    assert_eq!(imap.count(None), 1, "the person's reply stays");

    // A second pass finds nothing new; the same DSN delivered again changes nothing.
    assert!(imap_pass(&t).starts_with("INBOX: 0 message(s) read"));
    imap.deliver(&postfix);
    assert!(imap_pass(&t).starts_with("INBOX: 1 message(s) read, 0 bounce(s) recorded, 1 ignored"),);
    assert_eq!(members(&t), 3);
}

#[test]
fn without_a_processed_folder_handled_reports_are_deleted() {
    let imap = support::imap::Dovecot::start();
    let t = tree(&FIVE, &imap_settings(imap.port, None));
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    imap.deliver(&fixture(
        "gmail-failure.eml",
        &[
            ("VERP", &rp[FIVE[3]]),
            ("RCPT", FIVE[3]),
            ("STATUS", "5.1.1"),
        ],
    ));
    imap.deliver(&fixture(
        "out-of-office.eml",
        &[("VERP", &rp[FIVE[2]]), ("RCPT", FIVE[2])],
    ));
    let out = imap_pass(&t);
    assert!(
        out.contains("2 message(s) read, 1 bounce(s) recorded"),
        "{out}"
    );
    assert_eq!(imap.count(None), 1, "only the person's reply is left");
    assert_eq!(members(&t), 4);
}

#[test]
fn a_wrong_imap_password_fails_the_pass_with_a_hint() {
    let imap = support::imap::Dovecot::start();
    let t = tree(&FIVE, &imap_settings(imap.port, None));
    // A ledger to record into (without one, `bounce --imap` stops before logging in).
    send(&t, "2026-12-01");
    let o = bulletin(t.root())
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("BULLETIN_IMAP_PASSWORD", "wrong")
        .args(["bounce", "--imap"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", say(&o));
    assert!(stderr(&o).contains("BULLETIN_IMAP_PASSWORD"), "{}", say(&o));
    assert!(
        !stderr(&o).contains("wrong"),
        "the password is never shown: {}",
        say(&o)
    );
}

#[test]
fn the_daemon_polls_the_bounce_mailbox() {
    let imap = support::imap::Dovecot::start();
    let t = tree(&FIVE, &imap_settings(imap.port, Some("Done")));
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    imap.deliver(&fixture(
        "postfix-user-unknown.eml",
        &[
            ("VERP", &rp[FIVE[4]]),
            ("RCPT", FIVE[4]),
            ("STATUS", "5.1.1"),
        ],
    ));
    let mut child = bulletin(t.root())
        .arg("run")
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("BULLETIN_IMAP_PASSWORD", support::imap::PASSWORD)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(std::time::Duration::from_secs(20), || {
        imap.count(Some("Done")) >= 1
    });
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert_eq!(imap.count(Some("Done")), 1, "{}", imap.log());
    assert_eq!(members(&t), 4);
}

// ---------------------------------------------------------------------------------------------
// A relay's verdict on the message, the sender or the sending host is never an address
// failure: it suppresses nobody, and the issue pauses instead of burning through the list.

/// Pipe a Postfix DSN with `status` for `rcpt` (sent from return path `verp`).
fn pipe_dsn(t: &Tree, verp: &str, rcpt: &str, status: &str) -> Output {
    pipe(
        t,
        &fixture(
            "postfix-user-unknown.eml",
            &[("VERP", verp), ("RCPT", rcpt), ("STATUS", status)],
        ),
        &[],
    )
}

/// Pipe an ARF report of `feedback` type about `rcpt`.
fn pipe_arf(t: &Tree, verp: &str, rcpt: &str, feedback: &str) -> Output {
    pipe(
        t,
        &fixture(
            "arf-complaint.eml",
            &[("VERP", verp), ("RCPT", rcpt), ("FEEDBACK", feedback)],
        ),
        &[],
    )
}

/// `n` members at distinct domains of a partnership.
fn thirty() -> Vec<String> {
    (0..30)
        .map(|i| format!("p{i:02}@agency{}.example", i % 7))
        .collect()
}

fn tree_of(members: &[String], extra: &str) -> Tree {
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    tree(&refs, extra)
}

/// The issue of 2026-12-01 in `status --format json`.
fn first_issue(t: &Tree) -> serde_json::Value {
    status(t)
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["date"] == "2026-12-01")
        .cloned()
        .unwrap_or_else(|| panic!("no issue of 2026-12-01 in {}", status(t)))
}

/// Send the first issue through a relay started with `relay_args`; return what `send` said.
fn send_through(relay_args: &[&str], members: &[String]) -> (Tree, Output, TestSmtpServer) {
    let server = TestSmtpServer::start(relay_args);
    let t = tree_of(members, &format!("{}\n{BOUNCES}", smtp(server.port)));
    let o = run(
        &t,
        &["send", "news", "--now", "--yes", "--date", "2026-12-01"],
    );
    (t, o, server)
}

#[test]
fn a_relay_refusing_the_message_at_any_step_suppresses_nobody_and_pauses_the_issue() {
    let everyone = thirty();
    let cases: [(&str, &[&str]); 6] = [
        (
            "MAIL FROM: sender not permitted",
            &["--mail-reply", "550 5.7.1 Sender address not permitted"],
        ),
        (
            "MAIL FROM: bare 554",
            &["--mail-reply", "554 Transaction failed"],
        ),
        (
            "DATA: content rejected",
            &["--data-command-reply", "554 5.7.1 Message refused"],
        ),
        (
            "end of data: content rejected",
            &[
                "--fail-data-after",
                "0",
                "--fail-data-reply",
                "554 5.7.1 Content rejected as spam",
            ],
        ),
        (
            "end of data: 5.6.0 media not supported",
            &[
                "--fail-data-after",
                "0",
                "--fail-data-reply",
                "550 5.6.0 Message content not accepted",
            ],
        ),
        (
            "RCPT: the relay will not relay for us",
            &[
                "--reject-rcpt",
                "@",
                "--reject-rcpt-reply",
                "554 5.7.1 Relay access denied",
            ],
        ),
    ];
    for (what, args) in cases {
        let (t, o, server) = send_through(args, &everyone);
        assert_eq!(members(&t), 30, "{what}: nobody is suppressed: {}", say(&o));
        let issue = first_issue(&t);
        assert_eq!(issue["state"], "paused", "{what}: {issue}\n{}", say(&o));
        assert_eq!(
            issue["deliveries"]["failed"], 0,
            "{what}: nobody failed: {issue}"
        );
        assert_eq!(issue["deliveries"]["suppressed"], 0, "{what}: {issue}");
        let tried = std::fs::read_to_string(server.dir.path().join("log.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| l.contains("\"event\": \"mail\""))
            .count();
        assert!(
            tried <= 6,
            "{what}: the issue pauses within a few refusals, not after the whole list ({tried} tried)"
        );
        let out = String::from_utf8_lossy(&o.stdout).to_string() + &stderr(&o);
        assert!(
            out.contains("refused the message") && out.contains("nobody was suppressed"),
            "{what}: the operator is told: {}",
            say(&o)
        );
    }
}

#[test]
fn an_address_refusal_at_rcpt_still_fails_only_that_person() {
    // 5.1.1 for one, 5.2.1 (disabled) for another, 5.7.1 policy for a third: only the first two
    // are address failures; the policy refusal does not fail or suppress its recipient.
    let server = TestSmtpServer::start(&["--reject-rcpt", "gone", "--defer-rcpt", "busy"]);
    let t = tree(
        &["ok@x.example", "gone@x.example", "also@x.example"],
        &format!("{}\n{BOUNCES}", smtp(server.port)),
    );
    let o = run(
        &t,
        &["send", "news", "--now", "--yes", "--date", "2026-12-01"],
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("2 sent, 0 deferred, 1 failed"),
        "{}",
        say(&o)
    );
    assert_eq!(members(&t), 2);
}

#[test]
fn each_class_of_dsn_status_is_read_for_what_it_says_about_the_address() {
    // (status, suppresses)
    let cases = [
        ("5.1.1", true),    // no such mailbox
        ("5.1.10", true),   // null MX
        ("5.2.1", true),    // mailbox disabled
        ("5.4.4", true),    // unable to route: no such domain
        ("5.7.1", false),   // blocked using a DNS blocklist
        ("5.7.26", false),  // DMARC policy
        ("5.7.606", false), // Microsoft's banned sending IP
        ("5.6.0", false),   // content
        ("5.2.3", false),   // message too big for the site
        ("5.2.2", false),   // mailbox full: soft, once
        ("4.4.1", false),   // a temporary failure reported as final
    ];
    let everyone: Vec<String> = (0..cases.len())
        .map(|i| format!("d{i}@school{i}.example"))
        .collect();
    let t = tree_of(&everyone, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    for (i, (status, suppresses)) in cases.iter().enumerate() {
        let rcpt = everyone[i].as_str();
        let o = pipe_dsn(&t, &rp[rcpt], rcpt, status);
        assert_eq!(
            stderr(&o).contains("the address is suppressed"),
            *suppresses,
            "{status}: {}",
            say(&o)
        );
        assert!(
            stderr(&o).contains("bounce recorded"),
            "{status}: recorded: {}",
            say(&o)
        );
        if status.starts_with("5.7") {
            assert!(stderr(&o).contains("kind=policy"), "{status}: {}", say(&o));
        }
    }
    let suppressing = cases.iter().filter(|c| c.1).count() as u64;
    assert_eq!(members(&t), everyone.len() as u64 - suppressing);
}

#[test]
fn only_an_abuse_report_suppresses_and_an_authentication_failure_report_is_recorded() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    for (i, feedback) in ["auth-failure", "virus", "other"].iter().enumerate() {
        let o = pipe_arf(&t, &rp[FIVE[i]], FIVE[i], feedback);
        assert!(
            stderr(&o).contains("kind=notice") && !stderr(&o).contains("is suppressed"),
            "{feedback}: {}",
            say(&o)
        );
    }
    assert_eq!(members(&t), 5);
    let o = pipe_arf(&t, &rp[FIVE[3]], FIVE[3], "abuse");
    assert!(stderr(&o).contains("kind=complaint"), "{}", say(&o));
    assert_eq!(members(&t), 4);
}

#[test]
fn a_relay_refusing_every_address_trips_the_breaker_and_suppresses_nobody() {
    // A misconfigured relay that answers "user unknown" for everyone: each refusal looks like
    // an address failure, but thirty of thirty in seconds is the relay, not the people.
    let everyone = thirty();
    let (t, o, _server) = send_through(&["--reject-rcpt", "@"], &everyone);
    assert_eq!(members(&t), 30, "nobody stays suppressed: {}", say(&o));
    let issue = first_issue(&t);
    assert_eq!(issue["state"], "paused", "{issue}\n{}", say(&o));
    assert_eq!(
        issue["deliveries"]["failed"], 0,
        "refusals the breaker does not believe are queued again: {issue}"
    );
    assert!(stderr(&o).contains("bounce breaker tripped"), "{}", say(&o));
    assert!(
        issue.to_string().contains("bounce breaker"),
        "status says why it paused: {issue}"
    );
    let o = run(
        &t,
        &[
            "status",
            "1",
            "--recipients",
            "--state",
            "failed",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("@"),
        "{}",
        say(&o)
    );
}

#[test]
fn a_burst_of_hard_dsns_for_one_issue_trips_the_breaker_and_lifts_what_it_suppressed() {
    let everyone = thirty();
    let t = tree_of(&everyone, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    let mut tripped = false;
    for (i, rcpt) in everyone.iter().take(8).enumerate() {
        let o = pipe_dsn(&t, &rp[rcpt], rcpt, "5.1.1");
        if stderr(&o).contains("bounce breaker tripped") {
            assert_eq!(
                i,
                5,
                "the sixth of thirty trips it (more than 5): {}",
                say(&o)
            );
            tripped = true;
        }
    }
    assert!(tripped);
    assert_eq!(members(&t), 30, "what the burst suppressed is lifted");
    // A complaint is a person's own wish: the breaker never holds it.
    let o = pipe_arf(&t, &rp[&everyone[20]], &everyone[20], "abuse");
    assert!(stderr(&o).contains("is suppressed"), "{}", say(&o));
    assert_eq!(members(&t), 29);
}

#[test]
fn a_few_hard_bounces_among_many_recipients_do_not_trip_the_breaker() {
    let everyone = thirty();
    let t = tree_of(&everyone, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    for rcpt in everyone.iter().take(5) {
        let o = pipe_dsn(&t, &rp[rcpt], rcpt, "5.1.1");
        assert!(
            stderr(&o).contains("the address is suppressed"),
            "{}",
            say(&o)
        );
    }
    assert_eq!(members(&t), 25);
}

/// Each outbox message of issue `issue`: recipient → the `mailto:` of its List-Unsubscribe.
fn unsubscribe_mailtos(t: &Tree, issue: i64) -> BTreeMap<String, String> {
    per_recipient(t, issue, |_, text| {
        let start = text.find("<mailto:").expect("a List-Unsubscribe mailto") + 1;
        let end = start + text[start..].find('>').unwrap();
        text[start..end].to_string()
    })
}

/// A reader's mail client sending `mailto` (`mailto:addr?subject=…`), from `from`.
fn unsubscribe_request(mailto: &str, from: &str) -> Vec<u8> {
    let (to, query) = mailto
        .strip_prefix("mailto:")
        .unwrap()
        .split_once('?')
        .unwrap();
    let subject = query.strip_prefix("subject=").unwrap().replace("%20", " ");
    format!(
        "Return-Path: <{from}>\r\nFrom: Reader <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Date: Tue, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <req-{}@reader.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
         Please unsubscribe me.\r\n",
        subject.len()
    )
    .into_bytes()
}

fn suppressions(t: &Tree) -> serde_json::Value {
    let o = run(t, &["suppressions", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn an_unsubscribe_request_by_mail_suppresses_that_reader_for_that_bulletin_only() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let mailtos = unsubscribe_mailtos(&t, 1);
    assert_eq!(mailtos.len(), 5);
    let mailto = &mailtos[FIVE[1]];
    assert!(
        mailto.starts_with("mailto:bounces@test.example?subject=unsubscribe%20"),
        "the request goes where `bulletin bounce` reads it: {mailto}"
    );
    assert_ne!(
        mailto, &mailtos[FIVE[2]],
        "each reader's mailto is their own"
    );

    // Sent from another address (a forwarding alias): the token, not From, says who leaves.
    let request = unsubscribe_request(mailto, "alias@elsewhere.example");
    let o = pipe(&t, &request, &[]);
    assert!(
        stderr(&o).contains("the address is suppressed for the bulletin"),
        "{}",
        say(&o)
    );
    assert!(
        !stderr(&o).contains(FIVE[1]),
        "no address in the log: {}",
        say(&o)
    );
    let rows = suppressions(&t);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["email"], FIVE[1]);
    assert_eq!(rows[0]["scope"], "bulletin:news");
    assert_eq!(rows[0]["how"], "mail");

    // The same request again (a client retrying, the MTA redelivering) changes nothing.
    let before = suppressions(&t);
    let o = pipe(&t, &request, &[]);
    assert!(stderr(&o).contains("nothing changed"), "{}", say(&o));
    assert_eq!(suppressions(&t), before);

    // The next issue skips that reader and only that reader.
    send(&t, "2027-01-01");
    let s = status(&t);
    let second = s
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["date"] == "2027-01-01")
        .unwrap();
    assert_eq!(second["deliveries"]["suppressed"], 1, "{s}");
    assert_eq!(second["deliveries"]["sent"], 4, "{s}");
    assert!(!return_paths(&t, 2).contains_key(FIVE[1]));
}

#[test]
fn forged_unsubscribe_requests_change_nothing() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let mailtos = unsubscribe_mailtos(&t, 1);
    let real = mailtos[FIVE[0]].clone();
    let token = real.rsplit("%20").next().unwrap().to_string();
    // One character of the token changed, in its ciphertext.
    let tampered: String = {
        let (key, rest) = token.split_once('.').unwrap();
        let mut c: Vec<char> = rest.chars().collect();
        c[4] = if c[4] == 'A' { 'B' } else { 'A' };
        format!("{key}.{}", c.into_iter().collect::<String>())
    };
    // A token sealed with someone else's secret, for the victim.
    let foreign = bulletin::token::Signer::new(
        "k1",
        Secret::new("someone-elses-secret-someone-elses-secret"),
    )
    .sign(
        &bulletin::ids::BulletinId::parse("news").unwrap(),
        &EmailAddress::parse(FIVE[0]).unwrap(),
    );
    let base = "mailto:bounces@test.example?subject=unsubscribe%20";
    let forgeries = [
        (format!("{base}{tampered}"), FIVE[0], true),
        (format!("{base}{foreign}"), FIVE[0], true),
        // The victim's own From and the old-style subject, but no token.
        (format!("{base}news"), FIVE[0], true),
        // No unsubscribe word at all: a person writing to the bounce address.
        (
            "mailto:bounces@test.example?subject=hello".to_string(),
            FIVE[0],
            false,
        ),
    ];
    for (mailto, from, looks_like_a_request) in &forgeries {
        let o = pipe(&t, &unsubscribe_request(mailto, from), &[]);
        let want = if *looks_like_a_request {
            "without a valid unsubscribe token"
        } else {
            "message ignored"
        };
        assert!(stderr(&o).contains(want), "{mailto}: {}", say(&o));
        assert!(
            !stderr(&o).contains(FIVE[0]),
            "no address in the log: {}",
            say(&o)
        );
    }
    assert_eq!(
        suppressions(&t),
        serde_json::json!([]),
        "nobody was unsubscribed"
    );
}

#[test]
fn an_unsubscribe_request_in_the_imap_mailbox_is_acted_on_and_moved_aside() {
    let imap = support::imap::Dovecot::start();
    let t = tree(&FIVE, &imap_settings(imap.port, Some("Processed")));
    send(&t, "2026-12-01");
    let mailtos = unsubscribe_mailtos(&t, 1);
    let request = unsubscribe_request(&mailtos[FIVE[3]], FIVE[3]);
    imap.deliver(&request);
    imap.deliver(&request);
    imap.deliver(&unsubscribe_request(
        "mailto:bounces@test.example?subject=unsubscribe%20news",
        FIVE[4],
    ));
    let out = imap_pass(&t);
    assert_eq!(
        out.trim(),
        "INBOX: 3 message(s) read, 0 bounce(s) recorded, 0 ignored, 1 left for a person, 2 unsubscribe request(s)",
        "{}",
        imap.log()
    );
    let rows = suppressions(&t);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["email"], FIVE[3]);
    assert_eq!(rows[0]["scope"], "bulletin:news");
    assert_eq!(imap.count(Some("Processed")), 2, "the requests were moved");
    assert_eq!(
        imap.count(None),
        1,
        "the request without a token stays for a person"
    );
}

/// `bulletin bounce` says on stdout what it did with the message, in one line that names no
/// address: recorded (and whether the address is now suppressed), or ignored and why.
#[test]
fn bounce_says_on_stdout_what_it_did_without_an_address() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    let msg = fixture(
        "postfix-user-unknown.eml",
        &[
            ("VERP", &rp[FIVE[0]]),
            ("RCPT", FIVE[0]),
            ("STATUS", "5.1.1"),
        ],
    );
    let line = |o: &Output| {
        let out = String::from_utf8_lossy(&o.stdout).to_string();
        assert_eq!(out.lines().count(), 1, "one line: {}", say(o));
        assert!(!out.contains('@'), "no address: {out}");
        out
    };
    let first = line(&pipe(&t, &msg, &[]));
    assert!(
        first.starts_with("recorded: a hard bounce") && first.contains("suppressed"),
        "{first}"
    );
    let again = line(&pipe(&t, &msg, &[]));
    assert!(
        again.starts_with("ignored:") && again.contains("already recorded"),
        "{again}"
    );
    let chatter = line(&pipe(
        &t,
        b"From: someone@x.example\r\nTo: news@test.example\r\nSubject: thanks\r\n\r\nThanks!\r\n",
        &[],
    ));
    assert!(
        chatter.starts_with("ignored: not a delivery status notification"),
        "{chatter}"
    );
}
