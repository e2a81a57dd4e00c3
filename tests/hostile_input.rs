//! Files written to hurt: hostile or broken content in the project's files is refused by
//! `check` (and by every command that loads the project) with a clear `path:line:col` error,
//! never a crash, a hang or a leak.

mod support;

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
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`bulletin {}` took more than {secs} s", args.join(" "));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
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
