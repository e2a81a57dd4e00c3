//! The daemon's secrets, seen from a person's shell. As `deploy/bulletin.service` suggests, the
//! unsubscribe secret is often a systemd credential (`/run/credentials/bulletin.service/…`),
//! which exists only inside the service while it runs. Against the real binary: the commands
//! that send and sign nothing still work without it; the ones that need it fail naming the
//! file and the user they ran as, and say how to reach the existing secret, never how to make
//! a new one (that would break every unsubscribe link and return path already in inboxes),
//! unless no ledger exists, so nothing was ever signed.

use crate::support;

use std::process::Output;

use support::Tree;
use support::run;

/// Where systemd hands the secrets to the service (deploy/bulletin.service).
const CREDENTIALS: &str = "/run/credentials/bulletin.service";
const CREDENTIAL: &str = "/run/credentials/bulletin.service/unsubscribe-secret";

/// Whether this machine runs the real service (then its credentials are not missing, and
/// the tests that need them missing have nothing to show).
fn systemd_credentials_here() -> bool {
    std::path::Path::new(CREDENTIALS).exists()
}

/// A tree that sends real mail, with the unsubscribe secret at `secret_file` and, like the
/// systemd unit, the SMTP password in a credential.
fn tree(secret_file: &str) -> Tree {
    let t = Tree::minimal();
    t.append_config(&format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:9\"\ntls = \"none\"\n\
         username = \"bulletin\"\npassword_file = \"{CREDENTIALS}/smtp-password\"\n\n\
         [unsubscribe]\nsecret_file = \"{secret_file}\"\n\n\
         [bounces]\naddress = \"bounces@test.example\"\n"
    ));
    t
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The name of the user these tests (and so the binary) run as.
fn user_name() -> String {
    let o = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

#[test]
fn commands_that_send_nothing_work_without_the_daemons_secret() {
    if systemd_credentials_here() {
        return;
    }
    let t = tree(CREDENTIAL);
    t.create_ledger();
    let out = t.root().join("preview.html");
    let out = out.to_str().unwrap();
    for args in [
        &["status"][..],
        &["lists"],
        &["calendar", "--from", "2026-11-01", "--to", "2026-12-31"],
        &["preview", "news", "--date", "2026-12-01", "--out", out],
        &["schedule"],
        &["impact", "--quarter", "2026-Q4"],
        &["suppressions"],
    ] {
        let o = run(&t, args);
        assert!(
            o.status.success(),
            "`{}` failed:\n{}",
            args.join(" "),
            text(&o)
        );
        let warned: Vec<_> = String::from_utf8_lossy(&o.stderr)
            .lines()
            .filter(|l| l.contains(CREDENTIALS))
            .map(str::to_string)
            .collect();
        assert!(
            warned.len() <= 2,
            "`{}`: at most one line about each secret:\n{}",
            args.join(" "),
            text(&o)
        );
    }
}

#[test]
fn send_without_the_secret_names_the_file_and_the_user_and_never_suggests_a_new_one() {
    if systemd_credentials_here() {
        return;
    }
    let t = tree(CREDENTIAL);
    t.create_ledger();
    let o = run(
        &t,
        &["send", "news", "--now", "--date", "2026-12-01", "--yes"],
    );
    let all = text(&o);
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(all.contains(CREDENTIAL), "names the file:\n{all}");
    assert!(all.contains(&user_name()), "names the user:\n{all}");
    assert!(
        all.contains("sudo -u") && all.contains("LoadCredential=unsubscribe-secret:"),
        "says how to read the secret as the daemon's user:\n{all}"
    );
    for never in ["urandom", "rand", "head -c", "genpkey"] {
        assert!(
            !all.contains(never),
            "a ledger exists, so a new secret would break the links already sent; found `{never}`:\n{all}"
        );
    }
}

#[test]
fn a_secret_file_missing_under_a_ledger_is_never_replaced_in_the_hint() {
    // Not a credential path: the same care for a file that is simply missing.
    let t = tree("secrets/unsubscribe");
    t.create_ledger();
    let o = run(
        &t,
        &["send", "news", "--now", "--date", "2026-12-01", "--yes"],
    );
    let all = text(&o);
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(all.contains("secrets/unsubscribe"), "{all}");
    assert!(all.contains(&user_name()), "{all}");
    for never in ["urandom", "rand", "head -c"] {
        assert!(!all.contains(never), "found `{never}`:\n{all}");
    }
}

#[test]
fn with_no_ledger_the_hint_may_say_how_to_make_a_secret() {
    let t = tree("secrets/unsubscribe");
    let o = run(
        &t,
        &["send", "news", "--now", "--date", "2026-12-01", "--yes"],
    );
    let all = text(&o);
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(all.contains("openssl rand"), "{all}");
    assert!(
        !t.root().join("data/bulletin.db").exists(),
        "the failed send made no ledger"
    );
}

#[test]
fn check_warns_about_a_systemd_credential_it_cannot_see_and_errs_on_a_missing_file() {
    if systemd_credentials_here() {
        return;
    }
    let t = tree(CREDENTIAL);
    t.create_ledger();
    let o = run(&t, &["check"]);
    let all = text(&o);
    assert!(
        o.status.success(),
        "a credential path is not a slip:\n{all}"
    );
    assert!(all.contains("systemd"), "names the situation:\n{all}");

    let t = tree("secrets/unsubscribe");
    t.create_ledger();
    let o = run(&t, &["check"]);
    let all = text(&o);
    assert_eq!(o.status.code(), Some(1), "a missing file is a slip:\n{all}");
    assert!(!all.contains("rand"), "{all}");
}

#[test]
fn a_shell_without_the_daemons_secret_is_told_to_use_it_not_to_make_one() {
    // The daemon has BULLETIN_UNSUBSCRIBE_SECRET in its unit; this shell does not.
    let t = Tree::minimal();
    t.append_config(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:9\"\ntls = \"none\"\n",
    );
    t.create_ledger();
    let o = run(
        &t,
        &["send", "news", "--now", "--date", "2026-12-01", "--yes"],
    );
    let all = text(&o);
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(all.contains("no unsubscribe secret is set"), "{all}");
    assert!(!all.contains("rand"), "{all}");
}
