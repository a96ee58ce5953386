-- save_refreshed_tokens with its two trailing arguments: the success audit row (p_log_duration_ms) and the
-- keep-alive date (p_keepalive_at) are written with a successful save only, follow schedule_keepalive's
-- conditions, and never make the save fail. Who may call it: service_role only.
begin;
set local search_path = public, extensions, tests;
select plan(34);
-- The function reports a guarded failure as a warning; the tests below cause three on purpose.
set local client_min_messages = error;

delete from public.platform_connections;

do $$ begin
  perform tests.create_supabase_user('owner');
  perform tests.create_supabase_user('stranger');
end $$;

-- Xero: refresh tokens die after 60 days unused, so its refreshes carry a keep-alive date.
insert into public.platform_connections (id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_expires_at)
values ('34000000-0000-0000-0000-000000000001', tests.get_supabase_uid('owner'), 'xero', 'tenant-1',
        tests.envelope('access-0'), tests.envelope('refresh-0'), 'k1', now() + interval '1 minute');

-- The connection's refresh audit rows (read as postgres, whatever role the test plays).
create function pg_temp.refresh_audits()
returns bigint
language sql
as $$
  select count(*) from public.token_audit_log
  where connection_id = '34000000-0000-0000-0000-000000000001' and action = 'refresh'
$$;
-- Leases the connection to owner A and returns the version it read.
create function pg_temp.lease()
returns bigint
language sql
as $$
  select version from provider_tokens.acquire_refresh_lease('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 60)
$$;

select is(to_regprocedure('provider_tokens.save_refreshed_tokens(uuid, uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text, jsonb)'),
  null, 'the eleven-argument signature is gone (no ambiguous overload)');
select is(pg_temp.lease(), 1::bigint, 'A holds the lease at version 1');

-- Refused at the door for every role but service_role.
select tests.clear_authentication();
select throws_ok(
  $$select provider_tokens.save_refreshed_tokens('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 1,
    tests.envelope('access-x'), tests.envelope('refresh-x'), 'k1', now() + interval '30 days', null, null, null, null, 10, now() + interval '7 days')$$,
  '42501', 'permission denied for schema provider_tokens', 'anon cannot save');
select tests.authenticate_as('owner');
select throws_ok(
  $$select provider_tokens.save_refreshed_tokens('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 1,
    tests.envelope('access-x'), tests.envelope('refresh-x'), 'k1', now() + interval '30 days', null, null, null, null, 10, now() + interval '7 days')$$,
  '42501', 'permission denied for schema provider_tokens', 'the connection''s owner cannot save');
select tests.authenticate_as('stranger');
select throws_ok(
  $$select provider_tokens.save_refreshed_tokens('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 1,
    tests.envelope('access-x'), tests.envelope('refresh-x'), 'k1', now() + interval '30 days', null, null, null, null, 10, now() + interval '7 days')$$,
  '42501', 'permission denied for schema provider_tokens', 'another user cannot save');
reset role;
select is((select (access_token, version, lease_owner) from public.platform_connections where id = '34000000-0000-0000-0000-000000000001'),
  (tests.envelope('access-0')::text, 1::bigint, '00000000-0000-0000-0000-00000000000a'::uuid), 'the refused calls changed nothing');
select is(pg_temp.refresh_audits(), 0::bigint, 'and wrote no audit row');

-- A lost compare-and-set writes neither the audit row nor the keep-alive date.
select tests.authenticate_as_service_role();
select is(
  provider_tokens.save_refreshed_tokens('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b', 1,
    tests.envelope('access-x'), tests.envelope('refresh-x'), 'k1', now() + interval '30 days', null, null, null, null, 10, now() + interval '7 days'),
  false, 'another owner loses the compare-and-set');
select is(
  provider_tokens.save_refreshed_tokens('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 0,
    tests.envelope('access-x'), tests.envelope('refresh-x'), 'k1', now() + interval '30 days', null, null, null, null, 10, now() + interval '7 days'),
  false, 'a stale version loses the compare-and-set');
reset role;
select is((select (access_token, version, next_attempt_at, lease_owner) from public.platform_connections where id = '34000000-0000-0000-0000-000000000001'),
  (tests.envelope('access-0')::text, 1::bigint, null::timestamptz, '00000000-0000-0000-0000-00000000000a'::uuid),
  'a lost compare-and-set changes nothing: no token, no keep-alive date, the lease still A''s');
select is(pg_temp.refresh_audits(), 0::bigint, 'a lost compare-and-set writes no audit row');

-- service_role saves: the tokens, the audit row and the keep-alive date in one statement.
select tests.authenticate_as_service_role();
select is(
  provider_tokens.save_refreshed_tokens('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 1,
    tests.envelope('access-1'), tests.envelope('refresh-1'), 'k1', now() + interval '30 days', null, null, null, null, 120, now() + interval '7 days'),
  true, 'service_role saves as the lease owner');
reset role;
select is((select (access_token, refresh_token, version, lease_owner, status) from public.platform_connections where id = '34000000-0000-0000-0000-000000000001'),
  (tests.envelope('access-1')::text, tests.envelope('refresh-1')::text, 2::bigint, null::uuid, 'connected'::text),
  'the tokens are stored, the version bumped, the lease released');
select is(
  (select array_agg((connection_id, user_id, provider, action, outcome, http_status, error_code, duration_ms)::text) from public.token_audit_log
   where connection_id = '34000000-0000-0000-0000-000000000001'),
  array[('34000000-0000-0000-0000-000000000001'::uuid, tests.get_supabase_uid('owner'), 'xero'::text, 'refresh'::text, 'success'::text,
         null::integer, null::text, 120)::text],
  'one success audit row, with the connection''s user and provider and the duration');
select is((select next_attempt_at from public.platform_connections where id = '34000000-0000-0000-0000-000000000001'),
  now() + interval '7 days', 'the keep-alive date is set');

-- Without the new arguments: the save of before, nothing more.
select is(pg_temp.lease(), 2::bigint, 'A leases it again at version 2');
select is(
  provider_tokens.save_refreshed_tokens('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 2,
    tests.envelope('access-2'), null, 'k1', now() + interval '30 days'),
  true, 'a save without the new arguments');
select is(pg_temp.refresh_audits(), 1::bigint, 'writes no audit row');
select is((select next_attempt_at from public.platform_connections where id = '34000000-0000-0000-0000-000000000001'),
  null::timestamptz, 'and no keep-alive date (the save resets next_attempt_at)');

-- The keep-alive date follows schedule_keepalive: never on or after the new token's expiry.
select is(pg_temp.lease(), 3::bigint, 'A leases it at version 3');
select is(
  provider_tokens.save_refreshed_tokens('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 3,
    tests.envelope('access-3'), null, 'k1', now() + interval '1 hour', null, null, null, null, 50, now() + interval '7 days'),
  true, 'a save whose token expires before the keep-alive date');
select is((select (next_attempt_at, token_expires_at) from public.platform_connections where id = '34000000-0000-0000-0000-000000000001'),
  (null::timestamptz, now() + interval '1 hour'), 'no keep-alive date after the token''s own expiry');
select is(pg_temp.refresh_audits(), 2::bigint, 'its audit row is written');

-- An audit insert that fails does not fail the save; the keep-alive date is still set.
create function tests.refuse_audit() returns trigger language plpgsql set search_path = '' as $$
begin
  raise exception 'audit refused';
end
$$;
create trigger refuse_audit before insert on public.token_audit_log for each row execute function tests.refuse_audit();
select is(pg_temp.lease(), 4::bigint, 'A leases it at version 4');
select tests.authenticate_as_service_role();
select is(
  provider_tokens.save_refreshed_tokens('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 4,
    tests.envelope('access-4'), tests.envelope('refresh-4'), 'k1', now() + interval '30 days', null, null, null, null, 70, now() + interval '7 days'),
  true, 'the save succeeds although the audit insert fails');
reset role;
select is((select (access_token, refresh_token, version, next_attempt_at) from public.platform_connections where id = '34000000-0000-0000-0000-000000000001'),
  (tests.envelope('access-4')::text, tests.envelope('refresh-4')::text, 5::bigint, now() + interval '7 days'),
  'the rotated refresh token is stored and the keep-alive date set');
select is(pg_temp.refresh_audits(), 2::bigint, 'the failed audit row was rolled back alone');
drop trigger refuse_audit on public.token_audit_log;

-- An audit row that breaks a check (a negative duration) does not fail the save either.
select is(pg_temp.lease(), 5::bigint, 'A leases it at version 5');
select is(
  provider_tokens.save_refreshed_tokens('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 5,
    tests.envelope('access-5'), null, 'k1', now() + interval '30 days', null, null, null, null, -1, null),
  true, 'the save succeeds although the audit row violates a check');
select is(pg_temp.refresh_audits(), 2::bigint, 'and no audit row is written for it');

-- A keep-alive update that fails does not fail the save; the audit row is still written.
create function tests.refuse_keepalive() returns trigger language plpgsql set search_path = '' as $$
begin
  raise exception 'keep-alive refused';
end
$$;
-- Only the keep-alive's update: the save's own update runs while the lease is still held.
create trigger refuse_keepalive before update on public.platform_connections for each row
  when (old.lease_owner is null and new.next_attempt_at is not null) execute function tests.refuse_keepalive();
select is(pg_temp.lease(), 6::bigint, 'A leases it at version 6');
select is(
  provider_tokens.save_refreshed_tokens('34000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 6,
    tests.envelope('access-6'), tests.envelope('refresh-6'), 'k1', now() + interval '30 days', null, null, null, null, 90, now() + interval '7 days'),
  true, 'the save succeeds although the keep-alive update fails');
select is((select (access_token, refresh_token, next_attempt_at) from public.platform_connections where id = '34000000-0000-0000-0000-000000000001'),
  (tests.envelope('access-6')::text, tests.envelope('refresh-6')::text, null::timestamptz), 'the tokens are stored, without a keep-alive date');
select is(pg_temp.refresh_audits(), 3::bigint, 'and the audit row is written');
drop trigger refuse_keepalive on public.platform_connections;

select * from finish();
rollback;
