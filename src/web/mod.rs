//! The web server inside `bulletin run`: one-click unsubscribe, the archive of past issues, the
//! campaign calendar (a page, and an iCalendar feed), the Atom feed, and health, metrics and an
//! admin page for operators. Hardened: strict security headers, small request bodies, timeouts,
//! and plain error pages that show nothing of the internals.

pub mod archive;
pub mod calendar_page;
pub mod conn;
pub mod desk;
pub mod feeds;
pub mod head;
pub mod layout;
pub mod listen;
pub mod news_page;
pub mod offload;
pub mod ops;
pub mod preferences;
pub mod preferences_apply;
pub mod privacy;
pub mod redirect;
pub mod requests;
pub mod security;
pub mod server;
pub mod signup_accept;
pub mod state;
pub mod subscribe;
pub mod subscribe_mail;
pub mod unsubscribe;
pub mod xml;
