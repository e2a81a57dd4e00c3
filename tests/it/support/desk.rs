//! The desk, signed in the way a person does it: a project with `[desk]` (editors and admins
//! lists) whose transport is a real SMTP sink, a daemon serving it, a link asked for, pulled
//! from the mail the sink received, and used; what comes back is the session cookie and its
//! CSRF token, for HTTP tests and for a browser (see [`Session::cookie_value`]).
//!
//! ```ignore
//! let desk = DeskSite::start();                       // `bulletin run`, real clock
//! let s = desk.sign_in(support::desk::EDITOR);
//! let (code, _, body) = s.get(&desk, "/desk/issue");
//! let (code, _, _) = s.post(&desk, "/desk/issue/news/proof", "");   // csrf added
//! ```
//!
//! Tests that move time use [`DeskSite::in_process`]: the same router and ledger, served in
//! this process on a real socket with a [`TestClock`].

use std::sync::Arc;
use std::time::Duration;

use super::clock::TestClock;
use super::daemon::Daemon;
use super::smtp::SmtpSink;
use super::{Tree, http, wait_until};

/// On the `editors` list: signs in as an editor.
pub const EDITOR: &str = "ed@x.example";
/// On the `admins` list (and the editors list): signs in as an admin.
pub const ADMIN: &str = "boss@x.example";
/// On no desk list (a reader of the bulletin).
pub const READER: &str = "a@x.example";
/// The unsubscribe secret the daemon is given (a real transport needs one).
pub const SECRET: &str = "desk-test-secret-desk-test-secret-0123";

/// A minimal tree with `[desk]` (editors and admins lists, plus `desk_extra` lines), mail going
/// to the SMTP sink on `smtp_port`.
pub fn tree(smtp_port: u16, desk_extra: &str) -> Tree {
    let t = Tree::minimal();
    t.quiet_schedule();
    t.write(
        "config/lists/editors.toml",
        &format!(
            "name = \"Editors\"\n[[member]]\nemail = \"{EDITOR}\"\nname = \"Eddie Editor\"\n[[member]]\nemail = \"{ADMIN}\"\nname = \"Bea Boss\"\n"
        ),
    );
    t.write(
        "config/lists/admins.toml",
        &format!("name = \"Admins\"\n[[member]]\nemail = \"{ADMIN}\"\nname = \"Bea Boss\"\n"),
    );
    t.append_config(&format!(
        "[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:{smtp_port}\"\ntls = \"none\"\nmax_per_minute = 0\nmax_per_day = 0\n\n[desk]\neditors = [\"editors\"]\nadmins = [\"admins\"]\n{desk_extra}\n"
    ));
    t
}

/// A signed-in browser: the cookie pair to send and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    /// `bulletin_desk=…`, for a `Cookie:` header.
    pub cookie: String,
    pub csrf: String,
}

impl Session {
    /// The cookie's value alone (for a browser's cookie jar, name `bulletin_desk`, path `/desk`).
    pub fn cookie_value(&self) -> &str {
        self.cookie.split_once('=').map_or("", |(_, v)| v)
    }

    pub fn get(&self, site: &DeskSite, path: &str) -> http::Response {
        http::request(site.port(), "GET", path, &[("Cookie", &self.cookie)], "")
    }

    /// A form POST with this session's cookie; `csrf=<token>` is added to `body`.
    pub fn post(&self, site: &DeskSite, path: &str, body: &str) -> http::Response {
        let body = if body.is_empty() {
            format!("csrf={}", self.csrf)
        } else {
            format!("csrf={}&{body}", self.csrf)
        };
        self.post_raw(site, path, &body)
    }

    /// A form POST with this session's cookie and exactly `body` (no CSRF token added).
    pub fn post_raw(&self, site: &DeskSite, path: &str, body: &str) -> http::Response {
        http::request(
            site.port(),
            "POST",
            path,
            &[
                ("Cookie", &self.cookie),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body,
        )
    }
}

/// Where the desk is served from.
enum Server {
    Daemon(Daemon),
    InProcess {
        port: u16,
        _rt: tokio::runtime::Runtime,
    },
}

/// A desk-enabled project served with its SMTP sink.
pub struct DeskSite {
    pub tree: Tree,
    pub sink: SmtpSink,
    server: Server,
}

impl DeskSite {
    /// `bulletin run` on a desk-enabled minimal tree, settled.
    pub fn start() -> DeskSite {
        Self::start_with("", |_| {})
    }

    /// [`DeskSite::start`] with extra `[desk]` lines and a chance to change the tree first.
    pub fn start_with(desk_extra: &str, prepare: impl FnOnce(&Tree)) -> DeskSite {
        let sink = SmtpSink::start(&[]);
        let tree = tree(sink.port, desk_extra);
        prepare(&tree);
        let daemon = Daemon::builder(&tree)
            .env("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)
            .admin_token()
            .start();
        DeskSite {
            tree,
            sink,
            server: Server::Daemon(daemon),
        }
    }

    /// The desk's router and ledger served in this process on `clock`, for tests that move
    /// time (link expiry, session timeouts).
    pub fn in_process(clock: Arc<TestClock>) -> DeskSite {
        Self::in_process_with(clock, "")
    }

    /// [`DeskSite::in_process`] with extra `[desk]` lines.
    pub fn in_process_with(clock: Arc<TestClock>, desk_extra: &str) -> DeskSite {
        let sink = SmtpSink::start(&[]);
        Self::in_process_tree(clock, tree(sink.port, desk_extra), sink)
    }

    /// The web server of `tree` (desk or not) in this process on `clock`.
    pub fn in_process_tree(clock: Arc<TestClock>, tree: Tree, sink: SmtpSink) -> DeskSite {
        Self::in_process_env(clock, tree, sink, &[])
    }

    /// [`DeskSite::in_process_tree`] with environment variables for the loader (e.g.
    /// `BULLETIN_DATABASE_URL` for a PostgreSQL ledger).
    pub fn in_process_env(
        clock: Arc<TestClock>,
        tree: Tree,
        sink: SmtpSink,
        vars: &[(&str, &str)],
    ) -> DeskSite {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let env = vars.iter().fold(
            bulletin::config::Env::empty().with("BULLETIN_UNSUBSCRIBE_SECRET", SECRET),
            |e, (k, v)| e.with(k, v),
        );
        let project = tree.load_with(env).project.expect("the desk tree loads");
        let port = rt.block_on(serve(project, clock));
        DeskSite {
            tree,
            sink,
            server: Server::InProcess { port, _rt: rt },
        }
    }

    pub fn port(&self) -> u16 {
        match &self.server {
            Server::Daemon(d) => d.port(),
            Server::InProcess { port, .. } => *port,
        }
    }

    /// The daemon, for tests that read its log (not for [`DeskSite::in_process`]).
    pub fn daemon(&self) -> &Daemon {
        match &self.server {
            Server::Daemon(d) => d,
            Server::InProcess { .. } => panic!("an in-process desk has no daemon"),
        }
    }

    pub fn get(&self, path: &str) -> http::Response {
        http::get(self.port(), path)
    }

    /// Ask for a sign-in link for `email`, as the sign-in form does.
    pub fn request_link(&self, email: &str) -> http::Response {
        http::post_form(self.port(), "/desk/sign-in", &format!("email={email}"))
    }

    /// The sign-in links mailed to `email` so far, each as its path (`/desk/sign-in/…`).
    pub fn links_to(&self, email: &str) -> Vec<String> {
        self.sink
            .transactions()
            .into_iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(email)))
            .filter_map(|m| {
                let text = String::from_utf8_lossy(&m.data).into_owned();
                let at = text.find("/desk/sign-in/")?;
                let path: String = text[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                Some(path)
            })
            .collect()
    }

    /// Ask for a link and wait for its mail; the link's path.
    pub fn mailed_link(&self, email: &str) -> String {
        let before = self.links_to(email).len();
        let (code, _, body) = self.request_link(email);
        assert_eq!(code, 200, "{body}");
        assert!(
            wait_until(Duration::from_secs(20), || self.links_to(email).len()
                > before),
            "no sign-in link reached the sink for {email}"
        );
        self.links_to(email).pop().unwrap()
    }

    /// Use a link (its button's POST); the session it starts, if it does (its CSRF token read
    /// from the sign-out form of the page it lands on).
    pub fn use_link(&self, link: &str) -> Option<Session> {
        let (code, head) = post_keeping_case(self.port(), link);
        if code != 303 {
            return None;
        }
        let cookie = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("set-cookie")
                    .then(|| v.trim().to_string())
            })?
            .split(';')
            .next()?
            .to_string();
        let mut s = Session {
            cookie,
            csrf: String::new(),
        };
        let (code, _, body) = s.get(self, "/desk/");
        assert_eq!(code, 200, "the desk's home after signing in: {body}");
        s.csrf = csrf_in(&body).expect("the desk's pages carry the CSRF token");
        Some(s)
    }

    /// Sign `email` in through a link mailed to it; panics if that fails.
    pub fn sign_in(&self, email: &str) -> Session {
        let link = self.mailed_link(email);
        self.use_link(&link)
            .unwrap_or_else(|| panic!("the link mailed to {email} did not sign in"))
    }
}

/// The value of the first `name="csrf"` hidden field of a page.
pub fn csrf_in(page: &str) -> Option<String> {
    let at = page.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(page[at..].split('"').next()?.to_string())
}

/// An empty form POST; the status and the head as sent (cookies are case-sensitive).
fn post_keeping_case(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n"
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_string();
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, head)
}

async fn serve(project: bulletin::config::Project, clock: Arc<TestClock>) -> u16 {
    use bulletin::web::server::{AppState, Live};
    let store = bulletin::store::Store::open(&project.settings.database)
        .await
        .unwrap();
    let signer = bulletin::compose::signer(&project).unwrap();
    let (_tx, live) = tokio::sync::watch::channel(Live {
        project: Arc::new(project),
        signer,
    });
    // The sender half is kept alive for as long as the server runs.
    std::mem::forget(_tx);
    let clock: Arc<dyn bulletin::clock::Clock> = clock;
    let state = AppState {
        live,
        store,
        config: bulletin::config_health::ConfigHealth::new(clock.now()),
        clock,
        heartbeat: Default::default(),
        requests: Default::default(),
        unsubscribes: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(bulletin::web::server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    port
}
