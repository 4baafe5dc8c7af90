-- A review insert's rollups written directly when the statement stored one review, as the review
-- loop's submit always does (issue 14, the review loop's cost per review). Same rows, same
-- figures: statements that store several reviews, and every update and delete, still go through
-- `review_rollups_move` (0019, 0027).
--
-- Measured (pg_stat_statements and track_functions, 32 reviewers, 10k queued, release build):
-- `review_rollups_move` took 0.86 ms per call, of which its one statement's execution was
-- 0.32 ms. Most of the rest is starting that statement up (in a perf profile of the loop,
-- executor start-up is the database's largest share): four upserts fed by grouped aggregates
-- with some eighty `FILTER`ed sums, built over arrays of review facts, for one review each time.
-- For one review each per-day row's values are known outright (the review counts 1 where its
-- verdict, rating, bin … is, 0 elsewhere), so each table gets one `insert … values … on
-- conflict` of those values: the same deltas the grouped statement computes for a one-review
-- array, without the aggregation. Same profile after: the insert trigger 0.37 ms per call
-- against 0.77 ms before (bench/README.md, session 8).

-- The per-day rollups of one stored review (+1). Keys and bins as `review_deltas` (0019) files
-- them; only the rows a single review changes are written (every one of them: n is 1). Tables in
-- the order `review_rollups_move` writes them, so a writer of one review and a writer of many
-- take the rows in the same order.
create function review_rollups_one(r reviews) returns void
    language plpgsql as $$
declare
    on_day date := (r.created_at at time zone 'UTC')::date;
    e_bin integer := case when r.edit_distance is not null
                          then least(floor(r.edit_distance * 10), 9)::int end;
    c_bin integer := least(floor(r.confidence * 20 + 1e-9), 19)::int;
    s_bin integer := review_seconds_bin(r.seconds_spent);
    is_audit boolean := r.reason = 'audit_sample';
begin
    insert into review_volume as v (day, model, model_version, shard, n, accepted, rejected,
                                    escalated, corrected, r1, r2, r3, r4, r5, edited, edit_sum,
                                    e0, e1, e2, e3, e4, e5, e6, e7, e8, e9)
    values (on_day, r.model, r.model_version, pg_backend_pid(), 1,
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

    insert into review_confidence as v (day, model, model_version, bin, shard, n, confidence_sum,
                                        accepted, audit_n, audit_confidence_sum, audit_accepted,
                                        audit_rejected)
    values (on_day, r.model, r.model_version, c_bin, pg_backend_pid(), 1,
            r.confidence::numeric,
            (r.verdict = 'accept')::int, is_audit::int,
            case when is_audit then r.confidence::numeric else 0 end,
            (is_audit and r.verdict = 'accept')::int, (is_audit and r.verdict = 'reject')::int)
    on conflict (day, model, model_version, bin, shard) do update set
        n = v.n + excluded.n, confidence_sum = v.confidence_sum + excluded.confidence_sum,
        accepted = v.accepted + excluded.accepted, audit_n = v.audit_n + excluded.audit_n,
        audit_confidence_sum = v.audit_confidence_sum + excluded.audit_confidence_sum,
        audit_accepted = v.audit_accepted + excluded.audit_accepted,
        audit_rejected = v.audit_rejected + excluded.audit_rejected;

    -- A tag listed twice counts twice, as the grouped statement's sum does.
    if cardinality(r.error_tags) > 0 then
        insert into review_tags as v (day, model, model_version, tag, shard, n)
        select on_day, r.model, r.model_version, tag, pg_backend_pid(), count(*)
        from unnest(r.error_tags) as tag
        group by tag
        order by tag
        on conflict (day, model, model_version, tag, shard) do update set n = v.n + excluded.n;
    end if;

    insert into reviewer_volume as v (day, model, model_version, reviewer_id, n, rating_sum,
                                      s00, s01, s02, s03, s04, s05, s06, s07, s08, s09,
                                      s10, s11, s12, s13, s14, s15, s16, s17, s18, s19)
    values (on_day, r.model, r.model_version, r.reviewer_id, 1, r.rating,
            (s_bin = 0)::int, (s_bin = 1)::int, (s_bin = 2)::int, (s_bin = 3)::int,
            (s_bin = 4)::int, (s_bin = 5)::int, (s_bin = 6)::int, (s_bin = 7)::int,
            (s_bin = 8)::int, (s_bin = 9)::int, (s_bin = 10)::int, (s_bin = 11)::int,
            (s_bin = 12)::int, (s_bin = 13)::int, (s_bin = 14)::int, (s_bin = 15)::int,
            (s_bin = 16)::int, (s_bin = 17)::int, (s_bin = 18)::int, (s_bin = 19)::int)
    on conflict (day, model, model_version, reviewer_id) do update set
        n = v.n + excluded.n, rating_sum = v.rating_sum + excluded.rating_sum,
        s00 = v.s00 + excluded.s00, s01 = v.s01 + excluded.s01, s02 = v.s02 + excluded.s02,
        s03 = v.s03 + excluded.s03, s04 = v.s04 + excluded.s04, s05 = v.s05 + excluded.s05,
        s06 = v.s06 + excluded.s06, s07 = v.s07 + excluded.s07, s08 = v.s08 + excluded.s08,
        s09 = v.s09 + excluded.s09, s10 = v.s10 + excluded.s10, s11 = v.s11 + excluded.s11,
        s12 = v.s12 + excluded.s12, s13 = v.s13 + excluded.s13, s14 = v.s14 + excluded.s14,
        s15 = v.s15 + excluded.s15, s16 = v.s16 + excluded.s16, s17 = v.s17 + excluded.s17,
        s18 = v.s18 + excluded.s18, s19 = v.s19 + excluded.s19;
end $$;

-- The insert trigger (0025's, with the one-review path). Agreement is left to
-- `review_rollups_move` as before, and only for a review that is not its task's first (no
-- partner otherwise); end users' agreement only when the output has an end-user signal, which
-- `end_user_agreement_move` itself probes.
create or replace function review_rollups_inserted() returns trigger
    language plpgsql as $$
declare
    stored reviews[] := array(select r from new_rows r);
    came review_fact[];
begin
    if cardinality(stored) = 1 then
        perform review_rollups_one(stored[1]);
        if stored[1].nth >= 2 or exists (select from external_feedback f
                                         where f.task_id = stored[1].task_id) then
            came := array[review_fact_of(stored[1])];
            if stored[1].nth >= 2 then
                perform review_rollups_move('{}', came, false, true);
            end if;
            perform end_user_agreement_move(1, came);
        end if;
        return null;
    end if;
    came := array(select review_fact_of(r) from unnest(stored) r);
    perform review_rollups_move('{}', came, true, exists (select from new_rows where nth >= 2));
    perform end_user_agreement_move(1, came);
    return null;
end $$;
