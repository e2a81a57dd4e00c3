//! For operators: `/healthz` (200 while the scheduler and the ledger are alive: the ledger still
//! the file opened, answering, and its last write not failed; files with errors the daemon
//! runs without, the daily limit reached and paused issues are said, still 200), `/metrics`
//! (Prometheus text), `/admin` (the next fires and which are cancelled, the issues awaiting
//! approval, the state of the recent issues, the suppressions, and the addresses to remove from
//! lists; only with `Authorization: Bearer $BULLETIN_ADMIN_TOKEN`, otherwise it does not exist).

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};

use super::state::{AppState, error_page};
use crate::bounce::stale::StaleMember;
use crate::store::{CancelledFire, IssueState, IssueStatus, StatusState, StoreHealth, Suppression};

/// The scheduler counts as alive if it showed progress (a pass, or outcomes of a send
/// committed) within twice its longest sleep.
const STALE_SECS: i64 = 2 * crate::instance::MAX_SLEEP_SECS + 60;

pub async fn healthz(State(s): State<AppState>) -> Response {
    let now = s.clock.now();
    let beat = s.heartbeat.last().secs();
    let ago = |t: i64| {
        if t > 0 {
            format!("{} s ago", (now - t).max(0))
        } else {
            "none yet".to_string()
        }
    };
    let scheduler = beat > 0 && now - beat <= STALE_SECS;
    let health = s.store.health(now.into()).await;
    let store = health == StoreHealth::Ok;
    let paused: Vec<_> = if store {
        s.store
            .status()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.state == StatusState::Issue(IssueState::Paused))
            .collect()
    } else {
        Vec::new()
    };
    let status = if scheduler && store {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = format!(
        "{}\nscheduler: {}\nheartbeat: {}\nlast pass: {}\nstore: {}\npaused: {}\n",
        if status == StatusCode::OK {
            "ok"
        } else {
            "unhealthy"
        },
        if scheduler { "alive" } else { "stalled" },
        ago(beat),
        ago(s.heartbeat.last_pass().secs()),
        health,
        paused.len()
    );
    // Files with errors under a running daemon: still 200 (it works, on the configuration it
    // loaded last), but said, with since when, so nobody takes the edit for applied.
    if let Some(line) = s.config.status().describe() {
        body.push_str(&line);
        body.push('\n');
    }
    // The daily limit used up is the relay's terms, not a fault: still 200, but said.
    if store && let Some(w) = daily_wait(&s).await {
        body.push_str(&w.describe(s.live().project.settings.organisation.time_zone));
        body.push('\n');
    }
    // A paused issue is the relay's fault, not the daemon's: still 200 (restarting would not
    // help), but said plainly, with when it is tried again.
    for i in &paused {
        body.push_str(&paused_line(i));
    }
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A paused issue in `/healthz`: why, and when it is tried again.
fn paused_line(i: &IssueStatus) -> String {
    let retry = i.retry_at.and_then(|t| t.to_utc()).map_or_else(
        || "at the next pass".to_string(),
        |t| format!("at {}", t.to_rfc3339()),
    );
    format!(
        "paused issue {} ({} {} {}): {}; retrying {}\n",
        i.issue,
        i.bulletin,
        i.date,
        i.kind,
        i.paused_reason
            .as_deref()
            .unwrap_or("the relay could not be used"),
        retry
    )
}

/// The daily limit's wait, if it is reached and someone waits (`None` when the ledger cannot
/// say).
async fn daily_wait(s: &AppState) -> Option<crate::delivery::daily::DailyWait> {
    let live = s.live();
    let settings = &live.project.settings;
    crate::delivery::daily::waiting(
        &s.store,
        settings.transport.max_per_day,
        settings.organisation.time_zone,
        s.clock.timestamp(),
    )
    .await
    .ok()
    .flatten()
}

pub async fn metrics(State(s): State<AppState>) -> Response {
    let status = s.store.status().await.unwrap_or_default();
    let waiting = daily_wait(&s).await.map_or(0, |w| w.waiting);
    let mut out = String::new();
    ledger_metrics(&mut out, &status, waiting);
    let config = s.config.status();
    metric(
        &mut out,
        "bulletin_config_errors",
        "gauge",
        "Errors the configuration files had at the last reload; while above 0 the daemon runs the last good configuration.",
        config.errors,
    );
    metric(
        &mut out,
        "bulletin_config_last_good_load_seconds",
        "gauge",
        "Unix time the running configuration was loaded.",
        config.loaded_at,
    );
    metric(
        &mut out,
        "bulletin_http_requests_total",
        "counter",
        "HTTP requests served.",
        s.requests.load(Ordering::Relaxed),
    );
    metric(
        &mut out,
        "bulletin_unsubscribes_total",
        "counter",
        "Unsubscribes through the web since start.",
        s.unsubscribes.load(Ordering::Relaxed),
    );
    metric(
        &mut out,
        "bulletin_scheduler_last_pass_seconds",
        "gauge",
        "Unix time of the scheduler's last pass.",
        s.heartbeat.last_pass(),
    );
    metric(
        &mut out,
        "bulletin_scheduler_heartbeat_seconds",
        "gauge",
        "Unix time of the scheduler's last sign of life: its start, a pass, or outcomes of a send committed.",
        s.heartbeat.last(),
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// One metric without labels, with its HELP and TYPE lines.
fn metric(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    out.push_str(&format!(
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
    ));
}

/// What the ledger says: issues by kind and state, deliveries by state, issues held or paused,
/// and deliveries waiting for the daily limit (`waiting`).
fn ledger_metrics(out: &mut String, status: &[IssueStatus], waiting: u64) {
    out.push_str("# HELP bulletin_issues Issues in the ledger by kind and state.\n# TYPE bulletin_issues gauge\n");
    let mut by: std::collections::BTreeMap<(&str, &str), u64> = Default::default();
    for i in status {
        *by.entry((i.kind.family(), i.state.as_str())).or_default() += 1;
    }
    for ((kind, state), n) in &by {
        out.push_str(&format!(
            "bulletin_issues{{kind=\"{kind}\",state=\"{state}\"}} {n}\n"
        ));
    }
    out.push_str("# HELP bulletin_deliveries Deliveries by state, all issues.\n# TYPE bulletin_deliveries gauge\n");
    let mut total = crate::store::Counts::default();
    for i in status {
        total.merge(&i.deliveries);
    }
    for (name, n) in [
        ("pending", total.pending),
        ("in_flight", total.in_flight),
        ("sent", total.sent),
        ("deferred", total.deferred),
        ("failed", total.failed),
        ("expired", total.expired),
        ("suppressed", total.suppressed),
    ] {
        out.push_str(&format!("bulletin_deliveries{{state=\"{name}\"}} {n}\n"));
    }
    let held = status.iter().filter(|i| i.awaiting_approval).count();
    metric(
        out,
        "bulletin_issues_awaiting_approval",
        "gauge",
        "Issues held until an editor runs `bulletin approve`.",
        held,
    );
    let paused = status
        .iter()
        .filter(|i| i.state == StatusState::Issue(IssueState::Paused))
        .count();
    metric(
        out,
        "bulletin_issues_paused",
        "gauge",
        "Issues paused because the relay could not be used; the daemon retries them.",
        paused,
    );
    metric(
        out,
        "bulletin_relay_errors",
        "gauge",
        "Issues paused because the relay could not be used.",
        paused,
    );
    metric(
        out,
        "bulletin_daily_limit_waiting",
        "gauge",
        "Deliveries waiting for the daily limit (max_per_day) to reset at local midnight; 0 while it is not reached.",
        waiting,
    );
}

/// The token of an `Authorization: Bearer …` value. The scheme name is case-insensitive
/// (RFC 7235 §2.1): `bearer` and `BEARER` are the same scheme.
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn authorised(s: &AppState, headers: &HeaderMap) -> bool {
    let live = s.live();
    let Some(expected) = &live.project.settings.web.admin_token else {
        return false;
    };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
    else {
        return false;
    };
    // Constant time: compare HMACs of both under a fixed key.
    use hmac::{Hmac, KeyInit, Mac};
    let tag = |x: &str| {
        let mut m =
            Hmac::<sha2::Sha256>::new_from_slice(b"bulletin-admin-compare").expect("any key");
        m.update(x.as_bytes());
        m.finalize().into_bytes()
    };
    let a = tag(expected.expose());
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(b"bulletin-admin-compare").expect("any key");
    m.update(given.as_bytes());
    m.verify_slice(&a).is_ok()
}

/// `/admin` by any method. To a caller without the token it is the same 404 whatever the
/// method, as for any address that does not exist (a 405 would tell them the page is there);
/// to one with it, GET and HEAD read it and anything else is 405 with the methods it takes.
pub async fn admin_any(
    method: axum::http::Method,
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Response {
    use axum::http::Method;
    if method == Method::GET || method == Method::HEAD || !authorised(&s, &headers) {
        return admin(State(s), headers).await;
    }
    let mut r = error_page(
        &s,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        "This page can only be read.",
    );
    r.headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
    r
}

pub async fn admin(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if !authorised(&s, &headers) {
        return error_page(
            &s,
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no page at this address.",
        );
    }
    let live = s.live();
    let p = &live.project;
    let now = s.clock.now_utc();
    let next = crate::schedule::jobs::upcoming(p, now, 1);
    let status = s.store.status().await.unwrap_or_default();
    let created = s.store.created_issues().await.unwrap_or_default();
    let cancelled = s.store.cancelled_fires().await.unwrap_or_default();
    let suppressions = s.store.suppressions().await.unwrap_or_default();
    let stale = crate::bounce::stale::stale_members(
        p,
        &s.store.stale_addresses().await.unwrap_or_default(),
    );
    let when = Zoned(p);
    let body = super::layout::page(
        &p.settings.organisation,
        "Operations",
        html! {
            (next_fires(&next, &created, &cancelled, when))
            (awaiting_approval(&status))
            (issues(&status, when))
            (suppressed(&suppressions, when))
            (stale_members(&stale, &p.root))
        },
    );
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(body.into_string()),
    )
        .into_response()
}

/// Times on the admin page, in the organisation's zone.
#[derive(Clone, Copy)]
struct Zoned<'a>(&'a crate::config::Project);

impl Zoned<'_> {
    fn at(self, at: crate::timestamp::Timestamp) -> String {
        self.0.stamp(at)
    }

    fn zone(self) -> chrono_tz::Tz {
        self.0.settings.organisation.time_zone
    }
}

/// The next fire of every job: whether its issue is already in the ledger, and whether it is
/// cancelled (by whom, and how to restore it).
fn next_fires(
    next: &[crate::schedule::jobs::Upcoming],
    created: &crate::schedule::jobs::Created,
    cancelled: &[CancelledFire],
    when: Zoned<'_>,
) -> Markup {
    let cancellation = |job: &crate::schedule::jobs::Job, date: &Option<chrono::NaiveDate>| {
        cancelled
            .iter()
            .find(|c| &c.job == job && &c.for_date == date)
    };
    html! {
        h2 { "Next" }
        ul { @for (job, at, date) in next.iter().take(10) {
            li { (job.to_string()) ": " (at.format("%a %-d %b %Y %H:%M %Z")) @if let Some(d) = date { " (for " (d)
                @if crate::schedule::jobs::already_created(job, *date, created) { ": " (crate::schedule::jobs::ALREADY_CREATED) } ")" }
                @if let Some(c) = cancellation(job, date) {
                    " " strong { "cancelled" } " by " (c.by) " on " (when.at(c.at)) "; it will not go. To restore it: "
                    code { "bulletin uncancel " @if let (crate::schedule::jobs::Job::Bulletin(b), Some(d)) = (job, date) { (b) " --date " (d) } }
                } }
        } }
    }
}

/// The issues held until an editor approves them, with the command that does; nothing when
/// none is held.
fn awaiting_approval(status: &[IssueStatus]) -> Markup {
    let held: Vec<_> = status.iter().filter(|i| i.awaiting_approval).collect();
    html! {
        @if !held.is_empty() {
            h2 { "Awaiting approval" }
            ul { @for i in &held {
                li { strong { (i.bulletin) " " (i.date) } ": held, nothing sent. To send it: "
                    code { "bulletin approve " (i.bulletin) " --date " (i.date) } }
            } }
        }
    }
}

/// The last 30 issues and their deliveries by state.
fn issues(status: &[IssueStatus], when: Zoned<'_>) -> Markup {
    html! {
        h2 { "Issues" }
        table {
            caption { "Deliveries by state" }
            thead { tr { th scope="col" { "Bulletin" } th scope="col" { "Date" } th scope="col" { "Kind" } th scope="col" { "State" }
                th scope="col" { "Sent" } th scope="col" { "Pending" } th scope="col" { "Deferred" } th scope="col" { "Failed" } th scope="col" { "Suppressed" } } }
            tbody { @for i in status.iter().rev().take(30) {
                tr { td { (i.bulletin) } td { (i.date) } td { (i.kind.label(when.zone())) } td { (i.state) @if let Some(r) = &i.paused_reason { ": " (r) } }
                    td { (i.deliveries.sent) } td { (i.deliveries.pending + i.deliveries.in_flight) } td { (i.deliveries.deferred) }
                    td { (i.deliveries.failed) } td { (i.deliveries.suppressed) } }
            } }
        }
    }
}

/// Every suppression: who, of what, when, how and why.
fn suppressed(suppressions: &[Suppression], when: Zoned<'_>) -> Markup {
    html! {
        h2 { "Suppressions" }
        @if suppressions.is_empty() {
            p { "No one has unsubscribed or been suppressed." }
        } @else {
            table {
                caption { "Who asked not to receive what, and how" }
                thead { tr { th scope="col" { "Address" } th scope="col" { "Scope" } th scope="col" { "When" }
                    th scope="col" { "How" } th scope="col" { "Reason" } } }
                tbody { @for x in suppressions {
                    tr { td { (x.email_key) } td { (x.scope) } td { (when.at(x.created_at)) } td { (x.how.as_str()) }
                        td { (x.reason.as_deref().unwrap_or("")) } }
                } }
            }
        }
    }
}

/// Addresses bounces or complaints suppressed that a list file still holds, and where to
/// remove them (`root` is the project's folder, for showing the places).
fn stale_members(stale: &[StaleMember], root: &std::path::Path) -> Markup {
    html! {
        h2 { "Addresses to remove from lists" }
        @if stale.is_empty() {
            p { "None: no list holds an address that bounces or complaints suppressed." }
        } @else {
            table {
                caption { "Suppressed by bounces and still in a list file (lists are never edited by the daemon)" }
                thead { tr { th scope="col" { "Address" } th scope="col" { "Why" } th scope="col" { "Since" } th scope="col" { "Remove from" } } }
                tbody { @for r in stale {
                    tr { td { (r.email) } td { (r.why()) } td { (r.since) }
                        td { @for (i, place) in r.remove.iter().enumerate() {
                            @if i > 0 { br; }
                            (place.show(root))
                        } } }
                } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bearer;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for v in ["Bearer t0k", "bearer t0k", "BEARER t0k", "BeArEr  t0k"] {
            assert_eq!(bearer(v), Some("t0k"), "{v}");
        }
        assert_eq!(bearer("Basic t0k"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearert0k"), None);
    }
}
