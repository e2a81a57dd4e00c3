//! CSV for people who open it in a spreadsheet: RFC 4180 quoting, and no cell that a
//! spreadsheet would run as a formula (CSV injection); and reading an agency's spreadsheet back
//! (CSV as Excel saves it, or .xlsx) into what it would change in a list.

pub mod diff;
pub mod read;

pub use diff::{Changed, Current, Diff, Reason, Refused, Row, diff, formula_like};
pub use read::{Known, ReadError, Sheet, read};

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180); a leading
/// `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet does not run it as a formula.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}
