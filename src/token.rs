//! Unsubscribe tokens: who (address) leaves what (bulletin), signed with HMAC-SHA256 so a link
//! needs no login and cannot be forged. The key id travels in the token, so a secret can be
//! rotated while links already in inboxes keep working.
//!
//! The address is encrypted, not merely encoded: unsubscribe URLs end up in proxy, gateway and
//! web server logs, and an address there is personal data. A token is
//! `key_id.base64url(ciphertext).base64url(tag)`, sealed with AES-SIV (RFC 5297, the RustCrypto
//! `aes-siv` crate) under a key derived from the secret, with the key id as associated data.
//! SIV is deterministic by design (one token per bulletin and address, so a resent message is
//! the same message), authenticated (any change to key id, ciphertext or tag is refused), and
//! the padded plaintext reveals only the length rounded up to 16.
//! Tokens of the first format (`base64url(key_id:bulletin:address).base64url(hmac)`) are still
//! accepted, so links in old issues keep working.

use aes_siv::siv::Aes128Siv;
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
    /// The derived keys of `current` and then each of `retired`, in that order, derived once
    /// (a token is made for every message sent).
    keys: Vec<Keys>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer(key_id = {}, [redacted])", self.current.0)
    }
}

impl Signer {
    pub fn new(key_id: &str, secret: Secret) -> Self {
        Signer {
            keys: vec![Keys::derive(&secret)],
            current: (key_id.to_string(), secret),
            retired: Vec::new(),
        }
    }

    /// Keep accepting links signed with an older key.
    pub fn with_retired(mut self, key_id: &str, secret: Secret) -> Self {
        self.keys.push(Keys::derive(&secret));
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

    /// The secret and derived keys of `key_id`.
    fn key(&self, key_id: &str) -> Result<(&Secret, &Keys), TokenError> {
        std::iter::once(&self.current)
            .chain(self.retired.iter())
            .zip(self.keys.iter())
            .find(|((id, _), _)| id == key_id)
            .map(|((_, s), k)| (s, k))
            .ok_or(TokenError::UnknownKey)
    }

    /// `key_id.base64url(ciphertext).base64url(tag)`: URL-safe, no padding, and no part of it
    /// decodes to the address.
    pub fn sign(&self, bulletin: &BulletinId, email: &EmailAddress) -> String {
        let key_id = &self.current.0;
        let keys = &self.keys[0];
        let mut plain = format!("{bulletin}\0{}", email.key()).into_bytes();
        plain.resize(plain.len().div_ceil(PAD) * PAD, 0);
        let sealed = keys.seal(key_id, &plain);
        let (tag, ciphertext) = sealed.split_at(TAG);
        let mut out = format!("{key_id}.");
        URL_SAFE_NO_PAD.encode_string(ciphertext, &mut out);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut out);
        out
    }

    /// Check a token in constant time and say whom it unsubscribes from what.
    pub fn verify(&self, token: &str) -> Result<Unsubscribe, TokenError> {
        let parts: Vec<&str> = token.split('.').collect();
        match parts[..] {
            [key_id, ciphertext, tag] => self.verify_opaque(key_id, ciphertext, tag),
            [payload, tag] => self.verify_legacy(payload, tag),
            _ => Err(TokenError::Malformed),
        }
    }

    fn verify_opaque(
        &self,
        key_id: &str,
        ciphertext: &str,
        tag: &str,
    ) -> Result<Unsubscribe, TokenError> {
        let ciphertext = URL_SAFE_NO_PAD
            .decode(ciphertext)
            .map_err(|_| TokenError::Malformed)?;
        let mut sealed = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| TokenError::Malformed)?;
        if sealed.len() != TAG || ciphertext.is_empty() || ciphertext.len() % PAD != 0 {
            return Err(TokenError::Malformed);
        }
        sealed.extend_from_slice(&ciphertext);
        let (_, keys) = self.key(key_id)?;
        let plain = keys.open(key_id, &sealed).ok_or(TokenError::BadSignature)?;
        let end = plain.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        let text = std::str::from_utf8(&plain[..end]).map_err(|_| TokenError::Malformed)?;
        let (bulletin, email) = text.split_once('\0').ok_or(TokenError::Malformed)?;
        Self::unsubscribe(bulletin, email)
    }

    /// The first format: `base64url(key_id:bulletin:address) . base64url(hmac)`.
    fn verify_legacy(&self, p: &str, t: &str) -> Result<Unsubscribe, TokenError> {
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
        Self::mac(self.key(key_id)?.0, &payload)
            .verify_slice(&tag)
            .map_err(|_| TokenError::BadSignature)?;
        Self::unsubscribe(bulletin, email)
    }

    /// The request a token's two fields (as signed text) make.
    fn unsubscribe(id: &str, address: &str) -> Result<Unsubscribe, TokenError> {
        Ok(Unsubscribe {
            bulletin: BulletinId::parse(id).map_err(|_| TokenError::Malformed)?,
            email: EmailAddress::parse(address).map_err(|_| TokenError::Malformed)?,
        })
    }

    /// `text` sealed for one `purpose` (a confirmation link, …): `key_id.ciphertext.tag` like an
    /// unsubscribe token, with the purpose bound as associated data, so a token made for one
    /// purpose is refused by every other (an unsubscribe link is never a confirmation link).
    pub fn seal_for(&self, purpose: &str, text: &str) -> String {
        let key_id = &self.current.0;
        let mut plain = text.as_bytes().to_vec();
        plain.resize(plain.len().div_ceil(PAD).max(1) * PAD, 0);
        let sealed = self.keys[0]
            .cipher()
            .encrypt([key_id.as_bytes(), purpose.as_bytes()], plain.as_slice())
            .expect("the padded plaintext is never shorter than one block");
        let (tag, ciphertext) = sealed.split_at(TAG);
        let mut out = format!("{key_id}.");
        URL_SAFE_NO_PAD.encode_string(ciphertext, &mut out);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut out);
        out
    }

    /// The text of a token [`Signer::seal_for`] made for `purpose` under any known key.
    pub fn open_for(&self, purpose: &str, token: &str) -> Result<String, TokenError> {
        let [key_id, ciphertext, tag] = token.split('.').collect::<Vec<_>>()[..] else {
            return Err(TokenError::Malformed);
        };
        let ciphertext = URL_SAFE_NO_PAD
            .decode(ciphertext)
            .map_err(|_| TokenError::Malformed)?;
        let mut sealed = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| TokenError::Malformed)?;
        if sealed.len() != TAG || ciphertext.is_empty() || ciphertext.len() % PAD != 0 {
            return Err(TokenError::Malformed);
        }
        sealed.extend_from_slice(&ciphertext);
        let (_, keys) = self.key(key_id)?;
        let plain = keys
            .cipher()
            .decrypt([key_id.as_bytes(), purpose.as_bytes()], sealed.as_slice())
            .map_err(|_| TokenError::BadSignature)?;
        let end = plain.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        String::from_utf8(plain[..end].to_vec()).map_err(|_| TokenError::Malformed)
    }

    /// The address as the ledger may keep it after an erasure: `sha256:` and the HMAC-SHA256
    /// of its compared form under each known secret (current first), so the same address is
    /// recognised without being readable, and only with the project's key.
    pub fn address_hashes(&self, email: &EmailAddress) -> Vec<String> {
        self.secrets()
            .map(|s| {
                let tag = Self::mac(
                    s,
                    format!("bulletin address hash v1\0{}", email.key()).as_bytes(),
                )
                .finalize()
                .into_bytes();
                let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
                format!("sha256:{hex}")
            })
            .collect()
    }

    /// A token in the first format, which carried the address in plain base64. Only for
    /// tests that check old links keep working.
    #[doc(hidden)]
    pub fn sign_legacy(&self, bulletin: &BulletinId, email: &EmailAddress) -> String {
        let payload = format!("{}:{}:{}", self.current.0, bulletin, email.key());
        let tag = Self::mac(&self.current.1, payload.as_bytes())
            .finalize()
            .into_bytes();
        let mut out = URL_SAFE_NO_PAD.encode(payload.as_bytes());
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut out);
        out
    }
}

/// The plaintext is padded with NUL bytes (which no id or address holds) to a multiple of this,
/// so a token's length says little about the address's.
const PAD: usize = 16;
/// Bytes of the SIV tag (AES-SIV's synthetic IV, which is also its authenticator).
const TAG: usize = 16;

/// The AES-SIV key of the opaque format, derived from the secret for this one purpose.
#[derive(Clone)]
struct Keys {
    siv: [u8; 32],
}

impl Keys {
    fn derive(secret: &Secret) -> Keys {
        let key = Signer::mac(secret, b"bulletin unsubscribe token v2: aes-siv")
            .finalize()
            .into_bytes();
        let mut siv = [0; 32];
        siv.copy_from_slice(&key);
        Keys { siv }
    }

    fn cipher(&self) -> Aes128Siv {
        Aes128Siv::new(&self.siv.into())
    }

    /// Tag ‖ ciphertext of `padded`, with the key id bound as associated data.
    fn seal(&self, key_id: &str, padded: &[u8]) -> Vec<u8> {
        self.cipher()
            .encrypt([key_id.as_bytes()], padded)
            .expect("the padded plaintext is never shorter than one block")
    }

    /// The plaintext, if `sealed` (tag ‖ ciphertext) is authentic under this key and key id.
    fn open(&self, key_id: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        self.cipher().decrypt([key_id.as_bytes()], sealed).ok()
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
    fn a_token_for_one_purpose_opens_for_no_other() {
        let s = Signer::new("k1", Secret::new("a secret of thirty-two bytes or more!!"));
        let t = s.seal_for("confirm", "12\0abc\x001700000000");
        assert_eq!(s.open_for("confirm", &t).unwrap(), "12\0abc\x001700000000");
        assert!(s.open_for("prefs", &t).is_err());
        assert!(s.verify(&t).is_err());
        let (b, e) = ids();
        assert!(s.open_for("confirm", &s.sign(&b, &e)).is_err());
        let mut bent = t.clone().into_bytes();
        let i = bent.len() - 3;
        bent[i] = if bent[i] == b'A' { b'B' } else { b'A' };
        assert!(
            s.open_for("confirm", &String::from_utf8(bent).unwrap())
                .is_err()
        );
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
        // Another address under the same signature (first format).
        let forged_payload = URL_SAFE_NO_PAD.encode("k1:sscp-news:someone@else.example");
        let legacy = s.sign_legacy(&b, &e);
        let sig = legacy.split_once('.').unwrap().1;
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
    fn no_part_of_a_token_reveals_the_address() {
        let s = Signer::new("k1", Secret::new("0123456789abcdef0123456789abcdef"));
        let (b, e) = ids();
        let t = s.sign(&b, &e);
        assert_eq!(t.split('.').count(), 3, "{t}");
        assert!(t.starts_with("k1."), "{t}");
        for part in t.split('.') {
            let decoded = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
            let text = String::from_utf8_lossy(&decoded).to_lowercase();
            assert!(
                !text.contains("bloggs") && !text.contains("nhs.example"),
                "{part}"
            );
            assert!(!part.to_lowercase().contains("bloggs"), "{part}");
        }
        // Deterministic: the same recipient gets the same link in every copy.
        assert_eq!(t, s.sign(&b, &e));
        // Another address, another token; similar lengths.
        let other = s.sign(&b, &EmailAddress::parse("x@y.example").unwrap());
        assert_ne!(t, other);
        assert_eq!(t.len(), other.len());
    }

    #[test]
    fn old_format_links_still_work_and_cannot_be_bent() {
        let s = Signer::new("k1", Secret::new("0123456789abcdef0123456789abcdef"));
        let (b, e) = ids();
        let old = s.sign_legacy(&b, &e);
        assert_eq!(old.split('.').count(), 2);
        assert_eq!(s.verify(&old).unwrap().email.key(), e.key());
        // Every single-character change to a new token is refused.
        let t = s.sign(&b, &e);
        for i in 0..t.len() {
            let mut bytes = t.clone().into_bytes();
            if bytes[i] == b'.' {
                continue;
            }
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let bent = String::from_utf8(bytes).unwrap();
            assert!(s.verify(&bent).is_err(), "{bent}");
        }
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
