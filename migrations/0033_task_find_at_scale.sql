-- Issue 16: the task list fast at a million tasks (see `app/src/task/find.rs` and bench/README.md,
-- "Finding tasks at a million").
--
-- Three kinds of request walked most of the tasks: ranking a common word, a confidence range or
-- sort, and a rare condition on reviews. Each gets what lets it read only about what it returns.

set local maintenance_work_mem = '256MB';

-- 1. Text search keeps each task's arrival time, and its rows in arrival order, so "the newest
-- tasks holding these words" is one ordered walk of a few pages: relevance ranks among a bounded
-- number of the newest matches (`find::RANKED`). The table is rebuilt in arrival order once here;
-- from now on the search worker parses pending tasks oldest first, so new rows follow arrival.
create table task_search_ordered (
    task_id    uuid primary key references tasks (id) on delete cascade,
    -- The task's `created_at`, kept equal by `task_created_at_moved` below.
    created_at timestamptz not null,
    terms      tsvector not null
);
insert into task_search_ordered (task_id, created_at, terms)
select s.task_id, t.created_at, s.terms
from task_search s join tasks t on t.id = s.task_id
order by t.created_at, s.task_id;
drop table task_search;
alter table task_search_ordered rename to task_search;
alter index task_search_ordered_pkey rename to task_search_pkey;
alter table task_search rename constraint task_search_ordered_task_id_fkey to task_search_task_id_fkey;
create index task_search_terms on task_search using gin (terms);
create index task_search_arrival on task_search (created_at, task_id);

-- Pending tasks carry their arrival time and are keyed by it, so the worker takes the oldest
-- first (still one index entry per ingested task).
alter table task_search_pending add column created_at timestamptz;
update task_search_pending p set created_at = t.created_at from tasks t where t.id = p.task_id;
-- A task deleted while pending has nothing to parse.
delete from task_search_pending where created_at is null;
alter table task_search_pending alter column created_at set not null;
alter table task_search_pending drop constraint task_search_pending_pkey;
alter table task_search_pending add primary key (created_at, task_id);

create or replace function task_search_enqueue() returns trigger language plpgsql as $$
begin
    insert into task_search_pending (task_id, created_at) select id, created_at from new_tasks;
    return null;
end $$;

-- 2. Confidence as a range or a sort (`least_confident`, `most_confident`, ties by arrival): one
-- more index entry for each update of a task the review loop makes (measured about 0.01 ms).
create index tasks_confidence on tasks (confidence, created_at, id);

-- 3. Conditions on reviews are answered from the reviews that meet them, in the order of their
-- task's arrival: each review keeps its task's `created_at` (set when it is written, by the
-- trigger that already locks the task), so "tasks ana reviewed, newest first" is one ordered
-- index walk over ana's reviews, however few they are among the tasks.
alter table reviews add column task_created_at timestamptz;
-- Only this column changes: the review rollups have nothing to follow.
alter table reviews disable trigger review_rollups_updated;
update reviews r set task_created_at = t.created_at from tasks t where t.id = r.task_id;
alter table reviews enable trigger review_rollups_updated;
alter table reviews alter column task_created_at set not null;

create or replace function review_place() returns trigger
    language plpgsql
    set enable_seqscan = off as $$
begin
    -- A review of a missing task is refused (the column stays null), as before.
    select created_at into new.task_created_at from tasks where id = new.task_id
        for no key update;
    new.nth := 1 + (select count(*) from reviews where task_id = new.task_id);
    return new;
end $$;

-- One ordered index per condition, so each walk meets only reviews that hold it: partial ones
-- for comments, corrections and tags get entries from those reviews alone. A tag the planner
-- knows to be rare is found by the inverted index instead, and sorted.
create index reviews_reviewer_task on reviews (reviewer_id, task_created_at, task_id);
create index reviews_verdict_task on reviews (verdict, task_created_at, task_id);
create index reviews_commented_task on reviews (task_created_at, task_id)
    where coalesce(comment, '') <> '';
create index reviews_corrected_task on reviews (task_created_at, task_id)
    where corrected_summary is not null;
create index reviews_tagged_task on reviews (task_created_at, task_id) where error_tags <> '{}';
create index reviews_error_tags on reviews using gin (error_tags);

-- A task's arrival time is set at ingest and not changed by Loupe; should anyone change it, the
-- copies follow, so the orders above stay the task's own.
create function task_created_at_moved() returns trigger language plpgsql as $$
begin
    update task_search set created_at = new.created_at where task_id = new.id;
    update task_search_pending set created_at = new.created_at
        where created_at = old.created_at and task_id = new.id;
    update reviews set task_created_at = new.created_at where task_id = new.id;
    return null;
end $$;

create trigger task_created_at_moved after update of created_at on tasks
    for each row when (old.created_at is distinct from new.created_at)
    execute function task_created_at_moved();
