//! Building personalised MIME messages: how many a second one core makes from one rendered
//! issue (target: at least 20,000/s, so rendering never limits a send). Run with
//! `cargo bench --bench render`.

// These run the real binary on the real clock, so they read it too.
#![allow(clippy::disallowed_methods)]

use std::path::Path;
use std::time::Instant;

use bulletin::address::{DisplayName, EmailAddress};
use bulletin::config::Env;
use bulletin::issue;
use bulletin::load::load;
use bulletin::render::{Context, DEFAULT_CSS, Recipient, Rendered};
use bulletin::secret::Secret;
use bulletin::token::Signer;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = load(
        &root.join("config/bulletin.toml"),
        &Env::empty(),
        chrono::Utc::now(),
    );
    let project = loaded.project.expect("the sample tree loads");
    let bulletin = project.bulletin("sscp-news").expect("sample bulletin");
    let date = "2024-11-01".parse().unwrap();
    let ctx = Context {
        organisation: &project.settings.organisation,
        public_url: &project.settings.web.public_url,
        css: DEFAULT_CSS,
        unsubscribe_mailbox: None,
    };

    let t = Instant::now();
    let issue = issue::assemble(&project, bulletin, date);
    let assembled = t.elapsed();
    let t = Instant::now();
    let rendered = Rendered::new(&issue, &ctx).expect("renders");
    let render_once = t.elapsed();

    let signer = Signer::new("k1", Secret::new("bench-secret-bench-secret-bench-secret"));
    let n = 100_000;
    let people: Vec<(EmailAddress, DisplayName)> = (0..n)
        .map(|i| {
            (
                EmailAddress::parse(&format!("person.{i}@agency{}.example", i % 97)).unwrap(),
                DisplayName::parse(&format!("Siân Person {i}")).unwrap(),
            )
        })
        .collect();
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut total_bytes = 0usize;
    let mut rates = Vec::new();
    for _round in 0..3 {
        let t = Instant::now();
        for (email, name) in &people {
            buf.clear();
            rendered.message(
                &signer,
                &Recipient {
                    email,
                    name: Some(name),
                },
                &mut buf,
            );
            total_bytes += buf.len();
        }
        rates.push(n as f64 / t.elapsed().as_secs_f64());
    }
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let dkim = dkim_rates(&rendered, &signer, &people[..2_000]);
    println!(
        "issue assembly:            {:>8.2} ms",
        assembled.as_secs_f64() * 1e3
    );
    println!(
        "render once (HTML+CSS+QP): {:>8.2} ms",
        render_once.as_secs_f64() * 1e3
    );
    println!(
        "personalised messages:     {:>8.0} msg/s on one core (median of 3 × {n}; {:.1} KB each, HTML part {:.1} KB)",
        rates[1],
        total_bytes as f64 / (3.0 * n as f64) / 1024.0,
        rendered.html_size() as f64 / 1024.0
    );
    for (kind, rate) in dkim {
        println!("personalised + DKIM ({kind}): {rate:>8.0} msg/s on one core");
    }
}

/// Messages built and DKIM-signed per second, for an Ed25519 key and (when `openssl` is there
/// to make one) an RSA-2048 key: the per-recipient body hash and signature are the cost.
fn dkim_rates(
    rendered: &Rendered,
    signer: &Signer,
    people: &[(EmailAddress, DisplayName)],
) -> Vec<(&'static str, f64)> {
    use base64::Engine;
    use bulletin::dkim::DkimSigner;
    let pem = |label: &str, der: &[u8]| {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n")
    };
    let mut keys = Vec::new();
    let ed = ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
        .expect("ed25519 key");
    keys.push(("ed25519", pem("PRIVATE KEY", ed.as_ref())));
    if let Ok(o) = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        && o.status.success()
    {
        keys.push(("rsa-2048", String::from_utf8_lossy(&o.stdout).into_owned()));
    }
    let mut buf = Vec::with_capacity(64 * 1024);
    keys.into_iter()
        .map(|(kind, pem)| {
            let dkim = DkimSigner::from_pem("sscp.example", "bench", pem.as_bytes()).unwrap();
            let t = Instant::now();
            let mut personal = Vec::new();
            for (email, name) in people {
                buf.clear();
                rendered.message_laid_out(
                    signer,
                    &Recipient {
                        email,
                        name: Some(name),
                    },
                    &mut buf,
                    &mut personal,
                );
                let header = dkim.sign(
                    &buf,
                    &personal,
                    bulletin::timestamp::Timestamp::from_secs(0),
                );
                std::hint::black_box(header);
            }
            (kind, people.len() as f64 / t.elapsed().as_secs_f64())
        })
        .collect()
}
