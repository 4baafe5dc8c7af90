-- The review insert's rollup triggers made cheaper (issue 14, the review loop's cost per review).
-- Same rows written, same figures: only how the statements are run changes.
--
-- Measured (pg_stat_statements and track_functions, 32 reviewers, 10k queued, release build):
-- storing a review took 3.2 ms, 2.2 ms of it in `review_rollups_inserted`, and 1.3 ms of that in
-- `end_user_agreement_move`, a `language sql` function. PostgreSQL 15 plans a SQL function's
-- statements afresh on every call (plans of PL/pgSQL functions are kept for the session), so each
-- review planned an upsert with a lateral join, to find that its output had no end-user signal,
-- as nearly every output has none.

-- End users' pairs with the reviews moved (0025), in PL/pgSQL: its plans are kept, and when
-- none of the moved reviews' outputs has an end-user signal (one probe of
-- `external_feedback_task_id` per review) nothing more is done.
create or replace function end_user_agreement_move(sign integer, moved review_fact[]) returns void
    language plpgsql as $$
begin
    if not exists (select from unnest(moved) r
                   join external_feedback f on f.task_id = r.task_id
                   where r.verdict in ('accept', 'reject')) then
        return;
    end if;
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
        pairs = v.pairs + excluded.pairs, agree = v.agree + excluded.agree;
end $$;

-- The review rollups' move (0019): the four per-day upserts are now one statement, over the
-- deltas computed once (they were four statements, each unnesting the arrays again). Generic
-- plans, as before: with custom plans (PostgreSQL's choice for array parameters) every review
-- re-planned them.
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
            insert into review_volume as v (day, model, model_version, shard, n, accepted,
                                            rejected, escalated, corrected, r1, r2, r3, r4, r5,
                                            edited, edit_sum, e0, e1, e2, e3, e4, e5, e6, e7, e8,
                                            e9)
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
                from deltas
                group by day, model, model_version
            ) d
            where (n, accepted, rejected, escalated, corrected, r1, r2, r3, r4, r5, edited,
                   edit_sum, e0, e1, e2, e3, e4, e5, e6, e7, e8, e9)
                  <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            order by day, model, model_version
            on conflict (day, model, model_version, shard) do update set
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
            insert into review_confidence as v (day, model, model_version, bin, shard, n,
                                                confidence_sum, accepted, audit_n,
                                                audit_confidence_sum, audit_accepted,
                                                audit_rejected)
            select day, model, model_version, bin, pg_backend_pid(), n, confidence_sum, accepted,
                   audit_n, audit_confidence_sum, audit_accepted, audit_rejected
            from (
                select day, model, model_version, cbin as bin, sum(s) as n,
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
                audit_rejected = v.audit_rejected + excluded.audit_rejected
            returning 1),
        tags as (
            insert into review_tags as v (day, model, model_version, tag, shard, n)
            select day, model, model_version, tag, pg_backend_pid(), sum(s)
            from deltas d, unnest(d.error_tags) as tag
            group by day, model, model_version, tag
            having sum(s) <> 0
            order by day, model, model_version, tag
            on conflict (day, model, model_version, tag, shard) do update set n = v.n + excluded.n
            returning 1)
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
                from deltas
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
