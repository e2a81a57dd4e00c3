//! Just enough MIME to read a bounce: unfolded header fields, content types with their
//! parameters, multipart bodies and the two transfer encodings, over bytes that may be
//! malformed in any way. Bounded: nesting deeper than [`MAX_DEPTH`] is not followed.

use base64::Engine;

/// How deep multiparts are followed (a report is one or two levels down).
pub const MAX_DEPTH: usize = 6;

/// One entity: its header fields (names lower-cased, values unfolded) and its raw body.
#[derive(Debug, Clone)]
pub struct Entity<'a> {
    pub headers: Vec<(String, String)>,
    pub body: &'a str,
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
        let mut parts = split_params(value).into_iter();
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

/// Split at `;` outside quotes.
fn split_params(value: &str) -> Vec<String> {
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
            ';' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

impl<'a> Entity<'a> {
    /// Split at the first empty line; unfold continuation lines.
    pub fn parse(text: &'a str) -> Entity<'a> {
        let mut headers: Vec<(String, String)> = Vec::new();
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
                if let Some((_, v)) = headers.last_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
            rest = next;
            if rest.is_empty() {
                break;
            }
        }
        Entity {
            headers,
            body: rest,
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

    /// The parts of a multipart body (empty for anything else or without a boundary).
    pub fn parts(&self) -> Vec<Entity<'a>> {
        let ct = self.content_type();
        let Some(boundary) = ct
            .mime
            .starts_with("multipart/")
            .then(|| ct.param("boundary"))
            .flatten()
        else {
            return Vec::new();
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
                    // The line break before the delimiter belongs to the delimiter.
                    let body = &self.body[s..offset];
                    let body = body.strip_suffix('\n').unwrap_or(body);
                    let body = body.strip_suffix('\r').unwrap_or(body);
                    parts.push(Entity::parse(body));
                }
                if after == "--" {
                    return parts;
                }
                start = Some(offset + line.len());
            }
            offset += line.len();
        }
        if let Some(s) = start {
            // No closing delimiter (a truncated bounce): keep what is there.
            parts.push(Entity::parse(&self.body[s..]));
        }
        parts
    }
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
/// `Name: value` lines separated by empty lines, names lower-cased, values unfolded.
pub fn field_blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut blocks = Vec::new();
    let mut cur: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !cur.is_empty() {
                blocks.push(std::mem::take(&mut cur));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = cur.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            cur.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
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
