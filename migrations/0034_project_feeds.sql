-- What leaves Loupe, by project: webhook endpoints that hear only some projects, and the feedback
-- feed and exports read one project's feedback without walking every other project's.
--
-- Feedback stored before this runs takes its task's project: the default project's with the
-- column's default (no rewrite), the few others' by the update below.

-- null: every project (all endpoints made before projects).
alter table webhook_endpoints add column projects bigint[]
    check (projects is null or cardinality(projects) between 1 and 100);

-- Whether endpoint `e` hears `event` about a task of `project`: it is active, takes the event,
-- and is not limited to other projects. The one rule the outbox (`app::outbox`) and the review
-- desk's settle (`app::task::lease`) ask; simple enough for the planner to inline.
create function endpoint_hears(e webhook_endpoints, event text, project bigint) returns boolean
    language sql immutable as $$
    select e.active and event = any(e.events) and (e.projects is null or project = any(e.projects))
$$;

-- The task's project, copied when the feedback is written (tasks never change project), so a
-- project's feed is one index range. No default once existing rows have theirs: a writer that
-- forgets the project fails loudly instead of filing feedback under the default project. Adding
-- a column with a constant default rewrites nothing, whatever the table's size.
alter table reviews add column project_id bigint not null default 1;
alter table reviews alter column project_id drop default;
alter table external_feedback add column project_id bigint not null default 1;
alter table external_feedback alter column project_id drop default;
update reviews r set project_id = t.project_id
from tasks t where t.id = r.task_id and t.project_id <> 1;
update external_feedback f set project_id = t.project_id
from tasks t where t.id = f.task_id and t.project_id <> 1;

-- A project's feed in the feed's order (reviews_feed and external_feedback_feed serve the feed of
-- every project).
create index reviews_feed_project on reviews (project_id, xact, id);
create index external_feedback_feed_project on external_feedback (project_id, xact, id);
