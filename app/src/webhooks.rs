//! Webhook endpoints and their delivery log: the wire types, the rules an endpoint must meet, and
//! the storage both the admin area (server functions here) and the JSON API (the server crate)
//! use. Sending is the server's webhook worker's job.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The events an endpoint may subscribe to.
pub const EVENTS: [&str; 2] = [TASK_REVIEWED, TASK_ESCALATED];
/// A task got all the reviews it needs.
pub const TASK_REVIEWED: &str = "task.reviewed";
/// A reviewer escalated a task.
pub const TASK_ESCALATED: &str = "task.escalated";

/// A registered endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    /// The projects (slugs) whose events it hears; empty: every project.
    pub projects: Vec<String>,
    pub active: bool,
    pub created_at: String,
    /// Deliveries by status, over the endpoint's whole log.
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
}

/// A new endpoint and its signing secret, which is shown only in this answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedEndpoint {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    pub secret: String,
}

/// One event for one endpoint, with every attempt to send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: String,
    pub endpoint_id: i64,
    pub url: String,
    pub event: String,
    pub task_id: Option<String>,
    /// `pending`, `delivered` or `failed` (retries gave up).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<String>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    pub log: Vec<Attempt>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Attempt {
    pub started_at: String,
    /// The HTTP status of the answer; none when there was no answer.
    pub status_code: Option<i32>,
    /// `HTTP <status>` for a non-2xx answer; `refused by the outbound policy`; or `delivery
    /// failed (no HTTP answer)` for every other failure (refused connection, timeout, reset
    /// alike, so the log cannot map an internal network).
    pub error: Option<String>,
    /// How long the answer took; 0 when there was no answer.
    pub duration_ms: i32,
    /// The Loupe process that sent it (host and pid).
    pub sender: String,
}

/// What the admin webhooks page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhooksPage {
    pub endpoints: Vec<Endpoint>,
    pub deliveries: Vec<Delivery>,
}

/// Most projects one endpoint may be limited to.
pub const MAX_PROJECTS: usize = 100;

/// The project slugs an endpoint is limited to, trimmed, without repeats, in the order given;
/// blank entries are ignored, so an empty list (or a blank form field) means every project.
/// Whether each names a project is the store's check.
pub fn project_slugs(raw: &[String]) -> Result<Vec<String>, AppError> {
    let mut slugs: Vec<String> = Vec::new();
    for slug in raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !slugs.iter().any(|s| s == slug) {
            slugs.push(slug.to_owned());
        }
    }
    if slugs.len() > MAX_PROJECTS {
        return Err(AppError::invalid(
            "projects",
            format!("name at most {MAX_PROJECTS} projects"),
        ));
    }
    Ok(slugs)
}

/// Checks a new endpoint's fields; returns (url, events, secret, description) cleaned up.
pub fn validate(
    url: &str,
    events: &[String],
    secret: Option<&str>,
    description: Option<&str>,
) -> Result<(String, Vec<String>, Option<String>, String), AppError> {
    let url = url.trim();
    let parsed: Option<http::Uri> = url.parse().ok();
    let ok = parsed.as_ref().is_some_and(|u| {
        matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some_and(|h| !h.is_empty())
    });
    if !ok || url.len() > 2000 || url.chars().any(char::is_whitespace) {
        return Err(AppError::invalid(
            "url",
            "must be an http:// or https:// URL with a host, at most 2,000 characters",
        ));
    }
    let mut chosen: Vec<String> = Vec::new();
    for e in events {
        let e = e.trim();
        if !EVENTS.contains(&e) {
            return Err(AppError::invalid(
                "events",
                "each event must be task.reviewed or task.escalated",
            ));
        }
        if !chosen.iter().any(|c| c == e) {
            chosen.push(e.to_owned());
        }
    }
    if chosen.is_empty() {
        return Err(AppError::invalid("events", "choose at least one event"));
    }
    let secret = match secret.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if !(16..=200).contains(&s.chars().count()) || !s.is_ascii() => {
            return Err(AppError::invalid(
                "secret",
                "must be 16-200 ASCII characters (leave it out to have one generated)",
            ));
        }
        other => other.map(str::to_owned),
    };
    let description = description.unwrap_or("").trim().to_owned();
    if description.chars().count() > 200 {
        return Err(AppError::invalid(
            "description",
            "must be at most 200 characters",
        ));
    }
    Ok((url.to_owned(), chosen, secret, description))
}

#[cfg(feature = "ssr")]
pub mod store {
    //! The endpoint and delivery tables.

    use super::*;
    use crate::audit::{self, Action, Actor};
    use crate::stamp::stamp;
    use sqlx::PgPool;
    use uuid::Uuid;

    /// An endpoint as the audit trail records it: never its signing secret.
    fn audited(
        url: &str,
        events: &[String],
        description: &str,
        projects: &[String],
        active: bool,
    ) -> serde_json::Value {
        serde_json::json!({
            "url": without_query(url),
            "events": events,
            "description": description,
            "projects": projects,
            "active": active,
        })
    }

    /// The URL as the audit log keeps it: a query string often carries a receiver's token
    /// (`?token=…`), and the log outlives the endpoint and is read by every admin, so the query
    /// is replaced by `?…`. (User names and passwords are refused at registration.)
    fn without_query(url: &str) -> String {
        match url.split_once(['?', '#']) {
            Some((base, _)) => format!("{base}?…"),
            None => url.to_owned(),
        }
    }

    /// Every endpoint, newest first, with its delivery counts.
    pub async fn endpoints(pool: &PgPool) -> Result<Vec<Endpoint>, AppError> {
        select(pool, None).await
    }

    /// One endpoint with its delivery counts.
    pub async fn endpoint(pool: &PgPool, id: i64) -> Result<Endpoint, AppError> {
        select(pool, Some(id))
            .await?
            .pop()
            .ok_or_else(|| AppError::NotFound("webhook".into()))
    }

    /// All endpoints, or the one with `id`.
    async fn select(pool: &PgPool, id: Option<i64>) -> Result<Vec<Endpoint>, AppError> {
        let rows = sqlx::query!(
            r#"select e.id, e.url, e.events, e.description, e.active, e.created_at,
                      coalesce((select array_agg(p.slug order by p.slug) from projects p
                                where p.id = any(e.projects)), '{}') as "projects!",
                      count(*) filter (where d.status = 'pending') as "pending!",
                      count(*) filter (where d.status = 'delivered') as "delivered!",
                      count(*) filter (where d.status = 'failed') as "failed!"
               from webhook_endpoints e left join webhook_deliveries d on d.endpoint_id = e.id
               where $1::bigint is null or e.id = $1
               group by e.id order by e.id desc"#,
            id
        )
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Endpoint {
                id: r.id,
                url: r.url,
                events: r.events,
                description: r.description,
                projects: r.projects,
                active: r.active,
                created_at: stamp(r.created_at),
                pending: r.pending,
                delivered: r.delivered,
                failed: r.failed,
            })
            .collect())
    }

    /// Registers an endpoint; a secret is generated when none is given. The URL must pass the
    /// outbound policy (`crate::outbound`): no internal or reserved targets unless allow-listed.
    /// `projects`: the slugs of the projects whose events it hears (none: every project).
    /// Audited as `webhook.add` by `actor` (without the secret).
    #[allow(clippy::too_many_arguments)]
    pub async fn create(
        pool: &PgPool,
        policy: &crate::outbound::Policy,
        actor: &Actor,
        url: &str,
        events: &[String],
        secret: Option<&str>,
        description: Option<&str>,
        projects: &[String],
    ) -> Result<CreatedEndpoint, AppError> {
        let (url, events, secret, description) = validate(url, events, secret, description)?;
        let slugs = project_slugs(projects)?;
        let within = project_ids(pool, &slugs).await?;
        policy
            .check_registration(&url)
            .await
            .map_err(|refused| AppError::invalid("url", refused.rule))?;
        let secret = secret.unwrap_or_else(|| format!("whsec_{}", crate::auth::random_secret()));
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar!(
            "insert into webhook_endpoints (url, events, secret, description, projects)
             values ($1, $2, $3, $4, $5) returning id",
            url,
            &events,
            secret,
            description,
            within.as_deref()
        )
        .fetch_one(&mut *tx)
        .await?;
        let after = audited(&url, &events, &description, &slugs, true);
        audit::record(
            &mut tx,
            actor,
            Action::WebhookAdd,
            &id.to_string(),
            None,
            Some(after),
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedEndpoint {
            endpoint: endpoint(pool, id).await?,
            secret,
        })
    }

    /// The ids of the projects named by `slugs` (`None` for an empty list: every project); a slug
    /// that names no project is refused, naming it.
    async fn project_ids(pool: &PgPool, slugs: &[String]) -> Result<Option<Vec<i64>>, AppError> {
        if slugs.is_empty() {
            return Ok(None);
        }
        let found = sqlx::query!("select id, slug from projects where slug = any($1)", slugs)
            .fetch_all(pool)
            .await?;
        let mut ids = Vec::with_capacity(slugs.len());
        for slug in slugs {
            match found.iter().find(|p| &p.slug == slug) {
                Some(p) => ids.push(p.id),
                None => {
                    return Err(AppError::invalid(
                        "projects",
                        format!("{slug:?} names no project"),
                    ));
                }
            }
        }
        Ok(Some(ids))
    }

    /// Removes an endpoint and its delivery log (audited as `webhook.remove`).
    pub async fn delete(pool: &PgPool, actor: &Actor, id: i64) -> Result<(), AppError> {
        let mut tx = pool.begin().await?;
        let deleted = sqlx::query!(
            r#"delete from webhook_endpoints where id = $1
               returning url, events, description, active,
                         coalesce((select array_agg(p.slug order by p.slug) from projects p
                                   where p.id = any(projects)), '{}') as "projects!""#,
            id
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("webhook".into()))?;
        let before = audited(
            &deleted.url,
            &deleted.events,
            &deleted.description,
            &deleted.projects,
            deleted.active,
        );
        audit::record(
            &mut tx,
            actor,
            Action::WebhookRemove,
            &id.to_string(),
            Some(before),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest deliveries (of one endpoint, or of all), each with its attempts.
    pub async fn deliveries(
        pool: &PgPool,
        endpoint: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Delivery>, AppError> {
        // Deliveries and their attempts from one snapshot: read apart, an attempt committed
        // between the two reads showed beside a delivery that did not yet record its outcome.
        let mut tx = pool.begin().await?;
        sqlx::query("set transaction isolation level repeatable read, read only")
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query!(
            "select d.id, d.endpoint_id, e.url, d.event, d.task_id, d.status, d.attempts,
                    d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.delivered_at
             from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
             where $1::bigint is null or d.endpoint_id = $1
             order by d.created_at desc, d.id limit $2",
            endpoint,
            limit
        )
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let attempts = sqlx::query!(
            "select delivery_id, started_at, status_code, error, duration_ms, sender
             from webhook_attempts where delivery_id = any($1) order by id",
            &ids
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| Delivery {
                id: r.id.to_string(),
                endpoint_id: r.endpoint_id,
                url: r.url,
                event: r.event,
                task_id: r.task_id.map(|t| t.to_string()),
                next_attempt_at: (r.status == "pending").then(|| stamp(r.next_attempt_at)),
                status: r.status,
                attempts: r.attempts,
                last_status: r.last_status,
                last_error: r.last_error,
                created_at: stamp(r.created_at),
                delivered_at: r.delivered_at.map(stamp),
                log: attempts
                    .iter()
                    .filter(|a| a.delivery_id == r.id)
                    .map(|a| Attempt {
                        started_at: stamp(a.started_at),
                        status_code: a.status_code,
                        error: a.error.clone(),
                        duration_ms: a.duration_ms,
                        sender: a.sender.clone(),
                    })
                    .collect(),
            })
            .collect())
    }

    /// Queues a delivery to be sent again now, with a fresh retry window; same delivery id, so a
    /// receiver that did process it can tell.
    pub async fn resend(pool: &PgPool, actor: &Actor, id: &str) -> Result<(), AppError> {
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("delivery".into()))?;
        let mut tx = pool.begin().await?;
        let before = sqlx::query!(
            "select endpoint_id, event, status, attempts from webhook_deliveries
             where id = $1 for update",
            id
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("delivery".into()))?;
        sqlx::query!(
            "update webhook_deliveries
             set status = 'pending', next_attempt_at = now(), retry_until = now() + interval '24 hours',
                 locked_until = null, delivered_at = null
             where id = $1",
            id
        )
        .execute(&mut *tx)
        .await?;
        let state = |status: &str| {
            serde_json::json!({
                "endpoint_id": before.endpoint_id,
                "event": before.event,
                "status": status,
                "attempts": before.attempts,
            })
        };
        audit::record(
            &mut tx,
            actor,
            Action::WebhookResend,
            &id.to_string(),
            Some(state(&before.status)),
            Some(state("pending")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The admin webhooks page: endpoints and the newest 100 deliveries.
#[server(prefix = "/api", endpoint = "admin/webhooks")]
pub async fn load_webhooks() -> Result<WebhooksPage, AppError> {
    let pool = crate::auth::admin_pool().await?;
    Ok(WebhooksPage {
        endpoints: store::endpoints(&pool).await?,
        deliveries: store::deliveries(&pool, None, 100).await?,
    })
}

/// Registers an endpoint from the admin form (one checkbox per event).
#[server(prefix = "/api", endpoint = "admin/webhooks/add")]
pub async fn add_webhook(
    url: String,
    description: Option<String>,
    reviewed: Option<String>,
    escalated: Option<String>,
    secret: Option<String>,
    projects: Option<String>,
) -> Result<CreatedEndpoint, AppError> {
    let (pool, actor) = crate::audit::admin().await?;
    let state = crate::state::expect_state();
    let mut events = Vec::new();
    if reviewed.is_some() {
        events.push(TASK_REVIEWED.to_owned());
    }
    if escalated.is_some() {
        events.push(TASK_ESCALATED.to_owned());
    }
    store::create(
        &pool,
        &state.settings.outbound,
        &actor,
        &url,
        &events,
        secret.as_deref(),
        description.as_deref(),
        &split_projects(projects.as_deref()),
    )
    .await
}

/// The admin form's projects field: slugs separated by commas or spaces.
fn split_projects(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or("")
        .split([',', ' '])
        .map(str::to_owned)
        .collect()
}

#[server(prefix = "/api", endpoint = "admin/webhooks/remove")]
pub async fn remove_webhook(id: i64) -> Result<(), AppError> {
    let (pool, actor) = crate::audit::admin().await?;
    store::delete(&pool, &actor, id).await
}

#[server(prefix = "/api", endpoint = "admin/webhooks/resend")]
pub async fn resend_delivery(id: String) -> Result<(), AppError> {
    let (pool, actor) = crate::audit::admin().await?;
    store::resend(&pool, &actor, &id).await
}
