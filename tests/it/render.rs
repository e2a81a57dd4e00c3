//! A partner opens the bulletin: it carries the right news and campaigns for its date, reads
//! well as HTML and as plain text, and arrives as a well-formed message that no file content
//! can break.

use crate::support;

use bulletin::address::EmailAddress;
use bulletin::config::Project;
use bulletin::issue::{self, SectionBody};
use bulletin::render::{Context, DEFAULT_CSS, Recipient, Rendered};
use support::Tree;
use support::day as d;
use support::email::{header, parse_email};
use support::signer;

fn render(project: &Project, bulletin: &str, date: &str) -> (issue::Issue, Rendered) {
    let b = project.bulletin(bulletin).unwrap();
    let issue = issue::assemble(project, b, d(date));
    let ctx = Context {
        organisation: &project.settings.organisation,
        public_url: &project.settings.web.public_url,
        css: DEFAULT_CSS,
        unsubscribe_mailbox: None,
    };
    let r = Rendered::new(&issue, &ctx).expect("renders");
    (issue, r)
}

fn sample() -> Project {
    Tree::sample().load().project.expect("sample loads")
}

fn campaign_titles(issue: &issue::Issue) -> (Vec<String>, Vec<String>) {
    for s in &issue.sections {
        if let SectionBody::Campaigns(c) = &s.body {
            return (
                c.on_now.iter().map(|e| e.campaign.clone()).collect(),
                c.coming_up.iter().map(|e| e.campaign.clone()).collect(),
            );
        }
    }
    (vec![], vec![])
}

#[test]
fn the_november_2024_issue_carries_its_news_and_sixteen_days_coming_up() {
    let p = sample();
    let (issue, _) = render(&p, "sscp-news", "2024-11-01");
    assert_eq!(issue.subject, "SSCP news: November 2024");
    let news: Vec<&str> = issue
        .sections
        .iter()
        .filter_map(|s| match &s.body {
            SectionBody::News(items) => Some(items.iter().map(|i| i.title.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(
        news.contains(&"Parents 4 Positive Change (P4PC)"),
        "{news:?}"
    );
    // Every item published for November 2024 is there, and nothing from 2020; an item about a
    // campaign in this issue is inside that campaign's entry instead.
    let in_campaigns: Vec<&str> = campaigns_of(&issue)
        .entries()
        .map(|e| e.campaign.as_str())
        .collect();
    let expected: Vec<&str> = p
        .news
        .iter()
        .filter(|n| n.publish == d("2024-11-01"))
        .filter(|n| {
            n.campaign
                .as_ref()
                .is_none_or(|c| !in_campaigns.contains(&c.value.as_str()))
        })
        .map(|n| n.title.as_str())
        .collect();
    for t in &expected {
        assert!(news.contains(t), "missing {t}");
    }
    assert_eq!(news.len(), expected.len(), "{news:?}");
    let (on_now, coming_up) = campaign_titles(&issue);
    assert!(
        coming_up.contains(&"sixteen-days-of-action".to_string()),
        "{coming_up:?}"
    );
    assert!(!on_now.contains(&"sixteen-days-of-action".to_string()));
    assert!(
        on_now.contains(&"islamophobia-awareness-month".to_string()),
        "{on_now:?}"
    );
    // The standing block closes the issue.
    assert_eq!(
        issue.sections.last().unwrap().title,
        "Worried about a child?"
    );
}

#[test]
fn the_december_2024_issue_has_sixteen_days_on_now() {
    let p = sample();
    let (issue, _) = render(&p, "sscp-news", "2024-12-01");
    let (on_now, _) = campaign_titles(&issue);
    assert!(
        on_now.contains(&"sixteen-days-of-action".to_string()),
        "{on_now:?}"
    );
    // November's news has moved on, except items kept with `until`.
    let carried: Vec<String> = issue
        .sections
        .iter()
        .filter_map(|s| match &s.body {
            SectionBody::News(items) => Some(items.iter().map(|i| i.anchor.clone())),
            _ => None,
        })
        .flatten()
        .collect();
    for a in &carried {
        let id = a.trim_start_matches("item-");
        let n = p.news.iter().find(|n| n.id == id).unwrap();
        assert!(
            n.until.as_ref().is_some_and(|u| u.value >= d("2024-12-01")),
            "{id} should not be carried"
        );
    }
}

#[test]
fn empty_sections_are_left_out() {
    let tree = Tree::minimal();
    let p = tree.load().project.unwrap();
    // No news in 2030, the campaign is long over: only the standing block remains.
    let (issue, r) = render(&p, "news", "2030-01-01");
    let titles: Vec<&str> = issue.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Worried about a child?"]);
    assert!(!r.html.contains("Partnership news"));
}

/// A fixed issue with every kind of content, for snapshots.
fn fixture() -> Tree {
    let t = Tree::minimal();
    t.write(
        "news/item.md",
        "+++\ntitle = \"Threshold of Need refreshed\"\nsection = \"partnership\"\npublish = 2026-11-20\nurl = \"https://test.example/threshold\"\n+++\nThe SSCP has refreshed the **Threshold of Need** framework.\n\nKey updates:\n\n- aligns to partnership branding\n- complies with accessibility regulations\n\nPlease complete the [short survey](https://test.example/survey) by 27 November.\n",
    );
    t.write(
        "campaigns/sixteen-days.toml",
        "title = \"16 Days of Action\"\nsummary = \"Against gender-based violence.\"\nurl = \"https://test.example/16days\"\n[[when]]\nyearly = { from = \"11-25\", to = \"12-10\" }\n",
    );
    t.write(
        "campaigns/icon.toml",
        "title = \"ICON\"\nsummary = \"Babies cry, you can cope.\"\nthemes = [\"babies-under-one\"]\nevergreen = { every = 1 }\n",
    );
    t.write(
        "campaigns/week.toml",
        "title = \"Safeguarding Adults Week\"\nsummary = \"A week of awareness.\"\n[[when]]\ndates = { from = 2026-11-30, to = 2026-12-04 }\n\
         [year.2026]\ntheme = \"Connected Safeguarding\"\nlocal = \"The Civic Centre will be lit up purple.\"\n\
         days = [{ day = \"Monday\", theme = \"Look, Listen, Ask\" }]\nhashtags = [\"#SafeguardingAdultsWeek\"]\n\
         helplines = [{ name = \"Adult safeguarding line\", number = \"0161 206 0604\" }]\n\
         links = [{ label = \"Toolkit for partners\", url = \"https://test.example/toolkit\" }]\n\
         image = { url = \"https://test.example/purple.png\", alt = \"The Civic Centre lit up purple\" }\n",
    );
    t.write(
        "campaigns/briefing.toml",
        "title = \"Professional curiosity briefing\"\nsummary = \"A 90-minute online briefing.\"\nthemes = [\"neglect\"]\n\
         online = \"https://test.example/teams\"\nbooking = \"https://test.example/book\"\naudience = \"Police and partners\"\n\
         capacity = 40\nbooking_deadline = 2026-12-04\n\
         [[when]]\nat = 2026-12-09T10:00:00\nminutes = 90\n[[when]]\nat = 2026-12-15T10:00:00\nminutes = 90\n",
    );
    t.write(
        "news/survey.md",
        "+++\ntitle = \"Survey\"\nsection = \"partnership\"\npublish = 2026-11-20\ndeadline = 2026-12-18\nthemes = [\"neglect\", \"adolescents\"]\n+++\nTell us what you think.\n",
    );
    t.write(
        "news/week.md",
        "+++\ntitle = \"Safeguarding Adults Week is here\"\nsection = \"partnership\"\npublish = 2026-11-20\ncampaign = \"week\"\n+++\nJoin in all week.\n",
    );
    t
}

#[test]
fn html_and_text_snapshots() {
    let t = fixture();
    let p = t.load().project.unwrap();
    let (_, r) = render(&p, "news", "2026-12-01");
    let to = EmailAddress::parse("reader@x.example").unwrap();
    insta::assert_snapshot!("issue_html", r.html_for(&signer(), &to));
    insta::assert_snapshot!("issue_text", r.text_for(&signer(), &to));
}

#[test]
fn the_text_part_is_wrapped_underlined_and_keeps_every_link() {
    let t = fixture();
    let p = t.load().project.unwrap();
    let (_, r) = render(&p, "news", "2026-12-01");
    let to = EmailAddress::parse("reader@x.example").unwrap();
    let text = r.text_for(&signer(), &to);
    for line in text.lines() {
        assert!(
            line.chars().count() <= 72 || !line.contains(' ') || line.contains("://"),
            "too long: {line}"
        );
    }
    assert!(
        text.contains("Threshold of Need refreshed\n---------------------------"),
        "{text}"
    );
    for href in r.html.match_indices("href=\"").map(|(i, _)| {
        let rest = &r.html[i + 6..];
        &rest[..rest.find('"').unwrap()]
    }) {
        if href.starts_with('#')
            || href.contains("unsubscribe.invalid")
            || href.contains("preferences.invalid")
        {
            continue;
        }
        if let Some(number) = href.strip_prefix("tel:") {
            // Phone numbers are written as people write them: "0161 206 0604".
            assert!(text.replace(' ', "").contains(number), "lost {href}");
            continue;
        }
        let bare = href.trim_start_matches("mailto:");
        assert!(text.contains(bare), "the text part lost the link {href}");
    }
    assert!(
        text.contains("/unsubscribe/"),
        "personal unsubscribe link in text"
    );
    assert!(
        text.contains("/preferences/"),
        "personal preference link in text"
    );
}

fn hostile_tree() -> Tree {
    let t = Tree::minimal();
    t.write(
        "news/item.md",
        "+++\ntitle = \"<script>alert('title')</script> & friends\"\nsection = \"partnership\"\npublish = 2026-11-20\n+++\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\nClick [here](javascript:alert(3)) or [there](JaVaScRiPt:alert(4)) or <a href=\"javascript:alert(5)\" onclick=\"alert(6)\">this</a>.\n\n.\n\nA line with a bare\rcarriage return.\n",
    );
    t
}

#[test]
fn hostile_content_comes_out_harmless() {
    let t = hostile_tree();
    let p = t.load().project.expect("hostile but valid content loads");
    let (_, r) = render(&p, "news", "2026-12-01");
    let to = EmailAddress::parse("reader@x.example").unwrap();
    let html = r.html_for(&signer(), &to);
    let audit = audit_html(&html);
    let tags: Vec<&str> = audit["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(!tags.contains(&"script"), "no script element: {tags:?}");
    assert!(
        !tags.contains(&"img"),
        "no image element from raw HTML: {tags:?}"
    );
    assert_eq!(
        audit["handlers"],
        serde_json::json!([]),
        "no event handler attributes"
    );
    for h in audit["hrefs"].as_array().unwrap() {
        let h = h.as_str().unwrap().to_lowercase();
        assert!(
            h.starts_with("http") || h.starts_with('#') || h.starts_with("mailto:"),
            "unsafe link {h}"
        );
    }
    // The raw HTML is visible to the reader as text, not lost.
    let text = audit["text"].as_str().unwrap();
    assert!(text.contains("<script>alert(1)</script>"), "{text}");
    assert!(
        text.contains("Click here or there"),
        "link text kept without the link: {text}"
    );
}

/// Parse HTML with Python's html.parser: an independent parser.
fn audit_html(html: &str) -> serde_json::Value {
    support::python_json(
        "tests/it/support/html_audit.py",
        "page.html",
        html.as_bytes(),
    )
}

#[test]
fn line_breaks_in_titles_and_names_are_refused_at_the_border() {
    let t = Tree::minimal();
    t.write(
        "news/item.md",
        "+++\ntitle = \"Hello\\r\\nBcc: victim@x.example\"\nsection = \"partnership\"\npublish = 2026-11-20\n+++\nBody\n",
    );
    t.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\n[[member]]\nemail = \"a@x.example\"\nname = \"Jo\\nBcc: victim@x.example\"\n",
    );
    let diags = t.diagnostics();
    assert!(
        diags
            .iter()
            .any(|d| d.starts_with("news/item.md:2:9: error: `title` must be one line")),
        "{diags:#?}"
    );
    assert!(
        diags
            .iter()
            .any(|d| d.starts_with("config/lists/all.toml:4:8: error: invalid name")),
        "{diags:#?}"
    );
}

#[test]
fn the_message_is_well_formed_and_carries_the_list_headers() {
    let t = fixture();
    t.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\n[[member]]\nemail = \"sian@x.example\"\nname = \"Siân O’Brien, DSL\"\n",
    );
    let p = t.load().project.unwrap();
    let (_, r) = render(&p, "news", "2026-12-01");
    let m = &p.lists.union(&p.bulletin("news").unwrap().lists)[0];
    let mut raw = Vec::new();
    r.message(
        &signer(),
        &Recipient {
            email: &m.email,
            name: m.name.as_ref(),
        },
        &mut raw,
    );
    // 7-bit, CRLF only, no line over 998 octets, and none that could end the DATA early.
    assert!(raw.is_ascii());
    let text = String::from_utf8(raw.clone()).unwrap();
    assert!(!text.replace("\r\n", "").contains('\n') && !text.replace("\r\n", "").contains('\r'));
    for line in text.split("\r\n") {
        assert!(line.len() <= 998);
        assert!(!line.starts_with('.'), "a line starting with a dot: {line}");
    }
    let parsed = parse_email(&raw);
    assert_eq!(parsed["defects"], serde_json::json!([]));
    assert_eq!(parsed["content_type"], "multipart/alternative");
    assert_eq!(
        header(&parsed, "To"),
        ["\"Siân O’Brien, DSL\" <sian@x.example>"]
    );
    assert_eq!(header(&parsed, "Subject"), ["News: December 2026"]);
    assert_eq!(header(&parsed, "From"), ["Test News <news@test.example>"]);
    assert_eq!(
        header(&parsed, "List-Unsubscribe-Post"),
        ["List-Unsubscribe=One-Click"]
    );
    let lu = header(&parsed, "List-Unsubscribe")[0];
    assert!(
        lu.starts_with("<https://test.example/unsubscribe/")
            || lu.starts_with("<http://127.0.0.1:8080/unsubscribe/"),
        "{lu}"
    );
    let token = lu[1..lu.find('>').unwrap()].rsplit('/').next().unwrap();
    // The mailto carries the same token, so a request by mail names whom it unsubscribes.
    assert!(
        lu.contains(&format!(
            ">, <mailto:news@test.example?subject=unsubscribe%20{token}>"
        )),
        "{lu}"
    );
    let who = signer().verify(token).expect("the token verifies");
    assert_eq!(who.email.as_str(), "sian@x.example");
    assert_eq!(header(&parsed, "List-Id"), ["news <news.test.example>"]);
    assert_eq!(
        header(&parsed, "Message-ID"),
        [r.message_id(&m.email).as_str()]
    );
    assert_eq!(header(&parsed, "Date").len(), 1);
    let parts = parsed["parts"].as_array().unwrap();
    assert_eq!(parts[0]["content_type"], "text/plain");
    assert_eq!(parts[1]["content_type"], "text/html");
    assert_eq!(
        parts[0]["text"].as_str().unwrap().replace("\r\n", "\n"),
        r.text_for(&signer(), &m.email)
    );
    assert_eq!(
        parts[1]["text"].as_str().unwrap().replace("\r\n", "\n"),
        r.html_for(&signer(), &m.email).replace("\r\n", "\n")
    );
}

#[test]
fn hostile_bodies_survive_the_wire_intact() {
    let t = hostile_tree();
    let p = t.load().project.unwrap();
    let (_, r) = render(&p, "news", "2026-12-01");
    let to = EmailAddress::parse("a@x.example").unwrap();
    let mut raw = Vec::new();
    r.message(
        &signer(),
        &Recipient {
            email: &to,
            name: None,
        },
        &mut raw,
    );
    let text = String::from_utf8(raw.clone()).unwrap();
    for line in text.split("\r\n") {
        assert_ne!(line, ".", "a lone dot would end the DATA");
        assert!(!line.starts_with('.'));
    }
    let parsed = parse_email(&raw);
    let body = parsed["parts"][0]["text"].as_str().unwrap();
    assert!(
        body.contains("\n.\n") || body.contains("\r\n.\r\n"),
        "the lone dot arrives as a line of its own"
    );
    assert!(
        body.contains("bare\rcarriage")
            || body.contains("bare carriage")
            || body.contains("bare\r\ncarriage"),
        "{body}"
    );
}

#[test]
fn each_recipient_gets_their_own_link_and_message_id_and_nothing_else_changes() {
    let t = fixture();
    let p = t.load().project.unwrap();
    let (_, r) = render(&p, "news", "2026-12-01");
    let a = EmailAddress::parse("a@x.example").unwrap();
    let b = EmailAddress::parse("b@x.example").unwrap();
    let (mut ma, mut mb, mut ma2) = (Vec::new(), Vec::new(), Vec::new());
    r.message(
        &signer(),
        &Recipient {
            email: &a,
            name: None,
        },
        &mut ma,
    );
    r.message(
        &signer(),
        &Recipient {
            email: &b,
            name: None,
        },
        &mut mb,
    );
    r.message(
        &signer(),
        &Recipient {
            email: &a,
            name: None,
        },
        &mut ma2,
    );
    assert_eq!(ma, ma2, "the same recipient gets byte-identical messages");
    assert_ne!(ma, mb);
    assert_ne!(r.message_id(&a), r.message_id(&b));
    let web = r.html_for_web();
    assert!(!web.contains("a@x.example") && !web.contains("unsubscribe.invalid"));
}

#[test]
fn preview_writes_a_file_and_says_what_is_in_it() {
    let t = Tree::sample();
    let out = support::bulletin(t.root())
        .args(["preview", "sscp-news", "--date", "2024-11-01"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("wrote preview/sscp-news-2024-11-01.html ("),
        "{stdout}"
    );
    assert!(stdout.contains("KB"), "{stdout}");
    assert!(stdout.contains("sections: Partnership news ("), "{stdout}");
    assert!(t.root().join("preview/sscp-news-2024-11-01.html").exists());
    for ext in ["txt", "eml"] {
        let path = t.root().join(format!("out.{ext}"));
        let out = support::bulletin(t.root())
            .args(["preview", "sscp-news", "--date", "2024-11-01", "--out"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(std::fs::metadata(&path).unwrap().len() > 10_000);
    }
    let bad = support::bulletin(t.root())
        .args(["preview", "sscp-nws"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("did you mean `sscp-news`?"));
}

#[test]
fn the_sample_issue_fits_under_gmails_clipping_limit() {
    let p = sample();
    for date in ["2024-11-01", "2024-12-01", "2026-12-01"] {
        let (_, r) = render(&p, "sscp-news", date);
        assert!(
            r.html_size() < bulletin::render::HTML_SIZE_LIMIT,
            "{date}: {} bytes",
            r.html_size()
        );
    }
}

fn campaigns_of(issue: &issue::Issue) -> &issue::CampaignsSection {
    issue
        .sections
        .iter()
        .find_map(|s| match &s.body {
            SectionBody::Campaigns(c) => Some(c),
            _ => None,
        })
        .expect("a campaigns section")
}

fn entry<'a>(issue: &'a issue::Issue, id: &str) -> &'a issue::CampaignEntry {
    campaigns_of(issue)
        .entries()
        .find(|e| e.campaign == id)
        .unwrap_or_else(|| panic!("{id} is not in the issue"))
}

/// The campaigns section of the text part, for snapshots: from its heading to the next one.
fn campaigns_text(text: &str) -> &str {
    let start = text
        .find("CAMPAIGNS, EVENTS AND WEEKS OF ACTION")
        .expect("campaigns heading");
    let rest = &text[start..];
    let body_start = rest.find('\n').unwrap() * 2 + 2;
    let end = rest[body_start..]
        .find("\n\n\n")
        .map_or(rest.len(), |i| body_start + i);
    &rest[..end]
}

/// The partnership's own November bulletins, rebuilt from the sample: every campaign is there
/// once, with that year's content, and the news items about a campaign sit inside its entry.
#[test]
fn the_november_2020_and_2024_issues_carry_each_campaign_once_with_its_year_content() {
    let p = sample();
    for date in ["2020-11-01", "2024-11-01"] {
        let (issue, r) = render(&p, "sscp-news", date);
        let c = campaigns_of(&issue);
        let ids: Vec<&str> = c.entries().map(|e| e.campaign.as_str()).collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(ids.len(), unique.len(), "{date}: a campaign twice: {ids:?}");
        // No news section carries an item about a campaign that is in the issue.
        for s in &issue.sections {
            if let SectionBody::News(items) = &s.body {
                for n in items {
                    let item = p.news.iter().find(|i| format!("item-{}", i.id) == n.anchor);
                    let about = item
                        .and_then(|i| i.campaign.as_ref())
                        .map(|c| c.value.as_str());
                    assert!(
                        about.is_none_or(|a| !ids.contains(&a)),
                        "{date}: `{}` is shown on its own and in {about:?}",
                        n.title
                    );
                }
            }
        }
        // Each item that names a campaign in the issue is inside that campaign's entry.
        let publish = d(date);
        for n in p.news.iter().filter(|n| n.publish == publish) {
            if let Some(cid) = n.campaign.as_ref().map(|c| c.value.as_str())
                && ids.contains(&cid)
            {
                let e = entry(&issue, cid);
                assert!(
                    e.news.iter().any(|x| x.anchor == format!("item-{}", n.id)),
                    "{date}: {} not inside {cid}",
                    n.id
                );
            }
        }
        // Once in the HTML too: each campaign heading and each news anchor appears once.
        for e in c.entries() {
            let heading = format!(">{}</h4>", e.title);
            assert_eq!(r.html.matches(&heading).count(), 1, "{date}: {heading}");
            for n in &e.news {
                let anchor = format!("id=\"{}\"", n.anchor);
                assert_eq!(r.html.matches(&anchor).count(), 1, "{date}: {anchor}");
            }
        }
        let to = EmailAddress::parse("reader@x.example").unwrap();
        let text = r.text_for(&signer(), &to);
        insta::assert_snapshot!(format!("campaigns_{date}"), campaigns_text(&text));
    }

    // 2020: the seeds' year: United Against Bullying, the Civic Centre lit up purple.
    let (issue, r) = render(&p, "sscp-news", "2020-11-01");
    let abw = entry(&issue, "anti-bullying-week");
    assert_eq!(
        abw.year.as_ref().and_then(|y| y.theme.as_deref()),
        Some("United Against Bullying")
    );
    assert_eq!(abw.news.len(), 1);
    let saw = entry(&issue, "safeguarding-adults-week");
    assert!(
        saw.year
            .as_ref()
            .and_then(|y| y.local.as_deref())
            .is_some_and(|l| l.contains("lit up purple"))
    );
    assert!(r.html.contains("This year's theme: "));
    let sixteen = entry(&issue, "sixteen-days-of-action");
    assert_eq!(
        sixteen.year.as_ref().unwrap().helplines[0].number,
        "0808 2000 247"
    );
    assert!(r.html.contains("href=\"tel:08082000247\""));

    // 2024: Choose Respect, Seeds of Change, and the adults week's five day themes.
    let (issue, r) = render(&p, "sscp-news", "2024-11-01");
    assert_eq!(
        entry(&issue, "anti-bullying-week")
            .year
            .as_ref()
            .and_then(|y| y.theme.as_deref()),
        Some("Choose Respect")
    );
    assert_eq!(
        entry(&issue, "islamophobia-awareness-month")
            .year
            .as_ref()
            .and_then(|y| y.theme.as_deref()),
        Some("Seeds of Change")
    );
    let saw = entry(&issue, "safeguarding-adults-week");
    assert_eq!(saw.year.as_ref().unwrap().days.len(), 5);
    assert!(
        r.html
            .contains("Recognising exploitation: the ladder of criminality")
    );
    // The 2020 content stays in 2020.
    assert!(!r.html.contains("lit up purple"));
    assert!(!r.html.contains("United Against Bullying"));
    assert!(r.html.len() < 100 * 1024);
}

#[test]
fn a_news_deadline_before_the_next_issue_is_closing_soon() {
    let t = Tree::minimal();
    for (name, deadline) in [
        ("soon", "2026-12-31"),
        ("on-the-next-issue", "2027-01-01"),
        ("later", "2027-01-05"),
    ] {
        t.write(
            &format!("news/{name}.md"),
            &format!("+++\ntitle = \"{name}\"\nsection = \"partnership\"\npublish = 2026-11-20\ndeadline = {deadline}\n+++\nPlease reply.\n"),
        );
    }
    let p = t.load().project.unwrap();
    let (issue, r) = render(&p, "news", "2026-12-01");
    let soon: Vec<(String, bool)> = issue
        .sections
        .iter()
        .filter_map(|s| match &s.body {
            SectionBody::News(items) => {
                Some(items.iter().map(|n| (n.title.clone(), n.closing_soon)))
            }
            _ => None,
        })
        .flatten()
        .filter(|(t, _)| t != "Item")
        .collect();
    assert_eq!(
        soon,
        [
            ("later".to_string(), false),
            ("on-the-next-issue".to_string(), false),
            ("soon".to_string(), true)
        ]
    );
    assert_eq!(r.html.matches("Closing soon: ").count(), 1, "{}", r.html);
    // And listed under "Closing soon" at the top, linking to the item.
    assert!(r.html.contains("id=\"closing-soon\""));
    assert!(r.html.contains("href=\"#item-soon\""));
    assert!(!r.html.contains("href=\"#item-later\""));
    assert!(r.html.contains("Closes Thu 31 Dec 2026"));
    assert!(r.html.contains("Closes Tue 5 Jan 2027"));
    // In the sample, the Threshold of Need survey closes on 27 November 2020.
    let p = sample();
    let (_, r) = render(&p, "sscp-news", "2020-11-01");
    assert!(r.html.contains("Closing soon: "), "survey deadline");
    let (_, r) = render(&p, "sscp-news", "2020-10-01");
    assert!(!r.html.contains("Closing soon: "));
    assert!(!r.html.contains("closing-soon"));
}

#[test]
fn an_events_sessions_are_listed_once_with_venue_booking_and_audience() {
    let p = sample();
    let (issue, r) = render(&p, "sscp-news", "2026-12-01");
    let training = entry(&issue, "threshold-of-need-training");
    assert_eq!(
        training.when.as_deref(),
        Some("Thu 3 Dec 2026, 09:30–12:30; Thu 14 Jan 2027, 13:00–16:00")
    );
    assert_eq!(
        r.html
            .matches(">Support and Safeguarding in Salford: threshold of need training</h4>")
            .count(),
        1
    );
    assert!(r.html.contains("Venue: Unity House"));
    let briefing = entry(&issue, "professional-curiosity-briefing");
    assert!(briefing.closing_soon, "booking closes 4 December");
    assert!(r.html.contains("Book by Fri 4 Dec 2026"));
    assert!(
        r.html
            .contains("href=\"#campaign-professional-curiosity-briefing\"")
    );
    assert!(r.html.contains("Book a place: Professional curiosity"));
    // Two sessions in the same month share it.
    let t = fixture();
    let p = t.load().project.unwrap();
    let (issue, _) = render(&p, "news", "2026-12-01");
    assert_eq!(
        entry(&issue, "briefing").when.as_deref(),
        Some("Wed 9 and Tue 15 Dec 2026, 10:00–11:30")
    );
}

#[test]
fn the_strategys_themes_are_labelled_in_the_issue() {
    let p = sample();
    let (_, r) = render(&p, "sscp-news", "2024-11-01");
    assert!(r.html.contains("Child sexual abuse</span>"), "CSA label");
    assert!(r.html.contains("Themes: "));
    let to = EmailAddress::parse("reader@x.example").unwrap();
    assert!(
        r.text_for(&signer(), &to)
            .contains("Themes: Child sexual abuse")
    );
}

#[test]
fn phone_numbers_in_the_text_part_are_never_broken_across_lines() {
    let t = Tree::minimal();
    // Each number lands where the 72nd column would fall inside it.
    let mut body = String::new();
    for (lead, phone) in [
        (58, "0161 603 4350"),
        (62, "0161 206 0604"),
        (57, "+44 161 794 8888"),
    ] {
        body.push_str(&format!("{} call {phone} now.\n\n", "x".repeat(lead)));
    }
    t.write(
        "news/item.md",
        &format!(
            "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 2026-11-20\n+++\n{body}"
        ),
    );
    let p = t.load().project.unwrap();
    let (_, r) = render(&p, "news", "2026-12-01");
    let to = EmailAddress::parse("reader@x.example").unwrap();
    let text = r.text_for(&signer(), &to);
    for phone in ["0161 603 4350", "0161 206 0604", "+44 161 794 8888"] {
        assert!(
            text.lines().any(|l| l.contains(phone)),
            "{phone} is broken:\n{text}"
        );
    }
}

#[test]
fn the_web_version_has_no_link_to_itself() {
    let p = sample();
    let (_, r) = render(&p, "sscp-news", "2024-11-01");
    let to = EmailAddress::parse("reader@x.example").unwrap();
    assert!(
        r.html_for(&signer(), &to)
            .contains("View this issue in your browser")
    );
    let web = r.html_for_web();
    assert!(!web.contains("View this issue in your browser"), "{web}");
    assert!(web.contains("<h1"), "the rest of the page stays");
    let email = r.html_for(&signer(), &to);
    assert_eq!(
        web.matches("<tr").count() + 1,
        email.matches("<tr").count(),
        "exactly the link's row goes"
    );
    assert_eq!(web.matches("<tr").count(), web.matches("</tr>").count());
}

#[test]
fn the_feed_summary_is_the_issues_contents() {
    let p = sample();
    let (issue, r) = render(&p, "sscp-news", "2024-11-01");
    let titles: Vec<String> = issue.sections.iter().map(|s| s.title.clone()).collect();
    assert!(titles.len() >= 3, "{titles:?}");
    assert_eq!(
        bulletin::web::feeds::summary(&r.text),
        format!("In this issue: {}.", titles.join("; "))
    );
    assert_eq!(bulletin::web::feeds::summary("no contents here\n"), "");
}
