-- Sessions end after a stretch of inactivity as well as at their absolute expiry
-- (app/src/auth.rs): `last_seen_at` is when the session was last used, touched at most once a
-- minute rather than on every request. Existing sessions count as seen now.
alter table sessions add column last_seen_at timestamptz not null default now();

-- An account whose password was generated for it (the first admin) or reset by an admin: every
-- page asks its owner to choose a new one until they do.
alter table users add column must_change_password boolean not null default false;
