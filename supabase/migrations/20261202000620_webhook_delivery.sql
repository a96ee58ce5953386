-- What deliver-webhooks calls: claim due deliveries (with their event and endpoint), then record each attempt.

create function public.claim_webhook_deliveries(p_limit integer, p_lease_seconds integer default 60)
returns table (
  delivery_id uuid, attempts integer, event_id uuid, event_type text, payload jsonb,
  endpoint_id uuid, url text, format text, secret text
)
language plpgsql
volatile
set search_path = ''
as $$
begin
  if p_limit is null or p_limit not between 1 and 1000 then
    raise exception using errcode = '22023', message = 'p_limit must be between 1 and 1000';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception using errcode = '22023', message = 'p_lease_seconds must be between 1 and 3600';
  end if;
  return query
  with due as (
    select d.id
    from public.webhook_deliveries as d
    join public.webhook_endpoints as e on e.id = d.endpoint_id
    where d.status in ('pending', 'failed')
      and d.next_attempt_at <= now()
      and (d.lease_until is null or d.lease_until <= now())
      and e.enabled
    order by d.next_attempt_at
    limit p_limit
    for update of d skip locked
  ), claimed as (
    update public.webhook_deliveries as d
    set lease_until = now() + make_interval(secs => p_lease_seconds)
    from due
    where d.id = due.id
    returning d.id, d.attempts, d.event_id, d.endpoint_id
  )
  select c.id, c.attempts, ev.id, ev.type, ev.payload, e.id, e.url, e.format, e.secret
  from claimed as c
  join public.webhook_events as ev on ev.id = c.event_id
  join public.webhook_endpoints as e on e.id = c.endpoint_id;
end
$$;

comment on function public.claim_webhook_deliveries(integer, integer) is
  'Claims up to p_limit due deliveries of enabled endpoints for p_lease_seconds (skip locked), with the event '
  'body and the endpoint (url, format, encrypted secret).';
revoke execute on function public.claim_webhook_deliveries(integer, integer) from public, anon, authenticated;
grant execute on function public.claim_webhook_deliveries(integer, integer) to service_role;

create function public.record_webhook_attempt(
  p_delivery_id uuid,
  p_status_code integer,
  p_error text,
  p_duration_ms integer,
  p_next_attempt_at timestamptz,
  p_disable_after interval default interval '3 days'
)
returns text
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_ok boolean := p_status_code between 200 and 299;
  v_endpoint uuid;
  v_reason text;
begin
  if p_duration_ms is null or p_duration_ms < 0 then
    raise exception using errcode = '22023', message = 'p_duration_ms must be a non-negative integer';
  end if;
  insert into public.webhook_attempts (delivery_id, status_code, error, duration_ms)
  values (p_delivery_id, p_status_code, left(p_error, 500), p_duration_ms);

  update public.webhook_deliveries as d
  set attempts = d.attempts + 1,
      status = case when v_ok then 'delivered' when p_next_attempt_at is null then 'dead' else 'failed' end,
      next_attempt_at = case when v_ok then null else p_next_attempt_at end,
      delivered_at = case when v_ok then now() else d.delivered_at end,
      last_status_code = p_status_code,
      last_error = case when v_ok then null else left(p_error, 500) end,
      lease_until = null
  where d.id = p_delivery_id
  returning d.endpoint_id into v_endpoint;

  if v_ok then
    update public.webhook_endpoints as e
    set last_success_at = now(), failing_since = null, consecutive_failures = 0
    where e.id = v_endpoint;
    return null;
  end if;

  update public.webhook_endpoints as e
  set last_failure_at = now(),
      failing_since = coalesce(e.failing_since, now()),
      consecutive_failures = e.consecutive_failures + 1
  where e.id = v_endpoint;

  update public.webhook_endpoints as e
  set enabled = false,
      disabled_at = now(),
      disabled_reason = left(format('no successful delivery since %s (%s failed attempts in a row; last: %s)',
        to_char(e.failing_since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), e.consecutive_failures,
        coalesce(left(p_error, 200), 'HTTP ' || p_status_code)), 500)
  where e.id = v_endpoint and e.enabled and e.failing_since <= now() - p_disable_after
  returning e.disabled_reason into v_reason;

  if v_reason is not null then
    -- Nothing more goes to a disabled endpoint: its waiting deliveries stop here (replayable later).
    update public.webhook_deliveries as d
    set status = 'dead', next_attempt_at = null, lease_until = null,
        last_error = left('endpoint disabled: ' || v_reason, 500)
    where d.endpoint_id = v_endpoint and d.status in ('pending', 'failed');
  end if;
  return v_reason;
end
$$;

comment on function public.record_webhook_attempt(uuid, integer, text, integer, timestamptz, interval) is
  'Records one delivery attempt: delivered on a 2xx, else failed with p_next_attempt_at as the retry (dead '
  'when null). Keeps the endpoint''s success/failure bookkeeping and disables an endpoint that has not had a '
  'success for p_disable_after; returns the disabled reason when this attempt disabled it, else null.';
revoke execute on function public.record_webhook_attempt(uuid, integer, text, integer, timestamptz, interval) from public, anon, authenticated;
grant execute on function public.record_webhook_attempt(uuid, integer, text, integer, timestamptz, interval) to service_role;

-- Delivered events and their attempts are kept 30 days.
create function public.purge_webhook_events(p_older_than interval default interval '30 days')
returns bigint
language sql
volatile
set search_path = ''
as $$
  with gone as (
    delete from public.webhook_events as ev
    where ev.created_at < now() - p_older_than
      and not exists (
        select 1 from public.webhook_deliveries as d where d.event_id = ev.id and d.status in ('pending', 'failed')
      )
    returning 1
  )
  select count(*) from gone;
$$;

comment on function public.purge_webhook_events(interval) is
  'Deletes events (with their deliveries and attempts) older than p_older_than that have nothing left to deliver.';
revoke execute on function public.purge_webhook_events(interval) from public, anon, authenticated;
grant execute on function public.purge_webhook_events(interval) to service_role;
