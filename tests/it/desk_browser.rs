//! The desk's flows besides news and the next issue, each in a real browser (headless Chromium
//! through tests/a11y/desk-flows.mjs) against the real daemon, signed in through the link the
//! SMTP sink received, under the pages' real Content-Security-Policy: an editor adds a
//! campaign and checks its dates before saving; an admin uploads a spreadsheet, reads the diff
//! and confirms it; an admin adds a suppression, finds it and lifts it. The file or the ledger
//! afterwards is checked here, as a person at the command line would see it.

use crate::support;

use chrono::Datelike;
use serde_json::Value;

use support::Tree;
use support::desk::{self, DeskSite};

const LIST_TOML: &str = "name = \"Partners\"\nmembers_csv = \"partners.csv\"\n";
const LIST_CSV: &str = "email,name,agency\nann@a.example,Ann,Health\njo@school.org,Jo,Schools\nold@b.example,Old,Police\n";
const CSV_PATH: &str = "config/lists/partners.csv";

/// A desk with the `partners` list (members in a CSV beside it).
fn site() -> DeskSite {
    DeskSite::start_with("", |t: &Tree| {
        t.write("config/lists/partners.toml", LIST_TOML);
        t.write(CSV_PATH, LIST_CSV);
    })
}

/// Sign `who` in through a mailed link and run `flow` of desk-flows.mjs; its JSON report,
/// checked for what every flow must show: signed in, no error, no CSP violation.
fn browse(site: &DeskSite, who: &str, flow: &str, arg: &str) -> Value {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "playwright-core missing: run scripts/test (or `npm ci` in tests/a11y)"
    );
    let link = site.mailed_link(who);
    let base = format!("http://127.0.0.1:{}", site.port());
    let out = std::process::Command::new("node")
        .arg(dir.join("desk-flows.mjs"))
        .args([flow, &base, &link, arg])
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "desk-flows.mjs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r.get("error").is_none(), "{r:#}");
    assert_eq!(r["signed_in"], true, "{r:#}");
    assert_eq!(r["csp_errors"], serde_json::json!([]), "{r:#}");
    assert_eq!(r["page_errors"], serde_json::json!([]), "{r:#}");
    r
}

/// The rows of the table captioned `caption` in a report's `tables` list.
fn rows<'a>(tables: &'a Value, caption: &str) -> Vec<&'a str> {
    tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["caption"] == caption)
        .map(|t| {
            t["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn in_a_browser_an_editor_adds_a_campaign_checks_its_three_years_of_dates_and_saves_it() {
    #[allow(clippy::disallowed_methods)] // the desk shows dates from the real clock's year
    let year = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .year();
    let site = site();
    let r = browse(&site, desk::EDITOR, "campaign", &year.to_string());
    let file = site.tree.root().join("campaigns/odd-socks-day.toml");
    assert_eq!(r["check_status"], 200, "{r:#}");
    let dates: Vec<&str> = r["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    // The second Monday of November, this year and the next two.
    let second_monday = |y: i32| {
        chrono::NaiveDate::from_weekday_of_month_opt(y, 11, chrono::Weekday::Mon, 2).unwrap()
    };
    let expected: Vec<String> = (year..year + 3)
        .flat_map(|y| {
            let day = second_monday(y).format("%a %-d %b %Y");
            [y.to_string(), format!("{day} (worked out by the rule)")]
        })
        .collect();
    assert_eq!(dates, expected, "{r:#}");
    assert_eq!(r["saved_status"], 200, "{r:#}");
    assert!(
        r["saved_url"].as_str().unwrap().ends_with(&format!(
            "/desk/campaigns/odd-socks-day?saved=1&year={year}"
        )),
        "{r:#}"
    );
    let text = std::fs::read_to_string(&file).expect("the campaign's file is written");
    assert!(text.contains("title = \"Odd Socks Day\""), "{text}");
    assert!(
        text.contains("nth_weekday = { month = 11, weekday = \"mon\", nth = 2 }"),
        "{text}"
    );
    assert_eq!(
        r["grid_link"],
        serde_json::json!([
            format!("November {year}"),
            second_monday(year).day().to_string()
        ]),
        "the year's grid links it on its day: {r:#}"
    );
}

#[test]
fn in_a_browser_an_admin_uploads_a_spreadsheet_reads_the_diff_and_confirms_it() {
    let site = site();
    // As Excel saves "CSV UTF-8": a byte-order mark and CRLF.
    let sheet = site.tree.root().join("from-the-agency.csv");
    std::fs::write(
        &sheet,
        "\u{feff}Email,Name,Agency\r\nann@a.example,Ann,Health\r\nJo@School.org,Jo Bloggs,Schools\r\nnew@c.example,New Person,Council\r\nnot-an-address,X,Y\r\n",
    )
    .unwrap();
    let r = browse(&site, desk::ADMIN, "upload", sheet.to_str().unwrap());
    assert_eq!(r["diff_status"], 200, "{r:#}");
    assert_eq!(r["diff_title"], "Check the changes to Partners", "{r:#}");
    let d = &r["diff"];
    assert_eq!(
        rows(d, "Members to add"),
        ["4 | new@c.example | New Person | Council"],
        "{r:#}"
    );
    let refused = rows(d, "Rows refused, with the reason");
    assert_eq!(refused.len(), 1, "{r:#}");
    assert!(
        refused[0].starts_with("5 | not-an-address | invalid address"),
        "{r:#}"
    );
    assert_eq!(
        rows(d, "Members whose name or agency changes"),
        ["3 | jo@school.org | Jo → Jo Bloggs | Schools"],
        "{r:#}"
    );
    assert_eq!(
        rows(d, "Members to remove (row of the list's current file)"),
        ["4 | old@b.example | Old | Police"],
        "{r:#}"
    );
    assert_eq!(r["confirm_status"], 200, "{r:#}");
    assert!(
        r["confirmed_url"]
            .as_str()
            .unwrap()
            .ends_with("/desk/lists/partners?saved=1"),
        "{r:#}"
    );
    assert!(
        r["members"].as_str().unwrap().contains("3 members"),
        "{r:#}"
    );
    assert_eq!(
        std::fs::read_to_string(site.tree.root().join(CSV_PATH)).unwrap(),
        "email,name,agency\nann@a.example,Ann,Health\njo@school.org,Jo Bloggs,Schools\nnew@c.example,New Person,Council\n"
    );
}

/// `bulletin suppressions --format csv`: what the ledger holds.
fn suppressions_csv(t: &Tree) -> String {
    let out = support::bulletin(t.root())
        .args(["suppressions", "--format", "csv"])
        .env("BULLETIN_UNSUBSCRIBE_SECRET", desk::SECRET)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn in_a_browser_an_admin_adds_a_suppression_with_a_reason_finds_it_and_lifts_it() {
    let site = site();
    let r = browse(&site, desk::ADMIN, "suppression", "");
    assert_eq!(r["add_status"], 200, "{r:#}");
    assert!(
        r["added_url"]
            .as_str()
            .unwrap()
            .ends_with("/desk/suppressions?done=suppressed&q=ann%40a.example"),
        "{r:#}"
    );
    assert!(
        r["added_notice"]
            .as_str()
            .unwrap()
            .starts_with("Suppressed."),
        "{r:#}"
    );
    assert!(
        r["search_url"]
            .as_str()
            .unwrap()
            .ends_with("/desk/suppressions?q=ANN"),
        "{r:#}"
    );
    let found = &r["found"][0]["rows"];
    assert_eq!(found.as_array().unwrap().len(), 1, "{r:#}");
    let row = found[0].as_str().unwrap();
    assert!(
        row.starts_with("ann@a.example | list partners |")
            && row.ends_with("| admin | Left the partnership | Lift"),
        "{r:#}"
    );
    assert_eq!(r["lift_status"], 200, "{r:#}");
    assert!(
        r["lifted_notice"].as_str().unwrap().starts_with("Lifted."),
        "{r:#}"
    );
    assert!(
        r["after_lift"]
            .as_str()
            .unwrap()
            .contains("No suppressions found"),
        "{r:#}"
    );
    assert_eq!(
        suppressions_csv(&site.tree),
        "email,scope,when,how,reason\n",
        "lifted in the ledger"
    );
}
