-- The task tally's rows, one set per database connection instead of eight shared shards.
--
-- Measured (32 reviewers, pg_stat_statements): with `pg_backend_pid() % 8`, four connections on
-- average shared each shard row, and a review's move waited for the others' transactions to
-- commit: the tally's upsert took 8.6 ms on average, almost all of it waiting on row locks, and
-- it was most of the review loop's time in the database. A connection runs one transaction at a
-- time, so rows keyed by its own process id are never contended: writers never wait for each
-- other, and the counts stay exact and transactional as before.
--
-- Connections come and go; rows of connections that have ended are folded into shard 0 (no
-- backend has process id 0) by `rollups_compact()`, which the server's sweep runs. Readers sum
-- the shards, so how many rows there are is bounded by the keys times the connections open since
-- the last sweep.
lock table tasks in share row exclusive mode;

alter table task_tally alter column shard type integer;

-- What the eight old shards held becomes the compacted count, shard 0.
create temporary table tally_fold on commit drop as
select status, reason, model, model_version, sum(n) as n
from task_tally
group by status, reason, model, model_version;
delete from task_tally;
insert into task_tally (status, reason, model, model_version, shard, n)
select status, reason, model, model_version, 0, n from tally_fold where n <> 0;

create or replace function task_tally_added_or_removed() returns trigger
    language plpgsql as $$
begin
    insert into task_tally (status, reason, model, model_version, shard, n)
    select status, reason, model, model_version, pg_backend_pid(),
           case when tg_op = 'DELETE' then -count(*) else count(*) end
    from changed
    group by status, reason, model, model_version
    order by status, reason, model, model_version
    on conflict (status, reason, model, model_version, shard)
        do update set n = task_tally.n + excluded.n;
    return null;
end $$;

create or replace function task_tally_moved() returns trigger
    language plpgsql as $$
begin
    insert into task_tally (status, reason, model, model_version, shard, n)
    select status, reason, model, model_version, pg_backend_pid(), sum(d)
    from (select status, reason, model, model_version, -1 as d from old_rows
          union all
          select status, reason, model, model_version, 1 from new_rows) moved
    group by status, reason, model, model_version
    having sum(d) <> 0
    order by status, reason, model, model_version
    on conflict (status, reason, model, model_version, shard)
        do update set n = task_tally.n + excluded.n;
    return null;
end $$;

-- Folds the rows of connections that have ended into shard 0, in one statement per table: a row
-- is deleted and its counts added to shard 0 atomically, so a reader sums the same totals before
-- and after. A new connection that happens to reuse an ended one's process id only ever adds to
-- its row; if the fold deletes that row first, the connection's upsert waits for the fold and
-- inserts afresh. The table's primary key is its key columns and `shard`; every other column is
-- a sum. Returns the rows folded.
create function rollup_fold(tbl regclass) returns bigint
    language plpgsql as $$
declare
    keys text[] := array(
        select a.attname from pg_index i
        join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey::int2[])
        where i.indrelid = tbl and i.indisprimary and a.attname <> 'shard'
        order by array_position(i.indkey::int2[], a.attnum));
    sums text[] := array(
        select a.attname from pg_attribute a
        where a.attrelid = tbl and a.attnum > 0 and not a.attisdropped
          and a.attname <> 'shard' and a.attname <> all (keys)
        order by a.attnum);
    k text := (select string_agg(format('%I', c), ', ') from unnest(keys) c);
    v text := (select string_agg(format('%I', c), ', ') from unnest(sums) c);
    summed text := (select string_agg(format('sum(%I)', c), ', ') from unnest(sums) c);
    added text := (select string_agg(format('%I = t.%I + excluded.%I', c, c, c), ', ')
                   from unnest(sums) c);
    folded bigint;
begin
    execute format(
        'with gone as (
             delete from %1$s
             where shard <> 0
               and shard not in (select pid from pg_stat_activity where pid is not null)
             returning *),
         merged as (
             insert into %1$s as t (%2$s, shard, %3$s)
             select %2$s, 0, %4$s from gone group by %2$s order by %2$s
             on conflict (%2$s, shard) do update set %5$s
             returning 1)
         select count(*) from gone',
        tbl, k, v, summed, added)
    into folded;
    return folded;
end $$;

-- Every table kept per connection, folded; the sweep runs it. Tally rows whose counts cancelled
-- out to zero are dropped.
create function rollups_compact() returns bigint
    language plpgsql as $$
declare
    folded bigint := 0;
    tbl regclass;
begin
    foreach tbl in array array['task_tally', 'review_volume', 'review_confidence', 'review_tags',
                               'review_agreement', 'reviewer_agreement']::regclass[] loop
        folded := folded + rollup_fold(tbl);
    end loop;
    delete from task_tally where shard = 0 and n = 0;
    return folded;
end $$;
