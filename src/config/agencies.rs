//! `config/agencies.toml`: the agency vocabulary. Lists hold team names and abbreviations in
//! `agency` ("Salford City Council, Early Help", "SCC"), and the impact report merges every
//! group of fewer than ten people into "Other agencies"; mapping the variants to one agency
//! when members are loaded lets the agency reach the size the report may show, and `lists`
//! show the same name.
//!
//! ```toml
//! [[agency]]
//! name = "Salford City Council"
//! matches = ["Salford City Council*", "SCC", "Salford CC"]
//! ```
//!
//! The rule: a member's agency is compared with spaces trimmed and case ignored. A pattern
//! that ends in `*` matches every agency that starts with the rest; any other pattern, and the
//! agency's `name` itself, match that text exactly. An exact match wins over a prefix, and a
//! longer prefix over a shorter one; an agency that matches nothing is kept as written.

use std::collections::BTreeMap;

use super::doc::{FileCtx, Table};
use crate::diag::Position;

/// The vocabulary: exact texts and prefixes (lowercase), each with its agency's name.
#[derive(Debug, Clone, Default)]
pub struct Agencies {
    exact: BTreeMap<String, String>,
    /// Longest prefix first.
    prefixes: Vec<(String, String)>,
}

impl Agencies {
    /// Every agency's name, sorted and once each: the choices a sign-up form offers.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .exact
            .values()
            .chain(self.prefixes.iter().map(|(_, n)| n))
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The agency `written` stands for: its canonical name, or `written` itself (trimmed).
    pub fn canonical(&self, written: &str) -> String {
        let t = written.trim();
        let key = t.to_lowercase();
        if let Some(name) = self.exact.get(&key) {
            return name.clone();
        }
        self.prefixes
            .iter()
            .find(|(p, _)| key.starts_with(p.as_str()))
            .map_or_else(|| t.to_string(), |(_, name)| name.clone())
    }
}

/// Parse `config/agencies.toml`; problems go to the file's context.
pub(crate) fn parse(ctx: &FileCtx<'_>) -> Agencies {
    let doc = ctx.parse();
    let top = Table::root(ctx, &doc);
    let mut out = Agencies::default();
    // Where each pattern (lowercase, `*` kept) was first written, and for which agency.
    let mut seen: BTreeMap<String, (String, Position)> = BTreeMap::new();
    let mut prefixes = Vec::new();
    for a in top.array_of_tables("agency") {
        let name = a.req_str("name", "\"Salford City Council\"");
        let matches = a.str_array("matches").unwrap_or_default();
        a.finish_under(&top);
        let Some(name) = name else { continue };
        let canonical = name.value.trim().to_string();
        if canonical.is_empty() || canonical.chars().any(char::is_control) {
            ctx.error(name.pos, "an agency's `name` must be a line of text")
                .hint("e.g. name = \"Salford City Council\"");
            continue;
        }
        let own = std::iter::once((canonical.clone(), name.pos));
        for (pattern, pos) in own.chain(matches.into_iter().map(|m| (m.value, m.pos))) {
            let p = pattern.trim().to_lowercase();
            let body = p.strip_suffix('*');
            if p.is_empty() || body.is_some_and(str::is_empty) {
                ctx.error(pos, "an empty pattern matches every agency")
                    .hint("write the name or the start of it, e.g. \"Salford City Council*\"");
                continue;
            }
            if body.unwrap_or(&p).contains('*') {
                ctx.error(
                    pos,
                    format!("`*` may only end a pattern: `{}`", pattern.escape_debug()),
                )
                .hint("a pattern is an exact name, or the start of names followed by `*`");
                continue;
            }
            if let Some((other, first)) = seen.get(&p) {
                if *other != canonical {
                    ctx.error(
                        pos,
                        format!(
                            "`{}` is already a pattern of `{other}` (line {})",
                            pattern.trim().escape_debug(),
                            first.line
                        ),
                    )
                    .hint("each variant belongs to one agency: remove it from one of them");
                }
                continue;
            }
            seen.insert(p.clone(), (canonical.clone(), pos));
            match body {
                Some(b) => prefixes.push((b.to_string(), canonical.clone())),
                None => {
                    out.exact.insert(p, canonical.clone());
                }
            }
        }
    }
    top.finish();
    prefixes.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    out.prefixes = prefixes;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn vocab(text: &str) -> (Agencies, Vec<String>) {
        let ctx = FileCtx::new(Path::new("agencies.toml"), text);
        let a = parse(&ctx);
        let d = ctx
            .into_diagnostics()
            .iter()
            .map(|d| d.to_string())
            .collect();
        (a, d)
    }

    const SALFORD: &str = "[[agency]]\nname = \"Salford City Council\"\nmatches = [\"Salford City Council*\", \"SCC\", \"Salford CC\"]\n[[agency]]\nname = \"Salford City Council Housing\"\nmatches = [\"salford city council housing*\"]\n";

    #[test]
    fn variants_become_one_agency() {
        let (a, d) = vocab(SALFORD);
        assert!(d.is_empty(), "{d:?}");
        for v in [
            "Salford City Council, Early Help",
            " scc ",
            "SALFORD CC",
            "salford city council",
        ] {
            assert_eq!(a.canonical(v), "Salford City Council", "{v}");
        }
        assert_eq!(
            a.canonical("Salford City Council Housing Options"),
            "Salford City Council Housing",
            "the longer prefix wins"
        );
        assert_eq!(a.canonical("SCC Trust"), "SCC Trust", "exact is exact");
        assert_eq!(a.canonical(" Police "), "Police");
    }

    #[test]
    fn mistakes_are_reported_where_they_are() {
        let (_, d) = vocab(
            "[[agency]]\nname = \"A\"\nmatches = [\"A*x\", \"\", \"SCC\"]\n[[agency]]\nname = \"B\"\nmatches = [\"scc\"]\nnmae = 1\n",
        );
        let has = |start: &str| d.iter().any(|x| x.starts_with(start));
        assert_eq!(d.len(), 4, "{d:?}");
        assert!(has("agencies.toml:3:12: error: `*` may only end"), "{d:?}");
        assert!(has("agencies.toml:3:19: error: an empty pattern"), "{d:?}");
        assert!(
            has("agencies.toml:6:12: error: `scc` is already a pattern of `A` (line 3)"),
            "{d:?}"
        );
        assert!(has("agencies.toml:7:1: error: unknown key `nmae`"), "{d:?}");
    }
}
