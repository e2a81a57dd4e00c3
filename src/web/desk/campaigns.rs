//! The desk's campaign pages: `/desk/campaigns` (a year's calendar as month grids, or as a
//! list, `?year=2027&view=list`), `/desk/campaigns/new` and `/desk/campaigns/<id>` (the form;
//! "Check dates" shows the dates the rule gives for three years, read by the loader and
//! expanded by the calendar, and changes nothing; Save goes through
//! [`crate::project_edit::save`]).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{Datelike, Duration, NaiveDate};
use maud::{Markup, html};

use super::DeskUser;
use super::form::{self, Field, Problem};
use crate::calendar::{Calendar, Occurrence, human};
use crate::campaign_file::{self, CampaignForm, RULE_KINDS, RuleForm};
use crate::config::Project;
use crate::project_edit::{EditError, ProjectPath, Version};
use crate::web::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/desk/campaigns", get(year_page))
        .route("/desk/campaigns/new", get(new_form).post(save_new))
        .route("/desk/campaigns/{id}", get(edit_form).post(save_edit))
}

#[derive(serde::Deserialize, Default)]
struct YearQuery {
    year: Option<i32>,
    view: Option<String>,
    saved: Option<String>,
}

fn this_year(s: &AppState, project: &Project) -> i32 {
    project.local(s.clock.timestamp()).year()
}

fn page(status: StatusCode, body: Markup) -> Response {
    super::news::html_page(status, body)
}

async fn year_page(
    State(s): State<AppState>,
    user: DeskUser,
    Query(q): Query<YearQuery>,
) -> Response {
    let project = s.live().project;
    let year = q
        .year
        .filter(|y| (1900..=2200).contains(y))
        .unwrap_or_else(|| this_year(&s, &project));
    let list = q.view.as_deref() == Some("list");
    let tz = project.settings.organisation.time_zone;
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let occ = Calendar::new(&project.campaigns, tz).between(first, last);
    let main = html! {
        p { a class="button" href="/desk/campaigns/new" { "Add a campaign" } }
        nav aria-label="Year and view" {
            ul {
                li { a href={ "/desk/campaigns?year=" (year - 1) } { "Previous year (" (year - 1) ")" } }
                li { a href={ "/desk/campaigns?year=" (year + 1) } { "Next year (" (year + 1) ")" } }
                @if list {
                    li { a href={ "/desk/campaigns?year=" (year) } { "Show as month grids" } }
                } @else {
                    li { a href={ "/desk/campaigns?year=" (year) "&view=list" } { "Show as a list" } }
                }
            }
        }
        @if list { (year_list(&occ)) } @else { (year_grid(year, &occ)) }
        h2 { "Every campaign" }
        ul { @for c in &project.campaigns {
            li { a href={ "/desk/campaigns/" (c.id) } { (c.title) } }
        } }
    };
    let title = format!("Campaigns in {year}");
    page(
        StatusCode::OK,
        super::layout::page(&project.settings.organisation, &user, &title, main),
    )
}

fn year_list(occ: &[Occurrence]) -> Markup {
    html! {
        table {
            caption { "Campaigns, weeks and events, by start date" }
            thead { tr { th scope="col" { "Dates" } th scope="col" { "Campaign" } th scope="col" { "Checked" } th scope="col" { "Source" } } }
            tbody { @for o in occ {
                tr {
                    td { (human::when(o)) }
                    td { a href={ "/desk/campaigns/" (o.campaign) } { (o.title) } }
                    td { @if o.confirmed { "Confirmed" } @else { "Worked out by the rule" } }
                    td { (o.source.as_deref().unwrap_or("")) }
                }
            } }
        }
    }
}

/// Twelve month tables: a row a week, each day with what is on (a link on its first day).
fn year_grid(year: i32, occ: &[Occurrence]) -> Markup {
    html! {
        div class="desk-year" {
            @for month in 1..=12u32 {
                @if let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) {
                    (month_table(first, occ))
                }
            }
        }
    }
}

fn month_table(first: NaiveDate, occ: &[Occurrence]) -> Markup {
    let lead = i64::from(first.weekday().num_days_from_monday());
    let start = first - Duration::days(lead);
    let weeks: Vec<Vec<NaiveDate>> = (0..6)
        .map(|w| (0..7).map(|d| start + Duration::days(w * 7 + d)).collect())
        .filter(|week: &Vec<NaiveDate>| week.iter().any(|d| d.month() == first.month()))
        .collect();
    html! {
        table {
            caption { (first.format("%B %Y")) }
            thead { tr { @for (short, long) in [("Mon","Monday"),("Tue","Tuesday"),("Wed","Wednesday"),("Thu","Thursday"),("Fri","Friday"),("Sat","Saturday"),("Sun","Sunday")] {
                th scope="col" { abbr title=(long) { (short) } }
            } } }
            tbody { @for week in &weeks {
                tr { @for d in week {
                    @if d.month() == first.month() {
                        td {
                            (d.day())
                            ul { @for o in occ.iter().filter(|o| o.is_on(*d)) {
                                li { @if o.start == *d || d.day() == 1 {
                                    a href={ "/desk/campaigns/" (o.campaign) } { (o.title) }
                                } @else { span class="muted" { (o.title) } } }
                            } }
                        }
                    } @else { td {} }
                } }
            } }
        }
    }
}

/// What an edit page shows besides the form's values.
struct EditPage {
    id: Option<String>,
    version: Version,
    problems: Vec<Problem>,
    notice: Option<String>,
    /// The dates "Check dates" found, by year.
    dates: Option<Vec<Occurrence>>,
}

fn campaign_path(id: &str) -> String {
    format!("campaigns/{id}.toml")
}

fn read_campaign(project: &Project, id: &str) -> Option<String> {
    std::fs::read_to_string(project.root.join(campaign_path(id))).ok()
}

fn is_id(id: &str) -> bool {
    crate::ids::CampaignId::parse(id).is_ok() && crate::news_file::is_slug(id)
}

async fn new_form(State(s): State<AppState>, user: DeskUser) -> Response {
    let project = s.live().project;
    let form = CampaignForm {
        year: this_year(&s, &project),
        ..CampaignForm::default()
    };
    let p = EditPage {
        id: None,
        version: Version::absent(),
        problems: Vec::new(),
        notice: None,
        dates: None,
    };
    page(StatusCode::OK, edit_page(&project, &user, &form, "", &p))
}

async fn edit_form(
    State(s): State<AppState>,
    user: DeskUser,
    Path(id): Path<String>,
    Query(q): Query<YearQuery>,
) -> Response {
    let project = s.live().project;
    let Some(text) = is_id(&id).then(|| read_campaign(&project, &id)).flatten() else {
        return crate::web::state::error_page(
            &s,
            StatusCode::NOT_FOUND,
            "No such campaign",
            "There is no campaign at this address.",
        );
    };
    let year = q.year.unwrap_or_else(|| this_year(&s, &project));
    let (form, problems) = match CampaignForm::read(&text, year) {
        Ok(f) => (f, Vec::new()),
        Err(e) => (
            CampaignForm {
                year,
                ..CampaignForm::default()
            },
            vec![Problem {
                field: None,
                message: e.to_string(),
                hint: Some("fix the file in an editor".into()),
            }],
        ),
    };
    let tz = project.settings.organisation.time_zone;
    let p = EditPage {
        id: Some(id.clone()),
        version: Version::of(text.as_bytes()),
        problems,
        notice: q
            .saved
            .map(|_| "Saved. The daemon reads the change within moments.".to_string()),
        dates: campaign_file::dates_ahead(&id, &text, tz, this_year(&s, &project)).ok(),
    };
    page(StatusCode::OK, edit_page(&project, &user, &form, &id, &p))
}

async fn save_new(State(s): State<AppState>, user: DeskUser, body: String) -> Response {
    save(s, user, None, body).await
}

async fn save_edit(
    State(s): State<AppState>,
    user: DeskUser,
    Path(id): Path<String>,
    body: String,
) -> Response {
    if !is_id(&id) {
        return StatusCode::NOT_FOUND.into_response();
    }
    save(s, user, Some(id), body).await
}

/// The form a browser sent: line breaks as `\n`, one-line fields trimmed.
fn form_of(fields: &[(String, String)], fallback_year: i32) -> CampaignForm {
    let v = |k: &str| {
        form::value(fields, k)
            .replace("\r\n", "\n")
            .trim()
            .to_string()
    };
    let text = |k: &str| {
        let t = form::value(fields, k).replace("\r\n", "\n");
        if t.trim().is_empty() {
            String::new()
        } else if t.contains('\n') && !t.ends_with('\n') {
            format!("{t}\n")
        } else {
            t.trim().to_string()
        }
    };
    CampaignForm {
        title: v("title"),
        summary: text("summary"),
        url: v("url"),
        themes: v("themes"),
        rule: RuleForm {
            kind: v("rule-kind"),
            month: v("rule-month"),
            day: v("rule-day"),
            weekday: v("rule-weekday"),
            nth: v("rule-nth"),
            days: v("rule-days"),
            from: v("rule-from"),
            to: v("rule-to"),
        },
        source: v("source"),
        confirmed: v("confirmed"),
        year: v("year").parse().unwrap_or(fallback_year),
        year_from: v("year-from"),
        year_to: v("year-to"),
        year_source: v("year-source"),
        year_confirmed: v("year-confirmed"),
        theme: v("theme"),
        local: text("local"),
        hashtags: v("hashtags"),
    }
}

/// A refused save's (or check's) errors placed at the form's fields: `text` is what was to be
/// written as `campaigns/<id>.toml`.
pub fn problems_at_fields(
    diagnostics: &crate::diag::Diagnostics,
    id: &str,
    text: &str,
) -> Vec<Problem> {
    let path = std::path::PathBuf::from(campaign_path(id));
    form::place(diagnostics, &path, |line| field_at(text, line))
}

/// The form field of a line of the written campaign file.
fn field_at(text: &str, line: usize) -> Option<String> {
    let keys = [
        "title",
        "summary",
        "url",
        "themes",
        "yearly",
        "dates",
        "nth_weekday",
        "weekday_on_or_after",
        "source",
        "confirmed",
        "theme",
        "local",
        "hashtags",
    ];
    let key = form::key_at_line(text, line, &keys)?;
    let whens: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[when]]")
        .map(|(i, _)| i + 1)
        .collect();
    let in_later_when = whens.get(1).is_some_and(|second| line > *second);
    Some(match key.as_str() {
        "source" | "confirmed" if in_later_when => format!("year-{key}"),
        "dates" if in_later_when => "year-from".into(),
        "yearly" | "dates" | "nth_weekday" | "weekday_on_or_after" => "rule-kind".into(),
        _ => key,
    })
}

async fn save(s: AppState, user: DeskUser, id: Option<String>, body: String) -> Response {
    let fields = form::pairs(&body);
    if !user.csrf_ok(form::value(&fields, "csrf")) {
        return super::news::forbidden();
    }
    let Some(version) = Version::parse(form::value(&fields, "version")) else {
        return (StatusCode::BAD_REQUEST, "The form had no file version.\n").into_response();
    };
    let project = s.live().project;
    let year_now = this_year(&s, &project);
    let form = form_of(&fields, year_now);
    let id = id.unwrap_or_else(|| form::value(&fields, "id").trim().to_string());
    let mut p = EditPage {
        id: None,
        version,
        problems: Vec::new(),
        notice: None,
        dates: None,
    };
    let is_new = form::value(&fields, "new") == "1";
    if !is_id(&id) {
        p.problems.push(Problem::at(
            "id",
            "Enter an id of lower-case letters, digits and hyphens, for example odd-socks-day",
        ));
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            edit_page(&project, &user, &form, &id, &p),
        );
    }
    if !is_new {
        p.id = Some(id.clone());
    }
    let existing = read_campaign(&project, &id);
    if is_new && existing.is_some() {
        p.problems.push(Problem::at(
            "id",
            "There is already a campaign with this id: choose another",
        ));
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            edit_page(&project, &user, &form, &id, &p),
        );
    }
    let text = match form.write(existing.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            p.problems.push(Problem {
                field: None,
                message: e.to_string(),
                hint: None,
            });
            return page(
                StatusCode::UNPROCESSABLE_ENTITY,
                edit_page(&project, &user, &form, &id, &p),
            );
        }
    };
    check_dates(&project, &id, &text, year_now, &mut p);
    if form::value(&fields, "action") != "save" || !p.problems.is_empty() {
        let status = if p.problems.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return page(status, edit_page(&project, &user, &form, &id, &p));
    }
    let saved = Saving {
        project: &project,
        user: &user,
        form: &form,
        id: &id,
        text: &text,
        is_edit: existing.is_some(),
    };
    saved.commit(&s, p).await
}

/// The dates the text gives for three years from `year`, or the loader's errors at their fields.
fn check_dates(project: &Project, id: &str, text: &str, year: i32, p: &mut EditPage) {
    let tz = project.settings.organisation.time_zone;
    match campaign_file::dates_ahead(id, text, tz, year) {
        Ok(d) => p.dates = Some(d),
        Err(diags) => {
            p.problems = problems_at_fields(&diags, id, text);
        }
    }
}

/// A checked form on its way to the file.
struct Saving<'a> {
    project: &'a Project,
    user: &'a DeskUser,
    form: &'a CampaignForm,
    id: &'a str,
    text: &'a str,
    is_edit: bool,
}

impl Saving<'_> {
    async fn commit(self, s: &AppState, mut p: EditPage) -> Response {
        let Saving {
            project,
            user,
            form,
            id,
            text,
            is_edit,
        } = self;
        let verb = if is_edit { "edit" } else { "add" };
        let message = format!("Campaigns: {verb} \"{}\"", form.title);
        let edit = ProjectPath::new(campaign_path(id)).map(|path| crate::project_edit::Edit {
            path,
            contents: Some(text.to_string()),
            base: p.version.clone(),
        });
        let saved = match edit {
            Ok(edit) => super::save::save(s, project, user, edit, message).await,
            Err(e) => Err(e),
        };
        match saved {
            Ok(()) => Redirect::to(&format!("/desk/campaigns/{id}?saved=1&year={}", form.year))
                .into_response(),
            Err(EditError::Check(diags)) => {
                p.problems = problems_at_fields(&diags, id, text);
                page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    edit_page(project, user, form, id, &p),
                )
            }
            Err(EditError::Conflict { kept, .. }) => {
                let now_text = read_campaign(project, id).unwrap_or_default();
                let current = CampaignForm::read(&now_text, form.year).unwrap_or_default();
                p.version = Version::of(now_text.as_bytes());
                p.problems = vec![Problem {
                    field: None,
                    message: format!(
                        "This campaign was changed since you opened it, so your changes were not saved. Your version is kept in {}; the form now shows the campaign as it is.",
                        kept.display()
                    ),
                    hint: None,
                }];
                page(
                    StatusCode::CONFLICT,
                    edit_page(project, user, &current, id, &p),
                )
            }
            Err(e) => {
                p.problems = vec![Problem {
                    field: None,
                    message: format!("The campaign could not be saved: {e}"),
                    hint: None,
                }];
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    edit_page(project, user, form, id, &p),
                )
            }
        }
    }
}

fn edit_page(
    project: &Project,
    user: &DeskUser,
    f: &CampaignForm,
    id: &str,
    p: &EditPage,
) -> Markup {
    let action = p.id.as_ref().map_or_else(
        || "/desk/campaigns/new".to_string(),
        |i| format!("/desk/campaigns/{i}"),
    );
    let title = match &p.id {
        Some(_) => format!("Edit: {}", if f.title.is_empty() { id } else { &f.title }),
        None => "Add a campaign".to_string(),
    };
    let main = html! {
        (form::error_summary(&p.problems))
        @if let Some(n) = &p.notice { div class="notice" role="status" { p { (n) } } }
        @if let Some(d) = &p.dates { (dates_section(d)) }
        form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(user.csrf);
            input type="hidden" name="version" value=(p.version.as_str());
            @if p.id.is_none() {
                input type="hidden" name="new" value="1";
                (Field { id: "id", label: "Id", hint: Some("The file's name: lower-case letters, digits and hyphens, for example odd-socks-day"), value: id, kind: "text", required: true }.render(&p.problems))
            }
            (about_fields(f, &p.problems))
            (rule_fields(f, &p.problems))
            (year_fields(f, &p.problems))
            button type="submit" name="action" value="check" class="secondary" { "Check dates" }
            button type="submit" name="action" value="save" { "Save" }
        }
        @if let Some(i) = &p.id { (super::history::section(&project.root, &campaign_path(i))) }
    };
    super::layout::page(&project.settings.organisation, user, &title, main)
}

fn dates_section(occ: &[Occurrence]) -> Markup {
    html! {
        section class="notice" aria-labelledby="dates-heading" {
            h2 id="dates-heading" { "Its dates this year and the next two" }
            @if occ.is_empty() { p { "The rule gives no dates in these three years." } }
            @for (year, list) in campaign_file::by_year(occ) {
                h3 { (year) }
                ul { @for o in list {
                    li { (human::when(o)) @if o.confirmed { " (confirmed)" } @else { " (worked out by the rule)" } }
                } }
            }
        }
    }
}

fn about_fields(f: &CampaignForm, problems: &[Problem]) -> Markup {
    let themes: Vec<&str> = crate::themes::Theme::ids().collect();
    let themes_hint = format!("Optional. Separate them with commas: {}", themes.join(", "));
    html! {
        (Field { id: "title", label: "Title", hint: None, value: &f.title, kind: "text", required: true }.render(problems))
        (Field { id: "summary", label: "Summary", hint: Some("Markdown, shown in the issues and the calendar"), value: &f.summary, kind: "textarea", required: true }.render(problems))
        (Field { id: "url", label: "Link (optional)", hint: Some("A web address starting https://"), value: &f.url, kind: "text", required: false }.render(problems))
        (Field { id: "themes", label: "Themes (optional)", hint: Some(themes_hint.as_str()), value: &f.themes, kind: "text", required: false }.render(problems))
    }
}

fn rule_fields(f: &CampaignForm, problems: &[Problem]) -> Markup {
    let r = &f.rule;
    let kind_error: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.field.as_deref() == Some("rule-kind"))
        .collect();
    let kinds = [
        ("", "No rule (always on, or dates only)"),
        (
            "weekday_on_or_after",
            "A weekday on or after a day (most national weeks)",
        ),
        ("nth_weekday", "The nth weekday of a month"),
        ("yearly", "The same days every year"),
        ("dates", "Once, on these dates"),
    ];
    html! {
        fieldset {
            legend { h2 { "When it happens" } }
            @if r.kind == "at" {
                p { "This campaign is an event with a time: edit its [[when]] entries in the file." }
            } @else {
                div class={ "field" @if !kind_error.is_empty() { " field-error" } } {
                    label for="rule-kind" { "Rule" }
                    @for e in &kind_error { p id="rule-kind-error" class="error-message" { (e.message) } }
                    select id="rule-kind" name="rule-kind" aria-describedby=[(!kind_error.is_empty()).then_some("rule-kind-error")] {
                        @for (value, label) in kinds {
                            option value=(value) selected[r.kind == value] { (label) }
                        }
                        @if !r.kind.is_empty() && !RULE_KINDS.contains(&r.kind.as_str()) {
                            option value=(r.kind) selected { (r.kind) }
                        }
                    }
                }
                (Field { id: "rule-month", label: "Month (1–12)", hint: None, value: &r.month, kind: "text", required: false }.render(problems))
                (Field { id: "rule-day", label: "Day of the month (weekday on or after)", hint: None, value: &r.day, kind: "text", required: false }.render(problems))
                (Field { id: "rule-weekday", label: "Weekday", hint: Some("mon, tue, wed, thu, fri, sat or sun"), value: &r.weekday, kind: "text", required: false }.render(problems))
                (Field { id: "rule-nth", label: "Which one (nth weekday)", hint: Some("1 to 5, or last"), value: &r.nth, kind: "text", required: false }.render(problems))
                (Field { id: "rule-days", label: "Number of days (optional)", hint: None, value: &r.days, kind: "text", required: false }.render(problems))
                (Field { id: "rule-from", label: "From", hint: Some("MM-DD for the same days every year, a date (2027-11-15) for once"), value: &r.from, kind: "text", required: false }.render(problems))
                (Field { id: "rule-to", label: "To", hint: Some("As From, inclusive"), value: &r.to, kind: "text", required: false }.render(problems))
                (Field { id: "source", label: "Source (optional)", hint: Some("Where the dates were published: a web address or a citation"), value: &f.source, kind: "text", required: false }.render(problems))
                (Field { id: "confirmed", label: "Confirmed on (optional)", hint: Some("The day someone checked the dates against the source, for example 2026-12-05"), value: &f.confirmed, kind: "text", required: false }.render(problems))
            }
        }
    }
}

fn year_fields(f: &CampaignForm, problems: &[Problem]) -> Markup {
    let year = f.year.to_string();
    html! {
        fieldset {
            legend { h2 { "One year's dates and content" } }
            (Field { id: "year", label: "Year", hint: Some("The year the fields below are about"), value: &year, kind: "text", required: true }.render(problems))
            (Field { id: "year-from", label: "Published first day (optional)", hint: Some("The organiser's dates for this year replace the rule's, for example 2027-11-15"), value: &f.year_from, kind: "text", required: false }.render(problems))
            (Field { id: "year-to", label: "Published last day (optional)", hint: None, value: &f.year_to, kind: "text", required: false }.render(problems))
            (Field { id: "year-source", label: "Source of this year's dates (optional)", hint: None, value: &f.year_source, kind: "text", required: false }.render(problems))
            (Field { id: "year-confirmed", label: "This year's dates confirmed on (optional)", hint: None, value: &f.year_confirmed, kind: "text", required: false }.render(problems))
            (Field { id: "theme", label: "This year's theme (optional)", hint: None, value: &f.theme, kind: "text", required: false }.render(problems))
            (Field { id: "local", label: "Local activity this year (optional)", hint: Some("Markdown"), value: &f.local, kind: "textarea", required: false }.render(problems))
            (Field { id: "hashtags", label: "Hashtags (optional)", hint: Some("Separate them with commas: #AntiBullyingWeek, #ChooseRespect"), value: &f.hashtags, kind: "text", required: false }.render(problems))
        }
    }
}
