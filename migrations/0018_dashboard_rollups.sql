-- The dashboard over a year at a million tasks: two figures read every task or review in the
-- range (see bench/README.md), so they are prepared as rows are written instead.

-- Tasks per UTC day, model, version, reason, flag and twentieth of confidence: the volume chart
-- and the what-if read whole days from here and only the range's partial edge days from `tasks`
-- (app/src/dashboard/volume.rs). A year is a few tens of thousands of rows whatever the traffic.
-- The bin is the dashboard's own (`least(floor(confidence × 20 + ε), 19)`, see
-- app/src/dashboard/shape.rs), so the counts match a scan of `tasks` exactly.
--
-- Kept like `task_tally` (0017): by triggers inside the writing transaction, spread over shards
-- by `pg_backend_pid() % 8` so concurrent writers of the same day do not queue on one row, and
-- upserted in key order so two writers cannot deadlock.
-- Writers wait while this migration runs (a replica still on the old version may be serving):
-- a task or review written between a fill below and its trigger's creation would be missed.
lock table tasks, reviews in share row exclusive mode;

create table task_volume (
    day date not null,
    model text not null,
    model_version text not null,
    reason text not null,
    flagged boolean not null,
    bin smallint not null,
    shard smallint not null,
    n bigint not null,
    primary key (day, model, model_version, reason, flagged, bin, shard)
);

insert into task_volume (day, model, model_version, reason, flagged, bin, shard, n)
select (created_at at time zone 'UTC')::date, model, model_version, reason, flagged,
       least(floor(confidence * 20 + 1e-9), 19), 0, count(*)
from tasks
group by 1, 2, 3, 4, 5, 6;

-- Inserts (and deletes, none in normal use) in batches: one upsert per statement. Each trigger
-- names its transition table `changed`.
create function task_volume_added_or_removed() returns trigger
    language plpgsql as $$
begin
    insert into task_volume (day, model, model_version, reason, flagged, bin, shard, n)
    select (created_at at time zone 'UTC')::date, model, model_version, reason, flagged,
           least(floor(confidence * 20 + 1e-9), 19), pg_backend_pid() % 8,
           case when tg_op = 'DELETE' then -count(*) else count(*) end
    from changed
    group by 1, 2, 3, 4, 5, 6
    order by 1, 2, 3, 4, 5, 6
    on conflict (day, model, model_version, reason, flagged, bin, shard)
        do update set n = task_volume.n + excluded.n;
    return null;
end $$;

-- Nothing in Loupe changes these columns after ingest, but a correction by hand (or a test that
-- back-dates a task) must not leave the rollup behind. The WHEN clause keeps the status, lease
-- and review updates from running it at all; a change within one day and bin (both rows the
-- same key) cancels out and writes nothing.
create function task_volume_moved() returns trigger
    language plpgsql as $$
begin
    insert into task_volume (day, model, model_version, reason, flagged, bin, shard, n)
    select d, m, v, r, f, b, pg_backend_pid() % 8, sum(k)
    from (values ((old.created_at at time zone 'UTC')::date, old.model, old.model_version,
                  old.reason, old.flagged, least(floor(old.confidence * 20 + 1e-9), 19), -1),
                 ((new.created_at at time zone 'UTC')::date, new.model, new.model_version,
                  new.reason, new.flagged, least(floor(new.confidence * 20 + 1e-9), 19), 1))
         as t (d, m, v, r, f, b, k)
    group by d, m, v, r, f, b
    having sum(k) <> 0
    order by d, m, v, r, f, b
    on conflict (day, model, model_version, reason, flagged, bin, shard)
        do update set n = task_volume.n + excluded.n;
    return null;
end $$;

create function task_volume_emptied() returns trigger
    language plpgsql as $$
begin
    delete from task_volume;
    return null;
end $$;

create trigger task_volume_inserted after insert on tasks
    referencing new table as changed
    for each statement execute function task_volume_added_or_removed();

create trigger task_volume_deleted after delete on tasks
    referencing old table as changed
    for each statement execute function task_volume_added_or_removed();

create trigger task_volume_moved
    after update of created_at, model, model_version, reason, flagged, confidence on tasks
    for each row
    when (old.created_at is distinct from new.created_at or old.model is distinct from new.model
          or old.model_version is distinct from new.model_version
          or old.reason is distinct from new.reason or old.flagged is distinct from new.flagged
          or old.confidence is distinct from new.confidence)
    execute function task_volume_moved();

create trigger task_volume_emptied after truncate on tasks
    for each statement execute function task_volume_emptied();

-- Agreement compares reviews of the same task, so only tasks with two or more reviews count —
-- a minority of reviews. Each review records its place among its task's reviews (1 for the
-- first), and the partial index below holds the later ones only: every task with two reviews in
-- a range has one of them here (the one written second), so the agreement query finds its tasks
-- in this index and fetches their reviews by task, instead of sorting every review in the range.
alter table reviews add column nth integer not null default 1;

update reviews r set nth = o.nth
from (select id, row_number() over (partition by task_id order by id) as nth from reviews) o
where o.id = r.id and o.nth > 1;

-- The task row is locked first, as the review desk does: two reviews of one task written at the
-- same time then count each other, whoever writes them. Sequential scans are off inside: in a
-- bulk load into a new table (`loupe generate`) the cached plan would otherwise be the scan the
-- planner chose while the table was empty, run once per row over an ever larger table.
create function review_place() returns trigger
    language plpgsql
    set enable_seqscan = off as $$
begin
    perform from tasks where id = new.task_id for no key update;
    new.nth := 1 + (select count(*) from reviews where task_id = new.task_id);
    return new;
end $$;

create trigger review_place before insert on reviews
    for each row execute function review_place();

create index reviews_later on reviews (created_at) include (task_id, model, model_version)
    where nth >= 2;
