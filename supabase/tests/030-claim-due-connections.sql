-- claim_due_connections: what is due, in which order, the lease it sets, and that a leased row is not
-- claimed again (by anyone) until its lease expires. The two-session test is 035-claim-concurrency.sql.
begin;
set local search_path = public, extensions, tests;
select plan(24);

-- Isolated from whatever the stack already holds (the transaction rolls back, so nothing is lost).
delete from public.platform_connections;

do $$ begin
  perform tests.create_supabase_user('alice');
end $$;

-- now() is frozen for the whole test transaction; every time below is relative to it.
create temp table fixture (name text primary key, id uuid not null default gen_random_uuid()) on commit drop;
insert into fixture (name) values
  ('token_expired'), ('expired'), ('lease_expired'), ('retry_due'), ('soon'),
  ('later'), ('no_refresh_token'), ('needs_reauth'), ('disconnected'), ('backoff'), ('leased'),
  ('no_expiry');

insert into public.platform_connections (
  id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, status,
  token_expires_at, next_attempt_at, lease_owner, lease_expires_at, metadata
)
select f.id, tests.get_supabase_uid('alice'), 'xero', f.name, tests.envelope('access-' || f.name),
  case when f.name = 'no_refresh_token' then null else tests.envelope('refresh-' || f.name) end,
  'k1', v.status, now() + v.expires, now() + v.next_attempt, v.lease_owner, now() + v.lease_expires,
  jsonb_build_object('tenant', f.name)
from fixture as f
join (values
  -- name,             status,          expires in,            next attempt in,       lease owner,                                   lease expires in
  ('token_expired',    'token_expired', interval '-1 hour',    null::interval,        null::uuid,                                    null::interval),
  ('expired',          'connected',     interval '-10 minutes', null,                 null,                                          null),
  ('lease_expired',    'connected',     interval '-5 minutes', null,                  '00000000-0000-0000-0000-0000000000aa'::uuid, interval '-1 second'),
  ('retry_due',        'connected',     interval '1 hour',     interval '-1 minute',  null,                                          null),
  ('soon',             'connected',     interval '2 minutes',  null,                  null,                                          null),
  ('later',            'connected',     interval '1 hour',     null,                  null,                                          null),
  ('no_refresh_token', 'connected',     interval '-1 minute',  null,                  null,                                          null),
  ('needs_reauth',     'needs_reauth',  interval '-1 minute',  null,                  null,                                          null),
  ('disconnected',     'disconnected',  interval '-1 minute',  null,                  null,                                          null),
  ('backoff',          'connected',     interval '1 minute',   interval '2 minutes',  null,                                          null),
  ('leased',           'connected',     interval '-20 minutes', null,                 '00000000-0000-0000-0000-0000000000bb'::uuid, interval '1 minute'),
  ('no_expiry',        'connected',     null,                  null,                  null,                                          null)
) as v (name, status, expires, next_attempt, lease_owner, lease_expires) on v.name = f.name;

create function pg_temp.ids(variadic p_names text[]) returns uuid[]
language sql stable as $$
  select array_agg(f.id order by array_position(p_names, f.name)) from fixture as f where f.name = any (p_names)
$$;

-- Owner 1 claims a batch of two: the two most urgent, in order.
create temp table claim1 on commit drop as
select * from provider_tokens.claim_due_connections(2, 60, '00000000-0000-0000-0000-000000000001', 300);

select is((select array_agg(id order by token_expires_at) from claim1), pg_temp.ids('token_expired', 'expired'),
  'a batch of two returns the two most urgent connections');
select is(
  (select array_agg(account_id) from claim1),
  array['token_expired', 'expired'],
  'claimed rows come back most urgent first');
select is(
  (select count(*)::int from public.platform_connections
   where id = any (pg_temp.ids('token_expired', 'expired'))
     and lease_owner = '00000000-0000-0000-0000-000000000001' and lease_expires_at = now() + interval '60 seconds'),
  2, 'claiming sets the lease owner and a lease of p_lease_seconds');
select is(
  (select (access_token, refresh_token, encryption_key_id, version, metadata, provider, user_id)
   from claim1 where account_id = 'expired'),
  (tests.envelope('access-expired')::text, tests.envelope('refresh-expired')::text, 'k1'::text, 1::bigint,
   '{"tenant": "expired"}'::jsonb, 'xero'::text, tests.get_supabase_uid('alice')),
  'claimed rows carry the ciphertexts, key id, version, metadata, provider and user');
select is(
  (select lease_expires_at from claim1 where account_id = 'expired'), now() + interval '60 seconds',
  'claimed rows carry their lease expiry');
select is(
  (select max(version) from public.platform_connections where id = any (pg_temp.ids('token_expired', 'expired'))),
  1::bigint, 'claiming does not bump the version');

-- Owner 2 claims everything else that is due: not the rows owner 1 holds.
create temp table claim2 on commit drop as
select * from provider_tokens.claim_due_connections(100, 60, '00000000-0000-0000-0000-000000000002', 300);
select is(
  (select array_agg(id) from claim2),
  pg_temp.ids('lease_expired', 'retry_due', 'soon'),
  'another owner gets the rest of what is due, most urgent first, and none of the leased rows');
select is(
  (select lease_owner from public.platform_connections where id = (pg_temp.ids('lease_expired'))[1]),
  '00000000-0000-0000-0000-000000000002'::uuid, 'an expired lease is taken over by the claimer');
select ok(not exists (select 1 from claim2 where account_id = 'leased'), 'a row under someone else''s live lease is not claimed');
select ok(not exists (select 1 from claim2 where account_id = 'backoff'), 'a row whose next_attempt_at is in the future is not claimed, even when its token expires within the window');
select ok(not exists (select 1 from claim2 where account_id = 'no_refresh_token'), 'a row without a refresh token is not claimed');
select ok(not exists (select 1 from claim2 where account_id in ('needs_reauth', 'disconnected')), 'rows in needs_reauth or disconnected are not claimed');
select ok(not exists (select 1 from claim2 where account_id in ('later', 'no_expiry')), 'rows expiring after the window, or never, are not claimed');

-- Nothing is left, for anyone, while the leases live.
select is_empty(
  $$select * from provider_tokens.claim_due_connections(100, 60, '00000000-0000-0000-0000-000000000003', 300)$$,
  'a third owner claims nothing while the leases are live');
select is_empty(
  $$select * from provider_tokens.claim_due_connections(100, 60, '00000000-0000-0000-0000-000000000001', 300)$$,
  'the same owner does not claim its own leased rows twice either');

-- A wider window reaches the row expiring in an hour.
select is(
  (select array_agg(account_id) from provider_tokens.claim_due_connections(100, 60, '00000000-0000-0000-0000-000000000004', 7200)),
  array['later'], 'a wider window claims the row expiring within it');

-- Leases expire: owner 1's rows go to whoever claims next.
update public.platform_connections set lease_expires_at = now() - interval '1 second'
where lease_owner = '00000000-0000-0000-0000-000000000001';
select is(
  (select array_agg(account_id) from provider_tokens.claim_due_connections(100, 30, '00000000-0000-0000-0000-000000000005', 300)),
  array['token_expired', 'expired'], 'rows whose lease expired are claimed again, by another owner');

-- Arguments.
select throws_ok($$select * from provider_tokens.claim_due_connections(0, 60, gen_random_uuid())$$, '22023', null, 'a batch of 0 is refused');
select throws_ok($$select * from provider_tokens.claim_due_connections(1001, 60, gen_random_uuid())$$, '22023', null, 'a batch over 1000 is refused');
select throws_ok($$select * from provider_tokens.claim_due_connections(10, 0, gen_random_uuid())$$, '22023', null, 'a lease of 0 seconds is refused');
select throws_ok($$select * from provider_tokens.claim_due_connections(10, 60, null)$$, '22023', null, 'a claim without an owner is refused');
select throws_ok($$select * from provider_tokens.claim_due_connections(10, 60, gen_random_uuid(), -1)$$, '22023', null, 'a negative window is refused');

-- Who may call it.
select tests.authenticate_as('alice');
select throws_ok($$select * from provider_tokens.claim_due_connections(10, 60, gen_random_uuid())$$, '42501', null,
  'authenticated cannot call claim_due_connections');
select tests.authenticate_as_service_role();
select lives_ok($$select * from provider_tokens.claim_due_connections(10, 60, gen_random_uuid())$$,
  'service_role can call claim_due_connections');

select * from finish();
rollback;
