-- Who may execute the database functions: service_role (and the owner, postgres), never anon or authenticated.
begin;
set local search_path = public, extensions, tests;
select plan(29);

create temp table api (signature text primary key, call text not null) on commit drop;
insert into api (signature, call) values
  ('public.claim_due_connections(integer, integer, uuid, integer)', 'select * from public.claim_due_connections(1, 60, gen_random_uuid())'),
  ('public.acquire_refresh_lease(uuid, uuid, integer)', 'select * from public.acquire_refresh_lease(gen_random_uuid(), gen_random_uuid(), 60)'),
  ('public.release_refresh_lease(uuid, uuid)', 'select public.release_refresh_lease(gen_random_uuid(), gen_random_uuid())'),
  ('public.save_refreshed_tokens(uuid, uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text, jsonb)',
   'select public.save_refreshed_tokens(gen_random_uuid(), gen_random_uuid(), 1, tests.envelope(''access-x''), null, ''k1'', now())'),
  ('public.record_refresh_failure(uuid, uuid, text, text, timestamptz, text)', 'select public.record_refresh_failure(gen_random_uuid(), gen_random_uuid(), ''transient'')'),
  ('public.record_token_validated(uuid, uuid, timestamptz)', 'select public.record_token_validated(gen_random_uuid(), gen_random_uuid())'),
  ('public.consume_oauth_state(bytea)', 'select * from public.consume_oauth_state(sha256(''x''))'),
  ('public.purge_expired_oauth_states()', 'select public.purge_expired_oauth_states()'),
  ('public.purge_token_audit_log(interval)', 'select public.purge_token_audit_log()'),
  ('public.log_token_event(uuid, text, text, integer, text, integer, uuid, text)', 'select public.log_token_event(null, ''refresh'', ''success'')'),
  ('public.record_token_access(uuid, integer)', 'select public.record_token_access(gen_random_uuid())');
grant select on api to anon, authenticated;

select is(
  (select array_agg(signature order by signature) from api
   where has_function_privilege('anon', signature::regprocedure, 'execute')
      or has_function_privilege('authenticated', signature::regprocedure, 'execute')),
  null, 'neither anon nor authenticated may execute any of the functions');
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc as p, aclexplode(p.proacl) as a
   where p.pronamespace = 'public'::regnamespace and a.grantee = 0 and a.privilege_type = 'EXECUTE'),
  null, 'no function in public is executable by PUBLIC');
select is(
  (select array_agg(signature order by signature) from api
   where not has_function_privilege('service_role', signature::regprocedure, 'execute')),
  null, 'service_role may execute every one of them');
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc as p
   where p.pronamespace = 'public'::regnamespace
     and not coalesce('search_path=""' = any (p.proconfig), false)),
  null, 'every function in public pins search_path to ''''');
select is(
  (select array_agg(signature order by signature) from api where (select prosecdef from pg_proc where oid = signature::regprocedure)),
  null, 'none of them needs security definer (postgres owns the tables, service_role bypasses RLS)');
select is(
  (select array_agg(signature order by signature) from api
   where obj_description(signature::regprocedure, 'pg_proc') is null),
  null, 'every one of them has a comment');

-- anon and authenticated are refused at the door, for every function.
select tests.clear_authentication();
select throws_ok(call, '42501', 'permission denied for function ' || split_part(split_part(signature, '(', 1), '.', 2), 'anon cannot call ' || split_part(signature, '(', 1)) from api order by signature;
do $$ begin perform tests.create_supabase_user('alice'); end $$;
select tests.authenticate_as('alice');
select throws_ok(call, '42501', 'permission denied for function ' || split_part(split_part(signature, '(', 1), '.', 2), 'authenticated cannot call ' || split_part(signature, '(', 1)) from api order by signature;

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
