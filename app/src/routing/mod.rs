//! Routing: which outputs a person must see, and the settings per project and model that decide
//! it (threshold, audit rate, reviews per task, and whether end users' dissatisfaction sends an
//! auto-accepted output back to review). One type, [`RoutingSetting`], serves ingest, the
//! admin page and the JSON API; one rule picks the settings in force ([`store::in_force`]): the
//! project's row for the model, else the project's defaults (model `*`), else the default
//! project's row for the model, else the default project's defaults.
//!
//! A change applies to outputs (and end-user feedback) that arrive afterwards; tasks already
//! routed keep their decision.

/// The decisions themselves: once when an output arrives, and again when its end users are
/// dissatisfied.
#[cfg(feature = "ssr")]
pub mod decide;

use crate::domain::ModelName;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The model name of the defaults row.
pub const DEFAULTS: &str = "*";

/// One model's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoutingSetting {
    /// The project whose row this is (its slug): the project asked about, or `default` where
    /// it follows the default project's settings.
    pub project: String,
    pub model: String,
    /// Outputs with confidence under this go to review.
    pub threshold: f64,
    /// Share of the confident rest sampled for review.
    pub audit_rate: f64,
    /// Reviewers who must see each task.
    pub reviews_per_task: i32,
    /// Whether end users' dissatisfaction (a thumbs-down, a rating at or under
    /// `user_feedback_rating_at_most`, or a correction) sends an auto-accepted output to review,
    /// with reason `user_feedback`. On by default.
    pub user_feedback_review: bool,
    /// The highest end-user rating that counts as dissatisfied (1 to 5; default 2).
    pub user_feedback_rating_at_most: f64,
    /// Whether an output routing would auto-accept goes to review (reason `weak_support`) when
    /// the source-support marks flag any sentence of its summary, checked by the support worker
    /// right after ingest. Off by default.
    #[serde(default)]
    pub weak_support_review: bool,
    pub updated_at: String,
}

/// A change; a field left out keeps its current value (or the default for a model without a row).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoutingChange {
    pub threshold: Option<f64>,
    pub audit_rate: Option<f64>,
    pub reviews_per_task: Option<i32>,
    pub user_feedback_review: Option<bool>,
    pub user_feedback_rating_at_most: Option<f64>,
    pub weak_support_review: Option<bool>,
}

impl RoutingChange {
    /// Checks each given field against its range.
    pub fn validate(&self) -> Result<(), AppError> {
        let unit = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && (0.0..=1.0).contains(&v));
        if !unit(self.threshold) {
            return Err(AppError::invalid(
                "threshold",
                "must be a number from 0 to 1",
            ));
        }
        if !unit(self.audit_rate) {
            return Err(AppError::invalid(
                "audit_rate",
                "must be a number from 0 to 1",
            ));
        }
        if self
            .reviews_per_task
            .is_some_and(|n| !(1..=10).contains(&n))
        {
            return Err(AppError::invalid(
                "reviews_per_task",
                "must be a whole number from 1 to 10",
            ));
        }
        if self
            .user_feedback_rating_at_most
            .is_some_and(|v| !(v.is_finite() && (1.0..=5.0).contains(&v)))
        {
            return Err(AppError::invalid(
                "user_feedback_rating_at_most",
                "must be a number from 1 to 5",
            ));
        }
        Ok(())
    }
}

/// Checks a model name given to the routing settings: a [`ModelName`], or `*` for the defaults.
pub fn validate_model(model: &str) -> Result<&str, AppError> {
    let model = model.trim();
    if model == DEFAULTS {
        return Ok(model);
    }
    ModelName::parse("model", model).map_err(AppError::Validation)?;
    Ok(model)
}

#[cfg(feature = "ssr")]
pub mod store {
    //! The `routing_settings` table: one row per project and model (`*`: the project's defaults),
    //! and the rule that picks the row in force (`routing_in_force`, migration 0038).

    use super::*;
    use crate::audit::{self, Action, Actor};
    use crate::project::{DEFAULT, Project};
    use crate::stamp::stamp;
    use sqlx::PgPool;

    /// A stored row, with its project's slug.
    struct Row {
        slug: String,
        model: String,
        threshold: f64,
        audit_rate: f64,
        reviews_per_task: i32,
        user_feedback_review: bool,
        user_feedback_rating_at_most: f64,
        weak_support_review: bool,
        updated_at: chrono::DateTime<chrono::Utc>,
    }

    impl Row {
        fn into_setting(self) -> RoutingSetting {
            RoutingSetting {
                project: self.slug,
                model: self.model,
                threshold: self.threshold,
                audit_rate: self.audit_rate,
                reviews_per_task: self.reviews_per_task,
                user_feedback_review: self.user_feedback_review,
                user_feedback_rating_at_most: self.user_feedback_rating_at_most,
                weak_support_review: self.weak_support_review,
                updated_at: stamp(self.updated_at),
            }
        }
    }

    /// The settings in force for each model of `project`: its own rows, and the default project's
    /// rows it follows (those for models it has no row for, when it has no defaults row of its
    /// own). Defaults first, then by model.
    pub async fn list(pool: &PgPool, project: &Project) -> Result<Vec<RoutingSetting>, AppError> {
        let rows = sqlx::query_as!(
            Row,
            "select p.slug, r.model, r.threshold, r.audit_rate, r.reviews_per_task,
                    r.user_feedback_review, r.user_feedback_rating_at_most,
                    r.weak_support_review, r.updated_at
             from routing_settings r join projects p on p.id = r.project_id
             where r.project_id = $1
                or (r.project_id = $2
                    and not exists (select 1 from routing_settings own
                                    where own.project_id = $1
                                      and own.model in (r.model, '*')))
             order by r.model <> '*', r.model",
            project.id,
            DEFAULT
        )
        .fetch_all(pool)
        .await?;
        Ok(rows.into_iter().map(Row::into_setting).collect())
    }

    /// Every project's own rows (the dashboard's table), or only those of `projects` and the
    /// default project's they may fall back on (its defaults, and its rows for models those
    /// projects have outputs of: no other project's model is named): by project, defaults first,
    /// then by model.
    pub async fn list_all(
        pool: &PgPool,
        projects: Option<&[i64]>,
    ) -> Result<Vec<RoutingSetting>, AppError> {
        let rows = sqlx::query_as!(
            Row,
            "select p.slug, r.model, r.threshold, r.audit_rate, r.reviews_per_task,
                    r.user_feedback_review, r.user_feedback_rating_at_most,
                    r.weak_support_review, r.updated_at
             from routing_settings r join projects p on p.id = r.project_id
             where $1::bigint[] is null or r.project_id = any($1)
                or (r.project_id = $2
                    and (r.model = '*'
                         or exists (select from task_tally t
                                    where t.project_id = any($1) and t.model = r.model
                                      and t.n <> 0)))
             order by r.project_id, r.model <> '*', r.model",
            projects,
            DEFAULT
        )
        .fetch_all(pool)
        .await?;
        Ok(rows.into_iter().map(Row::into_setting).collect())
    }

    /// The settings in force for `model` in `project`, named for `model`.
    pub async fn get(
        pool: &PgPool,
        project: &Project,
        model: &str,
    ) -> Result<RoutingSetting, AppError> {
        Ok(in_force(pool, project.id, validate_model(model)?).await?)
    }

    /// The one fallback rule (`routing_in_force`): the project's row for the model, its defaults,
    /// the default project's row for the model, the default project's defaults; named for
    /// `model`, and for the project whose row it is. Ingest calls this once per project, model and
    /// batch, inside its transaction.
    pub async fn in_force(
        db: impl sqlx::PgExecutor<'_>,
        project: i64,
        model: &str,
    ) -> Result<RoutingSetting, sqlx::Error> {
        let row = sqlx::query_as!(
            Row,
            r#"select p.slug, $2::text as "model!", r.threshold as "threshold!",
                      r.audit_rate as "audit_rate!", r.reviews_per_task as "reviews_per_task!",
                      r.user_feedback_review as "user_feedback_review!",
                      r.user_feedback_rating_at_most as "user_feedback_rating_at_most!",
                      r.weak_support_review as "weak_support_review!",
                      r.updated_at as "updated_at!"
               from routing_in_force($1, $2) r join projects p on p.id = r.project_id"#,
            project,
            model
        )
        .fetch_one(db)
        .await?;
        Ok(row.into_setting())
    }

    /// What the audit trail names a row by: the model, prefixed by the project's slug outside
    /// the default project (`legal/summarizer`).
    fn target(project: &Project, model: &str) -> String {
        if project.id == DEFAULT {
            model.to_owned()
        } else {
            format!("{}/{model}", project.slug)
        }
    }

    /// One project's own row for a model as the audit trail records it (`None` when it has none;
    /// the entry's target names the project).
    async fn audited_row(
        conn: &mut sqlx::PgConnection,
        project: &Project,
        model: &str,
    ) -> Result<Option<serde_json::Value>, AppError> {
        let row = sqlx::query!(
            "select threshold, audit_rate, reviews_per_task, user_feedback_review,
                    user_feedback_rating_at_most, weak_support_review
             from routing_settings
             where project_id = $1 and model = $2 for update",
            project.id,
            model
        )
        .fetch_optional(conn)
        .await?;
        Ok(row.map(|r| {
            serde_json::json!({
                "threshold": r.threshold,
                "audit_rate": r.audit_rate,
                "reviews_per_task": r.reviews_per_task,
                "user_feedback_review": r.user_feedback_review,
                "user_feedback_rating_at_most": r.user_feedback_rating_at_most,
                "weak_support_review": r.weak_support_review,
            })
        }))
    }

    /// Applies a change to one project's row for a model (made from the settings in force when
    /// it has none), audited as `routing.update` by `actor` in the same transaction.
    pub async fn put(
        pool: &PgPool,
        actor: &Actor,
        project: &Project,
        model: &str,
        change: &RoutingChange,
    ) -> Result<RoutingSetting, AppError> {
        let model = validate_model(model)?;
        change.validate()?;
        let mut tx = pool.begin().await?;
        let before = audited_row(&mut tx, project, model).await?;
        sqlx::query!(
            "insert into routing_settings (project_id, model, threshold, audit_rate,
                                           reviews_per_task, user_feedback_review,
                                           user_feedback_rating_at_most, weak_support_review)
             select $1, $2, coalesce($3, threshold), coalesce($4, audit_rate),
                    coalesce($5, reviews_per_task), coalesce($6, user_feedback_review),
                    coalesce($7, user_feedback_rating_at_most),
                    coalesce($8, weak_support_review)
             from routing_in_force($1, $2)
             on conflict (project_id, model) do update set
                 threshold = coalesce($3, routing_settings.threshold),
                 audit_rate = coalesce($4, routing_settings.audit_rate),
                 reviews_per_task = coalesce($5, routing_settings.reviews_per_task),
                 user_feedback_review = coalesce($6, routing_settings.user_feedback_review),
                 user_feedback_rating_at_most =
                     coalesce($7, routing_settings.user_feedback_rating_at_most),
                 weak_support_review = coalesce($8, routing_settings.weak_support_review),
                 updated_at = now()",
            project.id,
            model,
            change.threshold,
            change.audit_rate,
            change.reviews_per_task,
            change.user_feedback_review,
            change.user_feedback_rating_at_most,
            change.weak_support_review,
        )
        .execute(&mut *tx)
        .await?;
        let after = audited_row(&mut tx, project, model).await?;
        audit::record(
            &mut tx,
            actor,
            Action::RoutingUpdate,
            &target(project, model),
            before,
            after,
        )
        .await?;
        tx.commit().await?;
        get(pool, project, model).await
    }

    /// Drops a project's own settings for a model, so it follows the rule's next row again
    /// (audited as `routing.reset`). The default project's defaults stay: everything falls back
    /// to them.
    pub async fn reset(
        pool: &PgPool,
        actor: &Actor,
        project: &Project,
        model: &str,
    ) -> Result<(), AppError> {
        let model = validate_model(model)?;
        if model == DEFAULTS && project.id == DEFAULT {
            return Err(AppError::invalid(
                "model",
                "the default project's defaults can be changed but not removed",
            ));
        }
        let mut tx = pool.begin().await?;
        let Some(before) = audited_row(&mut tx, project, model).await? else {
            return Err(AppError::NotFound(
                "routing settings for this model in this project".into(),
            ));
        };
        sqlx::query!(
            "delete from routing_settings where project_id = $1 and model = $2",
            project.id,
            model
        )
        .execute(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            actor,
            Action::RoutingReset,
            &target(project, model),
            Some(before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Sets routing for one model of one project (`project`: its slug; blank: the default project, or
/// a project admin's first) from the admin form, for admins and the project's admins; empty
/// fields keep their value.
#[server(prefix = "/api", endpoint = "admin/routing")]
pub async fn set_routing(
    project: Option<String>,
    model: String,
    threshold: Option<String>,
    audit_rate: Option<String>,
    reviews_per_task: Option<String>,
    user_feedback_review: Option<String>,
    user_feedback_rating_at_most: Option<String>,
    weak_support_review: Option<String>,
) -> Result<RoutingSetting, AppError> {
    let (pool, actor, within) = crate::project::administrator().await?;
    fn number<T: std::str::FromStr>(
        raw: Option<String>,
        field: &str,
        rule: &str,
    ) -> Result<Option<T>, AppError> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid(field, rule)),
        }
    }
    let on_off = |raw: Option<String>, field: &str| match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some("on") => Ok(Some(true)),
        Some("off") => Ok(Some(false)),
        Some(_) => Err(AppError::invalid(field, "must be on or off")),
    };
    let change = RoutingChange {
        threshold: number(threshold, "threshold", "must be a number from 0 to 1")?,
        audit_rate: number(audit_rate, "audit_rate", "must be a number from 0 to 1")?,
        reviews_per_task: number(
            reviews_per_task,
            "reviews_per_task",
            "must be a whole number from 1 to 10",
        )?,
        user_feedback_review: on_off(user_feedback_review, "user_feedback_review")?,
        weak_support_review: on_off(weak_support_review, "weak_support_review")?,
        user_feedback_rating_at_most: number(
            user_feedback_rating_at_most,
            "user_feedback_rating_at_most",
            "must be a number from 1 to 5",
        )?,
    };
    let project =
        crate::project::administered_one(&pool, project.as_deref(), within.as_deref()).await?;
    store::put(&pool, &actor, &project, &model, &change).await
}
