//! The month's news page, `/news/<bulletin>/<YYYY-MM>`: the partnership's November 2019 page
//! reproduced from its seed (five items, their dates), an item showing from its publish day and
//! going in the next email issue (the daemon's web server on a test clock, the real `preview`),
//! the archive linking both ways, items in the Atom feed, and no axe violations in Chromium.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use bulletin::store::Store;
use bulletin::web::server::{AppState, Live};
use chrono::DateTime;
use support::Tree;
use support::clock::TestClock;
use support::daemon::Daemon;
use support::smtp::free_port;
use support::{run, send_sample};

/// The seed's five items, newest first as the partnership's page lists them: (title, date).
const NOVEMBER_2019: [(&str, &str); 5] = [
    ("Professional Challenge and Escalation", "22 November 2019"),
    ("Are you a Salford parent or carer?", "21 November 2019"),
    ("Practice review policy and toolkit", "13 November 2019"),
    (
        "Initial Child Protection Conference: reflective sessions",
        "6 November 2019",
    ),
    (
        "Route29 (formerly known as No Wrong Door)",
        "6 November 2019",
    ),
];

/// The sample, served on `port`, on its own schedule (09:00 on the 1st, as the partnership's
/// email went) with no catching up, so a daemon started on the real clock sends nothing itself.
fn sample_on(port: u16) -> Tree {
    let t = Tree::sample();
    let settings = std::fs::read_to_string(t.config())
        .unwrap()
        .replace("catch_up_hours = 24", "catch_up_hours = 0")
        .replace(
            "public_url = \"http://127.0.0.1:8080\"",
            &format!("public_url = \"http://127.0.0.1:{port}\""),
        )
        .replace(
            "bind = \"127.0.0.1:8080\"",
            &format!("bind = \"127.0.0.1:{port}\""),
        );
    assert!(settings.contains("catch_up_hours = 0"));
    t.write("config/bulletin.toml", &settings);
    t
}

#[test]
fn november_2019_shows_the_five_seed_items_with_their_dates_and_links_both_ways() {
    let port = free_port();
    let t = sample_on(port);
    let o = send_sample(&t, "2019-12-02");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = Daemon::start(&t, port);

    let (code, head, page) = d.get("/news/sscp-news/2019-11");
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("<h1>News from November 2019</h1>"), "{page}");
    // Each item with its date, in the seed's order.
    let mut last = 0;
    for (title, date) in NOVEMBER_2019 {
        let at = page
            .find(&format!(">{title}</h2>"))
            .unwrap_or_else(|| panic!("{title} is on the page: {page}"));
        assert!(at > last, "{title} comes after the item before it");
        let published = "Published <time datetime=\"";
        let rest = &page[at..];
        let p = rest.find(published).expect("a publish date");
        assert!(
            rest[p..].split("</time>").next().unwrap().ends_with(date),
            "{title} is dated {date}: {}",
            &rest[p..p + 80]
        );
        last = at;
    }
    assert_eq!(page.matches("<article ").count(), 5, "five items, no more");
    // The month's campaigns, from the calendar.
    assert!(page.contains("Campaigns and events in November 2019"));
    assert!(page.contains("Anti-Bullying Week"), "{page}");
    // Month page → the issue that carried each item: 1 December 2019 was a Sunday, so the
    // sample's issue went on Monday 2 December.
    assert_eq!(
        page.matches("href=\"/archive/sscp-news/2019-12-02\"")
            .count(),
        5,
        "{page}"
    );
    // Same security headers as every page.
    assert!(
        head.contains(&format!(
            "content-security-policy: {}",
            bulletin::web::security::CSP
        )),
        "{head}"
    );
    for (name, value) in bulletin::web::security::SECURITY_HEADERS {
        assert!(
            head.contains(&format!("{name}: {}", value.to_lowercase())),
            "{name}: {head}"
        );
    }
    // Issue page → month page.
    let (code, _, issue) = d.get("/archive/sscp-news/2019-12-02");
    assert_eq!(code, 200);
    assert!(
        issue.contains("href=\"/news/sscp-news/2019-11\""),
        "the issue links to the month it carried: {issue}"
    );
    // Unknown bulletin, malformed or future month: not found.
    assert_eq!(d.get("/news/nope/2019-11").0, 404);
    assert_eq!(d.get("/news/sscp-news/2019-13").0, 404);
    assert_eq!(d.get("/news/sscp-news/2999-01").0, 404);
}

#[test]
fn the_feed_follows_items_not_only_issues() {
    let port = free_port();
    let t = sample_on(port);
    let d = Daemon::start(&t, port);
    let (code, _, atom) = d.get("/feed.atom");
    assert_eq!(code, 200);
    let f = support::python_json("tests/it/support/parse_feed.py", "f.atom", atom.as_bytes());
    assert_eq!(f["bozo"], false, "{f}");
    let links: Vec<&str> = f["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["link"].as_str())
        .collect();
    assert!(
        links
            .iter()
            .any(|l| l.ends_with("/news/sscp-news/2026-12#2026-12-learning-review-briefing")),
        "no issue has gone, yet the feed has the items: {links:?}"
    );
}

/// The daemon's web server in this process, on `clock`.
async fn serve(t: &Tree, clock: Arc<TestClock>) -> u16 {
    let p = t.load().project.expect("loads");
    let store = Store::open(&p.settings.database).await.unwrap();
    let live = Live {
        signer: bulletin::compose::signer(&p).unwrap(),
        project: Arc::new(p),
    };
    let (_tx, rx) = tokio::sync::watch::channel(live);
    let state = AppState {
        live: rx,
        store,
        clock,
        heartbeat: Default::default(),
        config: bulletin::config_health::ConfigHealth::new(0),
        requests: Default::default(),
        unsubscribes: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _keep = _tx;
        bulletin::web::server::serve(listener, state, std::future::pending()).await
    });
    port
}

async fn get(port: u16, path: &str) -> (u16, String, String) {
    let path = path.to_string();
    tokio::task::spawn_blocking(move || support::http::get(port, &path))
        .await
        .unwrap()
}

fn utc(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_published_on_the_20th_shows_from_the_20th_and_goes_in_the_next_issue() {
    let t = Tree::minimal();
    t.write(
        "news/late.md",
        "+++\ntitle = \"Mid-month <news>\"\nsection = \"partnership\"\npublish = 2026-11-20\n+++\nA survey opens today.\n",
    );
    // 23:59:30 on the 19th, UK time (GMT in November).
    let clock = Arc::new(TestClock::at(utc("2026-11-19T23:59:30Z")));
    let port = serve(&t, clock.clone()).await;

    let (code, _, before) = get(port, "/news/news/2026-11").await;
    assert_eq!(code, 200, "{before}");
    assert!(
        !before.contains("Mid-month"),
        "not before the 20th: {before}"
    );
    assert!(
        before.contains(">Item</h2>"),
        "the item of the 1st is there"
    );

    clock.set(utc("2026-11-20T00:00:30Z"));
    let (_, _, on) = get(port, "/news/news/2026-11").await;
    assert!(
        on.contains("Mid-month &lt;news&gt;"),
        "shown from the 20th, escaped: {on}"
    );
    assert!(
        on.contains("Goes out in the email of 1 December 2026."),
        "the next issue carries it: {on}"
    );
    assert!(!on.contains("<news>"));

    // The issues, as `preview` builds them: the 1 November issue does not carry it, the
    // 1 December issue does.
    let preview = |date: &str| {
        let out = t.root().join(format!("{date}.html"));
        let o = run(
            &t,
            &[
                "preview",
                "news",
                "--date",
                date,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out).unwrap()
    };
    assert!(!preview("2026-11-01").contains("Mid-month"));
    assert!(preview("2026-12-01").contains("Mid-month &lt;news&gt;"));
}

#[test]
fn the_news_page_has_no_wcag_22_aa_violations() {
    let port = free_port();
    let t = sample_on(port);
    let o = send_sample(&t, "2019-12-02");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = Daemon::start(&t, port);
    let (code, _, page) = d.get("/news/sscp-news/2019-11");
    assert_eq!(code, 200);
    // The page as served, with its stylesheet from the repository (a file page cannot fetch
    // `/static/site.css`).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let css = root.join("static/site.css");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("news-2019-11.html");
    std::fs::write(
        &file,
        page.replace(
            "href=\"/static/site.css\"",
            &format!("href=\"file://{}\"", css.display()),
        ),
    )
    .unwrap();
    let a11y = root.join("tests/a11y");
    assert!(
        a11y.join("node_modules/axe-core").exists(),
        "axe-core missing: run scripts/test (or `npm ci` in tests/a11y)"
    );
    let out = Command::new("node")
        .arg(a11y.join("axe.mjs"))
        .arg(&file)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "axe.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 2, "light and dark");
    for r in results {
        assert!(r["passes"].as_u64().unwrap() > 5, "axe ran its rules: {r}");
        assert_eq!(r["violations"], serde_json::json!([]), "{r:#}");
    }
}
