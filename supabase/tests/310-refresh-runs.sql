-- refresh_runs: the shape, who may read and write it (service_role only), and its retention job.
begin;
set local search_path = public, extensions, tests;
select plan(19);

delete from public.refresh_runs;
do $$ begin perform tests.create_supabase_user('alice'); end $$;

select has_table('public', 'refresh_runs', 'refresh_runs exists');
select columns_are('public', 'refresh_runs', array[
  'id', 'started_at', 'finished_at', 'trigger', 'partition', 'partitions', 'claimed', 'refreshed', 'validated', 'failed',
  'needs_reauth', 'skipped', 'duration_ms', 'cpu_ms', 'stopped_by', 'paused_providers', 'broken_providers', 'error_code'
], 'refresh_runs has exactly the planned columns (nothing about users)');
select is((select relrowsecurity from pg_class where oid = 'public.refresh_runs'::regclass), true, 'row level security is on');
select policies_are('public', 'refresh_runs', array[]::name[], 'refresh_runs has no policy: only service_role and the owner see it');
select has_index('public', 'refresh_runs', 'refresh_runs_started_at_idx', array['started_at'], 'runs are indexed by start time');

insert into public.refresh_runs (id, trigger, partition, partitions) values ('40000000-0000-0000-0000-000000000001', 'schedule', 2, 4);
select throws_ok($$insert into public.refresh_runs (id, trigger, partition, partitions) values (gen_random_uuid(), 'schedule', 4, 4)$$,
  '23514', null, 'a partition outside the count is refused');
select throws_ok($$insert into public.refresh_runs (id, trigger) values (gen_random_uuid(), 'cron job')$$,
  '23514', null, 'an unknown trigger is refused');
select throws_ok($$update public.refresh_runs set cpu_ms = -1 where id = '40000000-0000-0000-0000-000000000001'$$,
  '23514', null, 'a negative cpu_ms is refused');
select throws_ok($$update public.refresh_runs set error_code = 'Bearer abc' where id = '40000000-0000-0000-0000-000000000001'$$,
  '23514', null, 'an error code is a snake_case code, not free text');

-- anon
select tests.clear_authentication();
select throws_ok($$select count(*) from public.refresh_runs$$, '42501', null, 'anon cannot read refresh_runs');
select throws_ok($$insert into public.refresh_runs (id, trigger) values (gen_random_uuid(), 'request')$$, '42501', null, 'anon cannot write refresh_runs');
select throws_ok($$select provider_tokens.purge_refresh_runs()$$, '42501', null, 'anon cannot purge');
-- authenticated
select tests.authenticate_as('alice');
select throws_ok($$select count(*) from public.refresh_runs$$, '42501', null, 'authenticated cannot read refresh_runs');
select throws_ok($$delete from public.refresh_runs$$, '42501', null, 'authenticated cannot delete refresh_runs');
-- service_role
select tests.authenticate_as_service_role();
select is((select partition from public.refresh_runs where id = '40000000-0000-0000-0000-000000000001'), 2, 'service_role reads the runs');
select lives_ok($$update public.refresh_runs set finished_at = now(), claimed = 3, cpu_ms = 12, stopped_by = 'drained'
  where id = '40000000-0000-0000-0000-000000000001'$$, 'service_role completes a run');
reset role;

-- Retention.
select results_eq(
  $$select schedule, command, active from cron.job where jobname = 'purge-refresh-runs'$$,
  $$values ('27 3 * * *'::text, 'select provider_tokens.purge_refresh_runs()'::text, true)$$,
  'the pg_cron job purge-refresh-runs runs the purge daily');
insert into public.refresh_runs (id, trigger, started_at) values
  ('40000000-0000-0000-0000-000000000002', 'schedule', now() - interval '8 days'),
  ('40000000-0000-0000-0000-000000000003', 'schedule', now() - interval '6 days');
select is(provider_tokens.purge_refresh_runs(), 1, 'the purge deletes runs older than 7 days, and only those');
select throws_ok($$select provider_tokens.purge_refresh_runs(interval '1 minute')$$, '22023', 'p_retain must be at least 1 hour',
  'a retention under an hour is refused');

select * from finish();
rollback;
