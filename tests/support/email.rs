//! Messages as an independent parser sees them: Python's standard `email` package (through
//! `parse_email.py`), and the raw lines on the wire.

use std::process::Command;

/// Parse with Python's email package; its JSON: headers, parts, defects.
pub fn parse_email(raw: &[u8]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.eml");
    std::fs::write(&path, raw).unwrap();
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/parse_email.py"
        ))
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every value of header `name` (decoded, as a mail client shows it).
pub fn header<'a>(m: &'a serde_json::Value, name: &str) -> Vec<&'a str> {
    m["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|h| h[1].as_str().unwrap())
        .collect()
}

/// The raw header block's lines (up to the first empty line), CRLF removed.
pub fn raw_header_lines(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    text.split("\r\n")
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}
