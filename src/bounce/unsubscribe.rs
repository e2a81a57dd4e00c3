//! Unsubscribe requests by mail. The `mailto:` of List-Unsubscribe goes to the bounce mailbox
//! with the subject `unsubscribe <token>`, the same sealed token as the https link
//! ([`crate::token`]). The token, never the From header (which anyone can write), names whom
//! to unsubscribe from which bulletin.

use crate::token::{Signer, Unsubscribe};

/// Words after `unsubscribe` tried as tokens in one subject: each is a decryption, and a
/// hostile subject may repeat the word many times.
const MAX_TRIED: usize = 8;

/// What a message's subject asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// No `unsubscribe <word>` in it: not a request of ours.
    None,
    /// `unsubscribe <word>`, but no word is a valid token: forged, mangled or another sender's.
    Invalid,
    /// A valid token: this address leaves this bulletin.
    Valid(Unsubscribe),
}

/// The request in `subject` (unfolded), if any. `Re:` or `Fwd:` before it are fine; the
/// word after `unsubscribe` must be a token signed with one of `signer`'s keys.
pub fn request(subject: Option<&str>, signer: &Signer) -> Request {
    let Some(subject) = subject else {
        return Request::None;
    };
    let words: Vec<&str> = subject.split_whitespace().collect();
    let tokens = words
        .windows(2)
        .filter(|w| w[0].eq_ignore_ascii_case("unsubscribe"))
        .map(|w| w[1].trim_matches(|c: char| matches!(c, '<' | '>' | '"' | '\'')))
        .take(MAX_TRIED);
    let mut seen = false;
    for token in tokens {
        seen = true;
        if let Ok(u) = signer.verify(token) {
            return Request::Valid(u);
        }
    }
    if seen {
        Request::Invalid
    } else {
        Request::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::EmailAddress;
    use crate::ids::BulletinId;
    use crate::secret::Secret;

    fn signer(secret: &str) -> Signer {
        Signer::new("k1", Secret::new(secret.to_string()))
    }

    #[test]
    fn only_a_signed_token_after_unsubscribe_is_a_request() {
        let s = signer("a-secret-a-secret-a-secret-a-secret-0123");
        let b = BulletinId::parse("news").unwrap();
        let e = EmailAddress::parse("jo@x.example").unwrap();
        let t = s.sign(&b, &e);
        let valid = Request::Valid(Unsubscribe {
            bulletin: b.clone(),
            email: e.clone(),
        });
        assert_eq!(request(Some(&format!("unsubscribe {t}")), &s), valid);
        assert_eq!(request(Some(&format!("Re: UNSUBSCRIBE <{t}>")), &s), valid);
        assert_eq!(request(Some("unsubscribe news"), &s), Request::Invalid);
        let other = signer("another-secret-another-secret-another-0123").sign(&b, &e);
        assert_eq!(
            request(Some(&format!("unsubscribe {other}")), &s),
            Request::Invalid
        );
        assert_eq!(request(Some(&format!("hello {t}")), &s), Request::None);
        assert_eq!(request(Some("unsubscribe"), &s), Request::None);
        assert_eq!(request(None, &s), Request::None);
    }
}
