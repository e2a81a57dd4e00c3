//! The readability of a project's news items as `check` warnings, and a line of figures per
//! item. Reads the glossary file; everything else is [`super::read`].

use std::path::{Path, PathBuf};

use super::{Glossary, Kind, MAX_READING_AGE, MAX_SENTENCE_WORDS, read};
use crate::config::Project;
use crate::diag::{Diagnostic, Diagnostics, Position};

/// Where a project keeps its glossary, under its root.
pub const GLOSSARY_PATH: &str = "templates/glossary.toml";

/// One item's figures, for the summary line.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub path: PathBuf,
    pub words: usize,
    pub sentences: usize,
    pub reading_age: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} words, {} sentences, reading age {:.1}",
            self.path.display(),
            self.words,
            self.sentences,
            self.reading_age
        )
    }
}

/// The project's glossary (the defaults when it has none), and a warning if it cannot be read.
pub fn glossary(root: &Path) -> (Glossary, Option<Diagnostic>) {
    let path = root.join(GLOSSARY_PATH);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return (Glossary::default(), None);
    };
    match Glossary::parse(&text) {
        Ok(g) => (g, None),
        Err(e) => (
            Glossary::default(),
            Some(Diagnostic::warning(
                path,
                Position::START,
                format!("the glossary cannot be read, so the defaults are used: {e}"),
            )),
        ),
    }
}

/// Warnings for every news item of `p`, and each item's figures, in the order of `p.news`.
pub fn warnings(p: &Project) -> (Diagnostics, Vec<Summary>) {
    let (glossary, bad) = glossary(&p.root);
    let mut diags = Diagnostics::new();
    if let Some(w) = bad {
        diags.push(w);
    }
    let mut summaries = Vec::new();
    for n in &p.news {
        let r = read(&n.body, &glossary);
        for f in r.findings {
            let pos = n.body_position(f.at);
            let (message, hint) = match f.kind {
                Kind::LongSentence { words } => (
                    format!("a sentence of {words} words (more than {MAX_SENTENCE_WORDS})"),
                    "split it: one idea to a sentence".to_string(),
                ),
                Kind::Passive { phrase } => (
                    format!("passive voice: \"{phrase}\""),
                    "say who does it: \"we published\", not \"was published\"".to_string(),
                ),
                Kind::Acronym {
                    acronym,
                    expansion: Some(exp),
                } => (
                    format!("`{acronym}` is not spelt out at its first use"),
                    format!("write \"{exp} ({acronym})\" the first time"),
                ),
                Kind::Acronym {
                    acronym,
                    expansion: None,
                } => (
                    format!("`{acronym}` is not spelt out at its first use"),
                    format!(
                        "write it out in full, then \"({acronym})\"; or add it to {GLOSSARY_PATH} under [acronyms] (or to `familiar`)"
                    ),
                ),
                Kind::VagueLink { text } => (
                    format!("the link text \"{text}\" does not say where it goes"),
                    "make the link's words name what it opens (\"the training timetable\")"
                        .to_string(),
                ),
                Kind::PlainWord { word, plainer } => (
                    format!("\"{word}\" has a plainer word"),
                    format!("try \"{plainer}\""),
                ),
            };
            diags.push(Diagnostic::warning(&n.path, pos, message).with_hint(hint));
        }
        let age = r.figures.reading_age();
        if age > MAX_READING_AGE {
            diags.push(
                Diagnostic::warning(
                    &n.path,
                    n.body_pos,
                    format!(
                        "reading age {age:.1} is over {MAX_READING_AGE:.0} (Flesch–Kincaid grade {:.1} + 5)",
                        r.figures.grade()
                    ),
                )
                .with_hint("shorter sentences and shorter words bring it down"),
            );
        }
        summaries.push(Summary {
            path: n.path.clone(),
            words: r.figures.words,
            sentences: r.figures.sentences,
            reading_age: age,
        });
    }
    (diags, summaries)
}
