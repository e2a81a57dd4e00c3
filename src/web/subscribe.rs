//! `/subscribe/<bulletin>`: the public sign-up form, its answer, the snippet an organisation
//! pastes into its own site, and the confirmation link's page (`/confirm/<token>`: GET shows a
//! button and changes nothing; POST confirms and records consent).
//!
//! The answer to a posted form is one page, byte for byte, whatever happened: a new address,
//! one already on the list, a suppressed or erased one, a robot (the honeypot), a client over
//! its limit, or the day's confirmation mail already sent. Only the form's own mistakes are
//! shown back. The mail itself is sent after the answer, in the background, so its time is not
//! a tell either.

use std::net::IpAddr;
use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};

use super::layout::page;
use super::state::{AppState, error_page};
use crate::config::settings::Bulletin;
use crate::signup::{self, ClientLimits, FieldError, Form};

/// The per-client limits of this process.
static LIMITS: LazyLock<ClientLimits> = LazyLock::new(ClientLimits::default);

/// The client a request comes from: the connection's address, or — only when the connection
/// is from loopback, where the reverse proxy runs — the last `X-Forwarded-For` entry, the one
/// that proxy added. Anyone else's header is ignored: it costs nothing to forge.
pub fn client(peer: Option<std::net::SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    let ip = peer?.ip();
    if !ip.is_loopback() {
        return Some(ip);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|p| p.trim().parse::<IpAddr>().ok());
    Some(forwarded.unwrap_or(ip))
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

fn not_found(s: &AppState) -> Response {
    error_page(
        s,
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no sign-up form at this address.",
    )
}

/// The bulletin a URL's segment names and the sign-up setup of its list, if it takes sign-ups.
fn found<'p>(
    project: &'p crate::config::Project,
    segment: &str,
) -> Option<(&'p Bulletin, crate::config::SignupFields)> {
    let id = crate::ids::BulletinId::parse(segment).ok()?;
    let (_, cfg) = signup::list_for(project, &id)?;
    Some((project.bulletin(segment)?, cfg.fields))
}

/// GET: the empty form.
pub async fn show(State(s): State<AppState>, Path(bulletin): Path<String>) -> Response {
    let live = s.live();
    let Some((b, fields)) = found(&live.project, &bulletin) else {
        return not_found(&s);
    };
    let body = form_page(&live.project, b, fields, &Form::default(), &[]);
    Html(body.into_string()).into_response()
}

/// The form, with the answers and errors of a failed post.
fn form_page(
    project: &crate::config::Project,
    b: &Bulletin,
    fields: crate::config::SignupFields,
    f: &Form,
    errors: &[FieldError],
) -> Markup {
    let err = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.message);
    let agencies = &project.lists.agency_names;
    let title = format!("Sign up for {}", b.name);
    page(
        &project.settings.organisation,
        &title,
        html! {
            @if !errors.is_empty() {
                div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1" {
                    h2 id="error-summary-title" { "There is a problem" }
                    ul { @for e in errors { li { a href={ "#" (e.field) } { (e.message) } } } }
                }
            }
            p { "We will email you a link to confirm. Nothing else is sent until you do." }
            form method="post" action={ "/subscribe/" (b.id) } novalidate {
                (text_field("email", "Email address", "email", &f.email, err("email"), Some("email")))
                (text_field("name", "Full name", "text", &f.name, err("name"), Some("name")))
                @if fields.agency {
                    @if agencies.is_empty() {
                        (text_field("agency", "Organisation (optional)", "text", &f.agency, err("agency"), Some("organization")))
                    } @else {
                        div class={ "field" @if err("agency").is_some() { " has-error" } } {
                            label for="agency" { "Organisation (optional)" }
                            @if let Some(m) = err("agency") { span class="error" id="agency-error" { "Error: " (m) } }
                            select id="agency" name="agency" {
                                option value="" { "Choose your organisation" }
                                @for a in agencies { option value=(a) selected[f.agency == *a] { (a) } }
                            }
                        }
                    }
                }
                @if fields.role {
                    (text_field("role", "Job title or role (optional)", "text", &f.role, err("role"), Some("organization-title")))
                }
                div class="hp" {
                    label for="website" { "Leave this field blank" }
                    input type="text" id="website" name="website" tabindex="-1" autocomplete="off" value="";
                }
                p { "By confirming you agree to our " a href="/privacy" { "privacy notice" } ". You can change what you receive or unsubscribe from any email we send." }
                button type="submit" { "Sign up" }
            }
        },
    )
}

fn text_field(
    id: &str,
    label: &str,
    kind: &str,
    value: &str,
    error: Option<&str>,
    autocomplete: Option<&str>,
) -> Markup {
    html! {
        div class={ "field" @if error.is_some() { " has-error" } } {
            label for=(id) { (label) }
            @if let Some(m) = error { span class="error" id={ (id) "-error" } { "Error: " (m) } }
            input type=(kind) id=(id) name=(id) value=(value) autocomplete=[autocomplete]
                aria-describedby=[error.map(|_| format!("{id}-error"))] spellcheck="false";
        }
    }
}

/// The one answer to every accepted post.
fn neutral(s: &AppState, b: &Bulletin) -> Response {
    let live = s.live();
    let name = &b.name;
    let body = page(
        &live.project.settings.organisation,
        "Check your email",
        html! {
            p class="notice" { "If this address can be signed up for " (name) ", we have sent it an email with a link to confirm." }
            p { "Open the link within " (signup::CONFIRM_HOURS) " hours. If no email arrives, check your junk folder; we send at most one a day to any address." }
        },
    );
    no_store(Html(body.into_string()).into_response())
}

/// POST: the form.
pub async fn submit(
    State(s): State<AppState>,
    Path(bulletin): Path<String>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let live = s.live();
    let Some((b, fields)) = found(&live.project, &bulletin) else {
        return not_found(&s);
    };
    let form = Form::parse(&body);
    if form.is_robot() {
        return neutral(&s, b);
    }
    let client = client(peer.map(|p| (p.0).0), &headers);
    if !client.is_some_and(|c| LIMITS.allow(c, s.clock.timestamp())) {
        return neutral(&s, b);
    }
    match form.check(fields, &live.project.lists.agency_names) {
        Err(errors) => {
            let page = form_page(&live.project, b, fields, &form, &errors);
            no_store((StatusCode::BAD_REQUEST, Html(page.into_string())).into_response())
        }
        Ok(app) => {
            tokio::spawn(super::subscribe_mail::apply(s.clone(), b.id.clone(), app));
            neutral(&s, b)
        }
    }
}

/// `/subscribe/<bulletin>/snippet`: the HTML an organisation pastes into its own site.
pub async fn snippet(State(s): State<AppState>, Path(bulletin): Path<String>) -> Response {
    let live = s.live();
    let Some((b, fields)) = found(&live.project, &bulletin) else {
        return not_found(&s);
    };
    let code = snippet_html(&live.project.settings.web.public_url, b, fields);
    let body = page(
        &live.project.settings.organisation,
        &format!("Add the {} sign-up form to your website", b.name),
        html! {
            p { "Copy this HTML into a page of your organisation's website. It posts to our server, which answers with our own pages; it needs no script and no cookie, and your site learns nothing about who signs up." }
            pre class="snippet" tabindex="0" aria-label="HTML to copy" { code { (code) } }
            h2 { "How it looks" }
            (maud::PreEscaped(code))
        },
    );
    Html(body.into_string()).into_response()
}

/// The pasteable form: plain HTML with labels, the honeypot hidden by an inline style (the
/// host's stylesheet knows nothing of ours).
pub fn snippet_html(public_url: &str, b: &Bulletin, fields: crate::config::SignupFields) -> String {
    let id = b.id.as_str();
    let field = |name: &str, label: &str, kind: &str| {
        format!(
            "  <p><label for=\"{id}-{name}\">{label}</label><br>\n  <input type=\"{kind}\" id=\"{id}-{name}\" name=\"{name}\"></p>\n"
        )
    };
    let mut out = format!(
        "<form method=\"post\" action=\"{public_url}/subscribe/{id}\">\n  <h2>Sign up for {}</h2>\n",
        maud::html! { (b.name) }.into_string()
    );
    out.push_str(&field("email", "Email address", "email"));
    out.push_str(&field("name", "Full name", "text"));
    if fields.agency {
        out.push_str(&field("agency", "Organisation (optional)", "text"));
    }
    if fields.role {
        out.push_str(&field("role", "Job title or role (optional)", "text"));
    }
    out.push_str(&format!("  <p style=\"position:absolute;left:-10000px\"><label for=\"{id}-website\">Leave this field blank</label>\n  <input type=\"text\" id=\"{id}-website\" name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></p>\n"));
    out.push_str("  <p><button type=\"submit\">Sign up</button></p>\n</form>\n");
    out
}
