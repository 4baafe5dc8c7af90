-- Project admins: a member of a project who also runs it. Within their projects they find tasks
-- and act on them from /admin/tasks (and the API, signed in), and set the routing, error tags and
-- guidelines; the dashboard's figures, webhooks, the audit log, tokens and the escalation queue
-- stay with admins. `app::project::administered` reads this; `loupe project member --admin`
-- sets it.
alter table project_members add column admin boolean not null default false;

-- A person's administered projects, read on every admin-area request of a non-admin.
create index project_members_admin on project_members (user_id) where admin;
