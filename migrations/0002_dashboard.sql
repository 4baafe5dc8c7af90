-- What the admin dashboard needs to answer in a few milliseconds over millions of rows.

-- A review carries the task attributes the dashboard groups by (model, version, confidence,
-- routing reason). They never change after ingest, and copying them here lets every review figure
-- be one scan of `reviews` by time, instead of a join against the much larger `tasks` table.
-- `edit_distance` is the word-level edit distance of the correction from the AI summary divided
-- by the longer one's word count (0 = unchanged, 1 = rewritten), computed when the review is
-- stored; null when there is no correction.
alter table reviews
    add column model         text,
    add column model_version text,
    add column confidence    double precision,
    add column reason        text,
    add column edit_distance double precision check (edit_distance between 0 and 1);

update reviews r
set model = t.model, model_version = t.model_version, confidence = t.confidence, reason = t.reason
from tasks t
where t.id = r.task_id;

alter table reviews
    alter column model set not null,
    alter column model_version set not null,
    alter column confidence set not null,
    alter column reason set not null;

-- Reviews stored before this migration get their edit distance from the server at start
-- (the word-level distance is not something to write in SQL).

create index reviews_created_at on reviews (created_at);
create index reviews_model_created_at on reviews (model, model_version, created_at);
create index reviews_reviewer on reviews (reviewer_id, created_at);

-- Covering indexes: the dashboard's task figures (volume by reason, confidence histogram) read
-- only these columns, so PostgreSQL answers them from the index without touching the wide rows
-- that hold the documents.
create index tasks_created_at on tasks (created_at)
    include (reason, confidence, flagged, model, model_version);
create index tasks_model_created_at on tasks (model, model_version, created_at)
    include (reason, confidence, flagged);
-- Open work (the queue and escalations), again answerable from the index alone.
create index tasks_open on tasks (model, model_version)
    include (status, lease_expires_at, created_at)
    where status in ('queued', 'in_review', 'escalated');
create index tasks_escalated on tasks (completed_at) where status = 'escalated';
create index external_feedback_created_at on external_feedback (created_at);
-- Finds corrections still without an edit distance (see the server's start-up backfill); empty
-- in steady state, so it costs nothing to keep.
create index reviews_edit_distance_missing on reviews (id)
    where corrected_summary is not null and edit_distance is null;

-- Every (model, version) pair Loupe has seen: the dashboard's filter choices, without a
-- `select distinct` over all tasks.
create table model_versions (
    model         text not null,
    model_version text not null,
    first_seen    timestamptz not null default now(),
    primary key (model, model_version)
);
insert into model_versions (model, model_version, first_seen)
select model, model_version, min(created_at) from tasks group by model, model_version;

-- Tasks about the same document (one model's summary accepted, another's rejected) make
-- preference pairs for the DPO export; this finds them without comparing whole documents.
create index tasks_document_md5 on tasks (md5(document));
