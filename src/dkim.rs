//! DKIM signatures (RFC 6376) over the bytes each recipient gets, so receivers can tell the
//! bulletin really comes from the organisation's domain and RFC 8058 one-click unsubscribe
//! headers are trusted (they must be signed). relaxed/relaxed canonicalisation, RSA-SHA256 or
//! Ed25519-SHA256 (RFC 8463) with `ring`'s signing.
//!
//! The body differs per recipient only from their unsubscribe link on, so the body hash is not
//! started afresh for every message: the signer learns the body's shared prefix (up to the last
//! line before the first byte two messages differ in), hashes its canonical form once, and
//! resumes that SHA-256 state for every message that starts with the same bytes. The rest is
//! canonicalised and hashed as it is read, in spans of unchanged lines, without a copy.
//!
//! Why not a crate for the whole of DKIM: lettre's signer only signs its own `Message` type (we
//! build and splice MIME ourselves), and mail-auth's current release needs a newer Rust than
//! this project's; the part done here is canonicalisation and the header, checked in tests by
//! an independent verifier (Python's dkimpy).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{Ed25519KeyPair, RsaKeyPair};
use sha2::{Digest, Sha256};
use std::ops::Range;

/// The headers signed, in this order, when present: everything a reader trusts, including
/// RFC 8058's List-Unsubscribe and List-Unsubscribe-Post (a receiver honours one-click only
/// when they are signed).
pub const SIGNED_HEADERS: [&str; 11] = [
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "mime-version",
    "content-type",
];

/// Why a key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DkimKeyError {
    #[error("the DKIM key is not PEM: {0}")]
    Pem(String),
    #[error("the DKIM key is neither an RSA key nor an Ed25519 key ({0})")]
    Key(String),
}

enum Key {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// Signs messages for one domain and selector.
pub struct DkimSigner {
    domain: String,
    selector: String,
    key: Key,
    /// The shared body prefix learnt so far, and the body it is learnt from.
    prefix: std::sync::Mutex<Learnt>,
    /// The shared parts of the last issue signed with its layout given, canonical.
    layout: std::sync::Mutex<Option<std::sync::Arc<Layout>>>,
}

/// The parts of a body every recipient of an issue gets, between the personal parts (the
/// unsubscribe and preferences links), each kept as it is (to tell it is the same) and in
/// canonical form: a message then costs the SHA-256 of its canonical body (resumed after the
/// first part) and the canonicalisation of its personal parts only, not of the whole body.
struct Layout {
    /// The body up to the first personal part, and the hash's state after it.
    first: Prefix,
    /// The parts after each personal part.
    rest: Vec<Shared>,
}

/// A shared part after a personal one.
struct Shared {
    raw: Vec<u8>,
    /// `None` when it does not end a line (then it is canonicalised with what follows).
    canonical: Option<Canonical>,
}

/// Whole lines in relaxed canonical form: `bytes` up to the last line with content (empty
/// lines before it kept), and the empty lines after it, which count only if content follows.
#[derive(Default)]
struct Canonical {
    bytes: Vec<u8>,
    trailing_empty: usize,
}

impl Canonical {
    /// `part`'s lines, when it ends with a line end.
    fn of(part: &[u8]) -> Option<Canonical> {
        let mut c = Canonical::default();
        let Some(lines) = part.strip_suffix(b"\n") else {
            return part.is_empty().then(Canonical::default);
        };
        c.bytes.reserve(part.len());
        let mut line = Vec::new();
        for raw in lines.split(|&b| b == b'\n') {
            line.clear();
            relaxed_line(raw, &mut line);
            if line.is_empty() {
                c.trailing_empty += 1;
                continue;
            }
            for _ in 0..std::mem::take(&mut c.trailing_empty) {
                c.bytes.extend_from_slice(b"\r\n");
            }
            c.bytes.extend_from_slice(&line);
            c.bytes.extend_from_slice(b"\r\n");
        }
        Some(c)
    }
}

/// What the signer knows of the bodies it signs.
#[derive(Default)]
struct Learnt {
    /// The prefix every recent body began with, hashed.
    shared: Option<std::sync::Arc<Prefix>>,
    /// The last body that did not begin with it, to find the next prefix with.
    last: Option<Vec<u8>>,
}

/// A body prefix (whole lines) and the body hash's state after it.
struct Prefix {
    raw: Vec<u8>,
    hash: BodyHash,
}

/// A shared prefix shorter than this is not worth keeping.
const MIN_PREFIX: usize = 512;

impl std::fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DkimSigner(d={}, s={}, [redacted])",
            self.domain, self.selector
        )
    }
}

impl DkimSigner {
    /// A PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, RSA or Ed25519) or PKCS#1 (`BEGIN RSA
    /// PRIVATE KEY`), as `openssl genpkey` and `opendkim-genkey` write them.
    pub fn from_pem(domain: &str, selector: &str, pem: &[u8]) -> Result<Self, DkimKeyError> {
        use rustls_pki_types::PrivateKeyDer;
        use rustls_pki_types::pem::PemObject;
        let der =
            PrivateKeyDer::from_pem_slice(pem).map_err(|e| DkimKeyError::Pem(e.to_string()))?;
        let key = match &der {
            PrivateKeyDer::Pkcs1(k) => Key::Rsa(
                RsaKeyPair::from_der(k.secret_pkcs1_der())
                    .map_err(|e| DkimKeyError::Key(e.to_string()))?,
            ),
            PrivateKeyDer::Pkcs8(k) => {
                let bytes = k.secret_pkcs8_der();
                match RsaKeyPair::from_pkcs8(bytes) {
                    Ok(r) => Key::Rsa(r),
                    Err(rsa) => Key::Ed25519(
                        Ed25519KeyPair::from_pkcs8_maybe_unchecked(bytes)
                            .map_err(|e| DkimKeyError::Key(format!("{rsa}; {e}")))?,
                    ),
                }
            }
            _ => return Err(DkimKeyError::Key("an EC (SEC1) key".into())),
        };
        Ok(DkimSigner {
            domain: domain.to_string(),
            selector: selector.to_string(),
            key,
            prefix: std::sync::Mutex::new(Learnt::default()),
            layout: std::sync::Mutex::new(None),
        })
    }

    /// The `DKIM-Signature: …\r\n` header for `message` (headers, empty line, body; CRLF line
    /// ends), to be put in front of it. `now` is the signing time (`t=`). `personal`: where in
    /// `message` the parts made for its recipient are, whole lines each (see [`Layout`]); the
    /// rest of the body is taken to be the same for the other messages of the issue, and is
    /// canonicalised once. Empty when not known: the shared prefix is learnt instead.
    pub fn sign(
        &self,
        message: &[u8],
        personal: &[Range<usize>],
        now: crate::timestamp::Timestamp,
    ) -> String {
        let (head, body) = split(message);
        let at = message.len() - body.len();
        let in_body = personal
            .iter()
            .all(|p| p.start >= at && p.start <= p.end && p.end <= message.len())
            && personal.windows(2).all(|w| w[0].end <= w[1].start);
        let hash = if personal.is_empty() || !in_body {
            self.body_hash(body)
        } else {
            self.body_hash_laid_out(body, personal, at)
        };
        let bh = STANDARD.encode(hash);
        let fields = header_fields(head);
        let mut names = Vec::new();
        let mut hashed = Vec::new();
        for name in SIGNED_HEADERS {
            // The last occurrence is the one signed (RFC 6376 §5.4.2); ours occur once.
            if let Some(raw) = fields
                .iter()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                names.push(name);
                relaxed_header_into(raw.1, &mut hashed);
                hashed.extend_from_slice(b"\r\n");
            }
        }
        let algorithm = match self.key {
            Key::Rsa(_) => "rsa-sha256",
            Key::Ed25519(_) => "ed25519-sha256",
        };
        let unsigned = format!(
            "DKIM-Signature: v=1; a={algorithm}; c=relaxed/relaxed; d={}; s={};\r\n\tt={now}; h={};\r\n\tbh={bh};\r\n\tb=",
            self.domain,
            self.selector,
            names.join(":")
        );
        relaxed_header_into(&unsigned, &mut hashed);
        let signature = match &self.key {
            Key::Rsa(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(
                    &ring::signature::RSA_PKCS1_SHA256,
                    &ring::rand::SystemRandom::new(),
                    &hashed,
                    &mut sig,
                )
                .expect("RSA signing with a valid key");
                sig
            }
            Key::Ed25519(k) => k.sign(&Sha256::digest(&hashed)).as_ref().to_vec(),
        };
        let b = STANDARD.encode(signature);
        let mut out = unsigned;
        // Folded at 72 characters; whitespace inside b= is ignored by verifiers.
        for (i, chunk) in b.as_bytes().chunks(72).enumerate() {
            if i > 0 {
                out.push_str("\r\n\t ");
            }
            out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        }
        out.push_str("\r\n");
        out
    }
}

impl DkimSigner {
    /// The SHA-256 of the relaxed canonical body, resumed from the shared prefix's state when
    /// the body begins with it.
    fn body_hash(&self, body: &[u8]) -> [u8; 32] {
        let shared = self.learnt().shared.clone();
        if let Some(p) = shared
            && body.starts_with(&p.raw)
        {
            let mut h = p.hash.clone();
            h.lines(&body[p.raw.len()..]);
            return h.finish();
        }
        self.learn(body);
        let mut h = BodyHash::default();
        h.lines(body);
        h.finish()
    }

    /// [`Self::body_hash`] for a body whose personal parts are at `personal` (ranges of the
    /// body, in order): the shared parts are hashed from their canonical form, kept from the
    /// last message when they are the same bytes (compared, never assumed), else made from
    /// this one for the next.
    /// `at` is where the body begins in the message the ranges are of.
    fn body_hash_laid_out(&self, body: &[u8], personal: &[Range<usize>], at: usize) -> [u8; 32] {
        let part = |i: usize| personal[i].start - at..personal[i].end - at;
        let shared = |i: usize| {
            let from = part(i).end;
            let to = personal.get(i + 1).map_or(body.len(), |p| p.start - at);
            &body[from..to]
        };
        let first = &body[..part(0).start];
        let known = self
            .layout
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let layout = match known {
            Some(l)
                if l.rest.len() == personal.len()
                    && l.first.raw == first
                    && (0..personal.len()).all(|i| l.rest[i].raw == shared(i)) =>
            {
                l
            }
            _ => {
                let mut hash = BodyHash::default();
                hash.lines(first);
                let l = std::sync::Arc::new(Layout {
                    first: Prefix {
                        raw: first.to_vec(),
                        hash,
                    },
                    rest: (0..personal.len())
                        .map(|i| Shared {
                            raw: shared(i).to_vec(),
                            canonical: Canonical::of(shared(i)),
                        })
                        .collect(),
                });
                *self.layout.lock().unwrap_or_else(|p| p.into_inner()) = Some(l.clone());
                l
            }
        };
        let mut h = layout.first.hash.clone();
        for i in 0..personal.len() {
            h.lines(&body[part(i)]);
            let part = &layout.rest[i];
            match &part.canonical {
                Some(c) if h.partial.is_empty() => h.canonical(c),
                _ => h.lines(&part.raw),
            }
        }
        h.finish()
    }

    fn learnt(&self) -> std::sync::MutexGuard<'_, Learnt> {
        self.prefix.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A body that does not begin with the shared prefix: the whole lines it has in common
    /// with the last such body become the new prefix (a new issue), or it is remembered.
    fn learn(&self, body: &[u8]) {
        let mut l = self.learnt();
        let common = l.last.as_deref().map_or(0, |last| {
            let same = last.iter().zip(body).take_while(|(a, b)| a == b).count();
            body[..same]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
        });
        if common >= MIN_PREFIX {
            let raw = body[..common].to_vec();
            let mut hash = BodyHash::default();
            hash.lines(&raw);
            l.shared = Some(std::sync::Arc::new(Prefix { raw, hash }));
            l.last = None;
        } else {
            l.last = Some(body.to_vec());
        }
    }
}

/// The high bit of each byte of `x` that equals `b`, and no other bit (exact, unlike the
/// shorter has-zero-byte trick, whose borrows flag bytes after a match).
fn bytes_equal(x: u64, b: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let y = x ^ (0x0101_0101_0101_0101 * u64::from(b));
    !(((y & LOW7).wrapping_add(LOW7)) | y | LOW7)
}

/// RFC 6376 §3.4.4's relaxed body canonicalisation, hashed as it goes: whitespace runs as one
/// space, none at line ends, no empty lines at the end, CRLF line ends. Lines already in
/// canonical form (nearly all of a quoted-printable body) are hashed in spans, as they are.
#[derive(Clone, Default)]
struct BodyHash {
    sha: Sha256,
    /// Empty lines seen and not yet hashed: they count only if a line with content follows.
    empty: usize,
    /// A line begun in the last call and not ended (only at the very end of a body).
    partial: Vec<u8>,
}

impl BodyHash {
    /// Feed bytes; a line not ended by LF waits for the next call or [`Self::finish`].
    fn lines(&mut self, bytes: &[u8]) {
        let mut bytes = bytes;
        if !self.partial.is_empty() {
            let Some(nl) = bytes.iter().position(|&b| b == b'\n') else {
                self.partial.extend_from_slice(bytes);
                return;
            };
            let mut line = std::mem::take(&mut self.partial);
            line.extend_from_slice(&bytes[..nl]);
            self.line(&line);
            bytes = &bytes[nl + 1..];
        }
        let mut span = 0; // where the span of lines hashed as they are begins
        let mut start = 0; // where the current line begins
        let mut clean = true;
        let mut prev = b'\n';
        let mut i = 0;
        while i < bytes.len() {
            // Eight bytes at a time while there is nothing to look at: no line end, no tab,
            // no two spaces in a row.
            let end = match bytes.get(i..i + 8) {
                Some(chunk) => {
                    let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
                    let sp = bytes_equal(x, b' ');
                    let after_space = if prev == b' ' { sp & 0x80 } else { 0 };
                    if bytes_equal(x, b'\n')
                        | bytes_equal(x, b'\t')
                        | (sp & (sp << 8))
                        | after_space
                        == 0
                    {
                        prev = chunk[7];
                        i += 8;
                        continue;
                    }
                    i + 8
                }
                None => bytes.len(),
            };
            for (j, &b) in bytes.iter().enumerate().take(end).skip(i) {
                match b {
                    b'\n' => {
                        let ok = clean && prev == b'\r' && j >= start + 2 && bytes[j - 2] != b' ';
                        if !(ok && self.empty == 0) {
                            self.sha.update(&bytes[span..start]);
                            self.line(&bytes[start..j]);
                            span = j + 1;
                        }
                        start = j + 1;
                        clean = true;
                    }
                    b'\t' => clean = false,
                    b' ' if prev == b' ' => clean = false,
                    _ => {}
                }
                prev = b;
            }
            i = end;
        }
        self.sha.update(&bytes[span..start]);
        self.partial.extend_from_slice(&bytes[start..]);
    }

    /// One line (without its LF) canonicalised and hashed.
    fn line(&mut self, line: &[u8]) {
        let mut l = Vec::with_capacity(line.len());
        relaxed_line(line, &mut l);
        if l.is_empty() {
            self.empty += 1;
            return;
        }
        for _ in 0..self.empty {
            self.sha.update(b"\r\n");
        }
        self.empty = 0;
        self.sha.update(&l);
        self.sha.update(b"\r\n");
    }

    /// Whole lines already in canonical form, at a line's start (`partial` empty): as if each
    /// had been given to [`Self::line`].
    fn canonical(&mut self, c: &Canonical) {
        debug_assert!(self.partial.is_empty());
        if c.bytes.is_empty() {
            self.empty += c.trailing_empty;
            return;
        }
        for _ in 0..self.empty {
            self.sha.update(b"\r\n");
        }
        self.sha.update(&c.bytes);
        self.empty = c.trailing_empty;
    }

    fn finish(mut self) -> [u8; 32] {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
        }
        self.sha.finalize().into()
    }
}

/// A line (without its LF) in relaxed form, appended to `out`: its CR end dropped, whitespace
/// runs as one space, none at the end.
fn relaxed_line(line: &[u8], out: &mut Vec<u8>) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut space = false;
    for &b in line {
        if b == b' ' || b == b'\t' {
            space = true;
        } else {
            if space {
                out.push(b' ');
            }
            space = false;
            out.push(b);
        }
    }
}

/// Headers and body at the first empty line.
fn split(message: &[u8]) -> (&[u8], &[u8]) {
    match message.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => (&message[..i + 2], &message[i + 4..]),
        None => (message, b""),
    }
}

/// Each header field whole (with its folding), by name.
fn header_fields(head: &[u8]) -> Vec<(&str, &str)> {
    let text = std::str::from_utf8(head).unwrap_or("");
    let mut fields: Vec<(usize, usize)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.1 = offset + line.len();
            }
        } else {
            fields.push((offset, offset + line.len()));
        }
        offset += line.len();
    }
    fields
        .into_iter()
        .filter_map(|(a, b)| {
            let raw = text[a..b].trim_end_matches("\r\n");
            let name = raw.split_once(':')?.0;
            Some((name.trim(), raw))
        })
        .collect()
}

/// RFC 6376 §3.4.2, appended to `out`: name lower-cased, unfolded, whitespace runs as one
/// space, none around the colon or at the end. Without the trailing CRLF. Byte by byte into
/// the buffer being hashed: it runs for every signed header of every message.
fn relaxed_header_into(raw: &str, out: &mut Vec<u8>) {
    let (name, value) = raw.split_once(':').unwrap_or((raw, ""));
    out.extend(name.trim().bytes().map(|b| b.to_ascii_lowercase()));
    out.push(b':');
    let start = out.len();
    let value = value.as_bytes();
    let mut space = false;
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        i += 1;
        if b == b'\r' && value.get(i) == Some(&b'\n') {
            // Unfolded: the CRLF goes, the whitespace after it counts as a run.
            i += 1;
        } else if b == b' ' || b == b'\t' {
            space = true;
        } else {
            if space && out.len() > start {
                out.push(b' ');
            }
            space = false;
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6376 §3.4.4 the plain way (the reference [`BodyHash`] must agree with): whitespace runs as one space, none at line ends, no empty lines at the
    /// end, and a final CRLF unless the body is empty.
    fn relaxed_body(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(body.len());
        let mut pending_empty = 0usize;
        // The empty rest after a final LF is no line (a bare CR before it is content, as
        // dkimpy has it: "\r\r\n" is the line "\r").
        let body = body.strip_suffix(b"\n").unwrap_or(body);
        if body.is_empty() {
            return out;
        }
        for line in body.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let mut l = Vec::with_capacity(line.len());
            let mut space = false;
            for &b in line {
                if b == b' ' || b == b'\t' {
                    space = true;
                } else {
                    if space {
                        l.push(b' ');
                    }
                    space = false;
                    l.push(b);
                }
            }
            if l.is_empty() {
                pending_empty += 1;
                continue;
            }
            for _ in 0..pending_empty {
                out.extend_from_slice(b"\r\n");
            }
            pending_empty = 0;
            out.extend_from_slice(&l);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    fn streamed(chunks: &[&[u8]]) -> [u8; 32] {
        let mut h = BodyHash::default();
        for c in chunks {
            h.lines(c);
        }
        h.finish()
    }

    proptest::proptest! {
        #[test]
        fn the_streamed_hash_is_the_hash_of_the_canonical_body(
            body in proptest::collection::vec(proptest::sample::select(b" \t\r\nab.=".to_vec()), 0..400),
            cut in 0usize..400,
        ) {
            let want: [u8; 32] = Sha256::digest(relaxed_body(&body)).into();
            proptest::prop_assert_eq!(streamed(&[&body]), want);
            let cut = cut.min(body.len());
            proptest::prop_assert_eq!(streamed(&[&body[..cut], &body[cut..]]), want);
        }

        #[test]
        fn mostly_letters_take_the_eight_byte_path_to_the_same_hash(
            body in proptest::collection::vec(
                proptest::sample::select(b"abcdefghijklmnopqrstuvwxyz.= \r\n\t".to_vec()),
                0..600,
            ),
        ) {
            let want: [u8; 32] = Sha256::digest(relaxed_body(&body)).into();
            proptest::prop_assert_eq!(streamed(&[&body]), want);
        }
    }

    fn test_signer() -> DkimSigner {
        let key = ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(key.as_ref())
        );
        DkimSigner::from_pem("x.example", "s", pem.as_bytes()).unwrap()
    }

    proptest::proptest! {
        /// Bodies of one issue (the shared parts the same, the personal ones different, at
        /// line starts or not): the hash from the canonical shared parts kept between
        /// messages is the hash of each canonical body.
        #[test]
        fn the_laid_out_hash_is_the_hash_of_the_canonical_body(
            shared in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(b" \t\r\nab.=".to_vec()), 0..60),
                1..5,
            ),
            personal in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::collection::vec(proptest::sample::select(b" \t\r\nxy".to_vec()), 0..20),
                    4,
                ),
                3,
            ),
        ) {
            let signer = test_signer();
            for theirs in &personal {
                let mut body = shared[0].clone();
                let mut ranges = Vec::new();
                for (i, part) in shared[1..].iter().enumerate() {
                    let start = body.len();
                    body.extend_from_slice(&theirs[i]);
                    ranges.push(start..body.len());
                    body.extend_from_slice(part);
                }
                let want: [u8; 32] = Sha256::digest(relaxed_body(&body)).into();
                let got = if ranges.is_empty() {
                    signer.body_hash(&body)
                } else {
                    signer.body_hash_laid_out(&body, &ranges, 0)
                };
                proptest::prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn a_layout_is_kept_between_messages_and_replaced_for_another_issue() {
        let signer = test_signer();
        let shared = "Shared  line\twith spaces =\r\n".repeat(20);
        let body = |issue: &str, who: &str| {
            let b = format!("{issue}{shared}{who}=\r\n{shared}\r\n\r\n{who}=\r\nend\r\n");
            let a = issue.len() + shared.len();
            let c = a + who.len() + 3 + shared.len() + 4;
            (b, vec![a..a + who.len() + 3, c..c + who.len() + 3])
        };
        for (issue, who) in [("one\r\n", "ann"), ("one\r\n", "bob  x"), ("two\r\n", "cy")] {
            let (b, ranges) = body(issue, who);
            let want: [u8; 32] = Sha256::digest(relaxed_body(b.as_bytes())).into();
            assert_eq!(signer.body_hash_laid_out(b.as_bytes(), &ranges, 0), want);
            let kept = signer.layout.lock().unwrap().clone().expect("a layout");
            assert_eq!(kept.first.raw, format!("{issue}{shared}").as_bytes());
            assert!(kept.rest.iter().all(|r| r.canonical.is_some()));
        }
    }

    #[test]
    fn bytes_equal_marks_exactly_the_matching_bytes() {
        let x = u64::from_le_bytes(*b" \x00 !  \x01a");
        assert_eq!(bytes_equal(x, b' '), 0x0000_8080_0080_0080);
    }

    #[test]
    fn a_shared_prefix_is_learnt_and_resumed_to_the_same_hash() {
        let key = ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(key.as_ref())
        );
        let signer = DkimSigner::from_pem("x.example", "s", pem.as_bytes()).unwrap();
        let shared = "Shared  line\twith spaces =\r\n".repeat(40);
        let bodies: Vec<String> = (0..4)
            .map(|i| format!("{shared}personal {i}  \r\n\r\ntail\r\n\r\n"))
            .collect();
        for b in &bodies {
            let want: [u8; 32] = Sha256::digest(relaxed_body(b.as_bytes())).into();
            assert_eq!(signer.body_hash(b.as_bytes()), want);
        }
        let learnt = signer
            .learnt()
            .shared
            .clone()
            .expect("learnt from the first two");
        assert_eq!(learnt.raw, shared.as_bytes());
    }

    /// RFC 6376 §3.4.2 the plain way (the reference [`relaxed_header_into`] must agree with).
    fn relaxed_header(raw: &str) -> String {
        let (name, value) = raw.split_once(':').unwrap_or((raw, ""));
        let unfolded = value.replace("\r\n", "");
        let mut v = String::with_capacity(unfolded.len());
        let mut space = false;
        for c in unfolded.chars() {
            if c == ' ' || c == '\t' {
                space = true;
            } else {
                if space && !v.is_empty() {
                    v.push(' ');
                }
                space = false;
                v.push(c);
            }
        }
        format!("{}:{}", name.trim().to_ascii_lowercase(), v)
    }

    fn relaxed_header_bytes(raw: &str) -> Vec<u8> {
        let mut out = b"kept".to_vec();
        relaxed_header_into(raw, &mut out);
        out.split_off(4)
    }

    proptest::proptest! {
        #[test]
        fn header_canonicalisation_agrees_with_the_plain_way(
            raw in "[A-Za-z-]{1,12} ?:([ \t]|\r\n[ \t]|\r|\n|[a-zA-Z=?;<>@.é])*"
        ) {
            proptest::prop_assert_eq!(relaxed_header_bytes(&raw), relaxed_header(&raw).into_bytes());
        }
    }

    #[test]
    fn relaxed_canonicalisation() {
        assert_eq!(
            relaxed_header_bytes("Subject :  Hello\r\n\t  world  "),
            b"subject:Hello world"
        );
        assert_eq!(
            relaxed_body(b"a  b \t\r\n\r\nc\r\n\r\n\r\n"),
            b"a b\r\n\r\nc\r\n"
        );
        assert_eq!(relaxed_body(b"\r\n\r\n"), b"");
        assert_eq!(relaxed_body(b""), b"");
    }

    #[test]
    fn fields_keep_their_folding() {
        let f = header_fields(b"From: a\r\nSubject: x\r\n y\r\nTo: b\r\n");
        assert_eq!(
            f,
            [
                ("From", "From: a"),
                ("Subject", "Subject: x\r\n y"),
                ("To", "To: b")
            ]
        );
    }
}
