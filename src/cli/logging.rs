//! Logging for every command: tracing on stderr, as text or JSON, with the chatty libraries
//! capped so secrets and addresses never reach a log.

use super::LogFormat;

/// Libraries whose debug and trace output carries what must never reach a log: the SMTP
/// dialogue (the `AUTH` line with the password, every recipient, every message), HTTP request
/// lines (unsubscribe tokens), TLS internals. Whatever `RUST_LOG` says, they log at `info` at
/// most; our own debug lines carry ids and counts only.
const QUIET_TARGETS: [&str; 9] = [
    "lettre",
    "hyper",
    "hyper_util",
    "h2",
    "tower",
    "tower_http",
    "axum",
    "rustls",
    "tokio_rustls",
];

/// The cap put over `RUST_LOG`: everything else at whatever level it asks for.
fn log_cap() -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    QUIET_TARGETS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, target| t.with_target(*target, LevelFilter::INFO),
    )
}

/// Whether log lines carry ANSI colour: only for a person at a terminal. A log written to a
/// file or a pipe (`run > daemon.log 2>&1`, journald, a log shipper) must stay plain text, and
/// `NO_COLOR` (set and not empty, as no-color.org defines it) turns colour off everywhere.
fn colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Set up tracing on stderr.
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour(
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            std::env::var_os("NO_COLOR").as_deref(),
        ))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.finish().with(log_cap()).init(),
        LogFormat::Json => builder.json().finish().with(log_cap()).init(),
    }
}

#[cfg(test)]
mod log_cap_tests {
    use tracing::Level;

    #[test]
    fn colour_only_at_a_terminal_and_never_under_no_color() {
        use std::ffi::OsStr;
        assert!(super::colour(true, None));
        assert!(super::colour(true, Some(OsStr::new(""))));
        assert!(!super::colour(true, Some(OsStr::new("1"))));
        assert!(!super::colour(false, None));
        assert!(!super::colour(false, Some(OsStr::new(""))));
    }

    #[test]
    fn libraries_that_log_secrets_are_capped_at_info_whatever_rust_log_says() {
        let cap = super::log_cap();
        for target in [
            "lettre::transport::smtp::client::async_connection",
            "hyper::proto::h1::role",
            "rustls::client::hs",
        ] {
            assert!(!cap.would_enable(target, &Level::DEBUG), "{target}");
            assert!(cap.would_enable(target, &Level::WARN), "{target}");
        }
        assert!(cap.would_enable("bulletin::delivery", &Level::TRACE));
        assert!(cap.would_enable("sqlx::query", &Level::DEBUG));
    }
}
