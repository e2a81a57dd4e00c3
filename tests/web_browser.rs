//! The public pages in a real browser against the real running daemon: a partner unsubscribes
//! with the keyboard alone from the link in their email, and the unsubscribe page, its
//! confirmation, the archive, an archived issue and the campaign calendar (grid and list) have no
//! WCAG 2.2 AA violations (axe-core in Debian's headless Chromium, light and dark). The next issue
//! skips the address. Keeps a screenshot of the November 2026 calendar in
//! `target/artefacts/calendar-2026-11.png`.
//!
//! `scripts/test` installs Chromium and the npm packages; without them this test fails and says
//! what is missing.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::smtp::free_port;
use support::{Tree, bulletin};

/// The daemon, with its stderr collected (for failure messages).
struct Running {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Running {
    /// `bulletin run` in the tree, listening on `port` (`support::bulletin` points every daemon
    /// at a port of its own choosing unless told otherwise).
    fn start(t: &Tree, port: u16) -> Running {
        let mut child = bulletin(t.root())
            .arg("run")
            .env("BULLETIN_WEB_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        Running { child, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGTERM, then wait for it to exit: its exit code and its log.
    fn stop(mut self) -> (Option<i32>, String) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "could not signal the daemon");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                return (status.code(), self.log());
            }
            assert!(
                start.elapsed() < Duration::from_secs(40),
                "the daemon did not stop on SIGTERM: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status code of `GET path`, or 0 when nothing answers.
fn status_of(port: u16, path: &str) -> u16 {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return 0;
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw)
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// The outbox's messages: (file name, text).
fn outbox(t: &Tree) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(t.root().join("outbox"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A message's header block, unfolded: one header a line.
fn headers(message: &str) -> String {
    let text = message.replace("\r\n", "\n");
    let head = text.split("\n\n").next().unwrap_or("");
    head.replace("\n ", " ").replace("\n\t", " ")
}

fn header<'h>(headers: &'h str, name: &str) -> Option<&'h str> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    headers
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim())
}

/// The https unsubscribe link of `List-Unsubscribe` and the recipient's address.
fn unsubscribe_link(message: &str) -> (String, String) {
    let h = headers(message);
    let lu = header(&h, "List-Unsubscribe").expect("a List-Unsubscribe header");
    let url = lu
        .split(['<', '>', ',', ' '])
        .find(|p| {
            (p.starts_with("http://") || p.starts_with("https://")) && p.contains("/unsubscribe/")
        })
        .unwrap_or_else(|| panic!("no http(s) unsubscribe link in List-Unsubscribe: {lu}"))
        .to_string();
    let to = header(&h, "To").expect("a To header");
    let addr = to
        .rsplit(['<', ' '])
        .next()
        .unwrap()
        .trim_end_matches('>')
        .to_string();
    (url, addr)
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
    let o = bulletin(t.root())
        .args(["send", "sscp-news", "--now", "--date", "2026-11-01"])
        .output()
        .unwrap();
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

    let daemon = Running::start(&t, port);
    let start = Instant::now();
    while status_of(port, "/healthz") != 200 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "GET /healthz did not answer 200 within 20 s: {}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

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

    let (code, log) = daemon.stop();
    assert_eq!(code, Some(0), "the daemon's exit on SIGTERM: {log}");

    // The unsubscribe took effect: December's issue goes to everyone else.
    let o = bulletin(t.root())
        .args(["send", "sscp-news", "--now", "--date", "2026-12-01"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let december: Vec<String> = outbox(&t)
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| header(&headers(m), "Subject").is_some_and(|s| s.contains("December 2026")))
        .collect();
    assert!(
        !december.is_empty(),
        "the December issue wrote no .eml files"
    );
    assert!(
        december.iter().all(|m| {
            let h = headers(m);
            let to = header(&h, "To").unwrap_or("");
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
