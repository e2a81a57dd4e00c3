//! Shared helpers for integration tests: small project trees in temporary folders.
#![allow(dead_code)]

pub mod bounce;
pub mod clock;
pub mod daemon;
pub mod desk;
pub mod email;
pub mod http;
pub mod imap;
pub mod pg;
pub mod smtp;
pub mod tmpfs;

use std::path::{Path, PathBuf};
use std::process::Output;

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

/// The schedule line of [`BULLETIN_TOML`], which [`Tree::schedule`] replaces.
const MINIMAL_SCHEDULE: &str = "schedule = \"0 9 1 * *\"";

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

    /// Put these addresses (and no others) on the `all` list, inline in its TOML file.
    pub fn members<S: AsRef<str>>(&self, emails: impl IntoIterator<Item = S>) {
        let mut list = String::from("name = \"Everyone\"\n");
        for m in emails {
            list.push_str(&format!("[[member]]\nemail = \"{}\"\n", m.as_ref()));
        }
        self.write("config/lists/all.toml", &list);
    }

    /// Put these CSV rows (`email,name,agency`) on the `all` list, through `members_csv`, as
    /// large lists are kept.
    pub fn members_csv(&self, rows: impl IntoIterator<Item = String>) {
        let mut csv = String::from("email,name,agency\n");
        for row in rows {
            csv.push_str(&row);
            csv.push('\n');
        }
        self.write("config/lists/all.csv", &csv);
        self.write(
            "config/lists/all.toml",
            "name = \"Everyone\"\nmembers_csv = \"all.csv\"\n",
        );
    }

    /// `n` distinct readers (`reader{i}@agency{i % 13}.example`) on the `all` list, through a
    /// members CSV: the large list that long sends and crash tests use.
    pub fn readers(&self, n: usize) {
        self.members_csv(
            (0..n).map(|i| format!("reader{i}@agency{}.example,Reader {i},Agency", i % 13)),
        );
    }

    /// Add TOML (whole sections, e.g. `[transport]`) at the end of `config/bulletin.toml`.
    pub fn append_config(&self, toml: &str) {
        let settings = std::fs::read_to_string(self.config()).unwrap();
        self.write("config/bulletin.toml", &format!("{settings}\n{toml}\n"));
    }

    /// Replace the minimal tree's schedule (09:00 on the 1st) with `cron`.
    pub fn schedule(&self, cron: &str) {
        self.schedule_with(cron, "");
    }

    /// [`Tree::schedule`], with `bulletin_lines` (e.g. `approval = "editors"`) added to the
    /// bulletin's table.
    pub fn schedule_with(&self, cron: &str, bulletin_lines: &str) {
        let settings = std::fs::read_to_string(self.config()).unwrap();
        assert!(
            settings.contains(MINIMAL_SCHEDULE),
            "schedule() rewrites the minimal tree's schedule, which this tree does not have"
        );
        self.write(
            "config/bulletin.toml",
            &settings.replace(
                MINIMAL_SCHEDULE,
                &format!("schedule = \"{cron}\"\n{bulletin_lines}"),
            ),
        );
    }

    /// Make the bulletin fire every day at the UK minute `minutes_ago` minutes before the real
    /// now: a daemon started next has that fire to catch up (or to judge too late).
    pub fn fire_daily_minutes_ago(&self, minutes_ago: i64) {
        use chrono::Timelike;
        #[allow(clippy::disallowed_methods)] // the daemon under test runs on the real clock
        let at = (Utc::now() - chrono::Duration::minutes(minutes_ago))
            .with_timezone(&chrono_tz::Europe::London);
        self.schedule(&format!("{} {} * * *", at.minute(), at.hour()));
    }

    /// The messages in the outbox (`*.eml`), sorted by file name; none if there is no outbox.
    pub fn outbox(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("outbox"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config/bulletin.toml")
    }

    /// The ledger the daemon creates when it first starts (at the default place): commands
    /// that only read a ledger or add to it never create one.
    pub fn create_ledger(&self) {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            bulletin::store::Store::open(&bulletin::config::DatabaseUrl::Sqlite(
                self.root().join("data/bulletin.db"),
            ))
            .await
            .unwrap();
        });
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

/// Poll `f` every 50 ms until it holds; whether it did within `within`. What a test waits for
/// (a log line, a file, a row) is the condition, never a guess at how long it takes: `within`
/// is generous, and the test goes on as soon as it holds.
pub fn wait_until(within: std::time::Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        if f() {
            return true;
        }
        if start.elapsed() >= within {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The unsubscribe-link signer of rendering tests (key `k1`, a fixed secret).
pub fn signer() -> bulletin::token::Signer {
    bulletin::token::Signer::new(
        "k1",
        bulletin::secret::Secret::new("test-secret-test-secret-test-secret"),
    )
}

/// A date written `YYYY-MM-DD` in a test.
pub fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// `bulletin ARGS` in the tree, whatever its exit: its output.
pub fn run(t: &Tree, args: &[&str]) -> Output {
    bulletin(t.root()).args(args).output().unwrap()
}

/// [`run`] with the environment variables `env` set (the unsubscribe secret, a log level).
pub fn run_env(t: &Tree, env: &[(&str, &str)], args: &[&str]) -> Output {
    bulletin(t.root())
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

/// The sample tree's `sscp-news` issue of `date`, sent now and off its schedule (to the
/// sample's outbox), whatever its exit: its output.
pub fn send_sample(t: &Tree, date: &str) -> Output {
    let args = [
        "send",
        "sscp-news",
        "--now",
        "--date",
        date,
        "--unscheduled",
    ];
    bulletin(t.root()).args(args).output().unwrap()
}

/// What a command said (exit status and both streams), for the message of a failed assertion.
pub fn say(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A command's standard output, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A command's standard error (its log and its complaints), as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The standard output of `o`, which must have exited 0 (else the test fails showing both
/// streams).
pub fn ok(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "{}", say(o));
    stdout(o)
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

/// `bulletin status --format json` run by `cmd` (a [`bulletin`] command with the environment
/// the test needs), which must succeed: the ledger as the operator sees it.
pub fn status_json(cmd: &mut std::process::Command) -> serde_json::Value {
    serde_json::from_str(&succeed(cmd.args(["status", "--format", "json"])))
        .expect("status prints one JSON document")
}

/// `bulletin status ISSUE --recipients` as JSON (one row a recipient), which must succeed.
pub fn recipients(t: &Tree, issue: &str) -> Vec<serde_json::Value> {
    let args = ["status", issue, "--recipients", "--format", "json"];
    serde_json::from_str(&succeed(bulletin(t.root()).args(args))).unwrap()
}

/// Run `cmd`, which must exit 0 (else the test fails showing both streams): its stdout.
pub fn succeed(cmd: &mut std::process::Command) -> String {
    let o = cmd.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{cmd:?} failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

/// Run an independent checker (a Python script of this repository, path relative to its root) on
/// `contents` saved as `file_name`; the JSON it prints. Fails the test if the script does.
pub fn python_json(script: &str, file_name: &str, contents: &[u8]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file_name);
    std::fs::write(&path, contents).unwrap();
    let out = std::process::Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(script))
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{script} failed (scripts/test installs the Python packages it needs):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{script} printed no JSON ({e})"))
}

/// End a child process the way an operator would: SIGTERM (a clean exit, so it releases locks
/// and flushes logs), then SIGKILL if it is still there after `grace`; reaped either way.
/// For `Drop` of the servers and daemons tests start (std's `Child::kill` is SIGKILL only).
pub fn terminate(child: &mut std::process::Child, grace: std::time::Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(std::process::Stdio::null())
        .status();
    if wait_until(grace, || matches!(child.try_wait(), Ok(Some(_)))) {
        return;
    }
    let _ = child.kill();
    let _ = child.wait();
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
    // Who the operator is (`approve` records it, and refuses without it), whatever the
    // machine running the tests sets; a test of its absence removes it.
    c.env("USER", "tester");
    // Daemons started by tests listen on a port of the kernel's choosing, so parallel tests
    // never collide (a test that needs a known port sets BULLETIN_WEB_BIND itself).
    c.env("BULLETIN_WEB_BIND", "127.0.0.1:0");
    c
}
