//! Signing in to the desk: a one-time link emailed through the real transport (an SMTP sink),
//! used once within 15 minutes; sessions with idle timeouts, CSRF tokens and sign-out; a single
//! sign-on proxy's header believed only from the proxies configured; the same answer for every
//! address and rate limits on the links.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use support::clock::TestClock;
use support::desk::{ADMIN, DeskSite, EDITOR, READER, Session};
use support::smtp::SmtpSink;
use support::{Tree, wait_until};

/// 1 December 2026, 10:00 UTC.
const T0: i64 = 1_796_119_200;

fn clock() -> Arc<TestClock> {
    Arc::new(TestClock::at(T0))
}

fn signed_in(site: &DeskSite, s: &Session) -> bool {
    let (code, _, body) = s.get(site, "/desk/");
    code == 200 && body.contains("Signed in as")
}

#[test]
fn a_link_from_the_real_sink_signs_in_and_opening_it_changes_nothing() {
    let site = DeskSite::start();
    // Not signed in: GET goes to the sign-in page, a POST is refused.
    let (code, head, _) = site.get("/desk/");
    assert_eq!(code, 303, "{head}");
    assert!(head.contains("location: /desk/sign-in"), "{head}");
    let (code, _, _) = support::http::post_form(site.port(), "/desk/sign-out", "csrf=x");
    assert_eq!(code, 403);

    let link = site.mailed_link(EDITOR);
    // A mail scanner opening the link twice uses nothing up.
    for _ in 0..2 {
        let (code, _, body) = site.get(&link);
        assert_eq!(code, 200, "{body}");
        assert!(
            body.contains("<button type=\"submit\">Sign in</button>"),
            "{body}"
        );
    }
    let (code, head, _) = support::http::post_form(site.port(), &link, "");
    assert_eq!(code, 303, "{head}");
    assert!(head.contains("location: /desk/"), "{head}");
    let cookie = head
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .expect("a session cookie");
    for attr in ["httponly", "samesite=strict", "path=/desk"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(
        !cookie.contains("secure"),
        "plain http public_url: {cookie}"
    );

    let s = site.sign_in(ADMIN);
    let (code, _, body) = s.get(&site, "/desk/");
    assert_eq!(code, 200);
    assert!(body.contains("Bea Boss"), "the list member's name: {body}");
    assert!(
        body.contains("/desk/suppressions"),
        "an admin sees the admin sections"
    );
    let e = site.sign_in(EDITOR);
    let (_, _, body) = e.get(&site, "/desk/");
    assert!(body.contains("Eddie Editor"), "{body}");
    assert!(
        !body.contains("/desk/suppressions"),
        "an editor does not: {body}"
    );
}

#[test]
fn every_address_gets_the_same_answer_and_only_desk_people_get_mail() {
    let site = DeskSite::in_process(clock());
    let answers: Vec<_> = [READER, "nobody@else.example", "not an address", EDITOR]
        .iter()
        .map(|a| {
            let (code, _, body) = site.request_link(a);
            (code, body)
        })
        .collect();
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, 200);
    assert!(
        answers[0]
            .1
            .contains("If that address may use the desk, we"),
        "{}",
        answers[0].1
    );
    assert!(wait_until(Duration::from_secs(20), || site.sink.count() >= 1));
    std::thread::sleep(Duration::from_millis(500));
    let to: Vec<Vec<String>> = site
        .sink
        .transactions()
        .into_iter()
        .map(|m| m.rcpt_to)
        .collect();
    assert_eq!(to, vec![vec![EDITOR.to_string()]]);
}

#[test]
fn a_link_works_once() {
    let site = DeskSite::in_process(clock());
    let link = site.mailed_link(EDITOR);
    // Another site posting the link (login CSRF) is refused and uses nothing up.
    let from_elsewhere = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Sec-Fetch-Site", "cross-site"),
    ];
    let (code, _, _) = support::http::request(site.port(), "POST", &link, &from_elsewhere, "");
    assert_eq!(code, 403);
    assert!(site.use_link(&link).is_some());
    assert!(site.use_link(&link).is_none(), "a replayed link is refused");
    let (code, _, body) = support::http::post_form(site.port(), &link, "");
    assert_eq!(code, 400, "{body}");
}

#[test]
fn a_link_expires_after_fifteen_minutes() {
    let c = clock();
    let site = DeskSite::in_process(c.clone());
    let late = site.mailed_link(EDITOR);
    c.advance(15 * 60 + 1);
    assert!(site.use_link(&late).is_none(), "an expired link is refused");
    let (code, _, _) = site.get(&late);
    assert_eq!(code, 400, "its page says so");
    let in_time = site.mailed_link(EDITOR);
    c.advance(15 * 60);
    assert!(
        site.use_link(&in_time).is_some(),
        "a link in its 15 minutes works"
    );
}

#[test]
fn a_post_without_this_sessions_csrf_token_is_refused() {
    let site = DeskSite::in_process(clock());
    let s = site.sign_in(EDITOR);
    for body in ["", "csrf=", "csrf=not-the-token"] {
        let (code, _, _) = s.post_raw(&site, "/desk/sign-out-everywhere", body);
        assert_eq!(code, 403, "{body:?}");
    }
    // Another session's token is not this session's.
    let other = site.sign_in(EDITOR);
    let (code, _, _) = s.post_raw(&site, "/desk/sign-out", &format!("csrf={}", other.csrf));
    assert_eq!(code, 403);
    assert!(signed_in(&site, &s), "nothing was done");
    let (code, _, _) = s.post(&site, "/desk/sign-out", "");
    assert_eq!(code, 200);
    assert!(!signed_in(&site, &s));
    assert!(
        signed_in(&site, &other),
        "signing out ends only that session"
    );
}

#[test]
fn a_cookie_from_another_instance_is_refused() {
    let a = DeskSite::in_process(clock());
    let b = DeskSite::in_process(clock());
    let s = a.sign_in(EDITOR);
    assert!(signed_in(&a, &s));
    let (code, head, _) = s.get(&b, "/desk/");
    assert_eq!(code, 303, "{head}");
    // Nor does another instance's link work here.
    let link = a.mailed_link(EDITOR);
    assert!(b.use_link(&link).is_none());
}

#[test]
fn a_proxy_header_is_believed_only_from_a_trusted_proxy() {
    let sso = "proxy_header = \"X-Forwarded-Email\"\n";
    let elsewhere =
        DeskSite::in_process_with(clock(), &format!("trusted_proxies = [\"10.9.8.7\"]\n{sso}"));
    let forged = [("X-Forwarded-Email", EDITOR)];
    let (code, head, _) = support::http::request(elsewhere.port(), "GET", "/desk/", &forged, "");
    assert_eq!(
        code, 303,
        "a header from an address not trusted is refused: {head}"
    );

    let trusted = DeskSite::in_process_with(
        clock(),
        &format!("trusted_proxies = [\"127.0.0.1\"]\n{sso}"),
    );
    let (code, _, body) = support::http::request(trusted.port(), "GET", "/desk/", &forged, "");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("Eddie Editor"), "{body}");
    let reader = [("X-Forwarded-Email", READER)];
    let (code, _, _) = support::http::request(trusted.port(), "GET", "/desk/", &reader, "");
    assert_eq!(
        code, 303,
        "somebody not on a desk list is not let in by the proxy either"
    );
    // A proxied person's forms carry a token, checked like a session's.
    let csrf = support::desk::csrf_in(&body).unwrap();
    let form = [
        ("X-Forwarded-Email", EDITOR),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let (code, _, _) = support::http::request(
        trusted.port(),
        "POST",
        "/desk/sign-out",
        &form,
        "csrf=wrong",
    );
    assert_eq!(code, 403);
    let (code, _, _) = support::http::request(
        trusted.port(),
        "POST",
        "/desk/sign-out",
        &form,
        &format!("csrf={csrf}"),
    );
    assert_eq!(code, 200);
}

#[test]
fn many_requests_for_one_address_send_at_most_three_links() {
    let site = DeskSite::in_process(clock());
    for _ in 0..8 {
        let (code, _, _) = site.request_link(EDITOR);
        assert_eq!(code, 200, "the same answer, limited or not");
    }
    assert!(wait_until(Duration::from_secs(20), || site.sink.count() >= 3));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(site.sink.count(), 3, "at most 3 links in 15 minutes");
    // One client asking for many addresses is stopped too.
    let mut last = 0;
    for i in 0..25 {
        last = site.request_link(&format!("x{i}@y.example")).0;
    }
    assert_eq!(last, 429);
}

#[test]
fn an_idle_session_ends() {
    let c = clock();
    let site = DeskSite::in_process(c.clone());
    let s = site.sign_in(EDITOR);
    c.advance(29 * 60);
    assert!(signed_in(&site, &s), "used within 30 minutes");
    c.advance(29 * 60);
    assert!(signed_in(&site, &s), "each use starts the 30 minutes again");
    c.advance(31 * 60);
    assert!(!signed_in(&site, &s), "31 minutes unused ends it");
    let (code, _, _) = s.post(&site, "/desk/sign-out", "");
    assert_eq!(code, 403, "and its forms are refused");
}

#[test]
fn a_session_ends_after_twelve_hours_however_busy() {
    let c = clock();
    let site = DeskSite::in_process(c.clone());
    let s = site.sign_in(EDITOR);
    for _ in 0..24 {
        c.advance(29 * 60);
        assert!(signed_in(&site, &s));
    }
    c.advance(25 * 60);
    assert!(!signed_in(&site, &s), "12 hours after signing in");
}

#[test]
fn sign_out_everywhere_ends_every_session_of_that_person() {
    let site = DeskSite::in_process(clock());
    let laptop = site.sign_in(EDITOR);
    let phone = site.sign_in(EDITOR);
    let admin = site.sign_in(ADMIN);
    let (code, head, body) = laptop.post(&site, "/desk/sign-out-everywhere", "");
    assert_eq!(code, 200, "{body}");
    assert!(head.contains("max-age=0"), "the cookie is cleared: {head}");
    assert!(!signed_in(&site, &laptop));
    assert!(!signed_in(&site, &phone));
    assert!(signed_in(&site, &admin), "other people stay signed in");
}

#[test]
fn without_a_desk_table_every_desk_address_is_404() {
    let sink = SmtpSink::start(&[]);
    let t = Tree::minimal();
    let site = DeskSite::in_process_tree(clock(), t, sink);
    for path in ["/desk", "/desk/", "/desk/sign-in", "/desk/sign-in/a.1.b"] {
        assert_eq!(site.get(path).0, 404, "{path}");
    }
    let (code, _, _) = site.request_link(EDITOR);
    assert_eq!(code, 404);
}

#[test]
fn desk_lists_are_checked_like_every_other_reference() {
    let t = Tree::minimal();
    t.write("config/lists/editors.toml", "name = \"Editors\"\n");
    t.append_config("[desk]\neditors = [\"editor\"]\nsession_idle_minutes = 0\n");
    let d = t.diagnostics().join("\n");
    assert!(d.contains("unknown list `editor` in [desk]"), "{d}");
    assert!(d.contains("did you mean `editors`?"), "{d}");
    assert!(d.contains("config/bulletin.toml:"), "{d}");
    assert!(d.contains("session_idle_minutes"), "{d}");
    let t = Tree::minimal();
    t.append_config("[desk]\neditors = [\"all\"]\ntrusted_proxies = [\"localhost\"]\n");
    let d = t.diagnostics().join("\n");
    assert!(d.contains("`localhost` is not an IP address"), "{d}");
    assert!(t.load().project.is_none());
}

#[test]
fn sign_in_works_the_same_on_a_postgresql_ledger() {
    let db = support::pg::PgDb::create();
    let sink = SmtpSink::start(&[]);
    let t = support::desk::tree(sink.port, "");
    let c = clock();
    let vars = [("BULLETIN_DATABASE_URL", db.url.as_str())];
    let site = DeskSite::in_process_env(c.clone(), t, sink, &vars);
    let link = site.mailed_link(EDITOR);
    let laptop = site.use_link(&link).expect("the link signs in");
    assert!(site.use_link(&link).is_none(), "once");
    let phone = site.sign_in(EDITOR);
    assert!(signed_in(&site, &laptop) && signed_in(&site, &phone));
    for _ in 0..4 {
        site.request_link(EDITOR);
    }
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(site.links_to(EDITOR).len(), 3, "3 links in 15 minutes");
    assert_eq!(laptop.post(&site, "/desk/sign-out-everywhere", "").0, 200);
    assert!(!signed_in(&site, &phone));
    c.advance(15 * 60 + 1);
    let s = site.sign_in(EDITOR);
    c.advance(31 * 60);
    assert!(!signed_in(&site, &s), "idle");
}
