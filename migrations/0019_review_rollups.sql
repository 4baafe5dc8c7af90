-- The dashboard's review figures over a year at 300k reviews: every figure read every review in
-- the range (1–1.4 s each, see bench/README.md), so they are prepared as reviews are written.
-- app/src/dashboard/review_volume.rs and quality.rs read whole UTC days from these tables and
-- only the partial days at a range's edges from `reviews`, as volume.rs does with `task_volume`.
--
-- Kept like `task_tally` (0017) and `task_volume` (0018): by statement-level triggers inside the
-- writing transaction, on rows of the writing connection's own (`shard` is its process id, as
-- in `task_tally` since 0021: concurrent reviews of one day never wait on each other's rows; the
-- sweep folds the rows of ended connections), and upserted in key order, table after table in the order below, so two writers
-- cannot deadlock. Reviews are amended in place (app/src/history.rs) and the server's start-up
-- fills in missing edit distances (server/src/db.rs): an update takes away what the old row
-- counted and adds what the new one counts, so every figure stays the one a scan would give.
--
-- Sums of confidence and edit distance are `numeric`: an amendment subtracts exactly what was
-- added, where float sums would drift. Each float8 converts to the same numeric every time.
--
-- Writers wait while this migration runs (a replica still on the old version may be serving):
-- a review written between the fill below and the triggers' creation would be missed.
lock table reviews in share row exclusive mode;

-- Per day, model and version: the totals, the verdict and rating counts, the corrections and
-- the edit-distance histogram (tenths, `least(floor(d × 10), 9)` as the dashboard bins them).
-- A few rows a day whatever the traffic.
create table review_volume (
    day date not null,
    model text not null,
    model_version text not null,
    shard integer not null,
    n bigint not null,
    accepted bigint not null,
    rejected bigint not null,
    escalated bigint not null,
    corrected bigint not null,
    r1 bigint not null,
    r2 bigint not null,
    r3 bigint not null,
    r4 bigint not null,
    r5 bigint not null,
    -- Reviews with an edit distance, and the sum of their distances.
    edited bigint not null,
    edit_sum numeric not null,
    e0 bigint not null, e1 bigint not null, e2 bigint not null, e3 bigint not null,
    e4 bigint not null, e5 bigint not null, e6 bigint not null, e7 bigint not null,
    e8 bigint not null, e9 bigint not null,
    primary key (day, model, model_version, shard)
);

-- Per day, model, version and twentieth of confidence (the dashboard's bin, see
-- app/src/dashboard/shape.rs): calibration over all reviews and over the audit sample.
create table review_confidence (
    day date not null,
    model text not null,
    model_version text not null,
    bin smallint not null,
    shard integer not null,
    n bigint not null,
    confidence_sum numeric not null,
    accepted bigint not null,
    audit_n bigint not null,
    audit_confidence_sum numeric not null,
    audit_accepted bigint not null,
    audit_rejected bigint not null,
    primary key (day, model, model_version, bin, shard)
);

-- Per day, model, version and error tag: how many reviews carry it.
create table review_tags (
    day date not null,
    model text not null,
    model_version text not null,
    tag text not null,
    shard integer not null,
    n bigint not null,
    primary key (day, model, model_version, tag, shard)
);

-- Per day, model, version and reviewer: reviews, their rating sum, and how many took seconds in
-- each of 20 spans (lower bounds 0, 5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 90, 105, 120, 150,
-- 180, 240, 300, 600 and 1200 s; `review_seconds_bin` below). A median cannot be summed over
-- days; this histogram gives it to the resolution of its spans (app/src/dashboard/seconds.rs).
-- Not sharded: only the reviewer's own writes meet on these rows.
create table reviewer_volume (
    day date not null,
    model text not null,
    model_version text not null,
    reviewer_id bigint not null,
    n bigint not null,
    rating_sum bigint not null,
    s00 bigint not null, s01 bigint not null, s02 bigint not null, s03 bigint not null,
    s04 bigint not null, s05 bigint not null, s06 bigint not null, s07 bigint not null,
    s08 bigint not null, s09 bigint not null, s10 bigint not null, s11 bigint not null,
    s12 bigint not null, s13 bigint not null, s14 bigint not null, s15 bigint not null,
    s16 bigint not null, s17 bigint not null, s18 bigint not null, s19 bigint not null,
    primary key (day, model, model_version, reviewer_id)
);

-- Agreement pairs the reviews of one task, and which pairs a range holds depends on which of
-- the task's reviews fall in it, so a pair cannot be filed under one day. Each task with two or
-- more reviews is filed instead under the days of its first and last review: a range that holds
-- both days holds all its reviews, and the rows below answer for it exactly. The few tasks whose
-- reviews straddle a range's edge are found in `review_spans` and paired from `reviews`.
--
-- Ordered pairs of reviews (a, b) of tasks with m reviews, by a's rating and b's: the ratings'
-- coincidence matrix weighs each by 1 / (m − 1), and a task with m reviews has m(m − 1) pairs,
-- so the tasks are counted from the same rows.
create table review_agreement (
    first_day date not null,
    last_day date not null,
    model text not null,
    model_version text not null,
    m integer not null,
    rating_a smallint not null,
    rating_b smallint not null,
    shard integer not null,
    pairs bigint not null,
    primary key (first_day, last_day, model, model_version, m, rating_a, rating_b, shard)
);

-- The same pairs by a's reviewer: how many, and how many gave the same verdict.
create table reviewer_agreement (
    first_day date not null,
    last_day date not null,
    model text not null,
    model_version text not null,
    reviewer_id bigint not null,
    shard integer not null,
    pairs bigint not null,
    agree bigint not null,
    primary key (first_day, last_day, model, model_version, reviewer_id, shard)
);

-- Tasks with two or more reviews on different days, and those days: a range's edge falls inside
-- a task's span exactly when the task is paired across it. Few rows (reviews of one task mostly
-- come within hours); the GiST index finds those spanning a given edge.
create table review_spans (
    task_id uuid primary key,
    span daterange not null
);
create index review_spans_span on review_spans using gist (span);

-- What the rollups need of a review, without its texts.
create type review_fact as (
    id bigint,
    task_id uuid,
    reviewer_id bigint,
    created_at timestamptz,
    model text,
    model_version text,
    reason text,
    confidence double precision,
    rating smallint,
    verdict text,
    corrected boolean,
    edit_distance double precision,
    error_tags text[],
    seconds_spent integer
);

create function review_fact_of(r reviews) returns review_fact
    language sql immutable as $$
    select row(r.id, r.task_id, r.reviewer_id, r.created_at, r.model, r.model_version, r.reason,
               r.confidence, r.rating, r.verdict, r.corrected_summary is not null,
               r.edit_distance, r.error_tags, r.seconds_spent)::review_fact
$$;

create function review_seconds_bin(seconds integer) returns integer
    language sql immutable parallel safe as $$
    select width_bucket(seconds, array[5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 90, 105, 120, 150,
                                       180, 240, 300, 600, 1200])
$$;

-- The reviews a statement took away (sign −1) and wrote (+1), with the keys the rollups file
-- them under.
create function review_deltas(gone review_fact[], came review_fact[])
    returns table (s integer, day date, model text, model_version text, reason text,
                   confidence double precision, cbin integer, rating smallint, verdict text,
                   corrected boolean, edit_distance double precision, ebin integer,
                   error_tags text[], reviewer_id bigint, sbin integer)
    language sql stable as $$
    select d.s, (d.created_at at time zone 'UTC')::date, d.model, d.model_version, d.reason,
           d.confidence, least(floor(d.confidence * 20 + 1e-9), 19)::int, d.rating, d.verdict,
           d.corrected, d.edit_distance,
           -- (`least` skips nulls: no distance must stay no bin.)
           case when d.edit_distance is not null
                then least(floor(d.edit_distance * 10), 9)::int end,
           d.error_tags, d.reviewer_id, review_seconds_bin(d.seconds_spent)
    from (select -1 as s, g.* from unnest(gone) g
          union all
          select 1, c.* from unnest(came) c) d
$$;

-- Moves the rollups from the reviews `gone` to the reviews `came`: an insert passes no `gone`, a
-- delete no `came`, an update both (the same ids). `paired` is false when no written review can
-- have a partner (every new review is its task's first): agreement is then left alone. `daily`
-- false leaves the per-day tables alone (the fill below does them apart). In each table only
-- keys whose figures change are written, so an amendment of a comment writes nothing.
-- Generic plans: the statements below are planned once per connection. With custom plans
-- (PostgreSQL's choice for array parameters) each review's insert re-planned every one of them,
-- 3.7 ms per call against 2.2 ms (32 reviewers, debug server, loaded machine).
create function review_rollups_move(gone review_fact[], came review_fact[], daily boolean,
                                    paired boolean)
    returns void
    language plpgsql
    set plan_cache_mode = force_generic_plan as $$
begin
    if daily then
        insert into review_volume as v (day, model, model_version, shard, n, accepted, rejected,
                                        escalated, corrected, r1, r2, r3, r4, r5, edited, edit_sum,
                                        e0, e1, e2, e3, e4, e5, e6, e7, e8, e9)
        select day, model, model_version, pg_backend_pid(), n, accepted, rejected, escalated,
               corrected, r1, r2, r3, r4, r5, edited, edit_sum,
               e0, e1, e2, e3, e4, e5, e6, e7, e8, e9
        from (
            select day, model, model_version, sum(s) as n,
                   coalesce(sum(s) filter (where verdict = 'accept'), 0) as accepted,
                   coalesce(sum(s) filter (where verdict = 'reject'), 0) as rejected,
                   coalesce(sum(s) filter (where verdict = 'escalate'), 0) as escalated,
                   coalesce(sum(s) filter (where corrected), 0) as corrected,
                   coalesce(sum(s) filter (where rating = 1), 0) as r1,
                   coalesce(sum(s) filter (where rating = 2), 0) as r2,
                   coalesce(sum(s) filter (where rating = 3), 0) as r3,
                   coalesce(sum(s) filter (where rating = 4), 0) as r4,
                   coalesce(sum(s) filter (where rating = 5), 0) as r5,
                   coalesce(sum(s) filter (where edit_distance is not null), 0) as edited,
                   coalesce(sum(s * edit_distance::numeric), 0) as edit_sum,
                   coalesce(sum(s) filter (where ebin = 0), 0) as e0,
                   coalesce(sum(s) filter (where ebin = 1), 0) as e1,
                   coalesce(sum(s) filter (where ebin = 2), 0) as e2,
                   coalesce(sum(s) filter (where ebin = 3), 0) as e3,
                   coalesce(sum(s) filter (where ebin = 4), 0) as e4,
                   coalesce(sum(s) filter (where ebin = 5), 0) as e5,
                   coalesce(sum(s) filter (where ebin = 6), 0) as e6,
                   coalesce(sum(s) filter (where ebin = 7), 0) as e7,
                   coalesce(sum(s) filter (where ebin = 8), 0) as e8,
                   coalesce(sum(s) filter (where ebin = 9), 0) as e9
            from review_deltas(gone, came)
            group by day, model, model_version
        ) d
        where (n, accepted, rejected, escalated, corrected, r1, r2, r3, r4, r5, edited, edit_sum,
               e0, e1, e2, e3, e4, e5, e6, e7, e8, e9)
              <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        order by day, model, model_version
        on conflict (day, model, model_version, shard) do update set
            n = v.n + excluded.n, accepted = v.accepted + excluded.accepted,
            rejected = v.rejected + excluded.rejected, escalated = v.escalated + excluded.escalated,
            corrected = v.corrected + excluded.corrected,
            r1 = v.r1 + excluded.r1, r2 = v.r2 + excluded.r2, r3 = v.r3 + excluded.r3,
            r4 = v.r4 + excluded.r4, r5 = v.r5 + excluded.r5,
            edited = v.edited + excluded.edited, edit_sum = v.edit_sum + excluded.edit_sum,
            e0 = v.e0 + excluded.e0, e1 = v.e1 + excluded.e1, e2 = v.e2 + excluded.e2,
            e3 = v.e3 + excluded.e3, e4 = v.e4 + excluded.e4, e5 = v.e5 + excluded.e5,
            e6 = v.e6 + excluded.e6, e7 = v.e7 + excluded.e7, e8 = v.e8 + excluded.e8,
            e9 = v.e9 + excluded.e9;

        insert into review_confidence as v (day, model, model_version, bin, shard, n,
                                            confidence_sum, accepted, audit_n, audit_confidence_sum,
                                            audit_accepted, audit_rejected)
        select day, model, model_version, bin, pg_backend_pid(), n, confidence_sum, accepted,
               audit_n, audit_confidence_sum, audit_accepted, audit_rejected
        from (
            select day, model, model_version, cbin as bin, sum(s) as n,
                   sum(s * confidence::numeric) as confidence_sum,
                   coalesce(sum(s) filter (where verdict = 'accept'), 0) as accepted,
                   coalesce(sum(s) filter (where reason = 'audit_sample'), 0) as audit_n,
                   coalesce(sum(s * confidence::numeric) filter (where reason = 'audit_sample'), 0)
                       as audit_confidence_sum,
                   coalesce(sum(s) filter (where reason = 'audit_sample' and verdict = 'accept'),
                            0) as audit_accepted,
                   coalesce(sum(s) filter (where reason = 'audit_sample' and verdict = 'reject'),
                            0) as audit_rejected
            from review_deltas(gone, came)
            group by day, model, model_version, cbin
        ) d
        where (n, confidence_sum, accepted, audit_n, audit_confidence_sum, audit_accepted,
               audit_rejected) <> (0, 0, 0, 0, 0, 0, 0)
        order by day, model, model_version, bin
        on conflict (day, model, model_version, bin, shard) do update set
            n = v.n + excluded.n, confidence_sum = v.confidence_sum + excluded.confidence_sum,
            accepted = v.accepted + excluded.accepted, audit_n = v.audit_n + excluded.audit_n,
            audit_confidence_sum = v.audit_confidence_sum + excluded.audit_confidence_sum,
            audit_accepted = v.audit_accepted + excluded.audit_accepted,
            audit_rejected = v.audit_rejected + excluded.audit_rejected;

        insert into review_tags as v (day, model, model_version, tag, shard, n)
        select day, model, model_version, tag, pg_backend_pid(), sum(s)
        from review_deltas(gone, came) d, unnest(d.error_tags) as tag
        group by day, model, model_version, tag
        having sum(s) <> 0
        order by day, model, model_version, tag
        on conflict (day, model, model_version, tag, shard) do update set n = v.n + excluded.n;

        insert into reviewer_volume as v (day, model, model_version, reviewer_id, n, rating_sum,
                                          s00, s01, s02, s03, s04, s05, s06, s07, s08, s09,
                                          s10, s11, s12, s13, s14, s15, s16, s17, s18, s19)
        select *
        from (
            select day, model, model_version, reviewer_id, sum(s) as n,
                   sum(s * rating)::int8 as rating_sum,
                   coalesce(sum(s) filter (where sbin = 0), 0),
                   coalesce(sum(s) filter (where sbin = 1), 0),
                   coalesce(sum(s) filter (where sbin = 2), 0),
                   coalesce(sum(s) filter (where sbin = 3), 0),
                   coalesce(sum(s) filter (where sbin = 4), 0),
                   coalesce(sum(s) filter (where sbin = 5), 0),
                   coalesce(sum(s) filter (where sbin = 6), 0),
                   coalesce(sum(s) filter (where sbin = 7), 0),
                   coalesce(sum(s) filter (where sbin = 8), 0),
                   coalesce(sum(s) filter (where sbin = 9), 0),
                   coalesce(sum(s) filter (where sbin = 10), 0),
                   coalesce(sum(s) filter (where sbin = 11), 0),
                   coalesce(sum(s) filter (where sbin = 12), 0),
                   coalesce(sum(s) filter (where sbin = 13), 0),
                   coalesce(sum(s) filter (where sbin = 14), 0),
                   coalesce(sum(s) filter (where sbin = 15), 0),
                   coalesce(sum(s) filter (where sbin = 16), 0),
                   coalesce(sum(s) filter (where sbin = 17), 0),
                   coalesce(sum(s) filter (where sbin = 18), 0),
                   coalesce(sum(s) filter (where sbin = 19), 0)
            from review_deltas(gone, came)
            group by day, model, model_version, reviewer_id
        ) d (day, model, model_version, reviewer_id, n, rating_sum,
             s00, s01, s02, s03, s04, s05, s06, s07, s08, s09,
             s10, s11, s12, s13, s14, s15, s16, s17, s18, s19)
        where (n, rating_sum, s00, s01, s02, s03, s04, s05, s06, s07, s08, s09,
               s10, s11, s12, s13, s14, s15, s16, s17, s18, s19)
              <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        order by day, model, model_version, reviewer_id
        on conflict (day, model, model_version, reviewer_id) do update set
            n = v.n + excluded.n, rating_sum = v.rating_sum + excluded.rating_sum,
            s00 = v.s00 + excluded.s00, s01 = v.s01 + excluded.s01, s02 = v.s02 + excluded.s02,
            s03 = v.s03 + excluded.s03, s04 = v.s04 + excluded.s04, s05 = v.s05 + excluded.s05,
            s06 = v.s06 + excluded.s06, s07 = v.s07 + excluded.s07, s08 = v.s08 + excluded.s08,
            s09 = v.s09 + excluded.s09, s10 = v.s10 + excluded.s10, s11 = v.s11 + excluded.s11,
            s12 = v.s12 + excluded.s12, s13 = v.s13 + excluded.s13, s14 = v.s14 + excluded.s14,
            s15 = v.s15 + excluded.s15, s16 = v.s16 + excluded.s16, s17 = v.s17 + excluded.s17,
            s18 = v.s18 + excluded.s18, s19 = v.s19 + excluded.s19;
    end if;

    if not paired then
        return;
    end if;
    -- Agreement: each task the statement touched is paired again as it was and as it is, and
    -- the difference filed. "As it was" is its reviews now, without those the statement wrote,
    -- with those it took away.
    with touched as (
        select task_id from unnest(gone)
        union
        select task_id from unnest(came)
    ), now_rows as (
        select r.id, r.task_id, r.reviewer_id, (r.created_at at time zone 'UTC')::date as day,
               r.model, r.model_version, r.rating, r.verdict
        from reviews r
        where r.task_id in (select task_id from touched)
    ), sets as (
        select 1 as s, n.* from now_rows n
        union all
        select -1, n.* from now_rows n
        where not exists (select from unnest(came) c where c.id = n.id)
        union all
        select -1, g.id, g.task_id, g.reviewer_id, (g.created_at at time zone 'UTC')::date,
               g.model, g.model_version, g.rating, g.verdict
        from unnest(gone) g
    ), units as (
        select s, task_id, count(*) as m, min(day) as first_day, max(day) as last_day
        from sets
        group by s, task_id
        having count(*) >= 2
    ), pairs as (
        select u.s, u.first_day, u.last_day, u.m::int as m, a.model, a.model_version,
               a.rating as rating_a, b.rating as rating_b, a.reviewer_id,
               (a.verdict = b.verdict)::int as agree
        from units u
        join sets a on a.s = u.s and a.task_id = u.task_id
        join sets b on b.s = u.s and b.task_id = u.task_id and b.id <> a.id
    ), matrix as (
        insert into review_agreement as v (first_day, last_day, model, model_version, m,
                                           rating_a, rating_b, shard, pairs)
        select first_day, last_day, model, model_version, m, rating_a, rating_b,
               pg_backend_pid(), sum(s)
        from pairs
        group by first_day, last_day, model, model_version, m, rating_a, rating_b
        having sum(s) <> 0
        order by first_day, last_day, model, model_version, m, rating_a, rating_b
        on conflict (first_day, last_day, model, model_version, m, rating_a, rating_b, shard)
            do update set pairs = v.pairs + excluded.pairs
    ), per_reviewer as (
        insert into reviewer_agreement as v (first_day, last_day, model, model_version,
                                             reviewer_id, shard, pairs, agree)
        select first_day, last_day, model, model_version, reviewer_id, pg_backend_pid(),
               sum(s), sum(s * agree)
        from pairs
        group by first_day, last_day, model, model_version, reviewer_id
        having sum(s) <> 0 or sum(s * agree) <> 0
        order by first_day, last_day, model, model_version, reviewer_id
        on conflict (first_day, last_day, model, model_version, reviewer_id, shard)
            do update set pairs = v.pairs + excluded.pairs, agree = v.agree + excluded.agree
    ), spanning as (
        select task_id, daterange(first_day, last_day, '[]') as span
        from units
        where s = 1 and first_day < last_day
    ), spanned as (
        insert into review_spans as v (task_id, span)
        select task_id, span from spanning
        order by task_id
        on conflict (task_id) do update set span = excluded.span
    )
    delete from review_spans
    where task_id in (select task_id from touched)
      and task_id not in (select task_id from spanning);
end $$;

-- The trigger functions: each names its transition tables `old_rows` / `new_rows`.
create function review_rollups_inserted() returns trigger
    language plpgsql as $$
begin
    perform review_rollups_move(
        '{}',
        array(select review_fact_of(r) from new_rows r),
        true,
        exists (select from new_rows where nth >= 2));
    return null;
end $$;

create function review_rollups_deleted() returns trigger
    language plpgsql as $$
begin
    perform review_rollups_move(
        array(select review_fact_of(r) from old_rows r),
        '{}',
        true,
        true);
    return null;
end $$;

create function review_rollups_updated() returns trigger
    language plpgsql as $$
begin
    perform review_rollups_move(
        array(select review_fact_of(r) from old_rows r),
        array(select review_fact_of(r) from new_rows r),
        true,
        -- Agreement reads ratings and verdicts only: the start-up's edit distances and an
        -- amended comment or correction leave it alone.
        exists (select from old_rows o join new_rows n on n.id = o.id
                where (o.task_id, o.reviewer_id, o.created_at, o.model, o.model_version,
                       o.rating, o.verdict)
                      is distinct from (n.task_id, n.reviewer_id, n.created_at, n.model,
                                        n.model_version, n.rating, n.verdict)));
    return null;
end $$;

create function review_rollups_emptied() returns trigger
    language plpgsql as $$
begin
    delete from review_volume;
    delete from review_confidence;
    delete from review_tags;
    delete from reviewer_volume;
    delete from review_agreement;
    delete from reviewer_agreement;
    delete from review_spans;
    return null;
end $$;

-- Filled from the reviews already stored, by the same function the triggers use, in parts so
-- no array grows with the whole table: the per-day tables a day at a time, agreement a 256th of
-- the tasks at a time (by the first byte of their id; all of a task's reviews in one part, as
-- pairing needs). Each part is planned for its own bounds.
set local plan_cache_mode = force_custom_plan;
do $$
declare
    day date;
    prefix text;
begin
    for day in
        select generate_series(min(created_at at time zone 'UTC')::date,
                               max(created_at at time zone 'UTC')::date, interval '1 day')::date
        from reviews
    loop
        perform review_rollups_move(
            '{}',
            array(select review_fact_of(r) from reviews r
                  where created_at >= day::timestamp at time zone 'UTC'
                    and created_at < (day + 1)::timestamp at time zone 'UTC'),
            true, false);
    end loop;
    for part in 0..255 loop
        prefix := lpad(to_hex(part), 2, '0');
        perform review_rollups_move(
            '{}',
            array(select review_fact_of(r) from reviews r
                  where task_id between (prefix || '000000-0000-0000-0000-000000000000')::uuid
                                      and (prefix || 'ffffff-ffff-ffff-ffff-ffffffffffff')::uuid),
            false, true);
    end loop;
end $$;
reset plan_cache_mode;

create trigger review_rollups_inserted after insert on reviews
    referencing new table as new_rows
    for each statement execute function review_rollups_inserted();

create trigger review_rollups_deleted after delete on reviews
    referencing old table as old_rows
    for each statement execute function review_rollups_deleted();

create trigger review_rollups_updated after update on reviews
    referencing old table as old_rows new table as new_rows
    for each statement execute function review_rollups_updated();

create trigger review_rollups_emptied after truncate on reviews
    for each statement execute function review_rollups_emptied();
