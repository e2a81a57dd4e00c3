//! What an uploaded spreadsheet would change in a list's members CSV: the rows added, removed
//! and changed, the rows refused (and why), and the new file, written as a person editing it
//! would: the file's own header, separator, line endings and byte-order mark; rows that do not
//! change exactly as they were, in their order; new ones at the end, in the spreadsheet's
//! order. So the file's history shows only what the upload changed.

use std::collections::{HashMap, HashSet};

use super::read::{Cell, Known, ReadError, Sheet, SheetRow, csv_grid};
use crate::address::{DisplayName, EmailAddress};
use crate::config::members_csv::row_starts;

/// A list's members CSV as it is now.
#[derive(Debug, Clone)]
pub struct Current {
    delimiter: u8,
    crlf: bool,
    bom: bool,
    /// The header row's text as written.
    header: String,
    width: usize,
    /// The columns of the email address, name and agency.
    cols: [Option<usize>; 3],
    rows: Vec<CurrentRow>,
}

#[derive(Debug, Clone)]
struct CurrentRow {
    row: usize,
    /// The row's text as written (without its line ending).
    raw: String,
    cells: Vec<String>,
    key: String,
}

/// One member as a row gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The spreadsheet's row (for a removed member, the row of the list's CSV).
    pub row: usize,
    pub email: String,
    pub name: String,
    pub agency: String,
}

/// A member whose name or agency the upload changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub before: Row,
    pub after: Row,
}

/// A spreadsheet row that is not used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub row: usize,
    /// The address cell as written (for the admin to recognise the row).
    pub email: String,
    pub reason: Reason,
}

/// Why a row is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("no email address")]
    NoAddress,
    #[error("invalid address: {0}")]
    InvalidAddress(String),
    #[error("the same address as row {first} (addresses are the same whatever their capitals)")]
    Duplicate { first: usize },
    #[error(
        "the {column} cell is a formula or starts with =, +, - or @; it is never written to the list (type the value itself)"
    )]
    Formula { column: &'static str },
    #[error("invalid name: {0}")]
    InvalidName(String),
    #[error("the agency contains a line break or control character")]
    InvalidAgency,
}

/// What an upload would change.
#[derive(Debug, Clone)]
pub struct Diff {
    pub added: Vec<Row>,
    pub removed: Vec<Row>,
    pub changed: Vec<Changed>,
    pub refused: Vec<Refused>,
    /// Members the list keeps as they are because the spreadsheet's row for them is refused.
    pub kept: Vec<Row>,
    pub unchanged: usize,
    /// The members CSV after the change.
    pub csv: String,
}

impl Diff {
    /// Whether confirming would change nothing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

impl Current {
    /// Read a list's members CSV; `known` is the list's `columns` mapping, if any.
    pub fn parse(text: &str, known: &Known) -> Result<Current, ReadError> {
        let bom = text.starts_with('\u{feff}');
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let grid = csv_grid(text, known)?;
        let mut grid = grid.into_iter();
        let (header_row, header) = grid.next().ok_or(ReadError::Empty)?;
        let mapped: Vec<&str> = [&known.email, &known.name, &known.agency]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let delimiter = crate::config::members_csv::detect_delimiter(
            body.lines().next().unwrap_or(""),
            &mapped,
        )
        .0;
        let lines = row_texts(body, delimiter);
        let cols = own_columns(&header, known);
        let Some(email) = cols[0] else {
            let names: Vec<String> = header.iter().map(|h| format!("\"{}\"", h.text)).collect();
            return Err(ReadError::NoEmailColumn(names.join(", ")));
        };
        let rows = grid
            .filter(|(_, cells)| cells.iter().any(|c| !c.text.is_empty()))
            .map(|(row, cells)| {
                let cells: Vec<String> = cells.into_iter().map(|c| c.text).collect();
                let e = cells.get(email).map_or("", String::as_str);
                CurrentRow {
                    row,
                    raw: lines.get(row - 1).cloned().unwrap_or_default(),
                    key: EmailAddress::parse(e).map_or_else(|_| e.to_lowercase(), |a| a.key()),
                    cells,
                }
            })
            .collect();
        Ok(Current {
            delimiter,
            crlf: body.contains("\r\n"),
            bom,
            header: lines.get(header_row - 1).cloned().unwrap_or_default(),
            width: header.len(),
            cols,
            rows,
        })
    }

    /// The headers this file reads each field from: what an upload's columns are matched to
    /// first.
    pub fn known(&self) -> Known {
        let cells: Vec<&str> = header_cells(&self.header, self.delimiter);
        let at = |k: usize| {
            self.cols[k]
                .and_then(|i| cells.get(i))
                .map(|s| s.to_string())
        };
        Known {
            email: at(0),
            name: at(1),
            agency: at(2),
        }
    }

    /// How many members the file has now.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The header's cells, unquoted and trimmed.
fn header_cells(header: &str, delimiter: u8) -> Vec<&str> {
    header
        .split(delimiter as char)
        .map(|h| h.trim().trim_matches('"').trim())
        .collect()
}

/// The text of each spreadsheet row (index = row - 1), without line endings.
fn row_texts(body: &str, delimiter: u8) -> Vec<String> {
    let starts = row_starts(body, delimiter);
    starts
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let end = starts.get(i + 1).copied().unwrap_or(body.len());
            body[s..end].trim_end_matches(['\r', '\n']).to_string()
        })
        .collect()
}

/// The columns of the list's own file: by its `columns` mapping, else by the usual names.
fn own_columns(header: &[Cell], known: &Known) -> [Option<usize>; 3] {
    let find = |own: &Option<String>, field: &str| {
        let want = own.as_deref().unwrap_or(field).trim().to_lowercase();
        header.iter().position(|h| h.text.to_lowercase() == want)
    };
    [
        find(&known.email, "email"),
        find(&known.name, "name"),
        find(&known.agency, "agency"),
    ]
}

/// Whether a spreadsheet would run this text as a formula.
pub fn formula_like(text: &str) -> bool {
    text.trim_start().starts_with(['=', '+', '-', '@'])
}

/// A valid row of the upload.
struct Valid {
    row: usize,
    email: EmailAddress,
    name: String,
    agency: String,
}

/// The row's member, or why it is refused; `first` holds each address's first row.
fn check_row(r: &SheetRow, first: &mut HashMap<String, usize>) -> Result<Valid, Reason> {
    let cells = [
        ("email", Some(&r.email)),
        ("name", r.name.as_ref()),
        ("agency", r.agency.as_ref()),
    ];
    for (column, cell) in cells {
        if cell.is_some_and(|c| c.formula || formula_like(&c.text)) {
            return Err(Reason::Formula { column });
        }
    }
    if r.email.text.is_empty() {
        return Err(Reason::NoAddress);
    }
    let email =
        EmailAddress::parse(&r.email.text).map_err(|e| Reason::InvalidAddress(e.to_string()))?;
    if let Some(&f) = first.get(&email.key()) {
        return Err(Reason::Duplicate { first: f });
    }
    let name = r.name.as_ref().map_or("", |c| c.text.as_str());
    DisplayName::parse(name).map_err(|e| Reason::InvalidName(e.to_string()))?;
    let agency = r.agency.as_ref().map_or("", |c| c.text.as_str());
    if agency.chars().any(char::is_control) {
        return Err(Reason::InvalidAgency);
    }
    first.insert(email.key(), r.row);
    Ok(Valid {
        row: r.row,
        email,
        name: name.to_string(),
        agency: agency.to_string(),
    })
}

/// The upload's valid rows, its refused ones, and the addresses of refused rows (the members
/// to keep as they are).
fn check_rows(sheet: &Sheet) -> (Vec<Valid>, Vec<Refused>, HashSet<String>) {
    let mut first = HashMap::new();
    let mut valid = Vec::new();
    let mut refused = Vec::new();
    let mut held = HashSet::new();
    for r in &sheet.rows {
        match check_row(r, &mut first) {
            Ok(v) => valid.push(v),
            Err(reason) => {
                if let Ok(a) = EmailAddress::parse(&r.email.text) {
                    held.insert(a.key());
                }
                refused.push(Refused {
                    row: r.row,
                    email: r.email.text.clone(),
                    reason,
                });
            }
        }
    }
    (valid, refused, held)
}

/// What `sheet` would change in `current`. A member whose spreadsheet row is refused is kept
/// as the list has it, never removed for a mistake in the spreadsheet.
pub fn diff(current: &Current, sheet: &Sheet) -> Diff {
    let (valid, refused, held) = check_rows(sheet);
    let by_key: HashMap<String, &Valid> = valid.iter().map(|v| (v.email.key(), v)).collect();
    let mut out = Diff {
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        refused,
        kept: Vec::new(),
        unchanged: 0,
        csv: String::new(),
    };
    let mut lines = vec![current.header.clone()];
    for c in &current.rows {
        let before = current.row_of(c);
        match by_key.get(&c.key) {
            Some(v) => {
                let after = Row {
                    row: v.row,
                    email: before.email.clone(),
                    name: if sheet.has_name {
                        v.name.clone()
                    } else {
                        before.name.clone()
                    },
                    agency: if sheet.has_agency {
                        v.agency.clone()
                    } else {
                        before.agency.clone()
                    },
                };
                if (&after.name, &after.agency) == (&before.name, &before.agency) {
                    out.unchanged += 1;
                    lines.push(c.raw.clone());
                } else {
                    lines.push(current.line(&c.cells, &after));
                    out.changed.push(Changed { before, after });
                }
            }
            None if held.contains(&c.key) => {
                lines.push(c.raw.clone());
                out.kept.push(before);
            }
            None => out.removed.push(before),
        }
    }
    let have: HashSet<&str> = current.rows.iter().map(|c| c.key.as_str()).collect();
    for v in valid
        .iter()
        .filter(|v| !have.contains(v.email.key().as_str()))
    {
        let row = Row {
            row: v.row,
            email: v.email.as_str().to_string(),
            name: v.name.clone(),
            agency: v.agency.clone(),
        };
        lines.push(current.line(&[], &row));
        out.added.push(row);
    }
    out.csv = current.text(&lines);
    out
}

impl Current {
    /// The member a row of the file gives.
    fn row_of(&self, c: &CurrentRow) -> Row {
        let at = |k: usize| {
            self.cols[k]
                .and_then(|i| c.cells.get(i))
                .cloned()
                .unwrap_or_default()
        };
        Row {
            row: c.row,
            email: at(0),
            name: at(1),
            agency: at(2),
        }
    }

    /// A row of the file: `cells` (the row as it was, or none for a new one) with the member's
    /// fields in their columns.
    fn line(&self, cells: &[String], m: &Row) -> String {
        let mut cells: Vec<String> = cells.to_vec();
        cells.resize(cells.len().max(self.width), String::new());
        for (k, v) in [&m.email, &m.name, &m.agency].into_iter().enumerate() {
            if let Some(i) = self.cols[k] {
                cells[i] = v.clone();
            }
        }
        let d = self.delimiter as char;
        let fields: Vec<String> = cells.iter().map(|c| quote(c, d)).collect();
        fields.join(&d.to_string())
    }

    /// The file's text from its rows.
    fn text(&self, lines: &[String]) -> String {
        let end = if self.crlf { "\r\n" } else { "\n" };
        let mut out = String::from(if self.bom { "\u{feff}" } else { "" });
        for l in lines {
            out.push_str(l);
            out.push_str(end);
        }
        out
    }
}

/// A cell as a person's CSV holds it: in double quotes when it contains the separator, a
/// quote or a line break.
fn quote(s: &str, delimiter: char) -> String {
    if s.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spreadsheet::read::read;

    const LIST: &str = "email,name,agency\nann@a.example,Ann,Health\njo@school.org,Jo,Schools\nold@b.example,Old,Police\n";

    fn run(list: &str, upload: &str) -> Diff {
        let current = Current::parse(list, &Known::default()).unwrap();
        let sheet = read(upload.as_bytes(), &current.known()).unwrap();
        diff(&current, &sheet)
    }

    #[test]
    fn an_excel_upload_is_compared_row_by_row() {
        let upload = "\u{feff}Email,Name,Agency\r\nann@a.example,Ann,Health\r\nJo@School.org,Jo Bloggs,Schools\r\n\r\nnew@c.example,\"New, Person\",Council\r\njo@school.org,Jo,Again\r\nnot-an-address,X,Y\r\n=HYPERLINK(\"http://x\"),Z,Z\r\nkim@d.example,@Kim,D\r\n";
        let d = run(LIST, upload);
        assert_eq!(d.unchanged, 1);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(
            (d.changed[0].after.row, d.changed[0].after.name.as_str()),
            (3, "Jo Bloggs")
        );
        assert_eq!(d.added.iter().map(|r| r.row).collect::<Vec<_>>(), [5]);
        assert_eq!(
            d.removed
                .iter()
                .map(|r| (r.row, r.email.as_str()))
                .collect::<Vec<_>>(),
            [(4, "old@b.example")]
        );
        let refused: Vec<(usize, &Reason)> = d.refused.iter().map(|r| (r.row, &r.reason)).collect();
        assert_eq!(refused.len(), 4);
        assert_eq!(refused[0], (6, &Reason::Duplicate { first: 3 }));
        assert!(matches!(refused[1], (7, Reason::InvalidAddress(_))));
        assert_eq!(refused[2], (8, &Reason::Formula { column: "email" }));
        assert_eq!(refused[3], (9, &Reason::Formula { column: "name" }));
        assert_eq!(
            d.csv,
            "email,name,agency\nann@a.example,Ann,Health\njo@school.org,Jo Bloggs,Schools\nnew@c.example,\"New, Person\",Council\n"
        );
    }

    #[test]
    fn the_file_keeps_its_own_format() {
        let list = "\u{feff}E-mail;Full name;Notes\r\n\"ann@a.example\";Ann;keep me\r\nbob@b.example;Bob;x\r\n";
        let current = Current::parse(
            list,
            &Known {
                email: Some("E-mail".into()),
                name: Some("Full name".into()),
                agency: None,
            },
        )
        .unwrap();
        let sheet = read(
            b"email,name\nann@a.example,Ann Smith\nzed@z.example,Zed\n",
            &current.known(),
        )
        .unwrap();
        let d = diff(&current, &sheet);
        assert_eq!(
            d.csv,
            "\u{feff}E-mail;Full name;Notes\r\nann@a.example;Ann Smith;keep me\r\nzed@z.example;Zed;\r\n"
        );
        assert_eq!(d.removed[0].row, 3);
    }

    #[test]
    fn a_member_whose_row_is_refused_is_kept() {
        let d = run(LIST, "email,name,agency\nold@b.example,=1+1,Police\n");
        assert_eq!(d.kept.len(), 1);
        assert_eq!(d.removed.len(), 2);
        assert!(d.csv.contains("old@b.example,Old,Police\n"));
        assert!(!d.csv.contains("=1+1"));
    }

    #[test]
    fn the_same_spreadsheet_changes_nothing() {
        let d = run(LIST, LIST);
        assert!(d.is_empty());
        assert_eq!(d.csv, LIST);
    }
}
