//! Messages as an independent parser sees them: Python's standard `email` package (through
//! `parse_email.py`), and the raw lines on the wire.

/// Parse with Python's email package; its JSON: headers, parts, defects.
pub fn parse_email(raw: &[u8]) -> serde_json::Value {
    super::python_json("tests/it/support/parse_email.py", "m.eml", raw)
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

/// A message's header block as text, unfolded: one header a line, LF line ends.
pub fn unfolded_headers(message: &str) -> String {
    let text = message.replace("\r\n", "\n");
    let head = text.split("\n\n").next().unwrap_or("");
    head.replace("\n ", " ").replace("\n\t", " ")
}

/// The value of the first header `name` (any case) in an unfolded header block.
pub fn header_in<'h>(headers: &'h str, name: &str) -> Option<&'h str> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    headers
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim())
}

/// The http(s) unsubscribe link of a message's `List-Unsubscribe` and its recipient's address:
/// what a partner who leaves in one click follows, and who they are.
pub fn unsubscribe_link(message: &str) -> (String, String) {
    let h = unfolded_headers(message);
    let lu = header_in(&h, "List-Unsubscribe").expect("a List-Unsubscribe header");
    let url = lu
        .split(['<', '>', ',', ' '])
        .find(|p| {
            (p.starts_with("http://") || p.starts_with("https://")) && p.contains("/unsubscribe/")
        })
        .unwrap_or_else(|| panic!("no http(s) unsubscribe link in List-Unsubscribe: {lu}"))
        .to_string();
    let to = header_in(&h, "To").expect("a To header");
    let addr = to
        .rsplit(['<', ' '])
        .next()
        .unwrap()
        .trim_end_matches('>')
        .to_string();
    (url, addr)
}

/// The unsubscribe link and recipient of the first message in the tree's outbox.
pub fn first_link(t: &super::Tree) -> (String, String) {
    unsubscribe_link(&std::fs::read_to_string(&t.outbox()[0]).unwrap())
}
