-- platform_connections: shape, constraints, trigger, indexes, and RLS on every table in public.
begin;
set local search_path = public, extensions, tests;
select plan(44);

-- Isolated from whatever the stack already holds (the transaction rolls back, so nothing is lost).
delete from public.platform_connections;

select has_table('public', 'platform_connections', 'platform_connections exists');
select columns_are('public', 'platform_connections', array[
  'id', 'user_id', 'provider', 'account_id', 'access_token', 'refresh_token', 'encryption_key_id',
  'token_type', 'scopes', 'token_expires_at', 'refresh_token_expires_at', 'status', 'last_sync_status',
  'last_sync_error', 'last_refreshed_at', 'last_validated_at', 'consecutive_failures', 'next_attempt_at',
  'lease_owner', 'lease_expires_at', 'version', 'metadata', 'connected_at', 'updated_at'
], 'platform_connections has exactly the planned columns');
select col_is_pk('public', 'platform_connections', 'id', 'id is the primary key');
select col_type_is('public', 'platform_connections', 'id', 'uuid', 'id is a uuid');
select col_type_is('public', 'platform_connections', 'scopes', 'text[]', 'scopes is text[]');
select col_type_is('public', 'platform_connections', 'version', 'bigint', 'version is bigint');
select col_type_is('public', 'platform_connections', 'lease_owner', 'uuid', 'lease_owner is a uuid');
select fk_ok('public', 'platform_connections', 'user_id', 'auth', 'users', 'id', 'user_id references auth.users');
select col_is_unique('public', 'platform_connections', array['user_id', 'provider', 'account_id'],
  'one row per (user, provider, account)');
select has_index('public', 'platform_connections', 'platform_connections_due_idx', 'the due index exists');
select has_index('public', 'platform_connections', 'platform_connections_user_status_idx', 'the status index exists');
select is(
  (select indpred is not null from pg_index where indexrelid = 'public.platform_connections_due_idx'::regclass)
  and (select indpred is not null from pg_index where indexrelid = 'public.platform_connections_user_status_idx'::regclass),
  true, 'both hot-query indexes are partial');
select has_trigger('public', 'platform_connections', 'platform_connections_before_update', 'the update trigger exists');

-- Every table in public has row level security.
select is(
  (select array_agg(c.relname::text order by c.relname) from pg_class as c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity),
  null, 'row level security is enabled on every table in public');
select is(
  (select reloptions from pg_class where oid = 'public.connection_status'::regclass),
  array['security_invoker=true'], 'connection_status is a security_invoker view');
select is(
  (select c.confdeltype from pg_constraint as c
   where c.conrelid = 'public.platform_connections'::regclass and c.contype = 'f'),
  'c'::"char", 'the user foreign key cascades on delete');

-- Fixtures.
do $$ begin
  perform tests.create_supabase_user('alice');
  perform tests.create_supabase_user('bob');
end $$;

insert into public.platform_connections (user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_expires_at)
values (tests.get_supabase_uid('alice'), 'shopify', 'one.myshopify.com', tests.envelope('access-0001'), tests.envelope('refresh-0001'), 'k1', now() + interval '1 hour');

-- Constraints.
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id, status)
    values (tests.get_supabase_uid('alice'), 'spotify', tests.envelope('access-0002'), 'k1', 'active')$$,
  '23514', null, 'a status outside the contract''s list is rejected');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id)
    values (tests.get_supabase_uid('alice'), 'myspace', tests.envelope('access-0002'), 'k1')$$,
  '23514', null, 'an unknown provider id is rejected');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, account_id, access_token, encryption_key_id)
    values (tests.get_supabase_uid('alice'), 'shopify', 'one.myshopify.com', tests.envelope('access-0003'), 'k1')$$,
  '23505', null, 'a duplicate (user, provider, account) is rejected');
select lives_ok(
  $$insert into public.platform_connections (user_id, provider, account_id, access_token, encryption_key_id)
    values (tests.get_supabase_uid('alice'), 'shopify', 'two.myshopify.com', tests.envelope('access-0004'), 'k1')$$,
  'the same user can connect a second shop');
select lives_ok(
  $$insert into public.platform_connections (user_id, provider, account_id, access_token, encryption_key_id)
    values (tests.get_supabase_uid('bob'), 'shopify', 'one.myshopify.com', tests.envelope('access-0005'), 'k1')$$,
  'another user can connect the same shop');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token)
    values (tests.get_supabase_uid('bob'), 'github', tests.envelope('access-0006'))$$,
  '23514', null, 'ciphertext without its key id is rejected');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id)
    values (tests.get_supabase_uid('bob'), 'google', 'ya29.a0AfH6SMBx3kQ9fakeplaintexttoken', 'k1')$$,
  '23514', null, 'a plaintext access token (not an envelope) is rejected');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, refresh_token, encryption_key_id)
    values (tests.get_supabase_uid('bob'), 'github', tests.envelope('access-0014'),
            'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl', 'k1')$$,
  '23514', null, 'a plaintext refresh token (here a JWT) is rejected');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id)
    values (tests.get_supabase_uid('bob'), 'github', tests.envelope('access-0015', 'k2'), 'k1')$$,
  '23514', null, 'encryption_key_id must name the key of the envelopes');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, refresh_token, encryption_key_id)
    values (tests.get_supabase_uid('bob'), 'github', tests.envelope('access-0016', 'k2'), tests.envelope('refresh-0016', 'k1'), 'k2')$$,
  '23514', null, 'both envelopes of a row use the same key');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, status)
    values (tests.get_supabase_uid('bob'), 'github', 'connected')$$,
  '23514', null, 'a connected row without an access token is rejected');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id, consecutive_failures)
    values (tests.get_supabase_uid('bob'), 'twitch', tests.envelope('access-0007'), 'k1', -1)$$,
  '23514', null, 'a negative failure counter is rejected');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id, last_sync_error)
    values (tests.get_supabase_uid('bob'), 'twitch', tests.envelope('access-0008'), 'k1', repeat('x', 501))$$,
  '23514', null, 'an over-long last_sync_error is rejected');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id, lease_owner)
    values (tests.get_supabase_uid('bob'), 'twitch', tests.envelope('access-0009'), 'k1', gen_random_uuid())$$,
  '23514', null, 'a lease owner without a lease expiry is rejected');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id, metadata)
    values (tests.get_supabase_uid('bob'), 'twitch', tests.envelope('access-0010'), 'k1', '[1]')$$,
  '23514', null, 'metadata must be a JSON object');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id, scopes)
    values (tests.get_supabase_uid('bob'), 'twitch', tests.envelope('access-0011'), 'k1', array['read', null])$$,
  '23514', null, 'a null scope is rejected');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id)
    values (gen_random_uuid(), 'twitch', tests.envelope('access-0012'), 'k1')$$,
  '23503', null, 'a connection of a user that does not exist is rejected');

-- Trigger: updated_at, and version bumps only for tokens/status/identity.
update public.platform_connections set updated_at = '2000-01-01', last_sync_status = 'ok'
where account_id = 'one.myshopify.com' and user_id = tests.get_supabase_uid('alice');
select is(
  (select (version, updated_at = now()) from public.platform_connections
   where account_id = 'one.myshopify.com' and user_id = tests.get_supabase_uid('alice')),
  (1::bigint, true),
  'a bookkeeping update sets updated_at and keeps the version');
update public.platform_connections set lease_owner = gen_random_uuid(), lease_expires_at = now() + interval '1 minute'
where account_id = 'one.myshopify.com' and user_id = tests.get_supabase_uid('alice');
select is(
  (select version from public.platform_connections where account_id = 'one.myshopify.com' and user_id = tests.get_supabase_uid('alice')),
  1::bigint, 'taking a lease does not bump the version');
update public.platform_connections set access_token = tests.envelope('access-new1')
where account_id = 'one.myshopify.com' and user_id = tests.get_supabase_uid('alice');
select is(
  (select version from public.platform_connections where account_id = 'one.myshopify.com' and user_id = tests.get_supabase_uid('alice')),
  2::bigint, 'changing a token bumps the version');
update public.platform_connections set status = 'disconnected'
where account_id = 'one.myshopify.com' and user_id = tests.get_supabase_uid('alice');
select is(
  (select version from public.platform_connections where account_id = 'one.myshopify.com' and user_id = tests.get_supabase_uid('alice')),
  3::bigint, 'changing the status bumps the version');
update public.platform_connections set version = 100
where account_id = 'one.myshopify.com' and user_id = tests.get_supabase_uid('alice');
select is(
  (select version from public.platform_connections where account_id = 'one.myshopify.com' and user_id = tests.get_supabase_uid('alice')),
  3::bigint, 'version cannot be set by hand');

select is(
  (select (account_id, token_type, scopes, metadata, status, consecutive_failures)
   from public.platform_connections where provider = 'shopify' and account_id = 'two.myshopify.com'),
  ('two.myshopify.com'::text, 'bearer'::text, '{}'::text[], '{}'::jsonb, 'connected'::text, 0),
  'defaults: bearer, no scopes, empty metadata, connected, no failures');

select is(
  (select account_id from public.platform_connections where provider = 'shopify' and user_id = tests.get_supabase_uid('bob')),
  'one.myshopify.com', 'account_id keeps the account given');
insert into public.platform_connections (user_id, provider, access_token, encryption_key_id)
values (tests.get_supabase_uid('bob'), 'google', tests.envelope('access-0013'), 'k1');
select is(
  (select account_id from public.platform_connections where provider = 'google' and user_id = tests.get_supabase_uid('bob')),
  '', 'account_id defaults to the empty string');

-- Deleting a user deletes their connections.
delete from auth.users where id = tests.get_supabase_uid('bob');
select is(
  (select count(*)::int from public.platform_connections as c
   where not exists (select 1 from auth.users as u where u.id = c.user_id)),
  0, 'deleting a user deletes their connections');
select is(
  (select count(*)::int from public.platform_connections where user_id = tests.get_supabase_uid('alice')),
  2, 'the other user''s connections stay');

select is(
  obj_description('public.platform_connections'::regclass, 'pg_class') is not null
  and obj_description('provider_tokens.claim_due_connections(integer, integer, uuid, integer, integer, integer)'::regprocedure, 'pg_proc') is not null,
  true, 'tables and functions carry comments');

select * from finish();
rollback;
