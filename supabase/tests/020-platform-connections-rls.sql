-- platform_connections and connection_status as each role sees them: anon, the owner, a stranger, service_role.
begin;
set local search_path = public, extensions, tests;
select plan(36);

do $$ begin
  perform tests.create_supabase_user('alice');
  perform tests.create_supabase_user('bob');
end $$;

insert into public.platform_connections (user_id, provider, account_id, access_token, refresh_token, encryption_key_id, scopes)
values
  (tests.get_supabase_uid('alice'), 'spotify', '', tests.envelope('alice-access-1'), tests.envelope('alice-refresh-1'), 'k1', '{user-read-email}'),
  (tests.get_supabase_uid('alice'), 'quickbooks', '9130354', tests.envelope('alice-access-2'), tests.envelope('alice-refresh-2'), 'k1', '{}'),
  (tests.get_supabase_uid('bob'), 'spotify', '', tests.envelope('bob-access-1'), tests.envelope('bob-refresh-1'), 'k1', '{}');

-- Declared privileges and policies.
select policies_are('public', 'platform_connections', array['Users can read their own connections'],
  'platform_connections has exactly one policy');
select policy_roles_are('public', 'platform_connections', 'Users can read their own connections', array['authenticated'],
  'the policy applies to authenticated only');
select policy_cmd_is('public', 'platform_connections', 'Users can read their own connections', 'select',
  'the policy is for select only');
select table_privs_are('public', 'platform_connections', 'anon', array[]::text[], 'anon has no privilege on platform_connections');
select table_privs_are('public', 'platform_connections', 'authenticated', array[]::text[],
  'authenticated has no table-wide privilege on platform_connections (column privileges only)');
select table_privs_are('public', 'connection_status', 'anon', array[]::text[], 'anon has no privilege on connection_status');
select table_privs_are('public', 'connection_status', 'authenticated', array['SELECT'], 'authenticated may select connection_status');
select is(
  (select array_agg(col order by col) from unnest(array[
     'access_token', 'refresh_token', 'encryption_key_id', 'lease_owner', 'lease_expires_at', 'version']) as col
   where has_column_privilege('authenticated', 'public.platform_connections', col, 'select')
      or has_column_privilege('anon', 'public.platform_connections', col, 'select')),
  null, 'neither anon nor authenticated may select a token, key or lease column');

-- anon sees nothing.
select tests.clear_authentication();
select throws_ok($$select id from public.platform_connections$$, '42501', null, 'anon cannot select platform_connections');
select throws_ok($$select id from public.connection_status$$, '42501', null, 'anon cannot select connection_status');
select throws_ok($$select access_token from public.platform_connections$$, '42501', null, 'anon cannot select access_token');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id)
    values (tests.get_supabase_uid('alice'), 'github', tests.envelope('anon-access'), 'k1')$$,
  '42501', null, 'anon cannot insert a connection');

-- The owner reads their own rows, without secrets.
select tests.authenticate_as('alice');
select results_eq(
  $$select provider, account_id from public.connection_status order by provider$$,
  $$values ('quickbooks'::text, '9130354'::text), ('spotify', '')$$,
  'alice sees her two connections in connection_status');
select results_eq(
  $$select count(*)::int from public.platform_connections$$, array[2],
  'alice selects only her own rows from platform_connections (non-secret columns)');
select results_eq(
  $$select status, scopes from public.platform_connections where provider = 'spotify'$$,
  $$values ('connected'::text, '{user-read-email}'::text[])$$,
  'alice reads status and scopes of her connection');
select throws_ok($$select access_token from public.platform_connections$$, '42501', null,
  'alice cannot select access_token, even of her own rows');
select throws_ok($$select refresh_token from public.platform_connections where user_id = auth.uid()$$, '42501', null,
  'alice cannot select refresh_token, even of her own rows');
select throws_ok($$select encryption_key_id from public.platform_connections$$, '42501', null,
  'alice cannot select encryption_key_id');
select throws_ok($$select * from public.platform_connections$$, '42501', null,
  'select * from platform_connections is refused to alice');
select throws_ok($$select count(*) from public.platform_connections where access_token is not null$$, '42501', null,
  'alice cannot even filter on access_token');
select throws_ok(
  $$insert into public.platform_connections (user_id, provider, access_token, encryption_key_id)
    values (auth.uid(), 'github', tests.envelope('alice-access-3'), 'k1')$$,
  '42501', null, 'alice cannot insert a connection directly');
select throws_ok($$update public.platform_connections set status = 'connected'$$, '42501', null,
  'alice cannot update her connections directly');
select throws_ok($$delete from public.platform_connections$$, '42501', null,
  'alice cannot delete her connections directly');
select is_empty(
  $$select 1 from public.connection_status where user_id = tests.get_supabase_uid('bob')$$,
  'alice does not see bob''s connection, even asking by user_id');

-- A stranger sees only their own.
select tests.authenticate_as('bob');
select results_eq(
  $$select provider, user_id from public.connection_status$$,
  $$values ('spotify'::text, tests.get_supabase_uid('bob'))$$,
  'bob sees only his own connection');
select is_empty(
  $$select 1 from public.platform_connections where user_id = tests.get_supabase_uid('alice')$$,
  'bob cannot read alice''s rows from platform_connections');
select throws_ok($$select refresh_token from public.connection_status$$, '42703', null,
  'connection_status has no refresh_token column');
select throws_ok($$select access_token from public.platform_connections where user_id = auth.uid()$$, '42501', null,
  'bob cannot select his own access_token either');

-- A forged claim without a sub sees nothing.
set local request.jwt.claims = '{"role":"authenticated"}';
select is_empty($$select 1 from public.connection_status$$, 'authenticated without a sub sees no connection');

-- service_role: everything, tokens included.
select tests.authenticate_as_service_role();
select results_eq(
  $$select count(*)::int from public.platform_connections
    where user_id in (tests.get_supabase_uid('alice'), tests.get_supabase_uid('bob'))$$,
  array[3], 'service_role sees every connection');
select results_eq(
  $$select access_token from public.platform_connections where user_id = tests.get_supabase_uid('bob')$$,
  array[tests.envelope('bob-access-1')], 'service_role reads the ciphertext');
select lives_ok(
  $$update public.platform_connections set last_sync_status = 'ok' where user_id = tests.get_supabase_uid('bob')$$,
  'service_role may update a connection');
select results_eq(
  $$select count(*)::int from public.connection_status where user_id = tests.get_supabase_uid('alice')$$,
  array[2], 'service_role reads connection_status');
select throws_ok($$truncate public.platform_connections$$, '42501', null, 'service_role cannot truncate');

-- postgres (the Edge Functions' role) is the owner.
reset role;
select results_eq(
  $$select count(*)::int from public.platform_connections
    where user_id in (tests.get_supabase_uid('alice'), tests.get_supabase_uid('bob'))$$,
  array[3], 'postgres sees every connection');
select is(
  (select relforcerowsecurity from pg_class where oid = 'public.platform_connections'::regclass),
  false, 'RLS is not forced on the owner (the Edge Functions connect as postgres)');

select * from finish();
rollback;
