//! The security headers of every response, and the Content-Security-Policies of our pages and
//! of an archived issue.

/// The policy for our own pages: no scripts at all, styles only from our stylesheet.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy for an archived issue: the email's inlined `style` attributes, remote images over
/// https, and still no scripts.
pub const CSP_ISSUE: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Sent with every response, whoever makes it (our pages, the layers' errors, and the
/// connection-level refusals of [`super::head`]); the Content-Security-Policy is [`CSP`] unless
/// a page sets its own.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
];
