-- Each project's review guidelines and error tags. A project without its own uses the default
-- project's (what every project had before), so a second team starts from the house rules and
-- writes its own when it needs to. `app::guidelines` and `app::error_tags` read and write these.

alter table guidelines add column project_id bigint references projects (id) on delete cascade;
update guidelines set project_id = 1;
alter table guidelines alter column project_id set not null;
alter table guidelines drop constraint guidelines_pkey;
alter table guidelines drop column id;
alter table guidelines add primary key (project_id);

alter table error_tags add column project_id bigint not null default 1
    references projects (id) on delete cascade;
alter table error_tags alter column project_id drop default;
alter table error_tags drop constraint error_tags_pkey;
alter table error_tags drop constraint error_tags_tag_key;
alter table error_tags add primary key (project_id, position);
alter table error_tags add constraint error_tags_project_tag unique (project_id, tag);

-- The error tags in force for a project, in key order: its own list, else the default project's.
create function project_error_tags(project bigint) returns text[]
    language sql stable parallel safe as $$
    select coalesce(
        (select array_agg(tag order by position) from error_tags where project_id = project),
        (select array_agg(tag order by position) from error_tags where project_id = 1),
        '{}')
$$;
