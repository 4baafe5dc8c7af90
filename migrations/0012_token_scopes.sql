-- What each API token may do (issue 13, "unscoped API tokens"). Scopes:
--   ingest: send model outputs and end-user feedback (POST /api/v1/tasks, POST /feedback,
--           POST /api/v1/feedback);
--   read:   read tasks, the feedback feed and exports;
--   admin:  routing settings, webhooks, the audit log.
-- server/src/api/auth.rs owns the check; server/src/cli.rs creates tokens with chosen scopes.
--
-- Tokens made before scopes existed get all three, so pipelines already running keep working
-- after the upgrade; `loupe token list` shows them, and an operator narrows one by creating a
-- scoped replacement and revoking the old token. The default exists only to fill those rows:
-- it is dropped at once, so every token created from now on states its scopes.
alter table api_tokens
    add column scopes text[] not null default array['ingest', 'read', 'admin'];
alter table api_tokens alter column scopes drop default;
alter table api_tokens
    add constraint api_tokens_scopes_known
    check (cardinality(scopes) >= 1 and scopes <@ array['ingest', 'read', 'admin']);
