//! The campaign calendar (being built).
pub mod cli;

/// Problems only expansion reveals (being built).
pub fn lint(
    _campaigns: &[crate::config::Campaign],
    _tz: chrono_tz::Tz,
) -> crate::diag::Diagnostics {
    crate::diag::Diagnostics::new()
}
