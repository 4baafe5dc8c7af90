-- Source-support hints are computed once per task by a background worker right after ingest
-- (server/src/support_worker.rs), never while a page is being served: pipeline text can be made
-- expensive, and a view must cost the same whatever a pipeline sent.
--
-- The worker claims a few tasks at a time (`for update skip locked`, a short transaction) and
-- marks them claimed until this time, then computes outside any transaction. Servers sharing the
-- database so never compute the same task at once, and a claim left by a server that stopped
-- mid-way simply expires.
alter table tasks add column support_claimed_until timestamptz;

-- The worker's pick: tasks waiting for a reviewer that have no hints yet, oldest first. Empty
-- almost all the time, so the periodic look costs one probe of an empty index.
create index tasks_support_pending on tasks (created_at)
    where support is null and status in ('queued', 'in_review');
