-- token_audit_log, token_access_counters, and the retention job.
begin;
set local search_path = public, extensions, tests;
select plan(35);

do $$ begin
  perform tests.create_supabase_user('alice');
end $$;

insert into public.platform_connections (id, user_id, provider, access_token, refresh_token, encryption_key_id)
values
  ('30000000-0000-0000-0000-000000000001', tests.get_supabase_uid('alice'), 'twitch', tests.envelope('access-twitch'), tests.envelope('refresh-twitch'), 'k1'),
  ('30000000-0000-0000-0000-000000000002', tests.get_supabase_uid('alice'), 'reddit', tests.envelope('access-reddit'), tests.envelope('refresh-reddit'), 'k1');

select has_table('public', 'token_audit_log', 'token_audit_log exists');
select columns_are('public', 'token_audit_log', array[
  'id', 'connection_id', 'user_id', 'provider', 'action', 'outcome', 'http_status', 'error_code', 'duration_ms', 'created_at'
], 'token_audit_log has exactly the planned columns (no free-text message)');
select has_table('public', 'token_access_counters', 'token_access_counters exists');
select has_index('public', 'token_audit_log', 'token_audit_log_connection_created_idx', array['connection_id', 'created_at'],
  'audit log indexed by connection, newest first');
select is(
  (select am.amname::text from pg_class as c join pg_am as am on am.oid = c.relam
   where c.oid = 'public.token_audit_log_created_brin_idx'::regclass),
  'brin', 'audit log has a BRIN index on created_at for time ranges');
select policies_are('public', 'token_audit_log', array[]::name[], 'token_audit_log has no policy');
select policies_are('public', 'token_access_counters', array[]::name[], 'token_access_counters has no policy');

-- log_token_event and the constraints.
select isnt(
  provider_tokens.log_token_event('30000000-0000-0000-0000-000000000001', 'refresh', 'success', 200, null, 143),
  null, 'log_token_event returns the new row id');
select is(
  (select (user_id, provider, action, outcome, http_status, duration_ms) from public.token_audit_log
   where connection_id = '30000000-0000-0000-0000-000000000001'),
  (tests.get_supabase_uid('alice'), 'twitch'::text, 'refresh'::text, 'success'::text, 200, 143),
  'user and provider are taken from the connection');
select lives_ok(
  $$select provider_tokens.log_token_event(null, 'connect', 'failure', 400, 'invalid_state', 3, null, 'github')$$,
  'an event without a connection (a callback with a bad state) is logged');
select throws_ok($$select provider_tokens.log_token_event(null, 'delete', 'success')$$, '23514', null, 'an unknown action is rejected');
select throws_ok($$select provider_tokens.log_token_event(null, 'refresh', 'ok')$$, '23514', null, 'an unknown outcome is rejected');
select throws_ok($$select provider_tokens.log_token_event(null, 'refresh', 'failure', 700)$$, '23514', null, 'an impossible HTTP status is rejected');
select throws_ok($$select provider_tokens.log_token_event(null, 'refresh', 'failure', 400, 'Bearer ya29.secret')$$, '23514', null,
  'an error code is a snake_case code, not free text');
select throws_ok($$select provider_tokens.log_token_event(null, 'refresh', 'failure', null, null, -1)$$, '23514', null, 'a negative duration is rejected');

-- Access counters: one row per connection per hour.
do $$ begin
  perform provider_tokens.record_token_access('30000000-0000-0000-0000-000000000001');
  perform provider_tokens.record_token_access('30000000-0000-0000-0000-000000000001');
  perform provider_tokens.record_token_access('30000000-0000-0000-0000-000000000001', 5);
end $$;
select is(
  (select array_agg((bucket_start, reads)::text) from public.token_access_counters where connection_id = '30000000-0000-0000-0000-000000000001'),
  array[(date_trunc('hour', now(), 'UTC'), 7::bigint)::text],
  'reads of the same hour add up in one counter row');

-- Connections go, their audit rows stay (connection_id set null), their counters go.
delete from public.platform_connections where id = '30000000-0000-0000-0000-000000000001';
select is(
  (select count(*)::int from public.token_audit_log where user_id = tests.get_supabase_uid('alice') and connection_id is null and provider = 'twitch'),
  1, 'deleting a connection keeps its audit rows, with connection_id set null');
select is(
  (select count(*)::int from public.token_access_counters where connection_id = '30000000-0000-0000-0000-000000000001'),
  0, 'deleting a connection deletes its counters');

-- Retention.
select results_eq(
  $$select schedule, command, active from cron.job where jobname = 'purge-token-audit-log'$$,
  $$values ('17 3 * * *'::text, 'select provider_tokens.purge_token_audit_log()'::text, true)$$,
  'the pg_cron job purge-token-audit-log runs the purge daily');
insert into public.token_audit_log (connection_id, user_id, provider, action, outcome, created_at) values
  ('30000000-0000-0000-0000-000000000002', tests.get_supabase_uid('alice'), 'reddit', 'get_token', 'failure', now() - interval '31 days'),
  ('30000000-0000-0000-0000-000000000002', tests.get_supabase_uid('alice'), 'reddit', 'get_token', 'failure', now() - interval '29 days');
insert into public.token_access_counters (connection_id, bucket_start, reads) values
  ('30000000-0000-0000-0000-000000000002', date_trunc('hour', now() - interval '31 days', 'UTC'), 10),
  ('30000000-0000-0000-0000-000000000002', date_trunc('hour', now() - interval '29 days', 'UTC'), 10);
select throws_ok(
  $$insert into public.token_access_counters (connection_id, bucket_start, reads)
    values ('30000000-0000-0000-0000-000000000002', date_trunc('hour', now(), 'UTC') + interval '1 minute', 1)$$,
  '23514', null, 'a counter bucket starts on the hour');
select is(provider_tokens.purge_token_audit_log() >= 2, true, 'the purge reports what it deleted');
select results_eq(
  $$select created_at from public.token_audit_log where connection_id = '30000000-0000-0000-0000-000000000002'$$,
  $$values (now() - interval '29 days')$$,
  'audit rows older than 30 days are purged, younger ones kept');
select results_eq(
  $$select bucket_start from public.token_access_counters where connection_id = '30000000-0000-0000-0000-000000000002'$$,
  $$values (date_trunc('hour', now() - interval '29 days', 'UTC'))$$,
  'counters older than 30 days are purged, younger ones kept');
select throws_ok($$select provider_tokens.purge_token_audit_log(interval '1 minute')$$, '22023', null,
  'a retention under a day is refused');

-- Invisible to users.
select tests.clear_authentication();
select throws_ok($$select count(*) from public.token_audit_log$$, '42501', null, 'anon cannot read the audit log');
select throws_ok($$select count(*) from public.token_access_counters$$, '42501', null, 'anon cannot read the counters');
select tests.authenticate_as('alice');
select throws_ok($$select count(*) from public.token_audit_log$$, '42501', null, 'alice cannot read the audit log, not even her own rows');
select throws_ok($$select count(*) from public.token_access_counters$$, '42501', null, 'alice cannot read the counters');
select throws_ok($$insert into public.token_audit_log (action, outcome) values ('refresh', 'success')$$, '42501', null,
  'alice cannot write the audit log');
select throws_ok($$select provider_tokens.log_token_event(null, 'refresh', 'success')$$, '42501', null, 'alice cannot call log_token_event');
select throws_ok($$select provider_tokens.record_token_access('30000000-0000-0000-0000-000000000002')$$, '42501', null,
  'alice cannot call record_token_access');
select throws_ok($$select provider_tokens.purge_token_audit_log()$$, '42501', null, 'alice cannot call the purge');
select tests.authenticate_as_service_role();
select results_eq(
  $$select count(*)::int from public.token_audit_log where user_id = tests.get_supabase_uid('alice')$$,
  array[2], 'service_role reads the audit log');
select throws_ok($$update public.token_audit_log set outcome = 'success'$$, '42501', null,
  'service_role cannot rewrite audit rows (append-only)');
select lives_ok($$select provider_tokens.record_token_access('30000000-0000-0000-0000-000000000002')$$,
  'service_role can count a read');

select * from finish();
rollback;
