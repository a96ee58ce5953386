-- acquire_refresh_lease / release_refresh_lease: one owner at a time, only the owner releases, an expired
-- lease can be taken over.
begin;
set local search_path = public, extensions, tests;
select plan(22);

-- Isolated from whatever the stack already holds (the transaction rolls back, so nothing is lost).
delete from public.platform_connections;

do $$ begin
  perform tests.create_supabase_user('alice');
end $$;

insert into public.platform_connections (id, user_id, provider, access_token, refresh_token, encryption_key_id, token_expires_at, metadata)
values
  ('10000000-0000-0000-0000-000000000001', tests.get_supabase_uid('alice'), 'google', tests.envelope('access-lease'), tests.envelope('refresh-lease'), 'k1', now() - interval '1 minute', '{"email":"a@example.com"}'),
  ('10000000-0000-0000-0000-000000000002', tests.get_supabase_uid('alice'), 'github', tests.envelope('access-reauth'), null, 'k1', null, '{}');
update public.platform_connections set status = 'needs_reauth' where id = '10000000-0000-0000-0000-000000000002';

-- Owner A takes the lease.
select results_eq(
  $$select id, version, status, access_token, refresh_token, encryption_key_id, lease_expires_at
    from provider_tokens.acquire_refresh_lease('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 60)$$,
  $$values ('10000000-0000-0000-0000-000000000001'::uuid, 1::bigint, 'connected'::text, tests.envelope('access-lease')::text,
            tests.envelope('refresh-lease')::text, 'k1'::text, now() + interval '60 seconds')$$,
  'acquiring a free lease returns the row with its version, state and ciphertexts');
select is(
  (select (lease_owner, lease_expires_at) from public.platform_connections where id = '10000000-0000-0000-0000-000000000001'),
  ('00000000-0000-0000-0000-00000000000a'::uuid, now() + interval '60 seconds'),
  'the lease is recorded with its owner and expiry');

-- Owner B cannot take it, nor release it.
select is_empty(
  $$select * from provider_tokens.acquire_refresh_lease('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b', 60)$$,
  'another owner cannot acquire a live lease');
select is(
  provider_tokens.release_refresh_lease('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b'),
  false, 'another owner cannot release the lease');
select is(
  (select lease_owner from public.platform_connections where id = '10000000-0000-0000-0000-000000000001'),
  '00000000-0000-0000-0000-00000000000a'::uuid, 'the lease still belongs to A');
select is_empty(
  $$select * from provider_tokens.claim_due_connections(10, 60, '00000000-0000-0000-0000-00000000000b', 300)
    where id = '10000000-0000-0000-0000-000000000001'$$,
  'the scheduler does not claim a row under a live lease');

-- A may extend its own lease.
select results_eq(
  $$select lease_expires_at from provider_tokens.acquire_refresh_lease('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 120)$$,
  $$values (now() + interval '120 seconds')$$,
  'the owner re-acquiring extends its lease');

-- Only the owner releases.
select is(
  provider_tokens.release_refresh_lease('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a'),
  true, 'the owner releases the lease');
select is(
  (select (lease_owner, lease_expires_at) from public.platform_connections where id = '10000000-0000-0000-0000-000000000001'),
  (null::uuid, null::timestamptz), 'a released lease leaves no owner and no expiry');
select is(
  provider_tokens.release_refresh_lease('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a'),
  false, 'releasing twice reports false');
select isnt_empty(
  $$select * from provider_tokens.acquire_refresh_lease('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b', 60)$$,
  'after the release, B acquires the lease');

-- An expired lease can be taken over.
update public.platform_connections set lease_expires_at = now() - interval '1 second'
where id = '10000000-0000-0000-0000-000000000001';
select isnt_empty(
  $$select * from provider_tokens.acquire_refresh_lease('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a', 60)$$,
  'an expired lease is taken over by another owner');
select is(
  (select lease_owner from public.platform_connections where id = '10000000-0000-0000-0000-000000000001'),
  '00000000-0000-0000-0000-00000000000a'::uuid, 'the new owner holds it');
select is(
  provider_tokens.release_refresh_lease('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b'),
  false, 'the previous owner can no longer release it');
select is(
  (select version from public.platform_connections where id = '10000000-0000-0000-0000-000000000001'),
  1::bigint, 'leases never bump the version');

-- Any status can be leased (disconnect uses the lease too); the caller reads the status it gets back.
select results_eq(
  $$select status from provider_tokens.acquire_refresh_lease('10000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-00000000000a', 60)$$,
  array['needs_reauth'], 'acquiring returns the current status for the caller to decide');
select is_empty(
  $$select * from provider_tokens.acquire_refresh_lease(gen_random_uuid(), '00000000-0000-0000-0000-00000000000a', 60)$$,
  'acquiring an unknown connection returns nothing');

select throws_ok(
  $$select * from provider_tokens.acquire_refresh_lease('10000000-0000-0000-0000-000000000001', null, 60)$$,
  '22023', null, 'acquiring without an owner is refused');
select throws_ok(
  $$select * from provider_tokens.acquire_refresh_lease('10000000-0000-0000-0000-000000000001', gen_random_uuid(), 3601)$$,
  '22023', null, 'a lease longer than an hour is refused');

-- Who may call them.
select tests.authenticate_as('alice');
select throws_ok(
  $$select * from provider_tokens.acquire_refresh_lease('10000000-0000-0000-0000-000000000001', gen_random_uuid(), 60)$$,
  '42501', null, 'authenticated cannot acquire a lease, even on its own connection');
select tests.clear_authentication();
select throws_ok(
  $$select provider_tokens.release_refresh_lease('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a')$$,
  '42501', null, 'anon cannot release a lease');
select tests.authenticate_as_service_role();
select is(
  provider_tokens.release_refresh_lease('10000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000a'),
  true, 'service_role can release (as the owner)');

select * from finish();
rollback;
