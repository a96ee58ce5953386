-- Alert events are written in the same transaction as the change that causes them: a trigger on
-- public.platform_connections watches status, consecutive_failures and last_sync_status.
--
--   connection.needs_reauth        status becomes needs_reauth
--   connection.refresh_failing     consecutive_failures reaches 3 (once per failing streak, not every retry)
--   connection.recovered           back to connected with no failures after needs_reauth or a failing streak
--   provider.client_misconfigured  the first client_misconfigured failure of a provider while it is not
--                                  already marked (public.provider_alert_state): once per outage
--   provider.recovered             the first successful refresh or validation of that provider afterwards
--
-- Not security definer: only service_role (and postgres) write platform_connections, and both may write the
-- outbox; anon and authenticated can neither update a connection nor call these functions.

create function public.emit_webhook_event(p_type text, p_data jsonb)
returns uuid
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_id uuid := gen_random_uuid();
begin
  insert into public.webhook_events (id, type, payload)
  values (v_id, p_type, jsonb_build_object(
    'type', p_type,
    'timestamp', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'data', p_data
  ));
  insert into public.webhook_deliveries (event_id, endpoint_id)
  select v_id, e.id
  from public.webhook_endpoints as e
  where e.enabled and (e.events is null or p_type = any (e.events));
  return v_id;
end
$$;

comment on function public.emit_webhook_event(text, jsonb) is
  'Writes an alert event ({ type, timestamp, data }) and one pending delivery per enabled endpoint whose '
  'filter admits it. data must never hold a token.';
revoke execute on function public.emit_webhook_event(text, jsonb) from public, anon, authenticated;
grant execute on function public.emit_webhook_event(text, jsonb) to service_role;

create function public.platform_connections_webhook_events()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  -- Consecutive failed refreshes after which a connection is reported as failing (once).
  c_failing_threshold constant integer := 3;
  v_data jsonb := jsonb_build_object('provider', new.provider, 'account', new.account_id, 'connection_id', new.id);
  v_since timestamptz;
begin
  if new.status = 'needs_reauth' and old.status is distinct from 'needs_reauth' then
    perform public.emit_webhook_event('connection.needs_reauth', v_data || jsonb_build_object('reason', new.last_sync_status));
  elsif new.status in ('connected', 'token_expired', 'error')
    and old.consecutive_failures < c_failing_threshold and new.consecutive_failures >= c_failing_threshold then
    perform public.emit_webhook_event('connection.refresh_failing', v_data || jsonb_build_object(
      'consecutive_failures', new.consecutive_failures, 'reason', new.last_sync_status));
  elsif new.status = 'connected' and new.consecutive_failures = 0
    and (old.status = 'needs_reauth' or (old.status <> 'disconnected' and old.consecutive_failures >= c_failing_threshold)) then
    perform public.emit_webhook_event('connection.recovered', v_data || jsonb_build_object('previous_status', old.status));
  end if;

  if new.last_sync_status = 'client_misconfigured' then
    -- The row lock of the provider's state row serializes concurrent failures: only one inserts or flips it.
    insert into public.provider_alert_state as s (provider, misconfigured_since, error_code)
    values (new.provider, now(), new.last_sync_status)
    on conflict (provider) do update
      set misconfigured_since = now(), error_code = excluded.error_code, updated_at = now()
      where s.misconfigured_since is null
    returning s.misconfigured_since into v_since;
    if v_since is not null then
      perform public.emit_webhook_event('provider.client_misconfigured', jsonb_build_object(
        'provider', new.provider, 'reason', new.last_sync_status,
        'account', new.account_id, 'connection_id', new.id));
    end if;
  elsif new.last_sync_status = 'ok' then
    update public.provider_alert_state as s
    set misconfigured_since = null, updated_at = now()
    where s.provider = new.provider and s.misconfigured_since is not null
    returning s.updated_at into v_since;
    if v_since is not null then
      perform public.emit_webhook_event('provider.recovered', jsonb_build_object(
        'provider', new.provider, 'account', new.account_id, 'connection_id', new.id));
    end if;
  end if;
  return null;
end
$$;

comment on function public.platform_connections_webhook_events() is
  'Trigger: writes connection.* and provider.* alert events in the transaction of the status change.';
revoke execute on function public.platform_connections_webhook_events() from public, anon, authenticated;

create trigger platform_connections_webhook_events
  after update of status, consecutive_failures, last_sync_status on public.platform_connections
  for each row execute function public.platform_connections_webhook_events();
