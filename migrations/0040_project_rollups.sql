-- The dashboard by project (issue 16): every rollup the dashboard reads is now kept per project as
-- well as per day and model, so one project's figures (or a project admin's few) cost what the
-- whole dashboard costs, read from the same rows. `project_id` sits right after the day in each
-- key: a range of days for some projects is one index range per day.
--
-- The triggers are those of 0018, 0019, 0025, 0027 and 0028 with the project added to every key;
-- nothing else about them changes. The task's project is copied onto its reviews and end-user
-- signals (0034), and a task never changes project, so each trigger files a row under the
-- project of the row it was given.
--
-- Rollup rows written before this migration counted every project together. When every stored
-- task is in the default project they are already right (the new column's default); otherwise
-- they are rebuilt from the stored rows by `rollups_rebuild()` below.
--
-- Writers wait while this runs (a replica still on the old version may be serving): a task,
-- review or signal written between the rebuild and the new triggers would be filed without its
-- project, or twice.
lock table tasks, reviews, external_feedback in share row exclusive mode;

-- Each rollup's key gains the project. A constant default rewrites nothing; the default is then
-- dropped, so a writer that forgets the project fails loudly instead of filing under the
-- default project.
alter table task_volume add column project_id bigint not null default 1;
alter table task_volume drop constraint task_volume_pkey,
    add primary key (day, project_id, model, model_version, reason, flagged, bin, shard),
    alter column project_id drop default;
alter table review_volume add column project_id bigint not null default 1;
alter table review_volume drop constraint review_volume_pkey,
    add primary key (day, project_id, model, model_version, shard),
    alter column project_id drop default;
alter table review_confidence add column project_id bigint not null default 1;
alter table review_confidence drop constraint review_confidence_pkey,
    add primary key (day, project_id, model, model_version, bin, shard),
    alter column project_id drop default;
alter table review_tags add column project_id bigint not null default 1;
alter table review_tags drop constraint review_tags_pkey,
    add primary key (day, project_id, model, model_version, tag, shard),
    alter column project_id drop default;
alter table reviewer_volume add column project_id bigint not null default 1;
alter table reviewer_volume drop constraint reviewer_volume_pkey,
    add primary key (day, project_id, model, model_version, reviewer_id),
    alter column project_id drop default;
alter table review_agreement add column project_id bigint not null default 1;
alter table review_agreement drop constraint review_agreement_pkey,
    add primary key (first_day, last_day, project_id, model, model_version, m, rating_a, rating_b,
                     shard),
    alter column project_id drop default;
alter table reviewer_agreement add column project_id bigint not null default 1;
alter table reviewer_agreement drop constraint reviewer_agreement_pkey,
    add primary key (first_day, last_day, project_id, model, model_version, reviewer_id, shard),
    alter column project_id drop default;
alter table end_user_volume add column project_id bigint not null default 1;
alter table end_user_volume drop constraint end_user_volume_pkey,
    add primary key (day, project_id, model, model_version, feedback_type, shard),
    alter column project_id drop default;
alter table end_user_agreement add column project_id bigint not null default 1;
alter table end_user_agreement drop constraint end_user_agreement_pkey,
    add primary key (day, project_id, model, model_version, shard),
    alter column project_id drop default;

-- Tasks: the volume chart and the what-if (0018).
create or replace function task_volume_added_or_removed() returns trigger
    language plpgsql as $$
begin
    insert into task_volume (day, project_id, model, model_version, reason, flagged, bin, shard,
                             n)
    select (created_at at time zone 'UTC')::date, project_id, model, model_version, reason,
           flagged, least(floor(confidence * 20 + 1e-9), 19), pg_backend_pid() % 8,
           case when tg_op = 'DELETE' then -count(*) else count(*) end
    from changed
    group by 1, 2, 3, 4, 5, 6, 7
    order by 1, 2, 3, 4, 5, 6, 7
    on conflict (day, project_id, model, model_version, reason, flagged, bin, shard)
        do update set n = task_volume.n + excluded.n;
    return null;
end $$;

create or replace function task_volume_moved() returns trigger
    language plpgsql as $$
begin
    insert into task_volume (day, project_id, model, model_version, reason, flagged, bin, shard,
                             n)
    select d, p, m, v, r, f, b, pg_backend_pid() % 8, sum(k)
    from (values ((old.created_at at time zone 'UTC')::date, old.project_id, old.model,
                  old.model_version, old.reason, old.flagged,
                  least(floor(old.confidence * 20 + 1e-9), 19), -1),
                 ((new.created_at at time zone 'UTC')::date, new.project_id, new.model,
                  new.model_version, new.reason, new.flagged,
                  least(floor(new.confidence * 20 + 1e-9), 19), 1))
         as t (d, p, m, v, r, f, b, k)
    group by d, p, m, v, r, f, b
    having sum(k) <> 0
    order by d, p, m, v, r, f, b
    on conflict (day, project_id, model, model_version, reason, flagged, bin, shard)
        do update set n = task_volume.n + excluded.n;
    return null;
end $$;

drop trigger task_volume_moved on tasks;
create trigger task_volume_moved
    after update of created_at, project_id, model, model_version, reason, flagged, confidence
    on tasks
    for each row
    when (old.created_at is distinct from new.created_at
          or old.project_id is distinct from new.project_id or old.model is distinct from new.model
          or old.model_version is distinct from new.model_version
          or old.reason is distinct from new.reason or old.flagged is distinct from new.flagged
          or old.confidence is distinct from new.confidence)
    execute function task_volume_moved();

-- Reviews (0019, 0027, 0028): the facts the rollups need of a review now carry its project.
alter type review_fact add attribute project_id bigint;

create or replace function review_fact_of(r reviews) returns review_fact
    language sql immutable as $$
    select row(r.id, r.task_id, r.reviewer_id, r.created_at, r.model, r.model_version, r.reason,
               r.confidence, r.rating, r.verdict, r.corrected_summary is not null,
               r.edit_distance, r.error_tags, r.seconds_spent, r.project_id)::review_fact
$$;

-- Its result gains a column, so it is dropped and made again (only `review_rollups_move` calls
-- it, and PL/pgSQL looks it up when it runs).
drop function review_deltas(review_fact[], review_fact[]);
create function review_deltas(gone review_fact[], came review_fact[])
    returns table (s integer, day date, project_id bigint, model text, model_version text,
                   reason text, confidence double precision, cbin integer, rating smallint,
                   verdict text, corrected boolean, edit_distance double precision, ebin integer,
                   error_tags text[], reviewer_id bigint, sbin integer)
    language sql stable as $$
    select d.s, (d.created_at at time zone 'UTC')::date, d.project_id, d.model, d.model_version,
           d.reason, d.confidence, least(floor(d.confidence * 20 + 1e-9), 19)::int, d.rating,
           d.verdict, d.corrected, d.edit_distance,
           -- (`least` skips nulls: no distance must stay no bin.)
           case when d.edit_distance is not null
                then least(floor(d.edit_distance * 10), 9)::int end,
           d.error_tags, d.reviewer_id, review_seconds_bin(d.seconds_spent)
    from (select -1 as s, g.* from unnest(gone) g
          union all
          select 1, c.* from unnest(came) c) d
$$;

-- End users' pairs with the reviews moved (0027), under the reviews' project.
create or replace function end_user_agreement_move(sign integer, moved review_fact[]) returns void
    language plpgsql as $$
begin
    if not exists (select from unnest(moved) r
                   join external_feedback f on f.task_id = r.task_id
                   where r.verdict in ('accept', 'reject')) then
        return;
    end if;
    insert into end_user_agreement as v (day, project_id, model, model_version, shard, pairs, agree)
    select (r.created_at at time zone 'UTC')::date, r.project_id, r.model, r.model_version,
           pg_backend_pid(),
           sign * count(*),
           sign * count(*) filter (where p.side = case r.verdict when 'accept' then 1 else -1 end)
    from unnest(moved) r
    join lateral (
        select end_user_polarity(f.feedback_type, f.value) as side
        from external_feedback f where f.task_id = r.task_id
    ) p on p.side is not null
    where r.verdict in ('accept', 'reject')
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (day, project_id, model, model_version, shard) do update set
        pairs = v.pairs + excluded.pairs, agree = v.agree + excluded.agree;
end $$;

-- The review rollups' move (0027) and the one-review path (0028), with the project in every key.
create or replace function review_rollups_move(gone review_fact[], came review_fact[],
                                               daily boolean,
                                               paired boolean)
    returns void
    language plpgsql
    set plan_cache_mode = force_generic_plan as $$
begin
    if daily then
        with deltas as materialized (select * from review_deltas(gone, came)),
        volume as (
            insert into review_volume as v (day, project_id, model, model_version, shard, n,
                                            accepted,
                                            rejected, escalated, corrected, r1, r2, r3, r4, r5,
                                            edited, edit_sum, e0, e1, e2, e3, e4, e5, e6, e7, e8,
                                            e9)
            select day, project_id, model, model_version, pg_backend_pid(), n, accepted,
                   rejected, escalated,
                   corrected, r1, r2, r3, r4, r5, edited, edit_sum,
                   e0, e1, e2, e3, e4, e5, e6, e7, e8, e9
            from (
                select day, project_id, model, model_version, sum(s) as n,
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
                from deltas
                group by day, project_id, model, model_version
            ) d
            where (n, accepted, rejected, escalated, corrected, r1, r2, r3, r4, r5, edited,
                   edit_sum, e0, e1, e2, e3, e4, e5, e6, e7, e8, e9)
                  <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            order by day, project_id, model, model_version
            on conflict (day, project_id, model, model_version, shard) do update set
                n = v.n + excluded.n, accepted = v.accepted + excluded.accepted,
                rejected = v.rejected + excluded.rejected,
                escalated = v.escalated + excluded.escalated,
                corrected = v.corrected + excluded.corrected,
                r1 = v.r1 + excluded.r1, r2 = v.r2 + excluded.r2, r3 = v.r3 + excluded.r3,
                r4 = v.r4 + excluded.r4, r5 = v.r5 + excluded.r5,
                edited = v.edited + excluded.edited, edit_sum = v.edit_sum + excluded.edit_sum,
                e0 = v.e0 + excluded.e0, e1 = v.e1 + excluded.e1, e2 = v.e2 + excluded.e2,
                e3 = v.e3 + excluded.e3, e4 = v.e4 + excluded.e4, e5 = v.e5 + excluded.e5,
                e6 = v.e6 + excluded.e6, e7 = v.e7 + excluded.e7, e8 = v.e8 + excluded.e8,
                e9 = v.e9 + excluded.e9
            returning 1),
        confidence as (
            insert into review_confidence as v (day, project_id, model, model_version, bin,
                                                shard, n,
                                                confidence_sum, accepted, audit_n,
                                                audit_confidence_sum, audit_accepted,
                                                audit_rejected)
            select day, project_id, model, model_version, bin, pg_backend_pid(), n,
                   confidence_sum, accepted,
                   audit_n, audit_confidence_sum, audit_accepted, audit_rejected
            from (
                select day, project_id, model, model_version, cbin as bin, sum(s) as n,
                       sum(s * confidence::numeric) as confidence_sum,
                       coalesce(sum(s) filter (where verdict = 'accept'), 0) as accepted,
                       coalesce(sum(s) filter (where reason = 'audit_sample'), 0) as audit_n,
                       coalesce(sum(s * confidence::numeric)
                                    filter (where reason = 'audit_sample'), 0)
                           as audit_confidence_sum,
                       coalesce(sum(s) filter (where reason = 'audit_sample'
                                                 and verdict = 'accept'), 0) as audit_accepted,
                       coalesce(sum(s) filter (where reason = 'audit_sample'
                                                 and verdict = 'reject'), 0) as audit_rejected
                from deltas
                group by day, project_id, model, model_version, cbin
            ) d
            where (n, confidence_sum, accepted, audit_n, audit_confidence_sum, audit_accepted,
                   audit_rejected) <> (0, 0, 0, 0, 0, 0, 0)
            order by day, project_id, model, model_version, bin
            on conflict (day, project_id, model, model_version, bin, shard) do update set
                n = v.n + excluded.n, confidence_sum = v.confidence_sum + excluded.confidence_sum,
                accepted = v.accepted + excluded.accepted, audit_n = v.audit_n + excluded.audit_n,
                audit_confidence_sum = v.audit_confidence_sum + excluded.audit_confidence_sum,
                audit_accepted = v.audit_accepted + excluded.audit_accepted,
                audit_rejected = v.audit_rejected + excluded.audit_rejected
            returning 1),
        tags as (
            insert into review_tags as v (day, project_id, model, model_version, tag, shard, n)
            select day, project_id, model, model_version, tag, pg_backend_pid(), sum(s)
            from deltas d, unnest(d.error_tags) as tag
            group by day, project_id, model, model_version, tag
            having sum(s) <> 0
            order by day, project_id, model, model_version, tag
            on conflict (day, project_id, model, model_version, tag, shard)
                do update set n = v.n + excluded.n
            returning 1)
        insert into reviewer_volume as v (day, project_id, model, model_version, reviewer_id, n,
                                          rating_sum,
                                              s00, s01, s02, s03, s04, s05, s06, s07, s08, s09,
                                              s10, s11, s12, s13, s14, s15, s16, s17, s18, s19)
            select *
            from (
                select day, project_id, model, model_version, reviewer_id, sum(s) as n,
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
                from deltas
                group by day, project_id, model, model_version, reviewer_id
            ) d (day, project_id, model, model_version, reviewer_id, n, rating_sum,
                 s00, s01, s02, s03, s04, s05, s06, s07, s08, s09,
                 s10, s11, s12, s13, s14, s15, s16, s17, s18, s19)
            where (n, rating_sum, s00, s01, s02, s03, s04, s05, s06, s07, s08, s09,
                   s10, s11, s12, s13, s14, s15, s16, s17, s18, s19)
                  <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            order by day, project_id, model, model_version, reviewer_id
            on conflict (day, project_id, model, model_version, reviewer_id) do update set
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
               r.project_id, r.model, r.model_version, r.rating, r.verdict
        from reviews r
        where r.task_id in (select task_id from touched)
    ), sets as (
        select 1 as s, n.* from now_rows n
        union all
        select -1, n.* from now_rows n
        where not exists (select from unnest(came) c where c.id = n.id)
        union all
        select -1, g.id, g.task_id, g.reviewer_id, (g.created_at at time zone 'UTC')::date,
               g.project_id, g.model, g.model_version, g.rating, g.verdict
        from unnest(gone) g
    ), units as (
        select s, task_id, count(*) as m, min(day) as first_day, max(day) as last_day
        from sets
        group by s, task_id
        having count(*) >= 2
    ), pairs as (
        select u.s, u.first_day, u.last_day, u.m::int as m, a.project_id, a.model, a.model_version,
               a.rating as rating_a, b.rating as rating_b, a.reviewer_id,
               (a.verdict = b.verdict)::int as agree
        from units u
        join sets a on a.s = u.s and a.task_id = u.task_id
        join sets b on b.s = u.s and b.task_id = u.task_id and b.id <> a.id
    ), matrix as (
        insert into review_agreement as v (first_day, last_day, project_id, model, model_version, m,
                                           rating_a, rating_b, shard, pairs)
        select first_day, last_day, project_id, model, model_version, m, rating_a, rating_b,
               pg_backend_pid(), sum(s)
        from pairs
        group by first_day, last_day, project_id, model, model_version, m, rating_a, rating_b
        having sum(s) <> 0
        order by first_day, last_day, project_id, model, model_version, m, rating_a, rating_b
        on conflict (first_day, last_day, project_id, model, model_version, m, rating_a,
            rating_b, shard)
            do update set pairs = v.pairs + excluded.pairs
    ), per_reviewer as (
        insert into reviewer_agreement as v (first_day, last_day, project_id, model, model_version,
                                             reviewer_id, shard, pairs, agree)
        select first_day, last_day, project_id, model, model_version, reviewer_id, pg_backend_pid(),
               sum(s), sum(s * agree)
        from pairs
        group by first_day, last_day, project_id, model, model_version, reviewer_id
        having sum(s) <> 0 or sum(s * agree) <> 0
        order by first_day, last_day, project_id, model, model_version, reviewer_id
        on conflict (first_day, last_day, project_id, model, model_version, reviewer_id, shard)
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

create or replace function review_rollups_one(r reviews) returns void
    language plpgsql as $$
declare
    on_day date := (r.created_at at time zone 'UTC')::date;
    e_bin integer := case when r.edit_distance is not null
                          then least(floor(r.edit_distance * 10), 9)::int end;
    c_bin integer := least(floor(r.confidence * 20 + 1e-9), 19)::int;
    s_bin integer := review_seconds_bin(r.seconds_spent);
    is_audit boolean := r.reason = 'audit_sample';
begin
    insert into review_volume as v (day, project_id, model, model_version, shard, n, accepted,
                                    rejected,
                                    escalated, corrected, r1, r2, r3, r4, r5, edited, edit_sum,
                                    e0, e1, e2, e3, e4, e5, e6, e7, e8, e9)
    values (on_day, r.project_id, r.model, r.model_version, pg_backend_pid(), 1,
            (r.verdict = 'accept')::int, (r.verdict = 'reject')::int,
            (r.verdict = 'escalate')::int, (r.corrected_summary is not null)::int,
            (r.rating = 1)::int, (r.rating = 2)::int, (r.rating = 3)::int, (r.rating = 4)::int,
            (r.rating = 5)::int, (r.edit_distance is not null)::int,
            coalesce(r.edit_distance::numeric, 0),
            (e_bin is not distinct from 0)::int, (e_bin is not distinct from 1)::int,
            (e_bin is not distinct from 2)::int, (e_bin is not distinct from 3)::int,
            (e_bin is not distinct from 4)::int, (e_bin is not distinct from 5)::int,
            (e_bin is not distinct from 6)::int, (e_bin is not distinct from 7)::int,
            (e_bin is not distinct from 8)::int, (e_bin is not distinct from 9)::int)
    on conflict (day, project_id, model, model_version, shard) do update set
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

    insert into review_confidence as v (day, project_id, model, model_version, bin, shard, n,
                                        confidence_sum,
                                        accepted, audit_n, audit_confidence_sum, audit_accepted,
                                        audit_rejected)
    values (on_day, r.project_id, r.model, r.model_version, c_bin, pg_backend_pid(), 1,
            r.confidence::numeric,
            (r.verdict = 'accept')::int, is_audit::int,
            case when is_audit then r.confidence::numeric else 0 end,
            (is_audit and r.verdict = 'accept')::int, (is_audit and r.verdict = 'reject')::int)
    on conflict (day, project_id, model, model_version, bin, shard) do update set
        n = v.n + excluded.n, confidence_sum = v.confidence_sum + excluded.confidence_sum,
        accepted = v.accepted + excluded.accepted, audit_n = v.audit_n + excluded.audit_n,
        audit_confidence_sum = v.audit_confidence_sum + excluded.audit_confidence_sum,
        audit_accepted = v.audit_accepted + excluded.audit_accepted,
        audit_rejected = v.audit_rejected + excluded.audit_rejected;

    -- A tag listed twice counts twice, as the grouped statement's sum does.
    if cardinality(r.error_tags) > 0 then
        insert into review_tags as v (day, project_id, model, model_version, tag, shard, n)
        select on_day, r.project_id, r.model, r.model_version, tag, pg_backend_pid(), count(*)
        from unnest(r.error_tags) as tag
        group by tag
        order by tag
        on conflict (day, project_id, model, model_version, tag, shard)
            do update set n = v.n + excluded.n;
    end if;

    insert into reviewer_volume as v (day, project_id, model, model_version, reviewer_id, n,
                                      rating_sum,
                                      s00, s01, s02, s03, s04, s05, s06, s07, s08, s09,
                                      s10, s11, s12, s13, s14, s15, s16, s17, s18, s19)
    values (on_day, r.project_id, r.model, r.model_version, r.reviewer_id, 1, r.rating,
            (s_bin = 0)::int, (s_bin = 1)::int, (s_bin = 2)::int, (s_bin = 3)::int,
            (s_bin = 4)::int, (s_bin = 5)::int, (s_bin = 6)::int, (s_bin = 7)::int,
            (s_bin = 8)::int, (s_bin = 9)::int, (s_bin = 10)::int, (s_bin = 11)::int,
            (s_bin = 12)::int, (s_bin = 13)::int, (s_bin = 14)::int, (s_bin = 15)::int,
            (s_bin = 16)::int, (s_bin = 17)::int, (s_bin = 18)::int, (s_bin = 19)::int)
    on conflict (day, project_id, model, model_version, reviewer_id) do update set
        n = v.n + excluded.n, rating_sum = v.rating_sum + excluded.rating_sum,
        s00 = v.s00 + excluded.s00, s01 = v.s01 + excluded.s01, s02 = v.s02 + excluded.s02,
        s03 = v.s03 + excluded.s03, s04 = v.s04 + excluded.s04, s05 = v.s05 + excluded.s05,
        s06 = v.s06 + excluded.s06, s07 = v.s07 + excluded.s07, s08 = v.s08 + excluded.s08,
        s09 = v.s09 + excluded.s09, s10 = v.s10 + excluded.s10, s11 = v.s11 + excluded.s11,
        s12 = v.s12 + excluded.s12, s13 = v.s13 + excluded.s13, s14 = v.s14 + excluded.s14,
        s15 = v.s15 + excluded.s15, s16 = v.s16 + excluded.s16, s17 = v.s17 + excluded.s17,
        s18 = v.s18 + excluded.s18, s19 = v.s19 + excluded.s19;
end $$;

-- End users' signals (0025), filed under the project copied onto each signal.
create or replace function end_user_volume_inserted() returns trigger
    language plpgsql as $$
begin
    insert into end_user_volume as v (day, project_id, model, model_version, feedback_type, shard,
                                      n, valued, value_sum)
    select (f.created_at at time zone 'UTC')::date, f.project_id, t.model, t.model_version,
           f.feedback_type, pg_backend_pid(), count(*), count(f.value),
           coalesce(sum(f.value::numeric), 0)
    from new_rows f
    join tasks t on t.id = f.task_id
    group by 1, 2, 3, 4, 5
    order by 1, 2, 3, 4, 5
    on conflict (day, project_id, model, model_version, feedback_type, shard) do update set
        n = v.n + excluded.n, valued = v.valued + excluded.valued,
        value_sum = v.value_sum + excluded.value_sum;

    -- See 0025 on the pair a signal and a review committed at the same instant both miss.
    insert into end_user_agreement as v (day, project_id, model, model_version, shard, pairs,
                                         agree)
    select (r.created_at at time zone 'UTC')::date, r.project_id, r.model, r.model_version,
           pg_backend_pid(), count(*),
           count(*) filter (where p.side = case r.verdict when 'accept' then 1 else -1 end)
    from (select task_id, end_user_polarity(feedback_type, value) as side from new_rows) p
    join reviews r on r.task_id = p.task_id and r.verdict in ('accept', 'reject')
    where p.side is not null
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4
    on conflict (day, project_id, model, model_version, shard) do update set
        pairs = v.pairs + excluded.pairs, agree = v.agree + excluded.agree;
    return null;
end $$;

-- Empties every dashboard rollup and fills it again from the stored tasks, reviews and signals,
-- by the same functions the triggers use (as 0018, 0019 and 0025 first filled them). For this
-- migration, and for an operator who suspects a rollup (it answers with the rows written).
-- Writers wait while it runs. The review rollups are filled in parts so no array grows with the
-- whole table: the per-day tables a day at a time, agreement a 256th of the tasks at a time (by
-- the first byte of their id; all of a task's reviews in one part, as pairing needs).
create function rollups_rebuild() returns bigint
    language plpgsql as $$
declare
    day date;
    prefix text;
begin
    lock table tasks, reviews, external_feedback in share row exclusive mode;
    delete from task_volume;
    delete from review_volume;
    delete from review_confidence;
    delete from review_tags;
    delete from reviewer_volume;
    delete from review_agreement;
    delete from reviewer_agreement;
    delete from review_spans;
    delete from end_user_volume;
    delete from end_user_agreement;

    insert into task_volume (day, project_id, model, model_version, reason, flagged, bin, shard,
                             n)
    select (created_at at time zone 'UTC')::date, project_id, model, model_version, reason,
           flagged, least(floor(confidence * 20 + 1e-9), 19), 0, count(*)
    from tasks
    group by 1, 2, 3, 4, 5, 6, 7;

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

    insert into end_user_volume (day, project_id, model, model_version, feedback_type, shard, n,
                                 valued, value_sum)
    select (f.created_at at time zone 'UTC')::date, f.project_id, t.model, t.model_version,
           f.feedback_type, 0, count(*), count(f.value), coalesce(sum(f.value::numeric), 0)
    from external_feedback f
    join tasks t on t.id = f.task_id
    group by 1, 2, 3, 4, 5;

    insert into end_user_agreement (day, project_id, model, model_version, shard, pairs, agree)
    select (r.created_at at time zone 'UTC')::date, r.project_id, r.model, r.model_version, 0,
           count(*),
           count(*) filter (where end_user_polarity(f.feedback_type, f.value)
                                  = case r.verdict when 'accept' then 1 else -1 end)
    from reviews r
    join external_feedback f on f.task_id = r.task_id
    where r.verdict in ('accept', 'reject')
      and end_user_polarity(f.feedback_type, f.value) is not null
    group by 1, 2, 3, 4;

    return (select count(*) from tasks) + (select count(*) from reviews)
           + (select count(*) from external_feedback);
end $$;

-- Only a Loupe that already holds another project's rows needs the rebuild.
select rollups_rebuild() where exists (select from tasks where project_id <> 1);

-- The oldest open task per key, for the dashboard's "oldest waiting" and /metrics (0017): the
-- project leads the key now, so one project's oldest is still one probe per key the tally
-- knows, never a walk past other projects' open tasks.
drop index tasks_open_age;
create index tasks_open_age on tasks (project_id, model, model_version, reason, created_at)
    where status in ('queued', 'in_review');
