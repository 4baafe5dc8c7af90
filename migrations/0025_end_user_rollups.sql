-- End users' satisfaction on the dashboard (issue 15): per-day rollups of end-user signals and
-- of how end users and reviewers agree on the same outputs, kept as signals and reviews are
-- written, in the style of 0019: statement-level triggers inside the writing transaction, rows
-- of the writing connection's own (`shard` is its process id; the sweep folds ended ones, see
-- `rollups_compact` below), upserted in key order. app/src/dashboard/end_users.rs reads whole
-- UTC days from here and the partial days at a range's edges from the raw tables.
--
-- Loupe never deletes feedback or tasks; a deletion by hand is not taken away from these tables
-- (the task row a signal is filed under is gone by the time a cascade reaches the signal).
-- `truncate` empties them.
lock table external_feedback, reviews in share row exclusive mode;

-- Per day, model, version and feedback type: signals, how many carried a value, and the values'
-- sum. Thumbs are stored as 1 / 0, so for them `value_sum` is the number of thumbs-up; for
-- ratings `value_sum / valued` is the mean rating. Types are free text: one row per type seen
-- that day, bounded by the signals themselves.
create table end_user_volume (
    day date not null,
    model text not null,
    model_version text not null,
    feedback_type text not null,
    shard integer not null,
    n bigint not null,
    valued bigint not null,
    value_sum numeric not null,
    primary key (day, model, model_version, feedback_type, shard)
);

-- Whether an end-user signal says the output was good (1) or bad (-1): a thumbs-up or a rating
-- of 4 or more; a thumbs-down or a rating of 2 or less. Anything else takes no side.
create function end_user_polarity(feedback_type text, value double precision) returns integer
    language sql immutable parallel safe as $$
    select case
        when feedback_type = 'thumbs' and value = 1 then 1
        when feedback_type = 'thumbs' and value = 0 then -1
        when feedback_type = 'rating' and value >= 4 then 1
        when feedback_type = 'rating' and value <= 2 then -1
    end
$$;

-- End users against reviewers, filed under the day of the review: every pair of a review that
-- accepted or rejected an output and an end-user signal with a side on the same output (whenever
-- it came), and how many pairs agree (accept with good, reject with bad).
create table end_user_agreement (
    day date not null,
    model text not null,
    model_version text not null,
    shard integer not null,
    pairs bigint not null,
    agree bigint not null,
    primary key (day, model, model_version, shard)
);

-- Reviews of outputs that came back through end users' feedback are found by reason; few, so a
-- partial index serves the dashboard's read of what reviewers found.
create index reviews_user_feedback on reviews (created_at) include (verdict, model, model_version)
    where reason = 'user_feedback';

create function end_user_volume_inserted() returns trigger
    language plpgsql as $$
begin
    insert into end_user_volume as v (day, model, model_version, feedback_type, shard, n, valued,
                                      value_sum)
    select (f.created_at at time zone 'UTC')::date, t.model, t.model_version, f.feedback_type,
           pg_backend_pid(), count(*), count(f.value), coalesce(sum(f.value::numeric), 0)
    from new_rows f
    join tasks t on t.id = f.task_id
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (day, model, model_version, feedback_type, shard) do update set
        n = v.n + excluded.n, valued = v.valued + excluded.valued,
        value_sum = v.value_sum + excluded.value_sum;

    -- A signal with a side pairs with the output's reviews so far; a review pairs with the
    -- signals so far (end_user_agreement_move). A signal and a review of one output committed
    -- at the same instant see neither the other, and that pair is missed: locking the output
    -- would make every signal wait for any open transaction that reviews it, for a figure
    -- that is a share of thousands of pairs.
    insert into end_user_agreement as v (day, model, model_version, shard, pairs, agree)
    select (r.created_at at time zone 'UTC')::date, r.model, r.model_version, pg_backend_pid(),
           count(*),
           count(*) filter (where p.side = case r.verdict when 'accept' then 1 else -1 end)
    from (select task_id, end_user_polarity(feedback_type, value) as side from new_rows) p
    join reviews r on r.task_id = p.task_id and r.verdict in ('accept', 'reject')
    where p.side is not null
    group by 1, 2, 3
    order by 1, 2, 3
    on conflict (day, model, model_version, shard) do update set
        pairs = v.pairs + excluded.pairs, agree = v.agree + excluded.agree;
    return null;
end $$;

-- Files (sign 1) or takes away (sign -1) the pairs of reviews with their outputs' end-user
-- signals so far. Called by the review rollups' own triggers (0019), redefined below, with the
-- review facts they already gather: no trigger of its own on `reviews`, whose inserts are the
-- review loop's hot path.
create function end_user_agreement_move(sign integer, moved review_fact[]) returns void
    language sql as $$
    insert into end_user_agreement as v (day, model, model_version, shard, pairs, agree)
    select (r.created_at at time zone 'UTC')::date, r.model, r.model_version, pg_backend_pid(),
           sign * count(*),
           sign * count(*) filter (where p.side = case r.verdict when 'accept' then 1 else -1 end)
    from unnest(moved) r
    join lateral (
        select end_user_polarity(f.feedback_type, f.value) as side
        from external_feedback f where f.task_id = r.task_id
    ) p on p.side is not null
    where r.verdict in ('accept', 'reject')
    group by 1, 2, 3
    order by 1, 2, 3
    on conflict (day, model, model_version, shard) do update set
        pairs = v.pairs + excluded.pairs, agree = v.agree + excluded.agree
$$;

-- The review rollups' trigger functions of 0019, each now also moving end users' pairs.
create or replace function review_rollups_inserted() returns trigger
    language plpgsql as $$
declare
    came review_fact[] := array(select review_fact_of(r) from new_rows r);
begin
    perform review_rollups_move('{}', came, true, exists (select from new_rows where nth >= 2));
    perform end_user_agreement_move(1, came);
    return null;
end $$;

create or replace function review_rollups_deleted() returns trigger
    language plpgsql as $$
declare
    gone review_fact[] := array(select review_fact_of(r) from old_rows r);
begin
    perform review_rollups_move(gone, '{}', true, true);
    perform end_user_agreement_move(-1, gone);
    return null;
end $$;

create or replace function review_rollups_updated() returns trigger
    language plpgsql as $$
declare
    gone review_fact[] := array(select review_fact_of(r) from old_rows r);
    came review_fact[] := array(select review_fact_of(r) from new_rows r);
    -- Agreement, between reviewers or with end users, reads ratings, verdicts and days only:
    -- the start-up's edit distances and an amended comment or correction leave it alone.
    paired boolean := exists (
        select from old_rows o join new_rows n on n.id = o.id
        where (o.task_id, o.reviewer_id, o.created_at, o.model, o.model_version, o.rating,
               o.verdict)
              is distinct from (n.task_id, n.reviewer_id, n.created_at, n.model,
                                n.model_version, n.rating, n.verdict));
begin
    perform review_rollups_move(gone, came, true, paired);
    if paired then
        perform end_user_agreement_move(-1, gone);
        perform end_user_agreement_move(1, came);
    end if;
    return null;
end $$;

create function end_user_rollups_emptied() returns trigger
    language plpgsql as $$
begin
    delete from end_user_volume;
    delete from end_user_agreement;
    return null;
end $$;

-- Filled from what is already stored, in one pass each (end-user signals are few next to
-- tasks; the table is locked above, so nothing is written between the fill and the triggers).
insert into end_user_volume (day, model, model_version, feedback_type, shard, n, valued, value_sum)
select (f.created_at at time zone 'UTC')::date, t.model, t.model_version, f.feedback_type, 0,
       count(*), count(f.value), coalesce(sum(f.value::numeric), 0)
from external_feedback f
join tasks t on t.id = f.task_id
group by 1, 2, 3, 4;

insert into end_user_agreement (day, model, model_version, shard, pairs, agree)
select (r.created_at at time zone 'UTC')::date, r.model, r.model_version, 0, count(*),
       count(*) filter (where end_user_polarity(f.feedback_type, f.value)
                              = case r.verdict when 'accept' then 1 else -1 end)
from reviews r
join external_feedback f on f.task_id = r.task_id
where r.verdict in ('accept', 'reject') and end_user_polarity(f.feedback_type, f.value) is not null
group by 1, 2, 3;

create trigger end_user_volume_inserted after insert on external_feedback
    referencing new table as new_rows
    for each statement execute function end_user_volume_inserted();
create trigger end_user_rollups_emptied after truncate on external_feedback
    for each statement execute function end_user_rollups_emptied();

-- The sweep folds these too.
create or replace function rollups_compact() returns bigint
    language plpgsql as $$
declare
    folded bigint := 0;
    tbl regclass;
begin
    foreach tbl in array array['task_tally', 'review_volume', 'review_confidence', 'review_tags',
                               'review_agreement', 'reviewer_agreement', 'end_user_volume',
                               'end_user_agreement']::regclass[] loop
        folded := folded + rollup_fold(tbl);
    end loop;
    delete from task_tally where shard = 0 and n = 0;
    return folded;
end $$;
