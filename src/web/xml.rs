//! Text for XML documents (the Atom feed): escaped, and with every character XML 1.0 forbids
//! left out, because one such character (U+FFFE in a subject, a stray control character in a
//! name) makes the whole document not well-formed and feed readers then show nothing at all.

/// Whether XML 1.0 (§2.2 `Char`) allows `c` anywhere in a document: tab, LF, CR, and
/// everything from U+0020 except the surrogates (which a Rust `char` cannot be) and U+FFFE/U+FFFF.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `s` as XML character data or an attribute value (either quote): markup escaped, characters
/// XML forbids dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape(r#"Tom & "Jerry" <b>'s'</b>"#),
            "Tom &amp; &quot;Jerry&quot; &lt;b&gt;&apos;s&apos;&lt;/b&gt;"
        );
        assert_eq!(escape("Ünïcödé 😀"), "Ünïcödé 😀");
    }

    #[test]
    fn characters_xml_forbids_are_dropped() {
        assert_eq!(escape("a\u{FFFE}b\u{FFFF}c"), "abc");
        assert_eq!(escape("a\u{0}\u{1}\u{8}\u{B}\u{C}\u{1F}b"), "ab");
        assert_eq!(escape("tab\there\nline\rcr"), "tab\there\nline\rcr");
        assert_eq!(escape("\u{FFFD}\u{10FFFF}"), "\u{FFFD}\u{10FFFF}");
        // Every char XML allows survives, every other is gone.
        for c in ['\u{7F}', '\u{85}', '\u{D7FF}', '\u{E000}', '\u{1F600}'] {
            assert_eq!(escape(&c.to_string()), c.to_string());
        }
    }
}
