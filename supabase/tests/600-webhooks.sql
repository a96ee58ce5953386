-- Alerts: the webhook tables, who may touch them (service_role only), the events the connection trigger
-- writes, the provider state (one event per outage), claiming and recording deliveries, and the schedule.
begin;
set local search_path = public, extensions, tests;
select plan(58);

delete from public.webhook_endpoints;
delete from public.webhook_events;
delete from public.provider_alert_state;
delete from public.platform_connections;
do $$ begin perform tests.create_supabase_user('owner'); perform tests.create_supabase_user('stranger'); end $$;

-- Shape and privileges of every table.
select has_table('public', t, t || ' exists') from unnest(array['webhook_endpoints', 'webhook_events', 'webhook_deliveries', 'webhook_attempts', 'provider_alert_state']) as t;
select is((select bool_and(relrowsecurity) from pg_class where oid in ('public.webhook_endpoints'::regclass, 'public.webhook_events'::regclass,
  'public.webhook_deliveries'::regclass, 'public.webhook_attempts'::regclass, 'public.provider_alert_state'::regclass)), true, 'row level security is on everywhere');
select is((select count(*)::int from pg_policies where tablename in ('webhook_endpoints', 'webhook_events', 'webhook_deliveries', 'webhook_attempts', 'provider_alert_state')),
  0, 'no policy: no user ever sees an endpoint, event or delivery');
select columns_are('public', 'webhook_events', array['id', 'type', 'payload', 'created_at'], 'webhook_events holds nothing but the body');

-- Constraints.
insert into public.webhook_endpoints (id, url, secret, encryption_key_id)
values ('60000000-0000-0000-0000-000000000001', 'https://hooks.example.com/a', tests.envelope('s1'), 'k1');
select throws_ok($$insert into public.webhook_endpoints (url, secret, encryption_key_id) values ('https://x.example/', 'whsec_plaintextsecretvalue0000', 'k1')$$,
  '23514', null, 'a plaintext secret is refused: only ciphertext envelopes');
select throws_ok($$insert into public.webhook_endpoints (url, secret, encryption_key_id) values ('javascript:alert(1)', tests.envelope('s2'), 'k1')$$,
  '23514', null, 'a URL that is not http(s) is refused');
select throws_ok($$insert into public.webhook_endpoints (url, secret, encryption_key_id, format) values ('https://x.example/', tests.envelope('s3'), 'k1', 'xml')$$,
  '23514', null, 'an unknown format is refused');
select throws_ok($$insert into public.webhook_endpoints (url, secret, encryption_key_id, events) values ('https://x.example/', tests.envelope('s4'), 'k1', '{connection.deleted}')$$,
  '23514', null, 'an unknown event type is refused');
select throws_ok($$update public.webhook_endpoints set enabled = false$$, '23514', null, 'a disabled endpoint needs a reason');
select throws_ok($$insert into public.webhook_endpoints (url, secret, encryption_key_id, source) values ('https://x.example/', tests.envelope('s5'), 'k1', 'environment'),
  ('https://y.example/', tests.envelope('s6'), 'k1', 'environment')$$, '23505', null, 'at most one endpoint comes from the environment');
select throws_ok($$insert into public.webhook_deliveries (event_id, endpoint_id, status) values (gen_random_uuid(), '60000000-0000-0000-0000-000000000001', 'lost')$$,
  '23514', null, 'an unknown delivery status is refused');
insert into public.webhook_endpoints (id, url, secret, encryption_key_id, events)
values ('60000000-0000-0000-0000-000000000002', 'https://hooks.example.com/recovered', tests.envelope('s7'), 'k1', '{connection.recovered}');

-- The connection trigger.
insert into public.platform_connections (id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_expires_at)
values ('60000000-0000-0000-0000-0000000000c1', tests.get_supabase_uid('owner'), 'spotify', 'acct-1', tests.envelope('a1'), tests.envelope('r1'), 'k1', now() + interval '1 hour');
select is((select count(*)::int from public.webhook_events), 0, 'a new connection writes no event');
update public.platform_connections set status = 'needs_reauth', last_sync_status = 'reauth_required' where id = '60000000-0000-0000-0000-0000000000c1';
select results_eq($$select type, payload->'data' from public.webhook_events$$,
  $$values ('connection.needs_reauth'::text, jsonb_build_object('provider', 'spotify', 'account', 'acct-1', 'connection_id', '60000000-0000-0000-0000-0000000000c1', 'reason', 'reauth_required'))$$,
  'needs_reauth writes connection.needs_reauth naming provider, account and connection');
select ok((select payload ? 'type' and payload ? 'timestamp' and payload ? 'data' and not payload::text like '%' || tests.get_supabase_uid('owner') || '%'
  from public.webhook_events), 'the body is { type, timestamp, data } without the user id');
select results_eq($$select endpoint_id, status, attempts from public.webhook_deliveries$$,
  $$values ('60000000-0000-0000-0000-000000000001'::uuid, 'pending'::text, 0)$$, 'one pending delivery, only to the endpoint whose filter admits it');
update public.platform_connections set last_sync_error = 'again', consecutive_failures = consecutive_failures + 1 where id = '60000000-0000-0000-0000-0000000000c1';
select is((select count(*)::int from public.webhook_events), 1, 'staying in needs_reauth writes nothing more');
update public.platform_connections set status = 'connected', consecutive_failures = 0, last_sync_status = 'ok' where id = '60000000-0000-0000-0000-0000000000c1';
select is((select count(*)::int from public.webhook_events where type = 'connection.recovered'), 1, 'back to connected writes connection.recovered');
select is((select count(*)::int from public.webhook_deliveries where endpoint_id = '60000000-0000-0000-0000-000000000002'), 1, 'the filtered endpoint gets the recovery');

delete from public.webhook_events;
update public.platform_connections set consecutive_failures = 1, last_sync_status = 'transient' where id = '60000000-0000-0000-0000-0000000000c1';
update public.platform_connections set consecutive_failures = 2 where id = '60000000-0000-0000-0000-0000000000c1';
select is((select count(*)::int from public.webhook_events), 0, 'two failures write nothing');
update public.platform_connections set consecutive_failures = 3 where id = '60000000-0000-0000-0000-0000000000c1';
update public.platform_connections set consecutive_failures = 4 where id = '60000000-0000-0000-0000-0000000000c1';
update public.platform_connections set consecutive_failures = 9 where id = '60000000-0000-0000-0000-0000000000c1';
select results_eq($$select type, (payload->'data'->>'consecutive_failures')::int from public.webhook_events$$,
  $$values ('connection.refresh_failing'::text, 3)$$, 'the third failure writes connection.refresh_failing, once');
update public.platform_connections set consecutive_failures = 0, last_sync_status = 'ok' where id = '60000000-0000-0000-0000-0000000000c1';
select is((select count(*)::int from public.webhook_events where type = 'connection.recovered'), 1, 'the next success writes connection.recovered');
update public.platform_connections set consecutive_failures = 1, last_sync_status = 'transient' where id = '60000000-0000-0000-0000-0000000000c1';
update public.platform_connections set consecutive_failures = 0, last_sync_status = 'ok' where id = '60000000-0000-0000-0000-0000000000c1';
select is((select count(*)::int from public.webhook_events where type = 'connection.recovered'), 1, 'a single failure and success write nothing');

-- Provider state: one event per outage.
delete from public.webhook_events;
insert into public.platform_connections (id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_expires_at)
values ('60000000-0000-0000-0000-0000000000c2', tests.get_supabase_uid('stranger'), 'spotify', 'acct-2', tests.envelope('a2'), tests.envelope('r2'), 'k1', now() + interval '1 hour');
update public.platform_connections set last_sync_status = 'client_misconfigured' where provider = 'spotify';
update public.platform_connections set last_sync_status = 'client_misconfigured', last_sync_error = 'again' where provider = 'spotify';
select results_eq($$select type, payload->'data'->>'provider' from public.webhook_events$$,
  $$values ('provider.client_misconfigured'::text, 'spotify'::text)$$, 'a provider-wide client failure writes one provider.client_misconfigured');
select isnt((select misconfigured_since from public.provider_alert_state where provider = 'spotify'), null, 'the provider is marked');
select is((select status from public.platform_connections where id = '60000000-0000-0000-0000-0000000000c1'), 'connected', 'the connections keep their status');
update public.platform_connections set last_sync_status = 'ok' where id = '60000000-0000-0000-0000-0000000000c2';
update public.platform_connections set last_sync_status = 'ok' where id = '60000000-0000-0000-0000-0000000000c1';
select is((select count(*)::int from public.webhook_events where type = 'provider.recovered'), 1, 'the first success writes one provider.recovered');
select is((select misconfigured_since from public.provider_alert_state where provider = 'spotify'), null, 'the mark is cleared');
update public.platform_connections set last_sync_status = 'client_misconfigured' where id = '60000000-0000-0000-0000-0000000000c1';
select is((select count(*)::int from public.webhook_events where type = 'provider.client_misconfigured'), 2, 'a new outage alerts again');

-- Claiming and recording.
delete from public.webhook_events;
select provider_tokens.emit_webhook_event('provider.recovered', '{"provider":"xero"}');
select is((select count(*)::int from provider_tokens.claim_webhook_deliveries(10, 60)), 1, 'the due delivery is claimed');
select is((select count(*)::int from provider_tokens.claim_webhook_deliveries(10, 60)), 0, 'a claimed delivery is not claimed twice');
select is(provider_tokens.record_webhook_attempt((select id from public.webhook_deliveries), 500, 'HTTP 500', 12, now() + interval '5 seconds'), null, 'a failure is recorded');
select results_eq($$select status, attempts, last_status_code, lease_until is null from public.webhook_deliveries$$,
  $$values ('failed'::text, 1, 500, true)$$, 'the delivery waits for its retry');
select is(provider_tokens.record_webhook_attempt((select id from public.webhook_deliveries), 204, null, 8, null), null, 'a success is recorded');
select results_eq($$select status, attempts, delivered_at is not null from public.webhook_deliveries$$, $$values ('delivered'::text, 2, true)$$, 'delivered after two attempts');
select is((select count(*)::int from public.webhook_attempts), 2, 'both attempts are kept');
select results_eq($$select consecutive_failures, failing_since is null, last_success_at is not null from public.webhook_endpoints where id = '60000000-0000-0000-0000-000000000001'$$,
  $$values (0, true, true)$$, 'the endpoint''s failure count is reset by the success');
select throws_ok($$select provider_tokens.claim_webhook_deliveries(0)$$, '22023', 'p_limit must be between 1 and 1000', 'a bad claim size is refused');

-- Roles.
select tests.clear_authentication();
select throws_ok($$select count(*) from public.webhook_endpoints$$, '42501', null, 'anon cannot read endpoints');
select throws_ok($$select count(*) from public.webhook_events$$, '42501', null, 'anon cannot read events');
select throws_ok($$select provider_tokens.claim_webhook_deliveries(10)$$, '42501', null, 'anon cannot claim deliveries');
select tests.authenticate_as('owner');
select throws_ok($$select count(*) from public.webhook_events$$, '42501', null, 'the connection''s owner cannot read its events');
select throws_ok($$select count(*) from public.webhook_deliveries$$, '42501', null, 'authenticated cannot read deliveries');
select throws_ok($$insert into public.webhook_endpoints (url, secret, encryption_key_id) values ('https://evil.example/', tests.envelope('e'), 'k1')$$,
  '42501', null, 'authenticated cannot add an endpoint');
select throws_ok($$select provider_tokens.emit_webhook_event('provider.recovered', '{}')$$, '42501', null, 'authenticated cannot forge an event');
select tests.authenticate_as('stranger');
select throws_ok($$select count(*) from public.provider_alert_state$$, '42501', null, 'a stranger cannot read provider state');
select throws_ok($$select provider_tokens.record_webhook_attempt(gen_random_uuid(), 200, null, 1, null)$$, '42501', null, 'authenticated cannot record attempts');
select tests.authenticate_as_service_role();
select is((select count(*)::int from public.webhook_endpoints), 2, 'service_role reads endpoints');
select lives_ok($$select provider_tokens.claim_webhook_deliveries(10)$$, 'service_role claims deliveries');
select lives_ok($$select provider_tokens.emit_webhook_event('provider.recovered', '{"provider":"xero"}')$$, 'service_role (the backend) may write an event');
reset role;

-- The schedule.
select results_eq($$select schedule, command, active from cron.job where jobname = 'deliver-webhooks'$$,
  $$values ('* * * * *'::text, 'select provider_tokens.request_webhook_delivery()'::text, true)$$, 'the pg_cron job deliver-webhooks runs every minute');
select is(has_function_privilege('authenticated', 'provider_tokens.request_webhook_delivery()', 'execute'), false, 'a user cannot start a delivery run');
select results_eq($$select schedule, command from cron.job where jobname = 'purge-webhook-events'$$,
  $$values ('41 3 * * *'::text, 'select provider_tokens.purge_webhook_events()'::text)$$, 'old events are purged daily');
insert into public.webhook_events (id, type, payload, created_at) values
  ('60000000-0000-0000-0000-0000000000e1', 'webhook.test', '{}', now() - interval '31 days'),
  ('60000000-0000-0000-0000-0000000000e2', 'webhook.test', '{}', now() - interval '31 days'),
  ('60000000-0000-0000-0000-0000000000e3', 'webhook.test', '{}', now() - interval '29 days');
insert into public.webhook_deliveries (event_id, endpoint_id) values ('60000000-0000-0000-0000-0000000000e2', '60000000-0000-0000-0000-000000000001');
select is(provider_tokens.purge_webhook_events(), 1::bigint, 'the purge deletes only old events with nothing left to deliver');
select is((select count(*)::int from public.webhook_events where id in ('60000000-0000-0000-0000-0000000000e2', '60000000-0000-0000-0000-0000000000e3')), 2,
  'a pending delivery and a young event are kept');

select * from finish();
rollback;
