-- Who may execute the database functions: service_role (and the owner, postgres), never anon or
-- authenticated. The list is read from pg_proc, so a function added by a later migration is covered without
-- editing this file; only the few functions meant for other callers are named below.
begin;
set local search_path = public, extensions, tests;
select plan(9);

-- Functions of this project in public (extensions' own functions live in their own schemas).
create temp view api as
  select p.oid::regprocedure::text as signature, p.oid
  from pg_proc as p
  where p.pronamespace = 'public'::regnamespace
    and p.prokind = 'f'
    and p.prorettype <> 'trigger'::regtype
    and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e');
grant select on api to anon, authenticated;

select cmp_ok((select count(*) from api), '>=', 12::bigint, 'the project''s functions are found in public');
select is(
  (select array_agg(signature order by signature) from api
   where has_function_privilege('anon', oid, 'execute') or has_function_privilege('authenticated', oid, 'execute')),
  null, 'neither anon nor authenticated may execute any of the functions');
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc as p, aclexplode(p.proacl) as a
   where p.pronamespace = 'public'::regnamespace and a.grantee = 0 and a.privilege_type = 'EXECUTE'),
  null, 'no function in public is executable by PUBLIC');
-- request_refresh_runs() is pg_cron's alone (it runs as postgres, the owner): the service needs no grant on it.
select is(
  (select array_agg(signature order by signature) from api
   where not has_function_privilege('service_role', oid, 'execute') and signature <> 'request_refresh_runs()'),
  null, 'service_role may execute every one of them but the cron job''s own');
select is(
  (select array_agg(signature order by signature) from api p join pg_proc using (oid)
   where not coalesce('search_path=""' = any (pg_proc.proconfig), false)),
  null, 'every function in public pins search_path to ''''');
select is(
  (select array_agg(signature order by signature) from api join pg_proc using (oid) where pg_proc.prosecdef),
  null, 'none of them needs security definer (postgres owns the tables, service_role bypasses RLS)');
select is(
  (select array_agg(signature order by signature) from api where obj_description(oid, 'pg_proc') is null),
  null, 'every one of them has a comment');

-- Refused at the door, as the roles themselves see it.
select tests.clear_authentication();
select throws_ok('select public.release_refresh_lease(gen_random_uuid(), gen_random_uuid())', '42501',
  'permission denied for function release_refresh_lease', 'anon cannot call an engine function');

-- Functions created later in public get no grant to anon or authenticated by default.
reset role;
create function public.zz_default_privileges_probe() returns integer language sql set search_path = '' as 'select 1';
select is(
  (select array_agg(a.grantee::regrole::text) from pg_proc as p, aclexplode(p.proacl) as a
   where p.oid = 'public.zz_default_privileges_probe()'::regprocedure
     and a.grantee in ('anon'::regrole, 'authenticated'::regrole)),
  null, 'a new function in public is not granted to anon or authenticated by default');

select * from finish();
rollback;
