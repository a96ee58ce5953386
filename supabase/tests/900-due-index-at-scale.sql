-- The scheduler's due query at scale: 1,000,000 connections of 10,000 users, 1% of them due, generated in
-- SQL inside this transaction and rolled back. Asserts from EXPLAIN (format json) that the query the
-- claim function runs is an index scan of platform_connections_due_idx (custom and generic plans), and
-- reports its latency with diag(). Runs last (name order): it takes about 20-30 seconds, nearly all of it
-- generating the rows.
--
-- Mix: 1% due (connected, refresh token, expiring within +-150 s); 1% token_expired but backing off
-- (next_attempt_at in an hour); 1% needs_reauth; 1% disconnected without tokens; 1% without a refresh token
-- or expiry (validated, not refreshed); 95% connected, expiring between 10 minutes and a day from now.
begin;
set local search_path = public, extensions, tests;
select plan(10);

-- Isolated from whatever the stack already holds (the transaction rolls back, so nothing is lost).
delete from public.platform_connections;

create temp table timings (what text primary key, started timestamptz, finished timestamptz) on commit drop;

insert into timings (what, started) values ('generate', clock_timestamp());
insert into auth.users (id, aud, role, email)
select gen_random_uuid(), 'authenticated', 'authenticated', 'due-scale-' || u || '@tests.invalid'
from generate_series(1, 10000) as u;
create temp table scale_users on commit drop as
select row_number() over (order by id) as n, id from auth.users where email like 'due-scale-%@tests.invalid';

insert into public.platform_connections (
  user_id, provider, account_id, access_token, refresh_token, encryption_key_id, status, token_expires_at, next_attempt_at
)
select
  u.id,
  (array['spotify', 'discord', 'google', 'youtube', 'gmail', 'google_calendar', 'github', 'etsy', 'shopify',
         'quickbooks', 'xero', 'lightspeed', 'microsoft', 'twitter', 'linkedin', 'reddit', 'twitch'])[1 + i % 17],
  i::text,
  case when i % 100 = 3 then null else (select tests.envelope('access-at-scale')) end,
  case when i % 100 in (3, 4) then null else (select tests.envelope('refresh-at-scale')) end,
  case when i % 100 = 3 then null else 'k1' end,
  case i % 100 when 1 then 'token_expired' when 2 then 'needs_reauth' when 3 then 'disconnected' else 'connected' end,
  case i % 100
    when 0 then now() + ((i / 100) % 300 - 150) * interval '1 second'
    when 1 then now() - interval '1 minute'
    when 2 then now() - interval '1 day'
    when 3 then now() - interval '30 days'
    when 4 then null
    else now() + interval '10 minutes' + (i % 86400) * interval '1 second'
  end,
  case when i % 100 = 1 then now() + interval '1 hour' end
from generate_series(0, 999999) as i
join scale_users as u on u.n = 1 + i / 100;
update timings set finished = clock_timestamp() where what = 'generate';

insert into timings (what, started) values ('analyze', clock_timestamp());
analyze public.platform_connections;
update timings set finished = clock_timestamp() where what = 'analyze';

select diag(format('generated 1,000,000 connections in %s s, analyzed in %s s',
  (select round(extract(epoch from finished - started)::numeric, 1) from timings where what = 'generate'),
  (select round(extract(epoch from finished - started)::numeric, 1) from timings where what = 'analyze')));

-- The due query exactly as claim_due_connections runs it, with its parameters as literals.
create function pg_temp.due_query(p_window_seconds integer, p_batch integer) returns text
language sql immutable as $$
  select format($q$
    select c.id
    from public.platform_connections as c
    where c.status in ('connected', 'token_expired')
      and c.refresh_token is not null
      and coalesce(c.next_attempt_at, c.token_expires_at) <= now() + make_interval(secs => %s)
      and (c.next_attempt_at is null or c.next_attempt_at <= now())
      and (c.lease_expires_at is null or c.lease_expires_at <= now())
    order by coalesce(c.next_attempt_at, c.token_expires_at)
    limit %s
    for update of c skip locked$q$, p_window_seconds, p_batch)
$$;

create function pg_temp.plan_of(p_sql text, p_analyze boolean default false) returns jsonb
language plpgsql as $$
declare
  v_plan json;
begin
  execute format('explain (format json, analyze %s, costs true) %s', case when p_analyze then 'true' else 'false' end, p_sql) into v_plan;
  return v_plan::jsonb -> 0;
end
$$;

create function pg_temp.uses_due_index(p_plan jsonb) returns boolean
language sql immutable as $$
  select jsonb_path_exists(p_plan, 'strict $.**."Index Name" ? (@ == "platform_connections_due_idx")')
     and not jsonb_path_exists(p_plan, 'strict $.**."Node Type" ? (@ == "Seq Scan")')
$$;

select is(
  (select count(*)::int from public.platform_connections
   where status in ('connected', 'token_expired') and refresh_token is not null
     and coalesce(next_attempt_at, token_expires_at) <= now() + interval '300 seconds'
     and (next_attempt_at is null or next_attempt_at <= now())),
  10000, '1% of the 1,000,000 connections are due');

select ok(pg_temp.uses_due_index(pg_temp.plan_of(pg_temp.due_query(300, 100))),
  'the due query (batch 100) is an index scan of platform_connections_due_idx, no seq scan');
select ok(pg_temp.uses_due_index(pg_temp.plan_of(pg_temp.due_query(300, 1000))),
  'the due query (batch 1000) uses platform_connections_due_idx');
select ok(pg_temp.uses_due_index(pg_temp.plan_of(pg_temp.due_query(3600, 100))),
  'the due query with a one-hour window uses platform_connections_due_idx');

-- claim_due_connections is PL/pgSQL: after five calls its plan may become the generic one, with parameters
-- unknown at plan time. That plan must use the index too.
prepare due_generic(integer, integer) as
  select c.id
  from public.platform_connections as c
  where c.status in ('connected', 'token_expired')
    and c.refresh_token is not null
    and coalesce(c.next_attempt_at, c.token_expires_at) <= now() + make_interval(secs => $1)
    and (c.next_attempt_at is null or c.next_attempt_at <= now())
    and (c.lease_expires_at is null or c.lease_expires_at <= now())
  order by coalesce(c.next_attempt_at, c.token_expires_at)
  limit $2
  for update of c skip locked;
set local plan_cache_mode = force_generic_plan;
select ok(pg_temp.uses_due_index(pg_temp.plan_of('execute due_generic(300, 100)')),
  'the generic plan of the due query uses platform_connections_due_idx');
reset plan_cache_mode;
deallocate due_generic;

-- The status query (a user's live connections) uses the other partial index.
select ok(
  jsonb_path_exists(
    pg_temp.plan_of(format(
      $q$select provider, account_id, status from public.platform_connections where user_id = %L and status <> 'disconnected'$q$,
      (select id from scale_users where n = 4242))),
    'strict $.**."Index Name" ? (@ == "platform_connections_user_status_idx")'),
  'the status query of one user uses platform_connections_user_status_idx');

-- Latency. EXPLAIN ANALYZE executes the query (the row locks die with the rollback).
create temp table latency on commit drop as
select run, pg_temp.plan_of(pg_temp.due_query(300, 100), true) as plan from generate_series(1, 3) as run;
select diag(format('due query, batch 100, 10,000 due of 1,000,000: execution %s ms (1st), %s ms (2nd), %s ms (3rd); planning %s ms; estimated %s rows in range',
  (select plan ->> 'Execution Time' from latency where run = 1),
  (select plan ->> 'Execution Time' from latency where run = 2),
  (select plan ->> 'Execution Time' from latency where run = 3),
  (select plan ->> 'Planning Time' from latency where run = 3),
  (select jsonb_path_query_first(plan, 'strict $.**?(@."Index Name" == "platform_connections_due_idx")."Plan Rows"') from latency where run = 3)));
select ok((select min((plan ->> 'Execution Time')::numeric) from latency) < 50,
  'the due query (batch 100) executes in under 50 ms');

-- The function itself, end to end (claims and leases the rows).
insert into timings (what, started) values ('claim 100', clock_timestamp());
select is((select count(*)::int from provider_tokens.claim_due_connections(100, 60, gen_random_uuid(), 300)), 100,
  'claim_due_connections claims a batch of 100');
update timings set finished = clock_timestamp() where what = 'claim 100';
insert into timings (what, started) values ('claim 1000', clock_timestamp());
select is((select count(*)::int from provider_tokens.claim_due_connections(1000, 60, gen_random_uuid(), 300)), 1000,
  'claim_due_connections claims a batch of 1000');
update timings set finished = clock_timestamp() where what = 'claim 1000';
select diag(format('claim_due_connections end to end: batch 100 in %s ms, batch 1000 in %s ms',
  (select round(extract(epoch from finished - started)::numeric * 1000, 1) from timings where what = 'claim 100'),
  (select round(extract(epoch from finished - started)::numeric * 1000, 1) from timings where what = 'claim 1000')));
select ok(
  (select extract(epoch from finished - started) < 1 from timings where what = 'claim 1000'),
  'claiming 1000 of 1,000,000 takes under a second');

select * from finish();
rollback;

-- The rolled-back million rows are dead tuples now, and ANALYZE's row count (kept in place in pg_class)
-- outlived the rollback: clean up at once rather than leave stale statistics to concurrent users.
vacuum (analyze) public.platform_connections;
