-- Publishable feedback keys (issue 15, "feedback from the browser"): a credential a product page
-- may ship to its visitors' browsers. It can do one thing only, send end-user feedback through
-- POST /api/v1/public/feedback, and only from the origins listed on it. server/src/feedback_keys/
-- owns the key, its origins and every query on these tables.
create table feedback_keys (
    id           bigint generated always as identity primary key,
    name         text not null check (char_length(name) between 1 and 100),
    -- The first characters (`lpk_` and 8 more), shown by `loupe key list`; never the key.
    prefix       text not null,
    key_hash     bytea not null unique,
    -- Normalised `scheme://host[:port]` origins, no wildcards (checked by the server when the key
    -- is made; the check here holds the bounds).
    origins      text[] not null check (cardinality(origins) between 1 and 50),
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
-- The preflight (which carries no key) asks whether any active key lists its origin.
create index feedback_keys_origins on feedback_keys using gin (origins) where revoked_at is null;

-- Which key sent an end user's signal (null for one sent with a pipeline's token), so feedback
-- sent with a leaked key can be found (the partial index holds key-sent signals only).
alter table external_feedback add column feedback_key_id bigint references feedback_keys (id);
create index external_feedback_key on external_feedback (feedback_key_id, created_at)
    where feedback_key_id is not null;

-- Requests per fixed window, per key and per client address, shared by every replica. One row per
-- (bucket, window); rows of past windows are deleted by the sweep. Unlogged: counts of the last
-- minute are not worth a WAL write per request, and a crash only forgets them.
create unlogged table feedback_key_hits (
    -- 'key:<id>' or 'address:<ip or IPv6 /64>'.
    bucket       text not null check (char_length(bucket) between 1 and 120),
    window_start timestamptz not null,
    hits         integer not null check (hits >= 0),
    primary key (bucket, window_start)
);
create index feedback_key_hits_window on feedback_key_hits (window_start);
