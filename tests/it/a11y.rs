//! Accessibility: the HTML email passes axe-core's WCAG 2.2 AA rules in a real browser
//! (Debian's headless Chromium), in light and in dark mode. `scripts/test` installs Chromium and
//! the npm packages; without them this test fails and says what is missing.

use crate::support;

use std::path::Path;
use std::process::Command;

use bulletin::address::EmailAddress;
use bulletin::issue;
use bulletin::render::{Context, DEFAULT_CSS, Rendered};
use bulletin::secret::Secret;
use bulletin::token::Signer;
use support::Tree;

pub(crate) fn axe(files: &[&Path]) -> serde_json::Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y");
    assert!(
        dir.join("node_modules/axe-core").exists()
            && dir.join("node_modules/playwright-core").exists(),
        "axe-core/playwright-core missing: run scripts/test (or `npm ci` in tests/a11y)"
    );
    assert!(
        Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some(),
        "Chromium missing: run scripts/test (it installs Debian's chromium)"
    );
    let out = Command::new("node")
        .arg(dir.join("axe.mjs"))
        .args(files)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "axe.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("axe.mjs prints JSON")
}

#[test]
fn the_html_email_has_no_wcag_22_aa_violations() {
    let tree = Tree::sample();
    let project = tree.load().project.expect("sample loads");
    let b = project.bulletin("sscp-news").unwrap();
    let ctx = Context {
        organisation: &project.settings.organisation,
        public_url: &project.settings.web.public_url,
        css: DEFAULT_CSS,
        unsubscribe_mailbox: None,
    };
    let signer = Signer::new("k1", Secret::new("a11y-secret-a11y-secret-a11y-secret"));
    let to = EmailAddress::parse("reader@x.example").unwrap();
    let mut files = Vec::new();
    for date in ["2020-11-01", "2024-11-01", "2026-12-01"] {
        let issue = issue::assemble(&project, b, date.parse().unwrap());
        let r = Rendered::new(&issue, &ctx).unwrap();
        let path = tree.root().join(format!("issue-{date}.html"));
        std::fs::write(&path, r.html_for(&signer, &to)).unwrap();
        files.push(path);
    }
    // A proof, with its banner.
    let issue = issue::assemble(&project, b, "2026-12-01".parse().unwrap());
    let note = bulletin::render::ProofNote {
        lines: vec![
            "This issue goes on Tuesday 1 December 2026 at 09:00 GMT to 33 people.".into(),
            "It needs approval before it goes: run `bulletin approve sscp-news --date 2026-12-01`."
                .into(),
        ],
        ..Default::default()
    };
    let proof = Rendered::new(&issue, &ctx)
        .unwrap()
        .into_proof(&note, &ctx.web_url(&issue), "http://127.0.0.1:8080/proof/0")
        .unwrap();
    let path = tree.root().join("proof-2026-12-01.html");
    std::fs::write(&path, proof.html_for(&signer, &to)).unwrap();
    files.push(path);
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let results = axe(&refs);
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 8, "three issues and a proof, light and dark");
    for r in results {
        assert!(r["passes"].as_u64().unwrap() > 5, "axe ran its rules: {r}");
        assert_eq!(
            r["violations"],
            serde_json::json!([]),
            "{} ({}): {:#}",
            r["target"],
            r["scheme"],
            r["violations"]
        );
    }
}
