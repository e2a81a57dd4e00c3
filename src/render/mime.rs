//! The MIME message per recipient. The shared parts of an issue are encoded once; per recipient
//! only the personal pieces (To, Message-ID, the unsubscribe link) are encoded and spliced in, so
//! building a message costs a few small encodings and one copy.
//!
//! Every body part is quoted-printable: no line of the SMTP DATA stream can be a lone `.`, start
//! with `.`, or carry a bare CR or LF, whatever a news item contains (the mitigation for lettre's
//! RUSTSEC-2026-0561, and safe with any relay).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::address::{DisplayName, EmailAddress};

/// Quoted-printable (RFC 2045) with CRLF line ends, lines of at most 76 characters, and a
/// leading `.` always encoded. Input newlines (`\n`, `\r\n`) become CRLF; a bare CR is encoded.
/// When the input does not end with a newline neither does the output, so chunks can be joined
/// with a soft line break (`=\r\n`).
pub fn quoted_printable(input: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut lines = input.split('\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let bytes = line.as_bytes();
        let mut col = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let literal_at = |col: usize| match b {
                b'=' => false,
                b'.' => col != 0,
                b' ' | b'\t' => !last,
                33..=126 => true,
                _ => false,
            };
            let width = if literal_at(col) { 1 } else { 3 };
            // Keep room for the soft break's `=` unless this is the line's last character.
            let limit = if last { 76 } else { 75 };
            if col + width > limit {
                out.push_str("=\r\n");
                col = 0;
            }
            if literal_at(col) {
                out.push(b as char);
                col += 1;
            } else {
                out.push('=');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
                col += 3;
            }
        }
        if lines.peek().is_some() {
            out.push_str("\r\n");
        }
    }
}

/// An unstructured header value (Subject): as is when plain ASCII, else RFC 2047 encoded words,
/// folded so no line exceeds 78 characters. The value holds no CR or LF by construction
/// (subjects, titles and names are checked at the border), and any that arrive are dropped.
pub fn encode_unstructured(value: &str, header_len: usize) -> String {
    let clean: String = value.chars().filter(|c| !c.is_control()).collect();
    let plain = clean.is_ascii() && !clean.contains("=?");
    if plain && header_len + clean.len() <= 78 {
        return clean;
    }
    if plain {
        // Fold at spaces.
        let mut out = String::new();
        let mut col = header_len;
        for (i, word) in clean.split(' ').enumerate() {
            if i > 0 {
                if col + 1 + word.len() > 78 {
                    out.push_str("\r\n ");
                    col = 1;
                } else {
                    out.push(' ');
                    col += 1;
                }
            }
            out.push_str(word);
            col += word.len();
        }
        return out;
    }
    encoded_words(&clean)
}

/// `=?utf-8?b?…?=` words of at most 75 characters, never splitting a character.
fn encoded_words(s: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(&chunk)));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(&chunk)));
    }
    words.join("\r\n ")
}

/// A display name as an RFC 5322 phrase: atoms as is, specials quoted, non-ASCII encoded.
pub fn phrase(name: &str) -> String {
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    if !name.is_ascii() {
        return encoded_words(&name);
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~ ".contains(c);
    if name.chars().all(atext) && !name.contains("=?") {
        name
    } else {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    }
}

/// `Name <address>` or a bare address.
pub fn mailbox(name: Option<&DisplayName>, address: &EmailAddress) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("{} <{}>", phrase(n.as_str()), address),
        _ => address.to_string(),
    }
}

/// The Message-ID of one recipient's copy of one issue: deterministic, so a resend after a
/// crash carries the same id and receivers can drop the duplicate.
pub fn message_id(issue_key: &str, recipient: &EmailAddress, domain: &str) -> String {
    let mut h = Sha256::new();
    h.update(issue_key.as_bytes());
    h.update([0]);
    h.update(recipient.key().as_bytes());
    let digest = h.finalize();
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    let safe_key: String = issue_key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '.'
            }
        })
        .collect();
    format!("<{hex}.{safe_key}@{domain}>")
}

/// A multipart boundary that cannot occur inside quoted-printable content (which always
/// encodes `=`).
pub fn boundary(issue_key: &str) -> String {
    let digest = Sha256::digest(issue_key.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("=_bulletin_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qp(s: &str) -> String {
        let mut out = String::new();
        quoted_printable(s, &mut out);
        out
    }

    #[test]
    fn qp_keeps_dots_and_bare_line_breaks_out_of_the_data_stream() {
        let out = qp("line\n.\n..x\rstill\r\nend");
        assert_eq!(out, "line\r\n=2E\r\n=2E.x=0Dstill\r\nend");
        for line in out.split("\r\n") {
            assert!(!line.starts_with('.'), "{line}");
            assert!(!line.contains('\r') && !line.contains('\n'));
        }
    }

    #[test]
    fn qp_wraps_at_76_and_round_trips() {
        let text = "é".repeat(100) + " trailing \n" + &"a".repeat(200);
        let out = qp(&text);
        assert!(out.split("\r\n").all(|l| l.len() <= 76), "{out}");
        // Decode and compare.
        let joined = out.replace("=\r\n", "");
        let mut bytes = Vec::new();
        let b = joined.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' {
                bytes.push(
                    u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
                );
                i += 3;
            } else {
                bytes.push(b[i]);
                i += 1;
            }
        }
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            text.replace('\n', "\r\n")
        );
        assert!(out.contains("trailing=20\r\n"), "trailing space encoded");
    }

    #[test]
    fn headers_are_encoded_and_folded() {
        assert_eq!(
            encode_unstructured("SSCP news: December 2026", 9),
            "SSCP news: December 2026"
        );
        let enc = encode_unstructured("Siân’s news — café", 9);
        assert!(enc.starts_with("=?utf-8?b?"), "{enc}");
        let long = encode_unstructured(&"word ".repeat(30), 9);
        assert!(long.split("\r\n").all(|l| l.len() <= 78), "{long}");
        assert_eq!(phrase("Jo Bloggs"), "Jo Bloggs");
        assert_eq!(phrase("Patel, Anjali"), "\"Patel, Anjali\"");
        assert_eq!(phrase("Say \"hi\""), "\"Say \\\"hi\\\"\"");
        assert!(phrase("Siân O’Brien").starts_with("=?utf-8?b?"));
        assert_eq!(
            encode_unstructured("a\r\nBcc: x@y.example", 9),
            "aBcc: x@y.example"
        );
    }

    #[test]
    fn message_ids_are_deterministic_per_recipient() {
        let a = EmailAddress::parse("jo@x.example").unwrap();
        let b = EmailAddress::parse("JO@x.example").unwrap();
        let c = EmailAddress::parse("sam@x.example").unwrap();
        let id = message_id("sscp-news.2026-12-01", &a, "sscp.example");
        assert_eq!(id, message_id("sscp-news.2026-12-01", &b, "sscp.example"));
        assert_ne!(id, message_id("sscp-news.2026-12-01", &c, "sscp.example"));
        assert!(id.starts_with('<') && id.ends_with("@sscp.example>"));
    }
}
