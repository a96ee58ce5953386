-- Keep-alive: a refresh token that dies after a period unused (Google 6 months, Xero 60 days, QuickBooks 100
-- days) stays alive only if it is used. A connection whose access token outlives that window would not come
-- up for refresh in time, so after a refresh the engine sets next_attempt_at to the keep-alive date; the due
-- index (coalesce(next_attempt_at, token_expires_at)) then brings the row back at that date.
create function public.schedule_keepalive(
  p_connection_id uuid,
  p_at timestamptz
)
returns boolean
language sql
volatile
set search_path = ''
as $$
  update public.platform_connections
  set next_attempt_at = p_at
  where id = p_connection_id
    and lease_owner is null
    and status = 'connected'
    and (next_attempt_at is null or next_attempt_at > p_at)
    and token_expires_at > p_at
  returning true;
$$;

comment on function public.schedule_keepalive(uuid, timestamptz) is
  'Makes a just-refreshed connection due at p_at (before its token expiry), so an idle refresh token is used in time.';
revoke execute on function public.schedule_keepalive(uuid, timestamptz) from public, anon, authenticated;
grant execute on function public.schedule_keepalive(uuid, timestamptz) to service_role;
