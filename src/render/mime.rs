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

/// The longest header line we write when we can choose (RFC 5322's "SHOULD"); the hard limit
/// is 998 octets.
const LINE: usize = 78;

/// Lines that hold encoded words stay within 76 characters (RFC 2047, section 2).
const ENCODED_LINE: usize = 76;

/// An unstructured header value (Subject) for a field whose name and `: ` take `header_len`
/// columns: as is when it is plain ASCII that fits or folds at spaces within 78 columns, else
/// RFC 2047 encoded words, folded so each line stays within 76. The value holds no CR or LF by
/// construction (subjects, titles and names are checked at the border), and any control
/// characters that arrive are dropped.
pub fn encode_unstructured(value: &str, header_len: usize) -> String {
    let clean: String = value.chars().filter(|c| !c.is_control()).collect();
    let words: Vec<&str> = clean.split(' ').collect();
    let foldable = clean.is_ascii()
        && !clean.contains("=?")
        && words.iter().all(|w| w.len() < LINE - 1)
        // A folded line of nothing but white space is not allowed: no runs of spaces at a fold.
        && !clean.contains("  ")
        && !clean.starts_with(' ')
        && !clean.ends_with(' ');
    if !foldable {
        return encoded_words(&clean, header_len);
    }
    fold_words(&words, header_len)
}

/// Words joined by single spaces, a space turned into a fold (CRLF + the space) wherever the
/// next word would pass 78 columns.
fn fold_words(words: &[&str], start_col: usize) -> String {
    let mut out = String::new();
    let mut col = start_col;
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            if col + 1 + word.len() > LINE && !word.is_empty() {
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
    out
}

/// `=?utf-8?b?…?=` words, each line (the first starting at `start_col`) within 76 characters,
/// never splitting a character.
fn encoded_words(s: &str, start_col: usize) -> String {
    const OVERHEAD: usize = "=?utf-8?b??=".len();
    // Raw bytes that fit a line: 3 per 4 base64 characters, at least one whole character.
    let budget = |col: usize| (ENCODED_LINE.saturating_sub(col + OVERHEAD) / 4 * 3).max(6);
    let mut words = Vec::new();
    let mut chunk = String::new();
    let mut limit = budget(start_col);
    for c in s.chars() {
        if !chunk.is_empty() && chunk.len() + c.len_utf8() > limit {
            words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(&chunk)));
            chunk.clear();
            limit = budget(1);
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(&chunk)));
    }
    words.join("\r\n ")
}

/// A display name as an RFC 5322 phrase, for a field where it starts at `col`: atoms as is,
/// plain ASCII with specials as a quoted string (`\\` and `"` escaped), and the words that need
/// encoding (non-ASCII, or text that looks like an encoded word) as
/// RFC 2047 encoded words — never inside quotes, where decoders must not look. Plain words
/// between encoded ones stay plain, so the spaces around them survive every decoder (Python's
/// `email` keeps the space between two adjacent encoded words in a phrase, which RFC 2047
/// says to drop; only a run of encoded text too long for one word is split that way).
pub fn phrase_at(name: &str, col: usize) -> String {
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    // A plain word longer than a line stays plain on a line of its own (names are at most 200
    // characters, far below the 998-octet limit): encoding it would split it into adjacent
    // encoded words, which decoders disagree on.
    let plain = |w: &str| w.is_ascii() && !w.contains("=?");
    let quoted = |w: &str| format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\""));
    let words: Vec<&str> = name.split(' ').collect();
    if words.iter().all(|w| plain(w)) {
        let written = if name
            .split(' ')
            .all(|w| !w.is_empty() && w.chars().all(atext))
        {
            name.clone()
        } else {
            quoted(&name)
        };
        if col + written.len() <= LINE {
            return written;
        }
    }
    if name.contains("  ") || name.starts_with(' ') || name.ends_with(' ') {
        return encoded_words(&name, col);
    }
    // Tokens: plain words (atoms or quoted strings) and runs of words that need encoding.
    let mut tokens: Vec<String> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let mut cur = col;
    let flush = |run: &mut Vec<&str>, tokens: &mut Vec<String>, cur: usize| {
        if !run.is_empty() {
            tokens.push(encoded_words(&run.join(" "), cur + 1));
            run.clear();
        }
    };
    for w in words {
        if plain(w) {
            flush(&mut run, &mut tokens, cur);
            tokens.push(if w.chars().all(atext) {
                w.to_string()
            } else {
                quoted(w)
            });
        } else {
            run.push(w);
        }
        cur = 1;
    }
    flush(&mut run, &mut tokens, cur);
    // Join with spaces, folding before a token that would pass the line.
    let mut out = String::new();
    let mut c = col;
    for (i, t) in tokens.iter().enumerate() {
        let first_len = t.split("\r\n").next().unwrap_or(t).len();
        let limit = if t.starts_with("=?") {
            ENCODED_LINE
        } else {
            LINE
        };
        if i > 0 {
            if c + 1 + first_len > limit {
                out.push_str("\r\n ");
                c = 1;
            } else {
                out.push(' ');
                c += 1;
            }
        }
        out.push_str(t);
        c = match t.rsplit_once("\r\n") {
            Some((_, last)) => last.len(),
            None => c + t.len(),
        };
    }
    out
}

/// A display name as a phrase that starts a line of its own (List-Id and the like).
pub fn phrase(name: &str) -> String {
    phrase_at(name, 0)
}

/// A phrase and then an angle-bracketed part (`<address>`, a List-Id's `<id>`) in a field
/// whose name and `: ` take `header_len` columns; the angle part moves to a folded line when it
/// would pass 78 columns.
pub fn phrase_then(name: &str, angle: &str, header_len: usize) -> String {
    let p = phrase_at(name, header_len);
    let col = match p.rsplit_once("\r\n") {
        Some((_, last)) => last.len(),
        None => header_len + p.len(),
    };
    if col + 1 + angle.len() > LINE {
        format!("{p}\r\n {angle}")
    } else {
        format!("{p} {angle}")
    }
}

/// `Name <address>` or a bare address, for a field whose name and `: ` take `header_len`
/// columns (see [`phrase_then`]).
pub fn mailbox_at(name: Option<&DisplayName>, address: &EmailAddress, header_len: usize) -> String {
    match name {
        Some(n) if !n.is_empty() => phrase_then(n.as_str(), &format!("<{address}>"), header_len),
        _ => address.to_string(),
    }
}

/// `Name <address>` or a bare address, at the start of a field (see [`mailbox_at`]).
pub fn mailbox(name: Option<&DisplayName>, address: &EmailAddress) -> String {
    mailbox_at(name, address, 0)
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
