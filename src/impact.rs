//! `bulletin impact`: evidence of reach for the Strategic Effectiveness Group, per issue or per
//! quarter, without tracking people. Sent, delivered, bounced and unsubscribed come from the
//! ledger; clicks from the per-link counters (`[reach] count_clicks`); the agency breakdown
//! from the lists' `agency` column, only for groups of at least [`MIN_GROUP`] people.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDate, TimeZone};

use crate::config::Project;
use crate::reach::TrackedLink;
use crate::small_groups::{Group, printable};
use crate::store::{ReachDelivery, ReachIssue, ReachUnsubscribe, Store, StoreError};

/// No agency group smaller than this is ever shown: smaller ones are merged into
/// [`OTHER_AGENCIES`], and that too is left out when it is still smaller.
pub const MIN_GROUP: usize = 10;

/// The group small agencies are merged into.
pub const OTHER_AGENCIES: &str = "Other agencies";

/// Recipients whose list entry names no agency (or who are no longer in any list).
pub const NO_AGENCY: &str = "No agency recorded";

/// More clicks than this for each delivered copy are not readers: a person opens a link or two,
/// perhaps again later, but link checkers, mail scanners' prefetching or someone requesting a
/// counted link over and over make far more.
pub const MAX_CLICKS_PER_COPY: u64 = 3;

/// Whether an issue's clicks can be presented as reach: no more than
/// [`MAX_CLICKS_PER_COPY`] for each copy delivered.
pub fn clicks_plausible(clicks: u64, delivered: u64) -> bool {
    clicks <= delivered.saturating_mul(MAX_CLICKS_PER_COPY)
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    #[error(
        "`{0}` is not an issue: use BULLETIN@YYYY-MM-DD (e.g. sscp-news@2026-12-01) or the issue's number"
    )]
    BadIssue(String),
    #[error("no issue {0} in the ledger")]
    UnknownIssue(String),
    #[error("`{0}` is not a quarter: use YYYY-QN, e.g. 2026-Q4")]
    BadQuarter(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One issue: `BULLETIN@DATE` or its number in the ledger.
    Issue(String),
    /// A calendar quarter: every issue dated in it.
    Quarter { year: i32, q: u32 },
}

impl Scope {
    /// `2026-Q4` → the quarter.
    pub fn quarter(s: &str) -> Result<Scope, ImpactError> {
        let bad = || ImpactError::BadQuarter(s.to_string());
        let (y, q) = s.split_once(['-', ' ']).ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let q: u32 = q
            .strip_prefix(['Q', 'q'])
            .and_then(|q| q.parse().ok())
            .filter(|q| (1..=4).contains(q))
            .ok_or_else(bad)?;
        if !(1970..=9999).contains(&year) {
            return Err(bad());
        }
        Ok(Scope::Quarter { year, q })
    }

    /// The quarter's first day and the next quarter's first day.
    fn quarter_days(year: i32, q: u32) -> (NaiveDate, NaiveDate) {
        let first = NaiveDate::from_ymd_opt(year, 3 * q - 2, 1).expect("valid quarter");
        let next = if q == 4 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, 3 * q + 1, 1)
        }
        .expect("valid quarter");
        (first, next)
    }
}

/// Sent, delivered, bounced, unsubscribed and clicks of an issue, a quarter or a group.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Figures {
    pub sent: u64,
    pub delivered: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
}

/// One issue in the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssueLine {
    pub issue: String,
    pub subject: String,
    pub sent: u64,
    pub delivered: u64,
    pub bounced: u64,
    /// Only for a report on one issue; a quarter counts unsubscribes for the whole quarter.
    pub unsubscribed: Option<u64>,
    /// Every click counted on its links, plausible or not.
    pub clicks: u64,
    /// More clicks than [`clicks_plausible`] allows: left out of the report's clicks.
    pub clicks_implausible: bool,
}

/// Clicks on the links of one news item, campaign or standing block.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClickLine {
    /// `news`, `campaign` or `block`.
    pub place: String,
    pub title: String,
    pub clicks: u64,
}

/// One agency group (never fewer than [`MIN_GROUP`] people).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AgencyLine {
    pub agency: String,
    /// Distinct people the group's copies went to.
    pub recipients: u64,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The whole report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// `sscp-news@2026-12-01` or `2026-Q4`.
    pub scope: String,
    /// Unsubscribes are counted from this moment (RFC 3339)…
    pub from: String,
    /// …to this one (the next issue, the quarter's end, or now).
    pub to: String,
    pub issues: Vec<IssueLine>,
    pub total: Figures,
    /// Clicks of the issues whose counts are plausible: the reach the report claims.
    pub clicks: u64,
    /// Clicks of the issues flagged as implausible, left out of `clicks` and `by_item`.
    pub implausible_clicks: u64,
    /// Whether any issue in it counted clicks (`[reach] count_clicks` when it was sent).
    pub clicks_counted: bool,
    pub by_item: Vec<ClickLine>,
    pub by_agency: Vec<AgencyLine>,
    pub min_group: usize,
}

/// What the ledger holds for the report, gathered before adding up.
#[derive(Debug, Default)]
pub struct Gathered {
    pub issues: Vec<ReachIssue>,
    pub deliveries: Vec<ReachDelivery>,
    /// (issue id, link number, clicks).
    pub clicks: Vec<(i64, i64, i64)>,
    pub unsubscribes: Vec<ReachUnsubscribe>,
}

/// Add `g` up. `agency_of` gives an address's agency from the lists; `covers` says whether a
/// suppression's scope reaches the bulletins reported on.
pub fn compute(
    scope: String,
    (from, to): (String, String),
    g: &Gathered,
    agency_of: &dyn Fn(&str) -> Option<String>,
    covers: &dyn Fn(&str) -> bool,
) -> Report {
    let unsubscribed_keys: BTreeSet<&str> = g
        .unsubscribes
        .iter()
        .filter(|u| covers(&u.scope))
        .map(|u| u.email_key.as_str())
        .collect();
    let mut total = Figures::default();
    let mut issues = Vec::new();
    let mut by_item: Vec<ClickLine> = Vec::new();
    let mut all_clicks = 0;
    let mut implausible_clicks = 0;
    for i in &g.issues {
        let (line, items) = issue_line(i, g);
        if line.clicks_implausible {
            implausible_clicks += line.clicks;
        } else {
            all_clicks += line.clicks;
            add_clicks(&mut by_item, items);
        }
        total.sent += line.sent;
        total.delivered += line.delivered;
        total.bounced += line.bounced;
        issues.push(line);
    }
    total.unsubscribed = unsubscribed_keys.len() as u64;
    if let [one] = issues.as_mut_slice() {
        one.unsubscribed = Some(total.unsubscribed);
    }
    by_item.sort_by_key(|c| std::cmp::Reverse(c.clicks));
    let by_agency = agency_lines(agency_groups(g, &unsubscribed_keys, agency_of));
    Report {
        scope,
        from,
        to,
        issues,
        total,
        clicks: all_clicks,
        implausible_clicks,
        clicks_counted: g.issues.iter().any(|i| !i.links.is_empty()),
        by_item,
        by_agency,
        min_group: MIN_GROUP,
    }
}

/// One issue's line (its unsubscribes left to the caller), and the clicks on each of its
/// counted links.
fn issue_line<'a>(i: &'a ReachIssue, g: &Gathered) -> (IssueLine, Vec<(&'a TrackedLink, u64)>) {
    let mut f = Figures::default();
    for d in g.deliveries.iter().filter(|d| d.issue_id == i.id) {
        add(&mut f, d);
    }
    let mut clicks = 0;
    let mut items = Vec::new();
    for &(_, n, c) in g.clicks.iter().filter(|c| c.0 == i.id) {
        let Some(l) = usize::try_from(n - 1).ok().and_then(|n| i.links.get(n)) else {
            continue;
        };
        let c = c.max(0) as u64;
        clicks += c;
        items.push((l, c));
    }
    let line = IssueLine {
        issue: format!("{}@{}", i.bulletin, i.date),
        subject: i.subject.clone(),
        sent: f.sent,
        delivered: f.delivered,
        bounced: f.bounced,
        unsubscribed: None,
        clicks,
        clicks_implausible: !clicks_plausible(clicks, f.delivered),
    };
    (line, items)
}

/// Add the clicks on links to the lines of their news items, campaigns or blocks (the same
/// place and title in several issues is one line).
fn add_clicks(by_item: &mut Vec<ClickLine>, items: Vec<(&TrackedLink, u64)>) {
    for (l, c) in items {
        match by_item
            .iter_mut()
            .find(|x| x.place == l.place && x.title == l.title)
        {
            Some(x) => x.clicks += c,
            None => by_item.push(ClickLine {
                place: l.place.clone(),
                title: l.title.clone(),
                clicks: c,
            }),
        }
    }
}

/// The agency groups, each with its people and figures. People, not copies, decide a group's
/// size; someone who unsubscribed is one of the people a group's figures are about even when
/// no copy in scope went to them.
fn agency_groups<'a>(
    g: &'a Gathered,
    unsubscribed_keys: &BTreeSet<&'a str>,
    agency_of: &dyn Fn(&str) -> Option<String>,
) -> BTreeMap<String, (BTreeSet<&'a str>, AgencyFigures)> {
    let mut groups: BTreeMap<String, (BTreeSet<&str>, AgencyFigures)> = BTreeMap::new();
    for d in &g.deliveries {
        let a = agency_of(&d.email_key).unwrap_or_else(|| NO_AGENCY.to_string());
        let e = groups.entry(a).or_default();
        if e.0.insert(&d.email_key) {
            e.1.recipients += 1;
        }
        add(&mut e.1.figures, d);
    }
    for k in unsubscribed_keys {
        let a = agency_of(k).unwrap_or_else(|| NO_AGENCY.to_string());
        let e = groups.entry(a).or_default();
        e.0.insert(k);
        e.1.figures.unsubscribed += 1;
    }
    groups
}

fn add(f: &mut Figures, d: &ReachDelivery) {
    if d.sent {
        f.sent += 1;
        if d.bounced {
            f.bounced += 1;
        } else {
            f.delivered += 1;
        }
    }
}

/// An agency group's figures and how many of its people were sent a copy.
#[derive(Debug, Default)]
struct AgencyFigures {
    recipients: u64,
    figures: Figures,
}

impl std::ops::AddAssign for AgencyFigures {
    fn add_assign(&mut self, o: AgencyFigures) {
        self.recipients += o.recipients;
        self.figures += o.figures;
    }
}

impl std::ops::AddAssign for Figures {
    fn add_assign(&mut self, o: Figures) {
        self.sent += o.sent;
        self.delivered += o.delivered;
        self.bounced += o.bounced;
        self.unsubscribed += o.unsubscribed;
    }
}

/// The agency rows the small-group rule lets the report print (see [`crate::small_groups`]):
/// groups of at least [`MIN_GROUP`] people by name, largest first, the rest as
/// [`OTHER_AGENCIES`], folded further whenever the totals minus the printed rows would show
/// a smaller group.
fn agency_lines(groups: BTreeMap<String, (BTreeSet<&str>, AgencyFigures)>) -> Vec<AgencyLine> {
    let groups = groups.into_iter().map(|(name, (people, figures))| Group {
        name,
        people: people.len() as u64,
        figures,
    });
    printable(groups, MIN_GROUP as u64, OTHER_AGENCIES)
        .into_iter()
        .map(|g| AgencyLine {
            agency: g.name,
            recipients: g.figures.recipients,
            figures: g.figures.figures,
        })
        .collect()
}

/// Gather from the ledger and add up.
pub async fn report(
    project: &Project,
    store: &Store,
    scope: &Scope,
    now: crate::timestamp::Timestamp,
) -> Result<Report, ImpactError> {
    let tz = project.settings.organisation.time_zone;
    let at = |t: crate::timestamp::Timestamp| project.local(t).to_rfc3339();
    let (label, issues, from, to) = issues_in(store, scope, tz, now).await?;
    let mut g = Gathered {
        issues,
        ..Gathered::default()
    };
    for i in &g.issues {
        g.deliveries.extend(store.reach_deliveries(i.id).await?);
        for (n, c) in store.link_clicks(i.id).await? {
            g.clicks.push((i.id, n, c));
        }
    }
    g.unsubscribes = store.reach_unsubscribes(from, to).await?;
    let agencies = agencies(project);
    let bulletins: BTreeSet<&str> = g.issues.iter().map(|i| i.bulletin.as_str()).collect();
    let scopes = scopes_reaching(project, &bulletins);
    Ok(compute(
        label,
        (at(from), at(to)),
        &g,
        &|k| agencies.get(k).cloned(),
        &|s| !bulletins.is_empty() && scopes.contains(s),
    ))
}

/// The scope's label, its issues, and the moments unsubscribes are counted from and to: for
/// one issue, from its creation to the next issue of its bulletin (or now); for a quarter, its
/// local midnights (ending now at the latest).
async fn issues_in(
    store: &Store,
    scope: &Scope,
    tz: chrono_tz::Tz,
    now: crate::timestamp::Timestamp,
) -> Result<
    (
        String,
        Vec<ReachIssue>,
        crate::timestamp::Timestamp,
        crate::timestamp::Timestamp,
    ),
    ImpactError,
> {
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
            .earliest()
            .map_or(crate::timestamp::Timestamp::default(), Into::into)
    };
    Ok(match scope {
        Scope::Issue(s) => {
            let i = find_issue(store, s).await?;
            let to = store
                .reach_next_issue_at(&i.bulletin, i.created_at)
                .await?
                .unwrap_or(now.max(i.created_at) + 1);
            (
                format!("{}@{}", i.bulletin, i.date),
                vec![i.clone()],
                i.created_at,
                to,
            )
        }
        Scope::Quarter { year, q } => {
            let (first, next) = Scope::quarter_days(*year, *q);
            let last = next.pred_opt().expect("a day before");
            let issues = store.reach_issues_dated(first, last).await?;
            (
                format!("{year}-Q{q}"),
                issues,
                midnight(first),
                midnight(next).min(now.max(midnight(first)) + 1),
            )
        }
    })
}

/// Each listed address's agency (by address key), from the first list entry that names one.
fn agencies(project: &Project) -> HashMap<String, String> {
    let mut agencies: HashMap<String, String> = HashMap::new();
    for members in project.lists.members.values() {
        for m in members {
            if let Some(a) = m.agency.as_deref().filter(|a| !a.trim().is_empty()) {
                agencies
                    .entry(m.email.key())
                    .or_insert_with(|| a.trim().to_string());
            }
        }
    }
    agencies
}

/// The suppression scopes that reach any of `bulletins`: everything, the bulletins, and their
/// lists.
fn scopes_reaching(project: &Project, bulletins: &BTreeSet<&str>) -> BTreeSet<String> {
    let mut scopes: BTreeSet<String> = BTreeSet::from(["*".to_string()]);
    for b in bulletins {
        scopes.insert(format!("bulletin:{b}"));
        if let Some(b) = project.bulletin(b) {
            for l in &b.lists {
                scopes.insert(format!("list:{l}"));
            }
        }
    }
    scopes
}

async fn find_issue(store: &Store, s: &str) -> Result<ReachIssue, ImpactError> {
    let unknown = || ImpactError::UnknownIssue(s.to_string());
    let (bulletin, date) = if let Ok(id) = s.parse::<i64>() {
        let row = store.issue_by_id(id).await?.ok_or_else(unknown)?;
        if row.kind != crate::store::IssueKind::Issue {
            return Err(unknown());
        }
        let crate::ids::IssueOwner::Bulletin(bulletin) = row.bulletin else {
            return Err(unknown());
        };
        (bulletin, row.date)
    } else {
        s.split_once('@')
            .and_then(|(b, d)| Some((b.parse().ok()?, d.parse::<NaiveDate>().ok()?)))
            .ok_or_else(|| ImpactError::BadIssue(s.to_string()))?
    };
    store
        .reach_issue(&bulletin, date)
        .await?
        .ok_or_else(unknown)
}

/// One table for a spreadsheet: a `section` column says what each row is.
pub fn csv(r: &Report) -> String {
    let mut s =
        String::from("section,name,recipients,sent,delivered,bounced,unsubscribed,clicks\n");
    let fig = |f: &Figures| {
        format!(
            "{},{},{},{}",
            f.sent, f.delivered, f.bounced, f.unsubscribed
        )
    };
    s.push_str(&format!(
        "total,{},,{},{}\n",
        field(&r.scope),
        fig(&r.total),
        r.clicks
    ));
    for i in &r.issues {
        s.push_str(&format!(
            "issue,{},,{},{},{},{},{}\n",
            field(&i.issue),
            i.sent,
            i.delivered,
            i.bounced,
            i.unsubscribed.map_or(String::new(), |u| u.to_string()),
            shown_clicks(i)
        ));
    }
    // A row with only a clicks figure: `section` as it is, `name` quoted where it needs to be.
    let clicks_row = |section: &str, name: &str, clicks: u64| {
        format!("{section},{},,,,,,{clicks}\n", field(name))
    };
    // Kept apart, so a spreadsheet adding up the clicks column never counts them as reach.
    for i in r.issues.iter().filter(|i| i.clicks_implausible) {
        s.push_str(&clicks_row("implausible_clicks", &i.issue, i.clicks));
    }
    for c in &r.by_item {
        s.push_str(&clicks_row(&c.place, &c.title, c.clicks));
    }
    for a in &r.by_agency {
        s.push_str(&format!(
            "agency,{},{},{},\n",
            field(&a.agency),
            a.recipients,
            fig(&a.figures)
        ));
    }
    s
}

use crate::spreadsheet::csv_field as field;

/// An issue's clicks as a report shows them: blank when they are implausible (see
/// [`clicks_plausible`]; the report says so apart).
fn shown_clicks(i: &IssueLine) -> String {
    if i.clicks_implausible {
        String::new()
    } else {
        i.clicks.to_string()
    }
}

/// The report for a terminal.
pub fn table(r: &Report) -> String {
    let mut s = format!("Impact of {}\n", r.scope);
    issues_table(r, &mut s);
    clicks_table(r, &mut s);
    agencies_table(r, &mut s);
    s
}

/// The issues and the total, and a warning for each issue whose clicks are left out.
fn issues_table(r: &Report, s: &mut String) {
    s.push_str(&format!("Unsubscribes counted {} to {}\n\n", r.from, r.to));
    let head = format!(
        "{:<28}  {:>8}  {:>9}  {:>7}  {:>12}  {:>6}\n",
        "ISSUE", "SENT", "DELIVERED", "BOUNCED", "UNSUBSCRIBED", "CLICKS"
    );
    s.push_str(&head);
    let line = |name: &str, f: [u64; 3], unsubscribed: String, clicks: String| {
        format!(
            "{:<28}  {:>8}  {:>9}  {:>7}  {:>12}  {:>6}\n",
            name, f[0], f[1], f[2], unsubscribed, clicks
        )
    };
    if r.issues.len() != 1 {
        for i in &r.issues {
            let f = [i.sent, i.delivered, i.bounced];
            let clicks = Some(shown_clicks(i)).filter(|c| !c.is_empty());
            s.push_str(&line(&i.issue, f, "-".into(), clicks.unwrap_or("-".into())));
        }
    }
    let t = &r.total;
    s.push_str(&line(
        r.issues
            .first()
            .filter(|_| r.issues.len() == 1)
            .map_or("total", |i| &i.issue),
        [t.sent, t.delivered, t.bounced],
        t.unsubscribed.to_string(),
        r.clicks.to_string(),
    ));
    s.push('\n');
    for i in r.issues.iter().filter(|i| i.clicks_implausible) {
        s.push_str(&format!(
            "Warning: the {} clicks on {} are left out: more than {MAX_CLICKS_PER_COPY} for each of its {} delivered copies is not readers (link checkers, prefetching mail scanners or repeated requests).\n",
            i.clicks, i.issue, i.delivered
        ));
    }
    if r.implausible_clicks > 0 {
        s.push('\n');
    }
}

/// The clicks by news item, campaign or block, or why there are none.
fn clicks_table(r: &Report, s: &mut String) {
    if r.issues.is_empty() || r.total.sent == 0 {
        s.push_str("Nothing was sent in this period, so there are no clicks to count.\n\n");
    } else if !r.clicks_counted {
        s.push_str("Clicks were not counted ([reach] count_clicks was off when sent).\n\n");
    } else if r.by_item.is_empty() {
        s.push_str("No clicks yet.\n\n");
    } else {
        let w = column_width("TITLE", r.by_item.iter().map(|c| c.title.as_str()));
        s.push_str(&format!(
            "{:<8}  {:<w$}  {:>6}\n",
            "PLACE", "TITLE", "CLICKS"
        ));
        for c in &r.by_item {
            s.push_str(&format!(
                "{:<8}  {:<w$}  {:>6}\n",
                c.place, c.title, c.clicks
            ));
        }
        s.push('\n');
    }
}

/// The agency groups the small-group rule lets through, or why there are none.
fn agencies_table(r: &Report, s: &mut String) {
    if r.by_agency.is_empty() {
        s.push_str(&format!(
            "No agency group reaches {} people, so none is shown.\n",
            r.min_group
        ));
    } else {
        let w = column_width("AGENCY", r.by_agency.iter().map(|a| a.agency.as_str()));
        s.push_str(&format!(
            "{:<w$}  {:>10}  {:>8}  {:>9}  {:>7}  {:>12}\n",
            "AGENCY", "RECIPIENTS", "SENT", "DELIVERED", "BOUNCED", "UNSUBSCRIBED"
        ));
        for a in &r.by_agency {
            let f = &a.figures;
            s.push_str(&format!(
                "{:<w$}  {:>10}  {:>8}  {:>9}  {:>7}  {:>12}\n",
                a.agency, a.recipients, f.sent, f.delivered, f.bounced, f.unsubscribed
            ));
        }
        s.push_str(&format!(
            "(agencies with fewer than {} people are merged into \"{OTHER_AGENCIES}\", which is left out when it is smaller still)\n",
            r.min_group
        ));
    }
}

/// The width of a column headed `head` holding `values`, in characters.
fn column_width<'a>(head: &str, values: impl Iterator<Item = &'a str>) -> usize {
    values
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(0)
        .max(head.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deliveries(agency_sizes: &[(&str, usize)]) -> (Gathered, HashMap<String, String>) {
        let mut g = Gathered::default();
        let mut map = HashMap::new();
        for (a, n) in agency_sizes {
            for i in 0..*n {
                let key = format!("{i}@{a}.example");
                map.insert(key.clone(), a.to_string());
                g.deliveries.push(ReachDelivery {
                    issue_id: 1,
                    email_key: key,
                    sent: true,
                    bounced: false,
                });
            }
        }
        (g, map)
    }

    fn agencies(sizes: &[(&str, usize)]) -> Vec<(String, u64)> {
        let (g, map) = deliveries(sizes);
        let r = compute(
            "x".into(),
            (String::new(), String::new()),
            &g,
            &|k| map.get(k).cloned(),
            &|_| true,
        );
        r.by_agency
            .into_iter()
            .map(|a| (a.agency, a.recipients))
            .collect()
    }

    #[test]
    fn small_agencies_merge_and_a_small_other_is_left_out() {
        assert_eq!(
            agencies(&[("police", 12), ("nhs", 9), ("school", 3)]),
            [("police".into(), 12), (OTHER_AGENCIES.into(), 12)]
        );
        // The nine would be the totals minus police: police is folded in with them.
        assert_eq!(
            agencies(&[("police", 12), ("nhs", 9)]),
            [(OTHER_AGENCIES.to_string(), 21)]
        );
        assert_eq!(agencies(&[("nhs", 10)]), [("nhs".to_string(), 10)]);
    }

    #[test]
    fn quarters_parse() {
        assert_eq!(
            Scope::quarter("2026-Q4").unwrap(),
            Scope::Quarter { year: 2026, q: 4 }
        );
        assert!(Scope::quarter("2026-Q5").is_err());
        assert!(Scope::quarter("2026").is_err());
        let (a, b) = Scope::quarter_days(2026, 4);
        assert_eq!(
            (a.to_string(), b.to_string()),
            ("2026-10-01".into(), "2027-01-01".into())
        );
    }
}
