//! Desk sessions: the cookie (a random secret; the ledger keeps only its SHA-256), its
//! timeouts, and who a person is from the live project's lists, asked again on every request
//! so that taking somebody off a desk list ends their access at once.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

use super::signin_link::{random_token, sha256_hex};
use super::{DeskUser, Role};
use crate::address::EmailAddress;
use crate::config::Project;
use crate::config::desk::Desk;
use crate::store::{DeskSession, Store, StoreError};
use crate::timestamp::Timestamp;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "bulletin_desk";

/// Who `email` is at the desk by the project's `[desk]` lists: their name (as a list names
/// them, else the address) and role (admin if any admins list has them). `None`: not on one.
pub fn who(project: &Project, email: &EmailAddress) -> Option<(String, Role)> {
    let desk = project.settings.desk.as_ref()?;
    let key = email.key();
    let find = |ids: &[crate::ids::ListId]| {
        project
            .lists
            .union(ids)
            .into_iter()
            .find(|m| m.email.key() == key)
    };
    let (member, role) = match find(&desk.admins) {
        Some(m) => (m, Role::Admin),
        None => (find(&desk.editors)?, Role::Editor),
    };
    let name = member
        .name
        .map_or_else(|| email.to_string(), |n| n.to_string());
    Some((name, role))
}

/// The session secret the request's cookie carries, if any.
pub fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for a new session (`None`: one that clears it). `Secure` when the site is
/// served over https.
pub fn set_cookie(secret: Option<&str>, public_url: &str) -> String {
    let secure = if public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    match secret {
        Some(s) => format!("{COOKIE_NAME}={s}; HttpOnly; SameSite=Strict; Path=/desk{secure}"),
        None => format!("{COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/desk; Max-Age=0{secure}"),
    }
}

/// Whether a session has run out at `now`: unused for longer than the idle timeout, or older
/// than the absolute one.
pub fn expired(s: &DeskSession, desk: &Desk, now: Timestamp) -> bool {
    now - s.last_seen > i64::from(desk.session_idle_minutes) * 60
        || now - s.created_at > i64::from(desk.session_max_hours) * 3600
}

fn role_word(r: Role) -> &'static str {
    match r {
        Role::Admin => "admin",
        Role::Editor => "editor",
    }
}

/// Start a session for `email`: the cookie's secret to hand to the browser.
pub async fn start(
    store: &Store,
    email: &EmailAddress,
    role: Role,
    now: Timestamp,
) -> Result<String, StoreError> {
    let secret = random_token(32);
    let s = DeskSession {
        email_key: email.key(),
        role: role_word(role).into(),
        csrf: random_token(32),
        created_at: now,
        last_seen: now,
    };
    store.desk_session_create(&sha256_hex(&secret), &s).await?;
    Ok(secret)
}

/// The person a cookie's session belongs to, if it is this ledger's, has not run out, and
/// they are still on a desk list. A live session's last use is moved to `now` (at most once a
/// minute, to spare the ledger a write per page).
pub async fn resume(
    store: &Store,
    project: &Project,
    secret: &str,
    now: Timestamp,
) -> Result<Option<DeskUser>, StoreError> {
    let Some(desk) = project.settings.desk.as_ref() else {
        return Ok(None);
    };
    let id = sha256_hex(secret);
    let Some(s) = store.desk_session(&id).await? else {
        return Ok(None);
    };
    if expired(&s, desk, now) {
        store.desk_session_end(&id).await?;
        return Ok(None);
    }
    let Ok(email) = EmailAddress::parse(&s.email_key) else {
        return Ok(None);
    };
    let Some((name, role)) = who(project, &email) else {
        return Ok(None);
    };
    if now - s.last_seen >= 60 {
        store.desk_session_touch(&id, now).await?;
    }
    Ok(Some(DeskUser {
        name,
        email,
        role,
        csrf: s.csrf,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk() -> Desk {
        Desk {
            editors: vec![],
            admins: vec![],
            session_idle_minutes: 30,
            session_max_hours: 12,
            trusted_proxies: vec![],
            proxy_header: None,
        }
    }

    fn session(created: i64, seen: i64) -> DeskSession {
        DeskSession {
            email_key: "a@x.example".into(),
            role: "editor".into(),
            csrf: "c".into(),
            created_at: Timestamp::from(created),
            last_seen: Timestamp::from(seen),
        }
    }

    #[test]
    fn idle_and_absolute_timeouts() {
        let d = desk();
        assert!(!expired(&session(0, 0), &d, Timestamp::from(30 * 60)));
        assert!(expired(&session(0, 0), &d, Timestamp::from(30 * 60 + 1)));
        let busy = session(0, 12 * 3600);
        assert!(!expired(&busy, &d, Timestamp::from(12 * 3600)));
        assert!(expired(&busy, &d, Timestamp::from(12 * 3600 + 1)));
    }

    #[test]
    fn cookies() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, "a=b; bulletin_desk=xyz; c=d".parse().unwrap());
        assert_eq!(cookie(&h), Some("xyz"));
        let c = set_cookie(Some("s"), "https://x.example");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("Secure"));
        assert!(!set_cookie(Some("s"), "http://127.0.0.1:8080").contains("Secure"));
    }
}
