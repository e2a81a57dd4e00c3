//! The campaign calendar (being built).
pub mod cli;
