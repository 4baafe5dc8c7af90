//! Loupe's integration tests: the real router over real HTTP, against a fresh PostgreSQL database
//! per test (`#[sqlx::test]` creates it on the server named by `DATABASE_URL`; `scripts/test.sh`
//! starts a private cluster for that).

mod guidelines;
mod helpers;
mod history;
mod receiver;

mod accounts;
mod admin_escalation;
mod assets;
mod audit;
mod cross_site;
mod dashboard;
mod dashboard_end_users;
mod dashboard_reviews;
mod dashboard_volume;
mod edge;
mod embedded;
mod end_users;
mod error_tags;
mod escalations;
mod export;
mod faults;
mod feedback;
mod ingest;
mod lifecycle;
mod login_throttle;
mod metrics;
mod outbound;
mod pipelines;
mod prefetch;
mod priority;
mod process;
mod project_admins;
mod project_feeds;
mod project_routing;
mod project_settings;
mod projects;
mod public_feedback;
mod queue;
mod replicas;
mod requeue;
mod review;
mod scopes;
mod security_headers;
mod sessions;
mod support;
mod support_marks;
mod task_list;
mod task_list_at_scale;
mod webhooks;
