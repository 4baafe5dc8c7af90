-- An admin (or an admin token) sends outputs to the escalation queue from the task list or the
-- API, with a note for whoever settles them (`app::task::escalate`). Who and why show in the
-- queue beside the task, as a reviewer's escalation shows the reviewer's comment. Cleared when
-- the task is sent back to review. Who, as the audit trail names them (no foreign key: a token
-- has no user row).
alter table tasks
    add column escalation_note text check (length(escalation_note) <= 10000),
    add column escalated_by text check (length(escalated_by) <= 200);
