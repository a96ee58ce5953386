-- connection_has_parked: true exactly while pending_token_sets holds a set for the connection; service_role only.
begin;
set local search_path = public, extensions, tests;
select plan(6);

do $$ begin perform tests.create_supabase_user('alice'); end $$;
insert into public.platform_connections (id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_expires_at)
values ('50000000-0000-0000-0000-000000000001', tests.get_supabase_uid('alice'), 'github', 'parked',
        tests.envelope('at'), tests.envelope('rt'), 'k1', now() + interval '1 hour');

select is(provider_tokens.connection_has_parked('50000000-0000-0000-0000-000000000001'), false, 'no parked set: false');
select is(provider_tokens.park_refreshed_tokens('50000000-0000-0000-0000-000000000001', 1, tests.envelope('at2'), tests.envelope('rt2'), 'k1',
  now() + interval '1 hour', null, array['read'], 'bearer'), true, 'a set is parked');
select is(provider_tokens.connection_has_parked('50000000-0000-0000-0000-000000000001'), true, 'a parked set: true');
select is(provider_tokens.connection_has_parked(gen_random_uuid()), false, 'an unknown connection: false');

select tests.authenticate_as('alice');
select throws_ok($$select provider_tokens.connection_has_parked('50000000-0000-0000-0000-000000000001')$$, '42501', null,
  'authenticated cannot call it');
select tests.authenticate_as_service_role();
select is(provider_tokens.connection_has_parked('50000000-0000-0000-0000-000000000001'), true, 'service_role can');
reset role;

select * from finish();
rollback;
