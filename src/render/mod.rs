//! Rendering an issue: the HTML and plain-text parts (once per issue) and the MIME message per
//! recipient (a splice of the shared encoded parts and a few personal bytes). Pure: no clock, no
//! files; the caller passes the stylesheet and the signer.

pub mod dkim;
pub mod html;
pub mod markdown;
pub mod mime;
pub mod text;

use crate::address::{DisplayName, EmailAddress};
use crate::config::settings::Organisation;
use crate::issue::Issue;
use crate::token::Signer;

/// Where the personal unsubscribe link goes in both parts until a recipient is known. It is an
/// `.invalid` URL (RFC 2606), so even a leak could never point anywhere real.
pub const PERSONAL_UNSUBSCRIBE: &str = "https://unsubscribe.invalid/personal-link";

/// The stylesheet used when a project has no `templates/email.css`.
pub const DEFAULT_CSS: &str = include_str!("../../templates/email.css");

/// Gmail clips messages whose HTML is larger than about 102 KB; `check` and `preview` warn
/// above this.
pub const HTML_SIZE_LIMIT: usize = 100 * 1024;

/// Why an issue could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("inlining the stylesheet failed: {0}")]
    Css(String),
    #[error("the rendered {0} part lost its unsubscribe link (a template edit removed it?)")]
    NoUnsubscribeLink(&'static str),
}

/// What rendering needs besides the issue.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub organisation: &'a Organisation,
    /// Base of the archive and unsubscribe links, without a trailing slash.
    pub public_url: &'a str,
    pub css: &'a str,
}

impl Context<'_> {
    /// The issue's page in the web archive ("view in your browser").
    pub fn web_url(&self, issue: &Issue) -> String {
        format!(
            "{}/archive/{}/{}",
            self.public_url, issue.bulletin_id, issue.date
        )
    }
}

/// One recipient.
#[derive(Debug, Clone)]
pub struct Recipient<'a> {
    pub email: &'a EmailAddress,
    pub name: Option<&'a DisplayName>,
}

/// An issue rendered once, ready to produce each recipient's message quickly. Stored whole (as
/// JSON) with the issue, so a resend after a crash is byte-for-byte the same.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Rendered {
    pub bulletin_id: crate::ids::BulletinId,
    pub subject: String,
    /// The HTML part with the personal marker in place of the unsubscribe link.
    pub html: String,
    /// The text part, likewise.
    pub text: String,
    public_url: String,
    domain: String,
    issue_key: String,
    /// Date, From, Reply-To, Subject, List-Id: the same for everyone.
    common_headers: String,
    mime_headers: String,
    /// The multipart boundary (derived from the issue key once, not per message).
    boundary: String,
    text_qp: (String, String),
    html_qp: (String, String),
    unsubscribe_mailto: String,
}

fn split_qp(doc: &str, part: &'static str) -> Result<(String, String), RenderError> {
    let (pre, post) = doc
        .split_once(PERSONAL_UNSUBSCRIBE)
        .ok_or(RenderError::NoUnsubscribeLink(part))?;
    let mut a = String::with_capacity(pre.len() * 11 / 10);
    mime::quoted_printable(pre, &mut a);
    let mut b = String::with_capacity(post.len() * 11 / 10);
    mime::quoted_printable(post, &mut b);
    Ok((a, b))
}

impl Rendered {
    /// Render the issue's two parts and encode everything that is the same for every recipient.
    pub fn new(issue: &Issue, ctx: &Context<'_>) -> Result<Self, RenderError> {
        let org = ctx.organisation;
        let html = html::inline_css(&html::document(issue, ctx))
            .map_err(|e| RenderError::Css(e.to_string()))?;
        let text = text::document(issue, ctx);
        let bulletin_id = crate::ids::BulletinId::parse(&issue.bulletin_id)
            .expect("issues are built from valid bulletins");
        let domain = org.from.address.domain().to_string();
        let issue_key = format!("{}.{}", issue.bulletin_id, issue.date);
        let boundary = mime::boundary(&issue_key);
        let mut common = String::new();
        common.push_str(&format!("Date: {}\r\n", issue.scheduled.to_rfc2822()));
        common.push_str(&format!(
            "From: {}\r\n",
            mime::mailbox(org.from.name.as_ref(), &org.from.address)
        ));
        if let Some(r) = &org.reply_to {
            common.push_str(&format!(
                "Reply-To: {}\r\n",
                mime::mailbox(r.name.as_ref(), &r.address)
            ));
        }
        common.push_str(&format!(
            "Subject: {}\r\n",
            mime::encode_unstructured(&issue.subject, "Subject: ".len())
        ));
        common.push_str(&format!(
            "List-Id: {} <{}.{}>\r\n",
            mime::phrase(&issue.bulletin_name),
            issue.bulletin_id,
            domain
        ));
        let mime_headers = format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
        );
        let unsubscribe_mailbox = org.reply_to.as_ref().unwrap_or(&org.from);
        Ok(Rendered {
            text_qp: split_qp(&text, "text")?,
            html_qp: split_qp(&html, "HTML")?,
            bulletin_id,
            subject: issue.subject.clone(),
            html,
            text,
            public_url: ctx.public_url.to_string(),
            domain,
            issue_key,
            common_headers: common,
            mime_headers,
            boundary,
            unsubscribe_mailto: format!(
                "mailto:{}?subject=unsubscribe%20{}",
                unsubscribe_mailbox.address, issue.bulletin_id
            ),
        })
    }

    /// The size of the HTML part in bytes (Gmail clips above about 102 KB).
    pub fn html_size(&self) -> usize {
        self.html.len()
    }

    /// The recipient's one-click unsubscribe URL.
    pub fn unsubscribe_url(&self, signer: &Signer, to: &EmailAddress) -> String {
        format!(
            "{}/unsubscribe/{}",
            self.public_url,
            signer.sign(&self.bulletin_id, to)
        )
    }

    /// The HTML as a recipient sees it (for previews).
    pub fn html_for(&self, signer: &Signer, to: &EmailAddress) -> String {
        self.html.replace(
            PERSONAL_UNSUBSCRIBE,
            &html_attr(&self.unsubscribe_url(signer, to)),
        )
    }

    /// The text as a recipient sees it.
    pub fn text_for(&self, signer: &Signer, to: &EmailAddress) -> String {
        self.text
            .replace(PERSONAL_UNSUBSCRIBE, &self.unsubscribe_url(signer, to))
    }

    /// The web version: no personal data; the unsubscribe link points at the general page.
    pub fn html_for_web(&self) -> String {
        self.html.replace(
            PERSONAL_UNSUBSCRIBE,
            &html_attr(&format!("{}/unsubscribe", self.public_url)),
        )
    }

    /// The Message-ID of `to`'s copy.
    pub fn message_id(&self, to: &EmailAddress) -> String {
        mime::message_id(&self.issue_key, to, &self.domain)
    }

    /// Append the complete message for one recipient (CRLF line ends, every line ≤ 998 octets,
    /// 7-bit clean) to `out`.
    pub fn message(&self, signer: &Signer, to: &Recipient<'_>, out: &mut Vec<u8>) {
        let url = self.unsubscribe_url(signer, to.email);
        let boundary = &self.boundary;
        let mut head = String::with_capacity(1024);
        head.push_str(&self.common_headers);
        head.push_str("To: ");
        head.push_str(&mime::mailbox(to.name, to.email));
        head.push_str("\r\nMessage-ID: ");
        head.push_str(&self.message_id(to.email));
        head.push_str("\r\nList-Unsubscribe: <");
        head.push_str(&url);
        head.push_str(">,\r\n <");
        head.push_str(&self.unsubscribe_mailto);
        head.push_str(">\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
        head.push_str(&self.mime_headers);
        out.extend_from_slice(head.as_bytes());
        for (ctype, (pre, post), personal) in [
            ("text/plain", &self.text_qp, url.clone()),
            ("text/html", &self.html_qp, html_attr(&url)),
        ] {
            out.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Type: {ctype}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                )
                .as_bytes(),
            );
            out.extend_from_slice(pre.as_bytes());
            out.extend_from_slice(b"=\r\n");
            let mut p = String::new();
            mime::quoted_printable(&personal, &mut p);
            out.extend_from_slice(p.as_bytes());
            out.extend_from_slice(b"=\r\n");
            out.extend_from_slice(post.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    }
}

fn html_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}
