-- Routing settings per project: a project may have its own threshold, audit rate, reviews per
-- task and end-user rule, for all its models (`*`) or for one. The settings in force for an
-- output of model m in project p are the first of: p's row for m, p's `*` row, the default
-- project's row for m, the default project's `*` row (which always exists). A new project
-- therefore routes exactly as the default project does until someone gives it rows of its own.
-- `app::routing::store` reads and writes this table; the rule is `routing_in_force` below.
--
-- Every existing row is the default project's (the column's default, as for `tasks`).
alter table routing_settings add column project_id bigint not null default 1
    references projects (id) on delete cascade;
alter table routing_settings drop constraint routing_settings_pkey;
alter table routing_settings add primary key (project_id, model);

-- The row in force for (project, model), by the rule above. At most four rows qualify, all
-- found through the primary key.
create function routing_in_force(project bigint, want_model text) returns setof routing_settings
    language sql stable parallel safe as $$
    select * from routing_settings
    where project_id in (project, 1) and model in (want_model, '*')
    order by project_id <> project, model = '*'
    limit 1
$$;
