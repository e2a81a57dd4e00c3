//! The confirmation mail: the only message ever sent to an address before it is confirmed.
//! Plain text, one link, what happens if it was not them.

use crate::address::EmailAddress;
use crate::config::settings::Organisation;
use crate::render::mime;

/// The whole message (headers and body, CRLF) asking `to` to confirm a sign-up to `bulletin`.
pub fn confirmation(
    org: &Organisation,
    bulletin_name: &str,
    to: &EmailAddress,
    link: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<u8> {
    let subject = format!("Confirm your subscription to {bulletin_name}");
    let id = mime::message_id(&format!("signup-{}", now.timestamp()), to, to_domain(org));
    let body = format!(
        "Hello,\n\nSomeone, we hope you, asked for {bulletin_name} from {org} to be sent to this address.\n\nTo confirm, open this link and press the button:\n\n{link}\n\nThe link works once, for {hours} hours.\n\nIf this was not you, ignore this email: we will not write to you again, and nothing is kept in your name beyond the record of this request.\n\n{org}\n{address}\n",
        org = org.name,
        hours = super::CONFIRM_HOURS,
        address = org.postal_address,
    );
    let mut qp = String::new();
    mime::quoted_printable(&body, &mut qp);
    let headers = [
        format!(
            "From: {}",
            mime::mailbox(org.from.name.as_ref(), &org.from.address)
        ),
        format!("To: {to}"),
        format!("Subject: {}", mime::encode_unstructured(&subject, 9)),
        format!("Date: {}", now.to_rfc2822()),
        format!("Message-ID: {id}"),
        "Auto-Submitted: auto-generated".to_string(),
        "MIME-Version: 1.0".to_string(),
        "Content-Type: text/plain; charset=utf-8".to_string(),
        "Content-Transfer-Encoding: quoted-printable".to_string(),
    ];
    let mut out = headers.join("\r\n");
    out.push_str("\r\n\r\n");
    out.push_str(&qp);
    if !out.ends_with("\r\n") {
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn to_domain(org: &Organisation) -> &str {
    org.from.address.domain()
}
