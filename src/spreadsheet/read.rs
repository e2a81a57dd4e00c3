//! An agency's spreadsheet as uploaded to the desk: CSV as Excel saves it (a byte-order mark,
//! CRLF line endings, quoted cells with line breaks in them, commas or semicolons), or the
//! first sheet of an `.xlsx` workbook. Rows keep the number the spreadsheet shows beside them
//! (the header is row 1), so the admin can find each one the desk refuses.

use std::io::Cursor;

use crate::config::members_csv::{detect_delimiter, row_of, row_starts};

/// One cell of a column the list reads, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    pub text: String,
    /// The workbook holds a formula here (whatever value it shows): an `.xlsx` cell only.
    pub formula: bool,
}

/// One row of the spreadsheet, with the cells of the columns the list reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// As the spreadsheet numbers it: the header is row 1, blank rows count, a quoted cell with
    /// a line break in it is one row.
    pub row: usize,
    pub email: Cell,
    pub name: Option<Cell>,
    pub agency: Option<Cell>,
}

/// A spreadsheet read: its rows (blank ones left out) and which columns it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub rows: Vec<SheetRow>,
    /// Whether it has a name column (without one, names are left as the list has them).
    pub has_name: bool,
    /// Whether it has an agency column (likewise).
    pub has_agency: bool,
    /// The headers of the columns that are not read, as written.
    pub ignored: Vec<String>,
}

/// Why an upload cannot be read at all (a row that cannot be used is refused in the diff).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "this is an Excel 97–2003 workbook (.xls); save it as an Excel workbook (.xlsx) or as \"CSV UTF-8\" and upload that"
    )]
    OldExcel,
    #[error(
        "the file is neither an Excel workbook nor CSV saved as UTF-8; save it as \"CSV UTF-8\" or as .xlsx"
    )]
    NotUtf8,
    #[error("the workbook cannot be read: {0}")]
    Workbook(String),
    #[error("the CSV cannot be read at row {row}: {message}")]
    Csv { row: usize, message: String },
    #[error("the first row has no column of email addresses (its columns: {0})")]
    NoEmailColumn(String),
}

/// The headers a list already reads each field from (its CSV's own header cells, or its
/// `columns` mapping), tried before the usual names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    pub email: Option<String>,
    pub name: Option<String>,
    pub agency: Option<String>,
}

/// Read an upload: an `.xlsx` workbook (recognised by its bytes, whatever its name) or CSV.
pub fn read(bytes: &[u8], known: &Known) -> Result<Sheet, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let grid = if bytes.starts_with(b"PK\x03\x04") {
        xlsx_grid(bytes)?
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(ReadError::OldExcel);
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)?;
        csv_grid(text, known)?
    };
    sheet(grid, known)
}

/// Rows of cells, each with its spreadsheet row number, in order; the first is the header.
type Grid = Vec<(usize, Vec<Cell>)>;

/// A cell of text (CSV cells, and workbook cells without a formula).
fn text(s: &str) -> Cell {
    Cell {
        text: s.trim().to_string(),
        formula: false,
    }
}

/// The rows of a CSV file, numbered as a spreadsheet shows them.
pub(super) fn csv_grid(text_in: &str, known: &Known) -> Result<Grid, ReadError> {
    let body = text_in.strip_prefix('\u{feff}').unwrap_or(text_in);
    let mapped: Vec<&str> = [&known.email, &known.name, &known.agency]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let (delimiter, _) = detect_delimiter(body.lines().next().unwrap_or(""), &mapped);
    let starts = row_starts(body, delimiter);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body.as_bytes());
    let mut grid = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let row = e
                    .position()
                    .map_or(1, |p| row_of(&starts, p.byte() as usize));
                return Err(ReadError::Csv {
                    row,
                    message: e.to_string(),
                });
            }
        }
        grid.push((
            record_row(body, &starts, &record),
            record.iter().map(text).collect(),
        ));
    }
    Ok(grid)
}

/// The spreadsheet row a record starts on. The reader's position is where it began reading:
/// before the line ending of the row above and any blank rows.
pub(super) fn record_row(body: &str, starts: &[usize], record: &csv::StringRecord) -> usize {
    let start = record.position().map_or(0, |p| p.byte() as usize);
    let rest = &body[start..];
    let start = start + rest.len() - rest.trim_start_matches(['\r', '\n']).len();
    row_of(starts, start)
}

/// The first sheet of a workbook: each cell's value as text, and whether it is a formula.
fn xlsx_grid(bytes: &[u8]) -> Result<Grid, ReadError> {
    use calamine::{Data, Reader, Xlsx};
    let bad = |e: calamine::XlsxError| ReadError::Workbook(e.to_string());
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(bad)?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(ReadError::Empty)?;
    let values = book.worksheet_range(&name).map_err(bad)?;
    let formulas = book.worksheet_formula(&name).map_err(bad)?;
    let Some((top, left)) = values.start() else {
        return Err(ReadError::Empty);
    };
    let mut grid = Vec::new();
    for (i, cells) in values.rows().enumerate() {
        let r = top + i as u32;
        let mut row: Vec<Cell> = (0..left).map(|_| Cell::default()).collect();
        for (j, v) in cells.iter().enumerate() {
            let c = left + j as u32;
            let formula = formulas
                .get_value((r, c))
                .is_some_and(|f| !f.trim().is_empty());
            let shown = match v {
                Data::Empty => String::new(),
                other => other.to_string(),
            };
            row.push(Cell {
                text: shown.trim().to_string(),
                formula,
            });
        }
        grid.push((r as usize + 1, row));
    }
    Ok(grid)
}

/// The columns of `headers` that hold the email address, name and agency: the list's own
/// header first, then the usual name, then a header that plainly means it ("Email Address",
/// "Organisation").
fn columns(headers: &[Cell], known: &Known) -> [Option<usize>; 3] {
    let fields: [(&str, &Option<String>, &[&str]); 3] = [
        ("email", &known.email, &["email", "e-mail"]),
        ("name", &known.name, &["name"]),
        (
            "agency",
            &known.agency,
            &[
                "agency",
                "organisation",
                "organization",
                "employer",
                "company",
            ],
        ),
    ];
    let mut taken: Vec<usize> = Vec::new();
    let mut out = [None; 3];
    for (k, (field, own, words)) in fields.into_iter().enumerate() {
        let lc: Vec<String> = headers.iter().map(|h| h.text.to_lowercase()).collect();
        let free = |i: &usize| !taken.contains(i);
        let found = own
            .as_ref()
            .and_then(|o| {
                (0..lc.len())
                    .filter(free)
                    .find(|&i| lc[i] == o.trim().to_lowercase())
            })
            .or_else(|| (0..lc.len()).filter(free).find(|&i| lc[i] == field))
            .or_else(|| {
                (0..lc.len())
                    .filter(free)
                    .find(|&i| words.iter().any(|w| lc[i].contains(w)))
            });
        if let Some(i) = found {
            taken.push(i);
        }
        out[k] = found;
    }
    out
}

/// The sheet of a grid whose first non-blank row is the header.
fn sheet(grid: Grid, known: &Known) -> Result<Sheet, ReadError> {
    let blank = |cells: &[Cell]| cells.iter().all(|c| c.text.is_empty() && !c.formula);
    let mut rows = grid.into_iter().filter(|(_, cells)| !blank(cells));
    let (_, headers) = rows.next().ok_or(ReadError::Empty)?;
    let [email, name, agency] = columns(&headers, known);
    let Some(email) = email else {
        let names: Vec<String> = headers
            .iter()
            .filter(|h| !h.text.is_empty())
            .map(|h| format!("\"{}\"", h.text))
            .collect();
        return Err(ReadError::NoEmailColumn(names.join(", ")));
    };
    let ignored = headers
        .iter()
        .enumerate()
        .filter(|(i, h)| ![Some(email), name, agency].contains(&Some(*i)) && !h.text.is_empty())
        .map(|(_, h)| h.text.clone())
        .collect();
    let cell = |cells: &[Cell], i: usize| cells.get(i).cloned().unwrap_or_default();
    let rows = rows
        .map(|(row, cells)| SheetRow {
            row,
            email: cell(&cells, email),
            name: name.map(|i| cell(&cells, i)),
            agency: agency.map(|i| cell(&cells, i)),
        })
        .collect();
    Ok(Sheet {
        rows,
        has_name: name.is_some(),
        has_agency: agency.is_some(),
        ignored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(sheet: &Sheet) -> Vec<(usize, &str)> {
        sheet
            .rows
            .iter()
            .map(|r| (r.row, r.email.text.as_str()))
            .collect()
    }

    #[test]
    fn excel_csv_rows_are_numbered_as_excel_shows_them() {
        let text = "\u{feff}Email,Name,Agency\r\njo@a.example,Jo,A\r\n\r\n\"kim@b.example\",\"Kim\r\nKay\",B\r\nlee@c.example,Lee,C\r\n";
        let s = read(text.as_bytes(), &Known::default()).unwrap();
        assert_eq!(
            rows(&s),
            [
                (2, "jo@a.example"),
                (4, "kim@b.example"),
                (5, "lee@c.example")
            ]
        );
        assert_eq!(s.rows[1].name.as_ref().unwrap().text, "Kim\r\nKay");
        assert!(s.has_name && s.has_agency && s.ignored.is_empty());
    }

    #[test]
    fn semicolons_and_other_headers_are_understood() {
        let text = "Organisation;E-mail address;Full name;Phone\nNHS;jo@a.example;Jo;1\n";
        let s = read(text.as_bytes(), &Known::default()).unwrap();
        assert_eq!(rows(&s), [(2, "jo@a.example")]);
        assert_eq!(s.rows[0].agency.as_ref().unwrap().text, "NHS");
        assert_eq!(s.ignored, ["Phone"]);
        let known = Known {
            email: Some("Who".into()),
            ..Known::default()
        };
        let s = read(b"Who,Org\njo@a.example,X\n", &known).unwrap();
        assert_eq!(rows(&s), [(2, "jo@a.example")]);
    }

    #[test]
    fn what_cannot_be_read_says_why() {
        assert_eq!(read(b"", &Known::default()), Err(ReadError::Empty));
        assert_eq!(
            read(b"name,agency\nJo,A\n", &Known::default()),
            Err(ReadError::NoEmailColumn("\"name\", \"agency\"".into()))
        );
        assert_eq!(
            read(b"email\n\xe9@a.example\n", &Known::default()),
            Err(ReadError::NotUtf8)
        );
        assert_eq!(
            read(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], &Known::default()),
            Err(ReadError::OldExcel)
        );
    }

    /// A workbook as Excel writes one, its first sheet holding `rows` (a cell starting with
    /// `=` is written as a formula, its value shown as `#VALUE`).
    pub(crate) fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
        use std::io::Write;
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('"', "&quot;")
        };
        let mut sheet = String::from(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        for (r, cells) in rows.iter().enumerate() {
            sheet += &format!(r#"<row r="{}">"#, r + 1);
            for (c, v) in cells.iter().enumerate() {
                let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
                match v.strip_prefix('=') {
                    Some(f) => {
                        sheet +=
                            &format!(r#"<c r="{at}" t="str"><f>{}</f><v>#VALUE</v></c>"#, esc(f))
                    }
                    None => {
                        sheet += &format!(
                            r#"<c r="{at}" t="inlineStr"><is><t>{}</t></is></c>"#,
                            esc(v)
                        )
                    }
                }
            }
            sheet += "</row>";
        }
        sheet += "</sheetData></worksheet>";
        let files = [
            ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
            ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
            ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Members" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
            ("xl/worksheets/sheet1.xml", sheet),
        ];
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, text) in files {
            zip.start_file(name, stored).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_workbook_is_read_with_its_row_numbers_and_formulas() {
        let book = xlsx(&[
            &["Email", "Name", "Agency"],
            &["jo@a.example", "Jo", "A"],
            &["", "", ""],
            &["=HYPERLINK(\"http://x\",\"kim@b.example\")", "Kim", "B"],
            &["lee@c.example", "Lee", "C"],
        ]);
        let s = read(&book, &Known::default()).unwrap();
        assert_eq!(
            rows(&s),
            [(2, "jo@a.example"), (4, "#VALUE"), (5, "lee@c.example")]
        );
        assert!(s.rows[1].email.formula && !s.rows[0].email.formula);
    }
}
