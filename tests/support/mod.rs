//! Shared helpers for integration tests: small project trees in temporary folders.
#![allow(dead_code)]

pub mod daemon;
pub mod email;
pub mod imap;
pub mod pg;
pub mod smtp;

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};

pub const BULLETIN_TOML: &str = r#"[organisation]
name = "Test Partnership"
from = "Test News <news@test.example>"
postal_address = "1 High Street, Town, AB1 2CD"
website = "https://test.example"

[[section]]
id = "partnership"
title = "Partnership news"

[[bulletin]]
id = "news"
subject = "News: {month} {year}"
schedule = "0 9 1 * *"
lists = ["all"]
sections = ["partnership", "campaigns", "worried"]
"#;

pub const LIST_TOML: &str = r#"name = "Everyone"
[[member]]
email = "a@x.example"
name = "A Person"
"#;

pub const CAMPAIGN_TOML: &str = r#"title = "A week"
summary = "About the week."
[[when]]
dates = { from = 2026-11-16, to = 2026-11-20 }
"#;

pub const NEWS_MD: &str =
    "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 2026-11-01\n+++\nBody.\n";

pub const BLOCK_MD: &str = "+++\ntitle = \"Worried about a child?\"\n+++\nCall 999.\n";

/// A valid minimal project in a temporary folder.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn minimal() -> Tree {
        let t = Tree {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        t.write("config/bulletin.toml", BULLETIN_TOML);
        t.write("config/lists/all.toml", LIST_TOML);
        t.write("campaigns/week.toml", CAMPAIGN_TOML);
        t.write("news/item.md", NEWS_MD);
        t.write("templates/blocks/worried.md", BLOCK_MD);
        t
    }

    /// A copy of the repository's sample tree.
    pub fn sample() -> Tree {
        let t = Tree {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        let src = Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in ["config", "campaigns", "news", "templates"] {
            copy_dir(&src.join(dir), &t.dir.path().join(dir));
        }
        t
    }

    /// Moves every `[[bulletin]]` schedule to a day of the month at least ten days from today,
    /// so a daemon started on the real clock neither catches up nor proofs an issue by itself:
    /// web tests send the issues they look at explicitly, whatever today's date is.
    #[allow(clippy::disallowed_methods)] // the real clock the daemon under test reads
    pub fn quiet_schedule(&self) {
        use chrono::Datelike;
        let today = chrono::Utc::now().date_naive().day();
        let day = (today + 13) % 28 + 1;
        let text = std::fs::read_to_string(self.config()).unwrap();
        let quiet = text
            .lines()
            .map(|line| {
                if line.trim_start().starts_with("schedule =") {
                    format!("schedule = \"0 9 {day} * *\"")
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(self.config(), quiet + "\n").unwrap();
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config/bulletin.toml")
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.dir.path().join(rel)).unwrap();
    }

    /// Load with no environment overrides at a fixed "now" (23 Nov 2026, 12:00 UTC).
    pub fn load(&self) -> bulletin::config::Loaded {
        self.load_with(bulletin::config::Env::empty())
    }

    pub fn load_with(&self, env: bulletin::config::Env) -> bulletin::config::Loaded {
        bulletin::load::load(&self.config(), &env, now())
    }

    /// Every diagnostic as `check` prints it, paths relative to the tree.
    pub fn diagnostics(&self) -> Vec<String> {
        self.diagnostics_with(bulletin::config::Env::empty())
    }

    pub fn diagnostics_with(&self, env: bulletin::config::Env) -> Vec<String> {
        self.load_with(env)
            .diagnostics
            .relative_to(self.root())
            .iter()
            .map(|d| d.to_string())
            .collect()
    }
}

pub fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// The built binary, run in `dir` with a clean `BULLETIN_*` environment.
pub fn bulletin(dir: &Path) -> std::process::Command {
    bulletin_env(
        std::process::Command::new(env!("CARGO_BIN_EXE_bulletin")),
        dir,
    )
}

/// Like [`bulletin`], started through `sh` under the given `umask` (e.g. "000"), to show that
/// file modes do not depend on it. Arguments added to the command go to the binary.
pub fn bulletin_with_umask(dir: &Path, umask: &str) -> std::process::Command {
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_bulletin"));
    bulletin_env(c, dir)
}

fn bulletin_env(mut c: std::process::Command, dir: &Path) -> std::process::Command {
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("BULLETIN_") {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "warn");
    // Daemons started by tests listen on a port of the kernel's choosing, so parallel tests
    // never collide (a test that needs a known port sets BULLETIN_WEB_BIND itself).
    c.env("BULLETIN_WEB_BIND", "127.0.0.1:0");
    c
}
