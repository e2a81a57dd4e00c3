//! Noticing edits to the project's files: a cheap fingerprint (paths, sizes, modification
//! times) of the config, lists, campaigns, news, templates and bank holidays, compared every
//! few seconds.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::config::Project;

/// How often the files are looked at.
pub const POLL: Duration = Duration::from_secs(3);

type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

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
    pub fn new(project: &Project) -> Self {
        let r = &project.root;
        let roots = vec![
            project.config_path.clone(),
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
        w.seen = w.fingerprint();
        w
    }

    fn fingerprint(&self) -> Fingerprint {
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

    /// Remember the files as they are now (after a reload attempt, good or bad).
    pub fn accept_current(&mut self) {
        self.seen = self.fingerprint();
    }

    /// Resolves when the files differ from what was last seen; `true` then.
    pub async fn changed(&mut self) -> bool {
        loop {
            tokio::time::sleep(POLL).await;
            let now = self.fingerprint();
            if now != self.seen {
                // Let an editor finish writing before reading.
                tokio::time::sleep(Duration::from_millis(300)).await;
                self.seen = self.fingerprint();
                return true;
            }
        }
    }
}
