//! DKIM signing per core for a bulletin-sized body whose personal links sit in the middle and
//! at the end, as the rendered issue's do: with the layout given, the shared parts are
//! canonicalised once and only hashed per message; without it, the body hash resumes from the
//! learnt shared prefix and the rest is canonicalised per message. The goal is 20,000
//! signed messages a second on one core. Run with `cargo bench --bench dkim`.

use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bulletin::dkim::DkimSigner;
use bulletin::timestamp::Timestamp;

fn main() {
    let key =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(key.as_ref())
    );
    let signer = DkimSigner::from_pem("x.example", "s", pem.as_bytes()).unwrap();
    let line = "<p style=3D\"margin:0 0 16px;font-family:Arial,sans-serif\">News of the mon=\r\n";
    let head = "From: a@x.example\r\nTo: b@x.example\r\nSubject: News\r\n\r\n";
    let (text, html) = (line.repeat(300), line.repeat(600));
    // Each message with where its personal parts are, as the renderer reports them.
    let messages: Vec<(Vec<u8>, Vec<std::ops::Range<usize>>)> = (0..64)
        .map(|i| {
            let one = format!("https://x.example/u/{i}=\r\n");
            let two = format!("https://x.example/p/{i}=\r\n");
            let a = head.len() + text.len();
            let b = a + one.len() + html.len();
            let m = format!("{head}{text}{one}{html}{two}--end--\r\n").into_bytes();
            (m, vec![a..a + one.len(), b..b + two.len()])
        })
        .collect();
    let n = 20_000;
    for (how, laid_out) in [
        ("the shared prefix learnt", false),
        ("the layout given", true),
    ] {
        let start = Instant::now();
        for i in 0..n {
            let (m, personal) = &messages[i % 64];
            let personal: &[std::ops::Range<usize>] = if laid_out { personal } else { &[] };
            std::hint::black_box(signer.sign(m, personal, Timestamp::from_secs(0)));
        }
        let per_s = n as f64 / start.elapsed().as_secs_f64();
        println!(
            "dkim, {how}: {} bytes a message: {per_s:.0} Ed25519-signed messages/s on one core",
            messages[0].0.len()
        );
    }
}
