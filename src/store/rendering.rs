//! An issue's rendering as the ledger keeps it: the renderer's output whole, as JSON, written
//! once when the issue is created and read back here, so what a resend after a crash sends, what
//! the archive shows and what the feed summarises are byte for byte what was rendered then.

use crate::reach::TrackedLink;
use crate::render::Rendered;

/// A stored rendering. Made from a [`Rendered`] (or, for rows the ledger already holds, from
/// their text), read with [`StoredRendering::read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRendering(String);

impl StoredRendering {
    /// The form `rendered` is stored in.
    pub fn of(rendered: &Rendered) -> Result<Self, serde_json::Error> {
        serde_json::to_string(rendered).map(StoredRendering)
    }

    /// The rendering back.
    pub fn read(&self) -> Result<Rendered, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// The links it counts (none when it was sent without counting, or cannot be read): all
    /// `impact` needs of it.
    pub fn links(&self) -> Vec<TrackedLink> {
        #[derive(serde::Deserialize)]
        struct LinksOnly {
            #[serde(default)]
            links: Vec<TrackedLink>,
        }
        serde_json::from_str::<LinksOnly>(&self.0)
            .map(|l| l.links)
            .unwrap_or_default()
    }

    /// The text as stored.
    pub fn as_json(&self) -> &str {
        &self.0
    }
}

/// A row's text as the ledger holds it.
impl From<String> for StoredRendering {
    fn from(json: String) -> Self {
        StoredRendering(json)
    }
}

impl From<&str> for StoredRendering {
    fn from(json: &str) -> Self {
        StoredRendering(json.to_string())
    }
}
