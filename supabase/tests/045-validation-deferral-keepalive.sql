-- The scheduler's second queue and its bookkeeping: claim_due_validations (tokens without a refresh token,
-- due by next_attempt_at), defer_connection (hand a row back without a failure) and schedule_keepalive.
begin;
set local search_path = public, extensions, tests;
select plan(16);

-- Isolated from whatever the stack already holds (the transaction rolls back, so nothing is lost).
delete from public.platform_connections;

do $$ begin
  perform tests.create_supabase_user('owner');
end $$;

insert into public.platform_connections (id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_expires_at, next_attempt_at)
values
  -- a Shopify offline token due for validation
  ('20000000-0000-0000-0000-000000000001', tests.get_supabase_uid('owner'), 'shopify', 'a.myshopify.com', tests.envelope('at-1'), null, 'k1', null, now() - interval '1 minute'),
  -- validated recently: not due
  ('20000000-0000-0000-0000-000000000002', tests.get_supabase_uid('owner'), 'shopify', 'b.myshopify.com', tests.envelope('at-2'), null, 'k1', null, now() + interval '1 day'),
  -- has a refresh token: the refresh queue's, not this one's
  ('20000000-0000-0000-0000-000000000003', tests.get_supabase_uid('owner'), 'github', 'gh', tests.envelope('at-3'), tests.envelope('rt-3'), 'k1', now() - interval '1 minute', now() - interval '1 minute'),
  -- an expired access token, for defer and keep-alive
  ('20000000-0000-0000-0000-000000000004', tests.get_supabase_uid('owner'), 'xero', 'tenant', tests.envelope('at-4'), tests.envelope('rt-4'), 'k1', now() - interval '1 minute', null),
  -- a long-lived access token, for keep-alive
  ('20000000-0000-0000-0000-000000000005', tests.get_supabase_uid('owner'), 'xero', 'tenant-2', tests.envelope('at-5'), tests.envelope('rt-5'), 'k1', now() + interval '90 days', null);

select results_eq(
  $$select id from provider_tokens.claim_due_validations(10, 60, '00000000-0000-0000-0000-00000000000a')$$,
  $$values ('20000000-0000-0000-0000-000000000001'::uuid)$$,
  'only the due connection without a refresh token is claimed for validation');
select is(
  (select lease_owner from public.platform_connections where id = '20000000-0000-0000-0000-000000000001'),
  '00000000-0000-0000-0000-00000000000a'::uuid, 'the claim leases the row to its owner');
select is_empty(
  $$select id from provider_tokens.claim_due_validations(10, 60, '00000000-0000-0000-0000-00000000000b')$$,
  'a leased row is not claimed again by another owner');
select throws_ok(
  $$select * from provider_tokens.claim_due_validations(0, 60, gen_random_uuid())$$, '22023', null, 'a batch of 0 is refused');

-- The due-validation query (the claim's own predicate) is a scan of the validation index. With five rows
-- the planner would rightly prefer a sequential scan, so it is taken off the table to ask whether the index
-- matches the predicate at all; the 1M-row plan test covers the refresh queue at scale.
create function pg_temp.plan_of(q text) returns text language plpgsql as $fn$
declare r record; txt text := '';
begin
  for r in execute 'explain ' || q loop txt := txt || r."QUERY PLAN" || E'\n'; end loop;
  return txt;
end $fn$;
set local enable_seqscan = off;
select matches(
  pg_temp.plan_of($q$
    select c.id from public.platform_connections as c
    where c.status in ('connected', 'token_expired') and c.refresh_token is null and c.access_token is not null
      and c.next_attempt_at is not null and c.next_attempt_at <= now()
    order by c.next_attempt_at limit 100$q$),
  'platform_connections_validation_due_idx',
  'the due-validation query uses platform_connections_validation_due_idx');
reset enable_seqscan;

-- defer_connection: only the owner, no failure counted, lapsed tokens marked token_expired.
select is(
  provider_tokens.defer_connection('20000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-00000000000b', now() + interval '1 hour'),
  null, 'another owner cannot defer a leased row');
update public.platform_connections set lease_owner = '00000000-0000-0000-0000-00000000000c', lease_expires_at = now() + interval '1 minute'
  where id = '20000000-0000-0000-0000-000000000004';
select is(
  provider_tokens.defer_connection('20000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-00000000000c', now() + interval '2 minutes'),
  true, 'the owner defers its row');
select is(
  (select (status, consecutive_failures, next_attempt_at, lease_owner) from public.platform_connections where id = '20000000-0000-0000-0000-000000000004'),
  ('token_expired'::text, 0, now() + interval '2 minutes', null::uuid),
  'a deferred row with a lapsed token is token_expired, counts no failure, is due later, and is released');

-- schedule_keepalive: only before the token's own expiry, only unleased connected rows, never later.
select is(
  provider_tokens.schedule_keepalive('20000000-0000-0000-0000-000000000005', now() + interval '7 days'), true,
  'a long-lived token is brought back at the keep-alive date');
select is(
  (select next_attempt_at from public.platform_connections where id = '20000000-0000-0000-0000-000000000005'),
  now() + interval '7 days', 'next_attempt_at holds the keep-alive date');
select is(
  provider_tokens.schedule_keepalive('20000000-0000-0000-0000-000000000005', now() + interval '8 days'), null,
  'a later keep-alive date does not push an earlier one back');
select is(
  provider_tokens.schedule_keepalive('20000000-0000-0000-0000-000000000004', now() + interval '7 days'), null,
  'no keep-alive after the token''s own expiry (or for a row that is not connected)');
select is(
  (select id from provider_tokens.claim_due_connections(10, 60, '00000000-0000-0000-0000-00000000000d', 0) where id = '20000000-0000-0000-0000-000000000005'),
  null, 'the keep-alive row is not due before its date');
update public.platform_connections set next_attempt_at = now() - interval '1 second' where id = '20000000-0000-0000-0000-000000000005';
select is(
  (select id from provider_tokens.claim_due_connections(10, 60, '00000000-0000-0000-0000-00000000000d', 0) where id = '20000000-0000-0000-0000-000000000005'),
  '20000000-0000-0000-0000-000000000005'::uuid, 'and is claimed for refresh once the date is reached');

-- Privileges, as for every other function.
select ok(
  not has_function_privilege('authenticated', 'provider_tokens.claim_due_validations(integer, integer, uuid, integer, integer)', 'execute')
  and not has_function_privilege('anon', 'provider_tokens.defer_connection(uuid, uuid, timestamptz)', 'execute')
  and not has_function_privilege('authenticated', 'provider_tokens.schedule_keepalive(uuid, timestamptz)', 'execute'),
  'anon and authenticated cannot execute the new functions');
select ok(
  has_function_privilege('service_role', 'provider_tokens.claim_due_validations(integer, integer, uuid, integer, integer)', 'execute')
  and has_function_privilege('service_role', 'provider_tokens.defer_connection(uuid, uuid, timestamptz)', 'execute')
  and has_function_privilege('service_role', 'provider_tokens.schedule_keepalive(uuid, timestamptz)', 'execute'),
  'service_role can execute them');

select * from finish();
rollback;
