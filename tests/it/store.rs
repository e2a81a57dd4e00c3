//! The ledger's contract, run against both backends: each `case_*` runs once on a fresh SQLite
//! file and once on a fresh PostgreSQL database (created on the local server, dropped after).
//! Concurrency cases use several tasks on clones of one store, as several senders would.
//!
//! PostgreSQL databases come from `support::pg`, which says how to point it at a server; if it
//! cannot be reached these tests fail: they never skip.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use crate::support;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::future::Future;
use std::sync::Arc;

use bulletin::config::DatabaseUrl;
use bulletin::ids::BulletinId;
use bulletin::schedule::jobs::Job;
use bulletin::secret::Secret;
use bulletin::store::{
    Approval, Counts, Event, FireState, HeldFire, IssueKind, IssueState, LeaseSweep, NewDelivery,
    NewIssue, Recorded, StatusState, Store, StoreError, SuppressionScope,
};
use bulletin::timestamp::Timestamp;
use sqlx::Connection;
use support::day;
use support::pg::PgDb;
use tokio::sync::Barrier;

const NOW: Timestamp = Timestamp::from_secs(1_796_112_000); // 2026-12-01T08:00:00Z

// ---------------------------------------------------------------------------------------------
// The harness: one store per test, on either backend.

/// Run a case on a fresh SQLite file in a temporary folder.
async fn on_sqlite<F, Fut>(case: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    on_sqlite_raw(|store, _| case(store)).await
}

/// The database behind a case's store, to change it as another program (or a newer
/// bulletin) could.
enum Raw {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Raw {
    async fn exec(&self, sql: &'static str) {
        match self {
            Raw::Sqlite(path) => {
                let mut c =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                        .await
                        .unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
            }
            Raw::Postgres(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
            }
        }
    }
}

async fn on_sqlite_raw<F, Fut>(case: F)
where
    F: FnOnce(Store, Raw) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let store = Store::open(&DatabaseUrl::Sqlite(path.clone()))
        .await
        .expect("opening a fresh SQLite ledger");
    case(store, Raw::Sqlite(path)).await;
}

/// Run a case on a fresh PostgreSQL database, dropped afterwards whether the case passed or not.
async fn on_postgres<F, Fut>(case: F)
where
    F: FnOnce(Store) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    on_postgres_raw(|store, _| case(store)).await
}

async fn on_postgres_raw<F, Fut>(case: F)
where
    F: FnOnce(Store, Raw) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let db = PgDb::create();
    let url = db.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("postgres.ledger-id");
    let outcome = tokio::spawn(async move {
        let store = Store::open(&DatabaseUrl::Postgres {
            url: Secret::new(url.clone()),
            marker,
        })
        .await
        .expect("opening a fresh PostgreSQL ledger");
        case(store, Raw::Postgres(url)).await;
    })
    .await;
    drop(db);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Each case as `case::sqlite` and `case::postgres`, run by the given pair of runners.
macro_rules! on_both {
    ($sqlite:ident, $postgres:ident: $($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$sqlite(super::$case).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$postgres(super::$case).await
            }
        }
    )*};
}

/// Each case on a fresh store of each backend.
macro_rules! both {
    ($($case:ident),* $(,)?) => { on_both!(on_sqlite, on_postgres: $($case),*); };
}

/// Each case that also needs the raw database behind its store.
macro_rules! both_raw {
    ($($case:ident),* $(,)?) => { on_both!(on_sqlite_raw, on_postgres_raw: $($case),*); };
}

both_raw!(
    case_audit_rows_commit_with_their_change,
    case_unknown_words_in_the_ledger_are_errors,
);

both!(
    case_create_issue_is_idempotent,
    case_concurrent_creators_make_one_issue,
    case_concurrent_claims_never_overlap,
    case_record_needs_the_owner,
    case_record_outcomes,
    case_release_expired_leases,
    case_expire_stale,
    case_apply_suppressions,
    case_reserve_daily_never_exceeds_the_limit,
    case_reserve_slots_are_distinct_and_increasing,
    case_sequences_hand_out_each_number_once,
    case_record_fire_first_wins_except_held,
    case_approvals,
    case_archive,
    case_archive_keeps_themes,
    case_status_counts,
    case_status_orders_kinds_as_stored,
    case_daemon_state_and_events,
    case_cancel_withdraw_recipients_and_how,
    case_bounces,
    case_reach,
);

/// A sequence (what numbers proofs asked for by hand) never hands out a number twice, however
/// many ask at once; each sequence counts on its own.
async fn case_sequences_hand_out_each_number_once(store: Store) {
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = store.clone();
            tokio::spawn(async move { s.next_in_sequence("test-proof").await.unwrap() })
        })
        .collect();
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    got.sort_unstable();
    assert_eq!(got, (1..=16).collect::<Vec<i64>>());
    assert_eq!(store.next_in_sequence("other").await.unwrap(), 1);
    assert_eq!(store.next_in_sequence("test-proof").await.unwrap(), 17);
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn scope(s: &str) -> SuppressionScope {
    SuppressionScope::parse(s).unwrap()
}

fn job_named(s: &str) -> Job {
    s.parse().unwrap()
}

fn kind(s: &str) -> IssueKind {
    IssueKind::parse(s).unwrap()
}

fn news() -> BulletinId {
    BulletinId::parse("news").unwrap()
}

fn delivery(i: usize) -> NewDelivery {
    NewDelivery {
        email: format!("Reader{i}@Agency{}.example", i % 7),
        email_key: format!("reader{i}@agency{}.example", i % 7),
        name: Some(format!("Reader {i}")),
        suppressed: false,
    }
}

fn issue(bulletin: &str, date: &str, kind: &str, n: usize) -> NewIssue {
    NewIssue {
        owner: match IssueKind::parse(kind).unwrap() {
            IssueKind::Announcement => bulletin::ids::CampaignId::parse(bulletin).unwrap().into(),
            _ => BulletinId::parse(bulletin).unwrap().into(),
        },
        date: day(date),
        kind: IssueKind::parse(kind).unwrap(),
        subject: format!("{bulletin} {date}"),
        rendered: r#"{"html":"<p>…</p>","text":"…"}"#.into(),
        themes: String::new(),
        deliveries: (0..n).map(delivery).collect(),
    }
}

async fn create(store: &Store, bulletin: &str, date: &str, n: usize, now: Timestamp) -> i64 {
    let (row, created) = store
        .create_issue(&issue(bulletin, date, "issue", n), now)
        .await
        .unwrap();
    assert!(created);
    row.id
}

/// What a send does before each batch: the suppressions of the issue's open deliveries, asked
/// of the rule (a bulletin without lists), the skipped ones suppressed. Returns how many.
async fn apply_rule(store: &Store, issue: i64, bulletin: &str, now: Timestamp) -> u64 {
    let owner = bulletin::ids::IssueOwner::Bulletin(BulletinId::parse(bulletin).unwrap());
    let lists = bulletin::config::lists::ResolvedLists::default();
    let found = store.open_suppressions(issue, None).await.unwrap();
    let skipped: Vec<&str> = found
        .iter()
        .filter(|(k, scopes)| {
            let scopes: Vec<_> = scopes.iter().collect();
            bulletin::suppress_rule::skips(&lists, &[], &owner, k, &scopes)
        })
        .map(|(k, _)| k.as_str())
        .collect();
    store
        .suppress_deliveries(issue, &skipped, now)
        .await
        .unwrap()
}

fn sent() -> Recorded {
    Recorded::Sent {
        reply: "250 2.0.0 Ok: queued".into(),
    }
}

/// Claim up to `n` and record them all with `outcome`.
async fn claim_and_record(store: &Store, issue: i64, n: u32, now: Timestamp, outcome: Recorded) {
    let c = store.claim(issue, "t/1", now, now + 300, n).await.unwrap();
    assert_eq!(c.len(), n as usize);
    let outcomes: Vec<_> = c.iter().map(|c| (c.id, outcome.clone())).collect();
    store.record(&outcomes, "t/", now).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// The cases.

/// A second create returns the stored issue untouched and doubles nothing; more deliveries
/// than one statement can carry on PostgreSQL (8 parameters × 9,000 rows) go in chunks.
async fn case_create_issue_is_idempotent(store: Store) {
    let mut new = issue("news", "2026-12-01", "issue", 9_000);
    for d in new.deliveries.iter_mut().step_by(1_000) {
        d.suppressed = true;
    }
    // The same person twice (as written differently): one delivery.
    let mut twin = delivery(5);
    twin.email = "READER5@agency5.example".into();
    new.deliveries.push(twin);

    let (first, created) = store.create_issue(&new, NOW).await.unwrap();
    assert!(created);
    assert_eq!(first.bulletin.as_str(), "news");
    assert_eq!(first.date, day("2026-12-01"));
    assert_eq!(first.kind, IssueKind::Issue);
    assert_eq!(first.state, IssueState::Sending);
    assert_eq!(first.created_at, NOW);
    let counts = store.counts(first.id).await.unwrap();
    assert_eq!(counts.total(), 9_000);
    assert_eq!(counts.suppressed, 9);
    assert_eq!(counts.pending, 8_991);

    let mut again = new.clone();
    again.subject = "a different subject".into();
    again.rendered = "different".into();
    again.deliveries.push(delivery(9_001));
    let (second, created) = store.create_issue(&again, NOW + 60).await.unwrap();
    assert!(!created);
    assert_eq!(second.id, first.id);
    assert_eq!(second.subject, first.subject);
    assert_eq!(second.rendered, first.rendered);
    assert_eq!(second.created_at, NOW);
    assert_eq!(store.counts(first.id).await.unwrap(), counts);

    let found = store
        .find_issue(&news(), day("2026-12-01"), kind("issue"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, first.id);
    assert!(
        store
            .find_issue(&news(), day("2026-12-02"), kind("issue"))
            .await
            .unwrap()
            .is_none()
    );

    // Another kind on the same date is another issue.
    let (proof, created) = store
        .create_issue(&issue("news", "2026-12-01", "proof", 2), NOW)
        .await
        .unwrap();
    assert!(created);
    assert_ne!(proof.id, first.id);

    let created_events = store
        .events(first.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "created")
        .count();
    assert_eq!(created_events, 1);
}

/// Several creators of one issue at once (a restart, a second daemon): one creates it, the
/// others get the same row.
async fn case_concurrent_creators_make_one_issue(store: Store) {
    let barrier = Arc::new(Barrier::new(4));
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .create_issue(&issue("news", "2026-12-01", "issue", 500), NOW)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    let mut creators = 0;
    for t in tasks {
        let (row, created) = t.await.unwrap();
        ids.insert(row.id);
        creators += usize::from(created);
    }
    assert_eq!(creators, 1);
    assert_eq!(ids.len(), 1);
    let id = *ids.first().unwrap();
    assert_eq!(store.counts(id).await.unwrap().pending, 500);
}

/// Four senders claiming batches of one issue at once never take the same delivery, and
/// between them take every one exactly once.
async fn case_concurrent_claims_never_overlap(store: Store) {
    let id = create(&store, "news", "2026-12-01", 1_000, NOW).await;
    let barrier = Arc::new(Barrier::new(4));
    let tasks: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let owner = format!("sender-{w}/");
                let mut mine = Vec::new();
                barrier.wait().await;
                loop {
                    let batch = store
                        .claim(id, &format!("{owner}1"), NOW, NOW + 300, 20)
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        break;
                    }
                    assert!(batch.len() <= 20);
                    for c in &batch {
                        assert_eq!(c.issue_id, id);
                        assert_eq!(c.attempts, 1, "delivery {} claimed twice", c.id);
                    }
                    let outcomes: Vec<_> = batch.iter().map(|c| (c.id, sent())).collect();
                    store.record(&outcomes, &owner, NOW).await.unwrap();
                    mine.extend(batch.into_iter().map(|c| c.id));
                    tokio::task::yield_now().await;
                }
                mine
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 1_000, "some delivery was claimed twice or never");
    assert_eq!(distinct.len(), 1_000);
    let counts = store.counts(id).await.unwrap();
    assert_eq!(
        counts,
        Counts {
            sent: 1_000,
            ..Counts::default()
        }
    );
    assert_eq!(store.sent_since(NOW).await.unwrap(), 1_000);
    assert!(
        store
            .claim(id, "late/1", NOW, NOW + 300, 20)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Outcomes count only from the sender that still holds the claim (an owner prefix: a process
/// and its workers); a sender whose lease ran out and was taken over changes nothing.
async fn case_record_needs_the_owner(store: Store) {
    let id = create(&store, "news", "2026-12-01", 3, NOW).await;
    let claimed = store
        .claim(id, "proc-a/w1", NOW, NOW + 100, 3)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    let first = claimed[0].id;
    let in_flight = Counts {
        in_flight: 3,
        ..Counts::default()
    };

    for wrong in ["proc-b/", "proc-a/w2", "proc-a/w10"] {
        store.record(&[(first, sent())], wrong, NOW).await.unwrap();
        let failed = Recorded::Failed {
            reply: "550 no".into(),
        };
        store.record(&[(first, failed)], wrong, NOW).await.unwrap();
        assert_eq!(store.counts(id).await.unwrap(), in_flight, "{wrong}");
    }
    assert_eq!(
        store.renew_leases("proc-b/", NOW + 500, NOW).await.unwrap(),
        0
    );

    store
        .record(&[(first, sent())], "proc-a/", NOW)
        .await
        .unwrap();
    assert_eq!(store.counts(id).await.unwrap().sent, 1);

    // proc-a's lease runs out; proc-b takes the rest over; proc-a's late outcomes are ignored.
    assert_eq!(
        store
            .release_expired_leases(NOW + 200, LeaseSweep::Expired)
            .await
            .unwrap(),
        2
    );
    let taken = store
        .claim(id, "proc-b/w1", NOW + 200, NOW + 500, 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 2);
    let late: Vec<_> = taken
        .iter()
        .map(|c| {
            (
                c.id,
                Recorded::Deferred {
                    reply: "421 busy".into(),
                    retry_at: NOW + 900,
                },
            )
        })
        .collect();
    store.record(&late, "proc-a/", NOW + 201).await.unwrap();
    assert_eq!(
        store
            .renew_leases("proc-a/", NOW + 900, NOW + 201)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.counts(id).await.unwrap().in_flight, 2);
    assert_eq!(
        store
            .renew_leases("proc-b/", NOW + 900, NOW + 201)
            .await
            .unwrap(),
        2
    );
    let done: Vec<_> = taken.iter().map(|c| (c.id, sent())).collect();
    store.record(&done, "proc-b/", NOW + 202).await.unwrap();
    assert_eq!(
        store.counts(id).await.unwrap(),
        Counts {
            sent: 3,
            ..Counts::default()
        }
    );
    // Recording an already recorded delivery again changes nothing.
    let failed = Recorded::Failed {
        reply: "550 no".into(),
    };
    store
        .record(&[(first, failed)], "proc-a/", NOW + 300)
        .await
        .unwrap();
    assert_eq!(store.counts(id).await.unwrap().sent, 3);
    assert_eq!(store.record(&[], "proc-a/", NOW).await.ok(), Some(()));
}

/// Each outcome leaves its delivery where the retry policy expects it.
async fn case_record_outcomes(store: Store) {
    let id = create(&store, "news", "2026-12-01", 5, NOW).await;
    let c = store.claim(id, "s/1", NOW, NOW + 300, 5).await.unwrap();
    let ids: Vec<i64> = c.iter().map(|c| c.id).collect();
    store
        .record(
            &[
                (ids[0], sent()),
                (
                    ids[1],
                    Recorded::Deferred {
                        reply: "451 try later".into(),
                        retry_at: NOW + 600,
                    },
                ),
                (
                    ids[2],
                    Recorded::Failed {
                        reply: "550 no such user".into(),
                    },
                ),
                (
                    ids[3],
                    Recorded::Expired {
                        reply: "too old".into(),
                    },
                ),
                (ids[4], Recorded::Released),
            ],
            "s/",
            NOW + 10,
        )
        .await
        .unwrap();
    assert_eq!(
        store.counts(id).await.unwrap(),
        Counts {
            pending: 1,
            sent: 1,
            deferred: 1,
            failed: 1,
            expired: 1,
            ..Counts::default()
        }
    );
    assert_eq!(store.sent_since(NOW + 10).await.unwrap(), 1);
    assert_eq!(store.sent_since(NOW + 11).await.unwrap(), 0);
    // The released one is due now and was not counted as an attempt.
    assert_eq!(store.next_due(id).await.unwrap(), Some(NOW));
    let again = store
        .claim(id, "s/1", NOW + 20, NOW + 300, 5)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempts), (ids[4], 1));
    store
        .record(&[(ids[4], sent())], "s/", NOW + 20)
        .await
        .unwrap();
    // The deferred one comes back at its retry time, its second attempt.
    assert_eq!(store.next_due(id).await.unwrap(), Some(NOW + 600));
    assert!(
        store
            .claim(id, "s/1", NOW + 599, NOW + 900, 5)
            .await
            .unwrap()
            .is_empty()
    );
    let retry = store
        .claim(id, "s/1", NOW + 600, NOW + 900, 5)
        .await
        .unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!((retry[0].id, retry[0].attempts), (ids[1], 2));
    assert_eq!(
        retry[0].email.as_ref().map(|e| e.as_str()),
        Some("Reader1@Agency1.example")
    );
    assert_eq!(retry[0].name.as_ref().map(|n| n.as_str()), Some("Reader 1"));
    // The failure is in the audit trail with the relay's reply.
    let events = store.events(id).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.at == NOW + 10 && e.kind == "failed" && e.detail == "550 no such user"),
        "{events:?}"
    );
}

/// Only claims whose lease ran out go back to the queue, unless all are asked for.
async fn case_release_expired_leases(store: Store) {
    let id = create(&store, "news", "2026-12-01", 10, NOW).await;
    assert_eq!(
        store
            .claim(id, "a/1", NOW, NOW + 100, 4)
            .await
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        store
            .claim(id, "b/1", NOW, NOW + 500, 3)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        store
            .release_expired_leases(NOW + 100, LeaseSweep::Expired)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .release_expired_leases(NOW + 200, LeaseSweep::Expired)
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        store.counts(id).await.unwrap(),
        Counts {
            pending: 7,
            in_flight: 3,
            ..Counts::default()
        }
    );
    assert_eq!(
        store
            .release_expired_leases(NOW + 200, LeaseSweep::Expired)
            .await
            .unwrap(),
        0
    );
    // A living sender renews; its claims then outlive their first lease.
    assert_eq!(
        store
            .renew_leases("b/", NOW + 1_000, NOW + 300)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .release_expired_leases(NOW + 600, LeaseSweep::Expired)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .release_expired_leases(NOW + 600, LeaseSweep::All)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store.counts(id).await.unwrap(),
        Counts {
            pending: 10,
            ..Counts::default()
        }
    );
    // A released claim keeps its attempt count.
    let c = store
        .claim(id, "c/1", NOW + 700, NOW + 800, 10)
        .await
        .unwrap();
    let attempts: BTreeMap<i64, usize> = c.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(c.attempts).or_default() += 1;
        m
    });
    assert_eq!(attempts, BTreeMap::from([(1, 3), (2, 7)]));
}

/// Open deliveries of old issues expire; sent and in-flight ones, and newer issues, stay.
async fn case_expire_stale(store: Store) {
    let old = create(&store, "news", "2026-11-01", 5, NOW).await;
    let new = create(&store, "news", "2026-12-01", 2, NOW + 1_000).await;
    claim_and_record(&store, old, 1, NOW, sent()).await;
    claim_and_record(
        &store,
        old,
        1,
        NOW,
        Recorded::Deferred {
            reply: "421 later".into(),
            retry_at: NOW + 60,
        },
    )
    .await;
    assert_eq!(
        store
            .claim(old, "x/1", NOW, NOW + 300, 1)
            .await
            .unwrap()
            .len(),
        1
    );

    assert_eq!(store.expire_stale(NOW, NOW + 2_000).await.unwrap(), 0);
    assert_eq!(store.expire_stale(NOW + 500, NOW + 2_000).await.unwrap(), 3);
    assert_eq!(
        store.counts(old).await.unwrap(),
        Counts {
            sent: 1,
            in_flight: 1,
            expired: 3,
            ..Counts::default()
        }
    );
    assert_eq!(store.counts(new).await.unwrap().pending, 2);
    assert_eq!(store.expire_stale(NOW + 500, NOW + 2_000).await.unwrap(), 0);
    assert_eq!(store.next_due(old).await.unwrap(), None);
}

/// An unsubscribe from everything (`*`) or from this bulletin reaches open deliveries; other
/// bulletins' and lists' suppressions, and deliveries already sent, are left alone.
async fn case_apply_suppressions(store: Store) {
    let mut new = issue("news", "2026-12-01", "issue", 7);
    new.deliveries[6].suppressed = true;
    let (row, _) = store.create_issue(&new, NOW).await.unwrap();
    let id = row.id;
    assert_eq!(store.counts(id).await.unwrap().suppressed, 1);
    // reader0 is sent, reader1 deferred; the rest pending.
    claim_and_record(&store, id, 1, NOW, sent()).await;
    claim_and_record(
        &store,
        id,
        1,
        NOW,
        Recorded::Deferred {
            reply: "421 later".into(),
            retry_at: NOW + 60,
        },
    )
    .await;
    let key = |i: usize| delivery(i).email_key;

    assert!(
        store
            .suppress(&key(0), &scope("*"), Some("unsubscribed"), NOW)
            .await
            .unwrap()
    );
    assert!(
        !store
            .suppress(&key(0), &scope("*"), Some("again"), NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .suppress(&key(1), &scope("bulletin:news"), None, NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .suppress(&key(2), &scope("*"), None, NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .suppress(&key(3), &scope("bulletin:news"), None, NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .suppress(&key(4), &scope("bulletin:other"), None, NOW)
            .await
            .unwrap()
    );
    assert!(
        store
            .suppress(&key(5), &scope("list:all"), None, NOW)
            .await
            .unwrap()
    );

    for since in [None, Some(NOW)] {
        assert_eq!(
            store
                .open_suppressions(id, since)
                .await
                .unwrap()
                .into_keys()
                .collect::<Vec<_>>(),
            (1..6).map(key).collect::<Vec<_>>(),
            "the sent and the suppressed have no open delivery (recorded since {since:?})"
        );
    }
    assert!(
        store
            .open_suppressions(id, Some(NOW + 1))
            .await
            .unwrap()
            .is_empty(),
        "before each batch only the suppressions recorded since the run began are looked at"
    );
    assert_eq!(apply_rule(&store, id, "news", NOW + 1).await, 3);
    assert_eq!(
        store.counts(id).await.unwrap(),
        Counts {
            sent: 1,
            pending: 2,
            suppressed: 4,
            ..Counts::default()
        }
    );
    assert_eq!(apply_rule(&store, id, "news", NOW + 2).await, 0);
    // Whatever the rule skips: only what is still to be attempted, once.
    assert_eq!(
        store
            .suppress_deliveries(id, &[key(5).as_str()], NOW + 3)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .suppress_deliveries(id, &[key(5).as_str()], NOW + 3)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .suppress_deliveries(id, &[key(0).as_str()], NOW + 3)
            .await
            .unwrap(),
        0,
        "sent stays sent"
    );
    assert_eq!(
        store.counts(id).await.unwrap(),
        Counts {
            sent: 1,
            pending: 1,
            suppressed: 5,
            ..Counts::default()
        }
    );
    // Another bulletin's issue sees only the `*` ones and its own.
    let other = create(&store, "other", "2026-12-01", 6, NOW).await;
    assert_eq!(apply_rule(&store, other, "other", NOW).await, 3);

    let listed: Vec<(String, String)> = store
        .suppressions()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.email_key, s.scope.to_string()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (key(0), "*".to_string()),
            (key(1), "bulletin:news".to_string()),
            (key(2), "*".to_string()),
            (key(3), "bulletin:news".to_string()),
            (key(4), "bulletin:other".to_string()),
            (key(5), "list:all".to_string()),
        ]
    );
    let first = &store.suppressions().await.unwrap()[0];
    assert_eq!(first.reason.as_deref(), Some("unsubscribed"));
    assert_eq!(first.created_at, NOW);

    assert_eq!(
        store
            .unsuppress(&key(4), Some(&scope("bulletin:news")), NOW)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .unsuppress(&key(4), Some(&scope("bulletin:other")), NOW)
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .suppress(&key(0), &scope("bulletin:news"), None, NOW)
            .await
            .unwrap()
    );
    assert_eq!(store.unsuppress(&key(0), None, NOW).await.unwrap(), 2);
    assert_eq!(store.suppressions().await.unwrap().len(), 4);
}

/// Eight senders reserving the day's attempts at once are granted exactly the limit between
/// them, never more.
async fn case_reserve_daily_never_exceeds_the_limit(store: Store) {
    let barrier = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let mut got = 0u32;
                loop {
                    let g = store.reserve_daily("2026-12-01", 100, 7).await.unwrap();
                    assert!(g <= 7);
                    if g == 0 {
                        return got;
                    }
                    got += g;
                }
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 100);
    assert_eq!(store.reserve_daily("2026-12-01", 100, 5).await.unwrap(), 0);
    // Returned attempts can be reserved again; returns never go below zero.
    store.return_daily("2026-12-01", 10).await.unwrap();
    assert_eq!(
        store.reserve_daily("2026-12-01", 100, 50).await.unwrap(),
        10
    );
    store.return_daily("2026-12-01", 1_000).await.unwrap();
    assert_eq!(
        store.reserve_daily("2026-12-01", 100, 1_000).await.unwrap(),
        100
    );
    // Another day counts apart; a lower limit than already used grants nothing.
    assert_eq!(store.reserve_daily("2026-12-02", 3, 5).await.unwrap(), 3);
    assert_eq!(store.reserve_daily("2026-12-01", 50, 5).await.unwrap(), 0);
    assert_eq!(store.reserve_daily("2026-12-03", 0, 5).await.unwrap(), 0);
}

/// Send slots reserved at once by several senders are disjoint and, per sender, increasing.
async fn case_reserve_slots_are_distinct_and_increasing(store: Store) {
    const T: i64 = NOW.secs() * 1_000;
    const GAP: i64 = 10;
    let barrier = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8u32)
        .map(|w| {
            let store = store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let mut got = Vec::new();
                for i in 0..25u32 {
                    let k = 1 + (w + i) % 3;
                    let first = store.reserve_slots(T, GAP, k).await.unwrap();
                    if let Some(&(prev, pk)) = got.last() {
                        assert!(first >= prev + i64::from(pk) * GAP, "slots went back");
                    }
                    got.push((first, k));
                }
                got
            })
        })
        .collect();
    let mut runs = Vec::new();
    for t in tasks {
        runs.extend(t.await.unwrap());
    }
    runs.sort();
    let total: i64 = runs.iter().map(|&(_, k)| i64::from(k)).sum();
    // Nobody was ahead of `T`, so the runs tile [T, T + total × GAP) without gap or overlap.
    let mut next = T;
    for &(first, k) in &runs {
        assert_eq!(first, next, "overlapping or missing slots: {runs:?}");
        next = first + i64::from(k) * GAP;
    }
    assert_eq!(next, T + total * GAP);
    // An idle pace starts again from now; a clock behind the pace waits its turn.
    let later = T + 3_600_000;
    assert_eq!(store.reserve_slots(later, GAP, 2).await.unwrap(), later);
    assert_eq!(
        store.reserve_slots(T, GAP, 1).await.unwrap(),
        later + 2 * GAP
    );
}

/// The first record of a fire wins, except that `held` may become `done` or `skipped`.
async fn case_record_fire_first_wins_except_held(store: Store) {
    let job = job_named("bulletin:news");
    let due = NOW;
    assert_eq!(store.fire_state(&job, due).await.unwrap(), None);
    assert_eq!(
        store
            .record_fire(
                &job,
                due,
                Some(day("2026-12-01")),
                FireState::parse("done").unwrap(),
                "issue 1",
                NOW
            )
            .await
            .unwrap(),
        FireState::Done
    );
    assert_eq!(
        store
            .record_fire(
                &job,
                due,
                Some(day("2026-12-01")),
                FireState::parse("skipped").unwrap(),
                "",
                NOW + 1
            )
            .await
            .unwrap(),
        FireState::Done
    );
    assert_eq!(
        store
            .record_fire(
                &job,
                due,
                Some(day("2026-12-01")),
                FireState::parse("held").unwrap(),
                "",
                NOW + 1
            )
            .await
            .unwrap(),
        FireState::Done
    );

    let due2 = NOW + 86_400;
    assert_eq!(
        store
            .record_fire(
                &job,
                due2,
                Some(day("2026-12-02")),
                FireState::parse("held").unwrap(),
                "awaiting approval",
                NOW
            )
            .await
            .unwrap(),
        FireState::Held
    );
    assert_eq!(
        store
            .record_fire(
                &job_named("proof:news"),
                due2,
                Some(day("2026-12-02")),
                FireState::parse("held").unwrap(),
                "",
                NOW
            )
            .await
            .unwrap(),
        FireState::Held
    );
    let held: BTreeSet<_> = store.held_fires().await.unwrap().into_iter().collect();
    assert_eq!(
        held,
        BTreeSet::from([
            HeldFire {
                job: job.clone(),
                due_at: due2,
                for_date: Some(day("2026-12-02")),
            },
            HeldFire {
                job: job_named("proof:news"),
                due_at: due2,
                for_date: Some(day("2026-12-02")),
            },
        ])
    );
    assert_eq!(
        store
            .record_fire(
                &job,
                due2,
                Some(day("2026-12-02")),
                FireState::parse("held").unwrap(),
                "",
                NOW + 5
            )
            .await
            .unwrap(),
        FireState::Held
    );
    assert_eq!(
        store
            .record_fire(
                &job,
                due2,
                Some(day("2026-12-02")),
                FireState::parse("done").unwrap(),
                "approved",
                NOW + 10
            )
            .await
            .unwrap(),
        FireState::Done
    );
    assert_eq!(
        store
            .record_fire(
                &job,
                due2,
                Some(day("2026-12-02")),
                FireState::parse("held").unwrap(),
                "",
                NOW + 11
            )
            .await
            .unwrap(),
        FireState::Done
    );
    assert_eq!(
        store
            .record_fire(
                &job_named("proof:news"),
                due2,
                Some(day("2026-12-02")),
                FireState::parse("skipped").unwrap(),
                "",
                NOW
            )
            .await
            .unwrap(),
        FireState::Skipped
    );
    assert!(store.held_fires().await.unwrap().is_empty());

    // Daemons racing on one fire all see the one that won.
    let due3 = NOW + 2 * 86_400;
    let barrier = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let barrier = barrier.clone();
            let job = job.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let state = if i % 2 == 0 {
                    FireState::Done
                } else {
                    FireState::Skipped
                };
                store
                    .record_fire(&job, due3, Some(day("2026-12-03")), state, "", NOW)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    for t in tasks {
        seen.insert(t.await.unwrap());
    }
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        store.fire_state(&job, due3).await.unwrap().as_ref(),
        seen.first()
    );
}

/// The first approval of an issue stands.
async fn case_approvals(store: Store) {
    assert_eq!(
        store.approval(&news(), day("2026-12-01")).await.unwrap(),
        None
    );
    assert!(
        store
            .approve(&news(), day("2026-12-01"), "editor@x.example", NOW)
            .await
            .unwrap()
    );
    assert!(
        !store
            .approve(
                &news(),
                day("2026-12-01"),
                "someone-else@x.example",
                NOW + 5
            )
            .await
            .unwrap()
    );
    assert_eq!(
        store.approval(&news(), day("2026-12-01")).await.unwrap(),
        Some(Approval {
            by: "editor@x.example".to_string(),
            at: NOW
        })
    );
    assert_eq!(
        store.approval(&news(), day("2026-12-02")).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .approval(&BulletinId::parse("other").unwrap(), day("2026-12-01"))
            .await
            .unwrap(),
        None
    );
    // Every approval moves the counter the daemons poll.
    assert_eq!(
        store.counter(bulletin::store::WAKE_COUNTER).await.unwrap(),
        2
    );
}

/// Cancelling stops what waits (in-flight completes, the issue stays cancelled); withdrawing
/// takes an issue off the archive; recipients list each delivery; suppressions keep their how.
async fn case_cancel_withdraw_recipients_and_how(store: Store) {
    use bulletin::store::{DeliveryState, SuppressionHow};
    let id = create(&store, "news", "2026-11-01", 4, NOW).await;
    claim_and_record(&store, id, 1, NOW, sent()).await;
    let flying = store.claim(id, "t/1", NOW, NOW + 300, 1).await.unwrap();
    assert_eq!(store.cancel_issue(id, "ops", NOW + 1).await.unwrap(), 2);
    store
        .record(&[(flying[0].id, sent())], "t/", NOW + 2)
        .await
        .unwrap();
    store
        .set_issue_state(id, IssueState::parse("done").unwrap(), None, NOW + 3)
        .await
        .unwrap();
    let c = store.counts(id).await.unwrap();
    assert_eq!((c.sent, c.cancelled, c.open()), (2, 2, 0), "{c:?}");
    assert_eq!(
        store.issue_by_id(id).await.unwrap().unwrap().state,
        IssueState::Cancelled
    );
    assert!(
        store
            .claim(id, "t/1", NOW + 9, NOW + 300, 9)
            .await
            .unwrap()
            .is_empty()
    );
    let all = store.recipients(id, None).await.unwrap();
    assert_eq!(all.len(), 4);
    let cancelled = store
        .recipients(id, Some(DeliveryState::Cancelled))
        .await
        .unwrap();
    assert_eq!(cancelled.len(), 2);
    assert!(cancelled.iter().all(|r| r.attempts == 0));
    assert_eq!(store.archive().await.unwrap().len(), 1);
    assert!(store.withdraw_issue(id, "ops", NOW + 4).await.unwrap());
    assert!(!store.withdraw_issue(id, "ops", NOW + 5).await.unwrap());
    assert!(store.archive().await.unwrap().is_empty());
    assert!(store.issue_by_id(id).await.unwrap().unwrap().withdrawn);
    let kinds: Vec<String> = store
        .events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"cancelled".to_string()) && kinds.contains(&"withdrawn".to_string()));

    store
        .suppress_how(
            "x@y.example",
            &scope("*"),
            None,
            SuppressionHow::OneClick,
            NOW,
        )
        .await
        .unwrap();
    store
        .suppress("z@y.example", &scope("*"), None, NOW)
        .await
        .unwrap();
    let how: Vec<_> = store
        .suppressions()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.email_key, s.how))
        .collect();
    assert_eq!(
        how,
        [
            ("x@y.example".to_string(), SuppressionHow::OneClick),
            ("z@y.example".to_string(), SuppressionHow::Admin)
        ]
    );
}

/// The themes stored with an issue come back with it in the archive.
async fn case_archive_keeps_themes(store: Store) {
    let mut new = issue("news", "2026-11-01", "issue", 1);
    new.themes = "neglect,domestic-abuse".into();
    let (row, _) = store.create_issue(&new, NOW).await.unwrap();
    claim_and_record(&store, row.id, 1, NOW + 5, sent()).await;
    let archive = store.archive().await.unwrap();
    assert_eq!(archive.len(), 1);
    assert_eq!(archive[0].themes, "neglect,domestic-abuse");
}

/// The archive lists issues (not proofs) with a message sent, newest first, with the time of
/// their first message.
async fn case_archive(store: Store) {
    assert!(store.archive().await.unwrap().is_empty());
    let nov = create(&store, "news", "2026-11-01", 3, NOW).await;
    claim_and_record(&store, nov, 1, NOW + 50, sent()).await;
    claim_and_record(&store, nov, 1, NOW + 10, sent()).await;
    let _unsent = create(&store, "news", "2026-12-01", 3, NOW).await;
    let (proof, _) = store
        .create_issue(&issue("news", "2026-10-01", "proof", 1), NOW)
        .await
        .unwrap();
    claim_and_record(&store, proof.id, 1, NOW, sent()).await;
    let other = create(&store, "another", "2026-12-01", 2, NOW).await;
    claim_and_record(&store, other, 2, NOW + 99, sent()).await;
    let zeta = create(&store, "a-zeta", "2026-12-01", 1, NOW).await;
    claim_and_record(&store, zeta, 1, NOW + 7, sent()).await;

    let got: Vec<(i64, String, String, String, Timestamp)> = store
        .archive()
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.id,
                e.bulletin.to_string(),
                e.date.to_string(),
                e.subject,
                e.first_sent,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // Byte order: `-` before letters (a collation that skips punctuation would put
            // `another` first), on either backend.
            (
                zeta,
                "a-zeta".into(),
                "2026-12-01".into(),
                "a-zeta 2026-12-01".into(),
                NOW + 7
            ),
            (
                other,
                "another".into(),
                "2026-12-01".into(),
                "another 2026-12-01".into(),
                NOW + 99
            ),
            (
                nov,
                "news".into(),
                "2026-11-01".into(),
                "news 2026-11-01".into(),
                NOW + 10
            ),
        ]
    );
}

/// `status` lists every issue in date, bulletin and kind order with its deliveries by state.
async fn case_status_counts(store: Store) {
    assert!(store.status().await.unwrap().is_empty());
    let dec = create(&store, "news", "2026-12-01", 6, NOW).await;
    let nov = create(&store, "news", "2026-11-01", 2, NOW).await;
    let (proof, _) = store
        .create_issue(&issue("news", "2026-12-01", "proof", 0), NOW)
        .await
        .unwrap();
    let alpha = create(&store, "alpha", "2026-12-01", 1, NOW).await;
    claim_and_record(&store, dec, 2, NOW, sent()).await;
    claim_and_record(
        &store,
        dec,
        1,
        NOW,
        Recorded::Failed {
            reply: "550".into(),
        },
    )
    .await;
    assert_eq!(
        store
            .claim(dec, "x/1", NOW, NOW + 60, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    let backoff = bulletin::delivery::Backoff {
        first_secs: 60,
        max_secs: 300,
    };
    let retry = store
        .pause_issue(nov, "relay refused the sender", backoff, NOW)
        .await
        .unwrap();
    assert_eq!(retry, NOW + 60, "the first pause waits a minute");

    let status = store.status().await.unwrap();
    let order: Vec<(i64, &str, String, String)> = status
        .iter()
        .map(|s| {
            (
                s.issue,
                s.bulletin.as_str(),
                s.date.to_string(),
                s.kind.to_string(),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            (nov, "news", "2026-11-01".into(), "issue".into()),
            (alpha, "alpha", "2026-12-01".into(), "issue".into()),
            (dec, "news", "2026-12-01".into(), "issue".into()),
            (proof.id, "news", "2026-12-01".into(), "proof".into()),
        ]
    );
    assert_eq!(status[0].state, StatusState::Issue(IssueState::Paused));
    assert_eq!(
        status[0].paused_reason.as_deref(),
        Some("relay refused the sender")
    );
    assert_eq!(status[0].deliveries.pending, 2);
    assert_eq!(
        status[1].deliveries,
        Counts {
            pending: 1,
            ..Counts::default()
        }
    );
    assert_eq!(
        status[2].deliveries,
        Counts {
            pending: 2,
            in_flight: 1,
            sent: 2,
            failed: 1,
            ..Counts::default()
        }
    );
    assert_eq!(status[2].state, StatusState::Issue(IssueState::Sending));
    assert_eq!(status[3].deliveries, Counts::default());

    assert_eq!(status[0].retry_at, Some(retry));
    // Paused issues are not due until their retry time; the others are, from their next attempt.
    let due: Vec<i64> = store
        .issues_due(NOW)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(due, vec![dec, alpha]);
    assert!(store.issues_due(NOW - 1).await.unwrap().is_empty());
    assert_eq!(store.earliest_due().await.unwrap(), Some(NOW));
    store
        .set_issue_state(dec, IssueState::parse("done").unwrap(), None, NOW)
        .await
        .unwrap();
    store
        .set_issue_state(alpha, IssueState::parse("done").unwrap(), None, NOW)
        .await
        .unwrap();
    // What is left is the paused issue: the daemon wakes for its retry and finds it due.
    assert_eq!(store.earliest_due().await.unwrap(), Some(retry));
    let due: Vec<i64> = store
        .issues_due(retry)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(due, vec![nov]);
    // Paused again in a row: twice as long, up to the maximum; kept until the relay works.
    assert_eq!(
        store
            .pause_issue(nov, "still down", backoff, retry)
            .await
            .unwrap(),
        retry + 120
    );
    for _ in 0..5 {
        store
            .pause_issue(nov, "still down", backoff, NOW)
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .pause_issue(nov, "still down", backoff, NOW)
            .await
            .unwrap(),
        NOW + 300
    );
    store.clear_pauses(nov).await.unwrap();
    assert_eq!(
        store
            .pause_issue(nov, "down again", backoff, NOW)
            .await
            .unwrap(),
        NOW + 60,
        "after the relay worked the backoff starts again"
    );
    store
        .set_issue_state(nov, IssueState::parse("sending").unwrap(), None, NOW)
        .await
        .unwrap();
    assert_eq!(store.status().await.unwrap()[0].paused_reason, None);
    assert_eq!(
        store.status().await.unwrap()[0].retry_at,
        None,
        "a retry time only while paused"
    );
    store
        .set_issue_state(nov, IssueState::parse("done").unwrap(), None, NOW)
        .await
        .unwrap();
    assert_eq!(store.earliest_due().await.unwrap(), None);
}

/// Small state, the audit trail and the health check.
async fn case_daemon_state_and_events(store: Store) {
    store.ping().await.unwrap();
    assert_eq!(store.get_state("last_tick").await.unwrap(), None);
    store.set_state("last_tick", "1").await.unwrap();
    store.set_state("last_tick", "2").await.unwrap();
    assert_eq!(
        store.get_state("last_tick").await.unwrap().as_deref(),
        Some("2")
    );

    let id = create(&store, "news", "2026-12-01", 1, NOW).await;
    store
        .log_event(Some(id), None, "note", "hello", NOW + 1)
        .await
        .unwrap();
    store
        .log_event(None, None, "note", "elsewhere", NOW + 2)
        .await
        .unwrap();
    store
        .set_issue_state(
            id,
            IssueState::parse("paused").unwrap(),
            Some("why"),
            NOW + 3,
        )
        .await
        .unwrap();
    let events = store.events(id).await.unwrap();
    assert_eq!(
        events,
        vec![
            Event {
                at: NOW,
                kind: "created".to_string(),
                detail: "1 deliveries".to_string()
            },
            Event {
                at: NOW + 1,
                kind: "note".to_string(),
                detail: "hello".to_string()
            },
            Event {
                at: NOW + 3,
                kind: "paused".to_string(),
                detail: "why".to_string()
            },
        ]
    );
}

/// Hard bounces and complaints suppress at once; soft ones when `limit` of them arrived within
/// the window (older ones do not count); the same bounce twice changes nothing; a delivery the
/// ledger does not hold is refused; `stale_addresses` lists what bounces suppressed, until an
/// admin unsuppresses it.
async fn case_bounces(store: Store) {
    use bulletin::bounce::{BounceKind, SoftPolicy};
    use bulletin::store::{BounceRecorded, NewBounce};
    const DAY: i64 = 86_400;
    let policy = SoftPolicy {
        limit: 3,
        window_secs: 30 * DAY,
        ..SoftPolicy::default()
    };
    // Four issues to the same three readers: delivery ids by (issue, reader key).
    let mut ids: Vec<BTreeMap<String, i64>> = Vec::new();
    for date in ["2026-09-01", "2026-10-01", "2026-11-01", "2026-12-01"] {
        let issue = create(&store, "news", date, 3, NOW).await;
        let c = store.claim(issue, "t/1", NOW, NOW + 300, 3).await.unwrap();
        ids.push(
            c.iter()
                .map(|c| (c.email.as_ref().unwrap().as_str().to_lowercase(), c.id))
                .collect(),
        );
    }
    let r = |i: usize| format!("reader{i}@agency{i}.example");
    let bounce = |d: i64, kind: BounceKind, status: Option<&'static str>| NewBounce {
        delivery_id: d,
        kind,
        status,
        detail: "smtp; 550 no such user",
    };
    let rec = |suppressed| BounceRecorded::Recorded {
        suppressed,
        tripped: false,
    };
    let hard = bounce(ids[0][&r(0)], BounceKind::Hard, Some("5.1.1"));
    assert_eq!(
        bulletin::bounce::policy::record(&store, &hard, policy, NOW)
            .await
            .unwrap(),
        rec(true)
    );
    assert_eq!(
        bulletin::bounce::policy::record(&store, &hard, policy, NOW + 60)
            .await
            .unwrap(),
        BounceRecorded::Duplicate
    );
    // Repeats (a mailbox read again, a retried pipe) leave no transaction or lock behind.
    for i in 0..300 {
        assert_eq!(
            bulletin::bounce::policy::record(&store, &hard, policy, NOW + i)
                .await
                .unwrap(),
            BounceRecorded::Duplicate
        );
    }
    let sup = store.suppressions().await.unwrap();
    assert_eq!(sup.len(), 1);
    assert_eq!(
        (sup[0].email_key.as_str(), &sup[0].scope),
        (r(0).as_str(), &SuppressionScope::All)
    );
    assert_eq!(sup[0].reason.as_deref(), Some("bounce: hard 5.1.1"));

    // Soft: one 40 days ago is outside the window when the others arrive.
    let soft = |issue: usize| bounce(ids[issue][&r(1)], BounceKind::Soft, Some("4.2.2"));
    let t0 = NOW - 40 * DAY;
    assert_eq!(
        bulletin::bounce::policy::record(&store, &soft(0), policy, t0)
            .await
            .unwrap(),
        rec(false)
    );
    assert_eq!(
        bulletin::bounce::policy::record(&store, &soft(1), policy, NOW - 10 * DAY)
            .await
            .unwrap(),
        rec(false)
    );
    assert_eq!(
        bulletin::bounce::policy::record(&store, &soft(2), policy, NOW - 5 * DAY)
            .await
            .unwrap(),
        rec(false)
    );
    assert_eq!(
        bulletin::bounce::policy::record(&store, &soft(2), policy, NOW - 4 * DAY)
            .await
            .unwrap(),
        BounceRecorded::Duplicate,
        "one message bouncing twice is one soft bounce"
    );
    assert_eq!(store.suppressions().await.unwrap().len(), 1);
    assert_eq!(
        bulletin::bounce::policy::record(&store, &soft(3), policy, NOW)
            .await
            .unwrap(),
        rec(true)
    );

    let complaint = bounce(ids[3][&r(2)], BounceKind::Complaint, None);
    assert_eq!(
        bulletin::bounce::policy::record(&store, &complaint, policy, NOW)
            .await
            .unwrap(),
        rec(true)
    );
    assert_eq!(
        bulletin::bounce::policy::record(
            &store,
            &bounce(987_654_321, BounceKind::Hard, None),
            policy,
            NOW
        )
        .await
        .unwrap(),
        BounceRecorded::UnknownDelivery
    );

    let stale = store.stale_addresses().await.unwrap();
    let got: Vec<_> = stale
        .iter()
        .map(|s| (s.email_key.clone(), s.kind))
        .collect();
    assert_eq!(
        got,
        [
            (r(0), BounceKind::Hard),
            (r(1), BounceKind::Soft),
            (r(2), BounceKind::Complaint)
        ]
    );
    store.unsuppress(&r(0), None, NOW).await.unwrap();
    assert_eq!(
        store.stale_addresses().await.unwrap().len(),
        2,
        "unsuppressed: no longer stale"
    );
}

/// An approval or an unsuppress and its audit row are one transaction: when the audit row
/// cannot be written (a trigger refuses it here), the change is not kept either.
async fn case_audit_rows_commit_with_their_change(store: Store, raw: Raw) {
    store
        .suppress("reader@x.example", &scope("*"), Some("asked"), NOW)
        .await
        .unwrap();
    match raw {
        Raw::Sqlite(_) => {
            raw.exec(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON events
                 WHEN NEW.kind IN ('approved', 'unsuppressed')
                 BEGIN SELECT RAISE(ABORT, 'audit refused'); END",
            )
            .await
        }
        Raw::Postgres(_) => {
            raw.exec(
                "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS
                   $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$;
                 CREATE TRIGGER refuse_audit BEFORE INSERT ON events FOR EACH ROW
                   WHEN (NEW.kind IN ('approved', 'unsuppressed')) EXECUTE FUNCTION refuse_audit()",
            )
            .await
        }
    }

    let approved = store
        .approve(&news(), day("2026-12-01"), "editor@x.example", NOW + 1)
        .await;
    assert!(approved.is_err(), "{approved:?}");
    assert_eq!(
        store.approval(&news(), day("2026-12-01")).await.unwrap(),
        None
    );
    assert_eq!(
        store.counter(bulletin::store::WAKE_COUNTER).await.unwrap(),
        0
    );

    let removed = store.unsuppress("reader@x.example", None, NOW + 2).await;
    assert!(removed.is_err(), "{removed:?}");
    assert_eq!(store.suppressions().await.unwrap().len(), 1);
}

/// A state, kind or scope this build does not know (a newer bulletin wrote it, or a hand) is an
/// error that names the value, never a panic or a silent default.
async fn case_unknown_words_in_the_ledger_are_errors(store: Store, raw: Raw) {
    fn decode_error(r: Result<impl std::fmt::Debug, StoreError>, value: &str) {
        match r {
            Err(e @ StoreError::Decode(_)) => {
                let shown = e.to_string();
                assert!(shown.contains(&format!("`{value}`")), "{shown}");
                assert!(shown.contains("hint:"), "{shown}");
            }
            other => panic!("expected a decode error naming `{value}`, got {other:?}"),
        }
    }
    let id = create(&store, "news", "2026-12-01", 2, NOW).await;
    store
        .record_fire(
            &job_named("bulletin:news"),
            NOW,
            Some(day("2026-12-01")),
            FireState::Done,
            "",
            NOW,
        )
        .await
        .unwrap();
    store
        .suppress("reader@x.example", &SuppressionScope::All, None, NOW)
        .await
        .unwrap();

    raw.exec("UPDATE issues SET state = 'archived'").await;
    decode_error(store.status().await, "archived");
    decode_error(store.issue_by_id(id).await, "archived");
    raw.exec("UPDATE issues SET state = 'sending', kind = 'digest'")
        .await;
    decode_error(store.issues_due(NOW).await, "digest");
    raw.exec("UPDATE issues SET kind = 'issue', issue_date = '1 Dec'")
        .await;
    decode_error(store.issue_by_id(id).await, "1 Dec");
    raw.exec("UPDATE deliveries SET state = 'bounced'").await;
    decode_error(store.counts(id).await, "bounced");
    decode_error(store.recipients(id, None).await, "bounced");
    raw.exec("UPDATE fires SET state = 'maybe'").await;
    decode_error(
        store.fire_state(&job_named("bulletin:news"), NOW).await,
        "maybe",
    );
    raw.exec("UPDATE fires SET state = 'held', job = 'digest:news'")
        .await;
    decode_error(store.held_fires().await, "digest:news");
    raw.exec("UPDATE suppressions SET scope = 'everything'")
        .await;
    decode_error(store.suppressions().await, "everything");
    raw.exec("UPDATE suppressions SET scope = '*', how = 'pigeon'")
        .await;
    decode_error(store.suppressions().await, "pigeon");
}

/// `status` lists the kinds of one bulletin and date in the order of their stored names, as it
/// always has (`held` before `issue` before `proof` before `proof:<time>`).
async fn case_status_orders_kinds_as_stored(store: Store) {
    for k in ["proof:5", "issue", "held", "proof"] {
        store
            .create_issue(&issue("news", "2026-12-01", k, 1), NOW)
            .await
            .unwrap();
    }
    let kinds: Vec<String> = store
        .status()
        .await
        .unwrap()
        .iter()
        .map(|s| s.kind.to_string())
        .collect();
    assert_eq!(kinds, ["held", "issue", "proof", "proof:5"]);
}

/// Reach: an issue's counted links come from its stored rendering, clicks are one counter per
/// (issue, link), and the figures `impact` adds up (sent, bounced, unsubscribes people asked for)
/// come back per issue.
async fn case_reach(store: Store) {
    use bulletin::bounce::{BounceKind, SoftPolicy};
    use bulletin::store::{NewBounce, SuppressionHow};
    let rendered = r#"{"html":"<p>x</p>","links":[
        {"url":"https://a.example/one","place":"news","title":"Item"},
        {"url":"https://a.example/two","place":"campaign","title":"A week"}]}"#;
    let mut new = issue("news", "2026-12-01", "issue", 4);
    new.rendered = rendered.into();
    let (row, _) = store.create_issue(&new, NOW).await.unwrap();
    let later = create(&store, "news", "2027-01-01", 1, NOW + 1_000).await;

    let found = store
        .reach_issue(&news(), day("2026-12-01"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, row.id);
    assert_eq!(
        found
            .links
            .iter()
            .map(|l| (l.url.as_str(), l.place.as_str()))
            .collect::<Vec<_>>(),
        [
            ("https://a.example/one", "news"),
            ("https://a.example/two", "campaign")
        ]
    );
    assert!(
        store
            .reach_issue(&news(), day("2026-11-01"))
            .await
            .unwrap()
            .is_none()
    );
    let later_found = store
        .reach_issue(&news(), day("2027-01-01"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        later_found.links.is_empty(),
        "an issue sent without counting has no links"
    );

    for _ in 0..3 {
        store.count_click(row.id, 1).await.unwrap();
    }
    store.count_click(row.id, 2).await.unwrap();
    assert_eq!(store.link_clicks(row.id).await.unwrap(), [(1, 3), (2, 1)]);
    assert!(store.link_clicks(later).await.unwrap().is_empty());

    // Three sent, one still pending; one of the sent bounced hard.
    let c = store.claim(row.id, "t/1", NOW, NOW + 300, 3).await.unwrap();
    let outcomes: Vec<_> = c.iter().map(|c| (c.id, sent())).collect();
    store.record(&outcomes, "t/", NOW).await.unwrap();
    let policy = SoftPolicy {
        limit: 3,
        window_secs: 86_400,
        ..SoftPolicy::default()
    };
    let bounce = NewBounce {
        delivery_id: c[0].id,
        kind: BounceKind::Hard,
        status: Some("5.1.1"),
        detail: "no such user",
    };
    bulletin::bounce::policy::record(&store, &bounce, policy, NOW + 10)
        .await
        .unwrap();
    let ds = store.reach_deliveries(row.id).await.unwrap();
    assert_eq!(ds.len(), 4);
    assert_eq!(ds.iter().filter(|d| d.sent).count(), 3);
    let bounced: Vec<_> = ds
        .iter()
        .filter(|d| d.bounced)
        .map(|d| d.email_key.clone())
        .collect();
    assert_eq!(
        bounced,
        [c[0].email.as_ref().unwrap().as_str().to_lowercase()]
    );

    // Unsubscribes people asked for, in the period; the bounce's suppression is not one.
    store
        .suppress_how(
            "x@y.example",
            &scope("bulletin:news"),
            None,
            SuppressionHow::OneClick,
            NOW + 20,
        )
        .await
        .unwrap();
    store
        .suppress_how(
            "z@y.example",
            &scope("*"),
            None,
            SuppressionHow::Link,
            NOW + 5_000,
        )
        .await
        .unwrap();
    let u = store.reach_unsubscribes(NOW, NOW + 1_000).await.unwrap();
    assert_eq!(
        u.iter()
            .map(|u| (u.email_key.as_str(), u.scope.as_str()))
            .collect::<Vec<_>>(),
        [("x@y.example", "bulletin:news")]
    );

    assert_eq!(
        store.reach_next_issue_at(&news(), NOW).await.unwrap(),
        Some(NOW + 1_000)
    );
    assert_eq!(
        store
            .reach_next_issue_at(&news(), NOW + 1_000)
            .await
            .unwrap(),
        None
    );
    let q: Vec<_> = store
        .reach_issues_dated(day("2026-10-01"), day("2026-12-31"))
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.date)
        .collect();
    assert_eq!(q, ["2026-12-01"]);
}
