-- Zero-wait review: while a reviewer works on one task, the page claims the next in the
-- background. That claim is marked here so it can be told apart from the task on screen: it
-- holds a short lease the open page renews, is given back when the page is left, and becomes
-- the reviewer's current task (with a full lease and a fresh start time) once they move on.
alter table tasks add column lease_prefetched boolean not null default false;
