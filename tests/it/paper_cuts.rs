//! An operator's paper cuts: a pipe closed early, a schedule that parses but was not meant,
//! and links readers would follow in the clear.

use crate::support;

use std::process::Stdio;

use support::{Tree, bulletin};

fn check(t: &Tree) -> String {
    let o = bulletin(t.root()).arg("check").output().unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn output_into_a_pipe_closed_early_ends_quietly() {
    let t = Tree::sample();
    for args in [
        &["calendar", "--from", "2020-01-01", "--to", "2030-12-31"][..],
        &[
            "calendar",
            "--from",
            "2020-01-01",
            "--to",
            "2030-12-31",
            "--format",
            "json",
        ],
        &["schedule"],
        &["lists", "--members", "all-partners"],
    ] {
        let mut child = bulletin(t.root())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `| head -0`: the reader is gone before the first line is written.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[test]
fn a_schedule_that_fires_daily_for_a_month_or_at_night_is_a_warning() {
    let check_schedule = |cron: &str| {
        let t = Tree::minimal();
        t.schedule(cron);
        check(&t)
    };
    let out = check_schedule("0 9 * 1 *");
    assert!(
        out.contains("the bulletin would go out 7 times within 7 days"),
        "{out}"
    );
    let out = check_schedule("9 0 1 * *");
    assert!(
        out.contains("00:09 is outside 06:00–20:00") && out.contains("minute first, then hour"),
        "{out}"
    );
    for fine in ["0 9 1 * *", "30 8 * * MON"] {
        let out = check_schedule(fine);
        assert!(out.contains("0 warning(s)"), "{fine}: {out}");
    }
}

#[test]
fn plain_http_links_for_real_readers_are_a_warning() {
    let t = Tree::minimal();
    t.append_config(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:2525\"\ntls = \"none\"\n\n[web]\npublic_url = \"http://news.example.org\"\n",
    );
    let out = check(&t);
    assert!(
        out.contains("`public_url` is plain http (http://news.example.org)"),
        "{out}"
    );
    // A loopback address is a local preview, and the outbox sends to nobody.
    let t = Tree::minimal();
    t.append_config(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:2525\"\ntls = \"none\"\n\n[web]\npublic_url = \"http://127.0.0.1:8080\"\n",
    );
    assert!(!check(&t).contains("plain http"));
}
