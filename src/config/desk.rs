//! `[desk]` in `bulletin.toml`: who may sign in to the desk (the members of the lists it names,
//! with the role each list gives), how long a session lasts, and an optional single sign-on
//! proxy whose header is believed only from the addresses named.

use std::net::IpAddr;

use super::doc::{At, Table};
use crate::ids::ListId;

/// The desk's settings, validated. The list ids are checked against `config/lists/` with the
/// other cross-file references.
#[derive(Debug, Clone)]
pub struct Desk {
    /// Members of these lists sign in as editors.
    pub editors: Vec<ListId>,
    /// Members of these lists sign in as admins (a person on both kinds is an admin).
    pub admins: Vec<ListId>,
    /// A session unused this long ends.
    pub session_idle_minutes: u32,
    /// A session ends this long after sign-in, however busy.
    pub session_max_hours: u32,
    /// The reverse proxies whose `proxy_header` is believed (the TCP peer's address).
    pub trusted_proxies: Vec<IpAddr>,
    /// The header a single sign-on proxy puts the signed-in address in (e.g.
    /// `X-Forwarded-Email`); `None`: sign-in by emailed link only.
    pub proxy_header: Option<String>,
}

/// `[desk]` of the settings: `Some(None)` when absent, `None` when it has errors.
pub(crate) fn table(top: &Table<'_, '_, '_>, named: &mut Vec<At<String>>) -> Option<Option<Desk>> {
    match top.opt_table("desk") {
        None => Some(None),
        Some(t) => parse(&t, named).map(Some),
    }
}

/// Parse `[desk]`; the lists it names go to `named` for the cross-check. `None` when a value
/// is wrong (reported at its line and column).
pub(crate) fn parse(t: &Table<'_, '_, '_>, named: &mut Vec<At<String>>) -> Option<Desk> {
    let ctx = t.ctx;
    let editors = lists(t, "editors", named);
    let admins = lists(t, "admins", named);
    if !t.has("editors") && !t.has("admins") {
        ctx.error(t.pos, "[desk] names no list whose members may sign in")
            .hint(
                "add editors = [\"editors\"] and/or admins = [\"admins\"] (lists in config/lists/)",
            );
    }
    let idle = t.opt_int_in("session_idle_minutes", 1..=24 * 60);
    let max = t.opt_int_in("session_max_hours", 1..=24 * 31);
    let proxies = trusted_proxies(t);
    let header = proxy_header(t);
    if let (Some(h), Some(p)) = (&header, &proxies)
        && h.is_some() == p.is_empty()
    {
        let pos = t
            .pos_of("proxy_header")
            .or_else(|| t.pos_of("trusted_proxies"))
            .unwrap_or(t.pos);
        ctx.error(
            pos,
            "`proxy_header` and `trusted_proxies` go together: a header is believed only from a proxy named",
        )
        .hint("e.g. trusted_proxies = [\"127.0.0.1\"] and proxy_header = \"X-Forwarded-Email\"");
        t.finish();
        return None;
    }
    t.finish();
    Some(Desk {
        editors: editors?,
        admins: admins?,
        session_idle_minutes: idle.map_or(30, |v| v.value as u32),
        session_max_hours: max.map_or(12, |v| v.value as u32),
        trusted_proxies: proxies?,
        proxy_header: header?,
    })
}

/// The list ids of `key` (none when absent); each written one goes to `named`.
fn lists(
    t: &Table<'_, '_, '_>,
    key: &'static str,
    named: &mut Vec<At<String>>,
) -> Option<Vec<ListId>> {
    let mut ok = true;
    let mut out = Vec::new();
    for v in t.str_array(key).unwrap_or_default() {
        match ListId::parse(&v.value) {
            Ok(id) => out.push(id),
            Err(e) => {
                t.ctx.error(v.pos, format!("list `{}`: {e}", v.value));
                ok = false;
            }
        }
        named.push(v);
    }
    ok.then_some(out)
}

fn trusted_proxies(t: &Table<'_, '_, '_>) -> Option<Vec<IpAddr>> {
    let mut ok = true;
    let mut out = Vec::new();
    for v in t.str_array("trusted_proxies").unwrap_or_default() {
        match v.value.parse::<IpAddr>() {
            Ok(ip) => out.push(ip),
            Err(_) => {
                t.ctx
                    .error(v.pos, format!("`{}` is not an IP address", v.value))
                    .hint("the proxy's address as this server sees it, e.g. \"127.0.0.1\"");
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// `Some(None)` when absent; `None` when it is not a header name.
fn proxy_header(t: &Table<'_, '_, '_>) -> Option<Option<String>> {
    let Some(v) = t.opt_str("proxy_header") else {
        return Some(None);
    };
    if axum::http::HeaderName::from_bytes(v.value.as_bytes()).is_err() {
        t.ctx
            .error(v.pos, format!("`{}` is not a header name", v.value))
            .hint("e.g. proxy_header = \"X-Forwarded-Email\"");
        return None;
    }
    Some(Some(v.value.to_ascii_lowercase()))
}
