//! A news item as the desk's form holds it, and the `news/<slug>.md` a person would have
//! written from it: TOML front matter between `+++` lines, then the Markdown body. Editing a
//! file changes only the keys whose text changed (through [`crate::toml_text`]), so a file
//! opened and saved unchanged keeps every byte, and comments and key order survive an edit.
//! Pure: no files, no clock; the loader checks what is written when it is saved.

use chrono::{Datelike, NaiveDate};

use crate::toml_text::{self, Kind};

/// The news item form: every key a news item's front matter may hold, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewsForm {
    pub title: String,
    pub section: String,
    pub publish: String,
    pub until: String,
    pub deadline: String,
    pub campaign: String,
    /// Theme ids, `a, b`.
    pub themes: String,
    /// Bulletin ids, `a, b`; empty for every bulletin.
    pub bulletins: String,
    pub url: String,
    /// Markdown.
    pub body: String,
}

/// The front matter keys in the order a new file gives them, with what each holds.
pub const KEYS: [(&str, Kind); 9] = [
    ("title", Kind::Text),
    ("section", Kind::Text),
    ("publish", Kind::Date),
    ("until", Kind::Date),
    ("deadline", Kind::Date),
    ("campaign", Kind::Text),
    ("themes", Kind::List),
    ("bulletins", Kind::List),
    ("url", Kind::Text),
];

/// Why a file cannot be opened in the form (it is shown as it is, to be fixed in an editor).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewsFileError {
    #[error("the file does not start with a `+++` line and front matter closed by `+++`")]
    NoFrontMatter,
    #[error("the front matter is not TOML: {0}")]
    Toml(String),
}

/// A news file cut into its parts, each exactly as written.
struct Parts<'a> {
    /// A byte order mark and the opening `+++` line, with its line ending.
    open: &'a str,
    front: &'a str,
    /// The closing `+++` line, with its line ending.
    close: &'a str,
    body: &'a str,
}

fn parts(text: &str) -> Result<Parts<'_>, NewsFileError> {
    let nobom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - nobom.len();
    let open_len = nobom.find('\n').ok_or(NewsFileError::NoFrontMatter)? + 1;
    if nobom[..open_len].trim_end() != "+++" {
        return Err(NewsFileError::NoFrontMatter);
    }
    let front_start = bom + open_len;
    let mut at = front_start;
    for line in text[front_start..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Ok(Parts {
                open: &text[..front_start],
                front: &text[front_start..at],
                close: line,
                body: &text[at + line.len()..],
            });
        }
        at += line.len();
    }
    Err(NewsFileError::NoFrontMatter)
}

impl NewsForm {
    /// The form of an existing file.
    pub fn read(text: &str) -> Result<NewsForm, NewsFileError> {
        let p = parts(text)?;
        let doc: toml_edit::DocumentMut = p
            .front
            .parse()
            .map_err(|e: toml_edit::TomlError| NewsFileError::Toml(e.message().to_string()))?;
        let mut form = NewsForm {
            body: p.body.to_string(),
            ..NewsForm::default()
        };
        for (key, _) in KEYS {
            *form.field_mut(key) = toml_text::get(doc.as_table(), key);
        }
        Ok(form)
    }

    fn field_mut(&mut self, key: &str) -> &mut String {
        match key {
            "title" => &mut self.title,
            "section" => &mut self.section,
            "publish" => &mut self.publish,
            "until" => &mut self.until,
            "deadline" => &mut self.deadline,
            "campaign" => &mut self.campaign,
            "themes" => &mut self.themes,
            "bulletins" => &mut self.bulletins,
            "url" => &mut self.url,
            _ => &mut self.body,
        }
    }

    /// The field's text by its key (`body` for the body).
    pub fn field(&self, key: &str) -> &str {
        match key {
            "title" => &self.title,
            "section" => &self.section,
            "publish" => &self.publish,
            "until" => &self.until,
            "deadline" => &self.deadline,
            "campaign" => &self.campaign,
            "themes" => &self.themes,
            "bulletins" => &self.bulletins,
            "url" => &self.url,
            _ => &self.body,
        }
    }

    /// The form as a browser sent it: line breaks as `\n` (a textarea sends `\r\n`), the body
    /// ending with a line break as a person's editor leaves it, one-line fields trimmed.
    pub fn from_browser(fields: &[(String, String)]) -> NewsForm {
        let mut form = NewsForm::default();
        for (key, value) in fields {
            let value = value.replace("\r\n", "\n");
            let slot = form.field_mut(key);
            if key == "body" || KEYS.iter().any(|(k, _)| k == key) {
                *slot = value;
            }
        }
        for (key, _) in KEYS {
            let v = form.field_mut(key);
            *v = v.trim().to_string();
        }
        if !form.body.is_empty() && !form.body.ends_with('\n') {
            form.body.push('\n');
        }
        form
    }

    /// The file's text: `existing` edited where the form differs from it, or a new file.
    pub fn write(&self, existing: Option<&str>) -> Result<String, NewsFileError> {
        let Some(existing) = existing else {
            let mut doc = toml_edit::DocumentMut::new();
            for (key, kind) in KEYS {
                toml_text::set(doc.as_table_mut(), key, kind, self.field(key));
            }
            return Ok(format!("+++\n{doc}+++\n{}", self.body));
        };
        let p = parts(existing)?;
        let mut doc: toml_edit::DocumentMut = p
            .front
            .parse()
            .map_err(|e: toml_edit::TomlError| NewsFileError::Toml(e.message().to_string()))?;
        for (key, kind) in KEYS {
            toml_text::set(doc.as_table_mut(), key, kind, self.field(key));
        }
        let mut front = doc.to_string();
        if !front.is_empty() && !front.ends_with('\n') {
            front.push('\n');
        }
        Ok(format!("{}{front}{}{}", p.open, p.close, self.body))
    }
}

/// The file name stem for a new item: its publish month and its title in a few plain words,
/// as the sample files are named (`2027-03-safer-sleep`). `taken` says whether a stem is in
/// use; a number is added until one is free.
pub fn slug(title: &str, publish: NaiveDate, taken: impl Fn(&str) -> bool) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else if c == '\'' || c == '’' {
            continue;
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut name = String::new();
    for w in words {
        if !name.is_empty() && name.len() + w.len() > 48 {
            break;
        }
        if !name.is_empty() {
            name.push('-');
        }
        name.push_str(&w);
    }
    if name.is_empty() {
        name.push_str("item");
    }
    let base = format!("{:04}-{:02}-{name}", publish.year(), publish.month());
    let mut stem = base.clone();
    let mut n = 2;
    while taken(&stem) {
        stem = format!("{base}-{n}");
        n += 1;
    }
    stem
}

/// Whether `stem` is one the desk may name a news file by: lower-case letters, digits and
/// single hyphens (no path, no dots).
pub fn is_slug(stem: &str) -> bool {
    !stem.is_empty()
        && stem.len() <= 100
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !stem.starts_with('-')
        && !stem.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn every_sample_news_file_reads_and_writes_back_unchanged() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("news");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let form = NewsForm::read(&text).unwrap();
            assert_eq!(form.write(Some(&text)).unwrap(), text, "{}", path.display());
            n += 1;
        }
        assert!(n > 30);
    }

    #[test]
    fn a_new_item_is_written_as_a_person_would() {
        let form = NewsForm {
            title: "Safer sleep: a briefing".into(),
            section: "training".into(),
            publish: "2027-03-01".into(),
            deadline: "2027-03-20".into(),
            themes: "babies-under-one".into(),
            body: "Book now.\n".into(),
            ..NewsForm::default()
        };
        assert_eq!(
            form.write(None).unwrap(),
            "+++\ntitle = \"Safer sleep: a briefing\"\nsection = \"training\"\npublish = 2027-03-01\ndeadline = 2027-03-20\nthemes = [\"babies-under-one\"]\n+++\nBook now.\n"
        );
        assert_eq!(NewsForm::read(&form.write(None).unwrap()).unwrap(), form);
    }

    #[test]
    fn an_edit_keeps_comments_and_order() {
        let text = "+++\n# checked with the team\ntitle = \"A\"\nurl = \"https://x.example/\"  # theirs\nsection = \"national\"\npublish = 2027-01-01\n+++\nBody\n";
        let mut form = NewsForm::read(text).unwrap();
        assert_eq!(form.write(Some(text)).unwrap(), text);
        form.url = "https://y.example/".into();
        form.until = "2027-02-01".into();
        assert_eq!(
            form.write(Some(text)).unwrap(),
            "+++\n# checked with the team\ntitle = \"A\"\nurl = \"https://y.example/\"  # theirs\nsection = \"national\"\npublish = 2027-01-01\nuntil = 2027-02-01\n+++\nBody\n"
        );
    }

    #[test]
    fn a_browsers_form_has_plain_line_breaks() {
        let fields = vec![
            ("title".to_string(), " A \r\n".to_string()),
            ("body".to_string(), "One\r\n\r\nTwo".to_string()),
            ("csrf".to_string(), "x".to_string()),
        ];
        let form = NewsForm::from_browser(&fields);
        assert_eq!(form.title, "A");
        assert_eq!(form.body, "One\n\nTwo\n");
    }

    #[test]
    fn a_slug_is_the_month_and_a_few_words_of_the_title() {
        let none = |_: &str| false;
        assert_eq!(
            slug(
                "Children's Mental Health Week: 3–9 Feb!",
                d("2027-02-01"),
                none
            ),
            "2027-02-childrens-mental-health-week-3-9-feb"
        );
        assert_eq!(slug("¿¿", d("2027-02-01"), none), "2027-02-item");
        let taken = |s: &str| s == "2027-02-a" || s == "2027-02-a-2";
        assert_eq!(slug("A", d("2027-02-01"), taken), "2027-02-a-3");
        assert!(slug(&"word ".repeat(40), d("2027-02-01"), none).len() < 60);
        assert!(is_slug("2027-02-a-3"));
        assert!(!is_slug("../x") && !is_slug("a.md") && !is_slug(""));
    }
}
