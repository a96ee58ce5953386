-- Partitioned claims: connection_partition, the claim functions with their partition arguments, and their shorter
-- calls (the defaults) as the one-partition case. Every role is checked at the door.
begin;
set local search_path = public, extensions, tests;
select plan(22);

delete from public.platform_connections;
do $$ begin perform tests.create_supabase_user('alice'); end $$;

-- 200 due connections with a refresh token, 40 validations due (no refresh token), 20 not due at all.
insert into public.platform_connections (user_id, provider, account_id, access_token, refresh_token, encryption_key_id, status, token_expires_at, next_attempt_at)
select tests.get_supabase_uid('alice'), 'spotify', 'due-' || g, tests.envelope('a' || g), tests.envelope('r' || g), 'k1', 'connected', now() - interval '1 minute', null
from generate_series(1, 200) as g;
insert into public.platform_connections (user_id, provider, account_id, access_token, refresh_token, encryption_key_id, status, token_expires_at, next_attempt_at)
select tests.get_supabase_uid('alice'), 'github', 'val-' || g, tests.envelope('a' || g), null, 'k1', 'connected', null, now() - interval '1 minute'
from generate_series(1, 40) as g;
insert into public.platform_connections (user_id, provider, account_id, access_token, refresh_token, encryption_key_id, status, token_expires_at)
select tests.get_supabase_uid('alice'), 'spotify', 'later-' || g, tests.envelope('a' || g), tests.envelope('r' || g), 'k1', 'connected', now() + interval '2 hours'
from generate_series(1, 20) as g;

-- connection_partition
select is(
  (select count(*)::int from public.platform_connections where provider_tokens.connection_partition(id, 4) not between 0 and 3),
  0, 'connection_partition(id, 4) is always one of 0..3');
select is(
  (select count(*)::int from public.platform_connections where provider_tokens.connection_partition(id, 1) <> 0),
  0, 'with one partition every connection is in partition 0');
select ok(
  (select min(n) >= 30 from (select count(*) as n from public.platform_connections
   where account_id like 'due-%' group by provider_tokens.connection_partition(id, 4)) as s)
  and (select count(distinct provider_tokens.connection_partition(id, 4)) = 4 from public.platform_connections where account_id like 'due-%'),
  '200 connections spread over all 4 partitions, none nearly empty');
select is(
  provider_tokens.connection_partition('7b1e9a5c-0000-4000-8000-000000000001', 7),
  provider_tokens.connection_partition('7b1e9a5c-0000-4000-8000-000000000001', 7),
  'connection_partition is deterministic');

-- The four partitions together claim exactly the due rows, each row once, each in its own partition.
create temp table claimed_rows (partition integer, id uuid) on commit drop;
insert into claimed_rows select 0, id from provider_tokens.claim_due_connections(1000, 60, '00000000-0000-0000-0000-0000000000a0', 300, 0, 4);
insert into claimed_rows select 1, id from provider_tokens.claim_due_connections(1000, 60, '00000000-0000-0000-0000-0000000000a1', 300, 1, 4);
insert into claimed_rows select 2, id from provider_tokens.claim_due_connections(1000, 60, '00000000-0000-0000-0000-0000000000a2', 300, 2, 4);
insert into claimed_rows select 3, id from provider_tokens.claim_due_connections(1000, 60, '00000000-0000-0000-0000-0000000000a3', 300, 3, 4);
select is((select count(*)::int from claimed_rows), 200, 'the four partitions claim 200 rows in all');
select is((select count(distinct id)::int from claimed_rows), 200, 'no row is claimed by two partitions');
select is(
  (select count(*)::int from claimed_rows as k where provider_tokens.connection_partition(k.id, 4) <> k.partition),
  0, 'each partition claims only its own rows');
select is(
  (select count(*)::int from claimed_rows as k join public.platform_connections as c using (id)
   where c.lease_owner <> ('00000000-0000-0000-0000-0000000000a' || k.partition)::uuid),
  0, 'each claimed row is leased to the run of its partition');
select is(
  (select count(*)::int from provider_tokens.claim_due_connections(1000, 60, gen_random_uuid(), 300, 0, 4)),
  0, 'a leased row is not claimed again by a run of the same partition');

-- The old signature: the one-partition case (what has not been leased is claimed).
update public.platform_connections set lease_owner = null, lease_expires_at = null where account_id like 'due-%';
select is(
  (select count(*)::int from provider_tokens.claim_due_connections(1000, 60, gen_random_uuid(), 300)),
  200, 'the four-argument claim still claims every due row');
update public.platform_connections set lease_owner = null, lease_expires_at = null where account_id like 'due-%';
select is(
  (select count(*)::int from provider_tokens.claim_due_connections(1000, 60, gen_random_uuid())),
  200, 'the three-argument claim (default window) still works');

-- Validations, partitioned and not.
create temp table claimed_validations (partition integer, id uuid) on commit drop;
insert into claimed_validations select 0, id from provider_tokens.claim_due_validations(1000, 60, gen_random_uuid(), 0, 2);
insert into claimed_validations select 1, id from provider_tokens.claim_due_validations(1000, 60, gen_random_uuid(), 1, 2);
select is((select count(distinct id)::int from claimed_validations), 40, 'two partitions claim all 40 due validations once');
select is(
  (select count(*)::int from claimed_validations as k where provider_tokens.connection_partition(k.id, 2) <> k.partition),
  0, 'each validation partition claims only its own rows');
update public.platform_connections set lease_owner = null, lease_expires_at = null where account_id like 'val-%';
select is((select count(*)::int from provider_tokens.claim_due_validations(1000, 60, gen_random_uuid())), 40, 'the three-argument validation claim still works');

-- Bad arguments.
select throws_ok($$select * from provider_tokens.claim_due_connections(10, 60, gen_random_uuid(), 300, 4, 4)$$, '22023',
  'p_partition must be between 0 and p_partitions - 1', 'a partition outside the count is refused');
select throws_ok($$select * from provider_tokens.claim_due_connections(10, 60, gen_random_uuid(), 300, -1, 4)$$, '22023',
  'p_partition must be between 0 and p_partitions - 1', 'a negative partition is refused');
select throws_ok($$select * from provider_tokens.claim_due_connections(10, 60, gen_random_uuid(), 300, 0, 0)$$, '22023',
  'p_partitions must be between 1 and 256', 'zero partitions are refused');
select throws_ok($$select * from provider_tokens.claim_due_validations(10, 60, gen_random_uuid(), 0, 257)$$, '22023',
  'p_partitions must be between 1 and 256', 'more than 256 partitions are refused');

-- Every role: anon and authenticated are refused, service_role may call.
select tests.clear_authentication();
select throws_ok($$select * from provider_tokens.claim_due_connections(1, 60, gen_random_uuid(), 300, 0, 2)$$, '42501', null, 'anon cannot claim a partition');
select tests.authenticate_as('alice');
select throws_ok($$select * from provider_tokens.claim_due_connections(1, 60, gen_random_uuid(), 300, 0, 2)$$, '42501', null, 'authenticated cannot claim a partition');
select throws_ok($$select provider_tokens.connection_partition(gen_random_uuid(), 2)$$, '42501', null, 'authenticated cannot call connection_partition');
select tests.authenticate_as_service_role();
select lives_ok($$select * from provider_tokens.claim_due_validations(1, 60, gen_random_uuid(), 1, 2)$$, 'service_role may claim a partition');

select * from finish();
rollback;
