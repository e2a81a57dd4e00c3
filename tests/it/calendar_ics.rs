//! The iCalendar export, read back by an independent, widely used parser: Python's `icalendar`
//! (tests/ics_parse.py prints what it understood as JSON). Checks what Outlook, Google
//! Calendar and Thunderbird rely on: CRLF, folding at 75 octets, TEXT escaping, stable unique
//! UIDs, exclusive all-day DTEND, and event times with a TZID whose VTIMEZONE is right.

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use chrono::{NaiveDate, NaiveDateTime, Offset, TimeZone};
use serde_json::{Value, json};
use support::{Tree, bulletin};

const HOST: &str = "safeguardingchildren.salford.gov.uk";

/// Python's icalendar must be there: a missing parser fails the test (never skips it).
fn require_icalendar() {
    let ok = Command::new("python3")
        .args(["-c", "import icalendar"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the ICS tests need Python 3 with the `icalendar` package: run `pip install icalendar` \
         (scripts/test installs it)"
    );
}

/// `bulletin calendar` run in `dir`, stdout as text.
fn calendar(dir: &Path, args: &[&str]) -> String {
    support::succeed(bulletin(dir).arg("calendar").args(args))
}

fn export(dir: &Path) -> String {
    calendar(
        dir,
        &[
            "--format",
            "ics",
            "--from",
            "2024-01-01",
            "--to",
            "2027-12-31",
        ],
    )
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What Python's icalendar understood of `ics`.
fn parse(ics: &str) -> Value {
    require_icalendar();
    let facts = support::python_json("tests/ics_parse.py", "calendar.ics", ics.as_bytes());
    assert_eq!(facts["errors"], json!([]), "the parser noticed problems");
    facts
}

/// CRLF after every line and nothing else; no physical line longer than 75 octets.
fn assert_well_formed(ics: &str) {
    assert!(ics.ends_with("\r\n"));
    let without_crlf = ics.replace("\r\n", "");
    assert!(!without_crlf.contains(['\r', '\n']), "a bare CR or LF");
    for line in ics[..ics.len() - 2].split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        assert!(!line.is_empty(), "an empty line");
    }
}

fn events(facts: &Value) -> &Vec<Value> {
    facts["events"].as_array().expect("events")
}

fn event<'a>(facts: &'a Value, uid: &str) -> &'a Value {
    events(facts)
        .iter()
        .find(|e| e["uid"] == uid)
        .unwrap_or_else(|| panic!("no event {uid}"))
}

fn uids(facts: &Value) -> Vec<String> {
    events(facts)
        .iter()
        .map(|e| e["uid"].as_str().expect("uid").to_string())
        .collect()
}

fn timed(local: &str, tzid: Option<&str>, offset: i64, utc: &str) -> Value {
    json!({"datetime": local, "tzid": tzid, "utc_offset_seconds": offset, "utc": utc})
}

#[test]
fn the_sample_calendar_reads_back_whole() {
    let ics = export(repo());
    assert_well_formed(&ics);
    let facts = parse(&ics);
    assert_eq!(facts["version"], "2.0");
    assert_eq!(facts["calscale"], "GREGORIAN");
    assert_eq!(
        facts["calname"],
        "Salford Safeguarding Children Partnership"
    );
    assert!(
        facts["prodid"]
            .as_str()
            .is_some_and(|p| p.starts_with("-//bulletin//"))
    );

    // One VEVENT per row of the JSON output for the same range, each UID once.
    let rows: Vec<Value> = serde_json::from_str(&calendar(
        repo(),
        &[
            "--format",
            "json",
            "--from",
            "2024-01-01",
            "--to",
            "2027-12-31",
        ],
    ))
    .expect("JSON");
    let all = uids(&facts);
    assert_eq!(all.len(), rows.len());
    assert_eq!(
        all.iter().collect::<BTreeSet<_>>().len(),
        all.len(),
        "UIDs are unique"
    );

    // Whole-day occurrences: DTSTART the first day, DTEND the day after the last (exclusive).
    for row in rows.iter().filter(|r| r["kind"] == "campaign") {
        let (id, start, end) = (
            row["campaign"].as_str().unwrap(),
            row["start"].as_str().unwrap(),
            row["end"].as_str().unwrap(),
        );
        let e = event(&facts, &format!("{id}-{start}@{HOST}"));
        let after = end
            .parse::<NaiveDate>()
            .unwrap()
            .succ_opt()
            .unwrap()
            .to_string();
        assert_eq!(e["dtstart"], json!({"date": start}), "{id}");
        assert_eq!(e["dtend"], json!({"date": after}), "{id}");
        assert_eq!(e["summary"], row["title"]);
        assert_eq!(e["transp"], "TRANSPARENT");
    }
    let sixteen = event(&facts, &format!("sixteen-days-of-action-2026-11-25@{HOST}"));
    assert_eq!(sixteen["dtend"], json!({"date": "2026-12-11"}));
    assert_eq!(sixteen["categories"], json!(["domestic-abuse"]));
    assert!(
        sixteen["url"]
            .as_str()
            .unwrap()
            .starts_with("https://www.unwomen.org/")
    );
    assert!(
        sixteen["description"]
            .as_str()
            .unwrap()
            .contains("Helpline is free on 0808 2000 247.")
    );
    let holidays = event(
        &facts,
        &format!("christmas-online-safety-2026-12-20@{HOST}"),
    );
    assert_eq!(holidays["dtend"], json!({"date": "2027-01-06"}));
    let adults = event(
        &facts,
        &format!("safeguarding-adults-week-2024-11-18@{HOST}"),
    );
    assert_eq!(adults["dtend"], json!({"date": "2024-11-23"}));
    let description = adults["description"].as_str().unwrap();
    assert!(description.starts_with(
        "Led by the Ann Craft Trust (https://www.anncrafttrust.org/), Safeguarding Adults Week"
    ));
    assert!(
        description.ends_with("\n\nMore: https://www.anncrafttrust.org/"),
        "{description}"
    );
    assert!(!description.contains(['[', ']', '*']), "{description}");
    // Evergreen campaigns have no dates, so no events.
    assert!(!all.iter().any(|u| u.starts_with("icon-2")));

    // Events: local times with TZID=Europe/London (GMT in winter).
    let london = Some("Europe/London");
    for (uid, start, end) in [
        (
            "threshold-of-need-training-2026-12-03T0930",
            "2026-12-03T09:30:00",
            "2026-12-03T12:30:00",
        ),
        (
            "professional-curiosity-briefing-2026-12-09T1000",
            "2026-12-09T10:00:00",
            "2026-12-09T11:30:00",
        ),
        (
            "threshold-of-need-training-2027-01-14T1300",
            "2027-01-14T13:00:00",
            "2027-01-14T16:00:00",
        ),
        (
            "neglect-toolkit-workshop-2027-02-10T0930",
            "2027-02-10T09:30:00",
            "2027-02-10T11:30:00",
        ),
    ] {
        let e = event(&facts, &format!("{uid}@{HOST}"));
        assert_eq!(e["dtstart"], timed(start, london, 0, start), "{uid}");
        assert_eq!(e["dtend"], timed(end, london, 0, end), "{uid}");
        assert!(e["transp"].is_null());
    }
    assert_vtimezone_is_london(&facts);
}

/// The VTIMEZONE we wrote, turned into a zone by icalendar from its own RRULEs, agrees with
/// the tz database (chrono-tz) at every probe, either side of each clock change.
fn assert_vtimezone_is_london(facts: &Value) {
    let zones = facts["timezones"].as_array().expect("timezones");
    assert_eq!(zones.len(), 1);
    assert_eq!(zones[0]["tzid"], "Europe/London");
    let offsets = zones[0]["offsets"].as_object().expect("offsets");
    assert!(offsets.len() >= 10);
    for (probe, offset) in offsets {
        let local = NaiveDateTime::parse_from_str(probe, "%Y-%m-%dT%H:%M:%S").expect("probe");
        let expected = chrono_tz::Europe::London
            .from_local_datetime(&local)
            .earliest()
            .expect("probes avoid the gap")
            .offset()
            .fix()
            .local_minus_utc();
        assert_eq!(
            offset.as_i64(),
            Some(i64::from(expected)),
            "offset at {probe}"
        );
    }
}

#[test]
fn uids_are_stable_between_runs_and_ranges() {
    require_icalendar();
    let first = export(repo());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = export(repo());
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("DTSTAMP:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        strip(&first),
        strip(&second),
        "only DTSTAMP may change between runs"
    );
    let (a, b) = (uids(&parse(&first)), uids(&parse(&second)));
    assert_eq!(a, b);
    // A narrower export names the same occurrences the same way.
    let year = parse(&calendar(
        repo(),
        &[
            "--format",
            "ics",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
        ],
    ));
    let narrow = uids(&year);
    assert!(!narrow.is_empty());
    assert!(narrow.iter().all(|u| a.contains(u)), "{narrow:?}");
}

/// Characters TEXT must escape, a line break, non-ASCII long enough to fold mid-text, and a
/// summer event, in a copy of the sample tree.
#[test]
fn hostile_text_round_trips() {
    let tree = Tree::sample();
    let title = format!(
        "Commas, semicolons; back\\slashes \\ and \"quotes\": {}",
        "Ünïcödé — 🎗️ ".repeat(8).trim_end()
    );
    let toml_title = title.replace('\\', "\\\\").replace('"', "\\\"");
    tree.write(
        "campaigns/hostile.toml",
        &format!(
            "title = \"{toml_title}\"\n\
             summary = \"\"\"\n\
             Line one, with commas; semicolons and a back\\\\slash.\n\
             Still paragraph one.\n\
             \n\
             Paragraph two: [a link](https://example.org/a_b?x=1,2;3) and **bold**.\n\
             \"\"\"\n\
             url = \"https://example.org/a,b;c\"\n\
             themes = [\"neglect\", \"adolescents\"]\n\
             [[when]]\n\
             dates = {{ from = 2026-06-01, to = 2026-06-03 }}\n\
             [[when]]\n\
             at = 2026-07-01T14:00:00\n\
             minutes = 45\n"
        ),
    );
    let ics = export(tree.root());
    assert_well_formed(&ics);
    // Escaped as RFC 5545 TEXT (read unfolded).
    assert!(
        ics.replace("\r\n ", "").contains(
            "SUMMARY:Commas\\, semicolons\\; back\\\\slashes \\\\ and \"quotes\": Ünïcödé"
        )
    );
    let facts = parse(&ics);
    let description = "Line one, with commas; semicolons and a back\\slash. Still paragraph one.\n\n\
                       Paragraph two: a link (https://example.org/a_b?x=1,2;3) and bold.\n\n\
                       More: https://example.org/a,b;c";
    let all_day = event(&facts, &format!("hostile-2026-06-01@{HOST}"));
    assert_eq!(all_day["summary"], title.as_str());
    assert_eq!(all_day["description"], description);
    assert_eq!(all_day["url"], "https://example.org/a,b;c");
    assert_eq!(all_day["categories"], json!(["neglect", "adolescents"]));
    assert_eq!(all_day["dtend"], json!({"date": "2026-06-04"}));
    // A summer event: BST, an hour ahead of UTC.
    let summer = event(&facts, &format!("hostile-2026-07-01T1400@{HOST}"));
    assert_eq!(summer["summary"], title.as_str());
    let london = Some("Europe/London");
    assert_eq!(
        summer["dtstart"],
        timed("2026-07-01T14:00:00", london, 3600, "2026-07-01T13:00:00")
    );
    assert_eq!(
        summer["dtend"],
        timed("2026-07-01T14:45:00", london, 3600, "2026-07-01T13:45:00")
    );
}

/// For a zone without a VTIMEZONE of ours, events are written as UTC times.
#[test]
fn other_zones_fall_back_to_utc() {
    let tree = Tree::sample();
    let settings = std::fs::read_to_string(tree.config()).expect("settings");
    assert!(settings.contains("time_zone = \"Europe/London\""));
    tree.write(
        "config/bulletin.toml",
        &settings.replace(
            "time_zone = \"Europe/London\"",
            "time_zone = \"America/New_York\"",
        ),
    );
    let ics = export(tree.root());
    assert_well_formed(&ics);
    assert!(!ics.contains("TZID"));
    let facts = parse(&ics);
    assert_eq!(facts["timezones"], json!([]));
    let e = event(
        &facts,
        &format!("threshold-of-need-training-2026-12-03T0930@{HOST}"),
    );
    assert_eq!(
        e["dtstart"],
        timed("2026-12-03T14:30:00", None, 0, "2026-12-03T14:30:00")
    );
    assert_eq!(
        e["dtend"],
        timed("2026-12-03T17:30:00", None, 0, "2026-12-03T17:30:00")
    );
    // Whole days stay whole days.
    let sixteen = event(&facts, &format!("sixteen-days-of-action-2026-11-25@{HOST}"));
    assert_eq!(sixteen["dtstart"], json!({"date": "2026-11-25"}));
}

/// A campaign's year content goes into the description of that year's occurrence only, and an
/// event's practical facts into every session's.
#[test]
fn each_years_content_describes_that_years_occurrence() {
    let out = bulletin(repo())
        .args([
            "calendar",
            "--format",
            "ics",
            "--from",
            "2020-11-01",
            "--to",
            "2024-12-31",
        ])
        .output()
        .expect("bulletin runs");
    assert!(out.status.success());
    let facts = parse(&String::from_utf8(out.stdout).unwrap());
    let description =
        |uid: &str| event(&facts, &format!("{uid}@{HOST}"))["description"].to_string();
    let saw_2020 = description("safeguarding-adults-week-2020-11-16");
    let saw_2024 = description("safeguarding-adults-week-2024-11-18");
    assert!(saw_2020.contains("lit up purple"), "{saw_2020}");
    assert!(!saw_2020.contains("Establishing professional boundaries"));
    assert!(
        saw_2024.contains("Wednesday: Establishing professional boundaries"),
        "{saw_2024}"
    );
    assert!(!saw_2024.contains("lit up purple"));
    let abw_2024 = description("anti-bullying-week-2024-11-11");
    assert!(
        abw_2024.contains("This year's theme: Choose Respect"),
        "{abw_2024}"
    );
    // A year without content keeps the campaign's own summary.
    let abw_2022 = facts["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["uid"]
                .as_str()
                .is_some_and(|u| u.starts_with("anti-bullying-week-2022"))
        })
        .expect("2022 week")["description"]
        .to_string();
    assert!(!abw_2022.contains("This year's theme"), "{abw_2022}");
    let nrm = description("nrm-myth-busting-2024-11-25T1000");
    assert!(nrm.contains("For: Police and partners"), "{nrm}");
}

/// Events at the very end of year 9999: iCalendar has four digits of year, so an end that
/// falls in year 10000 is written as a length (DURATION) rather than as an invalid `+10000…`
/// DTEND, and an event whose start cannot be written at all is left out, in the organisation's
/// zone and in the UTC fallback alike.
#[test]
fn events_at_the_end_of_year_9999_stay_valid_icalendar() {
    // (zone, the event's local start, as written in its UID): 23:00 UTC either way.
    for (zone, local, uid_time) in [
        ("Europe/London", "9999-12-31T23:00", "9999-12-31T2300"),
        ("America/New_York", "9999-12-31T18:00", "9999-12-31T1800"),
    ] {
        let tree = Tree::minimal();
        let settings = std::fs::read_to_string(tree.config()).unwrap();
        tree.write(
            "config/bulletin.toml",
            &settings.replacen(
                "[organisation]\n",
                &format!("[organisation]\ntime_zone = \"{zone}\"\n"),
                1,
            ),
        );
        tree.write(
            "campaigns/last-week.toml",
            "title = \"The last week\"\nsummary = \"Two days.\"\n[[when]]\ndates = { from = 9999-12-30, to = 9999-12-31 }\n",
        );
        tree.write(
            "campaigns/late-event.toml",
            &format!("title = \"Late event\"\nsummary = \"Ninety minutes.\"\n[[when]]\nat = {local}\nminutes = 90\n"),
        );
        // 20:00 in New York is 01:00 on 1 January 10000 in UTC, which cannot be written.
        tree.write(
            "campaigns/too-late.toml",
            "title = \"Too late\"\nsummary = \"Half an hour.\"\n[[when]]\nat = 9999-12-31T20:00\nminutes = 30\n",
        );
        let ics = calendar(
            tree.root(),
            &[
                "--format",
                "ics",
                "--from",
                "9999-12-01",
                "--to",
                "9999-12-31",
            ],
        );
        assert_well_formed(&ics);
        assert!(
            !ics.lines().any(|l| l.starts_with("DT") && l.contains(":+")),
            "{zone}: a year past 9999 written:\n{ics}"
        );
        let facts = parse(&ics);
        let all_day = event(&facts, "last-week-9999-12-30@test.example");
        assert_eq!(all_day["dtstart"], json!({"date": "9999-12-30"}), "{zone}");
        assert_eq!(all_day["dtend"], Value::Null, "{zone}");
        assert_eq!(all_day["duration_seconds"], json!(2 * 86_400), "{zone}");
        let late = event(&facts, &format!("late-event-{uid_time}@test.example"));
        assert_eq!(
            late["dtstart"]["utc"],
            json!("9999-12-31T23:00:00"),
            "{zone}"
        );
        assert_eq!(late["dtend"], Value::Null, "{zone}");
        assert_eq!(late["duration_seconds"], json!(90 * 60), "{zone}");
        let too_late = uids(&facts).iter().any(|u| u.starts_with("too-late"));
        assert_eq!(
            too_late,
            zone == "Europe/London",
            "{zone}: {:?}",
            uids(&facts)
        );
    }
}
