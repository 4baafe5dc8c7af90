//! The audit trail: who changed what, when, from what to what. Owns the action codes, the
//! `audit_log` table (every write through [`record`], every read through [`store::page`]) and
//! the `/admin/audit` page's server function.
//!
//! A change and its audit row are written in one transaction: [`record`] takes the change's own
//! connection, so a change that rolls back (refused, failed) leaves no row, and a row never
//! describes a change that did not happen. Before/after hold the fields an admin would want to
//! compare, never a secret (token values, password hashes, webhook signing secrets).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Every kind of audited action. The code (`as_str`) is what is stored and filtered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    RoutingUpdate,
    RoutingReset,
    WebhookAdd,
    WebhookRemove,
    WebhookResend,
    TokenCreate,
    TokenRevoke,
    KeyCreate,
    KeyRevoke,
    UserAdd,
    UserDisable,
    UserEnable,
    UserRole,
    UserPasswordReset,
    UserPasswordChange,
    GuidelinesUpdate,
    ErrorTagsUpdate,
    EscalationResolve,
    TaskRequeue,
    TaskResolve,
    TaskAssign,
    TaskPrioritize,
    TaskEscalate,
    ProjectAdd,
    ProjectMemberAdd,
    ProjectMemberRemove,
    ProjectUpdate,
    GroupAdd,
    GroupMemberAdd,
    GroupMemberRemove,
}

impl Action {
    /// Every action, in the order the page's filter lists them.
    pub const ALL: [Action; 30] = [
        Action::RoutingUpdate,
        Action::RoutingReset,
        Action::WebhookAdd,
        Action::WebhookRemove,
        Action::WebhookResend,
        Action::TokenCreate,
        Action::TokenRevoke,
        Action::KeyCreate,
        Action::KeyRevoke,
        Action::UserAdd,
        Action::UserDisable,
        Action::UserEnable,
        Action::UserRole,
        Action::UserPasswordReset,
        Action::UserPasswordChange,
        Action::GuidelinesUpdate,
        Action::ErrorTagsUpdate,
        Action::EscalationResolve,
        Action::TaskRequeue,
        Action::TaskResolve,
        Action::TaskAssign,
        Action::TaskPrioritize,
        Action::TaskEscalate,
        Action::ProjectAdd,
        Action::ProjectMemberAdd,
        Action::ProjectMemberRemove,
        Action::ProjectUpdate,
        Action::GroupAdd,
        Action::GroupMemberAdd,
        Action::GroupMemberRemove,
    ];

    /// The stored code, `area.verb`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::RoutingUpdate => "routing.update",
            Action::RoutingReset => "routing.reset",
            Action::WebhookAdd => "webhook.add",
            Action::WebhookRemove => "webhook.remove",
            Action::WebhookResend => "webhook.resend",
            Action::TokenCreate => "token.create",
            Action::TokenRevoke => "token.revoke",
            Action::KeyCreate => "key.create",
            Action::KeyRevoke => "key.revoke",
            Action::UserAdd => "user.add",
            Action::UserDisable => "user.disable",
            Action::UserEnable => "user.enable",
            Action::UserRole => "user.role",
            Action::UserPasswordReset => "user.password_reset",
            Action::UserPasswordChange => "user.password_change",
            Action::GuidelinesUpdate => "guidelines.update",
            Action::ErrorTagsUpdate => "error_tags.update",
            Action::EscalationResolve => "escalation.resolve",
            Action::TaskRequeue => "task.requeue",
            Action::TaskResolve => "task.resolve",
            Action::TaskAssign => "task.assign",
            Action::TaskPrioritize => "task.prioritize",
            Action::TaskEscalate => "task.escalate",
            Action::ProjectAdd => "project.add",
            Action::ProjectMemberAdd => "project.member_add",
            Action::ProjectMemberRemove => "project.member_remove",
            Action::ProjectUpdate => "project.update",
            Action::GroupAdd => "group.add",
            Action::GroupMemberAdd => "group.member_add",
            Action::GroupMemberRemove => "group.member_remove",
        }
    }

    /// The action with this code, if there is one.
    pub fn parse(code: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == code)
    }
}

/// One audited action, as the page and `GET /api/v1/audit` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Increases with every entry; pass the last one seen as `after` for the next page.
    pub id: i64,
    /// When the change was made: the start of its transaction (RFC 3339, UTC).
    #[cfg_attr(feature = "ssr", schema(format = DateTime))]
    pub at: String,
    /// `user` (a signed-in person), `token` (an API token) or `cli` (the command line).
    #[cfg_attr(feature = "ssr", schema(pattern = "^(user|token|cli)$"))]
    pub actor_kind: String,
    /// The user's or token's id; none for the command line.
    pub actor_id: Option<i64>,
    /// The username, token name or command-line user, as it was at the time.
    pub actor_name: String,
    /// What was done, such as `routing.update` or `user.disable`.
    pub action: String,
    /// What it was done to: a model, an endpoint or delivery id, a username, a task id.
    pub target: String,
    /// The state before the change (null when there was none).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    /// The state after the change (null when nothing is left).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
}

/// One page of the trail, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `after` for the next (older) page; null on the last page.
    pub next_after: Option<i64>,
}

/// Which entries to show: by action code and by actor name; `after` continues a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub action: Option<Action>,
    pub actor: Option<String>,
    /// Only entries with an id below this (the previous page's `next_after`).
    pub after: Option<i64>,
}

impl Filter {
    /// Reads the filter from query values as typed; an unknown action or a bad cursor is
    /// refused naming its field, empty values mean "any".
    pub fn parse(
        action: Option<&str>,
        actor: Option<&str>,
        after: Option<&str>,
    ) -> Result<Filter, AppError> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        let action = match given(action) {
            None => None,
            Some(code) => Some(Action::parse(code).ok_or_else(|| {
                AppError::invalid(
                    "action",
                    "must be one of the audited actions, such as routing.update",
                )
            })?),
        };
        let actor = match given(actor) {
            Some(name) if name.chars().count() > 200 => {
                return Err(AppError::invalid("actor", "must be at most 200 characters"));
            }
            other => other.map(str::to_owned),
        };
        let after = match given(after) {
            None => None,
            Some(raw) => Some(raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                AppError::invalid("after", "must be a next_after value from an earlier page")
            })?),
        };
        Ok(Filter {
            action,
            actor,
            after,
        })
    }

    /// The query string of this filter's first page (no cursor).
    pub fn first_query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = self.action {
            parts.push(format!("action={}", a.as_str()));
        }
        if let Some(actor) = &self.actor {
            parts.push(format!(
                "actor={}",
                crate::url::encode_query_value(actor, false)
            ));
        }
        parts.join("&")
    }

    /// The query string for the page after `next_after` with this filter.
    pub fn next_query(&self, next_after: i64) -> String {
        match self.first_query() {
            q if q.is_empty() => format!("after={next_after}"),
            q => format!("{q}&after={next_after}"),
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use serde_json::Value;
    use sqlx::PgConnection;

    /// Who did something: a signed-in person, an API token, or the command line.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Actor {
        kind: &'static str,
        id: Option<i64>,
        name: String,
    }

    impl Actor {
        /// A signed-in person.
        pub fn user(user: &crate::auth::User) -> Actor {
            Actor {
                kind: "user",
                id: Some(user.id),
                name: user.username.clone(),
            }
        }

        /// An API token, by its id and name.
        pub fn token(id: i64, name: &str) -> Actor {
            let name = if name.trim().is_empty() {
                format!("token {id}")
            } else {
                name.to_owned()
            };
            Actor {
                kind: "token",
                id: Some(id),
                name,
            }
        }

        /// The command line, named by the operating-system user running it when known. (Anyone
        /// who can run the CLI can reach the database anyway; the name is a hint, not proof.)
        pub fn cli() -> Actor {
            let os_user = std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .ok()
                .filter(|u| !u.trim().is_empty());
            let name = match os_user {
                Some(u) => format!("cli ({})", u.chars().take(100).collect::<String>()),
                None => "cli".to_owned(),
            };
            Actor {
                kind: "cli",
                id: None,
                name,
            }
        }

        /// `user`, `token` or `cli`.
        pub fn kind(&self) -> &'static str {
            self.kind
        }

        /// The user's or token's id (none for the command line).
        pub fn id(&self) -> Option<i64> {
            self.id
        }

        /// The display name stored with each entry.
        pub fn name(&self) -> &str {
            &self.name
        }
    }

    /// In a server function for admins only: the database and the signed-in admin as the
    /// trail names them (`Unauthorized` / `Forbidden` for anyone else).
    pub async fn admin() -> Result<(sqlx::PgPool, Actor), AppError> {
        let admin = crate::auth::require_role(crate::domain::Role::Admin).await?;
        Ok((crate::state::expect_state().pool, Actor::user(&admin)))
    }

    /// Writes one entry, on the connection (transaction) that makes the change.
    pub async fn record(
        conn: &mut PgConnection,
        actor: &Actor,
        action: Action,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<(), sqlx::Error> {
        let name: String = actor.name.chars().take(200).collect();
        sqlx::query!(
            "insert into audit_log (actor_kind, actor_id, actor_name, action, target, before, after)
             values ($1, $2, $3, $4, $5, $6, $7)",
            actor.kind,
            actor.id,
            name,
            action.as_str(),
            target,
            before,
            after,
        )
        .execute(conn)
        .await?;
        tracing::info!(actor = %crate::auth::loggable(&actor.name), action = action.as_str(),
            target = %crate::auth::loggable(target), "audited");
        Ok(())
    }

    /// Writes one entry per target of one action (a bulk action's chunk), in one statement, on
    /// the connection (transaction) that makes the change.
    pub async fn record_each(
        conn: &mut PgConnection,
        actor: &Actor,
        action: Action,
        entries: &[(String, Value, Value)],
    ) -> Result<(), sqlx::Error> {
        if entries.is_empty() {
            return Ok(());
        }
        let name: String = actor.name.chars().take(200).collect();
        let targets: Vec<&str> = entries.iter().map(|(t, _, _)| t.as_str()).collect();
        let befores: Vec<Value> = entries.iter().map(|(_, b, _)| b.clone()).collect();
        let afters: Vec<Value> = entries.iter().map(|(_, _, a)| a.clone()).collect();
        sqlx::query!(
            "insert into audit_log (actor_kind, actor_id, actor_name, action, target, before, after)
             select $1, $2, $3, $4, e.target, e.before, e.after
             from unnest($5::text[], $6::jsonb[], $7::jsonb[]) as e (target, before, after)",
            actor.kind,
            actor.id,
            name,
            action.as_str(),
            &targets as &[&str],
            &befores,
            &afters,
        )
        .execute(conn)
        .await?;
        tracing::info!(actor = %crate::auth::loggable(&actor.name), action = action.as_str(),
            targets = entries.len(), "audited");
        Ok(())
    }

    pub mod store {
        //! Reading the trail.

        use super::*;

        /// Up to `limit` entries matching `filter`, newest first, and the cursor for the next page.
        pub async fn page(
            db: impl sqlx::PgExecutor<'_>,
            filter: &Filter,
            limit: i64,
        ) -> Result<AuditPage, AppError> {
            let rows = sqlx::query!(
                "select id, at, actor_kind, actor_id, actor_name, action, target, before, after
                 from audit_log
                 where ($1::text is null or action = $1)
                   and ($2::text is null or actor_name = $2)
                   and ($3::bigint is null or id < $3)
                 order by id desc
                 limit $4",
                filter.action.map(Action::as_str),
                filter.actor.as_deref(),
                filter.after,
                limit + 1,
            )
            .fetch_all(db)
            .await?;
            let more = rows.len() as i64 > limit;
            let entries: Vec<AuditEntry> = rows
                .into_iter()
                .take(limit as usize)
                .map(|r| AuditEntry {
                    id: r.id,
                    at: crate::stamp::stamp(r.at),
                    actor_kind: r.actor_kind,
                    actor_id: r.actor_id,
                    actor_name: r.actor_name,
                    action: r.action,
                    target: r.target,
                    before: r.before,
                    after: r.after,
                })
                .collect();
            let next_after = if more {
                entries.last().map(|e| e.id)
            } else {
                None
            };
            Ok(AuditPage {
                entries,
                next_after,
            })
        }
    }
}

/// Entries shown per page on `/admin/audit`.
pub const PAGE_SIZE: i64 = 50;

/// The `/admin/audit` page's entries (admins only), filtered as the URL says.
#[server(prefix = "/api", endpoint = "admin/audit")]
pub async fn load_audit(
    action: Option<String>,
    actor: Option<String>,
    after: Option<String>,
) -> Result<AuditPage, AppError> {
    let pool = crate::auth::admin_pool().await?;
    let filter = Filter::parse(action.as_deref(), actor.as_deref(), after.as_deref())?;
    store::page(&pool, &filter, PAGE_SIZE).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_code_parses_back_to_its_action() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("routing"), None);
    }

    #[test]
    fn a_filter_refuses_unknown_actions_and_bad_cursors_by_field() {
        let f = Filter::parse(Some("webhook.add"), Some(" ada "), Some("12")).unwrap();
        assert_eq!(f.action, Some(Action::WebhookAdd));
        assert_eq!(f.actor.as_deref(), Some("ada"));
        assert_eq!(f.after, Some(12));
        assert_eq!(
            Filter::parse(Some(""), None, Some(" ")).unwrap(),
            Filter::default()
        );
        assert!(
            Filter::parse(Some("drop table"), None, None)
                .unwrap_err()
                .message_for("action")
                .is_some()
        );
        assert!(
            Filter::parse(None, None, Some("-1"))
                .unwrap_err()
                .message_for("after")
                .is_some()
        );
        assert!(
            Filter::parse(None, None, Some("x"))
                .unwrap_err()
                .message_for("after")
                .is_some()
        );
    }

    #[test]
    fn the_next_page_keeps_the_filter() {
        let f = Filter::parse(Some("user.add"), Some("a b&c"), None).unwrap();
        assert_eq!(f.next_query(7), "action=user.add&actor=a%20b%26c&after=7");
        assert_eq!(Filter::default().next_query(7), "after=7");
        assert_eq!(Filter::default().first_query(), "");
    }
}
