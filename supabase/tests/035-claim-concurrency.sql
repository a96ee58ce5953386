-- Two sessions claiming at once never get the same row. pgTAP runs in one session, so the two schedulers are
-- two more sessions opened with dblink (connecting back to this database as postgres/postgres, the password of
-- the local stack and of `supabase start`). They only see committed rows, so the fixture is committed through
-- a third dblink session under a dedicated user and deleted at the end (and at the start, in case a previous
-- run died halfway). Their connections expire in 1970, so they are the most urgent rows in any database and
-- the claims below take them first. If dblink cannot connect, the run fails: a concurrency test that quietly
-- skips would hide exactly what it is for.
begin;
set local search_path = public, extensions, tests;
create extension if not exists dblink with schema extensions;
select plan(8);

create function pg_temp.claim_concurrency_tests() returns setof text
language plpgsql as $fn$
declare
  v_connstr text := format(
    'host=127.0.0.1 port=%s dbname=%s user=postgres password=postgres application_name=pgtap-claim-concurrency',
    current_setting('port'), current_database());
  v_user uuid := gen_random_uuid();
  v_email text := 'claim-concurrency-' || v_user || '@tests.invalid';
  v_owner_a uuid := gen_random_uuid();
  v_owner_b uuid := gen_random_uuid();
  v_ours uuid[];
  v_a uuid[];
  v_b uuid[];
  v_started timestamptz;
  v_waited interval;
begin
  begin
    perform extensions.dblink_connect('claim_setup', v_connstr);
  exception when others then
    return next fail('dblink cannot connect back to this database: ' || sqlerrm);
    return next diag('the two-session claim tests need dblink to reach 127.0.0.1 as postgres/postgres');
    return;
  end;

  -- Committed fixture: one user, 20 due connections.
  perform extensions.dblink_exec('claim_setup',
    $$delete from auth.users where email like 'claim-concurrency-%@tests.invalid'$$);
  perform extensions.dblink_exec('claim_setup', format(
    $$insert into auth.users (id, aud, role, email) values (%L, 'authenticated', 'authenticated', %L)$$, v_user, v_email));
  perform extensions.dblink_exec('claim_setup', format(
    $$insert into public.platform_connections (user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_expires_at)
      select %L, 'discord', 'account-' || i, tests.envelope('access-concurrency'), tests.envelope('refresh-concurrency'), 'k1',
             timestamptz '1970-01-01 00:00:00+00' + i * interval '1 second'
      from generate_series(1, 20) as i$$, v_user));
  select array_agg(id) into v_ours
  from extensions.dblink('claim_setup', format($$select id from public.platform_connections where user_id = %L$$, v_user))
    as t (id uuid);

  -- Round 1: both schedulers send their claim at the same moment, each in an open transaction.
  perform extensions.dblink_connect('claim_a', v_connstr);
  perform extensions.dblink_connect('claim_b', v_connstr);
  perform extensions.dblink_exec('claim_a', 'begin');
  perform extensions.dblink_exec('claim_b', 'begin');
  perform extensions.dblink_exec('claim_a', $$set local statement_timeout = '10s'$$);
  perform extensions.dblink_exec('claim_b', $$set local statement_timeout = '10s'$$);
  perform extensions.dblink_send_query('claim_a', format(
    $$select id from provider_tokens.claim_due_connections(10, 60, %L, 300)$$, v_owner_a));
  perform extensions.dblink_send_query('claim_b', format(
    $$select id from provider_tokens.claim_due_connections(10, 60, %L, 300)$$, v_owner_b));
  select array_agg(id) into v_a from extensions.dblink_get_result('claim_a') as t (id uuid);
  select array_agg(id) into v_b from extensions.dblink_get_result('claim_b') as t (id uuid);
  perform * from extensions.dblink_get_result('claim_a') as t (id uuid);
  perform * from extensions.dblink_get_result('claim_b') as t (id uuid);

  return next is(cardinality(v_a), 10, 'concurrent claims: session A gets a full batch of 10');
  return next is(cardinality(v_b), 10, 'concurrent claims: session B gets a full batch of 10');
  return next is(
    (select count(*)::int from unnest(v_a) as a (id) join unnest(v_b) as b (id) using (id)),
    0, 'two sessions claiming at the same moment never get the same row');
  return next set_eq(
    format('select unnest(%L::uuid[])', v_a || v_b), format('select unnest(%L::uuid[])', v_ours),
    'between them they claimed exactly the 20 due rows');
  perform extensions.dblink_exec('claim_a', 'rollback');
  perform extensions.dblink_exec('claim_b', 'rollback');

  -- Round 2: A claims all 20 and keeps its transaction (and row locks) open; B claims meanwhile: it must
  -- neither wait for A nor get A's rows. Then A commits its leases; B still gets none of them.
  perform extensions.dblink_exec('claim_a', 'begin');
  select array_agg(id) into v_a
  from extensions.dblink('claim_a', format($$select id from provider_tokens.claim_due_connections(20, 60, %L, 300)$$, v_owner_a))
    as t (id uuid);
  v_started := clock_timestamp();
  select array_agg(id) into v_b
  from extensions.dblink('claim_b', format(
    $$select id from provider_tokens.claim_due_connections(20, 60, %L, 300) where id = any (%L::uuid[])$$, v_owner_b, v_ours))
    as t (id uuid);
  v_waited := clock_timestamp() - v_started;
  return next is(cardinality(v_a), 20, 'session A claims the 20 rows and holds their locks');
  return next ok(v_b is null and v_waited < interval '5 seconds',
    format('session B, claiming meanwhile, skips the locked rows without waiting (%s ms)',
      round(extract(epoch from v_waited) * 1000)));
  perform extensions.dblink_exec('claim_a', 'commit');
  select array_agg(id) into v_b
  from extensions.dblink('claim_b', format(
    $$select id from provider_tokens.claim_due_connections(20, 60, %L, 300) where id = any (%L::uuid[])$$, v_owner_b, v_ours))
    as t (id uuid);
  return next ok(v_b is null, 'once A committed, B still claims none of A''s leased rows');
  return next is(
    (select count(*)::int
     from extensions.dblink('claim_b', format(
       $$select id from public.platform_connections where user_id = %L and lease_owner = %L$$, v_user, v_owner_a))
       as t (id uuid)),
    20, 'the committed leases all belong to A');

  perform extensions.dblink_exec('claim_setup', format($$delete from auth.users where id = %L$$, v_user));
  perform extensions.dblink_disconnect('claim_a');
  perform extensions.dblink_disconnect('claim_b');
  perform extensions.dblink_disconnect('claim_setup');
exception when others then
  -- Leave no committed fixture behind, then fail loudly.
  begin
    perform extensions.dblink_exec('claim_setup', format($$delete from auth.users where id = %L$$, v_user));
  exception when others then null;
  end;
  raise;
end
$fn$;

select * from pg_temp.claim_concurrency_tests();

select * from finish();
rollback;
