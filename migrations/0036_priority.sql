-- Priority: an admin (from the task list or the API) or the pipeline (on ingest) moves outputs
-- ahead of the queue, or behind it. -9 to 9, 0 by default; a higher priority is offered first,
-- before the pipeline's flag and the confidence. Assigned work still comes first for its assignee.
--
-- A column with a constant default rewrites nothing; its check reads every row once.
alter table tasks add column priority smallint not null default 0
    check (priority between -9 and 9);

-- The claim's indexes (0032) with priority first, so the first entry of each is still the task
-- the claim takes.
drop index tasks_claim_project;
create index tasks_claim_project
    on tasks (project_id, priority desc, flagged desc, confidence, created_at)
    where status = 'queued' and reserved_until is null;
drop index tasks_reserved_user;
create index tasks_reserved_user
    on tasks (assignee_user, priority desc, flagged desc, confidence, created_at)
    where status = 'queued' and reserved_until is not null;
drop index tasks_reserved_group;
create index tasks_reserved_group
    on tasks (assignee_group, priority desc, flagged desc, confidence, created_at)
    where status = 'queued' and reserved_until is not null;
