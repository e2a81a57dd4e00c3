//! TOML values as a form shows them, and a form's text written back into a file a person
//! wrote: with `toml_edit`, so a key that did not change keeps its exact bytes, and one that
//! did keeps its place and the comment beside it. (The `toml` crate reads values but forgets
//! comments and layout; the desk must never rewrite the parts of a file nobody edited.)

use toml_edit::{Array, Item, Table, Value};

/// How a form shows the value: strings as they are, dates and numbers as written, a list of
/// strings joined by ", ". Anything else as its TOML text.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.value().clone(),
        Value::Datetime(d) => d.value().to_string(),
        Value::Integer(i) => i.value().to_string(),
        Value::Array(a) => a
            .iter()
            .map(|v| match v {
                Value::String(s) => s.value().clone(),
                other => other.to_string().trim().to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string().trim().to_string(),
    }
}

/// The form's text of `key` in `table`, empty when the key is absent.
pub fn get(table: &Table, key: &str) -> String {
    table
        .get(key)
        .and_then(Item::as_value)
        .map(text_of)
        .unwrap_or_default()
}

/// A list typed as `a, b` (or one a line): its non-empty entries.
pub fn list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// What the form's text of a key becomes in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string, written `"…"`, or `'''…'''` when it has several lines.
    Text,
    /// A date (`2027-03-01`) when it reads as one; otherwise the text as a string, so the
    /// loader's message about it is the one the person sees, at this key.
    Date,
    /// A whole number when it reads as one, otherwise a string (as for dates).
    Number,
    /// A list of strings from `a, b`.
    List,
}

/// The value `text` becomes as `kind`; `None` for empty text (the key is left out).
pub fn value_of(kind: Kind, text: &str) -> Option<Value> {
    let text = text.trim_matches([' ', '\t']);
    if text.trim().is_empty() {
        return None;
    }
    Some(match kind {
        Kind::Text => string(text),
        Kind::Date => text
            .trim()
            .parse::<toml_edit::Datetime>()
            .map_or_else(|_| Value::from(text), Value::from),
        Kind::Number => text
            .trim()
            .parse::<i64>()
            .map_or_else(|_| Value::from(text), Value::from),
        Kind::List => Value::Array(list(text).into_iter().collect::<Array>()),
    })
}

/// A string as a person writes it: on one line in quotes, or, with line breaks, as a
/// multi-line literal string when it holds no `'''`.
fn string(text: &str) -> Value {
    if text.contains('\n') && !text.contains("'''") && !text.contains('\r') {
        let body = if text.starts_with('\n') {
            format!("\n{text}")
        } else {
            text.to_string()
        };
        if let Ok(v) = format!("'''\n{body}'''").parse::<Value>() {
            return v;
        }
    }
    Value::from(text)
}

/// Set `key` of `table` to `text` as `kind` when the text differs from what the file holds
/// (the same text leaves the file's bytes alone); empty text removes the key. A changed value
/// keeps the comment after it and the spacing around it.
pub fn set(table: &mut Table, key: &str, kind: Kind, text: &str) {
    if get(table, key) == text {
        return;
    }
    match value_of(kind, text) {
        None => {
            table.remove(key);
        }
        Some(mut value) => match table.get_mut(key).and_then(Item::as_value_mut) {
            Some(old) => {
                *value.decor_mut() = old.decor().clone();
                *old = value;
            }
            None => {
                table.insert(key, Item::Value(value));
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_value_keeps_its_bytes_and_a_changed_one_its_comment() {
        let text = "a = \"x\"   # why\nb = 2026-01-01\n";
        let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
        set(doc.as_table_mut(), "a", Kind::Text, "x");
        set(doc.as_table_mut(), "b", Kind::Date, "2026-01-01");
        assert_eq!(doc.to_string(), text);
        set(doc.as_table_mut(), "a", Kind::Text, "y");
        set(doc.as_table_mut(), "b", Kind::Date, "");
        set(doc.as_table_mut(), "c", Kind::List, "p, q");
        assert_eq!(doc.to_string(), "a = \"y\"   # why\nc = [\"p\", \"q\"]\n");
    }

    #[test]
    fn text_with_line_breaks_is_written_on_several_lines() {
        let mut doc = toml_edit::DocumentMut::new();
        set(doc.as_table_mut(), "s", Kind::Text, "one\ntwo\n");
        assert_eq!(doc.to_string(), "s = '''\none\ntwo\n'''\n");
        let back: toml_edit::DocumentMut = doc.to_string().parse().unwrap();
        assert_eq!(get(back.as_table(), "s"), "one\ntwo\n");
    }

    #[test]
    fn a_date_that_does_not_read_stays_a_string_for_the_loader_to_report() {
        assert_eq!(
            value_of(Kind::Date, "1/3/2027").unwrap().to_string(),
            "\"1/3/2027\""
        );
        assert_eq!(
            value_of(Kind::Date, "2027-03-01").unwrap().to_string(),
            "2027-03-01"
        );
    }
}
