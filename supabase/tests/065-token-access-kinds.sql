-- token_access_counters: served reads, the service role's among them, and refused reads, in one row per
-- connection per hour; record_token_access (4 arguments) and who may call it.
begin;
set local search_path = public, extensions, tests;
select plan(10);

do $$ begin
  perform tests.create_supabase_user('alice');
end $$;

insert into public.platform_connections (id, user_id, provider, access_token, refresh_token, encryption_key_id)
values ('60000000-0000-0000-0000-000000000001', tests.get_supabase_uid('alice'), 'twitch', tests.envelope('a'), tests.envelope('r'), 'k1');

select has_column('public', 'token_access_counters', 'service_reads', 'service_reads is counted');
select has_column('public', 'token_access_counters', 'refused_reads', 'refused_reads is counted');
select ok(obj_description('public.token_audit_log'::regclass) like '%refused reads are counted%', 'the audit table says where reads are counted');

select provider_tokens.record_token_access('60000000-0000-0000-0000-000000000001', 3, 2, 0);
select provider_tokens.record_token_access('60000000-0000-0000-0000-000000000001', 1, 0, 4);
select provider_tokens.record_token_access('60000000-0000-0000-0000-000000000001', 1, 5, -3);
select is(
  (select (count(*), sum(reads), sum(service_reads), sum(refused_reads)) from public.token_access_counters
   where connection_id = '60000000-0000-0000-0000-000000000001'),
  (1::bigint, 5::numeric, 3::numeric, 4::numeric),
  'one row for the hour; service reads never exceed reads; negative counts count as nothing');
select lives_ok($$select provider_tokens.record_token_access('60000000-0000-0000-0000-000000000001')$$, 'the one-argument form still counts a read');
select throws_ok(
  $$insert into public.token_access_counters (connection_id, bucket_start, reads, service_reads)
    values ('60000000-0000-0000-0000-000000000001', date_trunc('hour', now() - interval '2 hours', 'UTC'), 1, 2)$$,
  '23514', null, 'service_reads cannot exceed reads');

select tests.clear_authentication();
select throws_ok($$select provider_tokens.record_token_access('60000000-0000-0000-0000-000000000001', 1, 0, 0)$$, '42501', null, 'anon cannot count');
select tests.authenticate_as('alice');
select throws_ok($$select provider_tokens.record_token_access('60000000-0000-0000-0000-000000000001', 1, 0, 0)$$, '42501', null, 'alice cannot count');
select throws_ok($$select service_reads from public.token_access_counters$$, '42501', null, 'alice cannot read the counters');
select tests.authenticate_as_service_role();
select lives_ok($$select provider_tokens.record_token_access('60000000-0000-0000-0000-000000000001', 1, 1, 0)$$, 'service_role counts');
reset role;

select * from finish();
rollback;
