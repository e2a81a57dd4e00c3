//! Noticing edits to the project's files: a cheap fingerprint (paths, sizes, modification
//! times) of the config, lists, campaigns, news, templates and bank holidays, compared every
//! few seconds.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How often the files are looked at.
pub const POLL: Duration = Duration::from_secs(3);

pub type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

pub struct Watcher {
    roots: Vec<PathBuf>,
    seen: Fingerprint,
}

fn walk(dir: &Path, out: &mut Fingerprint) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if let Ok(m) = e.metadata() {
            out.push((p, m.len(), m.modified().ok()));
        }
    }
}

impl Watcher {
    /// The files of the project whose config is `config_path`, as they are now. Made before
    /// the configuration is read, so an edit made while it loads is a change still to see.
    pub fn new(config_path: &Path) -> Self {
        let r = crate::config::root_of(config_path);
        let roots = vec![
            config_path.to_path_buf(),
            r.join("config/lists"),
            r.join("config/agencies.toml"),
            r.join("campaigns"),
            r.join("news"),
            r.join("templates"),
            r.join("holidays/bank-holidays.json"),
        ];
        let mut w = Watcher {
            roots,
            seen: Vec::new(),
        };
        w.seen = w.look();
        w
    }

    /// The files as they are now (taken before a reload reads them).
    pub fn look(&self) -> Fingerprint {
        let mut out = Vec::new();
        for r in &self.roots {
            if r.is_dir() {
                walk(r, &mut out);
            } else if let Ok(m) = std::fs::metadata(r) {
                out.push((r.clone(), m.len(), m.modified().ok()));
            }
        }
        out.sort();
        out
    }

    /// Remember the files as they were when a reload (good or bad) began to read them: an
    /// edit made during the reload is then still a change.
    pub fn accept(&mut self, seen: Fingerprint) {
        self.seen = seen;
    }

    /// Resolves when the files differ from what was last seen; `true` then.
    pub async fn changed(&mut self) -> bool {
        loop {
            tokio::time::sleep(POLL).await;
            let now = self.look();
            if now != self.seen {
                // Let an editor finish writing before reading.
                tokio::time::sleep(Duration::from_millis(300)).await;
                self.seen = self.look();
                return true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An edit made while the configuration is being read (at start or at a reload) is a
    /// change still to see: the files are looked at before they are read, not after.
    #[tokio::test]
    async fn an_edit_made_while_the_files_are_read_is_still_seen() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config/bulletin.toml");
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::create_dir_all(dir.path().join("news")).unwrap();
        std::fs::write(&config, "# config\n").unwrap();
        let mut w = Watcher::new(&config);
        let before = w.look();
        // Meanwhile, as the files are being read: an editor saves a news item.
        std::fs::write(dir.path().join("news/new.md"), "# News\n").unwrap();
        w.accept(before);
        let seen = tokio::time::timeout(POLL * 2, w.changed()).await;
        assert_eq!(seen, Ok(true), "the edit made during the read was missed");
    }
}
