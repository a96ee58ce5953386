-- The schedule's fan-out: the job's command, the partition count from Vault, and who may call what.
begin;
set local search_path = public, extensions, tests;
select plan(11);

select results_eq(
  $$select schedule, command, active from cron.job where jobname = 'refresh-expiring-tokens'$$,
  $$values ('* * * * *'::text, 'select provider_tokens.request_refresh_runs()'::text, true)$$,
  'refresh-expiring-tokens runs request_refresh_runs every minute');

delete from vault.secrets where name = 'refresh_partitions';
select is(provider_tokens.refresh_partitions(), 4, 'without the Vault secret refresh_partitions the count is 4');
do $$ begin perform vault.create_secret(' 12 ', 'refresh_partitions'); end $$;
select is(provider_tokens.refresh_partitions(), 12, 'the Vault secret refresh_partitions sets the count');
do $$ begin perform vault.update_secret((select id from vault.secrets where name = 'refresh_partitions'), 'twelve'); end $$;
select throws_ok($$select provider_tokens.refresh_partitions()$$, '22023',
  'the Vault secret refresh_partitions must be an integer from 1 to 256', 'a count that is not a number is refused');
do $$ begin perform vault.update_secret((select id from vault.secrets where name = 'refresh_partitions'), '0'); end $$;
select throws_ok($$select provider_tokens.refresh_partitions()$$, '22023', null, 'zero partitions are refused');
do $$ begin perform vault.update_secret((select id from vault.secrets where name = 'refresh_partitions'), '257'); end $$;
select throws_ok($$select provider_tokens.refresh_partitions()$$, '22023', null, 'more than 256 partitions are refused');

-- Without the project URL the job says what is missing instead of posting to a null URL.
delete from vault.secrets where name = 'refresh_partitions';
delete from vault.secrets where name = 'project_url';
select throws_ok($$select provider_tokens.request_refresh_runs()$$, '55000', null, 'a missing project_url is named, not posted to');

-- Roles.
select tests.clear_authentication();
select throws_ok($$select provider_tokens.request_refresh_runs()$$, '42501', null, 'anon cannot start runs');
select tests.authenticate_as_service_role();
select throws_ok($$select provider_tokens.request_refresh_runs()$$, '42501', null, 'service_role cannot start runs (only the job, as postgres)');
do $$ begin perform tests.create_supabase_user('alice'); end $$;
select tests.authenticate_as('alice');
select throws_ok($$select provider_tokens.request_refresh_runs()$$, '42501', null, 'authenticated cannot start runs');
select throws_ok($$select provider_tokens.refresh_partitions()$$, '42501', null, 'authenticated cannot read the partition count');

select * from finish();
rollback;
