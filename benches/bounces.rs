//! Ingesting bounces: how fast 10,000 delivery status notifications (the Postfix fixture, each
//! for its own delivery) are read, verified and recorded into a SQLite ledger, one message and
//! one transaction at a time, as `bulletin bounce` and the IMAP poller do. Run with
//! `cargo bench --bench bounces`.

use bulletin::timestamp::Timestamp;
use std::time::Instant;

use bulletin::address::EmailAddress;
use bulletin::bounce::{Outcome, SoftPolicy, Verp, ingest};
use bulletin::secret::Secret;
use bulletin::store::{NewDelivery, NewIssue, OpenMode, SqliteStore, Store};

const N: usize = 10_000;

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::Sqlite(
        SqliteStore::open(&dir.path().join("bench.db"), OpenMode::CreateIfMissing)
            .await
            .unwrap(),
    );
    let deliveries = (0..N)
        .map(|i| NewDelivery {
            email: format!("person{i}@agency{}.example", i % 97),
            email_key: format!("person{i}@agency{}.example", i % 97),
            name: None,
            suppressed: false,
        })
        .collect();
    let (issue, _) = store
        .create_issue(
            &NewIssue {
                owner: bulletin::ids::BulletinId::parse("news").unwrap().into(),
                date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                kind: bulletin::store::IssueKind::Issue,
                subject: "News".into(),
                rendered: "{}".into(),
                themes: String::new(),
                deliveries,
            },
            Timestamp::from_secs(0),
        )
        .await
        .unwrap();
    let claimed = store
        .claim(
            issue.id,
            "bench/0",
            Timestamp::from_secs(0),
            Timestamp::from_secs(300),
            N as u32,
        )
        .await
        .unwrap();
    let signer =
        bulletin::token::Signer::new("k1", Secret::new("bench-secret-bench-secret-bench-secret"));
    let verp = Verp::new(
        &EmailAddress::parse("bounces@test.example").unwrap(),
        signer.secrets(),
    );
    let email = |d: &bulletin::store::Claimed| d.email.clone().expect("a valid address");
    let template = include_str!("../tests/fixtures/bounces/postfix-user-unknown.eml");
    let messages: Vec<Vec<u8>> = claimed
        .iter()
        .map(|d| {
            template
                .replace(
                    "{{VERP}}",
                    &verp.address(store.ledger_id(), d.id, &email(d).key()),
                )
                .replace("{{RCPT}}", email(d).as_str())
                .replace("{{STATUS}}", "5.1.1")
                .replace('\n', "\r\n")
                .into_bytes()
        })
        .collect();
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let t = Instant::now();
    let mut recorded = 0;
    for (i, m) in messages.iter().enumerate() {
        let o = ingest(
            &store,
            &verp,
            &signer,
            SoftPolicy::default(),
            m.clone(),
            None,
            Timestamp::from_secs(1_000 + i as i64),
        )
        .await
        .unwrap();
        if matches!(
            o,
            Outcome::Recorded {
                suppressed: true,
                ..
            }
        ) {
            recorded += 1;
        }
    }
    let took = t.elapsed();
    assert_eq!(recorded, N, "every DSN suppresses its address");
    let t = Instant::now();
    for m in messages.iter().take(1_000) {
        let _ = ingest(
            &store,
            &verp,
            &signer,
            SoftPolicy::default(),
            m.clone(),
            None,
            Timestamp::from_secs(99_999),
        )
        .await
        .unwrap();
    }
    let dup = t.elapsed();
    println!(
        "DSN ingest: {N} messages ({:.1} KB each) in {:.2} s: {:.0} msg/s, one transaction each",
        bytes as f64 / N as f64 / 1024.0,
        took.as_secs_f64(),
        N as f64 / took.as_secs_f64()
    );
    println!(
        "duplicates (changing nothing): {:.0} msg/s",
        1_000.0 / dup.as_secs_f64()
    );
}
