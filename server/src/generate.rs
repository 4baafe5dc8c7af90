//! Synthetic review history: tasks spread over past days, reviewed by a team of reviewers whose
//! verdicts depend on the model's confidence and version, with corrections, comments, escalations
//! and double reviews. The demo uses a small one so the dashboard has something to show; the
//! benchmark loads a million tasks with it.
//!
//! Everything is generated inside PostgreSQL (`generate_series`), so a million rows take seconds,
//! not a million round trips. Every random choice is a hash of the seed and the row, so the same
//! arguments always give the same data.

use anyhow::{Context, Result};
use sqlx::PgPool;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// External ids are `prefix` + a running number; a prefix already present means the history
    /// was loaded before and nothing is done.
    pub prefix: String,
    pub tasks: i64,
    /// Review rows to create, for a pseudo-random choice of the tasks that need review (so every
    /// period has some); `None` reviews every task that needs it, leaving the queue empty.
    pub reviews: Option<i64>,
    /// Tasks are spread evenly over this many days before now.
    pub days: i32,
    /// Accounts `reviewer-01`… that did the reviews.
    pub reviewers: i32,
}

/// What was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub tasks: i64,
    pub reviews: i64,
}

/// A uniform number in [0, 1) from the hash of its text argument.
const UNIFORM: &str = "create function pg_temp.u(text) returns float8
    language sql immutable as
    $$ select ('x' || substr(md5($1), 1, 13))::bit(52)::bigint::float8 / 4503599627370496.0 $$";

const TASKS: &str = r#"
with base as (
    select g,
           pg_temp.u($1 || g || ':t') as ut,
           pg_temp.u($1 || g || ':c') as uc,
           pg_temp.u($1 || g || ':m') as um,
           pg_temp.u($1 || g || ':f') as uf,
           pg_temp.u($1 || g || ':a') as ua,
           (abs(hashtext($1 || g)::int8) % 12) as topic
    from generate_series(1, $2::int8) g
), shaped as (
    select g, topic, uf, ua,
           now() - make_interval(secs => ut * $3 * 86400) as created,
           round((0.30 + 0.70 * power(uc, 0.3))::numeric, 3)::float8 as conf,
           case when um < 0.2 then 'digest' else 'summarizer' end as model,
           -- The summarizer moved from 2.3 to 2.4 halfway through the period.
           case when um < 0.2 then '1.0' when ut > 0.5 then '2.3' else '2.4' end as version
    from base
), routed as (
    select *,
           case when uf < 0.02 then 'flagged'
                when conf < 0.8 then 'low_confidence'
                when ua < 0.05 then 'audit_sample'
                else 'auto_accepted' end as reason,
           (array['billing', 'delivery', 'outage', 'contract', 'hiring', 'security', 'pricing',
                  'research', 'travel', 'support', 'compliance', 'logistics'])[topic + 1] as subject
    from shaped
)
insert into tasks (id, external_id, document, summary, confidence, model, model_version, flagged,
                   threshold, metadata, reason, status, reviews_required, created_at, completed_at)
select md5($1 || g)::uuid, $1 || g,
       format('Report %s on %s. The team met on day %s to review the %s situation. '
              'Costs rose by %s percent against the plan while volume grew by %s percent. '
              'Two suppliers asked for new terms and one customer escalated a complaint. '
              'The manager proposed a review of the %s process before the next quarter, '
              'with a decision expected within %s weeks.',
              g, subject, 1 + g % 28, subject, 2 + g % 17, 1 + g % 9, subject, 2 + g % 6),
       format('Costs on %s rose %s percent while volume grew %s percent; a review of the '
              'process is proposed with a decision within %s weeks.',
              subject, 2 + g % 17, 1 + g % 9, 2 + g % 6),
       conf, model, version, reason = 'flagged', 0.8,
       jsonb_build_object('source', 'generated', 'subject', subject),
       reason,
       case when reason = 'auto_accepted' then 'auto_accepted' else 'queued' end,
       case when model = 'digest' then 2 else 1 end,
       created,
       case when reason = 'auto_accepted' then created end
from routed
-- Rows land in time order, as real traffic does, so the table's physical order follows created_at.
order by created
on conflict (external_id, project_id) do nothing
"#;

const REVIEWERS: &str = "
insert into users (username, password_hash, role)
select format('reviewer-%s', lpad(i::text, 2, '0')), '!', 'reviewer'
from generate_series(1, $1::int) i
on conflict (username) do nothing";

const REVIEWS: &str = r#"
with team as (
    select row_number() over (order by username) - 1 as slot, id
    from users where username like 'reviewer-__'
), size as (select count(*) as n from team),
need as (
    select t.id, t.created_at, t.confidence, t.model, t.model_version, t.reason, t.summary, k,
           t.project_id,
           pg_temp.u(t.id::text || ':q') as quality,
           pg_temp.u(t.id::text || k || ':n') as noise,
           pg_temp.u(t.id::text || k || ':e') as esc,
           pg_temp.u(t.id::text || k || ':r') as ur,
           pg_temp.u(t.id::text || k || ':x') as ux,
           (abs(hashtext(t.id::text)::int8) + k - 1) % (select n from size) as slot
    from tasks t cross join lateral generate_series(1, t.reviews_required) k
    where t.external_id like $1 || '%' and t.status = 'queued'
    order by md5(t.id::text), k
    limit $2
), judged as (
    select need.*,
           case when esc < 0.03 then 'escalate'
                when (quality < least(0.97, case model_version when '2.3' then 0.20 + 0.70 * confidence
                                                             when '2.4' then 0.35 + 0.62 * confidence
                                                             else 0.15 + 0.80 * confidence end))
                     <> (noise < 0.08) then 'accept'
                else 'reject' end as verdict,
           regexp_split_to_array(summary, '\s+') as words
    from need
), rated as (
    select judged.*,
           case verdict when 'accept' then case when ur < 0.15 then 3 when ur < 0.6 then 4 else 5 end
                        when 'reject' then case when ur < 0.35 then 1 when ur < 0.85 then 2 else 3 end
                        else 3 end as rating,
           (verdict = 'reject' and ux < 0.6) or (verdict = 'accept' and ux < 0.12) as corrects,
           1 + floor(ux * 8)::int as cut
    from judged
)
insert into reviews (task_id, reviewer_id, rating, verdict, comment, corrected_summary,
                     seconds_spent, created_at, edit_distance, model, model_version, confidence,
                     reason, project_id)
select r.id, team.id, r.rating, r.verdict,
       case when r.verdict = 'escalate' then 'Needs someone who knows the contract terms.'
            when r.verdict = 'reject' and r.ur > 0.5 then
                (array['Numbers do not match the source.', 'Misses the main decision.',
                       'Invents a detail the report does not contain.',
                       'Puts the emphasis on a side issue.'])[1 + floor(r.ux * 4)::int]
       end,
       case when r.corrects then array_to_string(r.words[1:cardinality(r.words) - r.cut], ' ') end,
       15 + floor(r.noise * 80)::int + 12 * (r.slot % 4)::int,
       least(now(), r.created_at + make_interval(mins => 5 + floor(r.ur * 600)::int + 60 * r.k)),
       case when r.corrects then r.cut::float8 / cardinality(r.words) end,
       r.model, r.model_version, r.confidence, r.reason, r.project_id
from rated r join team on team.slot = r.slot
"#;

const COMPLETE: &str = "
update tasks t
set reviews_done = s.n,
    status = case when s.escalated then 'escalated'
                  when s.n >= t.reviews_required then 'reviewed'
                  else 'queued' end,
    completed_at = case when s.escalated or s.n >= t.reviews_required then s.last end
from (select r.task_id, count(*) as n, bool_or(r.verdict = 'escalate') as escalated,
             max(r.created_at) as last
      from reviews r join tasks x on x.id = r.task_id
      where x.external_id like $1 || '%'
      group by r.task_id) s
where t.id = s.task_id";

// End users of about a third of the outputs: thumbs and ratings that mostly agree with what a
// reviewer would say of the same output (the same hidden quality as above), copies, regenerations
// and edits, within two days of the output.
const END_USERS: &str = r#"
with chosen as (
    select t.id, t.project_id, t.created_at, k, pg_temp.u(t.id::text || k || ':eu') as u,
           pg_temp.u(t.id::text || ':q') < least(0.97, 0.25 + 0.65 * t.confidence) as good
    from tasks t cross join lateral generate_series(1, 2) k
    where t.external_id like $1 || '%' and pg_temp.u(t.id::text || ':eu?') < 0.35
), typed as (
    select *, case when u < 0.45 then 'thumbs' when u < 0.6 then 'rating' when u < 0.85 then 'copy'
                   when u < 0.95 then 'regenerate' else 'edit' end as kind
    from chosen
)
insert into external_feedback (task_id, project_id, user_id, feedback_type, value, created_at)
select id, project_id, 'user-' || (abs(hashtext(id::text || k)) % 400), kind,
       case kind when 'thumbs' then case when good <> (pg_temp.u(id::text || k || ':flip') < 0.1) then 1 else 0 end
                 when 'rating' then case when good then 4 else 1 end + floor(u * 970)::int % 2
       end,
       least(now(), created_at + make_interval(mins => 10 + floor(u * 2880)::int))
from typed
order by created_at
"#;

const CATALOGUE: &str = "
insert into model_versions (model, model_version, first_seen)
select model, model_version, min(created_at) from tasks
where external_id like $1 || '%'
group by model, model_version
on conflict (model, model_version) do update
    set first_seen = least(model_versions.first_seen, excluded.first_seen)";

/// Loads the history described by `spec` in one transaction; does nothing if its first task
/// exists already.
pub async fn load(pool: &PgPool, spec: &Spec) -> Result<Generated> {
    let mut tx = pool.begin().await?;
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from tasks where external_id = $1)")
            .bind(format!("{}1", spec.prefix))
            .fetch_one(&mut *tx)
            .await?;
    if exists {
        // A load cut short while parsing goes on where it stopped.
        crate::search_worker::fill_all(pool).await?;
        return Ok(Generated {
            tasks: 0,
            reviews: 0,
        });
    }
    sqlx::query(UNIFORM).execute(&mut *tx).await?;
    // Generated reviewers cannot sign in: '!' is not a password hash anything verifies against.
    sqlx::query(REVIEWERS)
        .bind(spec.reviewers.max(2))
        .execute(&mut *tx)
        .await
        .context("cannot create the reviewers")?;
    // The digest model asks for two reviews per task, which is what agreement is measured on.
    sqlx::query(
        "insert into routing_settings (model, threshold, audit_rate, reviews_per_task)
         values ('digest', 0.8, 0.05, 2) on conflict (project_id, model) do nothing",
    )
    .execute(&mut *tx)
    .await?;
    let tasks = sqlx::query(TASKS)
        .bind(&spec.prefix)
        .bind(spec.tasks)
        .bind(f64::from(spec.days))
        .execute(&mut *tx)
        .await
        .context("cannot generate tasks")?
        .rows_affected();
    let reviews = sqlx::query(REVIEWS)
        .bind(&spec.prefix)
        .bind(spec.reviews)
        .execute(&mut *tx)
        .await
        .context("cannot generate reviews")?
        .rows_affected();
    sqlx::query(COMPLETE)
        .bind(&spec.prefix)
        .execute(&mut *tx)
        .await?;
    sqlx::query(END_USERS)
        .bind(&spec.prefix)
        .execute(&mut *tx)
        .await
        .context("cannot generate end-user feedback")?;
    sqlx::query(CATALOGUE)
        .bind(&spec.prefix)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    // Searchable at once, as a server's search worker would make them within minutes: a
    // benchmark of the task list should not race the backlog.
    crate::search_worker::fill_all(pool).await?;
    // Fresh statistics for good plans, and a visibility map so the dashboard's covering indexes
    // give index-only scans at once (autovacuum would get there on its own, later).
    sqlx::query("vacuum (analyze) tasks, reviews, external_feedback, task_search")
        .execute(pool)
        .await?;
    Ok(Generated {
        tasks: tasks as i64,
        reviews: reviews as i64,
    })
}
