//! The real daemon (`bulletin run`) on a free port, with its log collected, and plain HTTP/1.1
//! requests to it. Ended (SIGTERM, then kill) when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::Tree;

pub struct WebDaemon {
    child: Child,
    pub port: u16,
    log: Arc<Mutex<String>>,
}

/// The admin token the helper gives every daemon.
pub const ADMIN_TOKEN: &str = "test-admin-token";

impl WebDaemon {
    /// Start `bulletin run` in `t` on `port` (its `public_url` should name the same port), and
    /// wait until `/healthz` answers.
    pub fn start(t: &Tree, port: u16) -> WebDaemon {
        Self::start_with(t, port, &[])
    }

    /// [`WebDaemon::start`] with extra environment variables (a PostgreSQL URL, a secret).
    pub fn start_with(t: &Tree, port: u16, env: &[(&str, &str)]) -> WebDaemon {
        let mut cmd = super::bulletin(t.root());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .arg("run")
            .env("RUST_LOG", "info")
            .env("BULLETIN_WEB_BIND", format!("127.0.0.1:{port}"))
            .env("BULLETIN_ADMIN_TOKEN", ADMIN_TOKEN)
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
        let d = WebDaemon { child, port, log };
        let start = Instant::now();
        while d.get("/healthz").0 == 0 {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the daemon's web server did not come up: {}",
                d.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        d
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Wait until the log contains `what`.
    pub fn wait_for_log(&self, what: &str, within: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < within {
            if self.log().contains(what) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// (status, headers lower-cased, body) of one HTTP/1.1 request.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String, String) {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return (0, String::new(), String::new());
        };
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, head.to_lowercase(), body.to_string())
    }

    pub fn get(&self, path: &str) -> (u16, String, String) {
        self.request("GET", path, &[], "")
    }

    /// GET with the admin token.
    pub fn admin_get(&self, path: &str) -> (u16, String, String) {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        self.request("GET", path, &[("Authorization", &auth)], "")
    }

    pub fn post_form(&self, path: &str, body: &str) -> (u16, String, String) {
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body,
        )
    }
}

impl Drop for WebDaemon {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
