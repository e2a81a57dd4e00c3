//! Identifiers people write in files (`sscp-news`, `all-partners`) and the system uses in URLs,
//! List-Id headers and database keys: lower-case ASCII letters, digits and `-`, so they are safe in
//! all of those without escaping.

use std::fmt;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("an id cannot be empty")]
    Empty,
    #[error("an id is at most 64 characters")]
    TooLong,
    #[error("`{0}` is not allowed in an id: use lower-case letters, digits and `-`")]
    BadChar(char),
    #[error("an id starts with a letter or digit")]
    BadStart,
}

fn check_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > 64 {
        return Err(IdError::TooLong);
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(IdError::BadChar(c));
    }
    if s.starts_with('-') {
        return Err(IdError::BadStart);
    }
    Ok(())
}

/// The id a name people typed probably meant (`Refugee Week` → `refugee-week`,
/// `Anti_Bullying` → `anti-bullying`): lower case, runs of anything else become one `-`. `None`
/// when nothing valid is left.
pub fn suggest_id(s: &str) -> Option<String> {
    let mut out = String::new();
    for c in s.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    check_id(&out).ok().map(|()| out)
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                check_id(&s).map(|()| $name(s))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl $name {
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_id(s).map(|()| $name(s.to_string()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

id_type!(
    /// A subscriber list (`config/lists/<id>.toml`).
    ListId
);
id_type!(
    /// A bulletin (`[[bulletin]] id`).
    BulletinId
);
id_type!(
    /// A campaign: the stem of its file in `campaigns/`.
    CampaignId
);
id_type!(
    /// A section of a bulletin: a news section, `campaigns`, or a standing block.
    SectionId
);

/// Whose an issue is: a bulletin's (its issues, proofs and held notices), or a campaign's (its
/// announcement). The ledger files both under one column; the issue's kind says which.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssueOwner {
    Bulletin(BulletinId),
    Campaign(CampaignId),
}

impl IssueOwner {
    pub fn as_str(&self) -> &str {
        match self {
            IssueOwner::Bulletin(b) => b.as_str(),
            IssueOwner::Campaign(c) => c.as_str(),
        }
    }
}

impl fmt::Display for IssueOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl serde::Serialize for IssueOwner {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl From<BulletinId> for IssueOwner {
    fn from(b: BulletinId) -> Self {
        IssueOwner::Bulletin(b)
    }
}

impl From<CampaignId> for IssueOwner {
    fn from(c: CampaignId) -> Self {
        IssueOwner::Campaign(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_name_suggests_its_id() {
        assert_eq!(suggest_id("Refugee Week").as_deref(), Some("refugee-week"));
        assert_eq!(
            suggest_id(" Anti_Bullying  Week 2 ").as_deref(),
            Some("anti-bullying-week-2")
        );
        assert_eq!(suggest_id("--"), None);
    }

    #[test]
    fn ids_are_url_and_header_safe() {
        assert!(ListId::parse("all-partners").is_ok());
        assert!(BulletinId::parse("sscp-news-2").is_ok());
        assert_eq!(ListId::parse(""), Err(IdError::Empty));
        assert_eq!(ListId::parse("All"), Err(IdError::BadChar('A')));
        assert_eq!(ListId::parse("a b"), Err(IdError::BadChar(' ')));
        assert_eq!(ListId::parse("a\nb"), Err(IdError::BadChar('\n')));
        assert_eq!(ListId::parse("-x"), Err(IdError::BadStart));
        assert_eq!(ListId::parse(&"x".repeat(65)), Err(IdError::TooLong));
    }
}
