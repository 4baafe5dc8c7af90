-- Source-support hints, computed from a task's document and summary the first time the task is
-- shown and kept here (app/src/support.rs gives the shape; a `version` other than the code's is
-- computed again). Null until then.
alter table tasks add column support jsonb;
