-- Issue 16: finding any output by the words of its document and summary, and sending a settled
-- output back to the queue with a note.
--
-- Text search lives in its own table, written once per task and never updated: a task's document
-- and summary never change (corrections live in reviews). An expression index on `tasks` would be
-- recomputed by every update of a task that cannot stay on its page (the claim and the settle of
-- the review loop), parsing the whole document twice per review.
create table task_search (
    task_id uuid primary key references tasks (id),
    -- The summary weighs more than the document in the ranking (A against B). Bounded inputs
    -- (see `task_search_fill`) keep every vector far under PostgreSQL's 1 MB limit, whatever a
    -- pipeline sends.
    terms   tsvector not null
);
create index task_search_terms on task_search using gin (terms);

-- Tasks stored but not yet searchable. Ingest only adds ids (a statement-level trigger, so a
-- batch of 1,000 costs one more insert, not 1,000 parses); the search worker
-- (`server/src/search_worker.rs`) parses them in the background and deletes them from here.
create table task_search_pending (
    task_id uuid primary key
);

create function task_search_enqueue() returns trigger language plpgsql as $$
begin
    insert into task_search_pending (task_id) select id from new_tasks;
    return null;
end $$;

create trigger task_search_enqueue after insert on tasks
    referencing new table as new_tasks
    for each statement execute function task_search_enqueue();

-- Parses up to `batch` pending tasks, taking them with `skip locked` so replicas share the work.
-- Inputs are cut (a document at 100,000 characters, a summary at 20,000) so one hostile output
-- cannot make a vector PostgreSQL refuses, which would block the batch on every retry. Returns
-- how many were parsed.
create function task_search_fill(batch integer) returns integer language sql as $$
    with taken as (
        delete from task_search_pending
        where task_id in (select task_id from task_search_pending
                          limit batch for update skip locked)
        returning task_id),
    parsed as (
        insert into task_search (task_id, terms)
        select t.id,
               setweight(to_tsvector('english', left(t.summary, 20000)), 'A')
               || setweight(to_tsvector('english', left(t.document, 100000)), 'B')
        from taken join tasks t on t.id = taken.task_id
        on conflict (task_id) do nothing
        returning 1)
    select count(*)::integer from parsed
$$;

-- Every task stored before this migration is made searchable by the worker, oldest first in no
-- particular order; a 1M-task database takes a few minutes of one core in the background.
insert into task_search_pending (task_id) select id from tasks;

-- Requeue: an admin sends a settled output back to the queue with a note the next reviewer sees.
-- Its earlier reviews stay; it asks for one more. `requeued` is its routing reason from then on,
-- so the dashboard counts it apart (the tally and volume triggers follow the change).
alter table tasks drop constraint tasks_reason_check;
alter table tasks add constraint tasks_reason_check
    check (reason in ('low_confidence', 'flagged', 'audit_sample', 'auto_accepted', 'user_feedback',
                      'weak_support', 'requeued'));
-- Not indexed, so writing it never costs the review loop an index entry.
alter table tasks add column requeue_note text;
