-- Loupe's first schema: people and programs that may call Loupe, the outputs pipelines send,
-- the routing settings that decide which of them a person must see, and every piece of feedback.
-- Enumerations are text with check constraints rather than Postgres enums: adding a value later is
-- a constraint swap, not an `alter type` that cannot run inside a transaction.

-- Reviewers and admins, who use the browser. Passwords are argon2 PHC strings.
create table users (
    id            bigint generated always as identity primary key,
    username      text not null unique check (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    password_hash text not null,
    role          text not null check (role in ('reviewer', 'admin')),
    disabled      boolean not null default false,
    created_at    timestamptz not null default now()
);

-- Browser sessions. Only the SHA-256 of the cookie value is stored, so a copy of the database
-- does not hand out live sessions.
create table sessions (
    token_hash bytea primary key,
    user_id    bigint not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null
);
create index sessions_user_id on sessions (user_id);

-- Bearer tokens for pipelines. Hashed like sessions; `prefix` lets an admin tell tokens apart.
create table api_tokens (
    id           bigint generated always as identity primary key,
    name         text not null,
    prefix       text not null,
    token_hash   bytea not null unique,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Routing settings per model; the row for model '*' holds the defaults every other model falls
-- back to.
create table routing_settings (
    model            text primary key,
    threshold        double precision not null check (threshold between 0 and 1),
    audit_rate       double precision not null check (audit_rate between 0 and 1),
    reviews_per_task integer not null check (reviews_per_task between 1 and 10),
    updated_at       timestamptz not null default now()
);
insert into routing_settings (model, threshold, audit_rate, reviews_per_task)
values ('*', 0.8, 0.05, 1);

-- One model output sent by a pipeline, with the routing decision taken when it arrived.
-- status: auto_accepted | queued (waiting for a reviewer) | in_review (leased) | reviewed | escalated.
-- A lease is (lease_owner, lease_expires_at); an expired lease counts as free, so a reviewer who
-- walks away never strands a task.
create table tasks (
    id               uuid primary key,
    external_id      text unique,
    document         text not null,
    summary          text not null,
    confidence       double precision not null check (confidence between 0 and 1),
    model            text not null,
    model_version    text not null,
    flagged          boolean not null default false,
    -- The threshold in force when the task was routed, so its reason can be explained later
    -- even after an admin changes the setting.
    threshold        double precision not null check (threshold between 0 and 1),
    metadata         jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
    reason           text not null
        check (reason in ('low_confidence', 'flagged', 'audit_sample', 'auto_accepted')),
    status           text not null
        check (status in ('auto_accepted', 'queued', 'in_review', 'reviewed', 'escalated')),
    reviews_required integer not null default 1 check (reviews_required >= 1),
    reviews_done     integer not null default 0,
    lease_owner      bigint references users (id),
    leased_at        timestamptz,
    lease_expires_at timestamptz,
    created_at       timestamptz not null default now(),
    completed_at     timestamptz
);
-- The claim query walks this index in queue order: flagged first, then least confident, then oldest.
create index tasks_queue_order on tasks (flagged desc, confidence, created_at)
    where status in ('queued', 'in_review');
create index tasks_lease_owner on tasks (lease_owner) where status = 'in_review';

-- A reviewer's judgement of one task. One per reviewer and task: a reviewer never sees a task twice.
create table reviews (
    id                bigint generated always as identity primary key,
    task_id           uuid not null references tasks (id),
    reviewer_id       bigint not null references users (id),
    rating            smallint not null check (rating between 1 and 5),
    verdict           text not null check (verdict in ('accept', 'reject', 'escalate')),
    comment           text,
    corrected_summary text,
    seconds_spent     integer not null check (seconds_spent >= 0),
    created_at        timestamptz not null default now(),
    unique (task_id, reviewer_id)
);

-- A skip keeps the task away from the reviewer who skipped it for a while, and from nobody else.
create table task_skips (
    task_id     uuid not null references tasks (id),
    reviewer_id bigint not null references users (id),
    skipped_at  timestamptz not null default now(),
    primary key (task_id, reviewer_id)
);

-- Feedback from end users of the AI product, sent through the product's backend.
create table external_feedback (
    id            bigint generated always as identity primary key,
    task_id       uuid not null references tasks (id),
    user_id       text not null,
    feedback_type text not null check (feedback_type in ('thumbs', 'rating', 'comment')),
    value         jsonb,
    comments      text,
    token_id      bigint references api_tokens (id),
    created_at    timestamptz not null default now()
);
create index external_feedback_task_id on external_feedback (task_id);
