//! A really full filesystem: a tmpfs of a fixed size mounted on a folder of a test's tree (as
//! root; tests that need one say they were skipped otherwise), unmounted when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(2))
            == Some("0")
    })
}

/// A tmpfs of a fixed size mounted on a folder, unmounted on drop (drop whatever holds files
/// on it first).
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mount a tmpfs of `size` (as `mount -o size=` takes it: `64k`, `2m`) on `at`, created if
    /// missing; why not, when it cannot be.
    pub fn mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        if !running_as_root() {
            return Err("not running as root".into());
        }
        std::fs::create_dir_all(at).unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !o.status.success() {
            return Err(format!(
                "mount failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
        Ok(Tmpfs(at.to_path_buf()))
    }

    /// Fill what is left of it with a file named `name`, to the last byte; the file's path.
    pub fn fill(&self, name: &str) -> PathBuf {
        use std::io::Write;
        let path = self.0.join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        for chunk in [64 * 1024, 4096, 1] {
            let block = vec![0u8; chunk];
            while f.write_all(&block).is_ok() {}
        }
        let _ = f.sync_all();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}
