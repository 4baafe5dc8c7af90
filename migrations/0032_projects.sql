-- Projects: one Loupe for several pipelines and teams. A project owns its queue and its members;
-- outputs name their project on ingest (`project`, a slug), and a token may be limited to some
-- projects. Everything stored before this migration belongs to the default project, which is
-- open to every reviewer, so a Loupe with one pipeline works exactly as before.
-- app/src/project.rs reads and writes these tables.
--
-- Writers wait while this runs (another replica may still be serving the old version): the
-- tally is rebuilt with its new key below, and a task moved between the rebuild and the new
-- trigger functions would be counted wrongly.
lock table tasks in share row exclusive mode;

create table projects (
    id         bigint generated always as identity primary key,
    -- What pipelines, URLs and the CLI name it by.
    slug       text not null unique check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$'),
    name       text not null check (length(name) between 1 and 200),
    -- Open to every reviewer, member or not (the default project). Otherwise members only.
    everyone   boolean not null default false,
    created_at timestamptz not null default now()
);

insert into projects (slug, name, everyone) values ('default', 'Default', true);

-- Who reviews a project that is not open to everyone.
create table project_members (
    project_id bigint not null references projects (id) on delete cascade,
    user_id    bigint not null references users (id) on delete cascade,
    added_at   timestamptz not null default now(),
    primary key (project_id, user_id)
);
create index project_members_user on project_members (user_id);

-- A constant default: no table rewrite, whatever the number of tasks. The foreign key is
-- checked against the one row every existing task points at.
alter table tasks add column project_id bigint not null default 1 references projects (id);

-- Two pipelines may use the same external id: it is unique within a project. External id first,
-- so a look-up by external id alone (the task list's filter) still uses this index.
create unique index tasks_external_id_project on tasks (external_id, project_id);
alter table tasks drop constraint tasks_external_id_key;

-- Groups of reviewers ("legal"), which outputs can be assigned to.
create table reviewer_groups (
    id         bigint generated always as identity primary key,
    slug       text not null unique check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$'),
    name       text not null check (length(name) between 1 and 200),
    created_at timestamptz not null default now()
);
create table reviewer_group_members (
    group_id bigint not null references reviewer_groups (id) on delete cascade,
    user_id  bigint not null references users (id) on delete cascade,
    primary key (group_id, user_id)
);
create index reviewer_group_members_user on reviewer_group_members (user_id);

-- How long an assigned output waits for its assignee before anyone in the project may take it;
-- null: it waits for its assignee for ever.
alter table projects add column assign_wait_secs integer default 3600
    check (assign_wait_secs >= 0);

-- Assignment: to one reviewer or to a group, never both. While `reserved_until` is set (and
-- until `app::task::reserve` clears it once it has passed) only the assignee takes the task.
alter table tasks
    add column assignee_user bigint references users (id),
    add column assignee_group bigint references reviewer_groups (id),
    add column reserved_until timestamptz,
    add constraint tasks_one_assignee check (assignee_user is null or assignee_group is null);

-- The claim looks for the first open queued task of each project the reviewer may take, in queue
-- order: one probe per project, whatever the other projects hold. Reserved tasks are not in it,
-- so reviewers never walk past work kept for someone else.
create index tasks_claim_project on tasks (project_id, flagged desc, confidence, created_at)
    where status = 'queued' and reserved_until is null;
drop index tasks_claim_order;
-- Work kept for a reviewer, or for a group, in queue order: the assignee's own probe.
create index tasks_reserved_user on tasks (assignee_user, flagged desc, confidence, created_at)
    where status = 'queued' and reserved_until is not null;
create index tasks_reserved_group on tasks (assignee_group, flagged desc, confidence, created_at)
    where status = 'queued' and reserved_until is not null;
-- Reservations by when they end, for the step that opens them to everyone.
create index tasks_reserved_until on tasks (reserved_until)
    where status = 'queued' and reserved_until is not null;

-- null: every project (all tokens made before projects).
alter table api_tokens add column projects bigint[];

-- The reviewer's pick on /queue: one project, or null for all of theirs.
alter table users add column queue_project bigint references projects (id) on delete set null;

-- The tally counts per project too, so a reviewer sees what waits for them.
alter table task_tally add column project_id bigint not null default 1;
alter table task_tally drop constraint task_tally_pkey;
alter table task_tally add primary key (project_id, status, reason, model, model_version, shard);
alter table task_tally alter column project_id drop default;

create or replace function task_tally_added_or_removed() returns trigger
    language plpgsql as $$
begin
    insert into task_tally (project_id, status, reason, model, model_version, shard, n)
    select project_id, status, reason, model, model_version, pg_backend_pid(),
           case when tg_op = 'DELETE' then -count(*) else count(*) end
    from changed
    group by project_id, status, reason, model, model_version
    order by project_id, status, reason, model, model_version
    on conflict (project_id, status, reason, model, model_version, shard)
        do update set n = task_tally.n + excluded.n;
    return null;
end $$;

create or replace function task_tally_moved() returns trigger
    language plpgsql as $$
begin
    insert into task_tally (project_id, status, reason, model, model_version, shard, n)
    select project_id, status, reason, model, model_version, pg_backend_pid(), sum(d)
    from (select project_id, status, reason, model, model_version, -1 as d from old_rows
          union all
          select project_id, status, reason, model, model_version, 1 from new_rows) moved
    group by project_id, status, reason, model, model_version
    having sum(d) <> 0
    order by project_id, status, reason, model, model_version
    on conflict (project_id, status, reason, model, model_version, shard)
        do update set n = task_tally.n + excluded.n;
    return null;
end $$;

-- The one definition of who reviews what: the projects open to everyone, and those the user is
-- a member of. (Plain SQL, so the planner inlines it into each statement that uses it.)
create function reviewable_projects(reviewer bigint) returns setof bigint
    language sql stable as $$
    select p.id from projects p
    where p.everyone
       or exists (select 1 from project_members m
                  where m.project_id = p.id and m.user_id = reviewer)
$$;

-- What the reviewer takes work from now: the one they picked on /queue, if they still review
-- it, else all of theirs. The claim and the waiting counts read this.
create function picked_projects(reviewer bigint) returns setof bigint
    language sql stable as $$
    select r from reviewable_projects(reviewer) r, users u
    where u.id = reviewer and (u.queue_project is null or r = u.queue_project)
$$;
