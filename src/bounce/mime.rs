//! Just enough MIME to read a bounce: unfolded header fields, content types with their
//! parameters, multipart bodies and the two transfer encodings, over bytes that may be
//! malformed in any way. Bounded: nesting deeper than [`MAX_DEPTH`] is not followed, and what
//! is kept of header fields, parameters and parts is capped, so a hostile message costs memory
//! in proportion to its size, not many times it; [`over_limits`] says whether a message went
//! past a cap (and should be ignored rather than read half).

use base64::Engine;

/// How deep multiparts are followed (a report is one or two levels down).
pub const MAX_DEPTH: usize = 6;

/// Bytes kept of one header field's value, unfolded. Real fields are under 1,000 bytes; a long
/// `Received` or `DKIM-Signature` a few thousand.
pub const MAX_FIELD: usize = 64 * 1024;

/// Header fields kept of one entity. A bounce's outer header has a few dozen.
pub const MAX_FIELDS: usize = 256;

/// Parameters read of one `Content-Type` (a report has two or three).
pub const MAX_PARAMS: usize = 64;

/// Parts read of one multipart (a report has three).
pub const MAX_PARTS: usize = 256;

/// A cap a message went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    FieldSize,
    FieldCount,
    Parameters,
    Parts,
}

impl Limit {
    pub fn describe(self) -> &'static str {
        match self {
            Limit::FieldSize => "a header field longer than 64 KiB",
            Limit::FieldCount => "more than 256 header fields in one part",
            Limit::Parameters => "more than 64 Content-Type parameters",
            Limit::Parts => "more than 256 parts in one multipart",
        }
    }
}

/// One entity: its header fields (names lower-cased, values unfolded) and its raw body.
#[derive(Debug, Clone)]
pub struct Entity<'a> {
    pub headers: Vec<(String, String)>,
    pub body: &'a str,
    /// The first cap its header went past (what is past it was not kept).
    pub over: Option<Limit>,
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    &s[..s.floor_char_boundary(max)]
}

/// `type/subtype` (lower-cased) and its parameters (names lower-cased, values unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    pub mime: String,
    pub params: Vec<(String, String)>,
}

impl ContentType {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// RFC 2045: `type/subtype; name=value; name="quoted value"`.
    pub fn parse(value: &str) -> ContentType {
        let mut parts = split_params(value).0.into_iter();
        let mime = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let params = parts
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .map_or_else(
                        || v.to_string(),
                        |q| q.replace("\\\"", "\"").replace("\\\\", "\\"),
                    );
                Some((k.trim().to_ascii_lowercase(), v))
            })
            .collect();
        ContentType { mime, params }
    }
}

/// Split at `;` outside quotes: the type and at most [`MAX_PARAMS`] parameters, and whether
/// there were more.
fn split_params(value: &str) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => {
                cur.push(c);
                escaped = false;
            }
            '\\' if quoted => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => {
                out.push(std::mem::take(&mut cur));
                if out.len() > MAX_PARAMS {
                    return (out, true);
                }
            }
            _ => cur.push(c),
        }
    }
    out.push(cur);
    (out, false)
}

impl<'a> Entity<'a> {
    /// Split at the first empty line; unfold continuation lines.
    pub fn parse(text: &'a str) -> Entity<'a> {
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut over = None;
        // Whether the field being read is kept (past MAX_FIELDS, none are).
        let mut keeping = false;
        let mut rest = text;
        loop {
            let (line, next) = match rest.find('\n') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, ""),
            };
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                rest = next;
                break;
            }
            if line.starts_with([' ', '\t']) {
                if keeping && let Some((_, v)) = headers.last_mut() {
                    let room = MAX_FIELD.saturating_sub(v.len() + 1);
                    let piece = line.trim();
                    if piece.len() > room {
                        over.get_or_insert(Limit::FieldSize);
                    }
                    if room > 0 {
                        v.push(' ');
                        v.push_str(prefix(piece, room));
                    }
                }
            } else if let Some((k, v)) = line.split_once(':') {
                keeping = headers.len() < MAX_FIELDS;
                if !keeping {
                    over.get_or_insert(Limit::FieldCount);
                } else {
                    let (k, v) = (k.trim(), v.trim());
                    if k.len() > MAX_FIELD || v.len() > MAX_FIELD {
                        over.get_or_insert(Limit::FieldSize);
                    }
                    headers.push((
                        prefix(k, MAX_FIELD).to_ascii_lowercase(),
                        prefix(v, MAX_FIELD).to_string(),
                    ));
                }
            }
            rest = next;
            if rest.is_empty() {
                break;
            }
        }
        Entity {
            headers,
            body: rest,
            over,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn content_type(&self) -> ContentType {
        self.header("content-type")
            .map(ContentType::parse)
            .unwrap_or_else(|| ContentType {
                mime: "text/plain".into(),
                params: Vec::new(),
            })
    }

    /// The body with its transfer encoding undone (base64, quoted-printable), as text.
    pub fn decoded_body(&self) -> String {
        match self
            .header("content-transfer-encoding")
            .map(|e| e.trim().to_ascii_lowercase())
            .as_deref()
        {
            Some("base64") => {
                let compact: String = self.body.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact.as_bytes())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            }
            Some("quoted-printable") => decode_qp(self.body),
            _ => self.body.to_string(),
        }
    }

    /// The parts of a multipart body (empty for anything else or without a boundary), at
    /// most [`MAX_PARTS`].
    pub fn parts(&self) -> Vec<Entity<'a>> {
        self.bounded_parts().0
    }

    /// The parts, and whether there were more than [`MAX_PARTS`].
    fn bounded_parts(&self) -> (Vec<Entity<'a>>, bool) {
        let ct = self.content_type();
        let Some(boundary) = ct
            .mime
            .starts_with("multipart/")
            .then(|| ct.param("boundary"))
            .flatten()
        else {
            return (Vec::new(), false);
        };
        let delim = format!("--{boundary}");
        let mut parts = Vec::new();
        let mut start: Option<usize> = None;
        let mut offset = 0;
        for line in self.body.split_inclusive('\n') {
            let bare = line.trim_end_matches(['\r', '\n']).trim_end();
            if let Some(after) = bare.strip_prefix(&delim)
                && (after.is_empty() || after == "--")
            {
                if let Some(s) = start {
                    if parts.len() == MAX_PARTS {
                        return (parts, true);
                    }
                    // The line break before the delimiter belongs to the delimiter.
                    let body = &self.body[s..offset];
                    let body = body.strip_suffix('\n').unwrap_or(body);
                    let body = body.strip_suffix('\r').unwrap_or(body);
                    parts.push(Entity::parse(body));
                }
                if after == "--" {
                    return (parts, false);
                }
                start = Some(offset + line.len());
            }
            offset += line.len();
        }
        if let Some(s) = start {
            if parts.len() == MAX_PARTS {
                return (parts, true);
            }
            // No closing delimiter (a truncated bounce): keep what is there.
            parts.push(Entity::parse(&self.body[s..]));
        }
        (parts, false)
    }
}

/// The first cap `message` goes past anywhere a report could be (its header, and the headers
/// of its parts as deep as [`MAX_DEPTH`]), or `None` when it is within all of them. One walk,
/// each level in time proportional to the message; what it keeps is capped like any read.
pub fn over_limits(message: &str) -> Option<Limit> {
    fn walk(e: &Entity<'_>, depth: usize) -> Option<Limit> {
        if let Some(l) = e.over {
            return Some(l);
        }
        if e.header("content-type").is_some_and(|v| split_params(v).1) {
            return Some(Limit::Parameters);
        }
        if depth >= MAX_DEPTH {
            return None;
        }
        let (parts, more) = e.bounded_parts();
        if more {
            return Some(Limit::Parts);
        }
        parts.iter().find_map(|p| walk(p, depth + 1))
    }
    walk(&Entity::parse(message), 0)
}

fn decode_qp(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if b.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let Some(h) = b.get(i + 1..i + 3)
                && let Ok(v) = u8::from_str_radix(std::str::from_utf8(h).unwrap_or("zz"), 16)
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Header-like field blocks (RFC 3464 delivery-status, RFC 5965 feedback-report): groups of
/// `Name: value` lines separated by empty lines, names lower-cased, values unfolded. Capped
/// like a header: at most [`MAX_PARTS`] blocks of [`MAX_FIELDS`] fields of [`MAX_FIELD`] bytes
/// (a report has two or three blocks of a dozen short fields).
pub fn field_blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut blocks = Vec::new();
    let mut cur: Vec<(String, String)> = Vec::new();
    let mut keeping = false;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !cur.is_empty() {
                blocks.push(std::mem::take(&mut cur));
                if blocks.len() == MAX_PARTS {
                    return blocks;
                }
            }
        } else if line.starts_with([' ', '\t']) {
            if keeping && let Some((_, v)) = cur.last_mut() {
                let room = MAX_FIELD.saturating_sub(v.len() + 1);
                if room > 0 {
                    v.push(' ');
                    v.push_str(prefix(line.trim(), room));
                }
            }
        } else if let Some((k, v)) = line.split_once(':') {
            keeping = cur.len() < MAX_FIELDS;
            if keeping {
                cur.push((
                    prefix(k.trim(), MAX_FIELD).to_ascii_lowercase(),
                    prefix(v.trim(), MAX_FIELD).to_string(),
                ));
            }
        }
    }
    if !cur.is_empty() {
        blocks.push(cur);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_parameters() {
        let ct = ContentType::parse(
            "multipart/report; report-type=delivery-status;\tboundary=\"a;b=c\"",
        );
        assert_eq!(ct.mime, "multipart/report");
        assert_eq!(ct.param("report-type"), Some("delivery-status"));
        assert_eq!(ct.param("boundary"), Some("a;b=c"));
    }

    #[test]
    fn multipart_with_folded_headers_and_no_closing_delimiter() {
        let text = "Content-Type: multipart/mixed;\r\n boundary=XX\r\n\r\npreamble\r\n--XX\r\nContent-Type: text/plain\r\n\r\none\r\n--XX\r\nContent-Transfer-Encoding: base64\r\n\r\ndHdv\r\n";
        let e = Entity::parse(text);
        let parts = e.parts();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].body, "one");
        assert_eq!(parts[1].decoded_body(), "two");
    }

    #[test]
    fn caps_are_kept_and_reported() {
        let params = format!("Content-Type: text/plain{}\r\n\r\nx", ";a=b".repeat(100));
        assert_eq!(over_limits(&params), Some(Limit::Parameters));
        assert_eq!(ContentType::parse(&params[14..]).params.len(), MAX_PARAMS);
        let long = format!("Subject: {}\r\n\r\nx", "é".repeat(MAX_FIELD));
        let e = Entity::parse(&long);
        assert!(e.headers[0].1.len() <= MAX_FIELD);
        assert_eq!(e.over, Some(Limit::FieldSize));
        let folded = format!("Subject: a\r\n{}\r\nx", " b\r\n".repeat(MAX_FIELD));
        assert!(Entity::parse(&folded).headers[0].1.len() <= MAX_FIELD);
        assert_eq!(over_limits(&folded), Some(Limit::FieldSize));
        let many = format!("{}\r\nx", "A: b\r\n".repeat(MAX_FIELDS + 1));
        assert_eq!(Entity::parse(&many).headers.len(), MAX_FIELDS);
        assert_eq!(over_limits(&many), Some(Limit::FieldCount));
        let parts = format!(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n{}--b--\r\n",
            "--b\r\n\r\nx\r\n".repeat(MAX_PARTS + 1)
        );
        assert_eq!(Entity::parse(&parts).parts().len(), MAX_PARTS);
        assert_eq!(over_limits(&parts), Some(Limit::Parts));
        let nested = format!(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n{params}\r\n--b--\r\n"
        );
        assert_eq!(over_limits(&nested), Some(Limit::Parameters));
        let fine = "Content-Type: multipart/report; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n";
        assert_eq!(over_limits(fine), None);
    }

    #[test]
    fn qp_and_blocks() {
        assert_eq!(decode_qp("a=3Db=\r\nc"), "a=bc");
        let b = field_blocks(
            "Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550\n  folded\n",
        );
        assert_eq!(b.len(), 2);
        assert_eq!(
            b[1][2],
            ("diagnostic-code".into(), "smtp; 550 folded".into())
        );
    }
}
