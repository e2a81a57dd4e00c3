//! The preference page of one address, reached with its unsubscribe token: GET changes
//! nothing, POST changes subscriptions (suppressions) and the name the list's CSV holds.

use std::time::Duration;

use crate::signup::{SECRET, axe, daemon, run, tree};
use crate::support::smtp::SmtpSink;
use crate::support::stdout;

fn token(address: &str) -> String {
    bulletin::token::Signer::new("k1", bulletin::secret::Secret::new(SECRET)).sign(
        &bulletin::ids::BulletinId::parse("news").unwrap(),
        &bulletin::address::EmailAddress::parse(address).unwrap(),
    )
}

fn suppressions(t: &crate::support::Tree) -> serde_json::Value {
    serde_json::from_str(&stdout(&run(t, &["suppressions", "--format", "json"]))).unwrap()
}

#[test]
fn the_preference_page_changes_with_post_only() {
    let sink = SmtpSink::start(&[]);
    let t = tree("open", sink.port);
    let d = daemon(&t);
    let path = format!("/preferences/{}", token("a@x.example"));
    let csv_before = std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap();
    for _ in 0..3 {
        let (status, _, page) = d.get(&path);
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains("checked") && page.contains("value=\"A Person\""),
            "{page}"
        );
    }
    assert_eq!(
        suppressions(&t),
        serde_json::json!([]),
        "GET changed the ledger"
    );
    assert_eq!(
        std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap(),
        csv_before
    );
    // A bad token changes nothing either.
    assert_eq!(
        d.post_form("/preferences/k1.AAAA.BBBB", "action=all").0,
        400
    );
    assert_eq!(suppressions(&t), serde_json::json!([]));

    // Untick the bulletin and give a new name.
    let (status, _, page) = d.post_form(&path, "action=save&name=Alex+Person&agency=Police%2C+DSL");
    assert_eq!(status, 200, "{page}");
    let s = suppressions(&t);
    assert_eq!(s[0]["scope"], "bulletin:news", "{s:#}");
    let csv = std::fs::read_to_string(t.root().join("config/lists/all.csv")).unwrap();
    assert!(
        csv.contains("a@x.example,Alex Person,\"Police, DSL\"\n"),
        "{csv}"
    );
    let (_, _, page) = d.get(&path);
    assert!(!page.contains("checked"), "{page}");
    // Tick it again: the suppression is lifted.
    d.post_form(
        &path,
        "action=save&bulletin=news&name=Alex+Person&agency=Police%2C+DSL",
    );
    assert_eq!(suppressions(&t), serde_json::json!([]));
    // Everything.
    d.post_form(&path, "action=all");
    assert_eq!(suppressions(&t)[0]["scope"], "*");
    assert_eq!(run(&t, &["check"]).status.code(), Some(0));

    let base = format!("http://127.0.0.1:{}", d.port());
    let results = axe(&[format!("{base}{path}")]);
    for r in &results {
        assert_eq!(
            r["violations"],
            serde_json::json!([]),
            "{} ({}): {:#}",
            r["target"],
            r["scheme"],
            r["violations"]
        );
    }
    assert_eq!(
        sink.wait_for_count(1, Duration::from_millis(200)),
        0,
        "nothing is mailed"
    );
}
