//! File transports: an outbox folder (one `.eml` a message, written atomically) and a local
//! sendmail binary.

use std::path::Path;

use tokio::io::AsyncWriteExt;

use super::policy::Attempt;
use crate::address::EmailAddress;

/// The outbox file name (without `.eml`) of one delivery: the issue and delivery ids, which
/// keep names unique and let a resend overwrite its own file, then a filesystem-safe form of the
/// recipient's address (ASCII letters, digits and `@.+-_`; anything else becomes `_`; at most
/// 100 characters), so an operator can find a person's message with `ls`.
pub fn file_name(issue_id: i64, delivery_id: i64, email: &str) -> String {
    let safe: String = email
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@.+-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    format!("{issue_id}-{delivery_id}-{safe}")
}

/// Write `message` to `dir/name.eml` all or nothing (see [`crate::private::write_atomically`]):
/// `Sent` only once the bytes are on disk. A write that fails (a full disk, a quota) defers
/// the delivery and leaves no partial `.eml` behind; a resend overwrites with identical bytes.
pub async fn write(dir: &Path, name: &str, message: &[u8]) -> Attempt {
    let dest = dir.join(format!("{name}.eml"));
    let bytes = message.to_vec();
    let target = dest.clone();
    let r = tokio::task::spawn_blocking(move || crate::private::write_atomically(&target, &bytes))
        .await
        .unwrap_or_else(|join| Err(std::io::Error::other(join.to_string())));
    match r {
        Ok(()) => Attempt::Sent(format!("250 written to {}", dest.display())),
        Err(e) => Attempt::Retry(format!("cannot write {}: {e}", dest.display())),
    }
}

/// Hand the message to `sendmail -i -f FROM -- TO` (LF line ends, as sendmail expects).
/// Exit 0 is acceptance; EX_TEMPFAIL (75) defers; any other status rejects.
pub async fn sendmail(
    path: &Path,
    from: &EmailAddress,
    to: &EmailAddress,
    message: &[u8],
) -> Attempt {
    let child = tokio::process::Command::new(path)
        .arg("-i")
        .arg("-f")
        .arg(from.as_str())
        .arg("--")
        .arg(to.as_str())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Attempt::RelayDown(format!("cannot run {}: {e}", path.display())),
    };
    let lf: Vec<u8> = String::from_utf8_lossy(message)
        .replace("\r\n", "\n")
        .into_bytes();
    if let Some(mut stdin) = child.stdin.take()
        && let Err(e) = stdin.write_all(&lf).await
    {
        return Attempt::Retry(format!("writing to sendmail: {e}"));
    }
    match child.wait_with_output().await {
        Ok(o) if o.status.success() => Attempt::Sent("250 accepted by sendmail".into()),
        Ok(o) if o.status.code() == Some(75) => Attempt::Retry(format!(
            "sendmail: temporary failure: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Ok(o) => Attempt::Reject(format!(
            "sendmail exited with {}: {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Attempt::Retry(format!("sendmail: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_carry_the_ids_and_a_safe_form_of_the_address() {
        assert_eq!(
            file_name(3, 17, "Jo.Bloggs+news@nhs.example"),
            "3-17-Jo.Bloggs+news@nhs.example"
        );
        assert_eq!(
            file_name(1, 2, "a/b\\c d@é.example"),
            "1-2-a_b_c_d@_.example"
        );
        let long = format!("{}@x.example", "a".repeat(300));
        assert_eq!(file_name(1, 2, &long).len(), "1-2-".len() + 100);
    }
}
