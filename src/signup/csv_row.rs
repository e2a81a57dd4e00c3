//! An accepted sign-up as a row of its list's members CSV, written through
//! [`crate::project_edit`]: tried against the loader and `check` first, never over an edit
//! made meanwhile, all or nothing, one commit in a work tree.

use std::path::Path;

use crate::config::{Env, Project};
use crate::project_edit::{self, Author, Edit, EditError, ProjectPath, Version};
use crate::spreadsheet::csv_field;

/// Why a sign-up could not be appended.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("{0} has no `email` column to append to")]
    NoEmailColumn(String),
    #[error("{0} is not inside the project")]
    Outside(String),
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error(transparent)]
    Edit(#[from] EditError),
}

/// The CSV's separator, as the loader reads it from the header: a comma, or a semicolon or tab
/// when the header has one of those and no comma.
fn separator(header: &str) -> u8 {
    if header.contains(',') {
        b','
    } else if header.contains(';') {
        b';'
    } else if header.contains('\t') {
        b'\t'
    } else {
        b','
    }
}

/// One cell for a CSV separated by `sep`, safe in a spreadsheet.
fn cell(s: &str, sep: u8) -> String {
    let c = csv_field(s);
    if sep != b',' && !c.starts_with('"') && c.contains(sep as char) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c
    }
}

/// The header's cells, lower-cased and trimmed.
fn header_cells(header: &str, sep: u8) -> Option<Vec<String>> {
    Some(
        csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(sep)
            .from_reader(header.as_bytes())
            .records()
            .next()?
            .ok()?
            .iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect(),
    )
}

/// `text` (a members CSV) with one more row for `email, name, agency`, in the CSV's own column
/// order (columns it has beyond these are left empty), every cell safe to open in a
/// spreadsheet. `None` when the header has no `email` column.
pub fn appended(text: &str, email: &str, name: &str, agency: Option<&str>) -> Option<String> {
    let header = text.lines().next().unwrap_or("");
    let sep = separator(header);
    let cells: Vec<String> = if header.trim().is_empty() {
        vec!["email".into(), "name".into(), "agency".into()]
    } else {
        header_cells(header, sep)?
    };
    if !cells.iter().any(|c| c == "email") {
        return None;
    }
    let row: Vec<String> = cells
        .iter()
        .map(|c| match c.as_str() {
            "email" => cell(email, sep),
            "name" => cell(name, sep),
            "agency" => cell(agency.unwrap_or(""), sep),
            _ => String::new(),
        })
        .collect();
    let mut out = if header.trim().is_empty() {
        "email,name,agency\n".to_string()
    } else {
        text.to_string()
    };
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&row.join(&(sep as char).to_string()));
    out.push('\n');
    Some(out)
}

/// `text` (a members CSV) with the row of `email_key` given a new name and agency (other cells
/// and rows byte for byte as they were); `None` when no row names the address.
pub fn renamed(text: &str, email_key: &str, name: &str, agency: Option<&str>) -> Option<String> {
    let mut lines = text.split_inclusive('\n');
    let header = lines.next()?;
    let sep = separator(header);
    let cells = |line: &str| -> Option<Vec<String>> {
        let rec = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(sep)
            .from_reader(line.as_bytes())
            .records()
            .next()?
            .ok()?;
        Some(rec.iter().map(str::to_string).collect())
    };
    let names: Vec<String> = cells(header)?
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let at = |n: &str| names.iter().position(|c| c == n);
    let email_col = at("email")?;
    let mut out = header.to_string();
    let mut found = false;
    for line in lines {
        let row = cells(line).filter(|r| {
            r.get(email_col)
                .is_some_and(|e| e.trim().to_lowercase() == email_key)
        });
        let Some(mut row) = row else {
            out.push_str(line);
            continue;
        };
        found = true;
        row.resize(names.len().max(row.len()), String::new());
        if let Some(i) = at("name") {
            row[i] = name.to_string();
        }
        if let Some(i) = at("agency") {
            row[i] = agency.unwrap_or("").to_string();
        }
        let end = if line.ends_with("\r\n") {
            "\r\n"
        } else if line.ends_with('\n') {
            "\n"
        } else {
            ""
        };
        out.push_str(
            &row.iter()
                .map(|c| cell(c, sep))
                .collect::<Vec<_>>()
                .join(&(sep as char).to_string()),
        );
        out.push_str(end);
    }
    found.then_some(out)
}

/// Write `contents` over the CSV at `csv` (whose bytes were `before`) through project_edit.
pub fn rewrite(
    project: &Project,
    env: &Env,
    now: chrono::DateTime<chrono::Utc>,
    (csv, before, contents): (&Path, &[u8], String),
    author: &Author,
    message: &str,
) -> Result<(), AppendError> {
    let shown = csv.display().to_string();
    let rel = csv
        .strip_prefix(&project.root)
        .map_err(|_| AppendError::Outside(shown.clone()))?;
    let path = ProjectPath::new(rel).map_err(|_| AppendError::Outside(shown))?;
    let edit = Edit {
        path,
        contents: Some(contents),
        base: Version::of(before),
    };
    project_edit::save(&project.config_path, env, now, &[edit], author, message)?;
    Ok(())
}

/// Append `email, name, agency` to the members CSV at `csv` (a path the loader read) of the
/// project, as `author`, unless the address is in it already.
pub fn append(
    project: &Project,
    env: &Env,
    now: chrono::DateTime<chrono::Utc>,
    csv: &Path,
    person: (&str, &str, Option<&str>),
    author: &Author,
) -> Result<(), AppendError> {
    let shown = csv.display().to_string();
    let rel = csv
        .strip_prefix(&project.root)
        .map_err(|_| AppendError::Outside(shown.clone()))?;
    let path = ProjectPath::new(rel).map_err(|_| AppendError::Outside(shown.clone()))?;
    let bytes = std::fs::read(csv).map_err(|e| AppendError::Read(shown.clone(), e))?;
    let text = String::from_utf8_lossy(&bytes);
    let (email, name, agency) = person;
    let key = email.to_lowercase();
    if text.lines().any(|l| {
        l.split(',')
            .next()
            .is_some_and(|c| c.trim().to_lowercase() == key)
    }) {
        return Ok(());
    }
    let contents = appended(&text, email, name, agency).ok_or(AppendError::NoEmailColumn(shown))?;
    let edit = Edit {
        path,
        contents: Some(contents),
        base: Version::of(&bytes),
    };
    let message = format!(
        "Lists: add a confirmed sign-up to {rel}",
        rel = rel.display()
    );
    project_edit::save(&project.config_path, env, now, &[edit], author, &message)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{appended, renamed};

    #[test]
    fn a_row_follows_the_header_and_is_never_a_formula() {
        let t = appended(
            "email,name,agency\na@x.example,A,B\n",
            "c@x.example",
            "=cmd",
            Some("X, Y"),
        )
        .unwrap();
        assert_eq!(
            t,
            "email,name,agency\na@x.example,A,B\nc@x.example,'=cmd,\"X, Y\"\n"
        );
        let t = appended("Name,Email\r\nA,a@x.example", "c@x.example", "C", None).unwrap();
        assert!(t.ends_with("\nC,c@x.example\n"), "{t:?}");
        assert_eq!(
            appended("", "c@x.example", "C", None).unwrap(),
            "email,name,agency\nc@x.example,C,\n"
        );
        assert!(appended("name,agency\n", "c@x.example", "C", None).is_none());
        let t = appended("email;name;agency\n", "c@x.example", "C; D", Some("E, F")).unwrap();
        assert_eq!(t, "email;name;agency\nc@x.example;\"C; D\";\"E, F\"\n");
        let t = renamed(
            "email,name,agency\r\na@x.example,A,B\r\nC@x.example,C,D\r\n",
            "c@x.example",
            "Cee",
            Some("=x"),
        )
        .unwrap();
        assert_eq!(
            t,
            "email,name,agency\r\na@x.example,A,B\r\nC@x.example,Cee,'=x\r\n"
        );
        assert!(renamed("email,name\na@x.example,A\n", "z@x.example", "Z", None).is_none());
    }
}
