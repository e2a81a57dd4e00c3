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
