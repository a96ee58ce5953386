-- save_refreshed_tokens (compare-and-set on lease owner and version), record_refresh_failure and
-- record_token_validated.
begin;
set local search_path = public, extensions, tests;
select plan(53);

-- Isolated from whatever the stack already holds (the transaction rolls back, so nothing is lost).
delete from public.platform_connections;

do $$ begin
  perform tests.create_supabase_user('alice');
end $$;

insert into public.platform_connections (
  id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, status, scopes,
  token_expires_at, refresh_token_expires_at, consecutive_failures, next_attempt_at, last_sync_status,
  last_sync_error, metadata
) values
  ('20000000-0000-0000-0000-000000000001', tests.get_supabase_uid('alice'), 'google', '', tests.envelope('access-old'), tests.envelope('refresh-old'), 'k1', 'token_expired', '{openid,email}',
   now() - interval '1 minute', '2030-01-01', 3, now() - interval '1 minute', 'transient', 'upstream 502', '{"email":"alice@example.com"}'),
  ('20000000-0000-0000-0000-000000000002', tests.get_supabase_uid('alice'), 'spotify', '', tests.envelope('access-spotify'), tests.envelope('refresh-spotify'), 'k1', 'connected', '{}',
   now() + interval '30 minutes', null, 0, null, null, null, '{}'),
  ('20000000-0000-0000-0000-000000000003', tests.get_supabase_uid('alice'), 'xero', 'tenant-1', tests.envelope('access-xero'), tests.envelope('refresh-xero'), 'k1', 'connected', '{}',
   now() - interval '5 minutes', null, 0, null, null, null, '{}'),
  ('20000000-0000-0000-0000-000000000004', tests.get_supabase_uid('alice'), 'discord', '', tests.envelope('access-discord'), tests.envelope('refresh-discord'), 'k1', 'connected', '{}',
   now() + interval '1 day', null, 20, null, null, null, '{}'),
  ('20000000-0000-0000-0000-000000000005', tests.get_supabase_uid('alice'), 'shopify', 'shop.myshopify.com', tests.envelope('access-shopify'), null, 'k1', 'token_expired', '{}',
   null, null, 2, null, 'transient', 'timeout', '{}');

create temp table before_save on commit drop as
select * from public.platform_connections where id = '20000000-0000-0000-0000-000000000001';

-- Not saved without the lease.
select is(
  provider_tokens.save_refreshed_tokens('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 1,
    tests.envelope('access-new1'), null, 'k1', now() + interval '1 hour'),
  false, 'nothing is saved by an owner that holds no lease');

select is((select version from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 60)),
  1::bigint, 'A holds the lease at version 1');
select is(
  provider_tokens.save_refreshed_tokens('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b', 1,
    tests.envelope('access-new1'), tests.envelope('refresh-new1'), 'k1', now() + interval '1 hour'),
  false, 'another owner cannot save, even with the right version');
select is(
  provider_tokens.save_refreshed_tokens('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 0,
    tests.envelope('access-new1'), tests.envelope('refresh-new1'), 'k1', now() + interval '1 hour'),
  false, 'a stale version is rejected, even from the lease owner');
select ok(
  (select (c.access_token, c.refresh_token, c.version, c.status, c.consecutive_failures, c.updated_at, c.lease_owner)
        = (b.access_token, b.refresh_token, b.version, b.status, b.consecutive_failures, b.updated_at, '00000000-0000-0000-0000-00000000000a'::uuid)
   from public.platform_connections as c, before_save as b where c.id = b.id),
  'rejected saves changed nothing and the lease is still A''s');

-- The owner saves; the response had no refresh token (Google never sends one).
select is(
  provider_tokens.save_refreshed_tokens('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 1,
    tests.envelope('access-new1'), null, 'k1', now() + interval '1 hour'),
  true, 'the lease owner saves with the current version');
select is(
  (select refresh_token from public.platform_connections where id = '20000000-0000-0000-0000-000000000001'),
  tests.envelope('refresh-old'), 'a null refresh token keeps the stored one');
select is(
  (select (access_token, token_expires_at, version, status) from public.platform_connections where id = '20000000-0000-0000-0000-000000000001'),
  (tests.envelope('access-new1')::text, now() + interval '1 hour', 2::bigint, 'connected'::text),
  'the new access token and expiry are stored, the version bumped, the status connected');
select is(
  (select (consecutive_failures, next_attempt_at, last_sync_status, last_sync_error, last_refreshed_at)
   from public.platform_connections where id = '20000000-0000-0000-0000-000000000001'),
  (0, null::timestamptz, 'ok'::text, null::text, now()),
  'failures, next attempt and last error are reset; last_refreshed_at set');
select is(
  (select (scopes, refresh_token_expires_at, token_type, metadata) from public.platform_connections where id = '20000000-0000-0000-0000-000000000001'),
  ('{openid,email}'::text[], '2030-01-01'::timestamptz, 'bearer'::text, '{"email":"alice@example.com"}'::jsonb),
  'null scopes, refresh cap, token type and metadata keep the stored values');
select is(
  (select (lease_owner, lease_expires_at) from public.platform_connections where id = '20000000-0000-0000-0000-000000000001'),
  (null::uuid, null::timestamptz), 'saving releases the lease');
select is(
  provider_tokens.save_refreshed_tokens('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 2,
    tests.envelope('access-new2'), null, 'k1', now() + interval '1 hour'),
  false, 'after saving, the lease is gone: a second save needs a new lease');

-- A rotating provider: new refresh token, scopes, metadata.
select is((select version from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b', 60)),
  2::bigint, 'B acquires the lease and reads version 2');
select is(
  provider_tokens.save_refreshed_tokens('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b', 1,
    tests.envelope('access-new2'), tests.envelope('refresh-new2'), 'k1', now() + interval '1 hour'),
  false, 'the version read before the last save is stale');
select is(
  provider_tokens.save_refreshed_tokens('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b', 2,
    tests.envelope('access-new2'), tests.envelope('refresh-new2'), 'k1', now() + interval '2 hours', '2031-01-01',
    '{openid,email,calendar}', 'Bearer', '{"hd":"example.com"}'),
  true, 'B saves at version 2');
select is(
  (select (refresh_token, version, scopes, refresh_token_expires_at, token_type, metadata)
   from public.platform_connections where id = '20000000-0000-0000-0000-000000000001'),
  (tests.envelope('refresh-new2')::text, 3::bigint, '{openid,email,calendar}'::text[], '2031-01-01'::timestamptz, 'Bearer'::text,
   '{"email":"alice@example.com","hd":"example.com"}'::jsonb),
  'a new refresh token replaces the old; scopes, cap and type are replaced; metadata is merged');

-- A writer outside the lease (a disconnect) invalidates the version the lease holder read.
select is((select version from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 60)),
  3::bigint, 'A acquires at version 3');
update public.platform_connections set status = 'disconnected' where id = '20000000-0000-0000-0000-000000000001';
select is(
  provider_tokens.save_refreshed_tokens('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 3,
    tests.envelope('access-new3'), tests.envelope('refresh-new3'), 'k1', now() + interval '1 hour'),
  false, 'a save after a concurrent disconnect is rejected: the disconnect bumped the version');
select is(
  (select (status, refresh_token) from public.platform_connections where id = '20000000-0000-0000-0000-000000000001'),
  ('disconnected'::text, tests.envelope('refresh-new2')::text), 'the disconnect stands');
update public.platform_connections set status = 'connected' where id = '20000000-0000-0000-0000-000000000001';

-- Key rotation: the stored refresh token must be re-encrypted under the new key when it is kept.
select is((select version from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 60)),
  5::bigint, 'A acquires at version 5');
select throws_ok(
  $$select provider_tokens.save_refreshed_tokens('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 5,
    tests.envelope('access-k2-1', 'k2'), null, 'k2', now() + interval '1 hour')$$,
  '22023', null, 'keeping a refresh token encrypted under another key is refused');
select is(
  provider_tokens.save_refreshed_tokens('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 5,
    tests.envelope('access-k2-1', 'k2'), tests.envelope('refresh-k2-1', 'k2'), 'k2', now() + interval '1 hour'),
  true, 'with both tokens under the new key, the save succeeds');
select throws_ok(
  $$select provider_tokens.save_refreshed_tokens('20000000-0000-0000-0000-000000000001', gen_random_uuid(), 1, null, null, 'k1', now())$$,
  '22023', null, 'a save without an access token is refused');

-- record_refresh_failure.
select is(
  provider_tokens.record_refresh_failure('20000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000a', 'rate_limited', 'HTTP 429', now() + interval '10 minutes'),
  false, 'a failure is not recorded by an owner that holds no lease');
select isnt_empty($$select * from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000a', 60)$$,
  'A leases the spotify connection');
select is(
  provider_tokens.record_refresh_failure('20000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000b', 'rate_limited', 'HTTP 429', now() + interval '10 minutes'),
  false, 'another owner cannot record a failure');
select is(
  provider_tokens.record_refresh_failure('20000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000a', 'rate_limited', 'HTTP 429 from the token endpoint', now() + interval '10 minutes'),
  true, 'the owner records a rate limit');
select is(
  (select (status, consecutive_failures, next_attempt_at, last_sync_status, last_sync_error, lease_owner, version)
   from public.platform_connections where id = '20000000-0000-0000-0000-000000000002'),
  ('connected'::text, 1, now() + interval '10 minutes', 'rate_limited'::text, 'HTTP 429 from the token endpoint'::text, null::uuid, 1::bigint),
  'rate limited with a valid access token: stays connected, failures 1, retry at Retry-After, lease released');

select isnt_empty($$select * from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-00000000000a', 60)$$,
  'A leases the xero connection (access token lapsed)');
select is(
  provider_tokens.record_refresh_failure('20000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-00000000000a', 'transient', 'HTTP 503'),
  true, 'the owner records a transient failure without a retry time');
select is(
  (select (status, consecutive_failures, next_attempt_at, version) from public.platform_connections where id = '20000000-0000-0000-0000-000000000003'),
  ('token_expired'::text, 1, now() + interval '30 seconds', 2::bigint),
  'transient with a lapsed access token: token_expired, first backoff 30 s, version bumped');
select isnt_empty($$select * from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-00000000000a', 60)$$,
  'A leases it again');
select is(
  provider_tokens.record_refresh_failure('20000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-00000000000a', 'transient', 'HTTP 503'),
  true, 'a second transient failure');
select is(
  (select (consecutive_failures, next_attempt_at) from public.platform_connections where id = '20000000-0000-0000-0000-000000000003'),
  (2, now() + interval '60 seconds'), 'the backoff doubles');

select isnt_empty($$select * from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-00000000000a', 60)$$,
  'A leases the discord connection (20 failures so far)');
select is(
  provider_tokens.record_refresh_failure('20000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-00000000000a', 'transient', repeat('x', 600)),
  true, 'a failure with an over-long message');
select is(
  (select (next_attempt_at, char_length(last_sync_error)) from public.platform_connections where id = '20000000-0000-0000-0000-000000000004'),
  (now() + interval '1 hour', 500), 'the backoff is capped at an hour; the message is cut to 500 characters');

select isnt_empty($$select * from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-00000000000a', 60)$$,
  'A leases the discord connection again');
select is(
  provider_tokens.record_refresh_failure('20000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-00000000000a', 'reauth_required', 'invalid_grant'),
  true, 'a reauth_required failure');
select is(
  (select (status, next_attempt_at, last_sync_status, consecutive_failures) from public.platform_connections where id = '20000000-0000-0000-0000-000000000004'),
  ('needs_reauth'::text, null::timestamptz, 'reauth_required'::text, 22),
  'reauth_required: needs_reauth, no retry scheduled');

select isnt_empty($$select * from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000a', 60)$$,
  'A leases the spotify connection again');
update public.platform_connections set status = 'disconnected' where id = '20000000-0000-0000-0000-000000000002';
select is(
  provider_tokens.record_refresh_failure('20000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000a', 'misconfigured', 'invalid_client', null, 'connected'),
  true, 'a failure recorded after a concurrent disconnect');
select is(
  (select (status, lease_owner) from public.platform_connections where id = '20000000-0000-0000-0000-000000000002'),
  ('disconnected'::text, null::uuid), 'a failure never revives a disconnected connection, even with p_new_status');

-- Bad client credentials: the provider's fault, the row stays as it is (status, failure count).
select isnt_empty($$select * from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-00000000000c', 60)$$,
  'C leases the xero connection (token_expired, 2 failures)');
select is(
  provider_tokens.record_refresh_failure('20000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-00000000000c', 'client_misconfigured', 'invalid_client', now() + interval '15 minutes'),
  true, 'a client_misconfigured failure');
select is(
  (select (status, consecutive_failures, next_attempt_at, last_sync_status, lease_owner) from public.platform_connections where id = '20000000-0000-0000-0000-000000000003'),
  ('token_expired'::text, 2, now() + interval '15 minutes', 'client_misconfigured'::text, null::uuid),
  'client_misconfigured: status and failure count kept, paused until p_retry_at, lease released');

select throws_ok(
  $$select provider_tokens.record_refresh_failure('20000000-0000-0000-0000-000000000002', gen_random_uuid(), 'Not A Code', null)$$,
  '22023', null, 'an error code that is not snake_case is refused');
select throws_ok(
  $$select provider_tokens.record_refresh_failure('20000000-0000-0000-0000-000000000002', gen_random_uuid(), 'transient', null, null, 'broken')$$,
  '22023', null, 'p_new_status must be a connection status');

-- record_token_validated (a Shopify offline token: no refresh token, no expiry).
select isnt_empty($$select * from provider_tokens.acquire_refresh_lease('20000000-0000-0000-0000-000000000005', '00000000-0000-0000-0000-00000000000a', 60)$$,
  'A leases the shopify connection');
select is(
  provider_tokens.record_token_validated('20000000-0000-0000-0000-000000000005', '00000000-0000-0000-0000-00000000000b', now() + interval '1 day'),
  false, 'another owner cannot record a validation');
select is(
  provider_tokens.record_token_validated('20000000-0000-0000-0000-000000000005', '00000000-0000-0000-0000-00000000000a', now() + interval '1 day'),
  true, 'the owner records a validation');
select is(
  (select (status, last_validated_at, consecutive_failures, next_attempt_at, lease_owner, last_sync_status)
   from public.platform_connections where id = '20000000-0000-0000-0000-000000000005'),
  ('connected'::text, now(), 0, now() + interval '1 day', null::uuid, 'ok'::text),
  'validated: connected, last_validated_at set, failures reset, next check scheduled, lease released');

-- Last, because a claim leases every due row of the fixture.
select is_empty(
  $$select * from provider_tokens.claim_due_connections(100, 60, gen_random_uuid(), 3600) where id = '20000000-0000-0000-0000-000000000003'$$,
  'a connection backing off is not claimed before its retry time, even with a wide window');

select * from finish();
rollback;
