-- Issue 17, session 8: the source-support hints find more (a name changed in a copy, a critical
-- word left out of one, names and terms the source never uses, "X and X", a changed word form),
-- so their version is 3. As in 0026: the tasks a review page can show get their hints again from
-- the support worker (it fills what is null); a page shows a stored result of another version as
-- not computed yet, so nothing stale is shown in between. Settled tasks keep their old result.
update tasks set support = null, support_claimed_until = null
where support is not null and status in ('queued', 'in_review');
