//! Unsubscribe tokens: who (address) leaves what (bulletin), signed with HMAC-SHA256 so a link
//! needs no login and cannot be forged. The key id travels in the token, so a secret can be
//! rotated while links already in inboxes keep working.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::address::EmailAddress;
use crate::ids::BulletinId;
use crate::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Why a token was refused. Deliberately one message for people: forged, tampered and unknown
/// tokens must be indistinguishable from outside.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("this unsubscribe link is not valid")]
    Malformed,
    #[error("this unsubscribe link is not valid")]
    UnknownKey,
    #[error("this unsubscribe link is not valid")]
    BadSignature,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub bulletin: BulletinId,
    pub email: EmailAddress,
}

/// Signs with the current key; verifies with the current or any retired key.
#[derive(Clone)]
pub struct Signer {
    current: (String, Secret),
    retired: Vec<(String, Secret)>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer(key_id = {}, [redacted])", self.current.0)
    }
}

impl Signer {
    pub fn new(key_id: &str, secret: Secret) -> Self {
        Signer {
            current: (key_id.to_string(), secret),
            retired: Vec::new(),
        }
    }

    /// Keep accepting links signed with an older key.
    pub fn with_retired(mut self, key_id: &str, secret: Secret) -> Self {
        self.retired.push((key_id.to_string(), secret));
        self
    }

    /// The secrets, current first: other signatures (VERP return paths) derive their keys from
    /// them, so rotating the unsubscribe secret rotates those too.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        std::iter::once(&self.current.1).chain(self.retired.iter().map(|(_, s)| s))
    }

    fn mac(secret: &Secret, payload: &[u8]) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key");
        mac.update(payload);
        mac
    }

    /// `base64url(key_id:bulletin:address) . base64url(hmac)`: URL-safe, no padding.
    pub fn sign(&self, bulletin: &BulletinId, email: &EmailAddress) -> String {
        let payload = format!("{}:{}:{}", self.current.0, bulletin, email.key());
        let tag = Self::mac(&self.current.1, payload.as_bytes())
            .finalize()
            .into_bytes();
        let mut out = URL_SAFE_NO_PAD.encode(payload.as_bytes());
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut out);
        out
    }

    /// Check a token in constant time and say whom it unsubscribes from what.
    pub fn verify(&self, token: &str) -> Result<Unsubscribe, TokenError> {
        let (p, t) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|_| TokenError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(t)
            .map_err(|_| TokenError::Malformed)?;
        let text = std::str::from_utf8(&payload).map_err(|_| TokenError::Malformed)?;
        let mut parts = text.splitn(3, ':');
        let (Some(key_id), Some(bulletin), Some(email)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let secret = std::iter::once(&self.current)
            .chain(self.retired.iter())
            .find(|(id, _)| id == key_id)
            .map(|(_, s)| s)
            .ok_or(TokenError::UnknownKey)?;
        Self::mac(secret, &payload)
            .verify_slice(&tag)
            .map_err(|_| TokenError::BadSignature)?;
        Ok(Unsubscribe {
            bulletin: BulletinId::parse(bulletin).map_err(|_| TokenError::Malformed)?,
            email: EmailAddress::parse(email).map_err(|_| TokenError::Malformed)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (BulletinId, EmailAddress) {
        (
            BulletinId::parse("sscp-news").unwrap(),
            EmailAddress::parse("Jo.Bloggs@nhs.example").unwrap(),
        )
    }

    #[test]
    fn round_trips_and_is_url_safe() {
        let s = Signer::new("k1", Secret::new("0123456789abcdef0123456789abcdef"));
        let (b, e) = ids();
        let t = s.sign(&b, &e);
        assert!(
            t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{t}"
        );
        let u = s.verify(&t).unwrap();
        assert_eq!(u.bulletin, b);
        assert_eq!(u.email.as_str(), "jo.bloggs@nhs.example");
    }

    #[test]
    fn tampering_and_forgery_are_refused() {
        let s = Signer::new("k1", Secret::new("0123456789abcdef0123456789abcdef"));
        let (b, e) = ids();
        let t = s.sign(&b, &e);
        // Another address under the same signature.
        let forged_payload = URL_SAFE_NO_PAD.encode("k1:sscp-news:someone@else.example");
        let sig = t.split_once('.').unwrap().1;
        assert_eq!(
            s.verify(&format!("{forged_payload}.{sig}")),
            Err(TokenError::BadSignature)
        );
        // A flipped character in the signature.
        let mut bad = t.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == 'A' { 'B' } else { 'A' });
        assert!(s.verify(&bad).is_err());
        // Signed with another secret.
        let other = Signer::new("k1", Secret::new("another-secret-another-secret-00"));
        assert_eq!(s.verify(&other.sign(&b, &e)), Err(TokenError::BadSignature));
        assert_eq!(s.verify("garbage"), Err(TokenError::Malformed));
        // All refusals read the same.
        assert_eq!(
            TokenError::Malformed.to_string(),
            TokenError::BadSignature.to_string()
        );
    }

    #[test]
    fn rotation_keeps_old_links_working() {
        let (b, e) = ids();
        let old = Signer::new("k1", Secret::new("old-secret-old-secret-old-secret"));
        let link = old.sign(&b, &e);
        let new = Signer::new("k2", Secret::new("new-secret-new-secret-new-secret"))
            .with_retired("k1", Secret::new("old-secret-old-secret-old-secret"));
        assert!(new.verify(&link).is_ok());
        assert!(new.verify(&new.sign(&b, &e)).is_ok());
        let without = Signer::new("k2", Secret::new("new-secret-new-secret-new-secret"));
        assert_eq!(without.verify(&link), Err(TokenError::UnknownKey));
    }
}
