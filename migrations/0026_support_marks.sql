-- Issue 17: source-support marks that explain themselves, and routing by them.
--
-- Hints of version 1 have no marks. The tasks a review page can show get theirs again from the
-- support worker (it fills what is null); a page shows a stored result of another version as not
-- computed yet, so nothing stale is ever shown in between. Settled tasks keep their old result:
-- no page reads it.
update tasks set support = null, support_claimed_until = null
where support is not null and status in ('queued', 'in_review');

-- A new routing reason: a confident output whose summary the source-support marks flag, sent to
-- a reviewer. The tally (0017) and volume (0018) triggers key on whatever `reason` holds.
alter table tasks drop constraint tasks_reason_check;
alter table tasks add constraint tasks_reason_check
    check (reason in ('low_confidence', 'flagged', 'audit_sample', 'auto_accepted', 'user_feedback',
                      'weak_support'));

-- The rule, per model with the other routing settings; off by default. When on, an output that
-- routing would auto-accept is stored as auto-accepted with `support_check` set; the support
-- worker computes its hints like a queued task's, and if the page would mark any sentence the
-- task moves to the queue with reason `weak_support`. Either way `support_check` is cleared.
alter table routing_settings add column weak_support_review boolean not null default false;
alter table tasks add column support_check boolean not null default false;

-- The worker's pick now includes the auto-accepted tasks awaiting that check. Still empty almost
-- all the time.
drop index tasks_support_pending;
create index tasks_support_pending on tasks (created_at)
    where support is null and (status in ('queued', 'in_review') or support_check);

-- What reviewers said about outputs sent to them this way, for the dashboard: few rows, read
-- through their own partial index like `user_feedback`'s (0025).
create index reviews_weak_support on reviews (created_at) include (verdict, model, model_version)
    where reason = 'weak_support';
