-- End users in the loop (issue 15): the feedback contract as the guide types it, and
-- dissatisfaction that sends an auto-accepted output to a reviewer.

-- `feedback_type` is free text: known types get meaning (app/src/end_users/signal.rs), unknown
-- ones are stored and exported. The server trims and lower-cases it, so `Copy` and `copy ` count
-- as one type; the check holds the bound only (`lower()` would depend on the cluster's locale).
alter table external_feedback drop constraint external_feedback_feedback_type_check;
alter table external_feedback add constraint external_feedback_type_text
    check (char_length(feedback_type) between 1 and 64);

-- `value` becomes a number, so a rating of 3.5 is stored as 3.5 and the satisfaction figures can
-- average it. Thumbs were stored as "up" / "down": they become 1 / 0 (the mean of thumbs is then
-- the share of thumbs-up). Comments had no value.
alter table external_feedback alter column value type double precision using
    case when value = '"up"'::jsonb then 1
         when value = '"down"'::jsonb then 0
         when jsonb_typeof(value) = 'number' then (value #>> '{}')::double precision
    end;
-- The API refuses these with a 422 naming `value`; the checks keep anything else from writing them.
alter table external_feedback add constraint external_feedback_value_meaning check (
    value is null or (value not in ('NaN', 'Infinity', '-Infinity')
        and case feedback_type
                when 'thumbs' then value in (0, 1)
                when 'rating' then value between 1 and 5
                when 'dwell_seconds' then value >= 0
                else true
            end));

-- How pipelines have always read a value (the task document, the feed, exports): thumbs as the
-- words "up" / "down", every other value as its number.
create function feedback_value_doc(feedback_type text, value double precision) returns jsonb
    language sql immutable parallel safe
    as $$ select case when feedback_type = 'thumbs' and value is not null
                      then to_jsonb(case when value > 0 then 'up' else 'down' end)
                      else to_jsonb(value) end $$;

-- A new routing reason: an auto-accepted output that end users were unhappy with, sent back to a
-- reviewer. The tally (0017) and volume (0018) triggers key on whatever `reason` holds, so they
-- move the task from `auto_accepted` to `user_feedback` without a change.
alter table tasks drop constraint tasks_reason_check;
alter table tasks add constraint tasks_reason_check
    check (reason in ('low_confidence', 'flagged', 'audit_sample', 'auto_accepted', 'user_feedback'));

-- The rule, per model with the other routing settings (the defaults row `*` for the rest): when
-- on, one thumbs-down, a rating at or under `user_feedback_rating_at_most`, or an end user's
-- correction on an auto-accepted output puts it in the review queue.
alter table routing_settings
    add column user_feedback_review boolean not null default true,
    add column user_feedback_rating_at_most double precision not null default 2
        check (user_feedback_rating_at_most between 1 and 5);
