-- A reviewer may amend a review for a short while after submitting it. The review row then holds
-- the new judgement and every earlier one is kept here, so nothing said is lost.
create table review_revisions (
    id                bigint generated always as identity primary key,
    review_id         bigint not null references reviews (id) on delete cascade,
    rating            smallint not null,
    verdict           text not null,
    comment           text,
    corrected_summary text,
    error_tags        text[] not null,
    edit_distance     double precision,
    -- When this version was written (the review's creation, or an earlier amendment).
    written_at        timestamptz not null,
    replaced_at       timestamptz not null default now()
);
create index review_revisions_review on review_revisions (review_id, id);

alter table reviews add column amended_at timestamptz;
