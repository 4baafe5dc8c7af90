-- The claim's walk in queue order covers queued tasks only.
--
-- `tasks_queue_order` held queued and in-review tasks, because a task whose lease ran out is
-- waiting again. But most in-review tasks are held (two per reviewer at work), and every claim
-- walked past each of them, fetching the row to find it held: with 32 reviewers, some sixty rows
-- per claim. The claim now takes the first queued task from this index and the first lapsed one
-- from `tasks_lease_lapse` (in review, by expiry; nearly always empty), and keeps whichever comes
-- first in queue order, so the order is the one it always was.
create index tasks_claim_order on tasks (flagged desc, confidence, created_at)
    where status = 'queued';
drop index tasks_queue_order;
