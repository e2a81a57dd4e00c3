//! DKIM signing per core for a bulletin-sized body whose personal links sit in the middle and
//! at the end, as the rendered issue's do: the body hash resumes from the shared prefix, so
//! what is measured is the per-recipient part and the Ed25519 signature. The goal is 20,000
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
    let messages: Vec<Vec<u8>> = (0..64)
        .map(|i| {
            format!("{head}{text}https://x.example/u/{i}=\r\n{html}https://x.example/u/{i}\r\n")
                .into_bytes()
        })
        .collect();
    let n = 20_000;
    let start = Instant::now();
    for i in 0..n {
        std::hint::black_box(signer.sign(&messages[i % 64], Timestamp::from_secs(0)));
    }
    let per_s = n as f64 / start.elapsed().as_secs_f64();
    println!(
        "dkim: {} bytes a message: {per_s:.0} Ed25519-signed messages/s on one core",
        messages[0].len()
    );
}
