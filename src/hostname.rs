//! Host names as SMTP wants them in EHLO (RFC 5321 §4.1.2 `Domain`): the rule `[transport]
//! helo_name` is checked against, so a typo is caught when the settings load, not as a
//! relay's 501 at send time.

/// Why `name` is not a fully qualified host name, or `None` when it is one: dot-separated
/// labels of letters, digits and `-` (not at either end of a label), each 1–63 characters,
/// at least two labels, 253 characters at most, the last label not all digits.
pub fn problem(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.len() > 253 {
        return Some("it is longer than 253 characters");
    }
    let labels: Vec<&str> = name.split('.').collect();
    for l in &labels {
        if l.is_empty() {
            return Some("it has an empty label (two dots, or a leading dot)");
        }
        if l.len() > 63 {
            return Some("a label is longer than 63 characters");
        }
        if !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Some("only letters, digits, `-` and `.` may appear in a host name");
        }
        if l.starts_with('-') || l.ends_with('-') {
            return Some("a label may not begin or end with `-`");
        }
    }
    if labels.len() < 2 {
        return Some("it is not fully qualified (relays expect a name such as mail.example.org)");
    }
    if labels
        .last()
        .is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()))
    {
        return Some("it looks like an IP address, not a host name");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn host_names_are_accepted_and_near_misses_say_why_not() {
        for ok in [
            "mail.example.org",
            "mta-1.send.example.co.uk",
            "a.b",
            "mail.example.org.",
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "localhost",
            "mail..example.org",
            ".example.org",
            "mail_1.example.org",
            "-mail.example.org",
            "mail-.example.org",
            "mail example.org",
            "192.0.2.1",
            "[192.0.2.1]",
            "exämple.org",
        ] {
            assert!(problem(bad).is_some(), "{bad:?} is refused");
        }
        assert!(problem(&format!("{}.org", "a".repeat(64))).is_some());
        assert!(problem(&format!("{}org", "abcdefghi.".repeat(26))).is_some());
    }
}
