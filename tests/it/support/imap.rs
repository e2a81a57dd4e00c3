//! Dovecot's IMAP server (Debian's `dovecot-imapd`, installed by `scripts/install-test-deps`)
//! on a free port of 127.0.0.1, with a throwaway configuration: one user from a passwd-file,
//! a Maildir in a temporary folder, plain IMAP on loopback. Ended when dropped.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub const USER: &str = "bounces";
pub const PASSWORD: &str = "imap-test-password";

static N: AtomicU64 = AtomicU64::new(0);

pub struct Dovecot {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

/// The unprivileged owner of the mailbox (Dovecot refuses uid 0 for mail).
const NOBODY: u32 = 65534;

fn chown(p: &Path) {
    let _ = Command::new("chown")
        .args(["-R", &format!("{NOBODY}:{NOBODY}")])
        .arg(p)
        .status();
}

impl Dovecot {
    pub fn start() -> Dovecot {
        assert!(
            Path::new("/usr/sbin/dovecot").exists(),
            "/usr/sbin/dovecot is missing: run scripts/install-test-deps"
        );
        let dir = tempfile::tempdir().unwrap();
        // The login processes run as dovenull and must reach base_dir.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let d = dir.path();
        let maildir = d.join("mail").join(USER);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        chown(&d.join("mail"));
        std::fs::write(
            d.join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n"),
        )
        .unwrap();
        let port = super::smtp::free_port();
        let n = N.fetch_add(1, Ordering::SeqCst);
        let conf = format!(
            r#"base_dir = {d}/run
state_dir = {d}/state
instance_name = bulletin-test-{pid}-{n}
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={NOBODY} gid={NOBODY} home={d}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"#,
            d = d.display(),
            pid = std::process::id(),
        );
        std::fs::write(d.join("dovecot.conf"), conf).unwrap();
        let child = Command::new("/usr/sbin/dovecot")
            .arg("-F")
            .arg("-c")
            .arg(d.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Dovecot { port, dir, child };
        let up = super::wait_until(Duration::from_secs(15), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(up, "dovecot did not start: {}", server.log());
        server
    }

    fn maildir(&self, folder: Option<&str>) -> PathBuf {
        let base = self.dir.path().join("mail").join(USER);
        match folder {
            None => base,
            Some(f) => base.join(format!(".{f}")),
        }
    }

    /// Put a message into INBOX as a local delivery agent would.
    #[allow(clippy::disallowed_methods)] // a unique maildir name, as a real MDA makes
    pub fn deliver(&self, message: &[u8]) {
        let n = N.fetch_add(1, Ordering::SeqCst);
        let name = format!(
            "{}.M{n}P{}.test",
            chrono::Utc::now().timestamp(),
            std::process::id()
        );
        let tmp = self.maildir(None).join("tmp").join(&name);
        std::fs::write(&tmp, message).unwrap();
        std::fs::rename(&tmp, self.maildir(None).join("new").join(&name)).unwrap();
        chown(&self.maildir(None).join("new").join(&name));
    }

    /// Messages in a folder (INBOX when `None`), read or not.
    pub fn count(&self, folder: Option<&str>) -> usize {
        ["new", "cur"]
            .iter()
            .map(|s| {
                std::fs::read_dir(self.maildir(folder).join(s))
                    .map(|d| d.flatten().count())
                    .unwrap_or(0)
            })
            .sum()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        super::terminate(&mut self.child, Duration::from_secs(5));
    }
}
