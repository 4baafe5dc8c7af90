-- Keys the server itself signs with, shared by every replica of one deployment (so a value one
-- replica signs, another can check). Made once, at first start, from the OS random source (the
-- first replica to start stores it; the others read it); never sent to a client.
-- server/src/form_errors.rs owns the one key so far:
--   'form_errors': signs the error a plain (script-less) form post is redirected back with, so
--   a crafted link cannot put text of its choosing into a Loupe page.
create table server_keys (
    name text primary key,
    key bytea not null check (octet_length(key) >= 32),
    created_at timestamptz not null default now()
);
