-- Issue 16: finding any output by the words of its document and summary, and sending a settled
-- output back to the queue with a note.
--
-- Text search lives in its own table, written once per task and never updated: a task's document
-- and summary never change (corrections live in reviews). An expression index on `tasks` would be
-- recomputed by every update of a task that cannot stay on its page (the claim and the settle of
-- the review loop), parsing the whole document twice per review.
create table task_search (
    task_id uuid primary key references tasks (id) on delete cascade,
    -- The summary weighs more than the document in the ranking (A against B). Bounded inputs
    -- (see `server/src/search_worker.rs`) keep every vector far under PostgreSQL's 1 MB limit,
    -- whatever a pipeline sends.
    terms   tsvector not null
);
create index task_search_terms on task_search using gin (terms);

-- Tasks stored but not yet searchable. Ingest only adds ids (a statement-level trigger, so a
-- batch of 1,000 costs one more insert, not 1,000 parses); the search worker
-- (`server/src/search_worker.rs`) parses them in the background and deletes them from here,
-- walking the ids in order from where it left off, so it never rescans the rows it has deleted.
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

-- Every task stored before this migration is made searchable by the worker, in the background.
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
