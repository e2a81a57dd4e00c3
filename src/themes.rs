//! The partnership's strategic themes (the 2023–2026 strategy's "themed areas of focus") as a
//! fixed vocabulary of tags for campaigns and news. Fixed, so a misspelt tag is caught by
//! `check` instead of quietly creating a seventh theme nobody filters on.

use std::fmt;

/// One themed area of focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Theme {
    Neglect,
    Exploitation,
    ChildSexualAbuse,
    DomesticAbuse,
    BabiesUnderOne,
    Adolescents,
}

/// Why a tag is not a theme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown theme `{0}`")]
pub struct UnknownTheme(pub String);

impl Theme {
    /// Every theme, in the strategy's order.
    pub const ALL: [Theme; 6] = [
        Theme::Neglect,
        Theme::Exploitation,
        Theme::ChildSexualAbuse,
        Theme::DomesticAbuse,
        Theme::BabiesUnderOne,
        Theme::Adolescents,
    ];

    /// The tag written in files and URLs (`?theme=domestic-abuse`).
    pub fn id(self) -> &'static str {
        match self {
            Theme::Neglect => "neglect",
            Theme::Exploitation => "exploitation",
            Theme::ChildSexualAbuse => "child-sexual-abuse",
            Theme::DomesticAbuse => "domestic-abuse",
            Theme::BabiesUnderOne => "babies-under-one",
            Theme::Adolescents => "adolescents",
        }
    }

    /// The label shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            Theme::Neglect => "Neglect",
            Theme::Exploitation => "Exploitation",
            Theme::ChildSexualAbuse => "Child sexual abuse",
            Theme::DomesticAbuse => "Domestic abuse",
            Theme::BabiesUnderOne => "Babies under 1",
            Theme::Adolescents => "Adolescents",
        }
    }

    pub fn parse(s: &str) -> Result<Theme, UnknownTheme> {
        Theme::ALL
            .into_iter()
            .find(|t| t.id() == s)
            .ok_or_else(|| UnknownTheme(s.to_string()))
    }

    /// Every tag, for hints: "neglect, exploitation, …".
    pub fn ids() -> impl Iterator<Item = &'static str> {
        Theme::ALL.into_iter().map(Theme::id)
    }
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_theme_round_trips_and_nothing_else_parses() {
        for t in Theme::ALL {
            assert_eq!(Theme::parse(t.id()), Ok(t));
        }
        assert!(Theme::parse("bullying").is_err());
        assert!(Theme::parse("Neglect").is_err());
    }
}
