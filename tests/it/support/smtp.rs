//! Real SMTP servers for delivery tests, one process per test on its own loopback port, ended on
//! drop: Postfix's `smtp-sink` (fast; fault injection with `-r`/`-f`/`-q`/`-Q`; dumps each message)
//! and `tests/it/support/smtp_server.py` (aiosmtpd: STARTTLS, implicit TLS, AUTH, per-recipient
//! refusals and a log of whether each step was encrypted). `scripts/install-test-deps` installs
//! both.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

const SMTP_SINK: &str = "/usr/sbin/smtp-sink";
const INSTALL_HINT: &str = "run scripts/install-test-deps (as root) to install it";

/// A port on 127.0.0.1 that was free a moment ago (bind port 0, read it, let it go).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Whether this process runs with effective uid 0 (`smtp-sink` then needs `-u nobody`).
fn running_as_root() -> bool {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("Uid:"))
    {
        // Uid: real effective saved filesystem
        return line.split_whitespace().nth(2) == Some("0");
    }
    std::env::var("USER").is_ok_and(|u| u == "root")
}

/// One message as `smtp-sink -d` dumped it. `smtp-sink` writes the file when the client's
/// final `.` arrives, before it replies, so once the client has its reply the file is complete.
#[derive(Debug, Clone)]
pub struct SinkMessage {
    /// The EHLO/HELO argument (`X-Helo-Args`), if the client sent one.
    pub helo: Option<String>,
    /// The MAIL FROM address without angle brackets (`<>` gives ""), from `X-Mail-Args`.
    pub mail_from: String,
    /// The MAIL FROM arguments as sent, e.g. `<a@b.example> BODY=8BITMIME`.
    pub mail_args: String,
    /// Each RCPT TO address without angle brackets, in the order sent (`X-Rcpt-Args`).
    pub rcpt_to: Vec<String>,
    /// The message (headers and body) as received after DATA, dot-stuffing undone, but with
    /// every line ended by a bare LF: `smtp-sink` turns CRLF into LF and *drops* a bare CR.
    /// Byte-exact checks (CRLF, bare CR/LF) need [`TestSmtpServer`] instead.
    pub data: Vec<u8>,
    /// The dump file it came from.
    pub file: PathBuf,
}

/// Postfix's `smtp-sink` on a free port of 127.0.0.1.
///
/// The dump (`-d DIR/msg.`; `smtp-sink` appends a random 8-hex-digit id and picks another on a
/// clash, so no dump overwrites another) holds one file per mail
/// transaction whose data ended with `.`, whatever the reply: with `-f .`, `-r .`, `-q .` or
/// `-Q .` a refused message is still dumped. A transaction cut off mid-DATA, or reset, leaves no
/// file. A dump file reads (LF line ends):
///
/// ```text
/// X-Client-Addr: 127.0.0.1
/// X-Client-Proto: ESMTP
/// X-Helo-Args: client.example          (only if EHLO/HELO was sent)
/// X-Mail-Args: <from@x.example> BODY=8BITMIME
/// X-Rcpt-Args: <to@y.example>          (one per RCPT TO, in order)
/// Received: from client.example ([127.0.0.1])
/// <TAB>by smtp-sink (smtp-sink) with ESMTP id 5a36d301;
/// <TAB>Mon, 23 Nov 2026 14:34:42 +0000 (UTC)
/// <the message as received, CRLF -> LF, bare CR dropped, dots unstuffed>
/// <one empty line added by smtp-sink>
/// ```
///
/// Other behaviour worth knowing: it accepts any `AUTH PLAIN`/`LOGIN` (`-a` stops advertising
/// it), offers no STARTTLS, `-f`/`-r` refuse *every* such command (`500 5.3.0` / `450 4.3.0`,
/// not per recipient), `-Q` answers `421` and disconnects, `-q` disconnects without a word.
pub struct SmtpSink {
    pub port: u16,
    pub dump_dir: tempfile::TempDir,
    child: Child,
}

impl SmtpSink {
    /// Starts `smtp-sink` dumping every message to `dump_dir`; `extra_args` go before the address
    /// (fault injection: `&["-r", "rcpt"]`, `&["-Q", "."]`, ...). Returns once it accepts
    /// connections; panics with the reason if it cannot start.
    pub fn start(extra_args: &[&str]) -> SmtpSink {
        SmtpSink::spawn(None, extra_args, true)
    }

    /// Like [`SmtpSink::start`] on a port chosen earlier (a relay that comes back where the
    /// client was already pointed, e.g. `free_port()` with nothing listening until now). Panics
    /// if that port is taken meanwhile.
    pub fn start_on(port: u16, extra_args: &[&str]) -> SmtpSink {
        SmtpSink::spawn(Some(port), extra_args, true)
    }

    /// Like [`SmtpSink::start`] but throws every message away (no dump): the fastest peer.
    pub fn discard(extra_args: &[&str]) -> SmtpSink {
        SmtpSink::spawn(None, extra_args, false)
    }

    fn spawn(fixed_port: Option<u16>, extra_args: &[&str], dump: bool) -> SmtpSink {
        if !Path::new(SMTP_SINK).exists() {
            panic!("{SMTP_SINK} is missing (Debian package postfix): {INSTALL_HINT}");
        }
        let root = running_as_root();
        let dump_dir = tempfile::tempdir().expect("tempdir for smtp-sink");
        if root {
            // smtp-sink drops to `nobody` before it writes any dump file.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dump_dir.path(), std::fs::Permissions::from_mode(0o777))
                .expect("chmod smtp-sink dump dir");
        }
        let stderr_path = dump_dir.path().join("smtp-sink.stderr");
        // A free port can be taken again before smtp-sink binds it: then it exits, and we retry.
        let mut last_error = String::new();
        let attempts = if fixed_port.is_some() { 1 } else { 5 };
        for _attempt in 0..attempts {
            let port = fixed_port.unwrap_or_else(free_port);
            let mut cmd = Command::new(SMTP_SINK);
            if root {
                cmd.args(["-u", "nobody"]);
            }
            if dump {
                cmd.arg("-d").arg(dump_dir.path().join("msg."));
            }
            cmd.args(extra_args)
                .arg(format!("127.0.0.1:{port}"))
                .arg("256")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&stderr_path).expect("smtp-sink stderr file"));
            let mut child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {SMTP_SINK}: {e}; {INSTALL_HINT}"));
            match wait_listening(&mut child, port, Duration::from_secs(5)) {
                Ok(()) => {
                    return SmtpSink {
                        port,
                        dump_dir,
                        child,
                    };
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                    last_error = format!("{e}; its stderr: {}", stderr.trim());
                    if !stderr.contains("in use") {
                        break;
                    }
                }
            }
        }
        panic!("smtp-sink did not start: {last_error}");
    }

    /// Every dumped message (the data only, LF line ends: see [`SinkMessage::data`]), oldest
    /// first.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.transactions().into_iter().map(|m| m.data).collect()
    }

    /// Every dumped message with its envelope, oldest first (by the dump file's mtime). Only
    /// complete dumps: a transaction still in progress has an empty (or partly flushed) file
    /// without the `Received:` block and is left out.
    pub fn transactions(&self) -> Vec<SinkMessage> {
        let mut files: Vec<(SystemTime, PathBuf)> = self
            .dump_files()
            .into_iter()
            .map(|p| {
                let t = std::fs::metadata(&p)
                    .and_then(|m| m.modified())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                (t, p)
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, p)| {
                let raw = std::fs::read(&p).ok()?;
                parse_sink_dump(&raw, p)
            })
            .collect()
    }

    /// How many copies each envelope recipient (lower-cased) got: "exactly one each" is the
    /// delivery promise these tests check.
    pub fn copies(&self) -> std::collections::BTreeMap<String, usize> {
        let mut m = std::collections::BTreeMap::new();
        for tx in self.transactions() {
            for r in &tx.rcpt_to {
                *m.entry(r.to_lowercase()).or_insert(0) += 1;
            }
        }
        m
    }

    /// How many messages were dumped so far (non-empty dump files; see [`SmtpSink`] for what
    /// counts as dumped).
    pub fn count(&self) -> usize {
        self.dump_files()
            .iter()
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
            .count()
    }

    /// Polls [`SmtpSink::count`] until it reaches `n` or `timeout` passes; returns the last count.
    pub fn wait_for_count(&self, n: usize, timeout: Duration) -> usize {
        super::wait_until(timeout, || self.count() >= n);
        self.count()
    }

    /// `smtp-sink`'s stderr so far (it complains there, e.g. about a bad option).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dump_dir.path().join("smtp-sink.stderr")).unwrap_or_default()
    }

    fn dump_files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dump_dir.path())
            .expect("read smtp-sink dump dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("msg."))
            .map(|e| e.path())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Splits a `smtp-sink` dump into envelope and data; `None` for an incomplete file.
fn parse_sink_dump(raw: &[u8], file: PathBuf) -> Option<SinkMessage> {
    let mut helo = None;
    let mut mail_args = None;
    let mut rcpt_to = Vec::new();
    let mut pos = 0;
    loop {
        let end = pos + raw[pos..].iter().position(|&b| b == b'\n')?;
        let line = String::from_utf8_lossy(&raw[pos..end]).into_owned();
        pos = end + 1;
        if let Some(v) = line.strip_prefix("X-Helo-Args: ") {
            helo = Some(v.to_string());
        } else if let Some(v) = line.strip_prefix("X-Mail-Args: ") {
            mail_args = Some(v.to_string());
        } else if let Some(v) = line.strip_prefix("X-Rcpt-Args: ") {
            rcpt_to.push(angle_address(v));
        } else if line.starts_with("Received: ") {
            // Three lines: "Received: from ...", "\tby smtp-sink ...;", "\t<date>".
            for _ in 0..2 {
                pos += raw[pos..].iter().position(|&b| b == b'\n')? + 1;
            }
            break;
        }
    }
    let mut data = raw[pos..].to_vec();
    // smtp-sink ends every dump with one empty line of its own.
    if data.ends_with(b"\n") {
        data.pop();
    }
    let mail_args = mail_args?;
    Some(SinkMessage {
        helo,
        mail_from: angle_address(&mail_args),
        mail_args,
        rcpt_to,
        data,
        file,
    })
}

/// `<a@b.example> NOTIFY=NEVER` -> `a@b.example`.
fn angle_address(args: &str) -> String {
    let first = args.split_whitespace().next().unwrap_or("");
    first
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(first)
        .to_string()
}

/// Waits until `child` itself listens on 127.0.0.1:`port` (not some other process that got the
/// same port) and a connection is accepted.
fn wait_listening(child: &mut Child, port: u16, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "it exited ({status}) before listening on port {port}"
            ));
        }
        let ours = listener_owned_by(child.id(), port);
        if ours != Some(false)
            && TcpStream::connect_timeout(
                &(Ipv4Addr::LOCALHOST, port).into(),
                Duration::from_millis(200),
            )
            .is_ok()
        {
            // Without /proc to tell (None), make sure it did not die right after someone else's
            // listener answered.
            std::thread::sleep(Duration::from_millis(if ours.is_none() { 100 } else { 0 }));
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("it exited ({status}) on port {port}"));
            }
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "not listening on 127.0.0.1:{port} after {timeout:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` holds the socket listening on 127.0.0.1:`port`, from /proc/net/tcp and
/// /proc/PID/fd; `None` when /proc cannot tell.
fn listener_owned_by(pid: u32, port: u16) -> Option<bool> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let local = format!("0100007F:{port:04X}");
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
            (f.len() > 9 && f[1] == local && f[3] == "0A").then(|| f[9].to_string())
        })
        .collect();
    if inodes.is_empty() {
        return Some(false);
    }
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    let mut any = false;
    for fd in fds.flatten() {
        any = true;
        if let Ok(target) = std::fs::read_link(fd.path()) {
            let t = target.to_string_lossy();
            if inodes.iter().any(|i| t == format!("socket:[{i}]")) {
                return Some(true);
            }
        }
    }
    if any { Some(false) } else { None }
}

/// `tests/it/support/smtp_server.py` (aiosmtpd) on a port of its own choosing on 127.0.0.1; see that
/// file for every option, the replies and the log format. `dir` holds `1.eml`, `2.eml`, ... (the
/// exact bytes received after DATA: CRLF kept, dots unstuffed), `log.jsonl`, and with TLS the
/// CA certificate `ca.pem` (also in `ca_pem`) a client must trust; the server certificate is
/// for `localhost` and `127.0.0.1`.
pub struct TestSmtpServer {
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub ca_pem: Option<PathBuf>,
    child: Child,
}

impl TestSmtpServer {
    /// Starts the server with `args` (`--starttls`, `--auth user:pass`, `--reject-rcpt bounce`,
    /// ...; not `--port`/`--dir`/`--tls-ca-out`, which this sets). Returns once it has printed
    /// `READY`; panics with its stderr if it does not within 10 s.
    pub fn start(args: &[&str]) -> TestSmtpServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/smtp_server.py");
        let dir = tempfile::tempdir().expect("tempdir for smtp_server.py");
        let tls = args
            .iter()
            .any(|a| *a == "--starttls" || *a == "--implicit-tls");
        let ca_pem = tls.then(|| dir.path().join("ca.pem"));
        let stderr_path = dir.path().join("server.stderr");
        let mut cmd = Command::new("python3");
        // Port 0: the server binds a free port itself and reports it, so no other test can take
        // it in between.
        cmd.arg(&script)
            .args(["--port", "0", "--dir"])
            .arg(dir.path());
        if let Some(ca) = &ca_pem {
            cmd.arg("--tls-ca-out").arg(ca);
        }
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).expect("smtp_server.py stderr file"));
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run python3 ({e}): {INSTALL_HINT}"));

        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout);
            let mut first = String::new();
            let _ = lines.read_line(&mut first);
            let _ = tx.send(first);
            // Keep draining so the server can never block on a full pipe.
            let _ = std::io::copy(&mut lines, &mut std::io::sink());
        });
        let ready = rx.recv_timeout(Duration::from_secs(10));
        let port = ready
            .as_deref()
            .ok()
            .and_then(|l| l.trim().strip_prefix("READY "))
            .and_then(|p| p.parse::<u16>().ok());
        match port {
            Some(port) => TestSmtpServer {
                port,
                dir,
                ca_pem,
                child,
            },
            None => {
                let _ = child.kill();
                let status = child.wait();
                let mut stderr = String::new();
                if let Ok(mut f) = std::fs::File::open(&stderr_path) {
                    let _ = f.read_to_string(&mut stderr);
                }
                let hint = if stderr.contains("aiosmtpd") || stderr.contains("trustme") {
                    format!(" ({INSTALL_HINT})")
                } else {
                    String::new()
                };
                panic!(
                    "smtp_server.py {args:?} did not print READY within 10 s (got {ready:?}, \
                     exit {status:?}){hint}; its stderr:\n{stderr}"
                );
            }
        }
    }

    /// The accepted messages, `1.eml`, `2.eml`, ... in order, byte for byte.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut numbered: Vec<(u64, PathBuf)> = std::fs::read_dir(self.dir.path())
            .expect("read smtp_server.py dir")
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let n = name.strip_suffix(".eml")?.parse().ok()?;
                Some((n, e.path()))
            })
            .collect();
        numbered.sort();
        numbered
            .into_iter()
            .map(|(_, p)| std::fs::read(p).expect("read .eml"))
            .collect()
    }

    /// Every line of `log.jsonl` so far: `{"event": ..., "tls": bool, "detail": {...}}`.
    pub fn log(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir.path().join("log.jsonl")).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The events of one kind (`"auth"`, `"mail"`, `"rcpt"`, `"data"`, `"reject"`, ...).
    pub fn events(&self, event: &str) -> Vec<serde_json::Value> {
        self.log()
            .into_iter()
            .filter(|e| e["event"] == event)
            .collect()
    }

    /// The server's stderr so far (Python warnings and tracebacks).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.stderr")).unwrap_or_default()
    }
}

impl Drop for TestSmtpServer {
    fn drop(&mut self) {
        super::terminate(&mut self.child, Duration::from_secs(5));
    }
}
