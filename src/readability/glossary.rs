//! The project's glossary (`templates/glossary.toml`): what its acronyms stand for, the ones
//! every reader knows, and words with a plainer equivalent on top of the compiled-in list.
//!
//! ```toml
//! familiar = ["NHS", "UK"]
//!
//! [acronyms]
//! DSL = "Designated Safeguarding Lead"
//!
//! [plain]
//! "going forward" = "from now on"
//! ```

use std::collections::{BTreeMap, BTreeSet};

/// Words and phrases with a plainer equivalent, from the Plain English Campaign's A–Z of
/// alternative words. A project adds to (or overrides) them under `[plain]`.
pub const DEFAULT_PLAIN: &[(&str, &str)] = &[
    ("utilise", "use"),
    ("utilisation", "use"),
    ("commence", "start"),
    ("facilitate", "help"),
    ("in order to", "to"),
    ("prior to", "before"),
    ("endeavour", "try"),
    ("approximately", "about"),
    ("ascertain", "find out"),
    ("in relation to", "about"),
    ("with regard to", "about"),
    ("sufficient", "enough"),
    ("terminate", "end"),
    ("obtain", "get"),
    ("numerous", "many"),
    ("demonstrate", "show"),
    ("purchase", "buy"),
    ("in excess of", "more than"),
    ("in the event of", "if"),
    ("at this point in time", "now"),
    ("disseminate", "share"),
];

/// Acronyms every reader knows, which need no spelling out.
pub const DEFAULT_FAMILIAR: &[&str] = &["UK", "NHS", "GP", "GPs", "OK", "TV", "BBC", "PDF", "FAQ"];

/// A project's glossary, merged with the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glossary {
    pub acronyms: BTreeMap<String, String>,
    pub familiar: BTreeSet<String>,
    /// A word or phrase (lower case) → its plainer equivalent.
    pub plain: BTreeMap<String, String>,
}

impl Default for Glossary {
    fn default() -> Self {
        Glossary {
            acronyms: BTreeMap::new(),
            familiar: DEFAULT_FAMILIAR.iter().map(|s| s.to_string()).collect(),
            plain: DEFAULT_PLAIN
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    familiar: Vec<String>,
    #[serde(default)]
    acronyms: BTreeMap<String, String>,
    #[serde(default)]
    plain: BTreeMap<String, String>,
}

/// Why a glossary could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct GlossaryError(String);

impl Glossary {
    /// The defaults with `text` (the glossary file) on top.
    pub fn parse(text: &str) -> Result<Glossary, GlossaryError> {
        let f: File = toml::from_str(text).map_err(|e| GlossaryError(e.message().to_string()))?;
        let mut g = Glossary::default();
        g.familiar.extend(f.familiar);
        g.acronyms.extend(f.acronyms);
        g.plain
            .extend(f.plain.into_iter().map(|(k, v)| (k.to_lowercase(), v)));
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_glossary_adds_to_the_defaults() {
        let g = Glossary::parse(
            "familiar = [\"CAMHS\"]\n[acronyms]\nDSL = \"Designated Safeguarding Lead\"\n[plain]\n\"Going forward\" = \"from now on\"\n",
        )
        .unwrap();
        assert!(g.familiar.contains("CAMHS") && g.familiar.contains("NHS"));
        assert_eq!(g.acronyms["DSL"], "Designated Safeguarding Lead");
        assert_eq!(g.plain["going forward"], "from now on");
        assert_eq!(g.plain["utilise"], "use");
        assert!(Glossary::parse("[acronym]\n").is_err());
    }
}
