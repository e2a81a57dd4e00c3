//! Email addresses and display names that can only exist valid: checked once, at the border, so
//! nothing downstream (headers, the ledger, lettre) ever sees CR, LF, NUL or a malformed address.

use std::fmt;

/// Why a string is not an acceptable address or name. The message reads after "invalid address".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("it is empty")]
    Empty,
    #[error("it contains a line break, NUL or other control character")]
    ControlCharacter,
    #[error("it contains a space")]
    Whitespace,
    #[error("it has no `@`")]
    NoAt,
    #[error("it has more than one `@`")]
    ManyAts,
    #[error("the part before `@` is empty or longer than 64 characters")]
    LocalLength,
    #[error("the part before `@` has a character mail relays refuse: `{0}`")]
    LocalChar(char),
    #[error("the part before `@` starts or ends with a dot, or has two dots together")]
    LocalDots,
    #[error("the domain `{0}` has no dot")]
    DomainNoDot(String),
    #[error("the domain `{0}` is not a valid host name")]
    DomainInvalid(String),
    #[error("the domain has non-ASCII characters")]
    DomainNotAscii,
    #[error("it is longer than 254 characters")]
    TooLong,
    #[error("the name is longer than 200 characters")]
    NameTooLong,
    #[error("expected `Name <address>` or a bare address")]
    MailboxSyntax,
}

impl AddressError {
    /// How to fix it, for `check`'s hint line.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            AddressError::ControlCharacter => {
                Some("remove the line break: a name or address must be on one line")
            }
            AddressError::Whitespace | AddressError::NoAt | AddressError::ManyAts => {
                Some("an address looks like `name@agency.example`")
            }
            AddressError::DomainNoDot(_) => Some("a full domain has a dot, e.g. `nhs.example`"),
            AddressError::DomainNotAscii => Some("write the domain in its ASCII (punycode) form"),
            AddressError::MailboxSyntax => {
                Some("write `\"SSCP News <news@example.org>\"` or `\"news@example.org\"`")
            }
            _ => None,
        }
    }
}

/// An email address in the conservative form every relay accepts: `local@domain.tld`, ASCII,
/// no quoting, no comments. Compared case-insensitively (see [`EmailAddress::key`]).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-.";

impl EmailAddress {
    pub fn parse(s: &str) -> Result<Self, AddressError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(AddressError::Empty);
        }
        if s.chars().any(char::is_control) {
            return Err(AddressError::ControlCharacter);
        }
        if s.chars().any(char::is_whitespace) {
            return Err(AddressError::Whitespace);
        }
        if s.len() > 254 {
            return Err(AddressError::TooLong);
        }
        let (local, domain) = match s.split_once('@') {
            None => return Err(AddressError::NoAt),
            Some((_, d)) if d.contains('@') => return Err(AddressError::ManyAts),
            Some(parts) => parts,
        };
        if local.is_empty() || local.len() > 64 {
            return Err(AddressError::LocalLength);
        }
        if let Some(c) = local
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(*c)))
        {
            return Err(AddressError::LocalChar(c));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(AddressError::LocalDots);
        }
        if !domain.is_ascii() {
            return Err(AddressError::DomainNotAscii);
        }
        if !domain.contains('.') {
            return Err(AddressError::DomainNoDot(domain.to_string()));
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if domain.len() > 253 || !domain.split('.').all(label_ok) {
            return Err(AddressError::DomainInvalid(domain.to_string()));
        }
        Ok(EmailAddress(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form addresses are compared and de-duplicated by: the whole address lower-cased.
    /// (Strictly the local part is case-sensitive; no relay a partnership uses treats it so, and
    /// two copies to `Jo@` and `jo@` would be the worse failure.)
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.0)
    }
}

impl std::str::FromStr for EmailAddress {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A person's or sender's display name: one line, no control characters, trimmed.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(s: &str) -> Result<Self, AddressError> {
        if s.chars().any(char::is_control) {
            return Err(AddressError::ControlCharacter);
        }
        let s = s.trim();
        if s.chars().count() > 200 {
            return Err(AddressError::NameTooLong);
        }
        Ok(DisplayName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A sender or recipient: an optional display name and an address.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Mailbox {
    pub name: Option<DisplayName>,
    pub address: EmailAddress,
}

impl Mailbox {
    /// `Name <addr@x.example>`, `"Name" <addr@x.example>` or a bare `addr@x.example`.
    pub fn parse(s: &str) -> Result<Self, AddressError> {
        if s.chars().any(char::is_control) {
            return Err(AddressError::ControlCharacter);
        }
        let s = s.trim();
        match (s.find('<'), s.ends_with('>')) {
            (Some(open), true) => {
                let name = s[..open].trim().trim_matches('"').trim();
                let address = EmailAddress::parse(&s[open + 1..s.len() - 1])?;
                let name = if name.is_empty() {
                    None
                } else {
                    Some(DisplayName::parse(name)?)
                };
                Ok(Mailbox { name, address })
            }
            (None, false) => Ok(Mailbox {
                name: None,
                address: EmailAddress::parse(s)?,
            }),
            _ => Err(AddressError::MailboxSyntax),
        }
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} <{}>", self.address),
            None => write!(f, "{}", self.address),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "jo.bloggs@nhs.example",
            "a+tag@x.example",
            "O'Brien@school.example",
            " padded@x.example ",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_relays_or_headers_would_choke_on() {
        use AddressError::*;
        let cases: &[(&str, AddressError)] = &[
            ("", Empty),
            ("jo@x.example\r\nBcc: evil@x.example", ControlCharacter),
            ("jo\0@x.example", ControlCharacter),
            ("jo bloggs@x.example", Whitespace),
            ("jo.example", NoAt),
            ("jo@@x.example", ManyAts),
            ("@x.example", LocalLength),
            ("jo@localhost", DomainNoDot("localhost".into())),
            ("a@b", DomainNoDot("b".into())),
            ("jo..b@x.example", LocalDots),
            (".jo@x.example", LocalDots),
            ("jo@-x.example", DomainInvalid("-x.example".into())),
            ("jo@x..example", DomainInvalid("x..example".into())),
            ("jo@bücher.example", DomainNotAscii),
            ("jö@x.example", LocalChar('ö')),
            ("<jo@x.example>", LocalChar('<')),
        ];
        for (input, want) in cases {
            assert_eq!(EmailAddress::parse(input).as_ref(), Err(want), "{input:?}");
        }
    }

    #[test]
    fn compares_case_insensitively_by_key() {
        let a = EmailAddress::parse("Jo.Bloggs@NHS.example").unwrap();
        let b = EmailAddress::parse("jo.bloggs@nhs.example").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "Jo.Bloggs@NHS.example");
    }

    #[test]
    fn names_are_one_line() {
        assert!(DisplayName::parse("Siân O’Brien").is_ok());
        assert_eq!(
            DisplayName::parse("Jo\r\nBcc: x@y.example"),
            Err(AddressError::ControlCharacter)
        );
        assert_eq!(
            DisplayName::parse("Jo\u{0}"),
            Err(AddressError::ControlCharacter)
        );
    }

    #[test]
    fn mailboxes_parse_both_forms() {
        let m = Mailbox::parse("SSCP News <news@sscp.example>").unwrap();
        assert_eq!(m.name.unwrap().as_str(), "SSCP News");
        assert_eq!(m.address.as_str(), "news@sscp.example");
        let m = Mailbox::parse("\"SSCP, News\" <news@sscp.example>").unwrap();
        assert_eq!(m.name.unwrap().as_str(), "SSCP, News");
        assert!(Mailbox::parse("news@sscp.example").unwrap().name.is_none());
        assert_eq!(
            Mailbox::parse("SSCP <news@sscp.example"),
            Err(AddressError::MailboxSyntax)
        );
    }
}
