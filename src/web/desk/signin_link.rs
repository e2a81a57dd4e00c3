//! The one-time sign-in link: `link_id.expires.mac`, an HMAC-SHA256 under a key derived from
//! the unsubscribe secret and bound to this ledger's id, so a link made by another instance
//! (another project, another ledger) is refused before the ledger is asked. The id is random
//! and recorded in the ledger with the address it was sent to (the address is never in the
//! URL, which ends up in logs); the ledger also makes each link work once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::address::EmailAddress;
use crate::secret::Secret;
use crate::timestamp::Timestamp;

type HmacSha256 = Hmac<Sha256>;

/// How long a link works after it was sent.
pub const LINK_LIFETIME_SECS: i64 = 15 * 60;

/// The desk's signing key (links, and the CSRF token of a person signed in by the proxy).
#[derive(Clone)]
pub struct DeskKey([u8; 32]);

impl DeskKey {
    /// Derived from `secret` for this one purpose and bound to the ledger `ledger_id`.
    pub fn derive(secret: &Secret, ledger_id: &str) -> DeskKey {
        let mut mac =
            HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key");
        mac.update(b"bulletin desk sign-in v1\0");
        mac.update(ledger_id.as_bytes());
        DeskKey(mac.finalize().into_bytes().into())
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key");
        for p in parts {
            mac.update(p);
            mac.update(b"\0");
        }
        mac
    }

    /// A link token for the random `link_id`, working until `expires`.
    pub fn sign_link(&self, link_id: &str, expires: Timestamp) -> String {
        let exp = expires.secs().to_string();
        let tag = self
            .mac(&[b"link", link_id.as_bytes(), exp.as_bytes()])
            .finalize();
        format!(
            "{link_id}.{exp}.{}",
            URL_SAFE_NO_PAD.encode(tag.into_bytes())
        )
    }

    /// The link id and expiry of a token this key signed (checked in constant time); `None`
    /// for anything else. Whether it has expired or was used is for the caller to decide.
    pub fn read_link(&self, token: &str) -> Option<(String, Timestamp)> {
        let mut parts = token.split('.');
        let (Some(id), Some(exp), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(&[b"link", id.as_bytes(), exp.as_bytes()])
            .verify_slice(&tag)
            .ok()?;
        Some((id.to_string(), Timestamp::from(exp.parse::<i64>().ok()?)))
    }

    /// The CSRF token of a person the single sign-on proxy vouches for (who has no session).
    pub fn proxy_csrf(&self, email: &EmailAddress) -> String {
        let tag = self
            .mac(&[b"proxy csrf", email.key().as_bytes()])
            .finalize();
        URL_SAFE_NO_PAD.encode(tag.into_bytes())
    }
}

/// `n` random bytes from the operating system, URL-safe base64.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the operating system gives random bytes");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 as hex: how session secrets and typed-in addresses are kept in the ledger.
pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The email carrying a link: plain text, no name or anything personal but the address.
pub fn message(
    from: &EmailAddress,
    to: &EmailAddress,
    link: &str,
    org: &str,
    now: Timestamp,
) -> Vec<u8> {
    let date = chrono::DateTime::from_timestamp(now.secs(), 0)
        .unwrap_or_default()
        .to_rfc2822();
    let id = random_token(18);
    format!(
        "Date: {date}\r\nFrom: {from}\r\nTo: {to}\r\nSubject: Your link to sign in to the desk\r\n\
         Message-ID: <desk.{id}@{domain}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\
         Auto-Submitted: auto-generated\r\n\r\n\
         Somebody (we hope you) asked to sign in to the desk of {org}.\r\n\r\n\
         Open this link within 15 minutes to sign in. It works once:\r\n\r\n{link}\r\n\r\n\
         If you did not ask, you can ignore this email: nobody can sign in without the link.\r\n",
        domain = from.domain(),
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ledger: &str) -> DeskKey {
        DeskKey::derive(&Secret::new("0123456789abcdef0123456789abcdef"), ledger)
    }

    #[test]
    fn a_link_reads_back_and_nothing_else_does() {
        let k = key("ledger-a");
        let t = k.sign_link("abc", Timestamp::from(1000));
        assert_eq!(k.read_link(&t), Some(("abc".into(), Timestamp::from(1000))));
        // Another ledger's key (another instance) refuses it.
        assert_eq!(key("ledger-b").read_link(&t), None);
        // A later expiry under the same tag is refused.
        let bent = t.replace(".1000.", ".9999.");
        assert_eq!(k.read_link(&bent), None);
        assert_eq!(k.read_link("abc.1000"), None);
        assert_eq!(k.read_link(""), None);
    }

    #[test]
    fn tokens_are_random_and_hashes_are_hex() {
        assert_ne!(random_token(32), random_token(32));
        assert_eq!(random_token(32).len(), 43);
        assert_eq!(sha256_hex("x").len(), 64);
    }
}
