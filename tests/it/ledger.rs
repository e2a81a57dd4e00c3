//! The ledger's policy over time, driven by a test clock against a real SQLite file and a real
//! SMTP server: deferred deliveries come back after their backoff, stale ones expire instead of
//! arriving late, unsubscribes take effect before the next attempt, and the relay's limits hold.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use bulletin::config::Project;
use bulletin::delivery::Stop;
use bulletin::store::Store;
use bulletin::timestamp::Timestamp;
use support::clock::TestClock;
use support::smtp::{SmtpSink, TestSmtpServer};
use support::{Tree, bulletin};

const START: Timestamp = Timestamp::from_secs(1_796_112_000); // 2026-12-01T08:00:00Z

fn project(port: u16, members: &[&str], extra: &str) -> (Tree, Project) {
    let t = Tree::minimal();
    t.members(members);
    t.append_config(&format!("[unsubscribe]\nsecret_file = \"secret\"\n\n[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{port}\"\ntls = \"none\"\nconnections = 2\n{extra}"));
    t.write("secret", "ledger-test-secret-ledger-test-secret-0000");
    let p = t.load().project.expect("loads");
    (t, p)
}

async fn sender(p: &Project, clock: Arc<TestClock>) -> (Store, Arc<bulletin::delivery::Sender>) {
    let store = Store::open(&p.settings.database).await.unwrap();
    let s = bulletin::send::sender(
        p,
        store.clone(),
        "test",
        clock,
        Arc::new(AtomicBool::new(false)),
        Default::default(),
    )
    .unwrap();
    (store, s)
}

fn news() -> bulletin::ids::BulletinId {
    bulletin::ids::BulletinId::parse("news").unwrap()
}

fn date() -> chrono::NaiveDate {
    "2026-12-01".parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_deliveries_are_retried_after_their_backoff() {
    let server = TestSmtpServer::start(&["--defer-rcpt", "busy"]);
    let (_t, p) = project(server.port, &["ok@x.example", "busy@x.example"], "");
    let clock = Arc::new(TestClock::at(START.secs()));
    let (store, s) = sender(&p, clock.clone()).await;
    let (row, created) = bulletin::send::create_or_resume(&p, &store, &news(), date(), START)
        .await
        .unwrap();
    assert!(created);
    let r = bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    assert_eq!((r.counts.sent, r.counts.deferred), (1, 1));
    assert_eq!(
        r.next_due,
        Some(START + 5 * 60),
        "first retry after 5 minutes"
    );

    // Before the backoff is over nothing is attempted.
    clock.advance(4 * 60);
    let r = bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    assert_eq!(r.attempted, 0);
    // After it, the deferred one is tried again (and deferred again, now for 10 minutes).
    clock.advance(60);
    let r = bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    assert_eq!(r.attempted, 1);
    assert_eq!(r.next_due, Some(START + 5 * 60 + 10 * 60));
    let rcpts = server.log().iter().filter(|e| e["event"] == "rcpt").count();
    assert_eq!(rcpts, 3, "ok once, busy twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_too_old_to_matter_expires_instead_of_arriving_late() {
    let sink = SmtpSink::start(&["-r", "rcpt"]);
    let (_t, p) = project(
        sink.port,
        &["a@x.example", "b@x.example"],
        "max_age_hours = 48\n",
    );
    let clock = Arc::new(TestClock::at(START.secs()));
    let (store, s) = sender(&p, clock.clone()).await;
    let (row, _) = bulletin::send::create_or_resume(&p, &store, &news(), date(), START)
        .await
        .unwrap();
    let r = bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    assert_eq!(r.counts.deferred, 2);
    clock.advance(49 * 3600);
    let r = bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    assert_eq!(r.attempted, 0);
    assert_eq!(r.counts.expired, 2);
    assert_eq!(r.counts.open(), 0);
}

/// A list's suppression recorded after the issue was created stops the address at the next
/// attempt, as it would have at creation: the send asks the same rule, with the issue's lists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_suppression_takes_effect_before_the_next_attempt() {
    let server = TestSmtpServer::start(&["--defer-rcpt", "x.example"]);
    let (_t, p) = project(server.port, &["leaving@x.example", "staying@x.example"], "");
    let clock = Arc::new(TestClock::at(START.secs()));
    let (store, s) = sender(&p, clock.clone()).await;
    let (row, _) = bulletin::send::create_or_resume(&p, &store, &news(), date(), START)
        .await
        .unwrap();
    let r = bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    assert_eq!(r.counts.deferred, 2);
    for (who, scope) in [
        ("leaving@x.example", "list:all"),
        ("staying@x.example", "list:other"),
    ] {
        store
            .suppress(
                who,
                &bulletin::store::SuppressionScope::parse(scope).unwrap(),
                None,
                START + 10,
            )
            .await
            .unwrap();
    }
    clock.advance(3600);
    let r = bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    assert_eq!(r.attempted, 1, "only the one still on the issue's list");
    assert_eq!((r.counts.suppressed, r.counts.deferred), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsubscribe_takes_effect_before_the_next_attempt() {
    let server = TestSmtpServer::start(&["--defer-rcpt", "x.example"]);
    let (_t, p) = project(server.port, &["leaving@x.example"], "");
    let clock = Arc::new(TestClock::at(START.secs()));
    let (store, s) = sender(&p, clock.clone()).await;
    let (row, _) = bulletin::send::create_or_resume(&p, &store, &news(), date(), START)
        .await
        .unwrap();
    let r = bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    assert_eq!(r.counts.deferred, 1);
    store
        .suppress(
            "leaving@x.example",
            &bulletin::store::SuppressionScope::parse("bulletin:news").unwrap(),
            Some("one-click unsubscribe"),
            START + 10,
        )
        .await
        .unwrap();
    clock.advance(3600);
    let r = bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    assert_eq!(r.attempted, 0, "not attempted again");
    assert_eq!(r.counts.suppressed, 1);
    let events = store.events(row.id).await.unwrap();
    assert_eq!(events[0].kind, "created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resending_after_a_crash_is_byte_for_byte_the_same() {
    let server = TestSmtpServer::start(&[]);
    let (_t, p) = project(server.port, &["a@x.example"], "");
    let clock = Arc::new(TestClock::at(START.secs()));
    let (store, s) = sender(&p, clock.clone()).await;
    let (row, _) = bulletin::send::create_or_resume(&p, &store, &news(), date(), START)
        .await
        .unwrap();
    bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    // Simulate a crash after the relay's 250 but before the ledger heard of it.
    sqlx_reset_to_pending(&p).await;
    let (row2, created) = bulletin::send::create_or_resume(&p, &store, &news(), date(), START + 60)
        .await
        .unwrap();
    assert!(!created);
    bulletin::send::deliver(&s, &p, &row2, None).await.unwrap();
    let msgs = server.messages();
    assert_eq!(msgs.len(), 2);
    assert_eq!(
        msgs[0], msgs[1],
        "the same bytes, the same Message-ID: receivers can drop the repeat"
    );
}

async fn sqlx_reset_to_pending(p: &Project) {
    let bulletin::config::DatabaseUrl::Sqlite(path) = &p.settings.database else {
        panic!()
    };
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE deliveries SET state = 'pending', sent_at = NULL")
        .execute(&pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_per_day_holds_across_restarts() {
    let sink = SmtpSink::start(&[]);
    let members: Vec<String> = (0..12).map(|i| format!("p{i}@x.example")).collect();
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let (_t, p) = project(sink.port, &refs, "max_per_day = 5\n");
    let clock = Arc::new(TestClock::at(START.secs()));
    let (store, s) = sender(&p, clock.clone()).await;
    let (row, _) = bulletin::send::create_or_resume(&p, &store, &news(), date(), START)
        .await
        .unwrap();
    let r = bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    assert_eq!((r.counts.sent, r.stop.clone()), (5, Stop::DailyLimit));
    // A new process the same day: the count comes from the ledger, not memory.
    let (_store2, s2) = sender(&p, clock.clone()).await;
    let r = bulletin::send::deliver(&s2, &p, &row, None).await.unwrap();
    assert_eq!((r.counts.sent, r.attempted), (5, 0));
    // The next day, five more.
    clock.advance(24 * 3600);
    let r = bulletin::send::deliver(&s2, &p, &row, None).await.unwrap();
    assert_eq!(r.counts.sent, 10);
}

#[test]
fn max_per_minute_spaces_the_sends() {
    // 1,200 a minute is one every 50 ms: 11 messages cannot go in under half a second.
    let sink = SmtpSink::start(&[]);
    let members: Vec<String> = (0..11).map(|i| format!("p{i}@x.example")).collect();
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let (t, _) = project(sink.port, &refs, "max_per_minute = 1200\n");
    let start = std::time::Instant::now();
    let o = bulletin(t.root())
        .args(["send", "news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        took >= std::time::Duration::from_millis(500),
        "11 sends at 1,200/min took only {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_slots_are_paced_on_the_senders_clock() {
    // The pacer reads the sender's clock like everything else in a run: a clock ten years
    // ahead reserves slots ten years ahead (the system clock would reserve them now).
    let sink = SmtpSink::start(&[]);
    let (_t, p) = project(
        sink.port,
        &["a@x.example", "b@x.example", "c@x.example"],
        "max_per_minute = 600\n",
    );
    let later = START + 10 * 365 * 86_400;
    let clock = Arc::new(TestClock::at(later.secs()));
    let (store, s) = sender(&p, clock.clone()).await;
    let (row, _) = bulletin::send::create_or_resume(&p, &store, &news(), date(), later)
        .await
        .unwrap();
    let r = bulletin::send::deliver(&s, &p, &row, None).await.unwrap();
    assert_eq!(r.counts.sent, 3);
    let paced_to = store.counter("pace").await.unwrap();
    assert!(
        paced_to >= later.secs() * 1000,
        "slots were reserved at {paced_to} ms, before the sender's clock ({} ms)",
        later.secs() * 1000
    );
}
