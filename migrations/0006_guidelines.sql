-- The review guidelines admins write and reviewers read beside each task: one text, kept with
-- who changed it last and when.
create table guidelines (
    id         boolean primary key default true check (id),
    body       text not null check (length(body) <= 50000),
    updated_by bigint references users (id),
    updated_at timestamptz not null default now()
);
insert into guidelines (body) values (
'# What a good summary does

- States the source''s main point first.
- Keeps every number, name and date exactly as the source has them.
- Adds nothing the source does not say.

# When to escalate

Escalate when you cannot judge the summary without knowledge the source does not give you.');
