//! The operator's day, against the real binary and a real SQLite ledger: approval that `send
//! --now` respects, `approve` that knows the schedule, honest Date headers, who unsubscribed
//! and how, one issue's recipients, cancelling and withdrawing an issue, and a future date's
//! issue that is sent early exactly once.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use crate::support;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use bulletin::ids::BulletinId;
use bulletin::store::{IssueKind, Store};
use support::clock::TestClock;
use support::daemon::Daemon;
use support::day;
use support::email::unsubscribe_link;
use support::smtp::free_port;
use support::{Tree, bulletin};
use support::{ok, run, stderr as err, stdout as out};

/// The minimal tree with `extra` lines added to its one bulletin (`news`, 09:00 on the 1st),
/// `members` on its list, and the web on `port`.
fn tree(extra: &str, members: &[&str], port: u16) -> Tree {
    let t = Tree::minimal();
    let settings = std::fs::read_to_string(t.config()).unwrap();
    t.write(
        "config/bulletin.toml",
        &format!(
            "{settings}{extra}\n\n[web]\nbind = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n"
        ),
    );
    t.members(members);
    t.create_ledger();
    t
}

/// Move the bulletin's schedule to 1 January only, so a daemon started today has no fire to
/// catch up (the tests start it for its web pages and its other work).
fn quiet(t: &Tree) {
    t.schedule("0 9 1 1 *");
}

fn outbox(t: &Tree) -> Vec<PathBuf> {
    t.outbox()
}

fn status_json(t: &Tree) -> Vec<serde_json::Value> {
    serde_json::from_value(support::status_json(&mut bulletin(t.root()))).unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// The ledger of a tree, opened as the daemon opens it.
fn store(t: &Tree) -> Store {
    let p = t.load().project.expect("loads");
    block_on(Store::open(&p.settings.database)).unwrap()
}

#[test]
fn send_now_refuses_an_unapproved_issue_unless_forced_and_the_force_is_audited() {
    let t = tree("require_approval = true\n", &["a@x.example"], free_port());
    let o = run(&t, &["send", "news", "--now", "--date", "2026-11-01"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(
        err(&o).contains("bulletin approve news --date 2026-11-01"),
        "names the command to run: {}",
        err(&o)
    );
    assert!(outbox(&t).is_empty(), "nothing was sent");
    assert!(
        status_json(&t).iter().all(|r| r["kind"] != "issue"),
        "no issue was created"
    );

    // A non-default --config is repeated in the printed command.
    let o = run(
        &t,
        &[
            "--config",
            t.config().to_str().unwrap(),
            "send",
            "news",
            "--now",
            "--date",
            "2026-11-01",
        ],
    );
    assert!(
        err(&o).contains(&format!(
            "bulletin --config {} approve news --date 2026-11-01",
            t.config().display()
        )),
        "{}",
        err(&o)
    );

    let o = run(
        &t,
        &["send", "news", "--now", "--date", "2026-11-01", "--force"],
    );
    assert!(ok(&o).contains("1 sent"), "{}", out(&o));
    assert_eq!(outbox(&t).len(), 1);
    let s = store(&t);
    let row = block_on(s.find_issue(&news(), day("2026-11-01"), IssueKind::Issue))
        .unwrap()
        .unwrap();
    let events = block_on(s.events(row.id)).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "forced" && e.detail.contains("--force")),
        "{events:?}"
    );
}

#[test]
fn send_now_goes_without_asking_once_approved() {
    let t = tree("require_approval = true\n", &["a@x.example"], free_port());
    ok(&run(
        &t,
        &[
            "approve",
            "news",
            "--date",
            "2026-11-01",
            "--by",
            "ed",
            "--late",
        ],
    ));
    let o = run(&t, &["send", "news", "--now", "--date", "2026-11-01"]);
    assert!(ok(&o).contains("1 sent"), "{}", out(&o));
}

#[test]
fn approve_refuses_a_date_with_no_issue_and_names_the_nearest() {
    let t = tree("require_approval = true\n", &["a@x.example"], free_port());
    let o = run(&t, &["approve", "news", "--date", "2026-12-02"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let e = err(&o);
    assert!(
        e.contains("2026-12-01") && e.contains("2027-01-01"),
        "names the issues before and after: {e}"
    );
    let s = store(&t);
    assert_eq!(
        block_on(s.approval(&news(), day("2026-12-02"))).unwrap(),
        None,
        "nothing was recorded"
    );
    // A date the schedule fires on is accepted.
    ok(&run(&t, &["approve", "news", "--date", "2027-01-01"]));
    assert!(
        block_on(s.approval(&news(), day("2027-01-01")))
            .unwrap()
            .is_some()
    );
}

/// An issue date whose time passed more than the catch-up window ago without an issue is one
/// the daemon will never send: `approve` refuses it and names the next issue, unless `--late`
/// (to send it by hand). A past date the daemon holds for approval is still approved, and
/// without `$USER` an approval needs `--by`.
#[test]
fn approve_refuses_a_past_date_the_daemon_will_not_send_and_needs_a_name() {
    let t = tree("require_approval = true\n", &["a@x.example"], free_port());
    let p = t.load().project.unwrap();
    let tz = p.settings.organisation.time_zone;
    let b = p.bulletin("news").unwrap();
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let past = bulletin::issue::previous_fire(b, tz, today - chrono::Days::new(1)).unwrap();
    let past_date = past.date_naive().to_string();
    let next = bulletin::issue::next_fire_on_or_after(b, tz, today + chrono::Days::new(1))
        .unwrap()
        .date_naive()
        .to_string();
    let s = store(&t);

    let o = run(&t, &["approve", "news", "--date", &past_date]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let e = err(&o);
    assert!(
        e.contains("will not send it")
            && e.contains(&format!("bulletin approve news --date {next}")),
        "says why and names the next issue: {e}"
    );
    assert!(!out(&o).contains("sends it at its time"), "{}", out(&o));
    assert_eq!(
        block_on(s.approval(&news(), day(&past_date))).unwrap(),
        None,
        "nothing was recorded"
    );

    // --late records it for a send by hand, and says so.
    let o = run(&t, &["approve", "news", "--date", &past_date, "--late"]);
    let said = ok(&o);
    assert!(
        said.contains(&format!("bulletin send news --now --date {past_date}"))
            && !said.contains("sends it at its time"),
        "{said}"
    );
    assert_eq!(
        block_on(s.approval(&news(), day(&past_date)))
            .unwrap()
            .map(|a| a.by),
        Some("tester".to_string())
    );

    // Held by the daemon at a time long past: still waiting, so still approvable.
    let held = bulletin::issue::previous_fire(b, tz, past.date_naive()).unwrap();
    block_on(s.record_fire(
        &bulletin::schedule::jobs::Job::Bulletin(news()),
        held.into(),
        Some(held.date_naive()),
        bulletin::store::FireState::Held,
        "",
        held.into(),
    ))
    .unwrap();
    let held_date = held.date_naive().to_string();
    let o = run(&t, &["approve", "news", "--date", &held_date]);
    assert!(ok(&o).contains("within seconds"), "{}", out(&o));

    // Without $USER, who approves must be given.
    let o = bulletin(t.root())
        .env_remove("USER")
        .args(["approve", "news", "--date", &next])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("--by NAME"), "{}", err(&o));
    assert_eq!(block_on(s.approval(&news(), day(&next))).unwrap(), None);
    let o = bulletin(t.root())
        .env_remove("USER")
        .args(["approve", "news", "--date", &next, "--by", "ed"])
        .output()
        .unwrap();
    assert!(ok(&o).contains("sends it at its time"), "{}", out(&o));
    assert_eq!(
        block_on(s.approval(&news(), day(&next)))
            .unwrap()
            .map(|a| a.by),
        Some("ed".to_string())
    );
}

/// A proof of an issue that has already gone says so, when, and to how many, from the ledger:
/// never "not yet sent".
#[test]
fn a_proof_of_an_issue_already_sent_says_when_and_to_how_many() {
    let t = tree(
        "",
        &["a@x.example", "b@x.example", "c@x.example"],
        free_port(),
    );
    ok(&run(&t, &["suppress", "c@x.example"]));
    let date = "2026-11-01";
    assert!(ok(&run(&t, &["send", "news", "--now", "--date", date])).contains("2 sent"));
    let before = outbox(&t);
    ok(&run(
        &t,
        &["send", "news", "--test-to", "ed@x.example", "--date", date],
    ));
    let proof: Vec<PathBuf> = outbox(&t)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert_eq!(proof.len(), 1, "{proof:?}");
    let (_, text, html) = parse_message(&proof[0]);
    let banner = text.split("-----").next().unwrap();
    let sent_on = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .format("%-d %B %Y")
        .to_string();
    for want in ["already been sent", &sent_on, "2 people"] {
        assert!(banner.contains(want), "the banner says {want:?}: {banner}");
        assert!(html.contains(want), "the HTML banner says {want:?}");
    }
    for never in ["not yet sent", "goes on", "needs no approval"] {
        assert!(!banner.contains(never), "{never:?}: {banner}");
        assert!(!html.contains(never), "{never:?} in the HTML");
    }
}

/// `preview` names no one as receiving it who will not: it is made out to a sample reader.
#[test]
fn preview_names_no_reader_who_will_not_receive_it() {
    let t = tree("", &["a@x.example", "b@x.example"], free_port());
    ok(&run(&t, &["suppress", "a@x.example"]));
    let said = ok(&run(&t, &["preview", "news", "--date", "2027-01-01"]));
    let line = said.lines().next().unwrap();
    // Anyone the line says would receive it is a member who is not suppressed.
    if let Some(who) = line
        .split(", as ")
        .nth(1)
        .and_then(|r| r.split(" would receive it").next())
    {
        assert!(
            !who.contains('@') || who == "b@x.example",
            "names {who:?}, who will not receive it: {line}"
        );
    }
    assert!(line.contains("sample reader"), "{line}");
}

/// `impact` over a period in which nothing was sent says so, not that clicks were off.
#[test]
fn impact_of_a_period_with_nothing_sent_says_nothing_was_sent() {
    let t = tree("", &["a@x.example"], free_port());
    t.append_config("\n[reach]\ncount_clicks = true\n");
    let said = ok(&run(&t, &["impact", "--quarter", "2026-Q4"]));
    assert!(!said.contains("count_clicks was off"), "{said}");
    assert!(said.contains("Nothing was sent in this period"), "{said}");
}

fn news() -> BulletinId {
    BulletinId::parse("news").unwrap()
}

/// The Date header of an outbox message, as Python's email parser reads it (Unix seconds).
fn date_header(path: &std::path::Path) -> i64 {
    let o = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, email, email.policy\n\
             m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)\n\
             print(int(m['Date'].datetime.timestamp()))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

#[test]
fn the_date_header_is_never_in_the_future() {
    let t = tree("", &["a@x.example"], free_port());
    let future = (chrono::Utc::now() + chrono::Duration::days(70)).date_naive();
    let before = chrono::Utc::now().timestamp();
    ok(&run(
        &t,
        &[
            "send",
            "news",
            "--now",
            "--date",
            &future.to_string(),
            "--unscheduled",
            "--yes",
        ],
    ));
    let after = chrono::Utc::now().timestamp();
    let files = outbox(&t);
    assert_eq!(files.len(), 1);
    let date = date_header(&files[0]);
    assert!(
        date >= before - 1 && date <= after + 1,
        "Date {date} is not when it was handed over ({before}..{after})"
    );

    // A test proof for a future date too.
    ok(&run(
        &t,
        &[
            "send",
            "news",
            "--test-to",
            "ed@x.example",
            "--date",
            &future.to_string(),
            "--unscheduled",
        ],
    ));
    for f in outbox(&t) {
        assert!(date_header(&f) <= chrono::Utc::now().timestamp() + 1);
    }
}

#[test]
fn a_future_date_asks_first_and_the_daemon_then_sends_no_second_issue() {
    let t = tree("", &["a@x.example"], free_port());
    let future = (chrono::Utc::now() + chrono::Duration::days(40)).date_naive();
    // Not a terminal, no --yes: refused, nothing created.
    let o = bulletin(t.root())
        .args([
            "send",
            "news",
            "--now",
            "--date",
            &future.to_string(),
            "--unscheduled",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("--yes"), "{}", err(&o));
    assert!(outbox(&t).is_empty());

    ok(&run(
        &t,
        &[
            "send",
            "news",
            "--now",
            "--date",
            &future.to_string(),
            "--unscheduled",
            "--yes",
        ],
    ));
    assert_eq!(outbox(&t).len(), 1);
    // The daemon reaches that date's fire: the issue exists, nothing more is sent.
    let p = t.load().project.unwrap();
    let s = store(&t);
    let fire = bulletin::issue::fire_on(
        p.bulletin("news").unwrap(),
        p.settings.organisation.time_zone,
        future,
    );
    if let Some(fire) = fire {
        let d = bulletin::daemon::Daemon::new(
            std::sync::Arc::new(p.clone()),
            s.clone(),
            std::sync::Arc::new(TestClock::at(fire.timestamp() + 60)),
            "test",
        )
        .unwrap();
        block_on(s.set_state("scheduler.last_tick", &(fire.timestamp() - 60).to_string())).unwrap();
        block_on(d.try_execute_step()).unwrap();
        assert_eq!(outbox(&t).len(), 1, "no second copy");
    }
    let issues: Vec<_> = status_json(&t)
        .into_iter()
        .filter(|r| r["kind"] == "issue")
        .collect();
    assert_eq!(issues.len(), 1, "{issues:?}");
}

#[test]
fn who_unsubscribed_and_how_in_every_format() {
    let port = free_port();
    let t = tree(
        "",
        &["link@x.example", "click@x.example", "admin@x.example"],
        port,
    );
    ok(&run(&t, &["send", "news", "--now", "--date", "2026-11-01"]));
    ok(&run(
        &t,
        &[
            "suppress",
            "admin@x.example",
            "--reason",
            "left the council",
        ],
    ));
    let d = Daemon::start(&t, port);
    for (who, body) in [
        ("link@x.example", "confirm=1"),
        ("click@x.example", "List-Unsubscribe=One-Click"),
    ] {
        let url = unsubscribe_url(&t, who);
        let path = format!("/{}", url.splitn(4, '/').nth(3).unwrap());
        let (code, _, page) = d.post_form(&path, body);
        assert_eq!(code, 200, "{page}");
    }

    let o = run(&t, &["suppressions", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&ok(&o)).unwrap();
    let how = |e: &str| {
        rows.iter()
            .find(|r| r["email"] == e)
            .map(|r| r["how"].as_str().unwrap().to_string())
    };
    assert_eq!(how("link@x.example").as_deref(), Some("link"), "{rows:?}");
    assert_eq!(
        how("click@x.example").as_deref(),
        Some("one_click"),
        "{rows:?}"
    );
    assert_eq!(how("admin@x.example").as_deref(), Some("admin"), "{rows:?}");
    assert!(rows.iter().all(|r| r["when"].as_str().unwrap().len() >= 20));

    let csv = ok(&run(&t, &["suppressions", "--format", "csv"]));
    assert!(csv.starts_with("email,scope,when,how,reason\n"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("admin@x.example,*,") && l.ends_with(",admin,left the council")),
        "{csv}"
    );
    let table = ok(&run(&t, &["suppressions"]));
    assert!(
        table.contains("one_click") && table.contains("link@x.example"),
        "{table}"
    );

    let (code, _, admin) = d.admin_get("/admin");
    assert_eq!(code, 200);
    for e in ["link@x.example", "click@x.example", "admin@x.example"] {
        assert!(admin.contains(e), "/admin lists {e}: {admin}");
    }
    assert!(
        admin.contains("one_click") || admin.contains("one-click"),
        "{admin}"
    );
}

/// The https unsubscribe link in `who`'s outbox message.
fn unsubscribe_url(t: &Tree, who: &str) -> String {
    t.outbox()
        .iter()
        .map(|f| unsubscribe_link(&std::fs::read_to_string(f).unwrap()))
        .find(|(_, to)| to.contains(who))
        .unwrap_or_else(|| panic!("no message to {who}"))
        .0
}

#[test]
fn list_members_and_which_lists_reach_an_address() {
    let t = tree("", &["a@x.example", "b@x.example"], free_port());
    t.write(
        "config/lists/health.toml",
        "name = \"Health\"\n[[member]]\nemail = \"h@x.example\"\nname = \"Hana\"\n",
    );
    t.write(
        "config/lists/partners.toml",
        "name = \"Partners\"\ninclude = [\"health\"]\n[[member]]\nemail = \"B@x.example\"\n",
    );
    ok(&run(&t, &["suppress", "b@x.example", "--list", "all"]));

    let m = ok(&run(&t, &["lists", "--members", "partners"]));
    assert!(m.contains("h@x.example") && m.contains("Hana"), "{m}");
    assert!(m.contains("B@x.example"), "{m}");
    let json: Vec<serde_json::Value> = serde_json::from_str(&ok(&run(
        &t,
        &["lists", "--members", "all", "--format", "json"],
    )))
    .unwrap();
    let b = json.iter().find(|r| r["email"] == "b@x.example").unwrap();
    assert_eq!(b["suppressed"], serde_json::json!(["list:all"]));
    let a = json.iter().find(|r| r["email"] == "a@x.example").unwrap();
    assert_eq!(a["suppressed"], serde_json::json!([]));

    let who: serde_json::Value = serde_json::from_str(&ok(&run(
        &t,
        &["lists", "--who", "H@x.example", "--format", "json"],
    )))
    .unwrap();
    let lists = who["lists"].as_array().unwrap();
    let via = |l: &str| {
        lists
            .iter()
            .find(|r| r["list"] == l)
            .map(|r| r["via"].as_str().unwrap().to_string())
    };
    assert_eq!(via("health").as_deref(), Some("direct"), "{who}");
    assert_eq!(via("partners").as_deref(), Some("include health"), "{who}");
    assert_eq!(via("all"), None, "{who}");

    let text = ok(&run(&t, &["lists", "--who", "b@x.example"]));
    assert!(
        text.contains("all") && text.contains("suppressed (list:all)"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("partners") && l.contains("receives mail")),
        "{text}"
    );
    let o = run(&t, &["lists", "--members", "nope"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn one_issues_recipients_by_id_or_by_bulletin_and_date() {
    let t = tree(
        "",
        &["a@x.example", "b@x.example", "c@x.example"],
        free_port(),
    );
    ok(&run(&t, &["suppress", "c@x.example"]));
    ok(&run(&t, &["send", "news", "--now", "--date", "2026-11-01"]));
    let s = store(&t);
    let row = block_on(s.find_issue(&news(), day("2026-11-01"), IssueKind::Issue))
        .unwrap()
        .unwrap();

    let by_name = support::recipients(&t, "news@2026-11-01");
    assert_eq!(by_name.len(), 3, "{by_name:?}");
    let a = by_name
        .iter()
        .find(|r| r["email"] == "a@x.example")
        .unwrap();
    assert_eq!(a["state"], "sent");
    assert_eq!(a["attempts"], 1);
    assert!(a["last_reply"].as_str().is_some());
    assert!(a["updated_at"].as_i64().unwrap() > 0);
    let c = by_name
        .iter()
        .find(|r| r["email"] == "c@x.example")
        .unwrap();
    assert_eq!(c["state"], "suppressed");

    let by_id = ok(&run(
        &t,
        &[
            "status",
            &row.id.to_string(),
            "--recipients",
            "--state",
            "suppressed",
        ],
    ));
    assert!(by_id.contains("c@x.example"), "{by_id}");
    assert!(!by_id.contains("a@x.example"), "{by_id}");

    let failed = ok(&run(
        &t,
        &[
            "status",
            "news@2026-11-01",
            "--recipients",
            "--state",
            "failed",
        ],
    ));
    assert!(!failed.contains("@x.example"), "{failed}");

    let o = run(&t, &["status", "news@2026-10-01", "--recipients"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("news@2026-10-01"), "{}", err(&o));
}

#[test]
fn cancel_stops_the_waiting_deliveries_and_withdraw_hides_the_issue() {
    let port = free_port();
    let t = tree("", &["a@x.example", "b@x.example", "c@x.example"], port);
    // An issue created (as the daemon would) but not sent: three deliveries wait.
    let p = t.load().project.unwrap();
    let s = store(&t);
    let now = bulletin::timestamp::Timestamp::from(chrono::Utc::now());
    let (row, _) = block_on(bulletin::send::create_or_resume(
        &p,
        &s,
        &news(),
        "2026-11-01".parse().unwrap(),
        now,
    ))
    .unwrap();
    // One of them is being handed to the relay right now.
    let claimed = block_on(s.claim(row.id, "other-sender", now, now + 300, 1)).unwrap();
    assert_eq!(claimed.len(), 1);

    let o = run(&t, &["cancel", "news", "--date", "2026-11-01"]);
    assert!(
        ok(&o).contains("2 waiting deliveries cancelled"),
        "{}",
        out(&o)
    );
    let c = block_on(s.counts(row.id)).unwrap();
    assert_eq!((c.cancelled, c.in_flight, c.pending), (2, 1, 0), "{c:?}");
    let events = block_on(s.events(row.id)).unwrap();
    assert!(events.iter().any(|e| e.kind == "cancelled"), "{events:?}");
    // The in-flight one completes; the issue stays cancelled.
    block_on(s.record(
        &[(
            claimed[0].id,
            bulletin::store::Recorded::Sent {
                reply: "250 ok".into(),
            },
        )],
        "other-sender",
        now,
    ))
    .unwrap();
    // Resuming sends nothing more.
    let o = run(&t, &["send", "news", "--now", "--date", "2026-11-01"]);
    assert!(ok(&o).contains("(2 cancelled)"), "{}", out(&o));
    assert!(outbox(&t).is_empty(), "nothing more was sent");
    let st = status_json(&t);
    let r = st.iter().find(|r| r["issue"] == row.id).unwrap();
    assert_eq!(r["state"], "cancelled");
    assert_eq!(r["deliveries"]["cancelled"], 2);
    assert_eq!(r["deliveries"]["sent"], 1);

    // Withdraw: the archive and the feed no longer show it.
    quiet(&t);
    let d = Daemon::start(&t, port);
    let (code, _, _) = d.get("/archive/news/2026-11-01");
    assert_eq!(code, 200, "a sent issue is in the archive");
    let (_, _, feed) = d.get("/feed.atom");
    assert!(feed.contains("2026-11-01"), "{feed}");
    ok(&run(&t, &["withdraw", "news", "--date", "2026-11-01"]));
    assert_eq!(d.get("/archive/news/2026-11-01").0, 404);
    let (_, _, index) = d.get("/archive/");
    assert!(!index.contains("2026-11-01"), "{index}");
    let (_, _, feed) = d.get("/feed.atom");
    assert!(!feed.contains("/archive/news/2026-11-01"), "{feed}");
    let st = status_json(&t);
    let r = st.iter().find(|r| r["issue"] == row.id).unwrap();
    assert_eq!(r["withdrawn"], true, "kept in the ledger, marked");
    // The table says who cancelled and withdrew it, from the ledger's events.
    let table = ok(&run(&t, &["status"]));
    assert!(
        table.contains("cancelled: 2 deliveries (2 waiting deliveries cancelled by tester, "),
        "{table}"
    );
    assert!(
        table.contains(
            "withdrawn from the web archive and feed (taken off the archive and feed by tester, "
        ),
        "{table}"
    );
    drop(d);

    let o = run(&t, &["cancel", "news", "--date", "2026-10-01"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_proof_goes_while_the_daemon_runs() {
    let port = free_port();
    let t = tree("", &["a@x.example"], port);
    quiet(&t);
    let d = Daemon::start(&t, port);
    let o = run(&t, &["send", "news", "--test-to", "ed@x.example"]);
    assert!(ok(&o).contains("1 sent"), "{}", out(&o));
    let files = outbox(&t);
    assert_eq!(files.len(), 1, "the proof, and nothing else");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("To: ed@x.example"), "{text}");
    assert!(text.contains("Subject: [Proof]"), "{text}");
    // The issue itself still goes through the one sender.
    let o = run(&t, &["send", "news", "--now", "--date", "2026-11-01"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(err(&o).contains("already sending"), "{}", err(&o));
    drop(d);
}

/// A tree whose bulletin fires daily two minutes ago (UK time), needs approval, and has an
/// editors list; returns it with the issue date of that fire.
fn held_tree(port: u16) -> (Tree, String) {
    use chrono::Timelike;
    let at = (chrono::Utc::now() - chrono::Duration::minutes(2))
        .with_timezone(&chrono_tz::Europe::London);
    let t = tree(
        "editors = \"editors\"\nrequire_approval = true\n",
        &["a@x.example", "b@x.example"],
        port,
    );
    let settings = std::fs::read_to_string(t.config()).unwrap().replace(
        "schedule = \"0 9 1 * *\"",
        &format!("schedule = \"{} {} * * *\"", at.minute(), at.hour()),
    );
    t.write("config/bulletin.toml", &settings);
    t.write(
        "config/lists/editors.toml",
        "name = \"Editors\"\n[[member]]\nemail = \"ed@x.example\"\n",
    );
    (t, at.date_naive().to_string())
}

fn recipients_of(t: &Tree) -> Vec<(String, String)> {
    outbox(t)
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let head = text.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ");
            let get = |h: &str| {
                head.lines()
                    .find_map(|l| l.strip_prefix(h))
                    .unwrap_or("")
                    .to_string()
            };
            (get("To: "), get("Subject: "))
        })
        .collect()
}

fn wait_until(what: &str, within: Duration, f: impl FnMut() -> bool) {
    assert!(
        support::daemon::wait_until(within, f),
        "timed out waiting for {what}"
    );
}

#[test]
fn a_held_issue_is_visible_everywhere_the_editors_are_told_once_and_approval_sends_it_within_seconds()
 {
    let port = free_port();
    let (t, date) = held_tree(port);
    let d = Daemon::start(&t, port);
    assert!(
        d.wait_for_log("HELD", Duration::from_secs(15)),
        "{}",
        d.log()
    );
    // The editors are emailed (once), nobody else.
    wait_until("the held notice", Duration::from_secs(15), || {
        !outbox(&t).is_empty()
    });
    let sent = recipients_of(&t);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "ed@x.example");
    assert!(sent[0].1.starts_with("[Awaiting approval]"), "{sent:?}");

    let st = status_json(&t);
    let held = st
        .iter()
        .find(|r| r["awaiting_approval"] == true)
        .expect("status shows the held issue");
    assert_eq!(held["date"], date.as_str());
    assert_eq!(held["state"], "held");
    let table = ok(&run(&t, &["status"]));
    assert!(
        table.contains(&format!("bulletin approve news --date {date}")),
        "{table}"
    );
    let (_, _, metrics) = d.get("/metrics");
    assert!(
        metrics.contains("bulletin_issues_awaiting_approval 1"),
        "{metrics}"
    );
    let (_, _, admin) = d.admin_get("/admin");
    assert!(
        admin.contains("Awaiting approval")
            && admin.contains(&format!("bulletin approve news --date {date}")),
        "{admin}"
    );
    let (_, _, cal) = d.get("/calendar");
    assert!(cal.contains("Awaiting approval"), "{cal}");

    // A restart does not email the editors again.
    drop(d);
    let d = Daemon::start(&t, port);
    assert_eq!(recipients_of(&t).len(), 1, "{:?}", recipients_of(&t));

    // Approved from another process while the daemon waits (it has made its first pass): it
    // goes within seconds, not at the next 5-minute pass.
    ok(&run(
        &t,
        &["approve", "news", "--date", &date, "--by", "ed"],
    ));
    let approved = std::time::Instant::now();
    wait_until("the approved issue", Duration::from_secs(15), || {
        recipients_of(&t).len() == 3
    });
    assert!(approved.elapsed() < Duration::from_secs(15));
    let to: Vec<String> = recipients_of(&t).into_iter().map(|r| r.0).collect();
    assert!(to.contains(&"a@x.example".to_string()) && to.contains(&"b@x.example".to_string()));
    let (_, _, metrics) = d.get("/metrics");
    assert!(
        metrics.contains("bulletin_issues_awaiting_approval 0"),
        "{metrics}"
    );
}

/// (header names, text part, html part) of a message, through Python's email parser.
fn parse_message(path: &std::path::Path) -> (Vec<String>, String, String) {
    let o = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, json, email, email.policy\n\
             m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)\n\
             t = m.get_body(('plain',)).get_content()\n\
             h = m.get_body(('html',)).get_content()\n\
             print(json.dumps([list(m.keys()), t, h]))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn a_proof_says_when_to_whom_what_and_how_to_approve_and_its_links_are_safe() {
    let port = free_port();
    let t = tree(
        "require_approval = true\n",
        &["a@x.example", "b@x.example", "c@x.example"],
        port,
    );
    quiet(&t);
    ok(&run(&t, &["suppress", "c@x.example"]));
    let d = Daemon::start(&t, port);
    ok(&run(
        &t,
        &[
            "send",
            "news",
            "--test-to",
            "ed@x.example",
            "--date",
            "2027-01-01",
        ],
    ));
    let files = outbox(&t);
    assert_eq!(files.len(), 1);
    let (headers, text, html) = parse_message(&files[0]);
    assert!(
        !headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("List-Unsubscribe")
                || h.eq_ignore_ascii_case("List-Unsubscribe-Post")),
        "a proof has no working List-Unsubscribe: {headers:?}"
    );
    let banner = text.split("-----").next().unwrap();
    assert!(banner.starts_with("PROOF"), "{text}");
    for want in [
        "1 January 2027 at 09:00",
        "to 2 people",
        "It carries:",
        "bulletin approve news --date 2027-01-01",
    ] {
        assert!(banner.contains(want), "the banner says {want:?}: {banner}");
        assert!(html.contains(want), "the HTML banner says {want:?}");
    }
    assert!(html.contains("href=\"#proof\""), "a dummy unsubscribe link");
    assert!(
        !html.contains("/unsubscribe/") && !text.contains("/unsubscribe/"),
        "no live unsubscribe link"
    );
    // "View in your browser" opens the proof page, which the daemon serves before sending.
    let view = text
        .lines()
        .find_map(|l| l.strip_prefix("View this issue in your browser: "))
        .expect("the view link");
    let path = format!("/{}", view.splitn(4, '/').nth(3).unwrap());
    assert!(path.starts_with("/proof/"), "{view}");
    let (code, head, page) = d.get(&path);
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains("PROOF") && page.contains("News: January 2027"),
        "{page}"
    );
    assert!(head.contains("x-robots-tag: noindex"), "{head}");
    assert_eq!(d.get("/proof/00000000000000000000000000000000").0, 404);
    assert_eq!(d.get("/archive/news/2027-01-01").0, 404, "not yet public");
}

#[test]
fn on_postgresql_an_approval_from_anywhere_wakes_the_daemons_within_seconds() {
    let db = support::pg::PgDb::create();
    let (t, date) = held_tree(free_port());
    let env = [("BULLETIN_DATABASE_URL", db.url.as_str())];
    let daemons: Vec<Daemon> = (0..2)
        .map(|_| Daemon::start_with(&t, free_port(), &env))
        .collect();
    for d in &daemons {
        assert!(
            d.wait_for_log("HELD", Duration::from_secs(15)),
            "{}",
            d.log()
        );
    }
    wait_until("the held notice", Duration::from_secs(15), || {
        !outbox(&t).is_empty()
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(recipients_of(&t).len(), 1, "the editors are told once");
    let o = bulletin(t.root())
        .envs(env)
        .args(["approve", "news", "--date", &date])
        .output()
        .unwrap();
    ok(&o);
    wait_until("the approved issue", Duration::from_secs(15), || {
        recipients_of(&t).len() == 3
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(recipients_of(&t).len(), 3, "each reader once");
}

/// A daemon driven in-process at `at` (Unix seconds), having last looked ten minutes before.
fn step_at(t: &Tree, at: i64) -> bulletin::daemon::StepReport {
    let p = t.load().project.unwrap();
    let s = store(t);
    block_on(s.set_state("scheduler.last_tick", &(at - 600).to_string())).unwrap();
    let d = bulletin::daemon::Daemon::new(
        std::sync::Arc::new(p),
        s,
        std::sync::Arc::new(TestClock::at(at)),
        "test",
    )
    .unwrap();
    block_on(d.try_execute_step()).unwrap()
}

#[test]
fn cancelling_an_issue_still_to_come_or_held_means_it_is_never_created() {
    let t = tree("", &["a@x.example"], free_port());
    let p = t.load().project.unwrap();
    let tz = p.settings.organisation.time_zone;
    let b = p.bulletin("news").unwrap();
    let next = bulletin::issue::next_fire_on_or_after(
        b,
        tz,
        chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Days::new(1),
    )
    .unwrap();
    let date = next.date_naive().to_string();
    let o = run(&t, &["cancel", "news", "--date", &date]);
    assert!(ok(&o).contains("will not be created"), "{}", out(&o));
    let r = step_at(&t, next.timestamp() + 30);
    assert!(r.created.is_empty(), "{r:?}");
    assert!(outbox(&t).is_empty());
    assert!(status_json(&t).is_empty());

    // Held for approval, then cancelled: approving no longer matters.
    let (t, date) = held_tree(free_port());
    let r = step_at(&t, chrono::Utc::now().timestamp());
    assert_eq!(r.held.len(), 1, "{r:?}");
    ok(&run(&t, &["cancel", "news", "--date", &date]));
    assert!(
        status_json(&t)
            .iter()
            .all(|r| r["awaiting_approval"] != true),
        "no longer held"
    );
    let o = run(&t, &["approve", "news", "--date", &date]);
    ok(&o);
    assert!(err(&o).contains("was cancelled"), "{}", err(&o));
    let r = step_at(&t, chrono::Utc::now().timestamp() + 5);
    assert!(r.created.is_empty(), "{r:?}");
    assert!(
        status_json(&t).iter().all(|r| r["kind"] != "issue"),
        "never created"
    );
}

/// Run `bulletin ARGS` on a terminal (a pty from util-linux `script`), typing `answer`.
fn on_a_terminal(t: &Tree, args: &str, answer: &str) -> Output {
    use std::io::Write as _;
    let mut c = std::process::Command::new("script");
    c.current_dir(t.root());
    for (k, _) in std::env::vars() {
        if k.starts_with("BULLETIN_") {
            c.env_remove(k);
        }
    }
    let mut child = c
        .env("RUST_LOG", "warn")
        .args([
            "-qec",
            &format!("{} {args}", env!("CARGO_BIN_EXE_bulletin")),
            "/dev/null",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let said = said.clone();
        std::thread::spawn(move || {
            use std::io::Read as _;
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                said.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    // Type the answer once the question is on the terminal, and keep the terminal open until
    // the command has read it and exited.
    let asked = support::wait_until(Duration::from_secs(30), || {
        said.lock().unwrap().contains(&b'?')
    });
    assert!(
        asked,
        "no question: {}",
        String::from_utf8_lossy(&said.lock().unwrap())
    );
    stdin.write_all(answer.as_bytes()).unwrap();
    support::wait_until(Duration::from_secs(30), || {
        child.try_wait().unwrap().is_some()
    });
    drop(stdin);
    let mut o = child.wait_with_output().unwrap();
    reader.join().unwrap();
    o.stdout = std::mem::take(&mut *said.lock().unwrap());
    o
}

#[test]
fn a_future_date_asks_on_a_terminal_and_no_means_nothing_is_sent() {
    let t = tree("", &["a@x.example", "b@x.example"], free_port());
    let future = (chrono::Utc::now() + chrono::Duration::days(40)).date_naive();
    let args = format!("send news --now --date {future} --unscheduled");
    let o = on_a_terminal(&t, &args, "n\n");
    let said = out(&o);
    assert!(
        said.contains("early, to 2 people?"),
        "asks, with the count: {said}"
    );
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(outbox(&t).is_empty(), "no means nothing is sent");
    let o = on_a_terminal(&t, &args, "y\n");
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(outbox(&t).len(), 2);
}

/// A cancelled coming issue is not silently gone: `status` and `schedule` (table and JSON)
/// show it as cancelled with who did it and when, and `bulletin uncancel` restores it, audited,
/// so the daemon creates it after all. A past one is refused with a message that says why.
#[test]
fn a_cancelled_coming_issue_shows_who_cancelled_it_and_uncancel_restores_it() {
    let t = tree("", &["a@x.example"], free_port());
    let p = t.load().project.unwrap();
    let tz = p.settings.organisation.time_zone;
    let b = p.bulletin("news").unwrap();
    let next = bulletin::issue::next_fire_on_or_after(
        b,
        tz,
        chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Days::new(1),
    )
    .unwrap();
    let date = next.date_naive().to_string();
    ok(&run(&t, &["cancel", "news", "--date", &date]));

    let status = ok(&run(&t, &["status"]));
    assert!(
        status.contains(&format!("news {date}: cancelled by tester"))
            && status.contains(&format!("bulletin uncancel news --date {date}")),
        "status shows the cancelled issue: {status}"
    );
    let schedule = ok(&run(&t, &["schedule"]));
    let line = schedule
        .lines()
        .find(|l| l.contains(&next.format("%-d %b %Y").to_string()) && l.contains("bulletin:news"))
        .unwrap_or_else(|| panic!("the issue is in the schedule: {schedule}"));
    assert!(line.contains("CANCELLED by tester"), "{line}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&run(&t, &["schedule", "--format", "json"]))).unwrap();
    let row = json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["job"] == "bulletin:news" && r["at"] == next.to_rfc3339())
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(row["cancelled"]["by"], "tester", "{row}");

    let o = run(&t, &["uncancel", "news", "--date", &date]);
    assert!(ok(&o).contains("restored"), "{}", out(&o));
    let status = ok(&run(&t, &["status"]));
    assert!(!status.contains("cancelled by"), "{status}");
    let schedule = ok(&run(&t, &["schedule"]));
    assert!(!schedule.contains("CANCELLED"), "{schedule}");
    let audited: Vec<(String, String)> = block_on(async {
        let bulletin::config::DatabaseUrl::Sqlite(path) = &p.settings.database else {
            panic!("a SQLite ledger")
        };
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query_as("SELECT kind, detail FROM events WHERE kind = 'uncancelled'")
            .fetch_all(&pool)
            .await
            .unwrap()
    });
    assert!(
        audited.len() == 1 && audited[0].1.contains("by tester"),
        "{audited:?}"
    );
    let r = step_at(&t, next.timestamp() + 30);
    assert_eq!(r.created.len(), 1, "restored, so created when due: {r:?}");

    // Held for approval (due already), then cancelled: its time has gone, so no uncancel.
    let (t, date) = held_tree(free_port());
    step_at(&t, chrono::Utc::now().timestamp());
    ok(&run(&t, &["cancel", "news", "--date", &date]));
    let o = run(&t, &["uncancel", "news", "--date", &date]);
    assert!(!o.status.success(), "{}", out(&o));
    assert!(err(&o).contains("in the past"), "{}", err(&o));
    assert!(ok(&run(&t, &["status"])).contains("cancelled by tester"));
}

/// `lists --who` shows every include path by which an address is on a list, not only the
/// first: on all-partners directly, through police, and through health which includes police.
#[test]
fn lists_who_shows_every_include_path() {
    let t = tree("", &["a@x.example"], free_port());
    t.write(
        "config/lists/police.toml",
        "name = \"Police\"\n[[member]]\nemail = \"p@x.example\"\n",
    );
    t.write(
        "config/lists/health.toml",
        "name = \"Health\"\ninclude = [\"police\"]\n[[member]]\nemail = \"h@x.example\"\n",
    );
    t.write(
        "config/lists/all-partners.toml",
        "name = \"All partners\"\ninclude = [\"police\", \"health\"]\n[[member]]\nemail = \"P@x.example\"\n",
    );
    let text = ok(&run(&t, &["lists", "--who", "p@x.example"]));
    for path in [
        "all-partners ← (direct)",
        "all-partners ← police ← (direct)",
        "all-partners ← health ← police ← (direct)",
        "health ← police ← (direct)",
        "police ← (direct)",
    ] {
        assert!(text.lines().any(|l| l.trim() == path), "{path} in:\n{text}");
    }
    let who: serde_json::Value = serde_json::from_str(&ok(&run(
        &t,
        &["lists", "--who", "p@x.example", "--format", "json"],
    )))
    .unwrap();
    let all = who["lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["list"] == "all-partners")
        .unwrap_or_else(|| panic!("{who}"));
    assert_eq!(all["paths"].as_array().unwrap().len(), 3, "{who}");
}
