-- The audit trail: one row per admin action (routing, webhooks, tokens, users, guidelines, error
-- tags, escalation resolutions), written in the same transaction as the change it records, so a
-- change without its row (or a row without its change) cannot be committed. app/src/audit.rs owns
-- every write and read of this table.
create table audit_log (
    id         bigint generated always as identity primary key,
    at         timestamptz not null default now(),
    -- Who: a signed-in person ('user', id = users.id), an API token ('token', id =
    -- api_tokens.id) or the command line ('cli', no id). No foreign keys: the trail outlives what
    -- it names, and the display name is captured as it was at the time.
    actor_kind text not null check (actor_kind in ('user', 'token', 'cli')),
    actor_id   bigint,
    actor_name text not null check (length(actor_name) between 1 and 200),
    -- What: a short code such as 'routing.update' or 'user.disable' (the list is in audit.rs).
    action     text not null check (action ~ '^[a-z_]+\.[a-z_]+$'),
    -- On what: a model name, an endpoint id, a username, a task id...
    target     text not null default '',
    -- The state before and after, as JSON objects (null when there was none). Never secrets:
    -- no token values, password hashes or webhook signing secrets.
    before     jsonb check (before is null or jsonb_typeof(before) = 'object'),
    after      jsonb check (after is null or jsonb_typeof(after) = 'object')
);

-- The page and the API read newest first, by id, optionally filtered by action or by actor.
create index audit_log_action on audit_log (action, id desc);
create index audit_log_actor on audit_log (actor_name, id desc);
