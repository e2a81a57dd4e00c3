//! Creating the issues subscribers get: a bulletin's issue and a campaign's announcement,
//! each created once in the ledger with its rendering and deliveries, or found again.

use chrono::NaiveDate;

use super::SendError;
use super::recipients::{materialise, materialise_lists};
use crate::compose;
use crate::config::Project;
use crate::ids::{BulletinId, CampaignId, IssueOwner};
use crate::store::{IssueKind, IssueRow, NewIssue, Store};
use crate::timestamp::Timestamp;

/// `now` in the organisation's time zone: the Date of an issue created now.
pub(super) fn created_at(project: &Project, now: Timestamp) -> chrono::DateTime<chrono_tz::Tz> {
    project.local(now)
}

/// Find or create the issue of `bulletin` for `date` (kind `issue`).
pub async fn create_or_resume(
    project: &Project,
    store: &Store,
    bulletin: &BulletinId,
    date: NaiveDate,
    now: Timestamp,
) -> Result<(IssueRow, bool), SendError> {
    if let Some(row) = store.find_issue(bulletin, date, IssueKind::Issue).await? {
        return Ok((row, false));
    }
    let (issue, mut rendered) = compose::compose(project, bulletin, date)?;
    if project.settings.reach.count_clicks {
        rendered = rendered
            .count_clicks(&issue)
            .map_err(compose::ComposeError::from)?;
    }
    rendered.set_date(&created_at(project, now));
    let b = project
        .bulletin(bulletin.as_str())
        .expect("render found it");
    let suppressions = store.suppressions().await?;
    let new = NewIssue {
        owner: IssueOwner::Bulletin(bulletin.clone()),
        date,
        kind: IssueKind::Issue,
        subject: issue.subject.clone(),
        rendered: crate::store::StoredRendering::of(&rendered)
            .map_err(|e| SendError::Setup(e.to_string()))?,
        themes: issue.theme_tags(),
        deliveries: materialise(project, b, &suppressions),
    };
    Ok(store.create_issue(&new, now).await?)
}

/// A campaign's announcement for the occurrence starting on `start`: a short message of its own
/// to the announce lists, once per occurrence (kind `announce`, keyed by campaign and start).
pub async fn create_announcement(
    project: &Project,
    store: &Store,
    campaign: &CampaignId,
    start: NaiveDate,
    now: Timestamp,
) -> Result<Option<(IssueRow, bool)>, SendError> {
    let Some(c) = project.campaign(campaign.as_str()) else {
        return Ok(None);
    };
    let Some(announce) = &c.announce else {
        return Ok(None);
    };
    if let Some(row) = store.find_announcement(campaign, start).await? {
        return Ok(Some((row, false)));
    }
    let created = created_at(project, now);
    let Some(issue) = crate::issue::announcement(project, campaign.as_str(), start, created) else {
        return Ok(None);
    };
    let mut rendered = compose::render(project, &issue)?;
    rendered.set_date(&created);
    let lists: Vec<crate::ids::ListId> = announce.lists.iter().map(|l| l.value.clone()).collect();
    let suppressions = store.suppressions().await?;
    let new = NewIssue {
        owner: IssueOwner::Campaign(campaign.clone()),
        date: start,
        kind: IssueKind::Announcement,
        subject: issue.subject.clone(),
        rendered: crate::store::StoredRendering::of(&rendered)
            .map_err(|e| SendError::Setup(e.to_string()))?,
        themes: issue.theme_tags(),
        deliveries: materialise_lists(
            project,
            &lists,
            &IssueOwner::Campaign(campaign.clone()),
            &suppressions,
        ),
    };
    Ok(Some(store.create_issue(&new, now).await?))
}
