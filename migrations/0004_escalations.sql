-- Escalated tasks are settled by an admin: the final verdict, who gave it, why and when. Once
-- resolved the task is `reviewed` and this verdict is the task's verdict, whatever the reviews said.
alter table tasks
    add column resolved_verdict text check (resolved_verdict in ('accept', 'reject')),
    add column resolved_by      bigint references users (id),
    add column resolution_note  text,
    add column resolved_at      timestamptz;
