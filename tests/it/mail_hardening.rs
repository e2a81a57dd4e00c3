//! Messages that no file content can bend: the personal unsubscribe link lands where the
//! template put it and nowhere else, and every header stays within the line limits and reads
//! back exactly through an independent parser (Python's `email`).

use crate::support;

use bulletin::address::EmailAddress;
use bulletin::config::Project;
use bulletin::issue;
use bulletin::render::{Context, DEFAULT_CSS, Recipient, Rendered};
use support::Tree;
use support::email::{header, parse_email, raw_header_lines};
use support::signer;

fn render(project: &Project, date: &str) -> Rendered {
    let b = project.bulletin("news").unwrap();
    let issue = issue::assemble(project, b, date.parse().unwrap());
    let ctx = Context {
        organisation: &project.settings.organisation,
        public_url: &project.settings.web.public_url,
        css: DEFAULT_CSS,
        unsubscribe_mailbox: None,
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

/// Every header line of a message: within 998 octets always, and within 78 unless it is one
/// unbreakable token (a long unsubscribe URL) after the field name.
fn assert_header_lines_short(raw: &[u8]) {
    for line in raw_header_lines(raw) {
        assert!(line.len() <= 998, "{} octets: {line}", line.len());
        let value = line.split_once(": ").map_or(line.as_str(), |(_, v)| v);
        assert!(
            line.len() <= 78 || !value.trim().contains(' '),
            "{} octets: {line}",
            line.len()
        );
    }
}

#[test]
fn long_and_awkward_subjects_are_folded_and_read_back_exactly() {
    let t = Tree::minimal();
    let p = t.load().project.unwrap();
    let b = p.bulletin("news").unwrap();
    let ctx = Context {
        organisation: &p.settings.organisation,
        public_url: &p.settings.web.public_url,
        css: DEFAULT_CSS,
        unsubscribe_mailbox: None,
    };
    let to = EmailAddress::parse("a@x.example").unwrap();
    let subjects = [
        "x".repeat(3_000),
        "word ".repeat(600).trim_end().to_string(),
        "Siân’s news — café ".repeat(150),
        format!("{} end", "y".repeat(90)),
        "Literal =?utf-8?q?not_encoded?= text".to_string(),
        "Two  spaces and a trailing one ".to_string(),
        "SSCP news: December 2026".to_string(),
    ];
    for subject in subjects {
        let mut issue = issue::assemble(&p, b, "2026-12-01".parse().unwrap());
        issue.subject = subject.clone();
        let r = Rendered::new(&issue, &ctx).unwrap();
        let raw = message(&r, &to, None);
        assert_header_lines_short(&raw);
        let parsed = parse_email(&raw);
        assert_eq!(parsed["defects"], serde_json::json!([]), "{subject}");
        assert_eq!(parsed["header_defects"], serde_json::json!({}), "{subject}");
        assert_eq!(header(&parsed, "Subject"), [subject.as_str()]);
    }
}

#[test]
fn display_names_round_trip_through_an_independent_parser() {
    let t = Tree::minimal();
    let mut p = t.load().project.unwrap();
    let long = "Long name with many words ".repeat(7);
    let names = [
        "Siân O’Brien, DSL",
        "Patel, Anjali",
        "Say \"hi\" \\ back\\",
        "=?utf-8?b?SGFja2Vk?=",
        "Jo =?utf-8?q?x?= Bloggs",
        "Plain Name",
        "Dr. J. R. Smith (Police)",
        "Two  spaces",
        long.trim_end(),
        &"n".repeat(200),
        "Siân O’Brien, Designated Safeguarding Lead (Primary) — Ysgol Gymraeg Bro Morgannwg",
    ];
    for name in names {
        let display = bulletin::address::DisplayName::parse(name).unwrap();
        p.settings.organisation.from.name = Some(display.clone());
        p.settings.organisation.reply_to = Some(bulletin::address::Mailbox {
            name: Some(display.clone()),
            address: EmailAddress::parse("reply@test.example").unwrap(),
        });
        let r = render(&p, "2026-12-01");
        let to = EmailAddress::parse("a@x.example").unwrap();
        let raw = message(&r, &to, Some(&display));
        assert_header_lines_short(&raw);
        let parsed = parse_email(&raw);
        assert_eq!(parsed["header_defects"], serde_json::json!({}), "{name}");
        let want = display.as_str();
        assert_eq!(
            parsed["addresses"]["To"],
            serde_json::json!([[want, "a@x.example"]]),
            "{name}"
        );
        assert_eq!(
            parsed["addresses"]["From"],
            serde_json::json!([[want, "news@test.example"]]),
            "{name}"
        );
        assert_eq!(
            parsed["addresses"]["Reply-To"],
            serde_json::json!([[want, "reply@test.example"]]),
            "{name}"
        );
    }
}

/// The display name of a raw `To:` field decoded by the letter of RFC 2047: unfolded, each
/// encoded word decoded, white space between two adjacent encoded words dropped (6.2).
fn rfc2047_display_name(raw: &[u8]) -> String {
    use base64::Engine;
    let lines = raw_header_lines(raw);
    let mut value = String::new();
    let mut in_to = false;
    for l in lines {
        if let Some(v) = l.strip_prefix("To: ") {
            in_to = true;
            value.push_str(v);
        } else if in_to && l.starts_with(' ') {
            value.push_str(&l);
        } else {
            in_to = false;
        }
    }
    let phrase = &value[..value.rfind(" <").unwrap()];
    let mut out = String::new();
    let mut last_was_ew = false;
    for token in phrase.split(' ').filter(|t| !t.is_empty()) {
        match token
            .strip_prefix("=?utf-8?b?")
            .and_then(|t| t.strip_suffix("?="))
        {
            Some(b64) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap();
                if !last_was_ew && !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&String::from_utf8(bytes).unwrap());
                last_was_ew = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(token);
                last_was_ew = false;
            }
        }
    }
    out
}

#[test]
fn names_too_long_for_one_encoded_word_are_split_the_rfc_2047_way() {
    // Runs of non-ASCII text longer than one encoded word become adjacent encoded words, which
    // RFC 2047 (section 6.2) joins with nothing between them. Python's address parser keeps
    // the folding space between them (a known deviation), so the exact check here is by the
    // RFC, and Python must still read the address without defects.
    for name in ["Ü".repeat(200), "Siân ".repeat(40).trim_end().to_string()] {
        let display = bulletin::address::DisplayName::parse(&name).unwrap();
        let t = Tree::minimal();
        let p = t.load().project.unwrap();
        let r = render(&p, "2026-12-01");
        let to = EmailAddress::parse("a@x.example").unwrap();
        let raw = message(&r, &to, Some(&display));
        assert_header_lines_short(&raw);
        let to_lines: Vec<String> = raw_header_lines(&raw)
            .into_iter()
            .skip_while(|l| !l.starts_with("To: "))
            .take_while(|l| l.starts_with("To: ") || l.starts_with(' '))
            .collect();
        assert!(to_lines.len() > 3, "{to_lines:?}");
        assert!(
            to_lines.iter().all(|l| l.len() <= 76 && !l.contains('"')),
            "{to_lines:?}"
        );
        assert_eq!(rfc2047_display_name(&raw), name);
        let parsed = parse_email(&raw);
        assert_eq!(parsed["header_defects"], serde_json::json!({}));
        assert_eq!(parsed["addresses"]["To"][0][1], "a@x.example");
    }
}

#[test]
fn issues_stored_before_per_issue_markers_still_get_their_links() {
    let t = Tree::minimal();
    let p = t.load().project.unwrap();
    let r = render(&p, "2026-12-01");
    let to = EmailAddress::parse("a@x.example").unwrap();
    let own = r.unsubscribe_url(&signer(), &to);
    // An issue stored by the previous release: the fixed marker, and no `marker` field.
    let mut json: serde_json::Value = serde_json::to_value(&r).unwrap();
    let marker = json["marker"].as_str().unwrap().to_string();
    json.as_object_mut().unwrap().remove("marker");
    let old = serde_json::to_string(&json)
        .unwrap()
        .replace(&marker, SPOOF);
    let old: Rendered = serde_json::from_str(&old).unwrap();
    assert!(
        old.html_for(&signer(), &to)
            .contains(&format!("href=\"{own}\""))
    );
    assert!(old.text_for(&signer(), &to).contains(&own));
    assert!(!old.html_for_web().contains("unsubscribe.invalid"));
}
