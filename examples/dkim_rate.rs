//! How many messages a second one core signs with Ed25519 DKIM, on real messages.
//!
//!     cargo run --release --example dkim_rate -- MESSAGE.eml...
//!
//! Give two or more copies of an issue for different recipients (an outbox holds them): the
//! signer learns their shared body prefix as it does in a send, then signs them round and
//! round for about two seconds. The goal is 20,000 a second.

use base64::Engine;

fn main() {
    let messages: Vec<Vec<u8>> = std::env::args()
        .skip(1)
        .map(|p| std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}")))
        .collect();
    assert!(messages.len() >= 2, "give two or more messages");
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
        .expect("a key");
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref())
    );
    let signer = bulletin::dkim::DkimSigner::from_pem("bench.example", "bench", pem.as_bytes())
        .expect("the key");
    let now = bulletin::timestamp::Timestamp::from_secs(1_800_000_000);
    let start = std::time::Instant::now();
    let mut n = 0usize;
    while start.elapsed().as_secs_f64() < 2.0 {
        for m in &messages {
            std::hint::black_box(signer.sign(m, &[], now));
            n += 1;
        }
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    println!(
        "{} messages of {} bytes, Ed25519: {rate:.0} signed a second on one core ({:.1} µs each)",
        messages.len(),
        messages[0].len(),
        1e6 / rate
    );
}
