//! `/preferences/<token>`: what one address receives, with the same sealed token as its
//! unsubscribe link. GET shows the bulletins of the organisation that take sign-ups (ticked
//! when the address receives them), the name and organisation the lists hold, and "unsubscribe
//! from everything"; it changes nothing (mail scanners open links). POST changes: a bulletin
//! unticked is a suppression for it, ticked again lifts that suppression or (not yet on its
//! list) appends the person to the list's CSV; a new name or organisation is written to the
//! sign-up CSVs that hold the address — files through [`crate::project_edit`], never a copy.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::layout::page;
use super::state::{AppState, error_page};
use crate::config::Project;
use crate::ids::BulletinId;
use crate::store::{Suppression, SuppressionHow, SuppressionScope};
use crate::token::Unsubscribe;

fn invalid(s: &AppState) -> Response {
    error_page(
        s,
        StatusCode::BAD_REQUEST,
        "This link is not valid",
        "The link may have been copied incompletely. Use the link at the bottom of the most recent email you received.",
    )
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

/// One bulletin on the page: its id, name, and whether the address receives it.
struct Choice {
    id: BulletinId,
    name: String,
    receives: bool,
}

/// The open bulletins, each with whether `key` receives it (on its lists, not suppressed).
fn choices(project: &Project, key: &str, supp: &[Suppression]) -> Vec<Choice> {
    let all = supp.iter().any(|s| s.scope == SuppressionScope::All);
    crate::signup::open_bulletins(project)
        .into_iter()
        .map(|(b, _)| {
            let on = project
                .lists
                .union(&b.lists)
                .iter()
                .any(|m| m.email.key() == key);
            let off = all
                || supp
                    .iter()
                    .any(|s| s.scope == SuppressionScope::Bulletin(b.id.clone()));
            Choice {
                id: b.id.clone(),
                name: b.name.clone(),
                receives: on && !off,
            }
        })
        .collect()
}

/// The address's suppressions.
async fn suppressions_of(s: &AppState, key: &str) -> Option<Vec<Suppression>> {
    let all = s.store.suppressions().await.ok()?;
    Some(all.into_iter().filter(|x| x.email_key == key).collect())
}

pub async fn show(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let live = s.live();
    let Ok(u) = live.signer.verify(&token) else {
        return no_store(invalid(&s));
    };
    let key = u.email.key();
    let Some(supp) = suppressions_of(&s, &key).await else {
        return no_store(unavailable(&s));
    };
    let choices = choices(&live.project, &key, &supp);
    let (name, agency) = super::preferences_apply::held(&live.project, &key);
    let agency = agency.unwrap_or_default();
    let body = page(
        &live.project.settings.organisation,
        "Your email preferences",
        html! {
            p { "Choose what " strong { (u.email) } " receives. Nothing changes until you press a button." }
            form method="post" {
                @if !choices.is_empty() {
                    fieldset class="field" {
                        legend { "Bulletins" }
                        @for c in &choices {
                            div class="checkbox" {
                                input type="checkbox" id={ "b-" (c.id) } name="bulletin" value=(c.id) checked[c.receives];
                                label for={ "b-" (c.id) } { (c.name) }
                            }
                        }
                    }
                }
                div class="field" {
                    label for="name" { "Your name" }
                    input type="text" id="name" name="name" value=(name) autocomplete="name";
                }
                div class="field" {
                    label for="agency" { "Organisation and role" }
                    input type="text" id="agency" name="agency" value=(agency) autocomplete="organization";
                }
                button type="submit" name="action" value="save" { "Save my preferences" }
            }
            h2 { "Stop all email" }
            form method="post" {
                button class="secondary" type="submit" name="action" value="all" { "Unsubscribe from everything" }
            }
        },
    );
    no_store(Html(body.into_string()).into_response())
}

fn unavailable(s: &AppState) -> Response {
    error_page(
        s,
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again",
        "We could not read or record your preferences just now. Please try again in a few minutes.",
    )
}

/// What a posted preferences form asks for.
#[derive(Debug, Default)]
struct Wanted {
    all: bool,
    bulletins: Vec<String>,
    name: Option<String>,
    agency: Option<String>,
}

fn wanted(body: &str) -> Wanted {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(body.trim()).unwrap_or_default();
    let mut w = Wanted::default();
    for (k, v) in pairs {
        match k.as_str() {
            "action" if v == "all" => w.all = true,
            "bulletin" => w.bulletins.push(v),
            "name" => w.name = Some(v.trim().chars().take(200).collect()),
            "agency" => w.agency = Some(v.trim().chars().take(200).collect()),
            _ => {}
        }
    }
    w
}

pub async fn save(State(s): State<AppState>, Path(token): Path<String>, body: String) -> Response {
    let live = s.live();
    let Ok(u) = live.signer.verify(&token) else {
        return no_store(invalid(&s));
    };
    let w = wanted(&body);
    let now = s.clock.timestamp();
    let key = u.email.key();
    if w.all {
        let r = s
            .store
            .suppress_how(
                &key,
                &SuppressionScope::All,
                Some("preferences page"),
                SuppressionHow::Link,
                now,
            )
            .await;
        if r.is_err() {
            return no_store(unavailable(&s));
        }
        return no_store(done(
            &s,
            &u,
            "You will not receive any of our bulletins again.",
        ));
    }
    match super::preferences_apply::apply(&s, &u, &w.bulletins, (w.name, w.agency)).await {
        Ok(()) => no_store(done(
            &s,
            &u,
            "Your preferences are saved. They take effect before the next email is sent.",
        )),
        Err(e) => {
            tracing::warn!(error = %e, "preferences: could not save");
            no_store(unavailable(&s))
        }
    }
}

fn done(s: &AppState, u: &Unsubscribe, sentence: &str) -> Response {
    let live = s.live();
    let body = page(
        &live.project.settings.organisation,
        "Your preferences",
        html! {
            p class="notice" { (sentence) }
            p { "This applies to " strong { (u.email) } ". If this was a mistake, open the link in any of our emails again." }
        },
    );
    (StatusCode::OK, Html(body.into_string())).into_response()
}
