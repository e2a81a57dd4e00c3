//! The public pages in a real browser against the real running daemon: a partner unsubscribes
//! with the keyboard alone from the link in their email, and the unsubscribe page, its
//! confirmation, the archive, an archived issue and the campaign calendar (grid and list) have no
//! WCAG 2.2 AA violations (axe-core in Debian's headless Chromium, light and dark). The next issue
//! skips the address. Keeps a screenshot of the November 2026 calendar in
//! `target/artefacts/calendar-2026-11.png`.
//!
//! `scripts/test` installs Chromium and the npm packages; without them this test fails and says
//! what is missing.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::Tree;
use support::daemon::Daemon;
use support::email::{header_in, unfolded_headers, unsubscribe_link};
use support::send_sample;
use support::smtp::free_port;

/// The outbox's messages: (file name, text).
fn outbox(t: &Tree) -> Vec<(String, String)> {
    t.outbox()
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Node, the npm packages and Chromium, or a failure that says how to get them.
fn browser_script() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y");
    assert!(
        dir.join("node_modules/axe-core").exists()
            && dir.join("node_modules/playwright-core").exists(),
        "axe-core/playwright-core missing in tests/a11y/node_modules: run scripts/test (or `npm ci` in tests/a11y)"
    );
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        chromium.exists(),
        "Chromium missing at {}: run scripts/test (it installs Debian's chromium), or set CHROMIUM",
        chromium.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node missing: run scripts/test (it installs Node.js)"
    );
    dir.join("browser.mjs")
}

#[test]
fn a_partner_unsubscribes_by_keyboard_and_every_public_page_passes_axe() {
    let script = browser_script();
    let artefacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artefacts");
    std::fs::create_dir_all(&artefacts).unwrap();

    let t = Tree::sample();
    t.quiet_schedule();
    let port = free_port();
    let settings = std::fs::read_to_string(t.config())
        .unwrap()
        .replace(
            "bind = \"127.0.0.1:8080\"",
            &format!("bind = \"127.0.0.1:{port}\""),
        )
        .replace(
            "public_url = \"http://127.0.0.1:8080\"",
            &format!("public_url = \"http://127.0.0.1:{port}\""),
        );
    assert!(settings.contains(&format!("bind = \"127.0.0.1:{port}\"")));
    t.write("config/bulletin.toml", &settings);
    eprintln!(
        "DEBUG port {port}: {}",
        std::fs::read_to_string(t.config())
            .unwrap()
            .lines()
            .filter(|l| l.contains("127.0.0.1"))
            .collect::<Vec<_>>()
            .join(" | ")
    );

    // November's issue, to the outbox: each message carries its reader's unsubscribe link.
    let o = send_sample(&t, "2026-11-01");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let november = outbox(&t);
    assert!(
        !november.is_empty(),
        "the November issue wrote no .eml files"
    );
    let (unsubscribe_url, address) = unsubscribe_link(&november[0].1);
    let base = format!("http://127.0.0.1:{port}");
    assert!(
        unsubscribe_url.starts_with(&format!("{base}/unsubscribe/")),
        "{unsubscribe_url}"
    );

    let daemon = Daemon::builder(&t).port(port).start();

    let out = Command::new("node")
        .arg(&script)
        .args([&base, &unsubscribe_url])
        .arg(&artefacts)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "browser.mjs failed ({}): {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    std::fs::write(artefacts.join("browser-report.json"), &out.stdout).unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "browser.mjs printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });

    // The keyboard unsubscribe worked.
    let u = &report["unsubscribe"];
    assert_eq!(u["ok"], true, "the unsubscribe flow: {u:#}");
    assert!(
        u["button"].as_str().unwrap_or("").contains("Unsubscribe"),
        "{u:#}"
    );
    assert_eq!(u["post_status"], 200, "{u:#}");

    // Every page, light and dark: loaded, axe ran, nothing violated.
    let pages = report["pages"].as_array().expect("pages");
    let targets: Vec<&str> = pages
        .iter()
        .map(|p| p["target"].as_str().unwrap_or(""))
        .collect();
    for want in [
        "unsubscribe",
        "unsubscribe (confirmation)",
        "/archive/",
        "/archive/sscp-news/2026-11-01",
        "/calendar?month=2026-11",
        "/calendar?month=2026-11&view=list",
        "/calendar?month=2026-11&theme=domestic-abuse",
        "/archive/?theme=domestic-abuse",
    ] {
        assert_eq!(
            targets.iter().filter(|t| **t == want).count(),
            2,
            "{want} in light and dark: {targets:?}"
        );
    }
    for p in pages {
        let what = format!("{} ({})", p["target"], p["scheme"]);
        assert!(p.get("error").is_none(), "{what}: {}", p["error"]);
        assert_eq!(p["status"], 200, "{what}");
        assert!(
            p["passes"].as_u64().unwrap_or(0) > 5,
            "{what}: axe ran its rules: {p}"
        );
        assert_eq!(
            p["violations"],
            serde_json::json!([]),
            "{what}: {:#}",
            p["violations"]
        );
    }

    // The artefact the issue asks to keep.
    let shot = artefacts.join("calendar-2026-11.png");
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "{} is missing or empty", shot.display());

    let exit = daemon.stop();
    assert_eq!(
        exit.code,
        Some(0),
        "the daemon's exit on SIGTERM: {}",
        exit.log
    );

    // The unsubscribe took effect: December's issue goes to everyone else.
    let o = send_sample(&t, "2026-12-01");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let december: Vec<String> = outbox(&t)
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| {
            header_in(&unfolded_headers(m), "Subject").is_some_and(|s| s.contains("December 2026"))
        })
        .collect();
    assert!(
        !december.is_empty(),
        "the December issue wrote no .eml files"
    );
    assert!(
        december.iter().all(|m| {
            let h = unfolded_headers(m);
            let to = header_in(&h, "To").unwrap_or("");
            to != address && !to.contains(&format!("<{address}>"))
        }),
        "{address} unsubscribed in the browser but got the December issue"
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1 suppressed"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
