//! Reach in the ledger, the same SQL on both backends: the links an issue counts (kept in its
//! stored rendering), one counter per (issue, link), and the figures `impact` adds up. Nothing
//! here stores or reads anything about who clicked.

/// An issue as `impact` sees it.
#[derive(Debug, Clone)]
pub struct ReachIssue {
    pub id: i64,
    pub bulletin: crate::ids::BulletinId,
    pub date: String,
    pub subject: String,
    pub created_at: Timestamp,
    /// The links it counts (empty when it was sent without `count_clicks`).
    pub links: Vec<crate::reach::TrackedLink>,
}

/// One recipient of an issue: what happened to their copy (for totals and agency groups).
#[derive(Debug, Clone)]
pub struct ReachDelivery {
    pub issue_id: i64,
    pub email_key: String,
    pub sent: bool,
    pub bounced: bool,
}

/// A suppression someone asked for (not one a bounce made).
#[derive(Debug, Clone)]
pub struct ReachUnsubscribe {
    pub email_key: String,
    pub scope: String,
    pub created_at: Timestamp,
}

/// `impl $store { … }`: reach queries over the backend's `pool`.
macro_rules! reach_queries {
    ($store:ty) => {
        impl $store {
            /// The issue (kind `issue`) of `bulletin` for `date`, with its counted links.
            pub async fn reach_issue(
                &self,
                bulletin: &$crate::ids::BulletinId,
                date: chrono::NaiveDate,
            ) -> Result<Option<$crate::store::ReachIssue>, $crate::store::StoreError> {
                let row = sqlx::query(
                    "SELECT id, bulletin, issue_date, subject, created_at, rendered FROM issues
                     WHERE bulletin = $1 AND issue_date = $2 AND kind = $3",
                )
                .bind(bulletin.as_str())
                .bind($crate::store::vocab::date_text(date))
                .bind($crate::store::IssueKind::Issue.as_str())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|r| $crate::store::reach::reach_issue_from!(&r)).transpose()?)
            }

            /// Issues (kind `issue`) dated `from` to `to` inclusive (YYYY-MM-DD), oldest first.
            pub async fn reach_issues_dated(
                &self,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> Result<Vec<$crate::store::ReachIssue>, $crate::store::StoreError> {
                let rows = sqlx::query(
                    "SELECT id, bulletin, issue_date, subject, created_at, rendered FROM issues
                     WHERE kind = $3 AND issue_date >= $1 AND issue_date <= $2
                     ORDER BY issue_date, bulletin",
                )
                .bind($crate::store::vocab::date_text(from))
                .bind($crate::store::vocab::date_text(to))
                .bind($crate::store::IssueKind::Issue.as_str())
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| $crate::store::reach::reach_issue_from!(r))
                    .collect::<Result<_, _>>()?)
            }

            /// When the next issue of `bulletin` after the one created at `after` was created.
            pub async fn reach_next_issue_at(
                &self,
                bulletin: &$crate::ids::BulletinId,
                after: $crate::timestamp::Timestamp,
            ) -> Result<Option<$crate::timestamp::Timestamp>, $crate::store::StoreError> {
                let row = sqlx::query(
                    "SELECT MIN(created_at) AS at FROM issues
                     WHERE bulletin = $1 AND kind = $3 AND created_at > $2",
                )
                .bind(bulletin.as_str())
                .bind(after)
                .bind($crate::store::IssueKind::Issue.as_str())
                .fetch_one(&self.pool)
                .await?;
                Ok(sqlx::Row::get(&row, "at"))
            }

            /// Count one click on link `link` of issue `issue_id`: a counter, nothing else.
            pub async fn count_click(
                &self,
                issue_id: i64,
                link: i64,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO link_clicks (issue_id, link, clicks) VALUES ($1, $2, 1)
                     ON CONFLICT (issue_id, link) DO UPDATE SET clicks = link_clicks.clicks + 1",
                )
                .bind(issue_id)
                .bind(link)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            /// The click counters of an issue: (link number, clicks).
            pub async fn link_clicks(
                &self,
                issue_id: i64,
            ) -> Result<Vec<(i64, i64)>, $crate::store::StoreError> {
                let rows = sqlx::query(
                    "SELECT link, clicks FROM link_clicks WHERE issue_id = $1 ORDER BY link",
                )
                .bind(issue_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| (sqlx::Row::get(r, "link"), sqlx::Row::get(r, "clicks")))
                    .collect())
            }

            /// Each recipient of the issue: sent or not, bounced (hard or soft) or not.
            pub async fn reach_deliveries(
                &self,
                issue_id: i64,
            ) -> Result<Vec<$crate::store::ReachDelivery>, $crate::store::StoreError> {
                let rows = sqlx::query(
                    "SELECT d.email_key, d.state,
                            EXISTS (SELECT 1 FROM bounces b WHERE b.delivery_id = d.id
                                    AND b.kind IN ($2, $3)) AS bounced
                     FROM deliveries d WHERE d.issue_id = $1 ORDER BY d.email_key",
                )
                .bind(issue_id)
                .bind($crate::store::BounceKind::Hard.as_str())
                .bind($crate::store::BounceKind::Soft.as_str())
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| {
                        let state: String = sqlx::Row::get(r, "state");
                        $crate::store::ReachDelivery {
                            issue_id,
                            email_key: sqlx::Row::get(r, "email_key"),
                            sent: state == $crate::store::DeliveryState::Sent.as_str(),
                            bounced: sqlx::Row::get(r, "bounced"),
                        }
                    })
                    .collect())
            }

            /// Suppressions people asked for (not bounces) created in `[from, to)`.
            pub async fn reach_unsubscribes(
                &self,
                from: $crate::timestamp::Timestamp,
                to: $crate::timestamp::Timestamp,
            ) -> Result<Vec<$crate::store::ReachUnsubscribe>, $crate::store::StoreError> {
                let rows = sqlx::query(
                    "SELECT email_key, scope, created_at FROM suppressions
                     WHERE created_at >= $1 AND created_at < $2
                       AND (how IS NULL OR how <> $3)
                     ORDER BY created_at, email_key",
                )
                .bind(from)
                .bind(to)
                .bind($crate::store::SuppressionHow::Bounce.as_str())
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .map(|r| $crate::store::ReachUnsubscribe {
                        email_key: sqlx::Row::get(r, "email_key"),
                        scope: sqlx::Row::get(r, "scope"),
                        created_at: sqlx::Row::get(r, "created_at"),
                    })
                    .collect())
            }
        }

    };
}

/// A [`ReachIssue`] from a row of `id, bulletin, issue_date, subject, created_at, rendered`.
macro_rules! reach_issue_from {
    ($r:expr) => {{
        let rendered: String = sqlx::Row::get($r, "rendered");
        let bulletin: String = sqlx::Row::get($r, "bulletin");
        $crate::ids::BulletinId::parse(&bulletin)
            .map_err(|_| $crate::store::DecodeError {
                what: "a bulletin id",
                value: bulletin,
            })
            .map(|bulletin| $crate::store::ReachIssue {
                id: sqlx::Row::get($r, "id"),
                bulletin,
                date: sqlx::Row::get($r, "issue_date"),
                subject: sqlx::Row::get($r, "subject"),
                created_at: sqlx::Row::get($r, "created_at"),
                links: $crate::store::StoredRendering::from(rendered).links(),
            })
    }};
}

pub(crate) use reach_issue_from;
pub(crate) use reach_queries;

/// The same queries on whichever backend the store is.
macro_rules! on_backend {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            super::Store::Sqlite($s) => $e,
            super::Store::Postgres($s) => $e,
        }
    };
}

type Res<T> = Result<T, super::StoreError>;

use crate::ids::BulletinId;
use crate::timestamp::Timestamp;
use chrono::NaiveDate;

impl super::Store {
    /// The issue (kind `issue`) of `bulletin` for `date`, with its counted links.
    pub async fn reach_issue(
        &self,
        bulletin: &BulletinId,
        date: NaiveDate,
    ) -> Res<Option<ReachIssue>> {
        on_backend!(self, s => s.reach_issue(bulletin, date).await)
    }

    /// Issues dated `from` to `to` inclusive (YYYY-MM-DD), oldest first.
    pub async fn reach_issues_dated(&self, from: NaiveDate, to: NaiveDate) -> Res<Vec<ReachIssue>> {
        on_backend!(self, s => s.reach_issues_dated(from, to).await)
    }

    /// When the next issue of `bulletin` was created (the end of this one's period).
    pub async fn reach_next_issue_at(
        &self,
        bulletin: &BulletinId,
        after: Timestamp,
    ) -> Res<Option<Timestamp>> {
        on_backend!(self, s => s.reach_next_issue_at(bulletin, after).await)
    }

    /// Count one click on a link of an issue.
    pub async fn count_click(&self, issue_id: i64, link: i64) -> Res<()> {
        self.write(async { on_backend!(self, s => s.count_click(issue_id, link).await) })
            .await
    }

    /// (link number, clicks) of an issue.
    pub async fn link_clicks(&self, issue_id: i64) -> Res<Vec<(i64, i64)>> {
        on_backend!(self, s => s.link_clicks(issue_id).await)
    }

    /// Each recipient of an issue, sent and bounced or not.
    pub async fn reach_deliveries(&self, issue_id: i64) -> Res<Vec<ReachDelivery>> {
        on_backend!(self, s => s.reach_deliveries(issue_id).await)
    }

    /// Suppressions people asked for (not bounces) created in `[from, to)`.
    pub async fn reach_unsubscribes(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Res<Vec<ReachUnsubscribe>> {
        on_backend!(self, s => s.reach_unsubscribes(from, to).await)
    }
}
