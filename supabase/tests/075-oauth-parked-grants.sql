-- oauth_parked_grants, claim_parked_grant, claim_expired_parked_grants, purge_stale_parked_grants: hashed
-- connect ids, single use, 10-minute expiry, invisible to anon and authenticated users.
begin;
set local search_path = public, extensions, tests;
select plan(28);

do $$ begin
  perform tests.create_supabase_user('parker');
  perform tests.create_supabase_user('intruder');
end $$;

select has_table('public', 'oauth_parked_grants', 'oauth_parked_grants exists');
select col_is_unique('public', 'oauth_parked_grants', 'connect_hash', 'connect_hash is unique');
select col_type_is('public', 'oauth_parked_grants', 'connect_hash', 'bytea', 'connect_hash is bytea (a SHA-256 digest)');
select is((select relrowsecurity from pg_class where oid = 'public.oauth_parked_grants'::regclass), true, 'row level security is on');
select policies_are('public', 'oauth_parked_grants', array[]::name[], 'oauth_parked_grants has no policy');

insert into public.oauth_parked_grants (connect_hash, user_id, provider, account_id, sealed_grant, encryption_key_id, metadata)
values (sha256('connect-one'), tests.get_supabase_uid('parker'), 'quickbooks', '9130', tests.envelope('grant-one'), 'k1', '{"realmId":"9130"}');
insert into public.oauth_parked_grants (connect_hash, user_id, provider, account_id, sealed_grant, encryption_key_id, created_at, expires_at)
values (sha256('connect-expired'), tests.get_supabase_uid('parker'), 'spotify', 'sp-1', tests.envelope('grant-two'), 'k1',
        now() - interval '20 minutes', now() - interval '10 minutes');

select is(
  (select expires_at from public.oauth_parked_grants where connect_hash = sha256('connect-one')),
  now() + interval '10 minutes', 'a parked grant expires 10 minutes after it is parked');

select throws_ok(
  $$insert into public.oauth_parked_grants (connect_hash, user_id, provider, account_id, sealed_grant, encryption_key_id)
    values (sha256('connect-one'), tests.get_supabase_uid('parker'), 'github', 'x', tests.envelope('g'), 'k1')$$,
  '23505', null, 'a connect hash is unique');
select throws_ok(
  $$insert into public.oauth_parked_grants (connect_hash, user_id, provider, account_id, sealed_grant, encryption_key_id)
    values ('\x0102', tests.get_supabase_uid('parker'), 'github', 'x', tests.envelope('g'), 'k1')$$,
  '23514', null, 'a connect hash is 32 bytes');
select throws_ok(
  $$insert into public.oauth_parked_grants (connect_hash, user_id, provider, account_id, sealed_grant, encryption_key_id)
    values (sha256('c-plain'), tests.get_supabase_uid('parker'), 'github', 'x', 'at_plaintext_token', 'k1')$$,
  '23514', null, 'only a ciphertext envelope is accepted as the grant');
select throws_ok(
  $$insert into public.oauth_parked_grants (connect_hash, user_id, provider, account_id, sealed_grant, encryption_key_id)
    values (sha256('c-key'), tests.get_supabase_uid('parker'), 'github', 'x', tests.envelope('g', 'k2'), 'k1')$$,
  '23514', null, 'the envelope''s key id must be encryption_key_id');
select throws_ok(
  $$insert into public.oauth_parked_grants (connect_hash, user_id, provider, account_id, sealed_grant, encryption_key_id, expires_at)
    values (sha256('c-long'), tests.get_supabase_uid('parker'), 'github', 'x', tests.envelope('g'), 'k1', now() + interval '2 hours')$$,
  '23514', null, 'a parked grant cannot live longer than an hour');
select throws_ok(
  $$insert into public.oauth_parked_grants (connect_hash, user_id, provider, account_id, sealed_grant, encryption_key_id)
    values (sha256('c-acct'), tests.get_supabase_uid('parker'), 'github', '', tests.envelope('g'), 'k1')$$,
  '23514', null, 'an account id is required');

-- Invisible and untouchable to API users.
select tests.clear_authentication();
select throws_ok($$select count(*) from public.oauth_parked_grants$$, '42501', null, 'anon cannot read parked grants');
select throws_ok($$select * from provider_tokens.claim_parked_grant(sha256('connect-one'))$$, '42501', null, 'anon cannot claim');
select tests.authenticate_as('parker');
select throws_ok($$select count(*) from public.oauth_parked_grants$$, '42501', null, 'the starter cannot read her parked grants');
select throws_ok($$select * from provider_tokens.claim_parked_grant(sha256('connect-one'))$$, '42501', null, 'a user cannot call claim_parked_grant');
select throws_ok($$delete from public.oauth_parked_grants$$, '42501', null, 'a user cannot delete parked grants');
select throws_ok($$select * from provider_tokens.claim_expired_parked_grants(10)$$, '42501', null, 'a user cannot sweep');
select tests.authenticate_as('intruder');
select throws_ok(
  $$insert into public.oauth_parked_grants (connect_hash, user_id, provider, account_id, sealed_grant, encryption_key_id)
    values (sha256('c-forged'), tests.get_supabase_uid('parker'), 'github', 'x', tests.envelope('g'), 'k1')$$,
  '42501', null, 'a user cannot park a grant for anyone');

-- service_role: single use.
select tests.authenticate_as_service_role();
select throws_ok($$update public.oauth_parked_grants set user_id = user_id$$, '42501', null, 'service_role cannot rewrite a parked grant');
select results_eq(
  $$select user_id, provider, account_id, sealed_grant, metadata from provider_tokens.claim_parked_grant(sha256('connect-one'))$$,
  $$values (tests.get_supabase_uid('parker'), 'quickbooks'::text, '9130'::text, tests.envelope('grant-one')::text, '{"realmId":"9130"}'::jsonb)$$,
  'claiming returns the parked grant');
select is_empty($$select * from provider_tokens.claim_parked_grant(sha256('connect-one'))$$, 'a grant cannot be claimed twice');
select is_empty($$select * from provider_tokens.claim_parked_grant(sha256('never-issued'))$$, 'an unknown connect id returns nothing');
select is_empty($$select * from provider_tokens.claim_parked_grant(null)$$, 'a null connect id returns nothing');

-- The sweep takes expired grants only.
insert into public.oauth_parked_grants (connect_hash, user_id, provider, account_id, sealed_grant, encryption_key_id)
values (sha256('connect-fresh'), tests.get_supabase_uid('parker'), 'xero', 'tenant-1', tests.envelope('grant-three'), 'k1');
select results_eq(
  $$select account_id from provider_tokens.claim_expired_parked_grants(100)$$, array['sp-1'::text],
  'the sweep takes the expired grant, not the fresh one');
select is((select count(*)::int from public.oauth_parked_grants where connect_hash = sha256('connect-fresh')), 1, 'the fresh grant stays');

-- The backstop purge and the jobs.
reset role;
select is(provider_tokens.purge_stale_parked_grants(), 0::bigint, 'nothing stale to purge');
select is(
  (select string_agg(jobname::text, ',' order by jobname::text) from cron.job
   where jobname in ('revoke-expired-parked-grants', 'purge-stale-parked-grants')),
  'purge-stale-parked-grants,revoke-expired-parked-grants', 'the sweep and the backstop purge are scheduled');

select * from finish();
rollback;
