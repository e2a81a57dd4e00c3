//! Reach without tracking people, against the real binary and a real SQLite ledger: with
//! `[reach] count_clicks = true` an issue's content links go through `/r/…`, which the daemon
//! redirects to the URL the issue carries and counts per (issue, link) only; `impact` adds up
//! sent, delivered, bounced, unsubscribed, clicks per item and agency groups of 10 or more.

#![allow(clippy::disallowed_methods)] // the daemon under test runs on the real clock

use crate::support;

use support::Tree;
use support::daemon::Daemon;
use support::email::parse_email;
use support::smtp::free_port;
use support::{ok, run};

const DATE: &str = "2026-12-01";
const COURSE: &str = "https://p4pc.example/course?a=1&b=2";
const MORE: &str = "https://p4pc.example/more";
const WEEK: &str = "https://week.example/";
const HELP: &str = "https://help.example/worried";

/// 12 police officers, 9 NHS staff and 2 teachers.
fn members() -> Vec<(String, &'static str)> {
    let mut m = Vec::new();
    for i in 0..12 {
        m.push((
            format!("officer{i}@police.example"),
            "Greater Manchester Police",
        ));
    }
    for i in 0..9 {
        m.push((format!("nurse{i}@nhs.example"), "NHS Salford"));
    }
    for i in 0..2 {
        m.push((format!("teacher{i}@school.example"), "St Mary's School"));
    }
    m
}

/// A project whose issue of 1 December 2026 carries links (its item is published on 30 November,
/// after any day `quiet_schedule` can move the scheduled issues to, so whatever today is, the
/// 1 December issue is the first to carry it) in a news item (body and "read more"),
/// a campaign and the standing block, plus a phone and a mailto link; `count` turns counting on.
fn tree(count: bool, port: u16) -> Tree {
    tree_of(count, port, &members())
}

/// [`tree`] with these members (address, agency).
fn tree_of(count: bool, port: u16, members: &[(String, &str)]) -> Tree {
    let t = Tree::minimal();
    t.write(
        "news/item.md",
        &format!(
            "+++\ntitle = \"Parents 4 Positive Change\"\nsection = \"partnership\"\npublish = 2026-11-30\nurl = \"{MORE}\"\n+++\nSee [the course]({COURSE}), call [0161 000 0000](tel:01610000000) or [write](mailto:p4pc@test.example).\n"
        ),
    );
    t.write(
        "campaigns/week.toml",
        &format!(
            "title = \"A week\"\nsummary = \"About the week.\"\nurl = \"{WEEK}\"\n[[when]]\ndates = {{ from = 2026-12-03, to = 2026-12-07 }}\n"
        ),
    );
    t.write(
        "templates/blocks/worried.md",
        &format!("+++\ntitle = \"Worried about a child?\"\n+++\nCall 999 or [get help]({HELP}).\n"),
    );
    let mut list = String::from("name = \"Everyone\"\n");
    for (email, agency) in members {
        list.push_str(&format!(
            "\n[[member]]\nemail = \"{email}\"\nagency = \"{agency}\"\n"
        ));
    }
    t.write("config/lists/all.toml", &list);
    let settings = std::fs::read_to_string(t.config()).unwrap();
    let reach = if count {
        "\n[reach]\ncount_clicks = true\n"
    } else {
        ""
    };
    t.write(
        "config/bulletin.toml",
        &format!("[web]\npublic_url = \"http://127.0.0.1:{port}\"\n{reach}\n{settings}"),
    );
    t.quiet_schedule();
    t
}

/// Send the issue and return the (text, HTML) parts of one recipient's message.
fn send_and_read(t: &Tree) -> (String, String) {
    ok(&run(
        t,
        &["send", "news", "--now", "--date", DATE, "--unscheduled"],
    ));
    let eml = std::fs::read_dir(t.root().join("outbox"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".eml"))
        .expect("a message in the outbox");
    let m = parse_email(&std::fs::read(eml.path()).unwrap());
    let part = |ct: &str| {
        m["parts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["content_type"] == ct)
            .unwrap()["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    (part("text/plain"), part("text/html"))
}

/// A query on the ledger file, each row's columns (integers) joined with `|`, one row a line.
fn query(t: &Tree, sql: &str) -> String {
    use sqlx::{Connection, Row};
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}", t.root().join("data/bulletin.db").display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(&mut c)
            .await
            .unwrap();
        let mut out = String::new();
        for r in rows {
            let cols: Vec<String> = (0..r.len())
                .map(|i| {
                    r.try_get::<i64, _>(i)
                        .map(|v| v.to_string())
                        .or_else(|_| r.try_get::<String, _>(i))
                        .unwrap()
                })
                .collect();
            out.push_str(&cols.join("|"));
            out.push('\n');
        }
        out
    })
}

/// Every byte the ledger holds on disk (the database and its write-ahead log).
fn ledger_bytes(t: &Tree) -> String {
    let mut all = Vec::new();
    for suffix in ["", "-wal"] {
        if let Ok(b) = std::fs::read(t.root().join(format!("data/bulletin.db{suffix}"))) {
            all.extend(b);
        }
    }
    String::from_utf8_lossy(&all).into_owned()
}

#[test]
fn links_go_through_the_redirect_only_when_counting_is_on() {
    let port = free_port();
    let (text, html) = send_and_read(&tree(false, port));
    assert!(!html.contains("/r/") && !text.contains("/r/"), "{text}");
    for u in [MORE, WEEK, HELP] {
        assert!(html.contains(&format!("href=\"{u}\"")), "{u} in {html}");
        assert!(text.contains(u), "{u} in {text}");
    }

    let (text, html) = send_and_read(&tree(true, port));
    let base = format!("http://127.0.0.1:{port}/r/news/{DATE}/");
    for u in [COURSE, MORE, WEEK, HELP] {
        let attr = u.replace('&', "&amp;");
        assert!(
            !html.contains(&format!("href=\"{attr}\"")),
            "{u} left in the HTML"
        );
        assert!(!text.contains(u), "{u} left in the text:\n{text}");
    }
    for n in 1..=4 {
        assert!(
            html.contains(&format!("href=\"{base}{n}\"")),
            "link {n} in {html}"
        );
        assert!(text.contains(&format!("{base}{n}")), "link {n} in {text}");
    }
    assert!(
        !html.contains(&format!("{base}5")),
        "only four content links"
    );
    // Not content: phone, mail, unsubscribe, the browser view and the website stay as they are.
    assert!(html.contains("href=\"tel:01610000000\""));
    assert!(html.contains("href=\"mailto:p4pc@test.example\""));
    assert!(html.contains(&format!("http://127.0.0.1:{port}/unsubscribe/")));
    assert!(text.contains(&format!("http://127.0.0.1:{port}/archive/news/{DATE}")));
    assert!(html.contains("href=\"https://test.example\""));
}

#[test]
fn a_click_redirects_and_counts_and_nothing_personal_is_kept() {
    let port = free_port();
    let t = tree(true, port);
    ok(&run(
        &t,
        &["send", "news", "--now", "--date", DATE, "--unscheduled"],
    ));
    let d = Daemon::start(&t, port);
    let before_events = query(&t, "SELECT COUNT(*) FROM events");

    const AGENT: &str = "ReachProbe/7.3 (someone@police.example)";
    for _ in 0..3 {
        let (status, head, _) = d.request(
            "GET",
            &format!("/r/news/{DATE}/1"),
            &[
                ("User-Agent", AGENT),
                ("Cookie", "who=officer1@police.example"),
                ("X-Forwarded-For", "203.0.113.77"),
            ],
            "",
        );
        assert_eq!(status, 302, "{head}");
        assert!(
            head.contains(&format!("\r\nlocation: {}\r\n", COURSE.to_lowercase())),
            "{head}"
        );
        assert!(!head.contains("set-cookie"), "{head}");
    }
    let (status, head, _) = d.get(&format!("/r/news/{DATE}/3"));
    assert_eq!(status, 302);
    assert!(head.contains(&format!("location: {WEEK}")), "{head}");

    for bad in [
        format!("/r/news/{DATE}/5"),
        format!("/r/news/{DATE}/0"),
        format!("/r/news/{DATE}/-1"),
        format!("/r/news/{DATE}/1x"),
        "/r/news/2026-11-01/1".to_string(),
        format!("/r/other/{DATE}/1"),
        "/r/news/not-a-date/1".to_string(),
        format!("/r/news/+{DATE}/1"),
        format!("/r/news/0{DATE}/1"),
        format!("/r/news/{DATE}/https:%2F%2Fevil.example"),
    ] {
        let (status, head, _) = d.get(&bad);
        assert_eq!(status, 404, "{bad}: {head}");
        assert!(!head.contains("location:"), "{bad}: {head}");
    }

    let clicks = query(
        &t,
        "SELECT issue_id, link, clicks FROM link_clicks ORDER BY link",
    );
    assert_eq!(clicks, "1|1|3\n1|3|1\n");
    // The counter's table has no room for anything else, and nothing else was written.
    let cols = query(
        &t,
        "SELECT name FROM pragma_table_info('link_clicks') ORDER BY cid",
    );
    assert_eq!(cols, "issue_id\nlink\nclicks\n");
    assert_eq!(query(&t, "SELECT COUNT(*) FROM events"), before_events);
    drop(d);
    let dump = ledger_bytes(&t);
    for personal in ["ReachProbe", "203.0.113.77", "who=officer1"] {
        assert!(!dump.contains(personal), "{personal} stored in the ledger");
    }
}

#[test]
fn impact_adds_up_an_issue_and_never_shows_a_small_agency() {
    let port = free_port();
    let t = tree(true, port);
    ok(&run(
        &t,
        &["send", "news", "--now", "--date", DATE, "--unscheduled"],
    ));
    let d = Daemon::start(&t, port);
    for (link, n) in [(1, 3), (2, 1), (3, 2), (4, 1)] {
        for _ in 0..n {
            assert_eq!(d.get(&format!("/r/news/{DATE}/{link}")).0, 302);
        }
    }
    drop(d);

    // Two officers bounce hard; one nurse and one officer unsubscribe.
    let bouncing: Vec<i64> = ["officer0@police.example", "officer1@police.example"]
        .iter()
        .map(|who| {
            query(
                &t,
                &format!("SELECT id FROM deliveries WHERE email_key = '{who}'"),
            )
            .trim()
            .parse()
            .unwrap()
        })
        .collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use bulletin::bounce::{BounceKind, SoftPolicy};
        use bulletin::store::{NewBounce, Store, SuppressionHow};
        let store = Store::open(&bulletin::config::DatabaseUrl::Sqlite(
            t.root().join("data/bulletin.db"),
        ))
        .await
        .unwrap();
        let now = chrono::Utc::now().timestamp();
        for &id in &bouncing {
            let b = NewBounce {
                delivery_id: id,
                kind: BounceKind::Hard,
                status: Some("5.1.1"),
                detail: "no such user",
            };
            let policy = SoftPolicy {
                limit: 3,
                window_secs: 86_400,
                ..SoftPolicy::default()
            };
            bulletin::bounce::policy::record(&store, &b, policy, now.into())
                .await
                .unwrap();
        }
        for (who, scope) in [
            ("nurse3@nhs.example", "bulletin:news"),
            ("officer5@police.example", "*"),
        ] {
            store
                .suppress_how(
                    who,
                    &bulletin::store::SuppressionScope::parse(scope).unwrap(),
                    None,
                    SuppressionHow::OneClick,
                    now.into(),
                )
                .await
                .unwrap();
        }
        // Not this bulletin: not counted.
        store
            .suppress_how(
                "officer6@police.example",
                &bulletin::store::SuppressionScope::parse("bulletin:other").unwrap(),
                None,
                SuppressionHow::Link,
                now.into(),
            )
            .await
            .unwrap();
    });

    for scope in [
        ["--issue", "news@2026-12-01"],
        ["--issue", "1"],
        ["--quarter", "2026-Q4"],
    ] {
        let json = ok(&run(
            &t,
            &["impact", scope[0], scope[1], "--format", "json"],
        ));
        let r: serde_json::Value = serde_json::from_str(&json).unwrap();
        let total = &r["total"];
        assert_eq!(
            [
                &total["sent"],
                &total["delivered"],
                &total["bounced"],
                &total["unsubscribed"]
            ],
            [23, 21, 2, 2],
            "{json}"
        );
        assert_eq!(r["clicks"], 7, "{json}");
        let items: Vec<(String, String, u64)> = r["by_item"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["place"].as_str().unwrap().into(),
                    i["title"].as_str().unwrap().into(),
                    i["clicks"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            items,
            [
                ("news".into(), "Parents 4 Positive Change".into(), 4),
                ("campaign".into(), "A week".into(), 2),
                ("block".into(), "Worried about a child?".into(), 1),
            ],
            "{json}"
        );
        let agencies: Vec<(String, u64, u64, u64)> = r["by_agency"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["agency"].as_str().unwrap().into(),
                    a["recipients"].as_u64().unwrap(),
                    a["bounced"].as_u64().unwrap(),
                    a["unsubscribed"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            agencies,
            [
                ("Greater Manchester Police".into(), 12, 2, 1),
                ("Other agencies".into(), 11, 0, 1),
            ],
            "{json}"
        );
        assert!(!json.contains("NHS") && !json.contains("St Mary"), "{json}");
        assert!(
            !json.contains(".example\""),
            "no address in the report: {json}"
        );
    }

    let csv = ok(&run(
        &t,
        &["impact", "--issue", "news@2026-12-01", "--format", "csv"],
    ));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "section,name,recipients,sent,delivered,bounced,unsubscribed,clicks"
    );
    assert!(
        lines.contains(&"total,news@2026-12-01,,23,21,2,2,7"),
        "{csv}"
    );
    assert!(
        lines.contains(&"news,Parents 4 Positive Change,,,,,,4"),
        "{csv}"
    );
    assert!(lines.contains(&"campaign,A week,,,,,,2"), "{csv}");
    assert!(
        lines.contains(&"agency,Greater Manchester Police,12,12,10,2,1,"),
        "{csv}"
    );
    assert!(
        lines.contains(&"agency,Other agencies,11,11,11,0,1,"),
        "{csv}"
    );
    assert!(!csv.contains("NHS") && !csv.contains("St Mary"), "{csv}");

    let table = ok(&run(&t, &["impact", "--issue", "news@2026-12-01"]));
    assert!(table.contains("Greater Manchester Police"), "{table}");
    assert!(
        !table.contains("NHS") && !table.contains("St Mary"),
        "{table}"
    );
    let total = table
        .lines()
        .find(|l| l.starts_with("news@2026-12-01"))
        .unwrap_or_else(|| panic!("{table}"));
    assert_eq!(
        total.split_whitespace().collect::<Vec<_>>(),
        ["news@2026-12-01", "23", "21", "2", "2", "7"]
    );

    let o = run(&t, &["impact", "--issue", "news@2026-13-01"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&t, &["impact", "--quarter", "2026-Q5"]);
    assert_eq!(o.status.code(), Some(2), "clap refuses a bad quarter");
}

/// A link checker's HEAD requests, and the same link spelled `/+1`, `/01` or with another date
/// spelling, must not add to the counter: only a reader's GET of the link the issue carries.
#[test]
fn head_requests_and_other_spellings_of_a_link_count_nothing() {
    let port = free_port();
    let t = tree(true, port);
    ok(&run(
        &t,
        &["send", "news", "--now", "--date", DATE, "--unscheduled"],
    ));
    let d = Daemon::start(&t, port);
    for _ in 0..5 {
        let (status, head, _) = d.request("HEAD", &format!("/r/news/{DATE}/1"), &[], "");
        assert_eq!(status, 302, "a HEAD is answered like a GET: {head}");
    }
    for bad in [
        format!("/r/news/{DATE}/+1"),
        format!("/r/news/{DATE}/01"),
        format!("/r/news/{DATE}/001"),
        format!("/r/news/{DATE}/%2B1"),
        "/r/news/+2026-12-01/1".to_string(),
    ] {
        let (status, head, _) = d.get(&bad);
        assert_eq!(status, 404, "{bad}: {head}");
        assert!(!head.contains("location:"), "{bad}: {head}");
    }
    assert_eq!(d.get(&format!("/r/news/{DATE}/2")).0, 302);
    drop(d);
    assert_eq!(
        query(&t, "SELECT link, clicks FROM link_clicks ORDER BY link"),
        "2|1\n",
        "only the one canonical GET counted"
    );
}

/// More clicks than three for each delivered copy are not readers: `impact` says so and keeps
/// them out of the reach it reports, in every format.
#[test]
fn impact_flags_implausibly_many_clicks_instead_of_reporting_them_as_reach() {
    let port = free_port();
    let t = tree(true, port);
    ok(&run(
        &t,
        &["send", "news", "--now", "--date", DATE, "--unscheduled"],
    ));
    let d = Daemon::start(&t, port);
    // 23 delivered copies: 3 × 23 = 69 is the most that can be readers.
    for _ in 0..70 {
        assert_eq!(d.get(&format!("/r/news/{DATE}/1")).0, 302);
    }
    drop(d);
    let json = ok(&run(
        &t,
        &["impact", "--issue", "news@2026-12-01", "--format", "json"],
    ));
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["total"]["delivered"], 23, "{json}");
    assert_eq!(r["clicks"], 0, "not presented as reach: {json}");
    assert_eq!(r["implausible_clicks"], 70, "{json}");
    assert_eq!(r["issues"][0]["clicks_implausible"], true, "{json}");
    assert_eq!(r["by_item"], serde_json::json!([]), "{json}");

    let csv = ok(&run(
        &t,
        &["impact", "--issue", "news@2026-12-01", "--format", "csv"],
    ));
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines.contains(&"total,news@2026-12-01,,23,23,0,0,0"),
        "{csv}"
    );
    assert!(
        lines.contains(&"issue,news@2026-12-01,,23,23,0,0,"),
        "{csv}"
    );
    assert!(
        lines.contains(&"implausible_clicks,news@2026-12-01,,,,,,70"),
        "{csv}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("news,")), "{csv}");

    let table = ok(&run(&t, &["impact", "--issue", "news@2026-12-01"]));
    assert!(
        table.contains("the 70 clicks on news@2026-12-01 are left out"),
        "{table}"
    );

    // 69 is within the bound and is reach.
    let t = tree(true, port);
    ok(&run(
        &t,
        &["send", "news", "--now", "--date", DATE, "--unscheduled"],
    ));
    let d = Daemon::start(&t, port);
    for _ in 0..69 {
        assert_eq!(d.get(&format!("/r/news/{DATE}/1")).0, 302);
    }
    drop(d);
    let json = ok(&run(
        &t,
        &["impact", "--issue", "news@2026-12-01", "--format", "json"],
    ));
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["clicks"], 69, "{json}");
    assert_eq!(r["issues"][0]["clicks_implausible"], false, "{json}");
}

/// Twelve officers and two nurses: one nurse bounces, the other unsubscribes. A report that
/// shows the police row beside the totals gives the nurses away by subtraction; no figure the
/// report prints, nor the totals minus the rows it prints, may be about fewer than ten people.
#[test]
fn impact_totals_minus_the_shown_agencies_reveal_no_small_group() {
    let port = free_port();
    let mut people: Vec<(String, &str)> = (0..12)
        .map(|i| {
            (
                format!("officer{i}@police.example"),
                "Greater Manchester Police",
            )
        })
        .collect();
    people.push(("nurse0@nhs.example".into(), "NHS Salford"));
    people.push(("nurse1@nhs.example".into(), "NHS Salford"));
    let t = tree_of(true, port, &people);
    ok(&run(
        &t,
        &["send", "news", "--now", "--date", DATE, "--unscheduled"],
    ));
    let bouncing: i64 = query(
        &t,
        "SELECT id FROM deliveries WHERE email_key = 'nurse0@nhs.example'",
    )
    .trim()
    .parse()
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use bulletin::bounce::{BounceKind, SoftPolicy};
        use bulletin::store::{NewBounce, Store, SuppressionHow, SuppressionScope};
        let store = Store::open(&bulletin::config::DatabaseUrl::Sqlite(
            t.root().join("data/bulletin.db"),
        ))
        .await
        .unwrap();
        let now = chrono::Utc::now().timestamp();
        let b = NewBounce {
            delivery_id: bouncing,
            kind: BounceKind::Hard,
            status: Some("5.1.1"),
            detail: "no such user",
        };
        let policy = SoftPolicy {
            limit: 3,
            window_secs: 86_400,
            ..SoftPolicy::default()
        };
        bulletin::bounce::policy::record(&store, &b, policy, now.into())
            .await
            .unwrap();
        store
            .suppress_how(
                "nurse1@nhs.example",
                &SuppressionScope::All,
                None,
                SuppressionHow::OneClick,
                now.into(),
            )
            .await
            .unwrap();
    });

    // (sent, bounced, unsubscribed) of the totals and of each agency row, in every format.
    type Row = (String, [u64; 3]);
    let json = ok(&run(
        &t,
        &["impact", "--issue", "news@2026-12-01", "--format", "json"],
    ));
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    let figures = |v: &serde_json::Value| {
        [
            v["sent"].as_u64().unwrap(),
            v["bounced"].as_u64().unwrap(),
            v["unsubscribed"].as_u64().unwrap(),
        ]
    };
    let json_total = figures(&r["total"]);
    assert_eq!(json_total, [14, 1, 1], "{json}");
    let json_rows: Vec<Row> = r["by_agency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["agency"].as_str().unwrap().to_string(), figures(a)))
        .collect();

    let csv = ok(&run(
        &t,
        &["impact", "--issue", "news@2026-12-01", "--format", "csv"],
    ));
    let cells = |l: &str| -> Vec<String> { l.split(',').map(str::to_string).collect() };
    let num = |c: &str| c.parse::<u64>().unwrap();
    let total_line = cells(csv.lines().find(|l| l.starts_with("total,")).unwrap());
    let csv_total = [
        num(&total_line[3]),
        num(&total_line[5]),
        num(&total_line[6]),
    ];
    let csv_rows: Vec<Row> = csv
        .lines()
        .filter(|l| l.starts_with("agency,"))
        .map(|l| {
            let c = cells(l);
            (c[1].clone(), [num(&c[3]), num(&c[5]), num(&c[6])])
        })
        .collect();

    let table = ok(&run(&t, &["impact", "--issue", "news@2026-12-01"]));
    let table_rows: Vec<Row> = table
        .lines()
        .skip_while(|l| !l.starts_with("AGENCY"))
        .skip(1)
        .take_while(|l| !l.starts_with('('))
        .map(|l| {
            // AGENCY (words) RECIPIENTS SENT DELIVERED BOUNCED UNSUBSCRIBED
            let w: Vec<&str> = l.split_whitespace().collect();
            let n = w.len();
            (
                w[..n - 5].join(" "),
                [num(w[n - 4]), num(w[n - 2]), num(w[n - 1])],
            )
        })
        .collect();

    for (format, total, rows) in [
        ("json", json_total, &json_rows),
        ("csv", csv_total, &csv_rows),
        ("table", json_total, &table_rows),
    ] {
        assert!(
            rows.iter().all(|(name, _)| name != "NHS Salford"),
            "{format}: {rows:?}"
        );
        // Every combination of printed rows, taken from the totals.
        for subset in 0u32..(1 << rows.len()) {
            let mut rest = total;
            for (i, (_, f)) in rows.iter().enumerate() {
                if subset & (1 << i) != 0 {
                    for k in 0..3 {
                        rest[k] -= f[k];
                    }
                }
            }
            assert!(
                rest[0] == 0 || rest[0] >= 10,
                "{format}: the totals minus printed rows are {} people: {rest:?} ({rows:?})",
                rest[0]
            );
            if rest[0] == 0 {
                assert_eq!(rest, [0, 0, 0], "{format}: figures of nobody ({rows:?})");
            }
        }
        for (name, f) in rows.iter() {
            assert!(f[0] >= 10, "{format}: {name} printed with {} people", f[0]);
        }
    }
}
