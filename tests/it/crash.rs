//! The sender is killed with SIGKILL at several points of a send to thousands of recipients and
//! started again each time: nobody is lost, and the only duplicates are messages that were in
//! flight when it died (at most `connections × batch` per kill).

use crate::support;

use std::time::{Duration, Instant};

use support::pg::PgDb;
use support::smtp::SmtpSink;
use support::wait_until;
use support::{Tree, bulletin, status_json};

const SECRET: &str = "crash-test-secret-crash-test-secret-00";

const N: usize = 4000;
const CONNECTIONS: usize = 4;
const BATCH: usize = 50; // delivery::Limits::default().batch

#[test]
fn kill_9_at_several_points_loses_nothing() {
    let sink = SmtpSink::start(&[]);
    let t = Tree::minimal();
    t.members_csv((0..N).map(|i| format!("reader{i}@agency{}.example,Reader {i},Agency", i % 13)));
    // Paced at 1,000 a second so the kills land mid-send whatever the machine's speed.
    t.append_config(&format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{}\"\ntls = \"none\"\nconnections = {CONNECTIONS}\nmax_per_minute = 60000\nmax_per_day = 0",
        sink.port
    ));
    let send = || {
        bulletin(t.root())
            .env(
                "BULLETIN_UNSUBSCRIBE_SECRET",
                "crash-test-secret-crash-test-secret-00",
            )
            .args(["send", "news", "--now", "--date", "2026-12-01"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut kills = 0;
    for after_ms in [300u64, 900, 1500] {
        let before = sink.count();
        let mut child = send();
        // Wait until this run has really started sending, then a little more, then SIGKILL.
        wait_until(Duration::from_secs(20), || sink.count() != before);
        std::thread::sleep(Duration::from_millis(after_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(kills >= 2, "the kills landed mid-send ({kills})");
    let last = send().wait_with_output().unwrap();
    assert!(last.status.success(), "the final run finishes the issue");
    sink.wait_for_count(N, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));

    let copies = sink.copies();
    assert_eq!(copies.len(), N, "0 lost: every recipient has a copy");
    let duplicates: usize = copies.values().map(|n| n - 1).sum();
    let bound = kills * CONNECTIONS * BATCH;
    assert!(
        duplicates <= bound,
        "{duplicates} duplicates, more than the {bound} that can be in flight"
    );
    eprintln!("{kills} kills: {N} recipients, {duplicates} duplicate(s) (bound {bound})");

    let s = status_json(bulletin(t.root()).env(
        "BULLETIN_UNSUBSCRIBE_SECRET",
        "crash-test-secret-crash-test-secret-00",
    ));
    assert_eq!(s[0]["deliveries"]["sent"], N);
    assert_eq!(s[0]["state"], "done");
}

/// A send to 100,000 readers whose ledger writer falls behind (here: PostgreSQL holds the rows
/// it must record next, as a long transaction or a slow disk would), killed with SIGKILL while
/// it is behind. The senders must wait for the writer rather than run ahead of it, so what the
/// relay acknowledged and the ledger does not say was sent (what the next run sends again) is at
/// most `connections × batch` however far behind the writer is. The next run is then let re-send
/// it, and the relay's copies are counted.
#[test]
fn kill_9_while_the_ledger_lags_in_a_100k_send_repeats_at_most_connections_times_batch() {
    const LARGE: usize = 100_000;
    let bound = CONNECTIONS * BATCH;
    let db = PgDb::create();
    let sink = SmtpSink::start(&[]);
    let t = Tree::minimal();
    t.readers(LARGE);
    t.append_config(&format!(
        "[database]\nlease_seconds = 3\n\n[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{}\"\ntls = \"none\"\nconnections = {CONNECTIONS}\nmax_per_minute = 0\nmax_per_day = 0",
        sink.port
    ));
    let command = || {
        let mut c = bulletin(t.root());
        c.env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
            .env("BULLETIN_DATABASE_URL", &db.url);
        c
    };
    let log = tempfile::NamedTempFile::new().unwrap();
    let send = || {
        command()
            .args(["send", "news", "--now", "--date", "2026-12-01"])
            .stdout(std::process::Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap()
    };
    let started = Instant::now();
    let mut child = send();
    let going = sink.wait_for_count(2000, Duration::from_secs(120));
    assert!(going >= 2000, "the send got going ({going} sent)");

    let lock = RowLock::in_flight(&db.url);
    let at_lock = sink.count();
    // Long enough for unchecked senders to run well past the bound.
    wait_until(Duration::from_secs(4), || {
        sink.count() >= at_lock + 3 * bound
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "the send was still running: {}",
        std::fs::read_to_string(log.path()).unwrap_or_default()
    );
    child.kill().unwrap(); // SIGKILL, while the writer is behind
    child.wait().unwrap();
    drop(lock);
    let killed_at = started.elapsed();

    let received = sink.copies().len();
    let recorded = status_json(&mut command())[0]["deliveries"]["sent"]
        .as_u64()
        .unwrap() as usize;
    let unrecorded = received - recorded;
    eprintln!(
        "killed after {killed_at:?}: {received} of {LARGE} accepted by the relay, {recorded} \
         recorded as sent, {unrecorded} to send again (bound {bound})"
    );

    // The next run (once the dead claims lapse) attempts every delivery the dead one had
    // claimed before any it had not: at most a largest claim a connection, among which the
    // unrecorded ones are. Count the copies once it is past them.
    std::thread::sleep(Duration::from_millis(3500));
    let mut again = send();
    let claimed_at_kill = CONNECTIONS * bulletin::delivery::claim_size::MOST as usize;
    sink.wait_for_count(
        received + claimed_at_kill + 2 * bound,
        Duration::from_secs(60),
    );
    again.kill().unwrap();
    again.wait().unwrap();
    let copies = sink.copies();
    let duplicates: usize = copies.values().map(|n| n - 1).sum();
    eprintln!(
        "{duplicates} re-sent after kill -9 (bound {bound}); test took {:?}",
        started.elapsed()
    );
    assert!(
        unrecorded <= bound,
        "{unrecorded} acknowledged and unrecorded at kill -9, more than connections × batch = {bound}"
    );
    assert_eq!(
        duplicates, unrecorded,
        "the next run re-sends exactly what was unrecorded"
    );
}

/// Every in-flight delivery row locked by a transaction of the test's own (`SELECT … FOR
/// UPDATE`), held until dropped: the writer, which records those rows, waits; claims of pending
/// rows (`SKIP LOCKED`) go on.
struct RowLock {
    release: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RowLock {
    fn in_flight(url: &str) -> RowLock {
        let url = url.to_string();
        let (locked_tx, locked_rx) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                // Between two batches (a busy machine widens the gap) no row may be in flight,
                // and locking rows the writer is updating may end in a deadlock PostgreSQL
                // breaks by failing this query: either way, try again until a batch is caught.
                let tried_until = Instant::now() + Duration::from_secs(20);
                let (tx, n) = loop {
                    let mut tx = c.begin().await.unwrap();
                    let rows = sqlx::query(
                        "SELECT id FROM deliveries WHERE state = 'in_flight' ORDER BY id FOR UPDATE",
                    )
                    .fetch_all(&mut *tx)
                    .await;
                    match rows {
                        Ok(rows) if !rows.is_empty() || Instant::now() > tried_until => {
                            break (tx, rows.len());
                        }
                        Ok(_) => tx.rollback().await.unwrap(),
                        Err(e) if Instant::now() > tried_until => panic!("{e}"),
                        Err(_) => drop(tx),
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                };
                locked_tx.send(n).unwrap();
                let _ = tokio::task::spawn_blocking(move || release_rx.recv()).await;
                tx.rollback().await.unwrap();
            })
        });
        let n = locked_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the in-flight rows were locked");
        assert!(n > 0, "some deliveries were in flight to lock");
        RowLock {
            release: Some(release),
            thread: Some(thread),
        }
    }
}

impl Drop for RowLock {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
