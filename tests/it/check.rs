//! An admin edits the files and runs `bulletin check`: every mistake is reported at its exact
//! place, with the message and (where it helps) a hint, and a valid tree passes.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use crate::support;

use bulletin::config::Env;
use support::{BULLETIN_TOML, Tree, bulletin};

/// (what the admin did, file, its new text, the diagnostic line expected)
type Case = (&'static str, &'static str, String, &'static str);

fn settings_with(from: &str, to: &str) -> String {
    assert!(BULLETIN_TOML.contains(from), "{from}");
    BULLETIN_TOML.replacen(from, to, 1)
}

fn cases() -> Vec<Case> {
    vec![
        (
            "TOML syntax error",
            "config/bulletin.toml",
            settings_with("name = \"Test Partnership\"", "name = \"Test Partnership"),
            "config/bulletin.toml:2:25: error: TOML syntax: invalid basic string",
        ),
        (
            "misspelt table",
            "config/bulletin.toml",
            format!("[organization]\nname = \"x\"\n{BULLETIN_TOML}"),
            "config/bulletin.toml:1:2: error: unknown key `organization` in this file\n  hint: did you mean `organisation`?",
        ),
        (
            "misspelt key",
            "config/bulletin.toml",
            settings_with("website =", "webiste ="),
            "config/bulletin.toml:5:1: error: unknown key `webiste` in [organisation]\n  hint: did you mean `website`?",
        ),
        (
            "wrong type",
            "config/bulletin.toml",
            settings_with("[[bulletin]]\n", "[[bulletin]]\ncampaign_lookahead_days = \"45\"\n"),
            "config/bulletin.toml:12:27: error: `campaign_lookahead_days` must be an integer, found a string",
        ),
        (
            "missing required key",
            "config/bulletin.toml",
            settings_with("postal_address = \"1 High Street, Town, AB1 2CD\"\n", ""),
            "config/bulletin.toml:1:1: error: missing required key `postal_address` in [organisation]",
        ),
        (
            "invalid from address",
            "config/bulletin.toml",
            settings_with("news@test.example", "news@test"),
            "config/bulletin.toml:3:8: error: `from` is not a valid mailbox: the domain `test` has no dot",
        ),
        (
            "unknown time zone",
            "config/bulletin.toml",
            settings_with("website = \"https://test.example\"", "website = \"https://test.example\"\ntime_zone = \"Europe/Londn\""),
            "config/bulletin.toml:6:13: error: unknown time zone `Europe/Londn`\n  hint: did you mean `Europe/London`?",
        ),
        (
            "GMT for a UK organisation",
            "config/bulletin.toml",
            settings_with("website = \"https://test.example\"", "website = \"https://test.example\"\ntime_zone = \"GMT\""),
            "config/bulletin.toml:6:13: warning: `GMT` has no summer time: from the last Sunday of March to the last Sunday of October every scheduled time would be an hour off UK clocks (09:00 GMT is 10:00 BST)\n  hint: use time_zone = \"Europe/London\"",
        ),
        (
            "UTC for an organisation with a .uk website",
            "config/bulletin.toml",
            settings_with("website = \"https://test.example\"", "website = \"https://news.test.org.uk/\"\ntime_zone = \"UTC\"")
                .replace(", AB1 2CD", ""),
            "config/bulletin.toml:6:13: warning: `UTC` has no summer time",
        ),
        (
            "BST as a time zone",
            "config/bulletin.toml",
            settings_with("website = \"https://test.example\"", "website = \"https://test.example\"\ntime_zone = \"BST\""),
            "config/bulletin.toml:6:13: error: unknown time zone `BST`\n  hint: did you mean `Europe/London`? It is GMT in winter and BST in summer",
        ),
        (
            "cron with a day of the month and a weekday",
            "config/bulletin.toml",
            settings_with("\"0 9 1 * *\"", "\"0 9 1-7 * MON\""),
            "config/bulletin.toml:14:12: warning: `0 9 1-7 * MON` means 09:00 on the 1st to 7th of every month and every Monday, UK time: when both a day of the month and a weekday are given, cron fires on days that match either\n  hint: for 09:00 on the first Monday of every month, write schedule = \"0 9 * * MON#1\"",
        ),
        (
            "cron with four fields",
            "config/bulletin.toml",
            settings_with("\"0 9 1 * *\"", "\"0 9 1 *\""),
            "config/bulletin.toml:14:12: error: cron expression has 4 fields; expected 5 (or 6 with seconds)\n  hint: cron has 5 fields: minute hour day-of-month month day-of-week",
        ),
        (
            "cron with an hour out of range",
            "config/bulletin.toml",
            settings_with("\"0 9 1 * *\"", "\"0 25 1 * *\""),
            "config/bulletin.toml:14:12: error: invalid cron expression `0 25 1 * *`",
        ),
        (
            "unknown list in a bulletin",
            "config/bulletin.toml",
            settings_with("lists = [\"all\"]", "lists = [\"al\"]"),
            "config/bulletin.toml:15:10: error: unknown list `al` in bulletin `news`\n  hint: did you mean `all`?",
        ),
        (
            "unknown section in a bulletin",
            "config/bulletin.toml",
            settings_with("\"worried\"]", "\"worried\", \"training\"]"),
            "config/bulletin.toml:16:52: error: unknown section `training` in bulletin `news`",
        ),
        (
            "duplicate bulletin id",
            "config/bulletin.toml",
            format!("{BULLETIN_TOML}\n[[bulletin]]\nid = \"news\"\nsubject = \"x\"\nschedule = \"0 9 * * 1\"\nlists = [\"all\"]\nsections = []\n"),
            "config/bulletin.toml:19:6: error: bulletin id `news` is used twice (first at line 12)",
        ),
        (
            "plain SMTP to a remote relay",
            "config/bulletin.toml",
            format!("{BULLETIN_TOML}\n[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://relay.example.org:25\"\ntls = \"none\"\n"),
            "config/bulletin.toml:21:7: error: plain SMTP (tls = \"none\") to `relay.example.org`, which is not a loopback address",
        ),
        (
            "real mail with no unsubscribe secret",
            "config/bulletin.toml",
            format!("{BULLETIN_TOML}\n[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://127.0.0.1:2525\"\ntls = \"none\"\n"),
            "config/bulletin.toml:19:8: error: this transport sends real mail but no unsubscribe secret is set",
        ),
        (
            "unknown subject placeholder",
            "config/bulletin.toml",
            settings_with("{month} {year}", "{monht} {year}"),
            "config/bulletin.toml:13:11: error: unknown placeholder `{monht}` in `subject`",
        ),
        (
            "invalid member address",
            "config/lists/all.toml",
            "name = \"Everyone\"\n[[member]]\nemail = \"jo bloggs@x.example\"\n".into(),
            "config/lists/all.toml:3:9: error: invalid address `jo bloggs@x.example`: it contains a space",
        ),
        (
            "line break in a member's name",
            "config/lists/all.toml",
            "name = \"Everyone\"\n[[member]]\nemail = \"a@x.example\"\nname = \"Jo\\r\\nBcc: evil@x.example\"\n".into(),
            "config/lists/all.toml:4:8: error: invalid name `Jo\\r\\nBcc: evil@x.example`: it contains a line break, NUL or other control character",
        ),
        (
            "bad address in a CSV",
            "config/lists/all.toml",
            "name = \"Everyone\"\nmembers_csv = \"all.csv\"\n".into(),
            "config/lists/all.csv:3:1: error: invalid address `not-an-address`: it has no `@`",
        ),
        (
            "unknown include",
            "config/lists/all.toml",
            "name = \"Everyone\"\ninclude = [\"helth\"]\n[[member]]\nemail = \"a@x.example\"\n".into(),
            "config/lists/all.toml:2:12: error: unknown list `helth` in `include`",
        ),
        (
            "include cycle",
            "config/lists/all.toml",
            "name = \"Everyone\"\ninclude = [\"all\"]\n[[member]]\nemail = \"a@x.example\"\n".into(),
            "config/lists/all.toml:2:12: error: list `all` includes itself",
        ),
        (
            "a list's include written after a [[member]]",
            "config/lists/all.toml",
            "name = \"Everyone\"\n[[member]]\nemail = \"a@x.example\"\ninclude = [\"all\"]\n".into(),
            "config/lists/all.toml:4:1: error: unknown key `include` in [[member]] #1\n  hint: `include` is a key of the whole file, but TOML reads every key after a [[member]] line as part of that entry: move `include` above the first [[member]]",
        ),
        (
            "a campaign's announce written after a [[when]]",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\nannounce = { days_before = 7, lists = [\"all\"] }\n".into(),
            "campaigns/week.toml:5:1: error: unknown key `announce` in [[when]] #1\n  hint: `announce` is a key of the whole file, but TOML reads every key after a [[when]] line as part of that entry: move `announce` above the first [[when]]",
        ),
        (
            "campaign that ends before it starts",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-20, to = 2026-11-16 }\n".into(),
            "campaigns/week.toml:4:35: error: `to` (2026-11-16) is before `from` (2026-11-20)",
        ),
        (
            "impossible date",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\nyearly = { from = \"02-30\", to = \"03-02\" }\n".into(),
            "campaigns/week.toml:4:19: error: `from`: `02-30` is not a day of the year",
        ),
        (
            "nth weekday out of range",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\nnth_weekday = { month = 11, weekday = \"mon\", nth = 6, days = 5 }\n".into(),
            "campaigns/week.toml:4:52: error: `nth` must be 1 to 5, or -1 for the last, found 6",
        ),
        (
            "unknown weekday",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\nnth_weekday = { month = 11, weekday = \"mnd\", nth = 3 }\n".into(),
            "campaigns/week.toml:4:39: error: unknown weekday `mnd`",
        ),
        (
            "two rules in one when",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\nyearly = { from = \"11-25\", to = \"12-10\" }\ndates = { from = 2026-11-16, to = 2026-11-20 }\n".into(),
            "campaigns/week.toml:3:1: error: this [[when]] has 2 rules (yearly, dates); each [[when]] has exactly one",
        ),
        (
            "campaign with no dates",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n".into(),
            "campaigns/week.toml:1:1: error: this campaign has no [[when]] and is not evergreen, so it never appears",
        ),
        (
            "date written as a string",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = \"2026-11-16\", to = 2026-11-20 }\n".into(),
            "campaigns/week.toml:4:18: error: `from` must be a TOML date, found the string \"2026-11-16\"\n  hint: write it without quotes: `from = 2026-11-16`",
        ),
        (
            "on_non_working_day misspelt in a bulletin",
            "config/bulletin.toml",
            settings_with("[[bulletin]]\n", "[[bulletin]]\non_non_working_day = \"nxt\"\n"),
            "config/bulletin.toml:12:22: error: `on_non_working_day` must be \"next\", \"previous\" or \"send\", found \"nxt\"\n  hint: did you mean `next`?",
        ),
        (
            "on_non_working_day misspelt in an announcement",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\nannounce = { days_before = 7, lists = [\"all\"], on_non_working_day = \"previos\" }\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n".into(),
            "campaigns/week.toml:3:69: error: `on_non_working_day` must be \"next\", \"previous\" or \"send\", found \"previos\"\n  hint: did you mean `previous`?",
        ),
        (
            "unknown weekday in weekday_on_or_after",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\nweekday_on_or_after = { month = 11, day = 10, weekday = \"mnday\", days = 5 }\n".into(),
            "campaigns/week.toml:4:57: error: unknown weekday `mnday`",
        ),
        (
            "a day the month does not have",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\nweekday_on_or_after = { month = 11, day = 31, weekday = \"mon\" }\n".into(),
            "campaigns/week.toml:4:43: error: `day` 31 is not a day of month 11",
        ),
        (
            "confirmed written as a string",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\nsource = \"https://x.example/week\"\nconfirmed = \"last week\"\n".into(),
            "campaigns/week.toml:6:13: error: `confirmed`: `last week` is not a date; write dates as YYYY-MM-DD, e.g. 2027-02-09",
        ),
        (
            "confirmed with a time",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\nsource = \"https://x.example/week\"\nconfirmed = 2026-12-01T10:00:00\n".into(),
            "campaigns/week.toml:6:13: error: `confirmed` must be a date only",
        ),
        (
            "confirmed misspelt",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\nconfirmd = 2026-12-01\n".into(),
            "campaigns/week.toml:5:1: error: unknown key `confirmd` in [[when]] #1\n  hint: did you mean `confirmed`?",
        ),
        (
            "an empty source",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\nsource = \" \"\n".into(),
            "campaigns/week.toml:5:10: error: `source` must be one line of text: a URL or a citation",
        ),
        (
            "since on a one-off entry",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\nsince = 2022\n".into(),
            "campaigns/week.toml:5:9: error: `since` belongs with a rule that repeats every year",
        ),
        (
            "since that is not a year",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\nnth_weekday = { month = 9, weekday = \"mon\", nth = 4, days = 5 }\nsince = 22\n".into(),
            "campaigns/week.toml:5:9: error: `since`: 22 is not a plausible year",
        ),
        (
            "news item in an unknown section",
            "news/item.md",
            "+++\ntitle = \"Item\"\nsection = \"partnershp\"\npublish = 2026-11-01\n+++\nBody.\n".into(),
            "news/item.md:3:11: error: unknown section `partnershp`\n  hint: did you mean `partnership`?",
        ),
        (
            "news item for an unknown bulletin",
            "news/item.md",
            "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 2026-11-01\nbulletins = [\"nws\"]\n+++\nBody.\n".into(),
            "news/item.md:5:14: error: unknown bulletin `nws`\n  hint: did you mean `news`?",
        ),
        (
            "news item without front matter",
            "news/item.md",
            "title = \"Item\"\nBody.\n".into(),
            "news/item.md:1:1: error: the file must start with a `+++` line",
        ),
        (
            "news item missing its publish date",
            "news/item.md",
            "+++\ntitle = \"Item\"\nsection = \"partnership\"\n+++\nBody.\n".into(),
            "news/item.md:2:1: error: missing required key `publish` in this file",
        ),
        (
            "unknown theme on a campaign",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\nthemes = [\"neglet\"]\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n".into(),
            "campaigns/week.toml:3:11: error: unknown theme `neglet`\n  hint: did you mean `neglect`?",
        ),
        (
            "a theme outside the strategy's vocabulary",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\nthemes = [\"bullying\"]\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n".into(),
            "campaigns/week.toml:3:11: error: unknown theme `bullying`\n  hint: themes are the strategy's areas of focus: neglect, exploitation, child-sexual-abuse, domestic-abuse, babies-under-one, adolescents",
        ),
        (
            "unknown theme on a news item",
            "news/item.md",
            "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 2026-11-01\nthemes = [\"domestic-abse\"]\n+++\nBody.\n".into(),
            "news/item.md:5:11: error: unknown theme `domestic-abse`\n  hint: did you mean `domestic-abuse`?",
        ),
        (
            "news item about an unknown campaign",
            "news/item.md",
            "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 2026-11-01\ncampaign = \"wek\"\n+++\nBody.\n".into(),
            "news/item.md:5:12: error: unknown campaign `wek`\n  hint: did you mean `week`?",
        ),
        (
            "deadline before publish",
            "news/item.md",
            "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 2026-11-01\ndeadline = 2026-10-27\n+++\nBody.\n".into(),
            "news/item.md:5:12: error: `deadline` (2026-10-27) is before `publish` (2026-11-01)",
        ),
        (
            "deadline written as a string",
            "news/item.md",
            "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 2026-11-01\ndeadline = \"27 November\"\n+++\nBody.\n".into(),
            "news/item.md:5:12: error: `deadline`: `27 November` is not a date; write dates as YYYY-MM-DD, e.g. 2027-02-09",
        ),
        (
            "year table not named by a year",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n[year.twenty]\ntheme = \"x\"\n".into(),
            "campaigns/week.toml:5:7: error: `twenty` is not a year",
        ),
        (
            "content for a year the campaign is not on",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n[year.2062]\ntheme = \"x\"\n".into(),
            "campaigns/week.toml:5:7: warning: `week` has content for 2062, but the campaign has no occurrence starting that year",
        ),
        (
            "misspelt key in a year table",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n[year.2026]\nthem = \"Choose Respect\"\n".into(),
            "campaigns/week.toml:6:1: error: unknown key `them` in [year.2026]\n  hint: did you mean `theme`?",
        ),
        (
            "image without alt text",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n[year.2026]\nimage = { url = \"https://x.example/a.png\" }\n".into(),
            "campaigns/week.toml:6:9: error: this image has no alt text",
        ),
        (
            "empty alt text",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n[year.2026]\nimage = { url = \"https://x.example/a.png\", alt = \" \" }\n".into(),
            "campaigns/week.toml:6:50: error: this image has no alt text",
        ),
        (
            "link that is not http",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n[year.2026]\nlinks = [{ label = \"Book\", url = \"javascript:alert(1)\" }]\n".into(),
            "campaigns/week.toml:6:34: error: `url` must be an http(s) URL, found \"javascript:alert(1)\"",
        ),
        (
            "link without a label",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n[year.2026]\nlinks = [{ url = \"https://x.example\" }]\n".into(),
            "campaigns/week.toml:6:10: error: missing required key `label` in [[links]] #1",
        ),
        (
            "hashtag without #",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n[year.2026]\nhashtags = [\"AntiBullyingWeek\"]\n".into(),
            "campaigns/week.toml:6:13: error: hashtag `AntiBullyingWeek` must be `#` then letters, digits or `_`",
        ),
        (
            "helpline number with letters",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n[year.2026]\nhelplines = [{ name = \"Helpline\", number = \"0808 CALL NOW\" }]\n".into(),
            "campaigns/week.toml:6:44: error: `number` must be a phone number",
        ),
        (
            "day theme missing its theme",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n[year.2026]\ndays = [{ day = \"Monday\" }]\n".into(),
            "campaigns/week.toml:6:9: error: missing required key `theme` in [[days]] #1",
        ),
        (
            "venue on a campaign that is not an event",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\nvenue = \"Civic Centre\"\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n".into(),
            "campaigns/week.toml:3:9: error: `venue` belongs to an event, and this campaign has no `at` in its [[when]]",
        ),
        (
            "booking link that is not a URL",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\nbooking = \"ring Jo\"\n[[when]]\nat = 2026-12-09T10:00:00\n".into(),
            "campaigns/week.toml:3:11: error: `booking` must be an http(s) URL, found \"ring Jo\"",
        ),
        (
            "capacity out of range",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\ncapacity = 0\n[[when]]\nat = 2026-12-09T10:00:00\n".into(),
            "campaigns/week.toml:3:12: error: `capacity` must be between 1 and 100000, found 0",
        ),
        (
            "booking deadline that is not a date",
            "campaigns/week.toml",
            "title = \"A week\"\nsummary = \"x\"\nbooking_deadline = 2026-12-01T10:00:00\n[[when]]\nat = 2026-12-09T10:00:00\n".into(),
            "campaigns/week.toml:3:20: error: `booking_deadline` must be a date only",
        ),
    ]
}

#[test]
fn every_broken_input_is_reported_at_its_place() {
    let cases = cases();
    assert!(cases.len() >= 25);
    let mut failures = Vec::new();
    for (what, file, text, want) in &cases {
        let tree = Tree::minimal();
        tree.write(file, text);
        if *what == "bad address in a CSV" {
            tree.write(
                "config/lists/all.csv",
                "email,name,agency\na@x.example,A,Police\nnot-an-address,B,Health\n",
            );
        }
        let got = tree.diagnostics();
        if !got.iter().any(|d| d.starts_with(want)) {
            failures.push(format!(
                "{what}:\n  want: {want}\n  got:  {}",
                got.join("\n        ")
            ));
        }
        let loaded = tree.load();
        if want.contains(": error: ") && loaded.project.is_some() {
            failures.push(format!(
                "{what}: an error was reported but the project still loaded"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn warnings_do_not_fail_the_check() {
    let tree = Tree::minimal();
    tree.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\n[[member]]\nemail = \"a@x.example\"\n[[member]]\nemail = \"A@X.example\"\n",
    );
    tree.write(
        "config/lists/spare.toml",
        "name = \"Spare\"\n[[member]]\nemail = \"s@x.example\"\n",
    );
    tree.write(
        "news/old.md",
        "+++\ntitle = \"Old\"\nsection = \"partnership\"\npublish = 2026-10-01\nuntil = 2026-11-02\n+++\nOld.\n",
    );
    // Long ago is history, not a slip.
    tree.write(
        "news/older.md",
        "+++\ntitle = \"Older\"\nsection = \"partnership\"\npublish = 2025-01-01\nuntil = 2025-02-01\n+++\nOld.\n",
    );
    let got = tree.diagnostics();
    assert!(!got.iter().any(|d| d.contains("news/older.md")), "{got:#?}");
    let want = [
        "config/lists/all.toml:5:9: warning: `A@X.example` is in this list twice (first at line 3)",
        "config/lists/spare.toml:1:1: warning: list `spare` is not used by any bulletin",
        "news/old.md:5:9: warning: this item's window ended on 2026-11-02",
    ];
    for w in want {
        assert!(
            got.iter().any(|d| d.starts_with(w)),
            "want {w}\ngot {got:#?}"
        );
    }
    let loaded = tree.load();
    assert!(loaded.project.is_some(), "warnings must not stop the load");
    let project = loaded.project.unwrap();
    let everyone = &project.lists.members[&bulletin::ids::ListId::parse("all").unwrap()];
    assert_eq!(everyone.len(), 1, "the same address twice counts once");
}

#[test]
fn the_sample_tree_passes() {
    let tree = Tree::sample();
    let loaded = tree.load();
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let project = loaded.project.expect("sample tree loads");
    assert_eq!(
        project.settings.organisation.time_zone,
        chrono_tz::Europe::London
    );
    assert!(project.bulletin("sscp-news").is_some());
    assert!(project.blocks.contains_key("worried-about-a-child"));
    assert!(project.campaigns.len() >= 10);
    assert!(
        project
            .news
            .iter()
            .any(|n| n.publish == chrono::NaiveDate::from_ymd_opt(2024, 11, 1).unwrap())
    );
    assert!(
        project
            .news
            .iter()
            .any(|n| n.publish == chrono::NaiveDate::from_ymd_opt(2020, 11, 1).unwrap())
    );
}

#[test]
fn several_faults_in_several_files_are_reported_in_one_run() {
    let tree = Tree::minimal();
    tree.write(
        "config/bulletin.toml",
        &settings_with("\"0 9 1 * *\"", "\"0 9 1 *\""),
    );
    tree.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\n[[member]]\nemail = \"nobody\"\n",
    );
    tree.write("campaigns/week.toml", "title = \"A week\"\nsummary = \"x\"\n[[when]]\nnth_weekday = { month = 13, weekday = \"mon\", nth = 1 }\n");
    tree.write(
        "news/item.md",
        "+++\ntitle = \"Item\"\nsection = \"nowhere\"\npublish = 2026-11-01\n+++\nBody.\n",
    );
    let out = bulletin(tree.root()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "check exits 1 on errors");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains(": error: ")).collect();
    let files: Vec<&str> = lines.iter().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(
        files,
        [
            "campaigns/week.toml",
            "config/bulletin.toml",
            "config/lists/all.toml",
            "news/item.md"
        ],
        "sorted by path, one per file:\n{stdout}"
    );
    assert!(stdout.contains("check: 4 error(s)"), "{stdout}");
}

#[test]
fn a_valid_tree_checks_clean_and_exits_zero() {
    let tree = Tree::minimal();
    let out = bulletin(tree.root()).arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("check: 0 error(s), 0 warning(s)"),
        "{stdout}"
    );
}

#[test]
fn a_missing_config_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let out = bulletin(dir.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("config/bulletin.toml:1:1: error: no such file"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_exit_two() {
    let tree = Tree::minimal();
    let out = bulletin(tree.root())
        .arg("lists")
        .arg("--format")
        .arg("xml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn environment_overrides_take_effect_and_are_checked() {
    let tree = Tree::minimal();
    let env = Env::empty()
        .with("BULLETIN_SMTP_URL", "smtp://127.0.0.1:2525")
        .with(
            "BULLETIN_UNSUBSCRIBE_SECRET",
            "0123456789abcdef0123456789abcdef",
        )
        .with("BULLETIN_WEB_BIND", "127.0.0.1:9999")
        .with("BULLETIN_DATABASE_URL", "sqlite://elsewhere.db");
    let loaded = tree.load_with(env);
    let p = loaded.project.expect("loads");
    match &p.settings.transport.kind {
        bulletin::config::TransportKind::Smtp(r) => {
            assert_eq!((r.host.as_str(), r.port), ("127.0.0.1", 2525));
            assert_eq!(r.tls, bulletin::config::TlsMode::StartTls);
        }
        other => panic!("BULLETIN_SMTP_URL implies smtp, got {other:?}"),
    }
    assert_eq!(p.settings.web.bind.port(), 9999);
    assert_eq!(
        p.settings.database,
        bulletin::config::DatabaseUrl::Sqlite(tree.root().join("elsewhere.db"))
    );
    let bad = tree.diagnostics_with(Env::empty().with("BULLETIN_WEB_BIND", "nowhere"));
    assert!(
        bad.iter().any(
            |d| d.starts_with("BULLETIN_WEB_BIND: error: `nowhere` is not an address and port")
        ),
        "{bad:?}"
    );
}

#[test]
fn secrets_never_reach_diagnostics_or_debug_output() {
    let tree = Tree::minimal();
    let env = Env::empty()
        .with("BULLETIN_SMTP_URL", "smtp://bulletin@127.0.0.1:2525")
        .with("BULLETIN_SMTP_PASSWORD", "correct-horse-battery-staple")
        .with("BULLETIN_UNSUBSCRIBE_SECRET", "short");
    let loaded = tree.load_with(env.clone());
    let text: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        text.iter()
            .any(|d| d.contains("unsubscribe secret is shorter than 32 bytes")),
        "{text:?}"
    );
    let env = env.with(
        "BULLETIN_UNSUBSCRIBE_SECRET",
        "0123456789abcdef0123456789abcdef-secret",
    );
    let p = tree.load_with(env.clone()).project.expect("loads");
    let debug = format!("{:?} {env:?}", p.settings);
    assert!(!debug.contains("correct-horse"), "{debug}");
    assert!(!debug.contains("0123456789abcdef"), "{debug}");
}

#[test]
fn images_need_alt_text_and_oversized_issues_are_flagged() {
    let tree = Tree::minimal();
    tree.write(
        "news/item.md",
        "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 2026-11-01\n+++\nA chart:\n\n![](https://x.example/chart.png)\n",
    );
    let got = tree.diagnostics();
    assert!(
        got.iter().any(|d| d.starts_with(
            "news/item.md:8:1: error: image `https://x.example/chart.png` has no alt text"
        )),
        "{got:#?}"
    );
    // A next issue far over 100 KB: check warns (and still passes).
    let tree = Tree::minimal();
    let long = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(2500);
    tree.write(
        "news/long.md",
        &format!("+++\ntitle = \"Long\"\nsection = \"partnership\"\npublish = 2026-11-01\nuntil = 2099-01-01\n+++\n{long}\n"),
    );
    let out = bulletin(tree.root()).arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("warning: the next issue of `news`"),
        "{stdout}"
    );
    assert!(stdout.contains("Gmail clips"), "{stdout}");
}

#[test]
fn unsubscribe_keys_rotate_without_breaking_old_links() {
    use bulletin::secret::Secret;
    use bulletin::token::Signer;
    let tree = Tree::minimal();
    tree.write("k1.secret", "old-secret-old-secret-old-secret-0000\n");
    tree.write("k2.secret", "new-secret-new-secret-new-secret-0000\n");
    let settings = std::fs::read_to_string(tree.config()).unwrap();
    tree.write(
        "config/bulletin.toml",
        &format!("{settings}\n[unsubscribe]\nsecret_file = \"k2.secret\"\nkey_id = \"k2\"\n\n[[unsubscribe.retired]]\nkey_id = \"k1\"\nsecret_file = \"k1.secret\"\n"),
    );
    let p = tree.load().project.expect("loads");
    let signer = bulletin::compose::signer(&p).unwrap();
    let b = bulletin::ids::BulletinId::parse("news").unwrap();
    let e = bulletin::address::EmailAddress::parse("jo@x.example").unwrap();
    let old_link =
        Signer::new("k1", Secret::new("old-secret-old-secret-old-secret-0000")).sign(&b, &e);
    assert_eq!(
        signer.verify(&old_link).unwrap().email,
        e,
        "a link signed before the rotation still works"
    );
    assert!(
        signer.sign(&b, &e).starts_with("k2."),
        "new links use the new key"
    );
}

#[test]
fn read_only_commands_work_without_the_daemons_secrets_but_check_and_send_insist() {
    let tree = Tree::minimal();
    let settings = std::fs::read_to_string(tree.config()).unwrap();
    tree.write(
        "config/bulletin.toml",
        &format!("{settings}\n[transport]\nkind = \"smtp\"\nsmtp_url = \"smtp://relay.example.org:587\"\nusername = \"bulletin\"\n"),
    );
    // The daemon's ledger (`status` reads one; it never creates one).
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        bulletin::store::Store::open(&bulletin::config::DatabaseUrl::Sqlite(
            tree.root().join("data/bulletin.db"),
        ))
        .await
        .unwrap();
    });
    for args in [
        vec!["status"],
        vec!["lists"],
        vec!["calendar"],
        vec!["schedule"],
    ] {
        let o = bulletin(tree.root()).args(&args).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let check = bulletin(tree.root()).arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(
        out.contains("error: this transport sends real mail but no unsubscribe secret is set"),
        "{out}"
    );
    assert!(
        out.contains("error: an SMTP username is set but no password"),
        "{out}"
    );
    let send = bulletin(tree.root())
        .args(["send", "news", "--now"])
        .output()
        .unwrap();
    assert_eq!(send.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&send.stderr).contains("no unsubscribe secret"),
        "nothing is sent without it"
    );
}

/// (what the admin's spreadsheet exported, the diagnostic expected, whether it still loads)
const CSV_CASES: [(&str, &str, &str, bool); 7] = [
    (
        "LF, with a blank row",
        "email,name,agency\na@x.example,A,Police\n\nnot-an-address,B,Health\n",
        "config/lists/all.csv:4:1: error: invalid address `not-an-address`",
        false,
    ),
    (
        "CRLF and a byte-order mark, with a blank row",
        "\u{feff}email,name,agency\r\na@x.example,A,Police\r\n\r\nnot-an-address,B,Health\r\n",
        "config/lists/all.csv:4:1: error: invalid address `not-an-address`",
        false,
    ),
    (
        "a quoted cell with a line break is one row",
        "email,name,agency\n\"a@x.example\",A,\"Police\nNorth\"\nnot-an-address,B,Health\n",
        "config/lists/all.csv:3:1: error: invalid address `not-an-address`",
        false,
    ),
    (
        "an extra column, after a byte-order mark",
        "\u{feff}email,name,agency,phone\r\na@x.example,A,Police,0161 603 4350\r\n",
        "config/lists/all.csv:1:19: warning: unknown column `phone` in the header; its values are ignored",
        true,
    ),
    (
        "a row with more fields than the header",
        "email,name,agency\na@x.example,Bloggs, Jo,Police\n",
        "config/lists/all.csv:2:24: warning: this row has 4 fields but the header has 3; the extra ones are ignored\n  hint: a value that contains the separator (`,`) must be in double quotes",
        true,
    ),
    (
        "semicolon-separated",
        "email;name;agency\r\na@x.example;Bloggs, Jo;Police\r\nnot-an-address;B;Health\r\n",
        "config/lists/all.csv:3:1: error: invalid address `not-an-address`",
        false,
    ),
    (
        "a bad cell after a byte-order mark",
        "\u{feff}name,email\nA,not-an-address\n",
        "config/lists/all.csv:2:3: error: invalid address `not-an-address`",
        false,
    ),
];

#[test]
fn csv_problems_are_reported_at_the_row_and_column_a_spreadsheet_shows() {
    let mut failures = Vec::new();
    for (what, csv, want, loads) in CSV_CASES {
        let tree = Tree::minimal();
        tree.write(
            "config/lists/all.toml",
            "name = \"Everyone\"\nmembers_csv = \"all.csv\"\n",
        );
        tree.write("config/lists/all.csv", csv);
        let got = tree.diagnostics();
        if !got.iter().any(|d| d.starts_with(want)) {
            failures.push(format!(
                "{what}:\n  want: {want}\n  got:  {}",
                got.join("\n        ")
            ));
        }
        if tree.load().project.is_some() != loads {
            failures.push(format!("{what}: loads should be {loads}\n  got: {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_semicolon_separated_export_is_read() {
    let tree = Tree::minimal();
    tree.write(
        "config/lists/all.toml",
        "name = \"Everyone\"\nmembers_csv = \"all.csv\"\n",
    );
    tree.write(
        "config/lists/all.csv",
        "Email;Name;Agency\r\na@x.example;Bloggs, Jo;Police\r\nb@x.example;B;Health\r\n",
    );
    let p = tree.load().project.expect("loads");
    let members = &p.lists.members[&bulletin::ids::ListId::parse("all").unwrap()];
    let got: Vec<(String, Option<String>)> = members
        .iter()
        .map(|m| (m.email.to_string(), m.agency.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("a@x.example".to_string(), Some("Police".to_string())),
            ("b@x.example".to_string(), Some("Health".to_string()))
        ]
    );
}

/// (what was typed, file, text, the one diagnostic expected in that file)
const DATE_CASES: [(&str, &str, &str, &str); 7] = [
    (
        "a UK date in front matter",
        "news/item.md",
        "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 09/02/2027\n+++\nBody.\n",
        "news/item.md:4:11: error: `publish`: `09/02/2027` is not a date in the form YYYY-MM-DD; write it 2027-02-09\n  hint: write `publish = 2027-02-09` (9 February 2027), without quotes",
    ),
    (
        "a UK date in quotes",
        "news/item.md",
        "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = \"09/02/2027\"\n+++\nBody.\n",
        "news/item.md:4:11: error: `publish`: `09/02/2027` is not a date in the form YYYY-MM-DD; write it 2027-02-09\n  hint: write `publish = 2027-02-09` (9 February 2027), without quotes",
    ),
    (
        "a day that does not exist",
        "news/item.md",
        "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = 2027-02-30\n+++\nBody.\n",
        "news/item.md:4:11: error: `publish`: 2027-02-30 does not exist: February 2027 has 28 days",
    ),
    (
        "a UK date in an inline table",
        "campaigns/week.toml",
        "title = \"A week\"\nsummary = \"x\"\n[[when]]\ndates = { from = 09/02/2027, to = 2027-02-13 }\n",
        "campaigns/week.toml:4:18: error: `from`: `09/02/2027` is not a date in the form YYYY-MM-DD; write it 2027-02-09",
    ),
    (
        "an event's date and time written the UK way",
        "campaigns/week.toml",
        "title = \"A course\"\nsummary = \"x\"\n[[when]]\nat = \"09/02/2027 10:00\"\n",
        "campaigns/week.toml:4:6: error: `at`: `09/02/2027 10:00` is not a date in the form YYYY-MM-DD; write it 2027-02-09T10:00\n  hint: write `at = 2027-02-09T10:00` (9 February 2027, 10:00), without quotes",
    ),
    (
        "an event with a date but no time",
        "campaigns/week.toml",
        "title = \"A course\"\nsummary = \"x\"\n[[when]]\nat = 2027-02-09\n",
        "campaigns/week.toml:4:6: error: `at` must be a date and time, found 2027-02-09\n  hint: add the start time after a `T`: `at = 2027-02-09T10:00`",
    ),
    (
        "an ISO date in quotes for an event",
        "campaigns/week.toml",
        "title = \"A course\"\nsummary = \"x\"\n[[when]]\nat = \"2027-02-09 10:00\"\n",
        "campaigns/week.toml:4:6: error: `at` must be a TOML date, found the string \"2027-02-09 10:00\"\n  hint: write it without quotes: `at = 2027-02-09T10:00`",
    ),
];

#[test]
fn a_date_written_another_way_gets_one_message_showing_the_date_to_write() {
    let mut failures = Vec::new();
    for (what, file, text, want) in DATE_CASES {
        let tree = Tree::minimal();
        tree.write(file, text);
        let got: Vec<String> = tree
            .diagnostics()
            .into_iter()
            .filter(|d| d.starts_with(file))
            .collect();
        if got.len() != 1 || !got[0].starts_with(want) {
            failures.push(format!(
                "{what}:\n  want: {want}\n  got:  {}",
                got.join("\n        ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn command_line_dates_name_the_form_to_use() {
    let tree = Tree::minimal();
    for (args, want) in [
        (
            vec!["calendar", "--from", "09/02/2027"],
            "write the date as YYYY-MM-DD: 2027-02-09 (9 February 2027)",
        ),
        (
            vec!["preview", "news", "--date", "2027-02-30"],
            "2027-02-30 does not exist: February 2027 has 28 days",
        ),
        (
            vec!["send", "news", "--now", "--date", "next week"],
            "write it as YYYY-MM-DD",
        ),
    ] {
        let out = bulletin(tree.root()).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: want {want}\ngot {stderr}");
    }
}

#[test]
fn a_bad_setting_from_the_environment_is_reported_as_that_variable() {
    let tree = Tree::minimal();
    for (var, value, want) in [
        (
            "BULLETIN_SMTP_URL",
            "smtp://relay.example.org:nope",
            "BULLETIN_SMTP_URL: error: `nope` is not a port number",
        ),
        (
            "BULLETIN_DATABASE_URL",
            "mysql://db.example.org/bulletin",
            "BULLETIN_DATABASE_URL: error: unsupported database `mysql`",
        ),
        (
            "BULLETIN_UNSUBSCRIBE_SECRET",
            "short",
            "BULLETIN_UNSUBSCRIBE_SECRET: error: the unsubscribe secret is shorter than 32 bytes",
        ),
    ] {
        let got = tree.diagnostics_with(Env::empty().with(var, value));
        assert!(
            got.iter().any(|d| d.starts_with(want)),
            "want {want}\ngot {got:#?}"
        );
        assert!(
            !got.iter().any(|d| d.starts_with("config/")),
            "nothing is blamed on a line of the file: {got:#?}"
        );
    }
    // The real binary, with a relay that needs a secret the environment does not give.
    let out = bulletin(tree.root())
        .arg("check")
        .env("BULLETIN_SMTP_URL", "smtp://127.0.0.1:2525")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("BULLETIN_SMTP_URL: error: this transport sends real mail but no unsubscribe secret is set"),
        "{stdout}"
    );
}

#[test]
fn paths_are_printed_as_the_config_was_given() {
    let tree = Tree::minimal();
    tree.write(
        "news/item.md",
        "+++\ntitle = \"Item\"\nsection = \"nowhere\"\npublish = 2026-11-01\n+++\nBody.\n",
    );
    std::fs::create_dir_all(tree.root().join("elsewhere")).unwrap();
    let out = bulletin(&tree.root().join("elsewhere"))
        .args(["--config", "../config/bulletin.toml", "check"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("../news/item.md:3:11: error: unknown section `nowhere`"),
        "{stdout}"
    );
    // The daemon refusing to start says the same.
    let out = bulletin(&tree.root().join("elsewhere"))
        .args(["--config", "../config/bulletin.toml", "run"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("../news/item.md:3:11: error: unknown section `nowhere`"),
        "{stderr}"
    );
    let out = bulletin(&tree.root().join("elsewhere"))
        .args(["--config", "../config/bulletin.tom", "check"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("../config/bulletin.tom:1:1: error: no such file"),
        "{stdout}"
    );
}

#[test]
fn utc_is_fine_for_an_organisation_outside_the_uk() {
    let tree = Tree::minimal();
    tree.write(
        "config/bulletin.toml",
        &settings_with(
            "postal_address = \"1 High Street, Town, AB1 2CD\"",
            "postal_address = \"12 Rue de Rivoli, 75001 Paris\"\ntime_zone = \"UTC\"",
        ),
    );
    let got = tree.diagnostics();
    assert!(got.is_empty(), "{got:#?}");
}

#[test]
fn check_and_schedule_say_each_schedule_in_plain_english() {
    let tree = Tree::minimal();
    tree.write(
        "config/bulletin.toml",
        &format!(
            "{BULLETIN_TOML}\n[[bulletin]]\nid = \"briefing\"\nsubject = \"Briefing\"\nschedule = \"30 8 * * MON#1\"\nlists = [\"all\"]\nsections = [\"partnership\"]\n"
        ),
    );
    let check = bulletin(tree.root()).arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{stdout}");
    for want in [
        "  news: 09:00 on the 1st of every month, UK time (0 9 1 * *)\n",
        "  briefing: 08:30 on the first Monday of every month, UK time (30 8 * * MON#1)\n",
    ] {
        assert!(stdout.contains(want), "want {want}\ngot {stdout}");
    }
    let schedule = bulletin(tree.root()).arg("schedule").output().unwrap();
    let stdout = String::from_utf8_lossy(&schedule.stdout);
    assert!(stdout.starts_with("JOB "), "{stdout}");
    assert!(
        stdout.contains("  briefing: 08:30 on the first Monday of every month, UK time"),
        "{stdout}"
    );
    // The JSON stays one document, without the words.
    let json = bulletin(tree.root())
        .args(["schedule", "--format", "json"])
        .output()
        .unwrap();
    let _: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON document");
}

fn stranded_with(front: &str) -> Vec<String> {
    let tree = Tree::minimal();
    tree.write(
        "news/item.md",
        &format!("+++\ntitle = \"Item\"\nsection = \"partnership\"\n{front}\n+++\nBody.\n"),
    );
    let p = tree.load().project.expect("loads");
    // The ledger holds the issue of 1 November (it went).
    let held = [(
        "news".to_string(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
    )]
    .into_iter()
    .collect();
    bulletin::news_window::stranded(&p, support::now(), &held)
        .relative_to(tree.root())
        .iter()
        .map(|d| d.to_string())
        .collect()
}

#[test]
fn a_news_item_no_future_issue_will_carry_is_a_warning() {
    // On 23 November the 1 November issue has gone; the next is 1 December.
    assert_eq!(
        stranded_with("publish = 2026-11-01"),
        [
            "news/item.md:4:11: warning: no future issue will carry this item: with publish = 2026-11-01 it belongs to the issue of 1 November 2026, which went at 09:00 GMT on 1 November\n  hint: if that issue went without it, add `until = 2026-12-01` (or move `publish` to 2026-11-02 or later) so the next issue, 1 December 2026, carries it; if it went out, nothing needs doing"
        ]
    );
    assert_eq!(
        stranded_with("publish = 2026-10-15"),
        [
            "news/item.md:4:11: warning: no future issue will carry this item: with publish = 2026-10-15 it belongs to the issue of 1 November 2026, which went at 09:00 GMT on 1 November\n  hint: if that issue went without it, add `until = 2026-12-01` (or move `publish` to 2026-11-02 or later) so the next issue, 1 December 2026, carries it; if it went out, nothing needs doing"
        ]
    );
    for fine in [
        "publish = 2026-11-01\nuntil = 2026-12-01",
        "publish = 2026-11-02",
        "publish = 2026-11-23",
        "publish = 2027-01-05",
        // An item of an older issue is history, not a mistake.
        "publish = 2026-09-15",
    ] {
        assert_eq!(stranded_with(fine), Vec::<String>::new(), "{fine}");
    }
}

#[test]
fn check_warns_about_a_news_item_added_after_its_issue_went() {
    // A daily issue at midnight: an item published today belonged to today's issue, which
    // has gone, and tomorrow's carries only what is published from tomorrow.
    let tree = Tree::minimal();
    tree.write(
        "config/bulletin.toml",
        &settings_with("\"0 9 1 * *\"", "\"0 0 * * *\""),
    );
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    tree.write(
        "news/item.md",
        &format!(
            "+++\ntitle = \"Item\"\nsection = \"partnership\"\npublish = {today}\n+++\nBody.\n"
        ),
    );
    // Nothing has been sent: the issue did not go, and check does not say it did.
    let out = bulletin(tree.root()).arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        !stdout.contains("no future issue will carry this item") && !stdout.contains("went"),
        "no send is claimed that the ledger does not hold: {stdout}"
    );
    let sent = bulletin(tree.root())
        .args([
            "send",
            "news",
            "--now",
            "--yes",
            "--date",
            &today.to_string(),
        ])
        .output()
        .unwrap();
    assert_eq!(sent.status.code(), Some(0), "{sent:?}");
    let out = bulletin(tree.root()).arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("news/item.md:4:11: warning: no future issue will carry this item"),
        "{stdout}"
    );
}

#[test]
fn the_untouched_sample_checks_clean() {
    let tree = Tree::sample();
    let out = bulletin(tree.root()).arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("check: 0 error(s), "), "{stdout}");
    // The only warnings are the yearly chore: campaigns whose coming dates nobody confirmed.
    for line in stdout.lines().filter(|l| l.contains(": warning: ")) {
        assert!(
            line.contains("has no confirmed dates in the next 12 months"),
            "{line}\n{stdout}"
        );
    }
}

#[test]
fn the_daemons_plan_lists_the_next_issues_news_and_lines_up() {
    let tree = Tree::minimal();
    tree.write(
        "news/item.md",
        "+++\ntitle = \"Winter training dates\"\nsection = \"partnership\"\npublish = 2026-11-20\n+++\nBody.\n",
    );
    tree.write(
        "config/bulletin.toml",
        &format!(
            "{BULLETIN_TOML}\n[[bulletin]]\nid = \"weekly-briefing\"\nsubject = \"Briefing\"\nschedule = \"30 8 * * MON\"\nlists = [\"all\"]\nsections = [\"partnership\"]\n"
        ),
    );
    let p = tree.load().project.expect("loads");
    let plan = bulletin::daemon::startup_summary(&p, support::now(), &Default::default());
    assert!(
        plan.contains(
            "the issue of news (2026-12-01) carries 1 news item(s):\n  Winter training dates\n"
        ),
        "{plan}"
    );
    let next: Vec<&str> = plan
        .lines()
        .skip_while(|l| *l != "next:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert!(next.len() >= 3, "{plan}");
    let cols: Vec<usize> = next.iter().map(|l| l.find("(for ").unwrap()).collect();
    assert!(
        cols.windows(2).all(|w| w[0] == w[1]),
        "columns line up:\n{plan}"
    );
}

/// One `check` reports every file's mistakes: an unknown list in a campaign's `announce` shows
/// up beside an error in bulletin.toml and the campaign's own errors (a missing title, a bad
/// `at`), not only once those are fixed, and a news item naming that campaign is not told the
/// campaign is unknown.
#[test]
fn one_check_reports_an_unknown_announce_list_beside_other_errors() {
    let campaign_variants = [
        // The campaign's own error is elsewhere in the file.
        "summary = \"About the week.\"\nannounce = { days_before = 7, lists = [\"al\"] }\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n",
        // The campaign's own error is in `announce` itself.
        "title = \"A week\"\nsummary = \"About the week.\"\nannounce = { days_before = 7, at = \"9am\", lists = [\"al\"] }\n[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\n",
    ];
    for campaign in campaign_variants {
        let t = Tree::minimal();
        t.write(
            "config/bulletin.toml",
            &settings_with("website =", "webiste ="),
        );
        t.write("campaigns/week.toml", campaign);
        t.write(
            "news/week.md",
            "+++\ntitle = \"Week\"\nsection = \"partnership\"\npublish = 2026-11-01\ncampaign = \"week\"\n+++\nBody.\n",
        );
        let out = bulletin(t.root())
            .env("USER", "tester")
            .arg("check")
            .output()
            .expect("run bulletin check");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{stdout}");
        assert!(
            stdout.contains("config/bulletin.toml:") && stdout.contains("unknown key `webiste`"),
            "the settings error: {stdout}"
        );
        assert!(
            stdout.contains("campaigns/week.toml:")
                && stdout.contains("unknown list `al` in `announce`")
                && stdout.contains("did you mean `all`?"),
            "the announce list, in the same run: {stdout}"
        );
        assert!(
            !stdout.contains("unknown campaign `week`"),
            "a campaign with errors still exists for the news naming it: {stdout}"
        );
    }
}
