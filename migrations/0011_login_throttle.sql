-- Failed sign-ins, counted per username and per client address, so that every replica throttles
-- password guessing alike (app/src/throttle.rs owns the policy and every query on this table).
-- One row per key with recent failures: a leaky bucket of failures that drains over time, and
-- the block the last failure imposed. Rows are deleted once drained (forget_at), so the table
-- stays small whatever an attacker sends.
create table login_failures (
    -- 'username': the normalised name tried (known or not, so the throttle reveals nothing);
    -- 'address': the client's IPv4 address or IPv6 /64.
    scope         text not null check (scope in ('username', 'address')),
    key           text not null check (length(key) between 1 and 100),
    -- Failures still counted; fractional because forgiving is continuous.
    failures      double precision not null check (failures >= 0),
    -- When `failures` was last counted (the draining runs from here).
    updated_at    timestamptz not null,
    -- Sign-ins for this key are refused, before any password hashing, until then.
    blocked_until timestamptz not null,
    -- When the bucket will have drained and the block passed: the row can go.
    forget_at     timestamptz not null,
    primary key (scope, key)
);

-- Pruning finds drained rows without reading the whole table.
create index login_failures_forget_at on login_failures (forget_at);
