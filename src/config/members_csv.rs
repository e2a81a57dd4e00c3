//! A list's `members_csv`: the file a spreadsheet exports. Positions are the row a spreadsheet
//! shows (whatever the line endings, counting blank rows, a quoted cell with a line break being
//! one row) and the character column without the byte-order mark, so an admin finds the cell.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diag::{Diagnostic, Position, did_you_mean};

use super::doc::At;
use super::member::{Member, excerpt, member};

/// Each mapped field (`email`, `name`, `agency`) with the header it names, as written.
pub(crate) type Mapped = Vec<(&'static str, At<String>)>;

/// A list's `columns = { email = "Email Address", … }`: which header each field is read from,
/// for agency spreadsheets whose headers are not `email,name,agency`. Fields left out are
/// read from the column of their own name, as without a mapping.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Columns<'a> {
    /// The list's TOML file, where a mapping that names no column of the header is reported.
    pub list_path: &'a Path,
    /// Each mapped field (`email`, `name`, `agency`) with the header it names, as written.
    pub mapped: &'a [(&'static str, At<String>)],
}

impl Columns<'_> {
    /// The field the header `h` is read as, if any.
    fn field_of(&self, h: &str) -> Option<&'static str> {
        let h = h.trim();
        if let Some((field, _)) = self
            .mapped
            .iter()
            .find(|(_, v)| v.value.trim().eq_ignore_ascii_case(h))
        {
            return Some(field);
        }
        let lc = h.to_lowercase();
        COLUMNS
            .into_iter()
            .find(|c| *c == lc && !self.mapped.iter().any(|(f, _)| f == c))
    }
}

/// The `columns = { … }` line that reads this header, when it has no `email` column but one
/// that plainly holds addresses ("Email Address", "E-mail"): the name and agency columns
/// are guessed from their headers too.
fn suggested_mapping(headers: &csv::StringRecord) -> Option<String> {
    let find = |words: &[&str]| {
        headers.iter().map(str::trim).find(|h| {
            let lc = h.to_lowercase();
            !h.is_empty() && !h.contains('"') && words.iter().any(|w| lc.contains(w))
        })
    };
    let email = find(&["email", "e-mail"])?;
    let mut parts = vec![format!("email = \"{email}\"")];
    if let Some(name) = find(&["name"]).filter(|n| *n != email) {
        parts.push(format!("name = \"{name}\""));
    }
    if let Some(agency) = find(&[
        "agency",
        "organisation",
        "organization",
        "employer",
        "company",
    ])
    .filter(|a| *a != email)
    {
        parts.push(format!("agency = \"{agency}\""));
    }
    Some(format!("columns = {{ {} }}", parts.join(", ")))
}

/// The columns a members file may have, in the order the header usually names them.
pub(crate) const COLUMNS: [&str; 3] = ["email", "name", "agency"];

/// The separators spreadsheets write: comma, and semicolon where the decimal mark is a comma.
const DELIMITERS: [(u8, &str); 3] = [(b',', "commas"), (b';', "semicolons"), (b'\t', "tabs")];

/// Where every spreadsheet row starts (byte offsets): after each line ending (`\r\n`, `\n` or
/// `\r`) that is not inside a quoted cell.
pub(crate) fn row_starts(text: &str, delimiter: u8) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    let mut field_start = true;
    let mut quoted = false;
    while i < b.len() {
        let c = b[i];
        if quoted {
            if c == b'"' {
                if b.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if c == b'"' && field_start {
            quoted = true;
        } else if c == b'\r' || c == b'\n' {
            if c == b'\r' && b.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            starts.push(i + 1);
            field_start = true;
            i += 1;
            continue;
        }
        field_start = !quoted && c == delimiter;
        i += 1;
    }
    starts
}

/// The 1-based row holding byte `offset`.
pub(crate) fn row_of(starts: &[usize], offset: usize) -> usize {
    starts.partition_point(|&s| s <= offset).max(1)
}

/// The character column (1-based) where each field of the record at `start` begins.
fn field_columns(record: &str, delimiter: u8) -> Vec<usize> {
    let mut cols = vec![1];
    let mut quoted = false;
    let mut field_start = true;
    let mut chars = record.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek().is_some_and(|(_, n)| *n == '"') {
                    chars.next();
                } else {
                    quoted = false;
                }
            }
            field_start = false;
            continue;
        }
        if c == '\r' || c == '\n' {
            break;
        }
        if c == '"' && field_start {
            quoted = true;
        } else if c as u32 == u32::from(delimiter) {
            cols.push(i + 2);
            field_start = true;
            continue;
        }
        field_start = false;
    }
    cols
}

/// The header's separator: the one that splits it into the most known column names (or
/// mapped ones); failing that, into the most that plainly hold addresses ("Email Address");
/// failing that, into the most columns (commas when all tie, so the "no email column" message
/// shows what was read).
pub(crate) fn detect_delimiter(header: &str, mapped: &[&str]) -> (u8, &'static str) {
    let score = |d: u8| {
        let fields: Vec<String> = header
            .split(d as char)
            .map(|f| f.trim().trim_matches('"').to_lowercase())
            .collect();
        let known = fields
            .iter()
            .filter(|f| {
                COLUMNS.contains(&f.as_str())
                    || mapped.iter().any(|m| m.trim().eq_ignore_ascii_case(f))
            })
            .count();
        let addresses = fields
            .iter()
            .filter(|f| f.contains("email") || f.contains("e-mail"))
            .count();
        (known, addresses, fields.len())
    };
    let mut best = DELIMITERS[0];
    for d in DELIMITERS {
        if score(d.0) > score(best.0) {
            best = d;
        }
    }
    best
}

/// How one CSV file is laid out: its text (without a byte-order mark), separator and where
/// each spreadsheet row starts, so any byte offset and field can be given a position.
struct Layout<'t> {
    text: &'t str,
    delimiter: u8,
    delimiter_name: &'static str,
    starts: Vec<usize>,
}

impl Layout<'_> {
    /// The row holding byte `offset`, and the column where its field `field` begins.
    fn position(&self, offset: usize, field: usize) -> Position {
        self.row(offset).position(field)
    }

    /// Where the fields of the row holding byte `offset` begin: found once a row, not once a
    /// field (a list of 100,000 members is read at every load).
    fn row(&self, offset: usize) -> RowLayout {
        let line = row_of(&self.starts, offset);
        let record = &self.text[self.starts[line - 1]..];
        RowLayout {
            line,
            cols: field_columns(record, self.delimiter),
        }
    }
}

/// A row's line and the column each of its fields begins at.
struct RowLayout {
    line: usize,
    cols: Vec<usize>,
}

impl RowLayout {
    fn position(&self, field: usize) -> Position {
        Position {
            line: self.line,
            col: self.cols.get(field).copied().unwrap_or(1),
        }
    }
}

/// Members from a CSV with the header `email,name,agency`, or the headers `columns` maps to
/// them (other columns are ignored with a warning). Problems go to `diags` at their
/// spreadsheet row and column; a mapping the header lacks, at the mapping in the list file.
/// A row whose own cells are wrong (no address, an invalid address, name or agency) goes to
/// `left_out` instead: it loses one member, not the file, and the list decides what that means.
pub(crate) fn parse(
    path: &Path,
    text: &str,
    columns: Columns<'_>,
    diags: &mut Vec<Diagnostic>,
    left_out: &mut Vec<Diagnostic>,
) -> Vec<(Member, Position)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = text.lines().next().unwrap_or("");
    let mapped_names: Vec<&str> = columns
        .mapped
        .iter()
        .map(|(_, v)| v.value.as_str())
        .collect();
    let (delimiter, delimiter_name) = detect_delimiter(header_line, &mapped_names);
    let layout = Layout {
        text,
        delimiter,
        delimiter_name,
        starts: row_starts(text, delimiter),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            diags.push(Diagnostic::error(
                path,
                Position::START,
                format!("cannot read the CSV header: {e}"),
            ));
            return Vec::new();
        }
    };
    let col_of = header_columns(path, &headers, columns, &layout, diags);
    let unmapped = check_mapping(path, &headers, columns, &col_of, &layout, diags);
    let Some(&email_col) = col_of.get("email") else {
        if !unmapped {
            diags.push(no_email_column(path, &headers, columns, delimiter_name));
        }
        return Vec::new();
    };
    let table = Table {
        path,
        layout: &layout,
        headers: &headers,
        col_of: &col_of,
        email_col,
    };
    rows(&mut reader, &table, diags, left_out)
}

/// Which column each field is read from; unknown and repeated columns are reported.
fn header_columns(
    path: &Path,
    headers: &csv::StringRecord,
    columns: Columns<'_>,
    layout: &Layout<'_>,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, usize> {
    let mut col_of = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h_lc = h.to_lowercase();
        let pos = layout.position(0, i);
        if h_lc.is_empty() {
            // A trailing separator in the header (some exports add one): nothing to read.
            continue;
        }
        if let Some(field) = columns.field_of(h) {
            if col_of.insert(field.to_string(), i).is_some() {
                diags.push(Diagnostic::error(
                    path,
                    pos,
                    format!(
                        "column `{}` (read as {field}) appears twice in the header",
                        excerpt(h)
                    ),
                ));
            }
        } else {
            let d = Diagnostic::warning(
                path,
                pos,
                format!(
                    "unknown column `{}` in the header; its values are ignored",
                    excerpt(h)
                ),
            );
            diags.push(match did_you_mean(&h_lc, COLUMNS) {
                Some(s) => d.with_hint(format!(
                    "did you mean `{s}`? The columns read are email, name and agency"
                )),
                None => d.with_hint("the columns read are email, name and agency; delete this one from the export if it should not be there"),
            });
        }
    }
    col_of
}

/// Each mapping in `columns` that names no column of the header is reported at the mapping;
/// returns whether there was one.
fn check_mapping(
    path: &Path,
    headers: &csv::StringRecord,
    columns: Columns<'_>,
    col_of: &BTreeMap<String, usize>,
    layout: &Layout<'_>,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let mut unmapped = false;
    for (field, v) in columns.mapped {
        if !col_of.contains_key(*field) {
            unmapped = true;
            let actual: Vec<String> = headers
                .iter()
                .filter(|h| !h.is_empty())
                .map(|h| format!("\"{}\"", excerpt(h)))
                .collect();
            diags.push(
                Diagnostic::error(
                    columns.list_path,
                    v.pos,
                    format!(
                        "`columns`: {field} = \"{}\" names no column of {}'s header",
                        excerpt(&v.value),
                        path.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned())
                    ),
                )
                .with_hint(format!(
                    "the header's columns are {} (separated by {}); copy the one that holds the {field} exactly",
                    actual.join(", "),
                    layout.delimiter_name
                )),
            );
        }
    }
    unmapped
}

/// The error for a header with no `email` column, with the `columns` line that would read it
/// when one column plainly holds addresses.
fn no_email_column(
    path: &Path,
    headers: &csv::StringRecord,
    columns: Columns<'_>,
    delimiter_name: &str,
) -> Diagnostic {
    let list_file = columns
        .list_path
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let hint = match suggested_mapping(headers) {
        Some(line) if columns.mapped.is_empty() => {
            format!("if these are the columns, say so in {list_file}: add the line `{line}`")
        }
        _ => format!(
            "the first row must be the header email,name,agency, or {list_file} must map its columns with `columns = {{ email = \"…\" }}` (this file's columns were read as separated by {delimiter_name}; commas, semicolons and tabs are understood)"
        ),
    };
    Diagnostic::error(path, Position::START, "the CSV has no `email` column").with_hint(hint)
}

/// A CSV whose header has been read: what the rows are checked against.
struct Table<'a> {
    path: &'a Path,
    layout: &'a Layout<'a>,
    headers: &'a csv::StringRecord,
    col_of: &'a BTreeMap<String, usize>,
    email_col: usize,
}

/// The members of every row after the header; blank rows are skipped.
fn rows(
    reader: &mut csv::Reader<&[u8]>,
    table: &Table<'_>,
    diags: &mut Vec<Diagnostic>,
    left_out: &mut Vec<Diagnostic>,
) -> Vec<(Member, Position)> {
    let (path, text, layout) = (table.path, table.layout.text, table.layout);
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e
                    .position()
                    .map_or(1, |p| row_of(&layout.starts, p.byte() as usize));
                diags.push(Diagnostic::error(
                    path,
                    Position { line, col: 1 },
                    format!("CSV: {e}"),
                ));
                break;
            }
        }
        // The reader's position is where it began reading: before the line ending of the row
        // above and any blank rows.
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let start =
            start + text[start..].len() - text[start..].trim_start_matches(['\r', '\n']).len();
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        if let Some(m) = row(table, &record, start, diags, left_out) {
            out.push(m);
        }
    }
    out
}

/// The member of one row starting at byte `start`, if its cells read.
fn row(
    table: &Table<'_>,
    record: &csv::StringRecord,
    start: usize,
    diags: &mut Vec<Diagnostic>,
    left_out: &mut Vec<Diagnostic>,
) -> Option<(Member, Position)> {
    let (path, headers) = (table.path, table.headers);
    let at = table.layout.row(start);
    let pos_of = |i: usize| at.position(i);
    if record.len() > headers.len() {
        diags.push(
            Diagnostic::warning(
                path,
                pos_of(headers.len()),
                format!(
                    "this row has {} fields but the header has {}; the extra ones are ignored",
                    record.len(),
                    headers.len()
                ),
            )
            .with_hint(format!(
                "a value that contains the separator (`{}`) must be in double quotes, e.g. \"Bloggs, Jo\"",
                table.layout.delimiter as char
            )),
        );
    }
    let get = |key: &str| {
        table
            .col_of
            .get(key)
            .and_then(|&i| record.get(i).map(|v| (v, pos_of(i))))
    };
    let email_pos = pos_of(table.email_col);
    let mut report = |pos: Position, msg: String, hint: Option<&'static str>| {
        let d = Diagnostic::error(path, pos, msg);
        left_out.push(match hint {
            Some(h) => d.with_hint(h),
            None => d,
        });
    };
    let email = get("email").filter(|(e, _)| !e.is_empty());
    if email.is_none() {
        report(email_pos, "this row has no email address".into(), None);
        return None;
    }
    let m = member(email, get("name"), get("agency"), &mut report)?;
    Some((m, email_pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_quote_aware() {
        assert_eq!(field_columns("a,b,c", b','), vec![1, 3, 5]);
        assert_eq!(field_columns("\"x, y\",b", b','), vec![1, 8]);
        assert_eq!(field_columns("a;\"b;c\";d\r\nnext", b';'), vec![1, 3, 9]);
    }

    #[test]
    fn rows_are_what_a_spreadsheet_shows() {
        for text in [
            "h\nA\n\nB\n\"C\nc\"\nD\n",
            "h\r\nA\r\n\r\nB\r\n\"C\r\nc\"\r\nD\r\n",
            "h\rA\r\rB\r\"C\rc\"\rD\r",
        ] {
            let starts = row_starts(text, b',');
            let row = |needle: &str| row_of(&starts, text.find(needle).unwrap());
            assert_eq!(
                [row("A"), row("B"), row("C"), row("D")],
                [2, 4, 5, 6],
                "{text:?}"
            );
        }
    }

    #[test]
    fn the_delimiter_comes_from_the_header() {
        assert_eq!(detect_delimiter("email,name,agency", &[]).0, b',');
        assert_eq!(detect_delimiter("email;name;agency", &[]).0, b';');
        assert_eq!(detect_delimiter("Email\tName", &[]).0, b'\t');
        assert_eq!(detect_delimiter("email", &[]).0, b',');
        assert_eq!(
            detect_delimiter("\"email\";\"name, as shown\"", &[]).0,
            b';'
        );
        assert_eq!(detect_delimiter("Email Address;Full Name", &[]).0, b';');
        assert_eq!(detect_delimiter("Who;Org", &["Who", "org"]).0, b';');
    }
}
