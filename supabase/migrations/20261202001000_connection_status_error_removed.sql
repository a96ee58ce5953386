-- The connection status `error` goes from the allowed set: nothing ever wrote it (no function, Edge Function or
-- script sets it; get-token, the admin filters and token-health only read it). The statuses and what a refresh
-- outcome does to them are owned by packages/shared/src/engine/transitions.ts; this schema follows it, and
-- tests/integration/connection-status.test.ts fails when the two differ.
--
-- A row that holds `error` anyway (written by hand) becomes needs_reauth, which is what it already behaved as:
-- get-token answered it with needs_reauth, the scheduler never claimed it, and only a reconnect brought it
-- back. The relabel is not a new fault, so it raises no connection.needs_reauth alert.
alter table public.platform_connections disable trigger platform_connections_webhook_events;
update public.platform_connections set status = 'needs_reauth' where status = 'error';
alter table public.platform_connections enable trigger platform_connections_webhook_events;

alter table public.platform_connections
  drop constraint platform_connections_status_check,
  add constraint platform_connections_status_check check (status in (
    'connected', 'token_expired', 'needs_reauth', 'disconnected'
  ));

create or replace function public.record_refresh_failure(
  p_connection_id uuid,
  p_owner uuid,
  p_error_code text,
  p_message text default null,
  p_retry_at timestamptz default null,
  p_new_status text default null
)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_current record;
  v_status text;
begin
  if p_error_code is null or p_error_code !~ '^[a-z][a-z0-9_]{0,63}$' then
    raise exception using errcode = '22023', message = 'p_error_code must be a snake_case code';
  end if;
  if p_new_status is not null and p_new_status not in ('connected', 'token_expired', 'needs_reauth', 'disconnected') then
    raise exception using errcode = '22023', message = 'p_new_status is not a connection status';
  end if;

  select c.status, c.token_expires_at, c.consecutive_failures, c.lease_owner
  into v_current
  from public.platform_connections as c
  where c.id = p_connection_id
  for update;

  if not found or v_current.lease_owner is distinct from p_owner then
    return false;
  end if;

  -- TRANSITIONS in packages/shared/src/engine/transitions.ts, row by row.
  v_status := case
    -- A disconnect that happened meanwhile wins.
    when v_current.status = 'disconnected' then 'disconnected'
    when p_new_status is not null then p_new_status
    when p_error_code = 'reauth_required' then 'needs_reauth'
    -- client_misconfigured: the provider configuration's fault, not this user's; the row is left as it is.
    when p_error_code = 'client_misconfigured' then v_current.status
    -- rate_limited, transient, ...: the connection is fine, only its access token may have lapsed meanwhile.
    when v_current.status in ('connected', 'token_expired') and v_current.token_expires_at <= now() then 'token_expired'
    else v_current.status
  end;

  update public.platform_connections as c
  set status = v_status,
      consecutive_failures = case
        when p_error_code = 'client_misconfigured' then c.consecutive_failures
        else c.consecutive_failures + 1
      end,
      -- Without an explicit retry time: exponential backoff, 30 s doubling per failure, at most 1 hour, so a
      -- failing connection can never be retried on every scheduler run.
      next_attempt_at = case
        when v_status in ('connected', 'token_expired') then coalesce(
          p_retry_at,
          now() + least(interval '1 hour', interval '30 seconds' * power(2, least(v_current.consecutive_failures, 10)))
        )
        else p_retry_at
      end,
      last_sync_status = p_error_code,
      last_sync_error = left(p_message, 500),
      lease_owner = null,
      lease_expires_at = null
  where c.id = p_connection_id;

  return true;
end
$$;

create or replace function public.record_token_validated(
  p_connection_id uuid,
  p_owner uuid,
  p_next_attempt_at timestamptz default null
)
returns boolean
language sql
volatile
set search_path = ''
as $$
  with validated as (
    update public.platform_connections as c
    set last_validated_at = now(),
        status = case when c.status = 'token_expired' then 'connected' else c.status end,
        last_sync_status = 'ok',
        last_sync_error = null,
        consecutive_failures = 0,
        next_attempt_at = p_next_attempt_at,
        lease_owner = null,
        lease_expires_at = null
    where c.id = p_connection_id
      and c.lease_owner = p_owner
    returning c.id
  )
  select exists (select 1 from validated)
$$;
