-- How many tasks are in each status, kept as tasks are written rather than counted at read time.
-- The review page shows how many tasks wait, the queue page and the dashboard break that down, and
-- /metrics reports it: at a million queued tasks a `count(*)` costs ~300 ms, once per page view.
-- app/src/task/counts.rs reads this table; nothing else writes it but the triggers below.
--
-- Exact and transactional: the triggers run inside the writing transaction, so a count read after
-- a commit includes it, and a rolled-back write leaves no trace.
--
-- Spread over shards so concurrent writers do not queue on one hot row: a writer adds to the row
-- of its own connection's shard (`pg_backend_pid() % 8`), and readers sum the shards. Within one
-- statement the rows are always touched in key order, so two writers cannot deadlock on them.
-- Writers wait while this migration runs (a replica still on the old version may be serving):
-- a task written between the fill below and the triggers' creation would be counted by neither.
lock table tasks in share row exclusive mode;

create table task_tally (
    status text not null,
    reason text not null,
    model text not null,
    model_version text not null,
    shard smallint not null,
    n bigint not null,
    primary key (status, reason, model, model_version, shard)
);

insert into task_tally (status, reason, model, model_version, shard, n)
select status, reason, model, model_version, 0, count(*)
from tasks
group by status, reason, model, model_version;

-- New tasks arrive in batches: one upsert per statement, not per row. Deletes (none in normal
-- use) take them away the same way; each trigger names its transition table `changed`.
create function task_tally_added_or_removed() returns trigger
    language plpgsql as $$
begin
    insert into task_tally (status, reason, model, model_version, shard, n)
    select status, reason, model, model_version, pg_backend_pid() % 8,
           case when tg_op = 'DELETE' then -count(*) else count(*) end
    from changed
    group by status, reason, model, model_version
    order by status, reason, model, model_version
    on conflict (status, reason, model, model_version, shard)
        do update set n = task_tally.n + excluded.n;
    return null;
end $$;

-- Updates that move tasks (claim, review, release, resolution, a bulk requeue) add one upsert per
-- statement too, from the rows' old and new keys. (A row-level trigger would upsert the same few
-- tally rows once per task: in one transaction that moves many tasks, each upsert would step over
-- every version the previous ones left, and the cost would grow with the square of the rows.)
-- Updates that move nothing (hints, lease renewals) find no difference and write nothing.
create function task_tally_moved() returns trigger
    language plpgsql as $$
begin
    insert into task_tally (status, reason, model, model_version, shard, n)
    select status, reason, model, model_version, pg_backend_pid() % 8, sum(d)
    from (select status, reason, model, model_version, -1 as d from old_rows
          union all
          select status, reason, model, model_version, 1 from new_rows) moved
    group by status, reason, model, model_version
    having sum(d) <> 0
    order by status, reason, model, model_version
    on conflict (status, reason, model, model_version, shard)
        do update set n = task_tally.n + excluded.n;
    return null;
end $$;

create function task_tally_emptied() returns trigger
    language plpgsql as $$
begin
    delete from task_tally;
    return null;
end $$;

create trigger task_tally_inserted after insert on tasks
    referencing new table as changed
    for each statement execute function task_tally_added_or_removed();

create trigger task_tally_deleted after delete on tasks
    referencing old table as changed
    for each statement execute function task_tally_added_or_removed();

create trigger task_tally_moved after update on tasks
    referencing old table as old_rows new table as new_rows
    for each statement execute function task_tally_moved();

create trigger task_tally_emptied after truncate on tasks
    for each statement execute function task_tally_emptied();

-- Leases that ran out: "waiting" counts them with the queued ones. In review are only the tasks
-- reviewers hold or abandoned, so this index stays small whatever the queue's size.
create index tasks_lease_lapse on tasks (lease_expires_at) where status = 'in_review';

-- The oldest open task of each model, version and reason (the dashboard's "oldest waiting", the
-- age gauge of /metrics): the first entry under each key of this index, one probe per key the
-- tally knows, where before it was the minimum over every open task.
create index tasks_open_age on tasks (model, model_version, reason, created_at)
    where status in ('queued', 'in_review');
