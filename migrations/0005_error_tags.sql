-- Error tags: what kind of mistake a reviewer saw. The list is configurable (its order is the
-- order of the review page's keys); a review keeps its tags as text, so renaming or removing a
-- tag later leaves past reviews as they were.
create table error_tags (
    position integer primary key check (position between 1 and 20),
    tag      text not null unique check (tag ~ '^[a-z][a-z0-9 -]{0,39}$')
);
insert into error_tags (position, tag) values
    (1, 'hallucination'), (2, 'omission'), (3, 'wrong emphasis'), (4, 'style'), (5, 'harmful');

alter table reviews add column error_tags text[] not null default '{}';
