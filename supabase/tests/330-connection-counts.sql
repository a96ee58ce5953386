-- connection_counts: kept by the triggers on platform_connections (insert, update, delete, truncate),
-- readable by service_role only, and the lapsed-token count token-health runs is a scan of its index.
begin;
set local search_path = public, extensions, tests;
select plan(16);

do $$ begin perform tests.create_supabase_user('alice'); end $$;

select has_table('public', 'connection_counts', 'connection_counts exists');
select is((select relrowsecurity from pg_class where oid = 'public.connection_counts'::regclass), true, 'row level security is on');
select policies_are('public', 'connection_counts', array[]::name[], 'connection_counts has no policy: only service_role and the owner see it');

create temp view counted as
  select provider, status, retrying, encryption_key_id, sum(n)::int as n from public.connection_counts
  where provider = 'twitch' group by 1, 2, 3, 4 having sum(n) <> 0;
grant select on counted to service_role;
delete from public.platform_connections where provider = 'twitch';
select is((select count(*)::int from counted), 0, 'no twitch connection, no twitch count');

insert into public.platform_connections (user_id, provider, account_id, access_token, encryption_key_id, status)
select tests.get_supabase_uid('alice'), 'twitch', 'a' || g, tests.envelope('cc' || g), 'k1', 'connected'
from generate_series(1, 3) as g;
select results_eq($$select status, retrying, encryption_key_id, n from counted order by 1, 2, 3$$,
  $$values ('connected'::text, false, 'k1'::text, 3)$$, 'an insert of three rows counts three');

update public.platform_connections set status = 'needs_reauth' where provider = 'twitch' and account_id = 'a1';
update public.platform_connections set consecutive_failures = 2, next_attempt_at = now() + interval '1 minute'
where provider = 'twitch' and account_id = 'a2';
select results_eq($$select status, retrying, encryption_key_id, n from counted order by 1, 2, 3$$,
  $$values ('connected'::text, false, 'k1'::text, 1), ('connected', true, 'k1', 1), ('needs_reauth', false, 'k1', 1)$$,
  'a status change and a failure move one count each');

update public.platform_connections set access_token = null, encryption_key_id = null, status = 'disconnected'
where provider = 'twitch' and account_id = 'a3';
select results_eq($$select status, retrying, encryption_key_id, n from counted order by 1, 2, 3$$,
  $$values ('connected'::text, true, 'k1'::text, 1), ('disconnected', false, '', 1), ('needs_reauth', false, 'k1', 1)$$,
  'a row without ciphertext counts under the key id ''''');

create temp table counter_versions on commit drop as
  select array_agg(ctid::text order by ctid) as v from public.connection_counts where provider = 'twitch';
update public.platform_connections
set token_expires_at = now() + interval '1 hour', lease_owner = gen_random_uuid(), lease_expires_at = now() + interval '1 minute'
where provider = 'twitch';
select is((select array_agg(ctid::text order by ctid) from public.connection_counts where provider = 'twitch'),
  (select v from counter_versions), 'an update that changes no counted column writes no counter');

savepoint before_delete;
delete from public.platform_connections where provider = 'twitch' and account_id = 'a1';
select is((select count(*)::int from counted where status = 'needs_reauth'), 0, 'a delete takes its row out');
rollback to savepoint before_delete;
select is((select n from counted where status = 'needs_reauth'), 1, 'a rolled-back delete leaves the count as it was');

-- The lapsed-token count token-health runs (token-health.ts) reads the expiry index, not every row.
create function pg_temp.plan_of(p_sql text) returns text
language plpgsql as $$
declare
  v_plan json;
begin
  execute 'explain (format json) ' || p_sql into v_plan;
  return v_plan::text;
end
$$;
set local enable_seqscan = off;
select matches(
  pg_temp.plan_of($q$select provider, count(*)::int as n from public.platform_connections
    where status <> 'disconnected' and token_expires_at < now() group by provider$q$),
  '"Index Name": "platform_connections_expiry_idx"',
  'lapsed tokens are counted through platform_connections_expiry_idx');
reset enable_seqscan;

-- anon
select tests.clear_authentication();
select throws_ok($$select count(*) from public.connection_counts$$, '42501', null, 'anon cannot read connection_counts');
select throws_ok($$select public.platform_connections_count_truncate()$$, '42501', null, 'anon cannot run the trigger functions');
-- authenticated
select tests.authenticate_as('alice');
select throws_ok($$select count(*) from public.connection_counts$$, '42501', null, 'authenticated cannot read connection_counts');
select throws_ok($$update public.connection_counts set n = n + 1$$, '42501', null, 'authenticated cannot write connection_counts');
-- service_role
select tests.authenticate_as_service_role();
select is((select sum(n)::int from public.connection_counts where provider = 'twitch'), 3, 'service_role reads the counts');
reset role;

select * from finish();
rollback;
