//! Routing: which outputs a person must see, and the settings per model that decide it
//! (threshold, audit rate, reviews per task, and whether end users' dissatisfaction sends an
//! auto-accepted output back to review). One type, [`RoutingSetting`], serves ingest, the
//! admin page and the JSON API; one rule picks the settings in force ([`store::in_force`]): the
//! model's own row, else the defaults row (model `*`).
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
    //! The `routing_settings` table.

    use super::*;
    use crate::audit::{self, Action, Actor};
    use crate::stamp::stamp;
    use sqlx::PgPool;

    /// The defaults first, then every model with settings of its own, by name.
    pub async fn list(pool: &PgPool) -> Result<Vec<RoutingSetting>, AppError> {
        let rows = sqlx::query!(
            "select model, threshold, audit_rate, reviews_per_task, user_feedback_review,
                    user_feedback_rating_at_most, weak_support_review, updated_at
             from routing_settings order by model <> '*', model"
        )
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| RoutingSetting {
                model: r.model,
                threshold: r.threshold,
                audit_rate: r.audit_rate,
                reviews_per_task: r.reviews_per_task,
                user_feedback_review: r.user_feedback_review,
                user_feedback_rating_at_most: r.user_feedback_rating_at_most,
                weak_support_review: r.weak_support_review,
                updated_at: stamp(r.updated_at),
            })
            .collect())
    }

    /// The settings in force for `model` (its own row, or the defaults under its name).
    pub async fn get(pool: &PgPool, model: &str) -> Result<RoutingSetting, AppError> {
        Ok(in_force(pool, validate_model(model)?).await?)
    }

    /// The one fallback rule: the model's own row, else the defaults row, named for `model`.
    /// Ingest calls this once per model and batch, inside its transaction.
    pub async fn in_force(
        db: impl sqlx::PgExecutor<'_>,
        model: &str,
    ) -> Result<RoutingSetting, sqlx::Error> {
        let row = sqlx::query!(
            "select threshold, audit_rate, reviews_per_task, user_feedback_review,
                    user_feedback_rating_at_most, weak_support_review, updated_at
             from routing_settings
             where model = $1 or model = '*'
             order by model = '*' limit 1",
            model
        )
        .fetch_one(db)
        .await?;
        Ok(RoutingSetting {
            model: model.to_owned(),
            threshold: row.threshold,
            audit_rate: row.audit_rate,
            reviews_per_task: row.reviews_per_task,
            user_feedback_review: row.user_feedback_review,
            user_feedback_rating_at_most: row.user_feedback_rating_at_most,
            weak_support_review: row.weak_support_review,
            updated_at: stamp(row.updated_at),
        })
    }

    /// One model's own row as the audit trail records it (`None` when it has none).
    async fn audited_row(
        conn: &mut sqlx::PgConnection,
        model: &str,
    ) -> Result<Option<serde_json::Value>, AppError> {
        let row = sqlx::query!(
            "select threshold, audit_rate, reviews_per_task, user_feedback_review,
                    user_feedback_rating_at_most, weak_support_review
             from routing_settings
             where model = $1 for update",
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

    /// Applies a change to one model's row (made from the defaults when it has none), audited as
    /// `routing.update` by `actor` in the same transaction.
    pub async fn put(
        pool: &PgPool,
        actor: &Actor,
        model: &str,
        change: &RoutingChange,
    ) -> Result<RoutingSetting, AppError> {
        let model = validate_model(model)?;
        change.validate()?;
        let mut tx = pool.begin().await?;
        let before = audited_row(&mut tx, model).await?;
        sqlx::query!(
            "insert into routing_settings (model, threshold, audit_rate, reviews_per_task,
                                           user_feedback_review, user_feedback_rating_at_most,
                                           weak_support_review)
             select $1, coalesce($2, threshold), coalesce($3, audit_rate),
                    coalesce($4, reviews_per_task), coalesce($5, user_feedback_review),
                    coalesce($6, user_feedback_rating_at_most),
                    coalesce($7, weak_support_review)
             from routing_settings where model = '*'
             on conflict (model) do update set
                 threshold = coalesce($2, routing_settings.threshold),
                 audit_rate = coalesce($3, routing_settings.audit_rate),
                 reviews_per_task = coalesce($4, routing_settings.reviews_per_task),
                 user_feedback_review = coalesce($5, routing_settings.user_feedback_review),
                 user_feedback_rating_at_most =
                     coalesce($6, routing_settings.user_feedback_rating_at_most),
                 weak_support_review = coalesce($7, routing_settings.weak_support_review),
                 updated_at = now()",
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
        let after = audited_row(&mut tx, model).await?;
        audit::record(&mut tx, actor, Action::RoutingUpdate, model, before, after).await?;
        tx.commit().await?;
        get(pool, model).await
    }

    /// Drops a model's own settings so it follows the defaults again (audited as
    /// `routing.reset`).
    pub async fn reset(pool: &PgPool, actor: &Actor, model: &str) -> Result<(), AppError> {
        let model = validate_model(model)?;
        if model == DEFAULTS {
            return Err(AppError::invalid(
                "model",
                "the defaults can be changed but not removed",
            ));
        }
        let mut tx = pool.begin().await?;
        let Some(before) = audited_row(&mut tx, model).await? else {
            return Err(AppError::NotFound("routing settings for this model".into()));
        };
        sqlx::query!("delete from routing_settings where model = $1", model)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            actor,
            Action::RoutingReset,
            model,
            Some(before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Sets routing for one model from the admin form; empty fields keep their value.
#[server(prefix = "/api", endpoint = "admin/routing")]
pub async fn set_routing(
    model: String,
    threshold: Option<String>,
    audit_rate: Option<String>,
    reviews_per_task: Option<String>,
    user_feedback_review: Option<String>,
    user_feedback_rating_at_most: Option<String>,
    weak_support_review: Option<String>,
) -> Result<RoutingSetting, AppError> {
    let (pool, actor) = crate::audit::admin().await?;
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
    store::put(&pool, &actor, &model, &change).await
}
