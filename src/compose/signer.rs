//! The one unsubscribe signer: the configured secret (with its retired keys, so old links keep
//! working); for the outbox without one, a secret made once and kept in
//! `data/unsubscribe.secret`; for a preview without one, a clearly-labelled preview key.

use std::path::{Path, PathBuf};

use crate::config::Project;
use crate::config::settings::Unsubscribe;
use crate::secret::Secret;
use crate::token::Signer;

/// Why no signer could be made for real mail.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("no unsubscribe secret: set BULLETIN_UNSUBSCRIBE_SECRET or [unsubscribe] secret_file")]
    NoSecret,
    /// The configured secret could not be read: signing with anything else would break the
    /// links and return paths already sent.
    #[error(
        "the unsubscribe secret cannot be used: {0} (running as {1}); `bulletin check`, run as this user, says how to reach it"
    )]
    Unavailable(crate::secret::SecretFileError, crate::whoami::User),
    #[error("no randomness for a secret: {0}")]
    Randomness(std::io::Error),
    #[error("cannot create {path}: {error}", path = .0.display(), error = .1)]
    CreateDir(PathBuf, std::io::Error),
    #[error("cannot write {path}: {error}", path = .0.display(), error = .1)]
    Write(PathBuf, std::io::Error),
}

/// The signer for mail that is sent or kept in the outbox. Real mail needs a configured secret
/// (`check` insists); the outbox makes and keeps a local one so its links keep working.
pub fn signer(project: &Project) -> Result<Signer, SignerError> {
    let u = &project.settings.unsubscribe;
    if let Some(e) = &u.unavailable {
        return Err(SignerError::Unavailable(
            e.clone(),
            crate::whoami::current(),
        ));
    }
    if let Some(signer) = configured(u) {
        return Ok(signer);
    }
    if project.settings.transport.kind.sends_real_mail() {
        return Err(SignerError::NoSecret);
    }
    let path = project.root.join("data/unsubscribe.secret");
    Ok(Signer::new(&u.key_id, local_secret(&path)?))
}

/// The signer for a preview: the real one when a secret is configured, else a preview key
/// (a preview never creates a secret file).
pub fn preview_signer(project: &Project) -> Signer {
    configured(&project.settings.unsubscribe).unwrap_or_else(|| {
        Signer::new("preview", Secret::new("preview-only-key-not-for-real-mail"))
    })
}

fn configured(u: &Unsubscribe) -> Option<Signer> {
    let s = u.secret.as_ref()?;
    let mut signer = Signer::new(&u.key_id, s.clone());
    for (id, old) in &u.retired {
        signer = signer.with_retired(id, old.clone());
    }
    Some(signer)
}

/// The outbox's secret at `path`: read if it is there, else 256 random bits written 0600.
fn local_secret(path: &Path) -> Result<Secret, SignerError> {
    if let Ok(s) = std::fs::read_to_string(path)
        && s.trim().len() >= 32
    {
        return Ok(Secret::new(s.trim().to_string()));
    }
    use sha2::{Digest, Sha256};
    // 256 bits from the operating system's random source.
    let mut seed = [0u8; 32];
    let mut f = std::fs::File::open("/dev/urandom").map_err(SignerError::Randomness)?;
    std::io::Read::read_exact(&mut f, &mut seed).map_err(SignerError::Randomness)?;
    let hex: String = Sha256::digest(seed)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if let Some(dir) = path.parent() {
        crate::private::create_dir_all(dir)
            .map_err(|e| SignerError::CreateDir(dir.to_path_buf(), e))?;
    }
    // 0600 from the moment it exists: never readable by anyone else, even for an instant.
    crate::private::write_atomically(path, hex.as_bytes())
        .map_err(|e| SignerError::Write(path.to_path_buf(), e))?;
    Ok(Secret::new(hex))
}
