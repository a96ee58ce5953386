-- pending_token_sets: park_refreshed_tokens and apply_parked_tokens (a refreshed set whose save failed),
-- and who may touch them: service_role only.
begin;
set local search_path = public, extensions, tests;
select plan(34);

delete from public.platform_connections;

do $$ begin
  perform tests.create_supabase_user('alice');
end $$;

insert into public.platform_connections (
  id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, status, scopes,
  token_expires_at, consecutive_failures, next_attempt_at, last_sync_status
) values
  ('50000000-0000-0000-0000-000000000001', tests.get_supabase_uid('alice'), 'discord', '', tests.envelope('access-old'), tests.envelope('refresh-old'), 'k1', 'token_expired', '{identify}',
   now() - interval '1 minute', 2, now() - interval '1 second', 'transient'),
  ('50000000-0000-0000-0000-000000000002', tests.get_supabase_uid('alice'), 'twitter', '', tests.envelope('access-x'), tests.envelope('refresh-x'), 'k1', 'connected', '{}',
   now() + interval '1 hour', 0, null, null);

select has_table('public', 'pending_token_sets', 'pending_token_sets exists');
select col_is_pk('public', 'pending_token_sets', 'connection_id', 'one parked set per connection');
select policies_are('public', 'pending_token_sets', array[]::name[], 'pending_token_sets has no policy (RLS on, service_role only)');
select is((select relrowsecurity from pg_class where oid = 'public.pending_token_sets'::regclass), true, 'row level security is on');

-- Parking.
select is(
  provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000001', 1, tests.envelope('access-new'), tests.envelope('refresh-new'), 'k1',
    now() + interval '1 hour', null, '{identify,email}', 'Bearer'),
  true, 'a set based on the current version is parked');
select is(
  (select (based_on_version, access_token, refresh_token, scopes, token_type) from public.pending_token_sets
   where connection_id = '50000000-0000-0000-0000-000000000001'),
  (1::bigint, tests.envelope('access-new')::text, tests.envelope('refresh-new')::text, '{identify,email}'::text[], 'Bearer'::text),
  'the parked set holds the new ciphertexts');
select is(
  (select (access_token, refresh_token, version) from public.platform_connections where id = '50000000-0000-0000-0000-000000000001'),
  (tests.envelope('access-old')::text, tests.envelope('refresh-old')::text, 1::bigint),
  'parking writes nothing to the connection row');
select is(
  provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000001', 1, tests.envelope('access-newer'), tests.envelope('refresh-newer'), 'k1',
    now() + interval '2 hours', null, '{}', 'Bearer'),
  true, 'a newer set replaces the parked one');
select is(
  (select (count(*), max(refresh_token)) from public.pending_token_sets where connection_id = '50000000-0000-0000-0000-000000000001'),
  (1::bigint, tests.envelope('refresh-newer')::text), 'still one set, the newest');
select is(
  provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000001', 7, tests.envelope('access-n'), tests.envelope('refresh-n'), 'k1',
    now() + interval '1 hour', null, '{}', 'Bearer'),
  false, 'a set based on another version is not parked');
select is(
  provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-0000000000ff', 1, tests.envelope('access-n'), tests.envelope('refresh-n'), 'k1',
    now() + interval '1 hour', null, '{}', 'Bearer'),
  false, 'nothing is parked for a connection that does not exist');
select throws_ok(
  $$select provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000002', 1, 'ya29.plaintext-token', tests.envelope('refresh-n'), 'k1',
    now() + interval '1 hour', null, '{}', 'Bearer')$$,
  '23514', null, 'a plaintext token is refused: ciphertext envelopes only');
select throws_ok(
  $$select provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000002', 1, tests.envelope('a'), tests.envelope('r'), 'k2',
    now() + interval '1 hour', null, '{}', 'Bearer')$$,
  '23514', null, 'the key id must be the one in the envelopes');

select is(
  provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000002', 1, 'v1.k1.AAAAAAAAAAAAAAAA.' || repeat('A', 20000), tests.envelope('refresh-big'), 'k1',
    now() + interval '1 hour', null, '{}', 'Bearer'),
  true, 'a set too large for the connection row (20 kB) still parks');
delete from public.pending_token_sets where connection_id = '50000000-0000-0000-0000-000000000002';

-- Applying: only under the lease.
select is(provider_tokens.apply_parked_tokens('50000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a'),
  'not_owner', 'without the lease nothing is applied');
select is(provider_tokens.apply_parked_tokens('50000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000a'),
  'none', 'a connection without a parked set: none');
select isnt((select version from provider_tokens.acquire_refresh_lease('50000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 60)),
  null, 'A takes the lease');
select is(provider_tokens.apply_parked_tokens('50000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a'),
  'applied', 'the lease owner applies the parked set');
select is(
  (select (access_token, refresh_token, status, consecutive_failures, next_attempt_at, last_sync_status, version, lease_owner)
   from public.platform_connections where id = '50000000-0000-0000-0000-000000000001'),
  (tests.envelope('access-newer')::text, tests.envelope('refresh-newer')::text, 'connected'::text, 0, null::timestamptz, 'ok'::text, 2::bigint, null::uuid),
  'the row has the newest tokens, is connected, failures reset, version bumped, lease released');
select is((select count(*)::int from public.pending_token_sets), 0, 'the applied set is gone');

-- A set that the row outgrew (a reconnect or disconnect since) is discarded, never applied.
select is(
  provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000001', 2, tests.envelope('access-p'), tests.envelope('refresh-p'), 'k1',
    now() + interval '1 hour', null, '{}', 'Bearer'),
  true, 'parked again at version 2');
update public.platform_connections set access_token = tests.envelope('access-reconnect'), refresh_token = tests.envelope('refresh-reconnect')
where id = '50000000-0000-0000-0000-000000000001';
select isnt((select version from provider_tokens.acquire_refresh_lease('50000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b', 60)),
  null, 'B takes the lease');
select is(provider_tokens.apply_parked_tokens('50000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b'),
  'stale', 'a set based on an older version is stale');
select is(
  (select (refresh_token, (select count(*) from public.pending_token_sets)) from public.platform_connections where id = '50000000-0000-0000-0000-000000000001'),
  (tests.envelope('refresh-reconnect')::text, 0::bigint), 'the reconnect''s tokens stay; the stale set is deleted');
select is(
  provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000002', 1, tests.envelope('access-x2'), tests.envelope('refresh-x2'), 'k1',
    now() + interval '1 hour', null, '{}', 'Bearer'),
  true, 'parked for the X connection');
update public.platform_connections set status = 'disconnected', access_token = null, refresh_token = null, encryption_key_id = null
where id = '50000000-0000-0000-0000-000000000002';
select is(
  provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000002', 2, tests.envelope('access-x3'), tests.envelope('refresh-x3'), 'k1',
    now() + interval '1 hour', null, '{}', 'Bearer'),
  false, 'nothing parks for a disconnected connection');
delete from public.platform_connections where id = '50000000-0000-0000-0000-000000000002';
select is((select count(*)::int from public.pending_token_sets where connection_id = '50000000-0000-0000-0000-000000000002'), 0,
  'a deleted connection takes its parked set with it');

-- Who may: anon and authenticated nothing, service_role all.
select provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000001', 3, tests.envelope('access-q'), tests.envelope('refresh-q'), 'k1',
  now() + interval '1 hour', null, '{}', 'Bearer');
select tests.clear_authentication();
select throws_ok($$select count(*) from public.pending_token_sets$$, '42501', null, 'anon cannot read parked sets');
select throws_ok($$select provider_tokens.apply_parked_tokens('50000000-0000-0000-0000-000000000001', gen_random_uuid())$$, '42501', null,
  'anon cannot apply');
select tests.authenticate_as('alice');
select throws_ok($$select count(*) from public.pending_token_sets$$, '42501', null, 'alice cannot read parked sets, not even her own');
select throws_ok($$delete from public.pending_token_sets$$, '42501', null, 'alice cannot delete parked sets');
select throws_ok(
  $$select provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000001', 3, tests.envelope('a'), tests.envelope('r'), 'k1', now(), null, '{}', 'Bearer')$$,
  '42501', null, 'alice cannot park a set');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.pending_token_sets), 1, 'service_role reads parked sets');
select is(provider_tokens.apply_parked_tokens('50000000-0000-0000-0000-000000000001', gen_random_uuid()), 'not_owner', 'service_role may call apply');
reset role;

select * from finish();
rollback;
