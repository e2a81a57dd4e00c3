//! The desk's lists and suppressions (admins only): an agency's spreadsheet (CSV as Excel saves
//! it, or .xlsx) shown as a diff with the spreadsheet's row numbers, nothing written until it
//! is confirmed; suppressions searched, added, lifted and exported, each in the audit trail
//! with the person's name; an editor refused everywhere; no axe violations in Chromium; and
//! the desk's own body limits beside the public one.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::support::{self, Tree, http};

use crate::support::desk::{self, DeskSite};

const LIST_TOML: &str = "name = \"Partners\"\ndescription = \"Safeguarding leads of the partner agencies\"\nmembers_csv = \"partners.csv\"\n";
const LIST_CSV: &str = "email,name,agency\nann@a.example,Ann,Health\njo@school.org,Jo,Schools\nold@b.example,Old,Police\n";
const CSV_PATH: &str = "config/lists/partners.csv";

fn site() -> DeskSite {
    DeskSite::start_with("", |t: &Tree| {
        t.write("config/lists/partners.toml", LIST_TOML);
        t.write(CSV_PATH, LIST_CSV);
    })
}

fn csv_now(site: &DeskSite) -> String {
    std::fs::read_to_string(site.tree.root().join(CSV_PATH)).unwrap()
}

/// A multipart upload of `bytes` as `name`, with the session's cookie and `csrf`.
fn upload(
    site: &DeskSite,
    cookie: &str,
    csrf: &str,
    list: &str,
    name: &str,
    bytes: &[u8],
) -> http::Response {
    let boundary = "----desk-lists-boundary-7MA4YWxk";
    let mut body = Vec::new();
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .unwrap();
    body.extend_from_slice(bytes);
    write!(body, "\r\n--{boundary}--\r\n").unwrap();
    let mut req = format!(
        "POST /desk/lists/{list}/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    http::raw(site.port(), &req, Duration::from_secs(60))
}

/// The value of the hidden field `name` in a page.
fn hidden(page: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} field in {page}"))
        + key.len();
    page[at..].split('"').next().unwrap().to_string()
}

/// A table row of the page, as maud writes it: `<tr><td>a</td><td>b</td>…`.
fn has_row(page: &str, cells: &[&str]) -> bool {
    let row: String = cells.iter().map(|c| format!("<td>{c}</td>")).collect();
    page.contains(&format!("<tr>{row}"))
}

fn check_passes(t: &Tree) {
    let out = support::bulletin(t.root())
        .arg("check")
        .env("BULLETIN_UNSUBSCRIBE_SECRET", desk::SECRET)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The diff page of an upload says what each row does, at the spreadsheet's row; confirming
/// writes what it showed, and nothing is written before.
fn upload_then_confirm(site: &DeskSite, file: &str, bytes: &[u8], rows: Rows) {
    let s = site.sign_in(desk::ADMIN);
    let (code, _, page) = upload(site, &s.cookie, &s.csrf, "partners", file, bytes);
    assert_eq!(code, 200, "{page}");
    assert!(
        has_row(
            &page,
            &[
                "3",
                "jo@school.org",
                "<del>Jo</del> → <ins>Jo Bloggs</ins>",
                "Schools"
            ]
        ),
        "changed at row 3: {page}"
    );
    assert!(
        has_row(
            &page,
            &[rows.added, "new@c.example", "New Person", "Council"]
        ),
        "added: {page}"
    );
    assert!(
        has_row(&page, &["4", "old@b.example", "Old", "Police"]),
        "removed (its row in the list's file): {page}"
    );
    let dup = "the same address as row 3";
    assert!(
        page.contains(&format!(
            "<tr><td>{}</td><td>jo@school.org</td><td>{dup}",
            rows.duplicate
        )),
        "duplicate: {page}"
    );
    assert!(
        page.contains(&format!(
            "<tr><td>{}</td><td>not-an-address</td><td>invalid address",
            rows.invalid
        )),
        "invalid: {page}"
    );
    assert!(
        page.contains(&format!("<tr><td>{}</td>", rows.formula))
            && page.contains("the email cell is a formula"),
        "formula: {page}"
    );
    assert_eq!(
        csv_now(site),
        LIST_CSV,
        "nothing is written before the confirm"
    );
    let id = hidden(&page, "upload");
    let (code, head, body) = s.post(
        site,
        "/desk/lists/partners/confirm",
        &format!("upload={id}"),
    );
    assert_eq!(code, 303, "{head}{body}");
    assert!(
        head.contains("location: /desk/lists/partners?saved="),
        "{head}"
    );
    assert_eq!(
        csv_now(site),
        "email,name,agency\nann@a.example,Ann,Health\njo@school.org,Jo Bloggs,Schools\nnew@c.example,New Person,Council\n"
    );
    assert!(!csv_now(site).contains("HYPERLINK"));
    check_passes(&site.tree);
    let (code, _, page) = s.get(site, "/desk/lists/partners?saved=1");
    assert_eq!(code, 200);
    assert!(page.contains("<strong>3</strong> members"), "{page}");
    // The same upload confirmed twice writes once.
    let (code, _, _) = s.post(
        site,
        "/desk/lists/partners/confirm",
        &format!("upload={id}"),
    );
    assert_eq!(code, 422);
}

/// Where the test spreadsheets put each kind of row.
#[derive(Clone, Copy)]
struct Rows {
    added: &'static str,
    duplicate: &'static str,
    invalid: &'static str,
    formula: &'static str,
}

#[test]
fn an_excel_csv_upload_shows_the_diff_with_its_row_numbers_and_writes_only_when_confirmed() {
    let site = site();
    // As Excel saves "CSV UTF-8": a byte-order mark, CRLF, a quoted note with a line break in
    // it (one spreadsheet row), an address repeated in other capitals, one that is not an
    // address, and a formula.
    let upload = "\u{feff}Email,Name,Agency,Notes\r\nann@a.example,Ann,Health,\r\nJo@School.org,Jo Bloggs,Schools,\r\nnew@c.example,New Person,Council,\"started in May\r\nmentor: Ann\"\r\njo@school.org,Jo,Again,\r\nnot-an-address,X,Y,\r\n=HYPERLINK(\"http://evil.example\"),Z,Z,\r\n";
    let rows = Rows {
        added: "4",
        duplicate: "5",
        invalid: "6",
        formula: "7",
    };
    upload_then_confirm(&site, "partners.csv", upload.as_bytes(), rows);
}

#[test]
fn an_xlsx_upload_shows_the_same_diff() {
    let site = site();
    let book = xlsx(&[
        &["Email", "Name", "Agency"],
        &["ann@a.example", "Ann", "Health"],
        &["Jo@School.org", "Jo Bloggs", "Schools"],
        &[],
        &["new@c.example", "New Person", "Council"],
        &["jo@school.org", "Jo", "Again"],
        &["not-an-address", "X", "Y"],
        &[
            "=HYPERLINK(\"http://evil.example\",\"x@evil.example\")",
            "Z",
            "Z",
        ],
    ]);
    let rows = Rows {
        added: "5",
        duplicate: "6",
        invalid: "7",
        formula: "8",
    };
    upload_then_confirm(&site, "Partners.xlsx", &book, rows);
}

#[test]
fn a_list_changed_after_the_upload_is_not_overwritten() {
    let site = site();
    let s = site.sign_in(desk::ADMIN);
    let (code, _, page) = upload(
        &site,
        &s.cookie,
        &s.csrf,
        "partners",
        "p.csv",
        b"email,name,agency\nzed@z.example,Zed,Z\n",
    );
    assert_eq!(code, 200, "{page}");
    let by_hand = format!("{LIST_CSV}kim@k.example,Kim,K\n");
    std::fs::write(site.tree.root().join(CSV_PATH), &by_hand).unwrap();
    let (code, _, page) = s.post(
        &site,
        "/desk/lists/partners/confirm",
        &format!("upload={}", hidden(&page, "upload")),
    );
    assert_eq!(code, 409, "{page}");
    assert!(page.contains("changed this list"), "{page}");
    assert_eq!(csv_now(&site), by_hand);
}

#[test]
fn an_upload_that_cannot_be_read_says_why_at_the_field() {
    let site = site();
    let s = site.sign_in(desk::ADMIN);
    let (code, _, page) = upload(
        &site,
        &s.cookie,
        &s.csrf,
        "partners",
        "p.csv",
        b"name,agency\nJo,A\n",
    );
    assert_eq!(code, 422);
    assert!(
        page.contains("href=\"#file\"") && page.contains("no column of email addresses"),
        "{page}"
    );
    let (code, _, _) = upload(
        &site,
        &s.cookie,
        "wrong-token",
        "partners",
        "p.csv",
        LIST_CSV.as_bytes(),
    );
    assert_eq!(code, 403);
    assert_eq!(csv_now(&site), LIST_CSV);
}

#[test]
fn an_editor_is_refused_every_lists_and_suppressions_page() {
    let site = site();
    let s = site.sign_in(desk::EDITOR);
    for path in [
        "/desk/lists",
        "/desk/lists/partners",
        "/desk/suppressions",
        "/desk/suppressions?q=ann",
        "/desk/suppressions.csv",
    ] {
        assert_eq!(s.get(&site, path).0, 403, "GET {path}");
    }
    for (path, body) in [
        ("/desk/lists/partners/confirm", "upload=x"),
        (
            "/desk/suppressions/add",
            "email=ann%40a.example&scope=*&reason=x",
        ),
        ("/desk/suppressions/lift", "email=ann%40a.example&scope=*"),
    ] {
        let (code, _, page) = s.post(&site, path, body);
        assert_eq!(code, 403, "POST {path}");
        assert!(page.contains("Only admins"), "POST {path}: {page}");
    }
    let (code, _, page) = upload(
        &site,
        &s.cookie,
        &s.csrf,
        "partners",
        "p.csv",
        LIST_CSV.as_bytes(),
    );
    assert_eq!(code, 403, "upload");
    assert!(page.contains("Only admins"), "upload: {page}");
    assert_eq!(csv_now(&site), LIST_CSV);
}

/// The SQLite ledger's URL.
fn ledger_url(t: &Tree) -> String {
    let env = bulletin::config::Env::empty().with("BULLETIN_UNSUBSCRIBE_SECRET", desk::SECRET);
    let project = t.load_with(env).project.unwrap();
    let bulletin::config::settings::DatabaseUrl::Sqlite(path) = &project.settings.database else {
        panic!("a SQLite ledger");
    };
    format!("sqlite://{}", path.display())
}

#[test]
fn the_lists_pages_show_counts_sources_and_the_addresses_bounces_say_to_remove() {
    let site = site();
    // A hard bounce suppressed old@b.example, which the list's CSV still holds at row 4.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&ledger_url(&site.tree)).await.unwrap();
        sqlx::query("INSERT INTO bounces (delivery_id, email_key, kind, status, received_at, suppressed) VALUES (1, 'old@b.example', 'hard', '5.1.1', 1764000000, 1)")
            .execute(&pool).await.unwrap();
        sqlx::query("INSERT INTO suppressions (email_key, scope, reason, created_at, how) VALUES ('old@b.example', '*', 'hard bounce', 1764000000, 'bounce')")
            .execute(&pool).await.unwrap();
    });
    let s = site.sign_in(desk::ADMIN);
    let (code, _, page) = s.get(&site, "/desk/lists");
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains("<a href=\"/desk/lists/partners\">Partners</a> (partners)</td><td>2</td>"),
        "two reached: {page}"
    );
    assert!(
        page.contains("the spreadsheet <code>config/lists/partners.csv</code>"),
        "{page}"
    );
    assert!(
        page.contains("old@b.example") && page.contains("hard bounce 5.1.1"),
        "{page}"
    );
    assert!(page.contains("partners.csv:4 (CSV row 4)"), "{page}");
    let (code, _, page) = s.get(&site, "/desk/lists/partners");
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains("<strong>2</strong> members") && page.contains("partners.csv:4 (CSV row 4)"),
        "{page}"
    );
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    // A list written in its own file has no spreadsheet to replace.
    let (_, _, all) = s.get(&site, "/desk/lists/all");
    assert!(
        all.contains("nothing to upload here") && !all.contains("type=\"file\""),
        "{all}"
    );
}

/// The audit trail's suppression rows (kind, detail), read from the SQLite ledger.
fn audit_rows(t: &Tree) -> Vec<(String, String)> {
    let url = ledger_url(t);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query_as("SELECT kind, detail FROM events WHERE kind IN ('suppressed', 'unsuppressed') ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap()
    })
}

#[test]
fn suppressions_are_searched_added_lifted_and_exported_with_the_persons_name() {
    let site = site();
    let s = site.sign_in(desk::ADMIN);
    let (code, head, _) = s.post(
        &site,
        "/desk/suppressions/add",
        "email=Ann%40A.example&scope=list%3Apartners&reason=Left%2C+moved+to+%3DWales",
    );
    assert_eq!(code, 303, "{head}");
    assert!(
        head.contains("location: /desk/suppressions?done=suppressed&q=ann%40a.example"),
        "{head}"
    );
    let (code, _, page) = s.get(&site, "/desk/suppressions?done=suppressed");
    assert_eq!(code, 200);
    assert!(
        page.contains("ann@a.example") && page.contains("list partners"),
        "{page}"
    );
    let (_, _, found) = s.get(&site, "/desk/suppressions?q=ANN");
    assert!(found.contains("ann@a.example"), "{found}");
    let (_, _, none) = s.get(&site, "/desk/suppressions?q=nobody");
    assert!(
        !none.contains("ann@a.example") && none.contains("No suppressions found"),
        "{none}"
    );
    // The same as `bulletin suppressions --format csv`.
    let out = support::bulletin(site.tree.root())
        .args(["suppressions", "--format", "csv"])
        .env("BULLETIN_UNSUBSCRIBE_SECRET", desk::SECRET)
        .output()
        .unwrap();
    let cli = String::from_utf8_lossy(&out.stdout).into_owned();
    let (code, head, csv) = s.get(&site, "/desk/suppressions.csv");
    assert_eq!(code, 200);
    assert!(head.contains("content-type: text/csv"), "{head}");
    assert!(
        head.contains("attachment; filename=\"suppressions.csv\""),
        "{head}"
    );
    assert_eq!(csv, cli, "the export is the command's CSV");
    assert!(
        csv.starts_with("email,scope,when,how,reason\nann@a.example,list:partners,"),
        "{csv}"
    );
    assert!(csv.ends_with(",admin,\"Left, moved to =Wales\"\n"), "{csv}");
    // Bad input is shown at its field; nothing is added.
    let (code, _, page) = s.post(
        &site,
        "/desk/suppressions/add",
        "email=not-an-address&scope=list%3Anope&reason=",
    );
    assert_eq!(code, 422);
    assert!(
        page.contains("href=\"#email\"") && page.contains("href=\"#scope\""),
        "{page}"
    );
    let (code, _, _) = s.post_raw(
        &site,
        "/desk/suppressions/add",
        "csrf=wrong&email=kim%40k.example&scope=*",
    );
    assert_eq!(code, 403);
    // Lift.
    let (code, _, _) = s.post(
        &site,
        "/desk/suppressions/lift",
        "email=ann%40a.example&scope=list%3Apartners",
    );
    assert_eq!(code, 303);
    let (_, _, csv) = s.get(&site, "/desk/suppressions.csv");
    assert_eq!(csv, "email,scope,when,how,reason\n");
    let audit = audit_rows(&site.tree);
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0].0, "suppressed");
    assert!(
        audit[0]
            .1
            .starts_with("list:partners: Left, moved to =Wales (by desk:"),
        "{audit:?}"
    );
    assert!(audit[0].1.contains(desk::ADMIN), "{audit:?}");
    assert_eq!(audit[1].0, "unsuppressed");
    assert!(
        audit[1].1.starts_with("list:partners (by desk:"),
        "{audit:?}"
    );
}

/// The page as a file axe can open, its stylesheet still served by the daemon.
fn save_page(site: &DeskSite, name: &str, page: &str) -> std::path::PathBuf {
    let css = format!("http://127.0.0.1:{}/static/site.css", site.port());
    let path = site.tree.root().join(format!("{name}.html"));
    std::fs::write(&path, page.replace("/static/site.css", &css)).unwrap();
    path
}

#[test]
fn the_lists_and_suppressions_pages_have_no_wcag_22_aa_violations() {
    let site = site();
    let s = site.sign_in(desk::ADMIN);
    let mut files = Vec::new();
    for (name, path) in [("lists", "/desk/lists"), ("list", "/desk/lists/partners")] {
        let (code, _, page) = s.get(&site, path);
        assert_eq!(code, 200, "{path}");
        files.push(save_page(&site, name, &page));
    }
    let upload_csv = "email,name,agency\nJo@School.org,Jo Bloggs,Schools\nnew@c.example,New,C\njo@school.org,Jo,X\n=1+1,Z,Z\n";
    let (code, _, diff) = upload(
        &site,
        &s.cookie,
        &s.csrf,
        "partners",
        "p.csv",
        upload_csv.as_bytes(),
    );
    assert!(code == 200 && diff.contains("Save these changes"), "{diff}");
    files.push(save_page(&site, "diff", &diff));
    let (_, _, bad) = upload(&site, &s.cookie, &s.csrf, "partners", "p.csv", b"name\nx\n");
    files.push(save_page(&site, "upload-error", &bad));
    s.post(
        &site,
        "/desk/suppressions/add",
        "email=ann%40a.example&scope=*&reason=asked",
    );
    let (_, _, sup) = s.get(&site, "/desk/suppressions?done=suppressed");
    files.push(save_page(&site, "suppressions", &sup));
    let (_, _, sup_bad) = s.post(&site, "/desk/suppressions/add", "email=nope&scope=*");
    files.push(save_page(&site, "suppressions-error", &sup_bad));
    let paths: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let results = crate::a11y::axe(&paths);
    assert_eq!(
        results.as_array().unwrap().len(),
        2 * paths.len(),
        "{results}"
    );
    for r in results.as_array().unwrap() {
        assert_eq!(
            r["violations"].as_array().unwrap().len(),
            0,
            "{}",
            serde_json::to_string_pretty(r).unwrap()
        );
    }
}

/// The public pages keep their 16 KiB; the desk's forms take 256 KiB and its upload 8 MiB.
#[test]
fn the_desk_has_its_own_body_limits_and_the_public_one_is_unchanged() {
    let t = Tree::minimal();
    t.quiet_schedule();
    let d = support::daemon::Daemon::builder(&t).start();
    let form = |path: &str, n: usize| {
        d.request(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &"x".repeat(n),
        )
        .0
    };
    assert_eq!(form("/unsubscribe/abc", 17 * 1024), 413, "public");
    assert_eq!(form("/no/such/page", 17 * 1024), 413, "the public fallback");
    assert_ne!(
        form("/desk/suppressions/add", 17 * 1024),
        413,
        "a desk form of 17 KiB"
    );
    assert_eq!(
        form("/desk/suppressions/add", 300 * 1024),
        413,
        "a desk form of 300 KiB"
    );
    assert_ne!(
        form("/desk/lists/all/upload", 2 * 1024 * 1024),
        413,
        "an upload of 2 MiB"
    );
    assert_eq!(
        form("/desk/lists/all/upload", 9 * 1024 * 1024),
        413,
        "an upload of 9 MiB"
    );
}

/// A workbook as Excel writes one, its first sheet holding `rows` (a cell starting with `=` is
/// written as a formula).
fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('"', "&quot;")
    };
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, cells) in rows.iter().enumerate() {
        sheet += &format!(r#"<row r="{}">"#, r + 1);
        for (c, v) in cells.iter().enumerate() {
            let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
            match v.strip_prefix('=') {
                Some(f) => {
                    sheet += &format!(
                        r#"<c r="{at}" t="str"><f>{}</f><v>x@evil.example</v></c>"#,
                        esc(f)
                    )
                }
                None => {
                    sheet += &format!(
                        r#"<c r="{at}" t="inlineStr"><is><t>{}</t></is></c>"#,
                        esc(v)
                    )
                }
            }
        }
        sheet += "</row>";
    }
    sheet += "</sheetData></worksheet>";
    let files = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Members" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in files {
        zip.start_file(name, stored).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}
