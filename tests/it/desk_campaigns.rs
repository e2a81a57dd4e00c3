//! The desk's campaign pages: a campaign form written into the file without losing its
//! comments, the dates its rule gives for three years shown before saving (the loader's parser
//! and the calendar's expansion), a broken rule refused at its field.

use bulletin::campaign_file::{CampaignForm, dates_ahead};
use bulletin::web::desk::campaigns::problems_at_fields;

use crate::support::Tree;

#[test]
fn every_sample_campaign_opened_in_the_form_and_saved_unchanged_keeps_every_byte() {
    let t = Tree::sample();
    for entry in std::fs::read_dir(t.root().join("campaigns")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for year in [2020, 2026, 2027] {
            let form = CampaignForm::read(&text, year).unwrap();
            assert_eq!(form.write(Some(&text)).unwrap(), text, "{}", path.display());
        }
    }
}

#[test]
fn a_years_published_dates_replace_the_rules_and_the_comments_stay() {
    let t = Tree::sample();
    let text = std::fs::read_to_string(t.root().join("campaigns/anti-bullying-week.toml")).unwrap();
    let tz = chrono_tz::Europe::London;
    let before = dates_ahead("anti-bullying-week", &text, tz, 2027).unwrap();
    let starts = |o: &[bulletin::calendar::Occurrence]| {
        o.iter().map(|o| o.start.to_string()).collect::<Vec<_>>()
    };
    // The Monday on or after 10 November, Monday to Friday.
    assert_eq!(starts(&before), ["2027-11-15", "2028-11-13", "2029-11-12"]);
    let mut form = CampaignForm::read(&text, 2027).unwrap();
    form.year_from = "2027-11-08".into();
    form.year_to = "2027-11-12".into();
    form.year_source = "https://anti-bullyingalliance.org.uk/".into();
    let edited = form.write(Some(&text)).unwrap();
    let after = dates_ahead("anti-bullying-week", &edited, tz, 2027).unwrap();
    assert_eq!(starts(&after), ["2027-11-08", "2028-11-13", "2029-11-12"]);
    assert!(after[0].confirmed || after[0].source.is_some());
    for comment in text.lines().filter(|l| l.trim_start().starts_with('#')) {
        assert!(edited.contains(comment), "lost: {comment}");
    }
}

#[test]
fn a_rule_the_loader_refuses_is_shown_at_the_rule() {
    let t = Tree::sample();
    let text = std::fs::read_to_string(t.root().join("campaigns/anti-bullying-week.toml")).unwrap();
    let mut form = CampaignForm::read(&text, 2027).unwrap();
    form.rule.month = "13".into();
    let edited = form.write(Some(&text)).unwrap();
    let diags = dates_ahead(
        "anti-bullying-week",
        &edited,
        chrono_tz::Europe::London,
        2027,
    )
    .expect_err("month 13 is refused");
    let problems = problems_at_fields(&diags, "anti-bullying-week", &edited);
    assert!(
        problems
            .iter()
            .any(|p| p.field.as_deref() == Some("rule-kind")),
        "{problems:?}"
    );
}

/// Signed in through the emailed link (`support::desk`).
mod signed_in {
    use crate::desk_news::signed_in::{git, work_tree};
    use crate::support::desk::{self, DeskSite};

    fn version_in(page: &str) -> String {
        let key = "name=\"version\" value=\"";
        let at = page.find(key).expect("the form carries the file's version") + key.len();
        page[at..].split('"').next().unwrap().to_string()
    }

    #[test]
    fn check_dates_shows_three_years_and_writes_nothing_then_save_commits_as_the_editor() {
        let desk = DeskSite::start_with("", |t| work_tree(t.root()));
        let s = desk.sign_in(desk::EDITOR);
        let (code, _, page) = s.get(&desk, "/desk/campaigns");
        assert_eq!(code, 200, "{page}");
        let (code, _, page) = s.get(&desk, "/desk/campaigns?view=list&year=2027");
        assert_eq!(code, 200, "{page}");
        let form = "version=absent&new=1&id=odd-socks-day&title=Odd+Socks+Day&summary=Wear+odd+socks.&rule-kind=nth_weekday&rule-month=11&rule-weekday=mon&rule-nth=2&year=2027";
        let (code, _, page) = s.post(
            &desk,
            "/desk/campaigns/new",
            &format!("{form}&action=check"),
        );
        assert_eq!(code, 200, "{page}");
        assert!(page.contains("Mon 8 Nov 2027"), "{page}");
        assert!(page.contains("Mon 13 Nov 2028"), "{page}");
        assert!(
            !desk
                .tree
                .root()
                .join("campaigns/odd-socks-day.toml")
                .exists()
        );
        let (code, _, body) = s.post(&desk, "/desk/campaigns/new", &format!("{form}&action=save"));
        assert_eq!(code, 303, "{body}");
        let file =
            std::fs::read_to_string(desk.tree.root().join("campaigns/odd-socks-day.toml")).unwrap();
        assert!(
            file.contains("nth_weekday = { month = 11, weekday = \"mon\", nth = 2 }"),
            "{file}"
        );
        let log = git(desk.tree.root(), &["log", "-1", "--format=%an <%ae>"]);
        assert_eq!(log.trim(), "Eddie Editor <ed@x.example>");
        let (_, _, page) = s.get(&desk, "/desk/campaigns/odd-socks-day");
        assert!(!version_in(&page).is_empty());
    }

    #[test]
    fn a_broken_rule_is_refused_at_its_field_and_nothing_is_written() {
        let desk = DeskSite::start_with("", |t| work_tree(t.root()));
        let s = desk.sign_in(desk::EDITOR);
        let (_, _, page) = s.get(&desk, "/desk/campaigns/week");
        let v = version_in(&page);
        let before = std::fs::read_to_string(desk.tree.root().join("campaigns/week.toml")).unwrap();
        let form = format!(
            "version={v}&action=save&title=A+week&summary=S&rule-kind=nth_weekday&rule-month=13&rule-weekday=mon&rule-nth=2&year=2027"
        );
        let (code, _, page) = s.post(&desk, "/desk/campaigns/week", &form);
        assert_eq!(code, 422, "{page}");
        assert!(page.contains("id=\"rule-kind-error\""), "{page}");
        let after = std::fs::read_to_string(desk.tree.root().join("campaigns/week.toml")).unwrap();
        assert_eq!(before, after);
    }
}
