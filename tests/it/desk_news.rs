//! The desk's news pages: a news item written as a person would write it, saved only when the
//! project still passes `check` (the problem shown at the field it concerns), never over a
//! newer edit, committed as the person who made it; and the form with its live preview in a
//! real browser.

use bulletin::config::Env;
use bulletin::news_file::NewsForm;
use bulletin::project_edit::{Author, Edit, EditError, ProjectPath, Version, save};
use bulletin::web::desk::news::problems_at_fields;

use crate::support::{self, Tree};

#[test]
fn every_sample_news_file_opened_in_the_form_and_saved_unchanged_keeps_every_byte() {
    let t = Tree::sample();
    let mut n = 0;
    for entry in std::fs::read_dir(t.root().join("news")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let form = NewsForm::read(&text).unwrap();
        assert_eq!(form.write(Some(&text)).unwrap(), text, "{}", path.display());
        n += 1;
    }
    assert!(n >= 30, "{n} sample files");
}

#[test]
fn a_save_that_breaks_check_writes_nothing_and_names_the_field() {
    let t = Tree::sample();
    let form = NewsForm {
        title: "Safer sleep briefing".into(),
        section: "training".into(),
        publish: "2027-03-01".into(),
        deadline: "2027-02-20".into(),
        body: "Book now.\n\n![](https://example.org/chart.png)\n".into(),
        ..NewsForm::default()
    };
    let text = form.write(None).unwrap();
    let rel = "news/2027-03-safer-sleep-briefing.md";
    let author = Author {
        name: "Eddie Editor".into(),
        email: "ed@x.example".parse().unwrap(),
    };
    let edit = Edit {
        path: ProjectPath::new(rel).unwrap(),
        contents: Some(text.clone()),
        base: Version::absent(),
    };
    let Err(EditError::Check(diags)) = save(
        &t.config(),
        &Env::empty(),
        support::now(),
        &[edit],
        &author,
        "News: add",
    ) else {
        panic!("a deadline before publish must be refused");
    };
    assert!(!t.root().join(rel).exists(), "nothing is written");
    let problems = problems_at_fields(&diags, "2027-03-safer-sleep-briefing", &text);
    let at = |field: &str| {
        problems
            .iter()
            .filter(|p| p.field.as_deref() == Some(field))
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
    };
    assert!(
        at("deadline")
            .iter()
            .any(|m| m.contains("is before `publish`")),
        "{problems:?}"
    );
    assert!(
        at("body").iter().any(|m| m.contains("has no alt text")),
        "{problems:?}"
    );
}

/// The HTTP and browser stories, signed in through the emailed link (`support::desk`).
pub mod signed_in {
    use std::time::Duration;

    use crate::support::desk::{self, DeskSite, csrf_in};
    use crate::support::{self, wait_until};

    use std::process::Command;

    /// Run git in the tree; its output.
    pub fn git(root: &std::path::Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(root)
            .args([
                "-c",
                "user.name=Admin",
                "-c",
                "user.email=admin@example.org",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Make the tree a git work tree with everything committed.
    pub fn work_tree(root: &std::path::Path) {
        git(root, &["init", "-q"]);
        git(root, &["add", "-A"]);
        git(root, &["commit", "-qm", "start"]);
    }

    /// The hidden `version` field of a form page.
    fn version_in(page: &str) -> String {
        let key = "name=\"version\" value=\"";
        let at = page.find(key).expect("the form carries the file's version") + key.len();
        page[at..].split('"').next().unwrap().to_string()
    }

    fn enc(s: &str) -> String {
        serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_string()
    }

    fn site() -> DeskSite {
        DeskSite::start_with("", |t| work_tree(t.root()))
    }

    const NEW_ITEM: &str = "version=absent&action=save&title=Safer+sleep+briefing&section=partnership&publish=2027-03-01&deadline=2027-03-20&themes=babies-under-one&body=Book+by+20+March.";

    #[test]
    fn an_editor_adds_a_news_item_with_a_deadline_and_it_is_committed_as_them() {
        let desk = site();
        let s = desk.sign_in(desk::EDITOR);
        let (code, _, page) = s.get(&desk, "/desk/news/new");
        assert_eq!(code, 200, "{page}");
        assert_eq!(version_in(&page), "absent");
        let (code, head, body) = s.post(&desk, "/desk/news/new", NEW_ITEM);
        assert_eq!(code, 303, "{body}");
        assert!(
            head.to_ascii_lowercase()
                .contains("location: /desk/news/2027-03-safer-sleep-briefing?saved=1"),
            "{head}"
        );
        let file = std::fs::read_to_string(
            desk.tree
                .root()
                .join("news/2027-03-safer-sleep-briefing.md"),
        )
        .unwrap();
        assert_eq!(
            file,
            "+++\ntitle = \"Safer sleep briefing\"\nsection = \"partnership\"\npublish = 2027-03-01\ndeadline = 2027-03-20\nthemes = [\"babies-under-one\"]\n+++\nBook by 20 March.\n"
        );
        let log = git(
            desk.tree.root(),
            &["log", "-1", "--format=%an <%ae>|%s", "--name-only"],
        );
        assert!(
            log.starts_with("Eddie Editor <ed@x.example>|News: add \"Safer sleep briefing\""),
            "{log}"
        );
        assert!(
            log.contains("news/2027-03-safer-sleep-briefing.md"),
            "{log}"
        );
        // The daemon reloads the saved file (as for SIGHUP); the list then shows it.
        assert!(
            wait_until(Duration::from_secs(20), || s
                .get(&desk, "/desk/news")
                .2
                .contains("Safer sleep briefing")),
            "the list shows the new item once the daemon has reloaded"
        );
        let (_, _, page) = s.get(&desk, "/desk/news/2027-03-safer-sleep-briefing");
        assert!(page.contains("News: add"), "the file's history: {page}");
    }

    #[test]
    fn a_save_that_breaks_check_shows_the_problem_at_its_field_and_writes_nothing() {
        let desk = site();
        let s = desk.sign_in(desk::EDITOR);
        let body = NEW_ITEM.replace("deadline=2027-03-20", "deadline=2027-02-20");
        let (code, _, page) = s.post(&desk, "/desk/news/new", &body);
        assert_eq!(code, 422, "{page}");
        assert!(page.contains("There is a problem"), "{page}");
        assert!(
            page.contains("href=\"#deadline\""),
            "summary links to the field: {page}"
        );
        let field = &page[page
            .find("id=\"deadline-error\"")
            .expect("error at the field")..];
        assert!(field[..400].contains("is before `publish`"), "{field}");
        assert!(
            !desk
                .tree
                .root()
                .join("news/2027-03-safer-sleep-briefing.md")
                .exists()
        );
    }

    #[test]
    fn two_people_editing_one_item_lose_neither_edit() {
        let desk = site();
        let a = desk.sign_in(desk::EDITOR);
        let b = desk.sign_in(desk::ADMIN);
        let (_, _, page_a) = a.get(&desk, "/desk/news/item");
        let (_, _, page_b) = b.get(&desk, "/desk/news/item");
        let (va, vb) = (version_in(&page_a), version_in(&page_b));
        assert_eq!(va, vb);
        let form = |title: &str, v: &str| {
            format!(
                "version={v}&action=save&title={}&section=partnership&publish=2026-11-01&body=Body.",
                enc(title)
            )
        };
        let (code, _, body) = a.post(&desk, "/desk/news/item", &form("First edit", &va));
        assert_eq!(code, 303, "{body}");
        let (code, _, page) = b.post(&desk, "/desk/news/item", &form("Second edit", &vb));
        assert_eq!(code, 409, "{page}");
        assert!(page.contains("changed since you opened it"), "{page}");
        let file = std::fs::read_to_string(desk.tree.root().join("news/item.md")).unwrap();
        assert!(file.contains("title = \"First edit\""), "{file}");
        let kept_dir = desk.tree.root().join(".desk/conflicts");
        let kept: Vec<_> = std::fs::read_dir(&kept_dir).unwrap().collect();
        assert_eq!(kept.len(), 1);
        let kept_path = kept[0].as_ref().unwrap().path();
        let kept_text = std::fs::read_to_string(&kept_path).unwrap();
        assert!(kept_text.contains("title = \"Second edit\""), "{kept_text}");
        let name = kept_path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            page.contains(&name),
            "the page says where it is kept: {page}"
        );
        assert_ne!(
            version_in(&page),
            vb,
            "the form now holds the file as it is"
        );
    }

    #[test]
    fn a_form_without_the_sessions_token_is_refused() {
        let desk = site();
        let s = desk.sign_in(desk::EDITOR);
        let (code, _, _) = s.post_raw(&desk, "/desk/news/new", NEW_ITEM);
        assert_eq!(code, 403);
        let (code, _, _) = s.post_raw(&desk, "/desk/news/preview", NEW_ITEM);
        assert_eq!(code, 403);
    }

    #[test]
    fn preview_changes_nothing_and_renders_the_item_as_the_email_does() {
        let desk = site();
        let s = desk.sign_in(desk::EDITOR);
        let before = git(desk.tree.root(), &["status", "--porcelain"]);
        let (code, head, page) = s.post(&desk, "/desk/news/preview", NEW_ITEM);
        assert_eq!(code, 200, "{page}");
        assert!(page.contains("Safer sleep briefing") && page.contains("Book by 20 March."));
        assert!(
            page.contains("style="),
            "the email's inlined styles: {page}"
        );
        assert!(head.contains("frame-ancestors 'self'"), "{head}");
        assert_eq!(git(desk.tree.root(), &["status", "--porcelain"]), before);
    }

    /// The browser story: sign in, add an item with a deadline watching the live preview, and
    /// axe on every news and campaign page.
    #[test]
    fn in_chromium_an_editor_adds_an_item_and_sees_it_in_the_live_preview() {
        let desk = site();
        let s = desk.sign_in(desk::EDITOR);
        let base = format!("http://127.0.0.1:{}", desk.port());
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y");
        let out = std::process::Command::new("node")
            .arg(dir.join("desk-edit.mjs"))
            .arg(&base)
            .arg(s.cookie_value())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "desk-edit.mjs: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["preview_shows_item"], true, "{r:#}");
        assert_eq!(r["preview_shows_deadline"], true, "{r:#}");
        assert_eq!(r["saved_status"], 200, "{r:#}");
        assert_eq!(r["csp_errors"], serde_json::json!([]), "{r:#}");
        assert!(r.get("error").is_none(), "{r:#}");
        for p in r["pages"].as_array().unwrap() {
            assert_eq!(p["violations"].as_array().unwrap().len(), 0, "{p:#}");
            assert!(p["status"] == 200 || p["status"] == 422, "{p:#}");
        }
        assert!(r["pages"].as_array().unwrap().len() >= 7, "{r:#}");
        assert!(wait_until(Duration::from_secs(5), || desk
            .tree
            .root()
            .join("news/2027-03-safer-sleep-briefing.md")
            .exists()));
        let _ = (csrf_in, support::now);
    }
}
