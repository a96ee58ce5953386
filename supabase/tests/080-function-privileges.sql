-- Who may execute the database functions: service_role (and the owner, postgres), never anon or
-- authenticated. The list is read from pg_proc, for public and for provider_tokens (the engine's schema, which
-- the API does not serve), so a function added by a later migration is covered without editing this file;
-- only the few functions meant for other callers are named below.
begin;
set local search_path = public, extensions, tests;
select plan(17);

-- Functions of this project (extensions' own functions live in their own schemas).
create temp view api as
  select p.oid::regprocedure::text as signature, p.oid, p.pronamespace::regnamespace::text as schema
  from pg_proc as p
  where p.pronamespace in ('public'::regnamespace, 'provider_tokens'::regnamespace)
    and p.prokind = 'f'
    and p.prorettype <> 'trigger'::regtype
    and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e');
grant select on api to anon, authenticated, service_role;

select cmp_ok((select count(*) from api where schema = 'public'), '>=', 1::bigint, 'the project''s functions are found in public');
select cmp_ok((select count(*) from api where schema = 'provider_tokens'), '>=', 25::bigint,
  'the engine''s functions are found in provider_tokens');
select is(
  (select array_agg(signature order by signature) from api
   where has_function_privilege('anon', oid, 'execute') or has_function_privilege('authenticated', oid, 'execute')),
  null, 'neither anon nor authenticated may execute any of the functions');
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc as p, aclexplode(p.proacl) as a
   where p.pronamespace in ('public'::regnamespace, 'provider_tokens'::regnamespace)
     and a.grantee = 0 and a.privilege_type = 'EXECUTE'),
  null, 'no function in public or provider_tokens is executable by PUBLIC');
-- request_refresh_runs() is pg_cron's alone (it runs as postgres, the owner), schedule_cron_job the migrations':
-- the service needs no grant on them.
select is(
  (select array_agg(signature order by signature) from api
   where not has_function_privilege('service_role', oid, 'execute')
     and signature not in ('provider_tokens.request_refresh_runs()', 'provider_tokens.schedule_cron_job(text,text,text)')),
  null, 'service_role may execute every one of them but the cron job''s and the migrations'' own');
select is(
  (select array_agg(signature order by signature) from api p join pg_proc using (oid)
   where not coalesce('search_path=""' = any (pg_proc.proconfig), false)),
  null, 'every function pins search_path to ''''');
select is(
  (select array_agg(signature order by signature) from api join pg_proc using (oid) where pg_proc.prosecdef),
  null, 'none of them needs security definer (postgres owns the tables, service_role bypasses RLS)');
select is(
  (select array_agg(signature order by signature) from api where obj_description(oid, 'pg_proc') is null),
  null, 'every one of them has a comment');
select is(
  array(select r from unnest(array['anon', 'authenticated', 'service_role']) as r
        where has_schema_privilege(r, 'provider_tokens', 'usage')),
  array['service_role'], 'of the API roles only service_role may use the schema provider_tokens');

-- Refused at the door, as the roles themselves see it: anon, a user calling about their own connection, and
-- another user. service_role gets in.
do $$ begin
  perform tests.create_supabase_user('owner');
  perform tests.create_supabase_user('stranger');
end $$;
insert into public.platform_connections (id, user_id, provider, access_token, refresh_token, encryption_key_id, token_expires_at)
values ('80000000-0000-0000-0000-000000000001', tests.get_supabase_uid('owner'), 'google', tests.envelope('access-80'),
        tests.envelope('refresh-80'), 'k1', now() + interval '1 hour');

select tests.clear_authentication();
select throws_ok($$select provider_tokens.release_refresh_lease('80000000-0000-0000-0000-000000000001', gen_random_uuid())$$,
  '42501', 'permission denied for schema provider_tokens', 'anon cannot call an engine function');
select throws_ok($$select public.is_provider_id('google')$$, '42501', null, 'anon cannot call a function in public');
select tests.authenticate_as('owner');
select throws_ok($$select * from provider_tokens.acquire_refresh_lease('80000000-0000-0000-0000-000000000001', gen_random_uuid(), 60)$$,
  '42501', 'permission denied for schema provider_tokens', 'the connection''s owner cannot lease it');
select throws_ok($$select public.is_provider_id('google')$$, '42501', null, 'the owner cannot call a function in public');
select tests.authenticate_as('stranger');
select throws_ok($$select * from provider_tokens.acquire_refresh_lease('80000000-0000-0000-0000-000000000001', gen_random_uuid(), 60)$$,
  '42501', 'permission denied for schema provider_tokens', 'another user cannot lease it');
select tests.authenticate_as_service_role();
select is(
  (select count(*)::int from provider_tokens.acquire_refresh_lease('80000000-0000-0000-0000-000000000001', gen_random_uuid(), 60)),
  1, 'service_role leases it');

-- Functions created later get no grant to anon or authenticated by default, and provider_tokens stays closed.
reset role;
create function public.zz_default_privileges_probe() returns integer language sql set search_path = '' as 'select 1';
create function provider_tokens.zz_default_privileges_probe() returns integer language sql set search_path = '' as 'select 1';
select is(
  (select array_agg(a.grantee::regrole::text) from pg_proc as p, aclexplode(p.proacl) as a
   where p.oid = 'public.zz_default_privileges_probe()'::regprocedure
     and a.grantee in ('anon'::regrole, 'authenticated'::regrole)),
  null, 'a new function in public is not granted to anon or authenticated by default');
select tests.authenticate_as('owner');
select throws_ok('select provider_tokens.zz_default_privileges_probe()', '42501', 'permission denied for schema provider_tokens',
  'a new function in provider_tokens cannot be called by authenticated');

select * from finish();
rollback;
