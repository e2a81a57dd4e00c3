//! Rendering an issue: the HTML and plain-text parts (once per issue) and the MIME message per
//! recipient (a splice of the shared encoded parts and a few personal bytes). Pure: no clock, no
//! files; the caller passes the stylesheet and the signer.

pub mod html;
pub mod mime;
pub mod text;

use crate::address::{DisplayName, EmailAddress};
use crate::config::settings::Organisation;
use crate::issue::Issue;
use crate::token::Signer;

/// The marker of issues rendered before markers were derived per issue (see [`marker`]); kept
/// so their stored renderings still splice. It is an `.invalid` URL (RFC 2606), so even a leak
/// could never point anywhere real.
pub const PERSONAL_UNSUBSCRIBE: &str = "https://unsubscribe.invalid/personal-link";

/// Where the personal unsubscribe link goes in both parts until a recipient is known: an
/// `.invalid` URL ending in a digest of everything the issue is rendered from. Content cannot
/// contain it (it would have to contain its own hash), so a news item that writes a marker is
/// only ever shown as the literal text it is, and the splice lands in the footer alone.
pub fn marker(issue: &Issue, ctx: &Context<'_>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(format!("{issue:?}").as_bytes());
    h.update([0]);
    h.update(format!("{:?}", ctx.organisation).as_bytes());
    h.update([0]);
    h.update(ctx.public_url.as_bytes());
    h.update([0]);
    h.update(ctx.css.as_bytes());
    let digest = h.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("https://unsubscribe.invalid/{hex}")
}

/// Where the personal preference link goes: the unsubscribe marker's digest under another
/// `.invalid` host, so content can no more contain it than the unsubscribe marker.
pub fn preferences_marker(marker: &str) -> String {
    marker.replacen(
        "https://unsubscribe.invalid/",
        "https://preferences.invalid/",
        1,
    )
}

fn legacy_marker() -> String {
    PERSONAL_UNSUBSCRIBE.to_string()
}

pub use crate::config::DEFAULT_CSS;

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
    #[error("the rendered {0} part has more than one place for the unsubscribe link")]
    AmbiguousUnsubscribeLink(&'static str),
}

/// What rendering needs besides the issue.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub organisation: &'a Organisation,
    /// Base of the archive and unsubscribe links, without a trailing slash.
    pub public_url: &'a str,
    pub css: &'a str,
    /// Where the List-Unsubscribe `mailto:` goes: the `[bounces]` address, read by
    /// `bulletin bounce`; `None` sends it to the organisation's Reply-To or From.
    pub unsubscribe_mailbox: Option<&'a EmailAddress>,
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
    /// The personal marker of this issue (see [`marker`]).
    #[serde(default = "legacy_marker")]
    marker: String,
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
    /// What follows the preference link (see [`preferences_marker`]), when the part has one:
    /// the second element of `text_qp`/`html_qp` is then what lies between the two links.
    /// `None` in issues rendered before the link existed.
    #[serde(default)]
    text_tail: Option<String>,
    #[serde(default)]
    html_tail: Option<String>,
    /// The `mailto:` of List-Unsubscribe; with [`Self::mailto_token`], up to the subject's
    /// `unsubscribe%20`, and each recipient's token follows.
    unsubscribe_mailto: String,
    /// Whether the mailto ends in `unsubscribe%20` awaiting the token (`false` in issues
    /// rendered before, whose mailto named the bulletin and went to a person).
    #[serde(default)]
    mailto_token: bool,
    /// A proof: a dummy unsubscribe link and no List-Unsubscribe headers.
    #[serde(default)]
    proof: bool,
    /// The links counted by the redirect (see [`crate::reach`]); link `n` is `links[n - 1]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<crate::reach::TrackedLink>,
}

/// Where a proof's unsubscribe link points: nowhere (the page itself).
pub const PROOF_UNSUBSCRIBE: &str = "#proof";

/// What a proof says above the issue, in both parts: when it goes, to how many people, what it
/// carries, how to approve it. One sentence a line.
#[derive(Debug, Clone, Default)]
pub struct ProofNote {
    pub lines: Vec<String>,
    /// The issue has already gone to readers: the banner says so instead of "not yet sent".
    pub sent: bool,
}

impl ProofNote {
    /// The banner's first line.
    pub fn title(&self) -> &'static str {
        if self.sent {
            "PROOF: this issue has already been sent to readers"
        } else {
            "PROOF: not yet sent to readers"
        }
    }
}

/// A part split at its personal links and quoted-printable encoded: before the unsubscribe
/// link, after it (up to the preference link, when there is one), and after the preference link.
type Split = ((String, String), Option<String>);

fn split_qp(doc: &str, marker: &str, part: &'static str) -> Result<Split, RenderError> {
    let (pre, post) = doc
        .split_once(marker)
        .ok_or(RenderError::NoUnsubscribeLink(part))?;
    let prefs = preferences_marker(marker);
    if post.contains(marker) || pre.contains(&prefs) {
        return Err(RenderError::AmbiguousUnsubscribeLink(part));
    }
    let (mid, tail) = match post.split_once(&prefs) {
        Some((m, t)) if !t.contains(&prefs) => (m, Some(t)),
        Some(_) => return Err(RenderError::AmbiguousUnsubscribeLink(part)),
        None => (post, None),
    };
    let qp = |s: &str| {
        let mut out = String::with_capacity(s.len() * 11 / 10);
        mime::quoted_printable(s, &mut out);
        out
    };
    Ok(((qp(pre), qp(mid)), tail.map(qp)))
}

impl Rendered {
    /// Render the issue's two parts and encode everything that is the same for every recipient.
    pub fn new(issue: &Issue, ctx: &Context<'_>) -> Result<Self, RenderError> {
        let org = ctx.organisation;
        let marker = marker(issue, ctx);
        let html = html::inline_css(&html::document(issue, ctx, &marker))
            .map_err(|e| RenderError::Css(e.to_string()))?;
        let text = text::document(issue, ctx, &marker);
        let bulletin_id = crate::ids::BulletinId::parse(&issue.bulletin_id)
            .expect("issues are built from valid bulletins");
        let domain = org.from.address.domain().to_string();
        let issue_key = format!("{}.{}", issue.bulletin_id, issue.date);
        let boundary = mime::boundary(&issue_key);
        let mut common = String::new();
        common.push_str(&format!("Date: {}\r\n", issue.scheduled.to_rfc2822()));
        common.push_str(&format!(
            "From: {}\r\n",
            mime::mailbox_at(org.from.name.as_ref(), &org.from.address, "From: ".len())
        ));
        if let Some(r) = &org.reply_to {
            common.push_str(&format!(
                "Reply-To: {}\r\n",
                mime::mailbox_at(r.name.as_ref(), &r.address, "Reply-To: ".len())
            ));
        }
        common.push_str(&format!(
            "Subject: {}\r\n",
            mime::encode_unstructured(&issue.subject, "Subject: ".len())
        ));
        common.push_str(&format!(
            "List-Id: {}\r\n",
            mime::phrase_then(
                &issue.bulletin_name,
                &format!("<{}.{}>", issue.bulletin_id, domain),
                "List-Id: ".len()
            )
        ));
        let mime_headers = format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
        );
        // The bounce mailbox when there is one, so `bulletin bounce` acts on the request;
        // else the people who read replies.
        let unsubscribe_mailbox = ctx
            .unsubscribe_mailbox
            .or(org.reply_to.as_ref().map(|m| &m.address))
            .unwrap_or(&org.from.address);
        let (text_qp, text_tail) = split_qp(&text, &marker, "text")?;
        let (html_qp, html_tail) = split_qp(&html, &marker, "HTML")?;
        Ok(Rendered {
            text_qp,
            html_qp,
            text_tail,
            html_tail,
            marker,
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
            unsubscribe_mailto: format!("mailto:{unsubscribe_mailbox}?subject=unsubscribe%20"),
            mailto_token: true,
            proof: false,
            links: Vec::new(),
        })
    }

    /// Point every content link of `issue` at its counting redirect
    /// (`<public_url>/r/<bulletin>/<date>/<n>`), in both parts, and keep the original URLs.
    /// Once per issue: each recipient's message is still a splice of the same parts.
    pub fn count_clicks(mut self, issue: &Issue) -> Result<Self, RenderError> {
        let links = crate::reach::collect(issue);
        if links.is_empty() {
            return Ok(self);
        }
        let redirect = |n| crate::reach::redirect_url(&self.public_url, issue, n);
        let html = crate::reach::rewrite_html(&self.html, &links, redirect);
        let text = crate::reach::rewrite_text(&self.text, &links, redirect);
        (self.html_qp, self.html_tail) = split_qp(&html, &self.marker, "HTML")?;
        (self.text_qp, self.text_tail) = split_qp(&text, &self.marker, "text")?;
        self.html = html;
        self.text = text;
        self.links = links;
        Ok(self)
    }

    /// Make this rendering a proof: `note` as a banner at the top of both parts, the "view in
    /// your browser" link (`web_url`, which works only once the issue is sent) pointing at
    /// `proof_url` instead, a dummy unsubscribe link, and no List-Unsubscribe headers, so an
    /// editor who clicks around cannot unsubscribe themselves or a reader.
    pub fn into_proof(
        mut self,
        note: &ProofNote,
        web_url: &str,
        proof_url: &str,
    ) -> Result<Self, RenderError> {
        let banner = maud::html! {
            div role="note" style="border:3px solid #b45309;background:#fffbeb;color:#1f2937;padding:12px 16px;margin:0 auto 16px;max-width:600px;font-family:Arial,sans-serif;font-size:15px;line-height:1.4" {
                p style="margin:0 0 8px;font-weight:bold" { (note.title()) }
                @for l in &note.lines { p style="margin:0 0 6px" { (l) } }
            }
        }
        .into_string();
        let html = self
            .html
            .replace(&html_attr(web_url), &html_attr(proof_url));
        self.html = match html
            .find("<body")
            .and_then(|b| html[b..].find('>').map(|e| b + e + 1))
        {
            Some(at) => format!("{}{banner}{}", &html[..at], &html[at..]),
            None => format!("{banner}{html}"),
        };
        let mut text = format!("{}\n", note.title());
        for l in &note.lines {
            text.push_str(l);
            text.push('\n');
        }
        text.push_str("------------------------------------------------------------\n\n");
        text.push_str(&self.text.replace(web_url, proof_url));
        self.text = text;
        (self.text_qp, self.text_tail) = split_qp(&self.text, &self.marker, "text")?;
        (self.html_qp, self.html_tail) = split_qp(&self.html, &self.marker, "HTML")?;
        self.proof = true;
        Ok(self)
    }

    /// Make this rendering a sample for a preview file: a proof's dummy unsubscribe link and
    /// no List-Unsubscribe headers, so the file carries no token that works.
    pub fn into_sample(mut self) -> Self {
        self.proof = true;
        self
    }

    /// Whether this is a proof (see [`Rendered::into_proof`]).
    pub fn is_proof(&self) -> bool {
        self.proof
    }

    /// Date the message at `at`: the issue's creation, never its (perhaps future) scheduled
    /// time. Rendering dates it at the scheduled time; whoever stores the issue re-dates it, so
    /// the stored messages (and a resend after a crash) carry the same Date.
    pub fn set_date<Tz: chrono::TimeZone>(&mut self, at: &chrono::DateTime<Tz>)
    where
        Tz::Offset: std::fmt::Display,
    {
        let line = format!("Date: {}\r\n", at.to_rfc2822());
        match self.common_headers.find("\r\n") {
            Some(end) if self.common_headers.starts_with("Date: ") => {
                self.common_headers.replace_range(..end + 2, &line);
            }
            _ => self.common_headers.insert_str(0, &line),
        }
    }

    /// The size of the HTML part in bytes (Gmail clips above about 102 KB).
    pub fn html_size(&self) -> usize {
        self.html.len()
    }

    /// The recipient's one-click unsubscribe URL.
    pub fn unsubscribe_url(&self, signer: &Signer, to: &EmailAddress) -> String {
        if self.proof {
            return PROOF_UNSUBSCRIBE.to_string();
        }
        self.url_of_token(&signer.sign(&self.bulletin_id, to))
    }

    fn url_of_token(&self, token: &str) -> String {
        format!("{}/unsubscribe/{token}", self.public_url)
    }

    /// The recipient's preference page: the same token as the unsubscribe link.
    pub fn preferences_url(&self, signer: &Signer, to: &EmailAddress) -> String {
        if self.proof {
            return PROOF_UNSUBSCRIBE.to_string();
        }
        self.preferences_of_token(&signer.sign(&self.bulletin_id, to))
    }

    fn preferences_of_token(&self, token: &str) -> String {
        format!("{}/preferences/{token}", self.public_url)
    }

    /// The List-Unsubscribe `mailto:`: the same token as the link, in the subject, so the
    /// request names whom to unsubscribe whatever its From says (tokens are URL-safe).
    fn mailto_of_token(&self, token: &str) -> String {
        if self.mailto_token {
            format!("{}{token}", self.unsubscribe_mailto)
        } else {
            self.unsubscribe_mailto.clone()
        }
    }

    /// The HTML as a recipient sees it (for previews).
    pub fn html_for(&self, signer: &Signer, to: &EmailAddress) -> String {
        self.html
            .replacen(
                &self.marker,
                &html_attr(&self.unsubscribe_url(signer, to)),
                1,
            )
            .replacen(
                &preferences_marker(&self.marker),
                &html_attr(&self.preferences_url(signer, to)),
                1,
            )
    }

    /// The text as a recipient sees it.
    pub fn text_for(&self, signer: &Signer, to: &EmailAddress) -> String {
        self.text
            .replacen(&self.marker, &self.unsubscribe_url(signer, to), 1)
            .replacen(
                &preferences_marker(&self.marker),
                &self.preferences_url(signer, to),
                1,
            )
    }

    /// The web version: no personal data; the unsubscribe link points at the general page.
    pub fn html_for_web(&self) -> String {
        let link = if self.proof {
            PROOF_UNSUBSCRIBE.to_string()
        } else {
            format!("{}/unsubscribe", self.public_url)
        };
        without_browser_link(&self.html)
            .replacen(&self.marker, &html_attr(&link), 1)
            .replacen(&preferences_marker(&self.marker), &html_attr(&link), 1)
    }

    /// The Message-ID of `to`'s copy.
    pub fn message_id(&self, to: &EmailAddress) -> String {
        mime::message_id(&self.issue_key, to, &self.domain)
    }

    /// Append the complete message for one recipient (CRLF line ends, every line ≤ 998 octets,
    /// 7-bit clean) to `out`.
    pub fn message(&self, signer: &Signer, to: &Recipient<'_>, out: &mut Vec<u8>) {
        self.message_laid_out(signer, to, out, &mut Vec::new());
    }

    /// [`Self::message`], with where its body's personal parts went (ranges of `out`, each
    /// whole lines: a soft line break goes before and after every link made for the
    /// recipient) in `personal`, so that DKIM canonicalises only those per message.
    pub fn message_laid_out(
        &self,
        signer: &Signer,
        to: &Recipient<'_>,
        out: &mut Vec<u8>,
        personal: &mut Vec<std::ops::Range<usize>>,
    ) {
        personal.clear();
        let token = signer.sign(&self.bulletin_id, to.email);
        let (url, prefs) = if self.proof {
            (PROOF_UNSUBSCRIBE.to_string(), PROOF_UNSUBSCRIBE.to_string())
        } else {
            (self.url_of_token(&token), self.preferences_of_token(&token))
        };
        let boundary = &self.boundary;
        let mut head = String::with_capacity(1024);
        head.push_str(&self.common_headers);
        head.push_str("To: ");
        head.push_str(&mime::mailbox_at(to.name, to.email, "To: ".len()));
        head.push_str("\r\nMessage-ID: ");
        head.push_str(&self.message_id(to.email));
        head.push_str("\r\n");
        if !self.proof {
            head.push_str("List-Unsubscribe: <");
            head.push_str(&url);
            head.push_str(">,\r\n <");
            head.push_str(&self.mailto_of_token(&token));
            head.push_str(">\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
        }
        head.push_str(&self.mime_headers);
        out.extend_from_slice(head.as_bytes());
        for (ctype, (pre, post), personal_url, (tail, second)) in [
            (
                "text/plain",
                &self.text_qp,
                url.clone(),
                (&self.text_tail, prefs.clone()),
            ),
            (
                "text/html",
                &self.html_qp,
                html_attr(&url),
                (&self.html_tail, html_attr(&prefs)),
            ),
        ] {
            out.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Type: {ctype}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                )
                .as_bytes(),
            );
            out.extend_from_slice(pre.as_bytes());
            out.extend_from_slice(b"=\r\n");
            let start = out.len();
            let mut p = String::new();
            mime::quoted_printable(&personal_url, &mut p);
            out.extend_from_slice(p.as_bytes());
            out.extend_from_slice(b"=\r\n");
            personal.push(start..out.len());
            out.extend_from_slice(post.as_bytes());
            if let Some(tail) = tail {
                out.extend_from_slice(b"=\r\n");
                let start = out.len();
                let mut q = String::new();
                mime::quoted_printable(&second, &mut q);
                out.extend_from_slice(q.as_bytes());
                out.extend_from_slice(b"=\r\n");
                personal.push(start..out.len());
                out.extend_from_slice(tail.as_bytes());
            }
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

/// The stored HTML without its "View this issue in your browser" row: on the web page itself
/// the link would only lead back to the same page. Works on issues stored before this existed,
/// since the stored HTML is what is served.
fn without_browser_link(html: &str) -> std::borrow::Cow<'_, str> {
    let Some(link) = html.find("View this issue in your browser") else {
        return html.into();
    };
    let (Some(start), Some(end)) = (
        html[..link].rfind("<tr"),
        html[link..].find("</tr>").map(|e| link + e + "</tr>".len()),
    ) else {
        return html.into();
    };
    format!("{}{}", &html[..start], &html[end..]).into()
}
