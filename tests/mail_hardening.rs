//! Messages that no file content can bend: the personal unsubscribe link lands where the
//! template put it and nowhere else, and every header stays within the line limits and reads
//! back exactly through an independent parser (Python's `email`).

mod support;

use bulletin::address::EmailAddress;
use bulletin::config::Project;
use bulletin::issue;
use bulletin::render::{Context, DEFAULT_CSS, Recipient, Rendered};
use bulletin::secret::Secret;
use bulletin::token::Signer;
use support::Tree;
use support::email::{header, parse_email};

fn signer() -> Signer {
    Signer::new("k1", Secret::new("test-secret-test-secret-test-secret"))
}

fn render(project: &Project, date: &str) -> Rendered {
    let b = project.bulletin("news").unwrap();
    let issue = issue::assemble(project, b, date.parse().unwrap());
    let ctx = Context {
        organisation: &project.settings.organisation,
        public_url: &project.settings.web.public_url,
        css: DEFAULT_CSS,
    };
    Rendered::new(&issue, &ctx).expect("renders")
}

fn message(
    r: &Rendered,
    email: &EmailAddress,
    name: Option<&bulletin::address::DisplayName>,
) -> Vec<u8> {
    let mut raw = Vec::new();
    r.message(&signer(), &Recipient { email, name }, &mut raw);
    raw
}

/// The old fixed marker, and a link to it, written into a news item.
const SPOOF: &str = "https://unsubscribe.invalid/personal-link";

#[test]
fn content_that_writes_the_unsubscribe_placeholder_cannot_take_the_footer_link() {
    let t = Tree::minimal();
    t.write(
        "news/item.md",
        &format!(
            "+++\ntitle = \"Spoof\"\nsection = \"partnership\"\npublish = 2026-11-20\n+++\nPlain: {SPOOF}\n\nLinked: [claim your prize]({SPOOF})\n"
        ),
    );
    let p = t.load().project.expect("loads");
    let r = render(&p, "2026-12-01");
    let mut seen = std::collections::BTreeSet::new();
    for who in ["a@x.example", "b@x.example", "c@x.example"] {
        let to = EmailAddress::parse(who).unwrap();
        let parsed = parse_email(&message(&r, &to, None));
        let lu = header(&parsed, "List-Unsubscribe")[0];
        let own = &lu[1..lu.find('>').unwrap()];
        let token = own.rsplit('/').next().unwrap();
        assert_eq!(
            signer().verify(token).expect("verifies").email.as_str(),
            who
        );
        assert!(
            seen.insert(own.to_string()),
            "every recipient has their own link"
        );
        let text = parsed["parts"][0]["text"]
            .as_str()
            .unwrap()
            .replace("\r\n", "\n");
        let html = parsed["parts"][1]["text"]
            .as_str()
            .unwrap()
            .replace("\r\n", "\n");
        // The footer carries the recipient's own link...
        assert!(
            text.contains(&format!("Unsubscribe (one click, no login):\n{own}\n")),
            "{text}"
        );
        assert!(html.contains(&format!("href=\"{own}\"")), "{html}");
        // ...once, and the content shows what it wrote, as written.
        assert_eq!(text.matches(own).count(), 1, "{text}");
        assert_eq!(html.matches(own).count(), 1, "{html}");
        assert!(text.contains(&format!("Plain: {SPOOF}")), "{text}");
        assert!(html.contains(&format!("Plain: {SPOOF}")), "{html}");
        assert!(html.contains(&format!("href=\"{SPOOF}\"")), "{html}");
        // The preview and the web copy agree.
        assert_eq!(r.text_for(&signer(), &to).matches(own).count(), 1);
        assert_eq!(r.html_for(&signer(), &to).matches(own).count(), 1);
    }
    let web = r.html_for_web();
    assert!(web.contains(&format!("Plain: {SPOOF}")), "{web}");
    assert!(web.contains("/unsubscribe\""), "{web}");
}
