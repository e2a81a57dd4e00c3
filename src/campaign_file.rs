//! A campaign as the desk's form holds it, and `campaigns/<id>.toml` written from it. An
//! existing file is edited with `toml_edit`, not rewritten: campaign files carry comments
//! that say where dates came from and why a rule is what it is, and a save must keep them
//! (the `toml` crate would drop every one). Only keys whose text changed are touched.
//!
//! The form edits the campaign's title, summary, link and themes; its rule (the first
//! `[[when]]`) with that rule's `source` and `confirmed`; and, for one chosen year, the dates
//! published for that year (a `dates` entry) and the year's content pack (`[year.YYYY]`
//! theme, local text and hashtags). Everything else in the file is left as it is.
//!
//! [`dates_ahead`] reads the written text with the loader's own campaign parser and expands it
//! with the calendar, so the dates shown before saving are the ones the daemon will use.

use chrono::{Datelike, NaiveDate};
use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use crate::calendar::{Calendar, Occurrence};
use crate::diag::Diagnostics;
use crate::toml_text::{self, Kind};

/// The rule kinds the form offers, as the file names them.
pub const RULE_KINDS: [&str; 4] = ["weekday_on_or_after", "nth_weekday", "yearly", "dates"];

/// The keys a rule's inline table may hold, with what each holds.
const RULE_KEYS: [(&str, Kind); 7] = [
    ("month", Kind::Number),
    ("day", Kind::Number),
    ("weekday", Kind::Text),
    ("nth", Kind::Number),
    ("days", Kind::Number),
    ("from", Kind::Text),
    ("to", Kind::Text),
];

/// A campaign's rule as typed: the kind and its parts (unused parts empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleForm {
    /// One of [`RULE_KINDS`], `at` for an event (not edited here), or empty for none.
    pub kind: String,
    pub month: String,
    pub day: String,
    pub weekday: String,
    /// `1`–`5` or `last`.
    pub nth: String,
    pub days: String,
    /// `MM-DD` for `yearly`, a date for `dates`.
    pub from: String,
    pub to: String,
}

/// The campaign form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignForm {
    pub title: String,
    pub summary: String,
    pub url: String,
    pub themes: String,
    pub rule: RuleForm,
    pub source: String,
    pub confirmed: String,
    /// The year the year parts are about.
    pub year: i32,
    /// The dates published for `year` (a `dates` entry), empty when none.
    pub year_from: String,
    pub year_to: String,
    pub year_source: String,
    pub year_confirmed: String,
    /// `[year.YYYY]`: the organiser's theme, local activity, hashtags.
    pub theme: String,
    pub local: String,
    pub hashtags: String,
}

/// Why a campaign file cannot be opened in the form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the file is not TOML: {0}")]
pub struct CampaignFileError(String);

fn parse(text: &str) -> Result<DocumentMut, CampaignFileError> {
    text.parse()
        .map_err(|e: toml_edit::TomlError| CampaignFileError(e.message().to_string()))
}

fn whens(doc: &DocumentMut) -> Option<&ArrayOfTables> {
    doc.get("when").and_then(Item::as_array_of_tables)
}

/// The kind of a `[[when]]` entry: the rule key it holds.
fn kind_of(w: &Table) -> &'static str {
    RULE_KINDS
        .into_iter()
        .chain(["at"])
        .find(|k| w.contains_key(k))
        .unwrap_or("")
}

fn rule_of(w: &Table) -> RuleForm {
    let kind = kind_of(w);
    let mut r = RuleForm {
        kind: kind.to_string(),
        ..RuleForm::default()
    };
    if let Some(t) = w.get(kind).and_then(Item::as_inline_table) {
        for (key, _) in RULE_KEYS {
            *r.part_mut(key) = t.get(key).map(toml_text::text_of).unwrap_or_default();
        }
    }
    r
}

impl RuleForm {
    fn part_mut(&mut self, key: &str) -> &mut String {
        match key {
            "month" => &mut self.month,
            "day" => &mut self.day,
            "weekday" => &mut self.weekday,
            "nth" => &mut self.nth,
            "days" => &mut self.days,
            "from" => &mut self.from,
            _ => &mut self.to,
        }
    }

    fn part(&self, key: &str) -> &str {
        match key {
            "month" => &self.month,
            "day" => &self.day,
            "weekday" => &self.weekday,
            "nth" => &self.nth,
            "days" => &self.days,
            "from" => &self.from,
            _ => &self.to,
        }
    }

    /// The rule's inline table: the parts its kind uses, in the order the samples write them.
    fn inline(&self) -> InlineTable {
        let used: &[&str] = match self.kind.as_str() {
            "yearly" => &["from", "to"],
            "dates" => &["from", "to"],
            "nth_weekday" => &["month", "weekday", "nth", "days"],
            _ => &["month", "day", "weekday", "days"],
        };
        let mut t = InlineTable::new();
        for key in used {
            let kind = match (self.kind.as_str(), *key) {
                ("dates", _) => Kind::Date,
                ("nth_weekday", "nth") if self.nth.trim() == "last" => Kind::Text,
                (_, k) => RULE_KEYS
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map_or(Kind::Text, |p| p.1),
            };
            if let Some(v) = toml_text::value_of(kind, self.part(key)) {
                t.insert(*key, v);
            }
        }
        t.fmt();
        t
    }
}

/// The index of the `[[when]]` holding the dates published for `year` (not the first entry,
/// which is the rule).
fn year_entry(whens: &ArrayOfTables, year: i32) -> Option<usize> {
    whens.iter().enumerate().skip(1).find_map(|(i, w)| {
        let from = w.get("dates")?.as_inline_table()?.get("from")?;
        let from = toml_text::text_of(from);
        (from.get(..4) == Some(year.to_string().as_str())).then_some(i)
    })
}

fn year_table(doc: &DocumentMut, year: i32) -> Option<&Table> {
    doc.get("year")?
        .as_table()?
        .get(&year.to_string())?
        .as_table()
}

impl CampaignForm {
    /// The form of an existing file, with the parts about `year`.
    pub fn read(text: &str, year: i32) -> Result<CampaignForm, CampaignFileError> {
        let doc = parse(text)?;
        let top = doc.as_table();
        let mut f = CampaignForm {
            title: toml_text::get(top, "title"),
            summary: toml_text::get(top, "summary"),
            url: toml_text::get(top, "url"),
            themes: toml_text::get(top, "themes"),
            year,
            ..CampaignForm::default()
        };
        if let Some(first) = whens(&doc).and_then(|w| w.get(0)) {
            f.rule = rule_of(first);
            f.source = toml_text::get(first, "source");
            f.confirmed = toml_text::get(first, "confirmed");
        }
        if let Some(w) = whens(&doc).and_then(|ws| year_entry(ws, year).and_then(|i| ws.get(i))) {
            let dates = rule_of(w);
            (f.year_from, f.year_to) = (dates.from, dates.to);
            f.year_source = toml_text::get(w, "source");
            f.year_confirmed = toml_text::get(w, "confirmed");
        }
        if let Some(t) = year_table(&doc, year) {
            f.theme = toml_text::get(t, "theme");
            f.local = toml_text::get(t, "local");
            f.hashtags = toml_text::get(t, "hashtags");
        }
        Ok(f)
    }

    /// The file's text: `existing` edited where the form differs from it, or a new file.
    pub fn write(&self, existing: Option<&str>) -> Result<String, CampaignFileError> {
        let mut doc = parse(existing.unwrap_or(""))?;
        let before = CampaignForm::read(existing.unwrap_or(""), self.year)?;
        let top = doc.as_table_mut();
        for (key, kind, text) in [
            ("title", Kind::Text, &self.title),
            ("summary", Kind::Text, &self.summary),
            ("url", Kind::Text, &self.url),
            ("themes", Kind::List, &self.themes),
        ] {
            toml_text::set(top, key, kind, text);
        }
        self.write_rule(&mut doc, &before);
        self.write_year_dates(&mut doc, &before);
        self.write_year_content(&mut doc);
        Ok(doc.to_string())
    }

    fn write_rule(&self, doc: &mut DocumentMut, before: &CampaignForm) {
        let unchanged = self.rule == before.rule
            && self.source == before.source
            && self.confirmed == before.confirmed;
        if unchanged || before.rule.kind == "at" {
            return;
        }
        let whens = when_array(doc);
        if self.rule.kind.is_empty() {
            if !before.rule.kind.is_empty() {
                whens.remove(0);
            }
            return;
        }
        if whens.is_empty() {
            whens.push(Table::new());
        }
        let Some(first) = whens.get_mut(0) else {
            return;
        };
        set_rule(first, &self.rule, &before.rule);
        toml_text::set(first, "source", Kind::Text, &self.source);
        toml_text::set(first, "confirmed", Kind::Date, &self.confirmed);
    }

    fn write_year_dates(&self, doc: &mut DocumentMut, before: &CampaignForm) {
        let unchanged = (
            &self.year_from,
            &self.year_to,
            &self.year_source,
            &self.year_confirmed,
        ) == (
            &before.year_from,
            &before.year_to,
            &before.year_source,
            &before.year_confirmed,
        );
        if unchanged {
            return;
        }
        let year = self.year;
        let whens = when_array(doc);
        let at = year_entry(whens, year);
        if self.year_from.trim().is_empty() {
            if let Some(i) = at {
                whens.remove(i);
            }
            return;
        }
        let i = at.unwrap_or_else(|| {
            whens.push(Table::new());
            whens.len() - 1
        });
        let Some(w) = whens.get_mut(i) else {
            return;
        };
        let dates = RuleForm {
            kind: "dates".into(),
            from: self.year_from.clone(),
            to: if self.year_to.trim().is_empty() {
                self.year_from.clone()
            } else {
                self.year_to.clone()
            },
            ..RuleForm::default()
        };
        set_rule(w, &dates, &rule_of(w));
        toml_text::set(w, "source", Kind::Text, &self.year_source);
        toml_text::set(w, "confirmed", Kind::Date, &self.year_confirmed);
    }

    fn write_year_content(&self, doc: &mut DocumentMut) {
        let key = self.year.to_string();
        let exists = year_table(doc, self.year).is_some();
        let empty = [&self.theme, &self.local, &self.hashtags]
            .iter()
            .all(|s| s.trim().is_empty());
        if !exists && empty {
            return;
        }
        let years = doc.as_table_mut().entry("year").or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        let Some(years) = years.as_table_mut() else {
            return;
        };
        let t = years
            .entry(&key)
            .or_insert_with(|| Item::Table(Table::new()));
        let Some(t) = t.as_table_mut() else {
            return;
        };
        toml_text::set(t, "theme", Kind::Text, &self.theme);
        toml_text::set(t, "local", Kind::Text, &self.local);
        toml_text::set(t, "hashtags", Kind::List, &self.hashtags);
    }
}

/// The file's `[[when]]` entries, made when there are none.
fn when_array(doc: &mut DocumentMut) -> &mut ArrayOfTables {
    let item = doc
        .as_table_mut()
        .entry("when")
        .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
    if !item.is_array_of_tables() {
        *item = Item::ArrayOfTables(ArrayOfTables::new());
    }
    item.as_array_of_tables_mut()
        .expect("made an array of tables just above")
}

/// Put `rule` in the entry `w` (whose rule was `old`), keeping the comment after the old one.
fn set_rule(w: &mut Table, rule: &RuleForm, old: &RuleForm) {
    if rule == old {
        return;
    }
    let mut value = Value::InlineTable(rule.inline());
    let decor = w
        .get(&old.kind)
        .and_then(Item::as_value)
        .map(|v| v.decor().clone());
    if let Some(decor) = decor {
        *value.decor_mut() = decor;
    }
    if !old.kind.is_empty() && old.kind != rule.kind {
        w.remove(&old.kind);
    }
    match w.get_mut(&rule.kind).and_then(Item::as_value_mut) {
        Some(v) => *v = value,
        None => {
            // The rule goes first in its entry, before `source` and `confirmed`.
            let rest: Vec<(String, Item)> =
                w.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
            w.clear();
            w.insert(&rule.kind, Item::Value(value));
            for (k, v) in rest {
                w.insert(&k, v);
            }
        }
    }
}

/// The dates the campaign in `text` (saved as `campaigns/<id>.toml`) has in `year` and the two
/// years after, read by the loader's parser and expanded by the calendar, in `tz`; or the
/// loader's diagnostics when the text is not a campaign it would accept.
pub fn dates_ahead(
    id: &str,
    text: &str,
    tz: chrono_tz::Tz,
    year: i32,
) -> Result<Vec<Occurrence>, Diagnostics> {
    let path = std::path::PathBuf::from(format!("campaigns/{id}.toml"));
    let ctx = crate::config::doc::FileCtx::new(&path, text);
    let (campaign, _) = crate::config::campaigns::parse(&ctx);
    let diagnostics = ctx.into_diagnostics();
    let Some(campaign) = campaign.filter(|_| !diagnostics.has_errors()) else {
        return Err(diagnostics);
    };
    let campaigns = [campaign];
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year + 2, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    Ok(Calendar::new(&campaigns, tz).between(from, to))
}

/// The years a list of occurrences covers, for showing them a year at a time.
pub fn by_year(occurrences: &[Occurrence]) -> Vec<(i32, Vec<&Occurrence>)> {
    let mut out: Vec<(i32, Vec<&Occurrence>)> = Vec::new();
    for o in occurrences {
        match out.last_mut() {
            Some((y, v)) if *y == o.start.year() => v.push(o),
            _ => out.push((o.start.year(), vec![o])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABW: &str = include_str!("../campaigns/anti-bullying-week.toml");

    #[test]
    fn every_sample_campaign_reads_and_writes_back_unchanged() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("campaigns");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for year in [2020, 2024, 2027] {
                let form = CampaignForm::read(&text, year).unwrap();
                assert_eq!(form.write(Some(&text)).unwrap(), text, "{}", path.display());
            }
        }
    }

    #[test]
    fn an_edit_keeps_the_comments() {
        let mut form = CampaignForm::read(ABW, 2026).unwrap();
        assert_eq!(form.rule.kind, "weekday_on_or_after");
        form.year_from = "2026-11-16".into();
        form.year_to = "2026-11-20".into();
        form.year_confirmed = "2026-12-05".into();
        form.theme = "Power of Kindness".into();
        let out = form.write(Some(ABW)).unwrap();
        let head = &ABW[..ABW.find("# What each year").unwrap()];
        assert!(out.starts_with(head), "{out}");
        assert!(out.contains("[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\nconfirmed = 2026-12-05\n\n# What each year"));
        assert!(out.contains("# \"Power for Good\""));
        assert!(out.contains(
            "[[when]]\ndates = { from = 2026-11-16, to = 2026-11-20 }\nconfirmed = 2026-12-05\n"
        ));
        assert!(out.contains("[year.2026]\ntheme = \"Power of Kindness\"\n"));
        let back = CampaignForm::read(&out, 2026).unwrap();
        assert_eq!(back, form);
    }

    #[test]
    fn a_changed_rule_keeps_its_comment_and_place() {
        let text = "title = \"T\"\nsummary = \"S\"\n\n# why\n[[when]]\nyearly = { from = \"11-25\", to = \"12-10\" }   # inclusive\nsource = \"x\"\n";
        let mut form = CampaignForm::read(text, 2027).unwrap();
        form.rule.to = "12-11".into();
        assert_eq!(
            form.write(Some(text)).unwrap(),
            text.replace("\"12-10\"", "\"12-11\"")
        );
        form.rule = RuleForm {
            kind: "nth_weekday".into(),
            month: "2".into(),
            weekday: "mon".into(),
            nth: "1".into(),
            days: "5".into(),
            ..RuleForm::default()
        };
        let out = form.write(Some(text)).unwrap();
        assert!(
            out.contains(
                "# why\n[[when]]\nnth_weekday = { month = 2, weekday = \"mon\", nth = 1, days = 5 }   # inclusive\nsource = \"x\"\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn a_new_campaign_and_its_next_three_years() {
        let form = CampaignForm {
            title: "Odd Socks Day".into(),
            summary: "Wear odd socks.".into(),
            rule: RuleForm {
                kind: "nth_weekday".into(),
                month: "11".into(),
                weekday: "mon".into(),
                nth: "2".into(),
                ..RuleForm::default()
            },
            year: 2027,
            ..CampaignForm::default()
        };
        let text = form.write(None).unwrap();
        assert_eq!(
            text,
            "title = \"Odd Socks Day\"\nsummary = \"Wear odd socks.\"\n\n[[when]]\nnth_weekday = { month = 11, weekday = \"mon\", nth = 2 }\n"
        );
        let dates = dates_ahead("odd-socks", &text, chrono_tz::Europe::London, 2027).unwrap();
        let starts: Vec<String> = dates.iter().map(|o| o.start.to_string()).collect();
        assert_eq!(starts, ["2027-11-08", "2028-11-13", "2029-11-12"]);
        let broken = text.replace("month = 11", "month = 13");
        let diags = dates_ahead("odd-socks", &broken, chrono_tz::Europe::London, 2027);
        assert!(diags.unwrap_err().has_errors());
    }
}
