//! Every message can carry a DKIM signature for the organisation's domain, covering the
//! headers receivers trust (RFC 8058 needs List-Unsubscribe and List-Unsubscribe-Post signed).
//! Checked by an independent verifier: Python's dkimpy, with the public key served from a DNS
//! stand-in.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::Tree;

const SECRET: &str = "dkim-test-secret-dkim-test-secret-0123456";

fn openssl(args: &[&str]) -> Vec<u8> {
    let o = Command::new("openssl").args(args).output().unwrap();
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// A private key file of `kind` in `dir`, and the DNS TXT record publishing its public key.
fn key(dir: &Path, kind: &str) -> (PathBuf, String) {
    use base64::Engine;
    let path = dir.join(format!("{kind}.pem"));
    let p = path.to_str().unwrap();
    match kind {
        "rsa-pkcs8" => openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            p,
        ]),
        "rsa-pkcs1" => openssl(&["genrsa", "-traditional", "-out", p, "2048"]),
        "ed25519" => openssl(&["genpkey", "-algorithm", "ed25519", "-out", p]),
        _ => unreachable!(),
    };
    let der = openssl(&["pkey", "-in", p, "-pubout", "-outform", "DER"]);
    let b64 = base64::engine::general_purpose::STANDARD;
    let txt = if kind == "ed25519" {
        // RFC 8463: the bare 32-byte key, not its SubjectPublicKeyInfo.
        format!(
            "v=DKIM1; k=ed25519; p={}",
            b64.encode(&der[der.len() - 32..])
        )
    } else {
        format!("v=DKIM1; k=rsa; p={}", b64.encode(&der))
    };
    (path, txt)
}

fn tree_with_dkim(key: &Path) -> Tree {
    let t = Tree::minimal();
    t.append_config(&format!(
        "[dkim]\ndomain = \"test.example\"\nselector = \"news2026\"\nprivate_key_file = \"{}\"",
        key.display()
    ));
    t
}

fn run(t: &Tree, args: &[&str]) -> Output {
    support::run_env(t, &[("BULLETIN_UNSUBSCRIBE_SECRET", SECRET)], args)
}

fn verify(path: &Path, txt: &str) -> serde_json::Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/support/dkim_verify.py"
    );
    let o = Command::new("python3")
        .args([
            script,
            path.to_str().unwrap(),
            "news2026",
            "test.example",
            txt,
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn outbox(t: &Tree) -> Vec<PathBuf> {
    t.outbox()
}

#[test]
fn messages_verify_with_an_independent_verifier_for_each_key_kind() {
    let keys = tempfile::tempdir().unwrap();
    for kind in ["rsa-pkcs8", "rsa-pkcs1", "ed25519"] {
        let (key, txt) = key(keys.path(), kind);
        let t = tree_with_dkim(&key);
        t.write(
            "config/lists/all.toml",
            "name = \"Everyone\"\n[[member]]\nemail = \"a@x.example\"\nname = \"Siân O’Brien\"\n[[member]]\nemail = \"b@y.example\"\n",
        );
        let o = run(&t, &["send", "news", "--now", "--date", "2026-12-01"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let files = outbox(&t);
        assert_eq!(files.len(), 2);
        for f in &files {
            let v = verify(f, &txt);
            assert_eq!(v["ok"], true, "{kind} {}: {v}", f.display());
            let h: Vec<String> = v["h"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect();
            for needed in [
                "from",
                "subject",
                "date",
                "to",
                "message-id",
                "list-unsubscribe",
                "list-unsubscribe-post",
            ] {
                assert!(
                    h.iter().any(|x| x == needed),
                    "{kind}: {needed} not signed: {h:?}"
                );
            }
        }
        // Tampering with a signed header or the body breaks it.
        let text = std::fs::read_to_string(&files[0]).unwrap();
        let forged = keys.path().join(format!("{kind}-forged.eml"));
        std::fs::write(&forged, text.replacen("Subject: News", "Subject: Nows", 1)).unwrap();
        assert_eq!(
            verify(&forged, &txt)["ok"],
            false,
            "{kind}: subject changed"
        );
        let i = text
            .rfind("Call 999")
            .expect("the standing block is in the body");
        let mut body_changed = text.clone();
        body_changed.replace_range(i..i + 8, "Call 998");
        std::fs::write(&forged, body_changed).unwrap();
        assert_eq!(verify(&forged, &txt)["ok"], false, "{kind}: body changed");
    }
}

#[test]
fn a_bad_key_is_a_check_error_at_its_line() {
    let keys = tempfile::tempdir().unwrap();
    let bad = keys.path().join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let t = tree_with_dkim(&bad);
    let o = run(&t, &["check"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    let line = std::fs::read_to_string(t.config())
        .unwrap()
        .lines()
        .position(|l| l.starts_with("private_key_file"))
        .unwrap()
        + 1;
    assert!(
        out.contains(&format!("config/bulletin.toml:{line}:"))
            && out.contains("DKIM private key cannot be used"),
        "{out}"
    );
}
