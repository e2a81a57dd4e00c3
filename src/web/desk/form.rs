//! The parts of the desk's edit forms: a field with its label, hint and the problems found at
//! it; the error summary that links to each field; a form body read as ordered pairs (repeated
//! keys kept); and a save's diagnostics placed at the field of the line they point at.

use maud::{Markup, html};

use crate::diag::{Diagnostic, Diagnostics, Severity};

/// A problem to show: at a field (by its id), or about the file as a whole (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub fn at(field: &str, message: impl Into<String>) -> Problem {
        Problem {
            field: Some(field.to_string()),
            message: message.into(),
            hint: None,
        }
    }

    fn from_diag(field: Option<String>, d: &Diagnostic) -> Problem {
        let line = if d.pos.line > 0 {
            format!(" (line {})", d.pos.line)
        } else {
            String::new()
        };
        Problem {
            field,
            message: format!("{}{line}", d.message),
            hint: d.hint.clone(),
        }
    }
}

/// A form body's fields in order; a key may repeat.
pub fn pairs(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(body).unwrap_or_default()
}

/// The value of `key`, empty when absent.
pub fn value<'a>(fields: &'a [(String, String)], key: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// Each error of `diagnostics` about the file `path` placed at the field `field_of` names for
/// its line; errors about other files (what the change broke elsewhere) go to the summary.
pub fn place(
    diagnostics: &Diagnostics,
    path: &std::path::Path,
    field_of: impl Fn(usize) -> Option<String>,
) -> Vec<Problem> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let field = (d.path == path).then(|| field_of(d.pos.line)).flatten();
            let mut p = Problem::from_diag(field, d);
            if d.path != path {
                p.message = format!("{}: {}", d.path.display(), p.message);
            }
            p
        })
        .collect()
}

/// The field a line of a written file belongs to: the key set on that line (or the nearest
/// key above it, for a value that runs over several lines), among `keys`.
pub fn key_at_line(text: &str, line: usize, keys: &[&str]) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let upto = line.min(lines.len());
    lines[..upto].iter().rev().find_map(|l| {
        let (k, _) = l.split_once('=')?;
        let k = k.trim();
        keys.contains(&k).then(|| k.to_string())
    })
}

/// "There is a problem": every problem, each linking to its field.
pub fn error_summary(problems: &[Problem]) -> Markup {
    html! {
        @if !problems.is_empty() {
            div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                h2 id="error-summary-title" { "There is a problem" }
                ul {
                    @for p in problems {
                        li {
                            @match &p.field {
                                Some(f) => a href={ "#" (f) } { (p.message) },
                                None => (p.message),
                            }
                            @if let Some(h) = &p.hint { " " span class="muted" { (h) } }
                        }
                    }
                }
            }
        }
    }
}

/// One field: its label, a hint, its problems, and the control.
pub struct Field<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub hint: Option<&'a str>,
    pub value: &'a str,
    /// `text`, `date`, `url`, or `textarea`.
    pub kind: &'a str,
    pub required: bool,
}

impl Field<'_> {
    pub fn render(&self, problems: &[Problem]) -> Markup {
        let mine: Vec<&Problem> = problems
            .iter()
            .filter(|p| p.field.as_deref() == Some(self.id))
            .collect();
        let hint_id = format!("{}-hint", self.id);
        let err_id = format!("{}-error", self.id);
        let mut described = Vec::new();
        if self.hint.is_some() {
            described.push(hint_id.clone());
        }
        if !mine.is_empty() {
            described.push(err_id.clone());
        }
        let described = described.join(" ");
        let class = if mine.is_empty() {
            "field"
        } else {
            "field field-error"
        };
        html! {
            div class=(class) {
                label for=(self.id) { (self.label) }
                @if let Some(h) = self.hint { p id=(hint_id) class="hint" { (h) } }
                @if !mine.is_empty() {
                    div id=(err_id) class="error-message" {
                        @for p in &mine {
                            p { span class="visually-hidden" { "Error: " } (p.message)
                                @if let Some(h) = &p.hint { br; span class="muted" { (h) } } }
                        }
                    }
                }
                @if self.kind == "textarea" {
                    textarea id=(self.id) name=(self.id) rows="16"
                        aria-describedby=[(!described.is_empty()).then_some(&described)]
                        aria-invalid=[(!mine.is_empty()).then_some("true")]
                        required[self.required] { "\n" (self.value) }
                } @else {
                    input id=(self.id) name=(self.id) type=(self.kind) value=(self.value)
                        aria-describedby=[(!described.is_empty()).then_some(&described)]
                        aria-invalid=[(!mine.is_empty()).then_some("true")]
                        required[self.required];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_belongs_to_the_key_set_on_it_or_above_it() {
        let text = "+++\ntitle = \"A\"\nsummary = '''\none\ntwo\n'''\nurl = \"x\"\n+++\n";
        let keys = ["title", "summary", "url"];
        assert_eq!(key_at_line(text, 2, &keys).as_deref(), Some("title"));
        assert_eq!(key_at_line(text, 5, &keys).as_deref(), Some("summary"));
        assert_eq!(key_at_line(text, 7, &keys).as_deref(), Some("url"));
        assert_eq!(key_at_line(text, 1, &keys), None);
    }
}
