//! `bulletin bounce` under hostile and heavy input, as an MTA's pipe and the IMAP poller feed
//! it: a report stuffed with look-alike return paths is read in linear time, a report with an
//! enormous header is refused in bounded memory, a real bounce fed to another ledger that shares
//! the secret suppresses nobody there, and many bounces piped at once are all recorded.

use crate::support;

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use support::bounce::{
    BOUNCES, FIVE, SECRET, dsn, feed, finish, members, pipe, return_paths, send, start_bounce, tree,
};
use support::say;
use support::{Tree, bulletin};

/// What `bulletin bounce` reads of a message at most.
const MAX_MESSAGE: usize = 10 * 1024 * 1024;

fn log(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failed-delivery report with no return path of ours in it, padded to `size` bytes with
/// `bounces+` over and over in its human-readable part: every one a place where a return path
/// could start.
fn stuffed_report(size: usize) -> Vec<u8> {
    let base = dsn("bounces@test.example", FIVE[0]);
    let pad = "bounces+".repeat((size - base.len()) / 8);
    base.replacen("                   The mail system", &pad, 1)
        .into_bytes()
}

#[test]
fn a_report_stuffed_with_return_path_look_alikes_is_read_in_linear_time() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let message = stuffed_report(MAX_MESSAGE);
    assert!(message.len() <= MAX_MESSAGE && message.len() > MAX_MESSAGE - 64);
    let started = Instant::now();
    let o = finish(
        start_bounce(&t, message, &[]),
        Duration::from_secs(60),
        "a 10 MiB report of look-alikes",
    );
    let took = started.elapsed();
    eprintln!("10 MiB of `bounces+` read in {took:?}");
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert!(
        log(&o).contains("no bounce address of ours with a valid signature"),
        "{}",
        say(&o)
    );
    // Under a second on an idle machine (debug build); generous for a loaded one.
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_eq!(members(&t), 5);
}

#[test]
fn a_mailbox_report_stuffed_with_look_alikes_does_not_hold_up_the_pass() {
    let imap = support::imap::Dovecot::start();
    let settings = format!(
        "{BOUNCES}\n[bounces.imap]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nusername = \"{}\"\ninterval_seconds = 10\n",
        imap.port,
        support::imap::USER
    );
    let t = tree(&FIVE, &settings);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    imap.deliver(&stuffed_report(MAX_MESSAGE));
    imap.deliver(dsn(&rp[FIVE[1]], FIVE[1]).as_bytes());
    let started = Instant::now();
    let child = bulletin(t.root())
        .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
        .env("BULLETIN_IMAP_PASSWORD", support::imap::PASSWORD)
        .args(["bounce", "--imap"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let o = finish(child, Duration::from_secs(60), "an IMAP pass");
    let took = started.elapsed();
    eprintln!("IMAP pass over a 10 MiB report of look-alikes and a DSN: {took:?}");
    assert_eq!(o.status.code(), Some(0), "{}\n{}", say(&o), imap.log());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "INBOX: 2 message(s) read, 1 bounce(s) recorded, 1 ignored, 0 left for a person",
        "{}",
        say(&o)
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(members(&t), 4);
}

/// Peak resident memory of `bulletin bounce` reading `message`, in bytes, and its output.
fn peak_rss(t: &Tree, message: &[u8]) -> (u64, Output) {
    let child = feed(
        std::process::Command::new("/usr/bin/time")
            .args([
                "-f",
                "peak-rss-kib=%M",
                env!("CARGO_BIN_EXE_bulletin"),
                "bounce",
            ])
            .current_dir(t.root())
            .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
            .env("RUST_LOG", "info"),
        message.to_vec(),
    );
    let o = finish(
        child,
        Duration::from_secs(120),
        "bulletin bounce under time",
    );
    let kib: u64 = log(&o)
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib="))
        .unwrap_or_else(|| panic!("no figure from /usr/bin/time: {}", say(&o)))
        .trim()
        .parse()
        .unwrap();
    (kib * 1024, o)
}

#[test]
fn a_report_with_an_enormous_content_type_is_ignored_in_bounded_memory() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    let real = dsn(&rp[FIVE[0]], FIVE[0]);
    // What an ordinary bounce costs: the process itself.
    let (baseline, o) = peak_rss(&t, dsn(&rp[FIVE[1]], FIVE[1]).as_bytes());
    assert!(log(&o).contains("bounce recorded"), "{}", say(&o));
    // The same kind of report with 8 MB of parameters in its Content-Type.
    let hostile = real.replacen(
        "report-type=delivery-status;",
        &format!(
            "report-type=delivery-status;{}",
            "a=b;".repeat(2 * 1024 * 1024)
        ),
        1,
    );
    let (peak, o) = peak_rss(&t, hostile.as_bytes());
    eprintln!(
        "peak RSS: {} KiB for an ordinary bounce, {} KiB for {} KiB of Content-Type",
        baseline / 1024,
        peak / 1024,
        hostile.len() / 1024
    );
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert!(
        log(&o).contains("message ignored") && log(&o).contains("64 KiB"),
        "{}",
        say(&o)
    );
    let allowed = baseline + 4 * hostile.len() as u64;
    assert!(
        peak < allowed,
        "peak RSS {peak} bytes, allowed {allowed} (baseline {baseline} + 4 × input)"
    );
    assert_eq!(members(&t), 4, "only the ordinary bounce suppressed anyone");
}

/// Two ledgers with the same secret each number their deliveries from 1: a bounce of ledger
/// A's delivery N names another person's delivery N in ledger B.
#[test]
fn a_bounce_for_another_ledgers_delivery_suppresses_nobody_there() {
    another_ledgers_bounce(BOUNCES, BOUNCES);
}

#[test]
fn a_bounce_for_another_postgresql_ledgers_delivery_suppresses_nobody_there() {
    let (da, db) = (support::pg::PgDb::create(), support::pg::PgDb::create());
    let on = |d: &support::pg::PgDb| format!("{BOUNCES}\n[database]\nurl = \"{}\"\n", d.url);
    another_ledgers_bounce(&on(&da), &on(&db));
}

fn another_ledgers_bounce(settings_a: &str, settings_b: &str) {
    let a = tree(&FIVE, settings_a);
    let others: Vec<String> = (0..5)
        .map(|i| format!("other{i}@elsewhere.example"))
        .collect();
    let b = tree(
        &others.iter().map(String::as_str).collect::<Vec<_>>(),
        settings_b,
    );
    send(&a, "2026-12-01");
    send(&b, "2026-12-01");
    let rp = return_paths(&a, 1);
    let bounce = dsn(&rp[FIVE[2]], FIVE[2]);
    let id = rp[FIVE[2]]
        .trim_start_matches("bounces+")
        .split('-')
        .next()
        .unwrap()
        .to_string();
    assert!(
        return_paths(&b, 1)
            .values()
            .any(|p| p.starts_with(&format!("bounces+{id}-"))),
        "ledger B holds a delivery {id} too"
    );

    let o = pipe(&b, bounce.as_bytes(), &[]);
    assert!(log(&o).contains("message ignored"), "{}", say(&o));
    let o = pipe(&b, bounce.as_bytes(), &["--recipient", &rp[FIVE[2]]]);
    assert!(log(&o).contains("message ignored"), "{}", say(&o));
    assert!(
        !log(&o).contains(FIVE[2]),
        "no address in the log: {}",
        say(&o)
    );
    assert_eq!(members(&b), 5, "nobody in ledger B was suppressed");

    let o = pipe(&a, bounce.as_bytes(), &[]);
    assert!(log(&o).contains("the address is suppressed"), "{}", say(&o));
    assert_eq!(members(&a), 4);
}

/// A return path signed the old way (the delivery id alone), as mail sent before the upgrade
/// carries.
fn legacy_return_path(id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(b"bulletin/verp/v1");
    let key = mac.finalize().into_bytes();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(id.as_bytes());
    let tag: String = mac.finalize().into_bytes()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("bounces+{id}-{tag}@test.example")
}

#[test]
fn an_old_style_return_path_counts_only_when_the_report_names_the_deliverys_recipient() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    let id = |who: &str| {
        rp[who]
            .trim_start_matches("bounces+")
            .split('-')
            .next()
            .unwrap()
            .to_string()
    };
    // Delivery of m3, but the report is about someone this ledger never sent it to.
    let old = legacy_return_path(&id(FIVE[3]));
    let o = pipe(&t, dsn(&old, "someone@elsewhere.example").as_bytes(), &[]);
    assert!(log(&o).contains("old-style bounce address"), "{}", say(&o));
    assert_eq!(members(&t), 5);
    // The same return path in a report about m3 itself.
    let o = pipe(&t, dsn(&old, FIVE[3]).as_bytes(), &[]);
    assert!(log(&o).contains("the address is suppressed"), "{}", say(&o));
    assert_eq!(members(&t), 4);
}

#[test]
fn sixty_bounces_piped_at_once_are_all_recorded() {
    let people: Vec<String> = (0..60).map(|i| format!("p{i}@agency.example")).collect();
    // Every recipient bouncing at once is what the bounce breaker is for; here the point is
    // the parallel writes, so it is set above the list's size.
    let t = tree(
        &people.iter().map(String::as_str).collect::<Vec<_>>(),
        &format!("{BOUNCES}breaker_minimum = 1000\n"),
    );
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    assert_eq!(rp.len(), 60);
    let children: Vec<Child> = rp
        .iter()
        .map(|(who, path)| start_bounce(&t, dsn(path, who).into_bytes(), &[]))
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| finish(c, Duration::from_secs(120), "a parallel bounce"))
        .collect();
    let failed: Vec<String> = outputs
        .iter()
        .filter(|o| o.status.code() != Some(0))
        .map(say)
        .collect();
    eprintln!("{} of 60 parallel bounces failed", failed.len());
    assert!(
        failed.is_empty(),
        "{} of 60 failed; the first:\n{}",
        failed.len(),
        failed.first().unwrap()
    );
    assert!(outputs.iter().all(|o| log(o).contains("bounce recorded")));
    assert_eq!(members(&t), 0, "all 60 were recorded and suppressed");
}

#[test]
fn hostile_reports_of_other_shapes_cost_bounded_memory() {
    let t = tree(&FIVE, BOUNCES);
    send(&t, "2026-12-01");
    let rp = return_paths(&t, 1);
    let (baseline, _) = peak_rss(&t, dsn(&rp[FIVE[1]], FIVE[1]).as_bytes());
    let real = dsn(&rp[FIVE[0]], FIVE[0]);
    const SIZE: usize = 8 * 1024 * 1024;
    let b64 = {
        use base64::Engine;
        let status = "Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; m0@agency.example\r\nAction: failed\r\nStatus: 5.1.1\r\n";
        let body = format!("{status}{}", "X-Pad: y\r\n".repeat(SIZE / 14));
        let enc = base64::engine::general_purpose::STANDARD.encode(body);
        real.replacen(
            "Content-Type: message/delivery-status\r\n",
            &format!("Content-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n{enc}\r\n\r\nX-Ignored: "),
            1,
        )
    };
    let variants = [
        (
            "many header fields",
            real.replacen(
                "MIME-Version",
                &format!("{}MIME-Version", "X-A: b\r\n".repeat(SIZE / 8)),
                1,
            ),
        ),
        (
            "a Content-Type folded over many lines",
            real.replacen(
                "report-type=delivery-status;",
                &format!("report-type=delivery-status;{}", "\r\n a=b;".repeat(SIZE / 7)),
                1,
            ),
        ),
        (
            "many fields in the delivery status",
            real.replacen(
                "Reporting-MTA:",
                &format!("{}Reporting-MTA:", "X-Pad: y\r\n".repeat(SIZE / 10)),
                1,
            ),
        ),
        (
            "many parts",
            real.replacen(
                "--4F1B2C0A1B.1796115663/relay.test.example\r\nContent-Description: Notification",
                &format!(
                    "{}--4F1B2C0A1B.1796115663/relay.test.example\r\nContent-Description: Notification",
                    "--4F1B2C0A1B.1796115663/relay.test.example\r\n\r\n".repeat(SIZE / 48)
                ),
                1,
            ),
        ),
        ("a large base64 delivery status", b64),
    ];
    for (what, message) in variants {
        let (peak, o) = peak_rss(&t, message.as_bytes());
        eprintln!(
            "{what}: {} KiB in, peak RSS {} KiB (baseline {} KiB)",
            message.len() / 1024,
            peak / 1024,
            baseline / 1024
        );
        assert_eq!(o.status.code(), Some(0), "{what}: {}", say(&o));
        assert!(
            peak < baseline + 4 * message.len() as u64,
            "{what}: peak RSS {peak}, baseline {baseline}"
        );
    }
}
