//! VERP return paths: every delivery gets its own envelope sender,
//! `bounces+<delivery id>-<tag>@domain`, so a bounce names the delivery it is about without
//! anyone having to parse a remote server's idea of the recipient. The tag is a truncated
//! HMAC-SHA256, under a key derived from the unsubscribe secret, of the ledger's id, the
//! delivery id and the recipient's address: a forged or tampered bounce cannot suppress anyone,
//! and neither can a real bounce fed to another ledger that shares the secret (delivery ids
//! start at 1 in every ledger, and start again in one restored from a backup), because there
//! delivery N is another ledger's or another person's.
//!
//! Return paths signed before the tag covered the ledger and the recipient (the delivery id
//! alone, "legacy") are still out in the world for a while; [`Signed::Legacy`] lets the caller
//! accept them only when the report itself names the delivery's recipient.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::address::EmailAddress;
use crate::secret::Secret;
use crate::store::LedgerId;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the HMAC kept in the tag: 64 bits, written as 16 lower-case hex digits (lower
/// case because some mail systems fold the local part's case).
const TAG_BYTES: usize = 8;

/// Digits a delivery id may have in a return path (an `i64`).
const MAX_ID_DIGITS: usize = 18;

/// Distinct return paths looked at in one message. A real report carries one or two (its
/// envelope recipient, the quoted original's `Return-Path`); every one may cost a ledger
/// lookup, so a message stuffed with look-alikes costs no more than this many.
pub const MAX_CANDIDATES: usize = 32;

/// Signs and verifies VERP addresses for one bounce address.
#[derive(Clone)]
pub struct Verp {
    local: String,
    domain: String,
    /// The current secret's keys first, then those of retired unsubscribe secrets, so bounces
    /// of mail sent before a rotation are still recognised.
    keys: Vec<Keys>,
}

/// The two keys one secret gives: the bound tags made now, and the legacy ones made before.
#[derive(Clone)]
struct Keys {
    bound: Vec<u8>,
    legacy: Vec<u8>,
}

impl std::fmt::Debug for Verp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Verp({}@{}, [redacted])", self.local, self.domain)
    }
}

/// A key of its own for VERP tags, derived from an unsubscribe secret: a tag can never be
/// replayed as an unsubscribe signature or the other way round.
fn derive(secret: &Secret, purpose: &[u8]) -> Vec<u8> {
    let mut mac =
        HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key");
    mac.update(purpose);
    mac.finalize().into_bytes().to_vec()
}

fn hex_tag(mac: HmacSha256) -> String {
    mac.finalize().into_bytes()[..TAG_BYTES]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The tag of return paths made before it covered the ledger and the recipient.
fn legacy_tag(key: &[u8], delivery: i64) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key");
    mac.update(delivery.to_string().as_bytes());
    hex_tag(mac)
}

/// The tag: each field length-prefixed, so no two different triples sign the same bytes.
fn bound_tag(key: &[u8], ledger: &LedgerId, delivery: i64, email_key: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key");
    for field in [
        ledger.as_str().as_bytes(),
        delivery.to_string().as_bytes(),
        email_key.as_bytes(),
    ] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field);
    }
    hex_tag(mac)
}

/// A return path of ours as it appears in a message: the delivery it names and the tag it
/// carries, not yet verified (that needs the delivery's recipient, from the ledger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub delivery: i64,
    tag: String,
}

/// What a candidate's tag proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    /// Signed for this ledger, this delivery and this recipient.
    Bound,
    /// Signed the old way, for this delivery id only: it may be another ledger's delivery.
    Legacy,
    /// Not signed by us (forged, tampered), or for another ledger or recipient.
    No,
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
            keys: secrets
                .into_iter()
                .map(|s| Keys {
                    bound: derive(s, b"bulletin/verp/v2"),
                    legacy: derive(s, b"bulletin/verp/v1"),
                })
                .collect(),
        }
    }

    /// The envelope sender for one delivery of the ledger `ledger`, to `email_key` (the
    /// recipient's address as the ledger keys it).
    pub fn address(&self, ledger: &LedgerId, delivery: i64, email_key: &str) -> String {
        let tag = self
            .keys
            .first()
            .map(|k| bound_tag(&k.bound, ledger, delivery, email_key))
            .unwrap_or_default();
        format!("{}+{delivery}-{tag}@{}", self.local, self.domain)
    }

    /// The return path `address` would be if it is one of ours: our bounce address with a
    /// delivery id and a tag of the right shape. Says nothing yet about the tag's validity.
    pub fn candidate(&self, address: &str) -> Option<Candidate> {
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
        if id.is_empty() || id.len() > MAX_ID_DIGITS || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if given.len() != 2 * TAG_BYTES || !given.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Candidate {
            delivery: id.parse().ok()?,
            tag: given.to_ascii_lowercase(),
        })
    }

    /// Whether `c` was signed by us for delivery `c.delivery` of the ledger `ledger`, sent to
    /// `email_key`. Compared in constant time.
    pub fn check(&self, c: &Candidate, ledger: &LedgerId, email_key: &str) -> Signed {
        let given = c.tag.as_bytes();
        if self.keys.iter().any(|k| {
            constant_time_eq(
                bound_tag(&k.bound, ledger, c.delivery, email_key).as_bytes(),
                given,
            )
        }) {
            Signed::Bound
        } else if self
            .keys
            .iter()
            .any(|k| constant_time_eq(legacy_tag(&k.legacy, c.delivery).as_bytes(), given))
        {
            Signed::Legacy
        } else {
            Signed::No
        }
    }

    /// Every return path of ours in `text` (a header value, a whole message), in order and
    /// without repeats, at most [`MAX_CANDIDATES`]. One pass: each look-alike is read no
    /// further than the longest address of ours could reach, so a message made of nothing
    /// but `bounces+` costs time in proportion to its length.
    pub fn candidates_in(&self, text: &str) -> Vec<Candidate> {
        let needle = format!("{}+", self.local.to_ascii_lowercase());
        // bounces+<id>-<tag>@<domain>, and one more byte to see where it ends.
        let longest = needle.len() + MAX_ID_DIGITS + 1 + 2 * TAG_BYTES + 1 + self.domain.len();
        let bytes = text.as_bytes();
        let mut found: Vec<Candidate> = Vec::new();
        let mut from = 0;
        while found.len() < MAX_CANDIDATES {
            let Some(i) = find_ignore_case(&bytes[from..], needle.as_bytes()) else {
                break;
            };
            let start = from + i;
            from = start + needle.len();
            // The address must start here: not in the middle of a longer local part.
            let boundary = start == 0 || !is_local_char(bytes[start - 1]);
            if !boundary {
                continue;
            }
            let window = &bytes[start..bytes.len().min(start + longest + 1)];
            let Some(len) = window
                .iter()
                .position(|b| !(is_local_char(*b) || *b == b'@'))
            else {
                // Longer than any address of ours, or running to the end of the text.
                if window.len() <= longest
                    && let Some(c) = self.candidate(&text[start..])
                    && !found.contains(&c)
                {
                    found.push(c);
                }
                continue;
            };
            // Every byte before `len` is ASCII, so this is a character boundary.
            if let Some(c) = self.candidate(&text[start..start + len])
                && !found.contains(&c)
            {
                found.push(c);
            }
        }
        found
    }
}

/// A byte that may be part of a local part or domain of ours.
fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".+-_".contains(&b)
}

/// The first place `needle` (lower-case ASCII) occurs in `hay`, ignoring ASCII case.
fn find_ignore_case(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle.first()?;
    let upper = first.to_ascii_uppercase();
    let mut at = 0;
    while at + needle.len() <= hay.len() {
        let i = hay[at..=hay.len() - needle.len()]
            .iter()
            .position(|b| b == first || *b == upper)?;
        let s = at + i;
        if hay[s..s + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(s);
        }
        at = s + 1;
    }
    None
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `text` names `address` (ASCII case ignored) as a whole address, not as the tail of
/// a longer one (`jo@x` in `bojo@x`) or the start of one (`jo@x` in `jo@x.example`).
pub fn mentions(text: &str, address: &str) -> bool {
    let needle = address.to_ascii_lowercase();
    let (hay, needle) = (text.as_bytes(), needle.as_bytes());
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(i) = find_ignore_case(&hay[from..], needle) {
        let start = from + i;
        let end = start + needle.len();
        let before = start == 0 || !is_local_char(hay[start - 1]);
        let after = end == hay.len() || !(is_local_char(hay[end]) || hay[end] == b'@');
        if before && after {
            return true;
        }
        from = start + 1;
    }
    false
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

    fn ledger(id: &str) -> LedgerId {
        LedgerId::new(id)
    }

    fn signed(v: &Verp, address: &str, l: &LedgerId, key: &str) -> Option<(i64, Signed)> {
        let c = v.candidate(address)?;
        Some((c.delivery, v.check(&c, l, key)))
    }

    #[test]
    fn round_trips_and_survives_case_folding() {
        let v = verp();
        let l = ledger("aaaa");
        let a = v.address(&l, 4711, "jo@x.example");
        assert!(
            a.starts_with("bounces+4711-") && a.ends_with("@news.example"),
            "{a}"
        );
        let ok = Some((4711, Signed::Bound));
        assert_eq!(signed(&v, &a, &l, "jo@x.example"), ok);
        assert_eq!(signed(&v, &a.to_ascii_uppercase(), &l, "jo@x.example"), ok);
        assert_eq!(signed(&v, &format!("<{a}>"), &l, "jo@x.example"), ok);
    }

    #[test]
    fn another_ledger_or_recipient_does_not_verify() {
        let v = verp();
        let a = v.address(&ledger("aaaa"), 5, "jo@x.example");
        assert_eq!(
            signed(&v, &a, &ledger("bbbb"), "jo@x.example"),
            Some((5, Signed::No))
        );
        assert_eq!(
            signed(&v, &a, &ledger("aaaa"), "sam@x.example"),
            Some((5, Signed::No))
        );
    }

    #[test]
    fn legacy_tags_verify_only_as_legacy() {
        let v = verp();
        let key = derive(
            &Secret::new("0123456789abcdef0123456789abcdef"),
            b"bulletin/verp/v1",
        );
        let old = format!("bounces+9-{}@news.example", legacy_tag(&key, 9));
        assert_eq!(
            signed(&v, &old, &ledger("aaaa"), "jo@x.example"),
            Some((9, Signed::Legacy))
        );
    }

    #[test]
    fn forged_and_tampered_addresses_are_refused() {
        let v = verp();
        let l = ledger("aaaa");
        let a = v.address(&l, 4711, "jo@x.example");
        let tag = a.split_once('-').unwrap().1.split_once('@').unwrap().0;
        let check = |s: &str| signed(&v, s, &l, "jo@x.example").map(|(_, s)| s);
        // Another delivery under the same tag.
        assert_eq!(
            check(&format!("bounces+4712-{tag}@news.example")),
            Some(Signed::No)
        );
        // A flipped digit in the tag.
        let first = if tag.starts_with('0') { "1" } else { "0" };
        let flipped = format!("bounces+4711-{first}{}@news.example", &tag[1..]);
        assert_eq!(check(&flipped), Some(Signed::No));
        // Another secret, another domain, no tag.
        let other = Verp::new(
            &EmailAddress::parse("bounces@news.example").unwrap(),
            [&Secret::new("another-secret-another-secret-00")],
        );
        assert_eq!(
            check(&other.address(&l, 4711, "jo@x.example")),
            Some(Signed::No)
        );
        assert_eq!(check(&a.replace("news.example", "evil.example")), None);
        assert_eq!(check("bounces+4711@news.example"), None);
        assert_eq!(check("bounces@news.example"), None);
    }

    #[test]
    fn retired_secrets_still_verify() {
        let old = Secret::new("old-secret-old-secret-old-secret");
        let new = Secret::new("new-secret-new-secret-new-secret");
        let addr = EmailAddress::parse("bounces@news.example").unwrap();
        let l = ledger("aaaa");
        let before = Verp::new(&addr, [&old]).address(&l, 9, "jo@x.example");
        let both = Verp::new(&addr, [&new, &old]);
        assert_eq!(
            signed(&both, &before, &l, "jo@x.example"),
            Some((9, Signed::Bound))
        );
        let new_only = Verp::new(&addr, [&new]);
        assert_eq!(
            signed(&new_only, &before, &l, "jo@x.example"),
            Some((9, Signed::No))
        );
    }

    #[test]
    fn finds_addresses_in_text() {
        let v = verp();
        let l = ledger("aaaa");
        let a = v.address(&l, 12, "a@x.example");
        let text = format!(
            "To: <{a}>\r\nX-Other: mybounces+1-0000000000000000@news.example\r\nFrom: {}\r\nAgain: {a}",
            v.address(&l, 13, "b@x.example")
        );
        let ids: Vec<i64> = v.candidates_in(&text).iter().map(|c| c.delivery).collect();
        assert_eq!(ids, vec![12, 13]);
        // At the very end of the text, too.
        assert_eq!(v.candidates_in(&format!("x {a}")).len(), 1);
    }

    #[test]
    fn look_alikes_are_bounded() {
        let v = verp();
        let many: String = (0..1000)
            .map(|i| format!("bounces+{i}-0000000000000000@news.example "))
            .collect();
        assert_eq!(v.candidates_in(&many).len(), MAX_CANDIDATES);
        assert!(v.candidates_in(&"bounces+".repeat(10_000)).is_empty());
        let long = format!("bounces+1-0000000000000000{}@news.example", "0".repeat(100));
        assert!(v.candidates_in(&long).is_empty());
    }

    #[test]
    fn mentions_whole_addresses_only() {
        assert!(mentions(
            "Final-Recipient: rfc822; Jo@X.example\r\n",
            "jo@x.example"
        ));
        assert!(mentions("<jo@x.example>", "jo@x.example"));
        assert!(!mentions("bojo@x.example", "jo@x.example"));
        assert!(!mentions("jo@x.example.org", "jo@x.example"));
        assert!(mentions("bojo@x.example jo@x.example", "jo@x.example"));
    }
}
