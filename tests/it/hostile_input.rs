//! Files written to hurt: hostile or broken content in the project's files is refused by
//! `check` (and by every command that loads the project) with a clear `path:line:col` error,
//! never a crash, a hang or a leak.

use crate::support;

use support::wait_until;
use support::{Tree, bulletin};

fn run(tree: &Tree, args: &[&str]) -> (Option<i32>, String) {
    let out = bulletin(tree.root()).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

const FRONT: &str = "+++\ntitle = \"Deep\"\nsection = \"partnership\"\npublish = 2026-11-25\n+++\n";

#[test]
fn deeply_nested_markdown_is_an_error_not_a_stack_overflow() {
    let bodies = [
        ("quotes", ">".repeat(30_000) + " hi\n"),
        ("bullets", "* ".repeat(30_000) + "a\n"),
        ("numbers", "1. ".repeat(30_000) + "a\n"),
        (
            "emphasis",
            "*".repeat(30_000) + "a" + &"*".repeat(30_000) + "\n",
        ),
    ];
    for (what, body) in bodies {
        let tree = Tree::minimal();
        tree.write("news/deep.md", &format!("{FRONT}{body}"));
        for args in [
            &["check"][..],
            &["preview", "news", "--date", "2026-12-01"][..],
        ] {
            let (code, text) = run(&tree, args);
            assert_eq!(code, Some(1), "{what} {args:?}: {text}");
            assert!(
                text.contains("news/deep.md:6:")
                    && text.contains("error: the Markdown nests more than 32 levels deep here")
                    && text.contains("hint: quotes, lists and emphasis can nest at most 32"),
                "{what} {args:?}: {text}"
            );
        }
    }
}

#[test]
fn nesting_within_the_bound_is_fine_and_the_error_points_at_the_first_level_too_deep() {
    let tree = Tree::minimal();
    tree.write(
        "news/deep.md",
        &format!("{FRONT}Intro.\n\n{} fine\n", ">".repeat(31)),
    );
    let (code, text) = run(&tree, &["preview", "news", "--date", "2026-12-01"]);
    assert_eq!(code, Some(0), "{text}");
    tree.write(
        "news/deep.md",
        &format!("{FRONT}Intro.\n\n{} too deep\n", ">".repeat(33)),
    );
    let (code, text) = run(&tree, &["check"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("news/deep.md:8:33: error: the Markdown nests more than 32 levels deep"),
        "{text}"
    );
}

#[test]
fn deep_markdown_in_a_campaign_summary_or_a_standing_block_is_refused_too() {
    let tree = Tree::minimal();
    tree.write(
        "campaigns/week.toml",
        &support::CAMPAIGN_TOML.replace(
            "summary = \"About the week.\"",
            &format!("summary = \"{}a\"", "> ".repeat(5_000)),
        ),
    );
    tree.write(
        "templates/blocks/worried.md",
        &format!("+++\ntitle = \"Worried?\"\n+++\n{}a\n", "- ".repeat(5_000)),
    );
    let (code, text) = run(&tree, &["check"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("campaigns/week.toml:2:11: error: `summary` nests Markdown more than 32"),
        "{text}"
    );
    assert!(text.contains("templates/blocks/worried.md:4:"), "{text}");
}

/// Run with a deadline: a command that takes longer is killed and the test fails.
fn run_within(tree: &Tree, args: &[&str], secs: u64) -> (Option<i32>, String) {
    let mut child = bulletin(tree.root())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let exited = wait_until(std::time::Duration::from_secs(secs), || {
        child.try_wait().unwrap().is_some()
    });
    if !exited {
        child.kill().unwrap();
        child.wait().unwrap();
        panic!("`bulletin {}` took more than {secs} s", args.join(" "));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `n` lists, each including the next two (and the last, optionally, the first): the shape
/// that made cycle detection exponential.
fn include_ladder(n: usize, close_the_loop: bool) -> Tree {
    let tree = Tree::minimal();
    tree.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\ninclude = [\"l00\"]\n",
    );
    for i in 0..n {
        let mut inc: Vec<String> = (i + 1..(i + 3).min(n))
            .map(|j| format!("\"l{j:02}\""))
            .collect();
        if close_the_loop && i + 1 == n {
            inc.push("\"l00\"".into());
        }
        tree.write(
            &format!("config/lists/l{i:02}.toml"),
            &format!(
                "name = \"List {i}\"\ninclude = [{}]\n[[member]]\nemail = \"m{i}@x.example\"\n",
                inc.join(", ")
            ),
        );
    }
    tree
}

#[test]
fn include_checks_are_linear_in_the_number_of_lists() {
    let tree = include_ladder(80, false);
    let (code, text) = run_within(&tree, &["lists", "--format", "json"], 30);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("\"id\": \"all\",\n    \"name\": \"Everyone\",\n    \"members\": 80"),
        "{text}"
    );
    let (code, text) = run_within(&tree, &["check"], 30);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn an_include_cycle_is_reported_with_its_whole_path() {
    let tree = include_ladder(80, true);
    let (code, text) = run_within(&tree, &["check"], 30);
    assert_eq!(code, Some(1), "{text}");
    let names: Vec<String> = (0..80).map(|i| format!("l{i:02}")).collect();
    let expected = format!(
        "config/lists/l79.toml:2:12: error: include cycle: {} → l00\n  hint: remove one of these includes",
        names.join(" → ")
    );
    assert!(text.contains(&expected), "{text}");
    assert_eq!(text.matches("include cycle").count(), 1, "{text}");
}

#[test]
fn check_warns_about_a_subject_too_long_for_an_inbox() {
    let tree = Tree::minimal();
    let long = format!(
        "{} {{month}} {{year}}",
        "A very long subject line".repeat(3)
    );
    tree.write(
        "config/bulletin.toml",
        &support::BULLETIN_TOML.replace("\"News: {month} {year}\"", &format!("\"{long}\"")),
    );
    let (code, text) = run(&tree, &["check"]);
    assert_eq!(code, Some(0), "a warning, not an error: {text}");
    assert!(
        text.contains(
            "config/bulletin.toml:13:11: warning: `subject` can be 87 characters long once filled in; mail clients cut subjects after about 78"
        ),
        "{text}"
    );
    // 65 characters of text and "September 2026": 80 in September, so it warns; 60 does not.
    for (prefix, warns) in [(65, true), (60, false)] {
        tree.write(
            "config/bulletin.toml",
            &support::BULLETIN_TOML.replace(
                "\"News: {month} {year}\"",
                &format!("\"{} {{month}} {{year}}\"", "x".repeat(prefix)),
            ),
        );
        let (_, text) = run(&tree, &["check"]);
        assert_eq!(text.contains("`subject` can be"), warns, "{prefix}: {text}");
    }
}

fn list_with_csv(tree: &Tree, csv: &str) {
    tree.write(
        "config/lists/all.toml",
        &format!("name = \"Everyone\"\nmembers_csv = \"{csv}\"\n"),
    );
}

#[test]
fn members_csv_must_stay_inside_the_project() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "TOPSECRET-password-hunter2\nmore\n").unwrap();
    let tree = Tree::minimal();
    let up = "../".repeat(40);
    let cases: Vec<(String, &str)> = vec![
        (
            secret.display().to_string(),
            "config/lists/all.toml:2:15: error: `members_csv` must be a path inside the project, not an absolute path",
        ),
        (
            "/etc/passwd".into(),
            "config/lists/all.toml:2:15: error: `members_csv` must be a path inside the project, not an absolute path",
        ),
        (
            format!("{up}etc/passwd"),
            "config/lists/all.toml:2:15: error: `members_csv` leads outside the project folder (through `..` or a symlink)",
        ),
        (
            "linked.csv".into(),
            "config/lists/all.toml:2:15: error: `members_csv` leads outside the project folder (through `..` or a symlink)",
        ),
    ];
    std::os::unix::fs::symlink(&secret, tree.root().join("config/lists/linked.csv")).unwrap();
    for (csv, expected) in cases {
        list_with_csv(&tree, &csv);
        let (code, text) = run(&tree, &["check"]);
        assert_eq!(code, Some(1), "{csv}: {text}");
        assert!(text.contains(expected), "{csv}: {text}");
        assert!(
            text.contains("hint: keep list CSVs in the project"),
            "{text}"
        );
        assert!(
            !text.contains("TOPSECRET") && !text.contains("root:"),
            "{csv}: {text}"
        );
    }
    // Inside the project, through `..`, is fine.
    tree.write("data/people.csv", "email,name\nsam@x.example,Sam\n");
    list_with_csv(&tree, "../../data/people.csv");
    let (code, text) = run(&tree, &["check"]);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn an_unknown_csv_header_is_echoed_only_as_a_short_escaped_excerpt() {
    let tree = Tree::minimal();
    list_with_csv(&tree, "all.csv");
    let header = format!("sk_live_{}\u{1b}[2J-tail", "0123456789".repeat(6));
    tree.write(
        "config/lists/all.csv",
        &format!("{header},email\nsam@x.example\n"),
    );
    let (code, text) = run(&tree, &["check"]);
    assert_eq!(code, Some(1), "{text}");
    let expected = format!(
        "unknown column `sk_live_{}…` in the header",
        &"0123456789".repeat(4)[..32]
    );
    assert!(text.contains(&expected), "{text}");
    assert!(
        !text.contains("-tail") && !text.contains('\u{1b}'),
        "{text}"
    );
}

fn news_check(tree: &Tree) -> (Option<i32>, String) {
    run_within(tree, &["check"], 30)
}

#[test]
fn a_symlink_loop_in_news_is_refused_not_multiplied() {
    let tree = Tree::minimal();
    std::fs::create_dir_all(tree.root().join("news/2026")).unwrap();
    tree.write("news/2026/more.md", support::NEWS_MD);
    std::os::unix::fs::symlink("..", tree.root().join("news/2026/loop")).unwrap();
    let (code, text) = news_check(&tree);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("news/2026/loop:1:1: error: this folder is")
            && text.contains("already read: a symlink loop"),
        "{text}"
    );
    // Each item once: the loop adds nothing.
    std::fs::remove_file(tree.root().join("news/2026/loop")).unwrap();
    let (code, text) = news_check(&tree);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("2 news item(s)"), "{text}");
}

#[test]
fn an_unreadable_news_folder_is_an_error() {
    // A news/ that is a link to itself cannot be read by anyone, root included.
    let tree = Tree::minimal();
    std::fs::remove_dir_all(tree.root().join("news")).unwrap();
    std::os::unix::fs::symlink("news", tree.root().join("news")).unwrap();
    let (code, text) = news_check(&tree);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("news:1:1: error: cannot read the folder"),
        "{text}"
    );

    // A folder without read permission: only meaningful when not running as root.
    let tree = Tree::minimal();
    let sub = tree.root().join("news/private");
    std::fs::create_dir_all(&sub).unwrap();
    tree.write("news/private/x.md", support::NEWS_MD);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&sub).is_ok() {
        eprintln!("note: running as root, where mode 000 does not stop reading; skipped that case");
    } else {
        let (code, text) = news_check(&tree);
        assert_eq!(code, Some(1), "{text}");
        assert!(
            text.contains("news/private:1:1: error: cannot read the folder"),
            "{text}"
        );
    }
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn special_and_oversized_news_files_are_refused_without_reading_them() {
    let tree = Tree::minimal();
    let fifo = tree.root().join("news/pipe.md");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(ok.success());
    std::os::unix::fs::symlink("/dev/zero", tree.root().join("news/zero.md")).unwrap();
    tree.write(
        "news/big.md",
        &format!("{}{}", support::NEWS_MD, "x".repeat(1024 * 1024)),
    );
    let (code, text) = news_check(&tree);
    assert_eq!(code, Some(1), "{text}");
    for expected in [
        "news/pipe.md:1:1: error: this is a FIFO (named pipe), not a regular file: it was not opened",
        "news/zero.md:1:1: error: this is a device, not a regular file: it was not opened",
        "news/big.md:1:1: error: the file is larger than 1.0 MiB",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
}

#[test]
fn files_in_news_that_are_not_markdown_are_warned_about() {
    let tree = Tree::minimal();
    tree.write("news/notes.txt", "not an item\n");
    tree.write("news/.gitkeep", "");
    let (code, text) = news_check(&tree);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(
            "news/notes.txt:1:1: warning: not a news item: only `.md` files in news/ are read"
        ),
        "{text}"
    );
    assert!(!text.contains(".gitkeep"), "{text}");
}

#[test]
fn the_daemon_survives_a_deeply_nested_news_item_and_keeps_its_last_good_config() {
    use std::io::{BufRead, BufReader};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    let tree = Tree::minimal();
    let mut child = bulletin(tree.root())
        .arg("run")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let sink = log.clone();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let mut l = sink.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    let wait_for = |what: &str| {
        wait_until(Duration::from_secs(20), || {
            log.lock().unwrap().contains(what)
        })
    };
    assert!(wait_for("running"), "{}", log.lock().unwrap());
    tree.write(
        "news/deep.md",
        &format!("{FRONT}{}a\n", "> ".repeat(30_000)),
    );
    // The files are watched: the broken edit is seen, reported like check, and survived.
    assert!(
        wait_for("keeping the last good one"),
        "{}",
        log.lock().unwrap()
    );
    assert!(
        log.lock()
            .unwrap()
            .contains("error: the Markdown nests more than 32 levels deep"),
        "{}",
        log.lock().unwrap()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "{}",
        log.lock().unwrap()
    );
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let mut status = None;
    if !wait_until(Duration::from_secs(40), || {
        status = child.try_wait().unwrap();
        status.is_some()
    }) {
        let _ = child.kill();
        panic!("did not stop: {}", log.lock().unwrap());
    }
    let status = status.unwrap();
    assert_eq!(status.code(), Some(0), "{}", log.lock().unwrap());
}

#[test]
fn the_other_folders_and_the_stylesheet_are_read_as_carefully() {
    // An unreadable lists folder is an error, not "no lists".
    let tree = Tree::minimal();
    std::fs::remove_dir_all(tree.root().join("config/lists")).unwrap();
    std::os::unix::fs::symlink("lists", tree.root().join("config/lists")).unwrap();
    let (code, text) = run_within(&tree, &["check"], 30);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("config/lists:1:1: error: cannot read the folder"),
        "{text}"
    );

    // A FIFO for a stylesheet stalls nothing: the stylesheet is read with the project, so
    // preview (and every other command) says what it is, at the file, and stops.
    let tree = Tree::minimal();
    let css = tree.root().join("templates/email.css");
    let ok = std::process::Command::new("mkfifo")
        .arg(&css)
        .status()
        .unwrap();
    assert!(ok.success());
    let fifo = "templates/email.css:1:1: error: this is a FIFO (named pipe), not a regular file";
    let (code, text) = run_within(&tree, &["preview", "news", "--date", "2026-12-01"], 30);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(fifo), "{text}");
    // `check` reports it at the stylesheet itself, not as an issue that cannot be rendered.
    let (code, text) = run_within(&tree, &["check"], 30);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(fifo), "{text}");
    assert!(!text.contains("cannot be rendered"), "{text}");
}
