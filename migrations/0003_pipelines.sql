-- Pipelines: webhooks delivered from an outbox, and a feed of all feedback in a stable order.

-- Where Loupe posts events. The secret signs every delivery (HMAC-SHA256); it is kept in clear
-- because signing needs it, and is shown to the admin only when the endpoint is created.
create table webhook_endpoints (
    id          bigint generated always as identity primary key,
    url         text not null check (url ~ '^https?://[^[:space:]]+$' and length(url) <= 2000),
    events      text[] not null
        check (cardinality(events) > 0 and events <@ array['task.reviewed', 'task.escalated']),
    secret      text not null check (length(secret) between 16 and 200),
    description text not null default '' check (length(description) <= 200),
    active      boolean not null default true,
    created_at  timestamptz not null default now()
);

-- The outbox: one row per (event, endpoint), written in the transaction that caused the event, so
-- an event exists exactly when its cause was committed. Workers in any Loupe process claim due rows
-- with `for update skip locked` and hold them for a while (`locked_until`) while they send.
-- status: pending (to be sent, now or at next_attempt_at) | delivered | failed (gave up).
create table webhook_deliveries (
    id              uuid primary key,
    endpoint_id     bigint not null references webhook_endpoints (id) on delete cascade,
    event           text not null,
    task_id         uuid references tasks (id),
    payload         jsonb not null,
    status          text not null default 'pending'
        check (status in ('pending', 'delivered', 'failed')),
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    -- Retries stop after this; a resend starts a new window.
    retry_until     timestamptz not null default now() + interval '24 hours',
    locked_until    timestamptz,
    last_status     integer,
    last_error      text,
    created_at      timestamptz not null default now(),
    delivered_at    timestamptz
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, created_at desc);

-- Every attempt, for the delivery log.
create table webhook_attempts (
    id          bigint generated always as identity primary key,
    delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
    started_at  timestamptz not null default now(),
    status_code integer,
    error       text,
    duration_ms integer not null,
    -- Which Loupe process sent it (several may share the database).
    sender      text not null default ''
);
create index webhook_attempts_delivery on webhook_attempts (delivery_id, id);

-- The feedback feed orders rows by the transaction that wrote them. Rows of a transaction still
-- running have an id at or above the oldest running transaction's, so a reader that only returns
-- rows below that horizon never skips a row that commits later (ids alone would: id 7 can commit
-- after id 8 has been read).
alter table reviews
    add column xact bigint not null default (pg_current_xact_id()::text::bigint);
alter table external_feedback
    add column xact bigint not null default (pg_current_xact_id()::text::bigint);
create index reviews_feed on reviews (xact, id);
create index external_feedback_feed on external_feedback (xact, id);
