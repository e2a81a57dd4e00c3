//! The scheduler driven by a test clock through whole days, across the UK clock changes of 2026
//! and 2027, clock jumps, approval holds, proofs and announcements: every due issue exactly once,
//! at the right instant, and nothing sent that should not be.

use crate::support;

use std::sync::Arc;

use bulletin::daemon::Daemon;
use bulletin::ids::BulletinId;
use bulletin::store::{IssueKind, StatusState, Store};
use chrono::DateTime;
use support::Tree;
use support::clock::TestClock;
use support::day as date;

fn utc(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

fn tree(schedule: &str, extra_bulletin: &str) -> Tree {
    let t = Tree::minimal();
    t.schedule_with(schedule, extra_bulletin);
    t.members(["a@x.example", "b@x.example"]);
    t.write(
        "config/lists/editors.toml",
        "name = \"Editors\"\n[[member]]\nemail = \"ed@x.example\"\n",
    );
    t
}

async fn daemon(t: &Tree, start: i64) -> (Daemon, Arc<TestClock>) {
    let p = t.load().project.expect("loads");
    let store = Store::open(&p.settings.database).await.unwrap();
    let clock = Arc::new(TestClock::at(start));
    let d = Daemon::new(Arc::new(p), store, clock.clone(), "test").unwrap();
    (d, clock)
}

/// Step the daemon every `step` seconds from `from` to `to`; all the (job, date, step time)
/// it created.
async fn drive(
    d: &Daemon,
    clock: &TestClock,
    from: i64,
    to: i64,
    step: i64,
) -> Vec<(String, String, i64)> {
    let mut created = Vec::new();
    let mut now = from;
    while now <= to {
        clock.set(now);
        let r = d.try_execute_step().await.unwrap();
        for (job, date) in r.created {
            created.push((job, date, now));
        }
        now += step;
    }
    created
}

async fn issues(d: &Daemon) -> Vec<(String, String, String)> {
    d.store
        .status()
        .await
        .unwrap()
        .into_iter()
        .map(|s| {
            (
                s.bulletin.to_string(),
                s.date.to_string(),
                s.kind.to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_issue_inside_the_spring_gap_goes_once_a_day_at_the_first_instant_after_it() {
    // 01:30 does not exist on 29 March 2026: that day's issue goes at 02:00 BST (01:00 UTC).
    let t = tree("30 1 * * *", "");
    let start = utc("2026-03-27T00:00:00Z");
    let (d, clock) = daemon(&t, start).await;
    let created = drive(&d, &clock, start, utc("2026-03-31T12:00:00Z"), 15 * 60).await;
    let dates: Vec<&str> = created.iter().map(|c| c.1.as_str()).collect();
    // The first step also catches up 26 March's fire, 22½ hours earlier (inside catch_up).
    assert_eq!(
        dates,
        [
            "2026-03-26",
            "2026-03-27",
            "2026-03-28",
            "2026-03-29",
            "2026-03-30",
            "2026-03-31"
        ]
    );
    let gap_day = created.iter().find(|c| c.1 == "2026-03-29").unwrap();
    assert_eq!(
        gap_day.2,
        utc("2026-03-29T01:00:00Z"),
        "the first step at or after 02:00 BST"
    );
    let after_day = created.iter().find(|c| c.1 == "2026-03-30").unwrap();
    assert_eq!(after_day.2, utc("2026-03-30T00:30:00Z"), "01:30 BST");
    assert_eq!(issues(&d).await.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_issue_in_the_repeated_autumn_hour_goes_once_at_the_first() {
    // 01:30 happens twice on 25 October 2026 (BST, then GMT): one issue, at the first.
    let t = tree("30 1 * * *", "");
    let start = utc("2026-10-23T12:00:00Z");
    let (d, clock) = daemon(&t, start).await;
    let created = drive(&d, &clock, start, utc("2026-10-27T12:00:00Z"), 15 * 60).await;
    let dates: Vec<&str> = created.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(
        dates,
        [
            "2026-10-23",
            "2026-10-24",
            "2026-10-25",
            "2026-10-26",
            "2026-10-27"
        ]
    );
    let twice_day = created.iter().find(|c| c.1 == "2026-10-25").unwrap();
    assert_eq!(
        twice_day.2,
        utc("2026-10-25T00:30:00Z"),
        "01:30 BST, the first of the two"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weekly_and_monthly_issues_keep_their_local_time_across_the_2027_changes() {
    for (schedule, from, to, want) in [
        (
            "0 9 * * 1",
            "2027-03-20T00:00:00Z",
            "2027-04-06T00:00:00Z",
            vec![
                "2027-03-22T09:00:00Z",
                "2027-03-29T08:00:00Z",
                "2027-04-05T08:00:00Z",
            ],
        ),
        (
            "0 9 1 * *",
            "2027-09-25T00:00:00Z",
            "2027-12-02T00:00:00Z",
            vec![
                "2027-10-01T08:00:00Z",
                "2027-11-01T09:00:00Z",
                "2027-12-01T09:00:00Z",
            ],
        ),
    ] {
        let t = tree(schedule, "");
        let (d, clock) = daemon(&t, utc(from)).await;
        let created = drive(&d, &clock, utc(from), utc(to), 30 * 60).await;
        let at: Vec<i64> = created.iter().map(|c| c.2).collect();
        let want: Vec<i64> = want.iter().map(|w| utc(w)).collect();
        assert_eq!(at, want, "{schedule}: 09:00 UK time, whatever the offset");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_jump_catches_up_inside_the_window_and_skips_the_rest() {
    let t = tree("0 9 * * *", "catch_up_hours = 24\n");
    let start = utc("2026-06-01T10:00:00Z");
    let (d, clock) = daemon(&t, start).await;
    d.try_execute_step().await.unwrap();
    // The clock jumps three days (a suspended VM, a fixed RTC).
    clock.set(utc("2026-06-04T10:00:00Z"));
    let r = d.try_execute_step().await.unwrap();
    assert_eq!(
        r.created,
        [("bulletin:news".to_string(), "2026-06-04".to_string())]
    );
    assert_eq!(
        r.skipped,
        [
            ("bulletin:news".to_string(), "2026-06-02".to_string()),
            ("bulletin:news".to_string(), "2026-06-03".to_string())
        ]
    );
    // And back two hours (NTP correcting it): nothing is sent twice.
    clock.set(utc("2026-06-04T08:30:00Z"));
    d.try_execute_step().await.unwrap();
    clock.set(utc("2026-06-04T10:00:00Z"));
    let r = d.try_execute_step().await.unwrap();
    assert!(r.created.is_empty(), "{r:?}");
    let dates: Vec<String> = issues(&d).await.into_iter().map(|i| i.1).collect();
    assert_eq!(
        dates,
        ["2026-06-01", "2026-06-04"],
        "1 June's from the first start, 4 June's after the jump"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_goes_to_the_editors_and_an_unapproved_issue_is_held_until_approved() {
    let t = tree(
        "0 9 1 * *",
        "editors = \"editors\"\nproof_days_before = 2\nrequire_approval = true\n",
    );
    let start = utc("2026-11-28T12:00:00Z");
    let (d, clock) = daemon(&t, start).await;
    // 29 Nov 09:00: the proof of the 1 December issue.
    let created = drive(&d, &clock, start, utc("2026-11-29T12:00:00Z"), 3600).await;
    assert_eq!(
        created.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        ["proof:news"]
    );
    let st = d.store.status().await.unwrap();
    assert_eq!(
        (st[0].kind, st[0].date),
        (IssueKind::Proof, date("2026-12-01"))
    );
    assert_eq!(st[0].deliveries.sent, 1, "to the one editor");
    // 1 Dec 09:00 without approval: held, loudly, nothing sent.
    clock.set(utc("2026-12-01T09:05:00Z"));
    let r = d.try_execute_step().await.unwrap();
    assert_eq!(
        r.held,
        [("bulletin:news".to_string(), "2026-12-01".to_string())]
    );
    let st = d.store.status().await.unwrap();
    assert_eq!(
        st.len(),
        3,
        "the proof, the editors' held notice, and the held issue: {st:?}"
    );
    assert!(
        st.iter().any(|s| s.awaiting_approval
            && s.state == StatusState::Held
            && s.date == date("2026-12-01")),
        "{st:?}"
    );
    let notice = st
        .iter()
        .find(|s| s.kind == IssueKind::HeldNotice)
        .expect("editors told");
    assert_eq!(notice.deliveries.total(), 1, "to the one editor");
    assert!(
        st.iter()
            .all(|s| s.kind != IssueKind::Issue || s.awaiting_approval),
        "nothing sent to the lists: {st:?}"
    );
    // An editor approves; the next step sends it.
    d.store
        .approve(
            &BulletinId::parse("news").unwrap(),
            date("2026-12-01"),
            "editor",
            utc("2026-12-01T09:30:00Z").into(),
        )
        .await
        .unwrap();
    clock.set(utc("2026-12-01T09:31:00Z"));
    let r = d.try_execute_step().await.unwrap();
    assert_eq!(
        r.created,
        [("bulletin:news".to_string(), "2026-12-01".to_string())]
    );
    let st = d.store.status().await.unwrap();
    let issue = st.iter().find(|s| s.kind == IssueKind::Issue).unwrap();
    assert_eq!(issue.deliveries.sent, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_goes_once_before_each_occurrence() {
    let t = tree("0 9 1 * *", "");
    t.write(
        "campaigns/week.toml",
        "title = \"A week\"\nsummary = \"About the week.\"\nannounce = { days_before = 7, at = \"08:30\", lists = [\"all\"] }\n[[when]]\nyearly = { from = \"11-16\", to = \"11-20\" }\n\
         [year.2026]\ntheme = \"Connected Safeguarding\"\nhashtags = [\"#AWeek2026\"]\n[year.2027]\ntheme = \"Next Year's Theme\"\n",
    );
    let start = utc("2026-11-08T00:00:00Z");
    let (d, clock) = daemon(&t, start).await;
    let created = drive(&d, &clock, start, utc("2026-11-10T00:00:00Z"), 1800).await;
    assert_eq!(
        created,
        [(
            "announce:week".to_string(),
            "2026-11-16".to_string(),
            utc("2026-11-09T08:30:00Z")
        )]
    );
    let st = d.store.status().await.unwrap();
    assert_eq!(
        (st[0].bulletin.as_str(), st[0].kind),
        ("week", IssueKind::Announcement)
    );
    assert_eq!(st[0].deliveries.sent, 2);
    // The announcement carries the content of the year its occurrence starts in.
    let row = d
        .store
        .find_announcement(
            &bulletin::ids::CampaignId::parse("week").unwrap(),
            date("2026-11-16"),
        )
        .await
        .unwrap()
        .expect("the announcement is stored");
    assert!(row.rendered.as_json().contains("Connected Safeguarding"));
    assert!(row.rendered.as_json().contains("#AWeek2026"));
    assert!(!row.rendered.as_json().contains("Next Year"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_due_on_a_bank_holiday_goes_on_the_next_working_day() {
    // 1 January 2027 is a Friday and a bank holiday: with "next" the issue goes on Monday
    // 4 January at 09:00, and nothing goes on the 1st.
    let t = tree("0 9 1 * *", "on_non_working_day = \"next\"");
    let start = utc("2026-12-31T12:00:00Z");
    let (d, clock) = daemon(&t, start).await;
    let created = drive(&d, &clock, start, utc("2027-01-05T12:00:00Z"), 30 * 60).await;
    let bulletins: Vec<(&str, &str, i64)> = created
        .iter()
        .filter(|c| c.0.starts_with("bulletin:"))
        .map(|c| (c.0.as_str(), c.1.as_str(), c.2))
        .collect();
    assert_eq!(
        bulletins,
        [("bulletin:news", "2027-01-04", utc("2027-01-04T09:00:00Z"))]
    );
    let dates: Vec<String> = issues(&d).await.into_iter().map(|i| i.1).collect();
    assert_eq!(dates, ["2027-01-04"]);
}
