//! File transports: an outbox folder (one `.eml` a message, written atomically) and a local
//! sendmail binary.

use std::path::Path;

use tokio::io::AsyncWriteExt;

use super::policy::Attempt;
use crate::address::EmailAddress;

/// Write `message` to `dir/name.eml` atomically (a temporary file renamed into place), so a
/// crash never leaves half a message and a resend overwrites with identical bytes.
pub async fn write(dir: &Path, name: &str, message: &[u8]) -> Attempt {
    let tmp = dir.join(format!(".{name}.tmp"));
    let dest = dir.join(format!("{name}.eml"));
    let r = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(message).await?;
        f.sync_data().await?;
        drop(f);
        tokio::fs::rename(&tmp, &dest).await
    }
    .await;
    match r {
        Ok(()) => Attempt::Sent(format!("250 written to {}", dest.display())),
        Err(e) => Attempt::RelayDown(format!("cannot write to the outbox {}: {e}", dir.display())),
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
