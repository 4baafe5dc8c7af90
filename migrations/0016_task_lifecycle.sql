-- Where a task stands in its lease, defined once. Every query that asks "is this task waiting
-- for a reviewer" or "is someone holding it" calls these, so the claim, the queue page, the
-- dashboard and the review page cannot drift apart (they once used `<` in one place and `<=` in
-- another). app/src/task/ owns the Rust side of the lifecycle.
--
-- Both are single expressions, declared stable: PostgreSQL inlines them into the calling query,
-- so the planner still sees `status = 'queued' or …` and uses the partial indexes on status as
-- before. (What a reviewer may claim, waiting and neither reviewed nor recently skipped by them,
-- stays written out in the one claim statement, app/src/task/lease.rs: a SQL function holding
-- its `not exists` subqueries could not be inlined, and cost ~6 ms per claim instead of 0.25.)

-- Waiting: queued, or leased with the lease run out (an abandoned tab frees its task).
create function task_waiting(status text, lease_expires_at timestamptz) returns boolean
    language sql stable parallel safe
    as $$ select status = 'queued' or (status = 'in_review' and lease_expires_at <= now()) $$;

-- Held: leased, and the lease still running.
create function task_held(status text, lease_expires_at timestamptz) returns boolean
    language sql stable parallel safe
    as $$ select status = 'in_review' and lease_expires_at > now() $$;
