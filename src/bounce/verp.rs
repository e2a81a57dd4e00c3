//! VERP return paths: every delivery gets its own envelope sender,
//! `bounces+<delivery id>-<tag>@domain`, so a bounce names the delivery it is about without
//! anyone having to parse a remote server's idea of the recipient. The tag is a truncated
//! HMAC-SHA256 of the delivery id under a key derived from the unsubscribe secret, so a forged
//! or tampered bounce cannot suppress anyone.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::address::EmailAddress;
use crate::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the HMAC kept in the tag: 64 bits, written as 16 lower-case hex digits (lower
/// case because some mail systems fold the local part's case).
const TAG_BYTES: usize = 8;

/// Signs and verifies VERP addresses for one bounce address.
#[derive(Clone)]
pub struct Verp {
    local: String,
    domain: String,
    /// The current key first, then keys derived from retired unsubscribe secrets, so bounces of
    /// mail sent before a rotation are still recognised.
    keys: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Verp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Verp({}@{}, [redacted])", self.local, self.domain)
    }
}

/// A key of its own for VERP tags, derived from an unsubscribe secret: a tag can never be
/// replayed as an unsubscribe signature or the other way round.
fn derive(secret: &Secret) -> Vec<u8> {
    let mut mac =
        HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key");
    mac.update(b"bulletin/verp/v1");
    mac.finalize().into_bytes().to_vec()
}

fn tag(key: &[u8], delivery: i64) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key");
    mac.update(delivery.to_string().as_bytes());
    mac.finalize().into_bytes()[..TAG_BYTES]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Verp {
    /// `address` is the configured bounce address (`bounces@example.org`); `secrets` the
    /// unsubscribe secrets, current first.
    pub fn new<'a>(address: &EmailAddress, secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let (local, domain) = address
            .as_str()
            .rsplit_once('@')
            .expect("a parsed address has an @");
        Verp {
            local: local.to_string(),
            domain: domain.to_ascii_lowercase(),
            keys: secrets.into_iter().map(derive).collect(),
        }
    }

    /// The envelope sender for one delivery.
    pub fn address(&self, delivery: i64) -> String {
        let key = self.keys.first().map(Vec::as_slice).unwrap_or_default();
        format!(
            "{}+{delivery}-{}@{}",
            self.local,
            tag(key, delivery),
            self.domain
        )
    }

    /// The delivery a VERP address was made for, or `None` when it is not one of ours or its
    /// tag does not match (forged or tampered). Compared in constant time.
    pub fn verify(&self, address: &str) -> Option<i64> {
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, domain) = address.rsplit_once('@')?;
        if !domain.eq_ignore_ascii_case(&self.domain) {
            return None;
        }
        let (base, token) = local.split_once('+')?;
        if !base.eq_ignore_ascii_case(&self.local) {
            return None;
        }
        let (id, given) = token.split_once('-')?;
        if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let delivery: i64 = id.parse().ok()?;
        let given = given.to_ascii_lowercase();
        self.keys
            .iter()
            .any(|k| constant_time_eq(tag(k, delivery).as_bytes(), given.as_bytes()))
            .then_some(delivery)
    }

    /// Every VERP address of ours in `text` (a header value, a whole message), in order, each
    /// with the delivery it verifies to; forged ones are left out.
    pub fn find_in(&self, text: &str) -> Vec<i64> {
        let needle = format!("{}+", self.local.to_ascii_lowercase());
        let lower = text.to_ascii_lowercase();
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(i) = lower[from..].find(&needle) {
            let start = from + i;
            // The address must start here: not in the middle of a longer local part.
            let boundary = start == 0
                || !lower.as_bytes()[start - 1].is_ascii_alphanumeric()
                    && !b".+-_".contains(&lower.as_bytes()[start - 1]);
            let end = lower[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || "+-_.@".contains(c)))
                .map_or(lower.len(), |e| start + e);
            if boundary
                && let Some(d) = self.verify(&text[start..end])
                && !found.contains(&d)
            {
                found.push(d);
            }
            from = start + needle.len();
        }
        found
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verp() -> Verp {
        Verp::new(
            &EmailAddress::parse("bounces@News.example").unwrap(),
            [&Secret::new("0123456789abcdef0123456789abcdef")],
        )
    }

    #[test]
    fn round_trips_and_survives_case_folding() {
        let v = verp();
        let a = v.address(4711);
        assert!(
            a.starts_with("bounces+4711-") && a.ends_with("@news.example"),
            "{a}"
        );
        assert_eq!(v.verify(&a), Some(4711));
        assert_eq!(v.verify(&a.to_ascii_uppercase()), Some(4711));
        assert_eq!(v.verify(&format!("<{a}>")), Some(4711));
    }

    #[test]
    fn forged_and_tampered_addresses_are_refused() {
        let v = verp();
        let a = v.address(4711);
        let tag = a.split_once('-').unwrap().1.split_once('@').unwrap().0;
        // Another delivery under the same tag.
        assert_eq!(v.verify(&format!("bounces+4712-{tag}@news.example")), None);
        // A flipped digit in the tag.
        let flipped = a.replacen(&tag[..1], if &tag[..1] == "0" { "1" } else { "0" }, 1);
        assert_eq!(v.verify(&flipped), None);
        // Another secret, another domain, no tag.
        let other = Verp::new(
            &EmailAddress::parse("bounces@news.example").unwrap(),
            [&Secret::new("another-secret-another-secret-00")],
        );
        assert_eq!(v.verify(&other.address(4711)), None);
        assert_eq!(v.verify(&a.replace("news.example", "evil.example")), None);
        assert_eq!(v.verify("bounces+4711@news.example"), None);
        assert_eq!(v.verify("bounces@news.example"), None);
    }

    #[test]
    fn retired_secrets_still_verify() {
        let old = Secret::new("old-secret-old-secret-old-secret");
        let new = Secret::new("new-secret-new-secret-new-secret");
        let addr = EmailAddress::parse("bounces@news.example").unwrap();
        let before = Verp::new(&addr, [&old]).address(9);
        assert_eq!(Verp::new(&addr, [&new, &old]).verify(&before), Some(9));
        assert_eq!(Verp::new(&addr, [&new]).verify(&before), None);
    }

    #[test]
    fn finds_addresses_in_text() {
        let v = verp();
        let a = v.address(12);
        let text = format!(
            "To: <{a}>\r\nX-Other: mybounces+1-0000000000000000@news.example\r\nFrom: {}\r\n",
            v.address(13)
        );
        assert_eq!(v.find_in(&text), vec![12, 13]);
    }
}
