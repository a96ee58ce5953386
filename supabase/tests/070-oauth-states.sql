-- oauth_states and consume_oauth_state: single use, 10-minute expiry, invisible to users.
begin;
set local search_path = public, extensions, tests;
select plan(24);

do $$ begin
  perform tests.create_supabase_user('alice');
end $$;

select has_table('public', 'oauth_states', 'oauth_states exists');
select col_is_unique('public', 'oauth_states', 'state_hash', 'state_hash is unique');
select col_type_is('public', 'oauth_states', 'state_hash', 'bytea', 'state_hash is bytea (a SHA-256 digest)');
select policies_are('public', 'oauth_states', array[]::name[], 'oauth_states has no policy');

insert into public.oauth_states (state_hash, user_id, provider, code_verifier, encryption_key_id, redirect_to, scopes, account_id, metadata)
values (
  sha256('state-one'), tests.get_supabase_uid('alice'), 'shopify', tests.envelope('verifier-one'), 'k1',
  'https://app.example.com/settings', '{read_products}', 'shop.myshopify.com', '{"shop":"shop.myshopify.com"}'
);
insert into public.oauth_states (state_hash, user_id, provider, redirect_to, created_at, expires_at)
values (sha256('state-expired'), tests.get_supabase_uid('alice'), 'quickbooks', 'https://app.example.com/', now() - interval '20 minutes', now() - interval '10 minutes');

select is(
  (select expires_at from public.oauth_states where state_hash = sha256('state-one')),
  now() + interval '10 minutes', 'a state expires 10 minutes after it is created');

select throws_ok(
  $$insert into public.oauth_states (state_hash, user_id, provider, redirect_to)
    values (sha256('state-one'), tests.get_supabase_uid('alice'), 'github', 'https://app.example.com/')$$,
  '23505', null, 'a state hash is unique');
select throws_ok(
  $$insert into public.oauth_states (state_hash, user_id, provider, redirect_to)
    values ('\x0102', tests.get_supabase_uid('alice'), 'github', 'https://app.example.com/')$$,
  '23514', null, 'a state hash is 32 bytes');
select throws_ok(
  $$insert into public.oauth_states (state_hash, user_id, provider, redirect_to, expires_at)
    values (sha256('state-long'), tests.get_supabase_uid('alice'), 'github', 'https://app.example.com/', now() + interval '1 day')$$,
  '23514', null, 'a state cannot live longer than an hour');
select throws_ok(
  $$insert into public.oauth_states (state_hash, user_id, provider, redirect_to, code_verifier)
    values (sha256('state-nokey'), tests.get_supabase_uid('alice'), 'twitter', 'https://app.example.com/', tests.envelope('verifier-two'))$$,
  '23514', null, 'an encrypted verifier needs its key id');
select throws_ok(
  $$insert into public.oauth_states (state_hash, user_id, provider, redirect_to)
    values (sha256('state-provider'), tests.get_supabase_uid('alice'), 'friendster', 'https://app.example.com/')$$,
  '23514', null, 'an unknown provider is rejected');

-- Single use.
select results_eq(
  $$select user_id, provider, code_verifier, encryption_key_id, redirect_to, scopes, account_id, metadata, used_at
    from provider_tokens.consume_oauth_state(sha256('state-one'))$$,
  $$values (tests.get_supabase_uid('alice'), 'shopify'::text, tests.envelope('verifier-one')::text, 'k1'::text,
            'https://app.example.com/settings'::text, '{read_products}'::text[], 'shop.myshopify.com'::text,
            '{"shop":"shop.myshopify.com"}'::jsonb, now())$$,
  'consuming a fresh state returns it, marked used');
select is_empty($$select * from provider_tokens.consume_oauth_state(sha256('state-one'))$$, 'a state cannot be consumed twice');
select is(
  (select used_at from public.oauth_states where state_hash = sha256('state-one')), now(),
  'the state stays marked used');

-- Expiry, unknown states.
select is_empty($$select * from provider_tokens.consume_oauth_state(sha256('state-expired'))$$, 'an expired state cannot be consumed');
select is(
  (select used_at from public.oauth_states where state_hash = sha256('state-expired')), null,
  'an expired state is not marked used');
select is_empty($$select * from provider_tokens.consume_oauth_state(sha256('never-issued'))$$, 'an unknown state returns nothing');
select is_empty($$select * from provider_tokens.consume_oauth_state(null)$$, 'a null state returns nothing');

-- Cleanup of old states.
update public.oauth_states set created_at = now() - interval '2 days', expires_at = now() - interval '2 days' + interval '10 minutes'
where state_hash = sha256('state-expired');
select is(provider_tokens.purge_expired_oauth_states(), 1::bigint, 'states expired more than a day ago are purged');
select is((select count(*)::int from public.oauth_states where user_id = tests.get_supabase_uid('alice')), 1, 'recent states are kept');
select results_eq(
  $$select command from cron.job where jobname = 'purge-expired-oauth-states'$$,
  array['select provider_tokens.purge_expired_oauth_states()'], 'the pg_cron job purge-expired-oauth-states exists');

-- Invisible to users.
select tests.clear_authentication();
select throws_ok($$select count(*) from public.oauth_states$$, '42501', null, 'anon cannot read oauth_states');
select tests.authenticate_as('alice');
select throws_ok($$select count(*) from public.oauth_states$$, '42501', null, 'alice cannot read her own oauth_states');
select throws_ok($$select * from provider_tokens.consume_oauth_state(sha256('state-one'))$$, '42501', null, 'alice cannot call consume_oauth_state');
select tests.authenticate_as_service_role();
select lives_ok($$select * from provider_tokens.consume_oauth_state(sha256('state-one'))$$, 'service_role can call consume_oauth_state');

select * from finish();
rollback;
