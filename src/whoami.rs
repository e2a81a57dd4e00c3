//! Who a command runs as, and who owns a file: for messages that say "you are X, the file is
//! Y's". Read from `/proc/self/status` and `/etc/passwd` (no `libc`, no unsafe code); when
//! they cannot be read, `$USER` stands in, so a message never fails for want of a name.

use std::path::Path;

/// A user of this machine: the uid, and the name when `/etc/passwd` has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub uid: Option<u32>,
    pub name: Option<String>,
}

impl User {
    /// The user with this uid, named from `/etc/passwd` when it can be read.
    pub fn with_uid(uid: u32) -> User {
        let name = std::fs::read_to_string("/etc/passwd")
            .ok()
            .and_then(|text| name_in_passwd(&text, uid));
        User {
            uid: Some(uid),
            name,
        }
    }

    /// The name to put after `sudo -u`: the name, else `#uid` (which sudo also takes).
    pub fn sudo_name(&self) -> Option<String> {
        self.name
            .clone()
            .or_else(|| self.uid.map(|u| format!("#{u}")))
    }
}

impl std::fmt::Display for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.name, self.uid) {
            (Some(n), Some(u)) => write!(f, "{n} (uid {u})"),
            (Some(n), None) => f.write_str(n),
            (None, Some(u)) => write!(f, "uid {u}"),
            (None, None) => f.write_str("this user"),
        }
    }
}

/// The user this process runs as (its effective uid: the one file permissions are checked
/// against).
pub fn current() -> User {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| effective_uid(&s));
    match uid {
        Some(uid) => {
            let mut u = User::with_uid(uid);
            if u.name.is_none() && uid != 0 {
                u.name = std::env::var("USER").ok().filter(|n| !n.is_empty());
            }
            u
        }
        None => User {
            uid: None,
            name: std::env::var("USER").ok().filter(|n| !n.is_empty()),
        },
    }
}

/// The owner of `path`, when its metadata can be read.
pub fn owner_of(path: &Path) -> Option<User> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| User::with_uid(m.uid()))
}

/// The effective uid in a `/proc/<pid>/status` text (`Uid: real effective saved fs`).
fn effective_uid(status: &str) -> Option<u32> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// The name of `uid` in an `/etc/passwd` text (`name:x:uid:gid:…`).
fn name_in_passwd(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|l| {
        let mut fields = l.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_effective_uid() {
        let status = "Name:\tbulletin\nUid:\t1000\t998\t998\t998\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(effective_uid(status), Some(998));
        assert_eq!(effective_uid("Name:\tx\n"), None);
    }

    #[test]
    fn names_a_uid_from_passwd() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n# comment\nbulletin:x:998:998::/srv/bulletin:/usr/sbin/nologin\n";
        assert_eq!(name_in_passwd(passwd, 998).as_deref(), Some("bulletin"));
        assert_eq!(name_in_passwd(passwd, 0).as_deref(), Some("root"));
        assert_eq!(name_in_passwd(passwd, 5), None);
    }

    #[test]
    fn shows_name_and_uid() {
        let u = User {
            uid: Some(998),
            name: Some("bulletin".into()),
        };
        assert_eq!(u.to_string(), "bulletin (uid 998)");
        let anon = User {
            uid: Some(1234),
            name: None,
        };
        assert_eq!(anon.to_string(), "uid 1234");
        assert_eq!(anon.sudo_name().as_deref(), Some("#1234"));
    }
}
