//! The real daemon (`bulletin run`) as a child process, the one way every test binary starts it:
//! its log collected line by line (for waiting on what it says and for failure messages), its web
//! server reached with plain HTTP/1.1 ([`super::http`]), and ended when dropped (SIGTERM, then
//! SIGKILL), so a failing test never leaves a daemon holding the ledger's lock.
//!
//! ```ignore
//! let d = Daemon::start(&t, port);                   // web tests: healthy, with the admin token
//! let d = Daemon::builder(&t).env(K, V).spawn();     // scheduler tests: started, not waited for
//! assert!(d.wait_for_log("running", Duration::from_secs(10)), "{}", d.log());
//! let exit = d.stop();                               // SIGTERM: exit code, time taken, log
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::{Tree, http};

/// The admin token [`Builder::admin_token`] gives the daemon.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// How the daemon is started; see [`Daemon::builder`].
pub struct Builder<'a> {
    tree: &'a Tree,
    port: Option<u16>,
    env: Vec<(String, String)>,
    nofile: Option<u32>,
}

impl Builder<'_> {
    /// Listen on this port of 127.0.0.1 (the tree's `public_url` should name it). Without it the
    /// kernel picks a free port, which [`Daemon::port`] reads from the daemon's start-up line.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// An environment variable for the daemon (a database URL, a secret).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Give the daemon [`ADMIN_TOKEN`], so the admin pages answer [`Daemon::admin_get`].
    pub fn admin_token(self) -> Self {
        self.env("BULLETIN_ADMIN_TOKEN", ADMIN_TOKEN)
    }

    /// Run the daemon under this file-descriptor limit (`ulimit -n`), for resource-exhaustion
    /// tests.
    pub fn nofile(mut self, n: u32) -> Self {
        self.nofile = Some(n);
        self
    }

    /// Start the daemon and return at once: for tests that wait on its log or its outbox.
    pub fn spawn(self) -> Daemon {
        let mut cmd = super::bulletin(self.tree.root());
        cmd.env("RUST_LOG", "info");
        if let Some(port) = self.port {
            cmd.env("BULLETIN_WEB_BIND", format!("127.0.0.1:{port}"));
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut cmd = match self.nofile {
            None => {
                cmd.arg("run");
                cmd
            }
            Some(n) => under_fd_limit(&cmd, n),
        };
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start bulletin run");
        let log = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let port = OnceLock::new();
        if let Some(p) = self.port {
            port.set(p).unwrap();
        }
        Daemon {
            child,
            port,
            log,
            reader,
            exited: false,
        }
    }

    /// Start the daemon and wait until `/healthz` answers 200 with a last pass, that is until
    /// the web server is up, the ledger open and the scheduler has finished its first pass: for
    /// web tests, which then see a settled daemon.
    pub fn start(self) -> Daemon {
        let d = self.spawn();
        assert!(
            d.wait_first_pass(Duration::from_secs(20)),
            "GET /healthz did not answer 200 after a first pass within 20 s: {}",
            d.log()
        );
        d
    }
}

/// `cmd` (a `bulletin` command with its environment) run as `bulletin run` through `sh` after
/// `ulimit -n n`.
fn under_fd_limit(cmd: &Command, n: u32) -> Command {
    let mut sh = Command::new("sh");
    sh.args(["-c", &format!("ulimit -n {n} && exec \"$BIN\" run")])
        .env("BIN", cmd.get_program());
    if let Some(dir) = cmd.get_current_dir() {
        sh.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh
}

/// A running `bulletin run`.
pub struct Daemon {
    child: Child,
    port: OnceLock<u16>,
    log: Arc<Mutex<String>>,
    /// The thread that copies the daemon's stderr into `log`; it ends when the daemon's stderr
    /// closes, so everything the daemon said last is in `log` once it has.
    reader: std::thread::JoinHandle<()>,
    /// Set once the child has been reaped, so its pid (maybe reused) is never signalled again.
    exited: bool,
}

/// How a daemon ended after [`Daemon::stop`].
#[derive(Debug)]
pub struct Exit {
    /// From SIGTERM to exit.
    pub took: Duration,
    pub code: Option<i32>,
    pub log: String,
}

impl Daemon {
    /// How to start a daemon in `t`; see [`Builder`].
    pub fn builder(t: &Tree) -> Builder<'_> {
        Builder {
            tree: t,
            port: None,
            env: Vec::new(),
            nofile: None,
        }
    }

    /// A web daemon on `port` with the admin token, serving before this returns.
    pub fn start(t: &Tree, port: u16) -> Daemon {
        Self::builder(t).port(port).admin_token().start()
    }

    /// [`Daemon::start`] with extra environment variables (a PostgreSQL URL, a secret).
    pub fn start_with(t: &Tree, port: u16, env: &[(&str, &str)]) -> Daemon {
        env.iter()
            .fold(Self::builder(t).port(port).admin_token(), |b, (k, v)| {
                b.env(k, v)
            })
            .start()
    }

    /// Everything the daemon has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Wait until `/healthz` answers 200 with a last pass: the scheduler has finished a whole
    /// pass (fires, then deliveries), so whatever that pass was going to send is sent.
    pub fn wait_first_pass(&self, within: Duration) -> bool {
        wait_until(within, || {
            let (code, _, body) = self.get("/healthz");
            code == 200 && !body.contains("last pass: none yet")
        })
    }

    /// Wait until the log contains `what`; whether it did within `within`.
    pub fn wait_for_log(&self, what: &str, within: Duration) -> bool {
        wait_until(within, || self.log().contains(what))
    }

    /// The port of the web server: the one it was given, or the one in its start-up line.
    pub fn port(&self) -> u16 {
        *self.port.get_or_init(|| {
            let mut port = None;
            wait_until(Duration::from_secs(20), || {
                port = self
                    .log()
                    .split("listening on http://127.0.0.1:")
                    .nth(1)
                    .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|p| p.parse().ok());
                port.is_some()
            });
            port.unwrap_or_else(|| panic!("no web port in the log: {}", self.log()))
        })
    }

    /// Send a signal by name (`TERM`, `HUP`, ...).
    pub fn signal(&self, sig: &str) {
        assert!(!self.exited, "signal {sig} to a daemon that has exited");
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "could not send SIG{sig} to the daemon");
    }

    /// SIGTERM, then wait (at most 40 s) for it to exit.
    pub fn stop(self) -> Exit {
        let start = Instant::now();
        self.signal("TERM");
        self.exited_since(start)
    }

    /// Wait (at most 40 s) for a daemon already sent SIGTERM to exit: to stop several at once,
    /// signal each, then wait for each.
    pub fn wait_exit(self) -> Exit {
        self.exited_since(Instant::now())
    }

    fn exited_since(mut self, start: Instant) -> Exit {
        let mut status = None;
        let limit = Duration::from_secs(40).saturating_sub(start.elapsed());
        let exited = wait_until(limit, || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        assert!(exited, "the daemon did not stop on SIGTERM: {}", self.log());
        let took = start.elapsed();
        self.exited = true;
        // What the daemon said last: its stderr is closed, so the log reader drains and ends.
        wait_until(Duration::from_secs(5), || self.reader.is_finished());
        Exit {
            took,
            code: status.and_then(|s| s.code()),
            log: self.log(),
        }
    }

    /// SIGKILL, as a power cut or the OOM killer would, and reap it.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.exited = true;
    }

    /// One HTTP/1.1 request to the daemon's web server; see [`http::request`].
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> http::Response {
        http::request(self.port(), method, path, headers, body)
    }

    /// Raw bytes to the web server, read until it closes or `wait` passes; see [`http::raw`].
    pub fn raw(&self, raw: &[u8], wait: Duration) -> http::Response {
        http::raw(self.port(), raw, wait)
    }

    pub fn get(&self, path: &str) -> http::Response {
        http::get(self.port(), path)
    }

    /// GET with the admin token.
    pub fn admin_get(&self, path: &str) -> http::Response {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        self.request("GET", path, &[("Authorization", &auth)], "")
    }

    pub fn post_form(&self, path: &str, body: &str) -> http::Response {
        http::post_form(self.port(), path, body)
    }
}

pub use super::wait_until;

impl Drop for Daemon {
    fn drop(&mut self) {
        if !self.exited {
            super::terminate(&mut self.child, Duration::from_secs(10));
        }
    }
}
