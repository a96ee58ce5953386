-- The refresh protocol the Edge Functions follow (they connect as postgres; service_role may call it too):
--
--   claim_due_connections  -> rows with a lease for p_owner    (scheduler: refresh-expiring)
--   acquire_refresh_lease  -> one row with a lease for p_owner (on demand: get-token, disconnect)
--   ... call the provider, outside any database transaction ...
--   save_refreshed_tokens  (compare-and-set on lease owner and version; releases the lease)
--   record_refresh_failure (releases the lease, schedules the retry)
--   record_token_validated (releases the lease)
--   release_refresh_lease  (give the lease back without writing anything)
--
-- Call each one in its own short transaction (autocommit): the lease times use now(), the start of the
-- transaction. None needs security definer: postgres owns the table and service_role bypasses RLS.

create function public.claim_due_connections(
  p_batch integer,
  p_lease_seconds integer,
  p_owner uuid,
  p_window_seconds integer default 300
)
returns table (
  id uuid,
  user_id uuid,
  provider text,
  account_id text,
  access_token text,
  refresh_token text,
  encryption_key_id text,
  token_type text,
  scopes text[],
  token_expires_at timestamptz,
  refresh_token_expires_at timestamptz,
  status text,
  consecutive_failures integer,
  version bigint,
  metadata jsonb,
  lease_expires_at timestamptz
)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_batch is null or p_batch not between 1 and 1000 then
    raise exception using errcode = '22023', message = 'p_batch must be between 1 and 1000';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception using errcode = '22023', message = 'p_lease_seconds must be between 1 and 3600';
  end if;
  if p_owner is null then
    raise exception using errcode = '22023', message = 'p_owner is required';
  end if;
  if p_window_seconds is null or p_window_seconds not between 0 and 86400 then
    raise exception using errcode = '22023', message = 'p_window_seconds must be between 0 and 86400';
  end if;

  -- An ordered range scan of platform_connections_due_idx (same predicate, same key), stopping after
  -- p_batch rows; rows locked by a concurrent claimer are skipped, not waited for, and a row whose lease
  -- another session took meanwhile fails the re-checked lease condition. Concurrent schedulers therefore
  -- never claim the same row, and a leased row is not claimed again until its lease expires.
  return query
  with due as (
    select c.id
    from public.platform_connections as c
    where c.status in ('connected', 'token_expired')
      and c.refresh_token is not null
      and coalesce(c.next_attempt_at, c.token_expires_at) <= now() + make_interval(secs => p_window_seconds)
      and (c.next_attempt_at is null or c.next_attempt_at <= now())
      and (c.lease_expires_at is null or c.lease_expires_at <= now())
    order by coalesce(c.next_attempt_at, c.token_expires_at)
    limit p_batch
    for update of c skip locked
  ),
  claimed as (
    update public.platform_connections as c
    set lease_owner = p_owner,
        lease_expires_at = now() + make_interval(secs => p_lease_seconds)
    from due
    where c.id = due.id
    returning c.*
  )
  select
    k.id, k.user_id, k.provider, k.account_id, k.access_token, k.refresh_token, k.encryption_key_id,
    k.token_type, k.scopes, k.token_expires_at, k.refresh_token_expires_at, k.status,
    k.consecutive_failures, k.version, k.metadata, k.lease_expires_at
  from claimed as k
  order by coalesce(k.next_attempt_at, k.token_expires_at), k.id;
end
$$;

comment on function public.claim_due_connections(integer, integer, uuid, integer) is
  'Scheduler: leases up to p_batch due connections to p_owner for p_lease_seconds, most urgent first, '
  'skipping rows locked or leased by others. Due: status connected/token_expired with a refresh token, and '
  'next_attempt_at reached, or (next_attempt_at null and) token_expires_at within p_window_seconds.';
revoke execute on function public.claim_due_connections(integer, integer, uuid, integer) from public, anon, authenticated;
grant execute on function public.claim_due_connections(integer, integer, uuid, integer) to service_role;

create function public.acquire_refresh_lease(
  p_connection_id uuid,
  p_owner uuid,
  p_lease_seconds integer
)
returns table (
  id uuid,
  user_id uuid,
  provider text,
  account_id text,
  access_token text,
  refresh_token text,
  encryption_key_id text,
  token_type text,
  scopes text[],
  token_expires_at timestamptz,
  refresh_token_expires_at timestamptz,
  status text,
  consecutive_failures integer,
  version bigint,
  metadata jsonb,
  lease_expires_at timestamptz
)
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_owner is null then
    raise exception using errcode = '22023', message = 'p_owner is required';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception using errcode = '22023', message = 'p_lease_seconds must be between 1 and 3600';
  end if;

  -- Free, expired, or already ours (then it is extended). A concurrent acquirer waits for the row lock and
  -- re-checks the condition against the winner's lease, so exactly one of them gets a row back.
  return query
  update public.platform_connections as c
  set lease_owner = p_owner,
      lease_expires_at = now() + make_interval(secs => p_lease_seconds)
  where c.id = p_connection_id
    and (c.lease_owner is null or c.lease_owner = p_owner or c.lease_expires_at <= now())
  returning
    c.id, c.user_id, c.provider, c.account_id, c.access_token, c.refresh_token, c.encryption_key_id,
    c.token_type, c.scopes, c.token_expires_at, c.refresh_token_expires_at, c.status,
    c.consecutive_failures, c.version, c.metadata, c.lease_expires_at;
end
$$;

comment on function public.acquire_refresh_lease(uuid, uuid, integer) is
  'Takes (or extends) the refresh lease of one connection for p_owner and returns the row with its current '
  'version; returns no row while another owner holds an unexpired lease. An expired lease is taken over.';
revoke execute on function public.acquire_refresh_lease(uuid, uuid, integer) from public, anon, authenticated;
grant execute on function public.acquire_refresh_lease(uuid, uuid, integer) to service_role;

create function public.release_refresh_lease(
  p_connection_id uuid,
  p_owner uuid
)
returns boolean
language sql
volatile
set search_path = ''
as $$
  with released as (
    update public.platform_connections as c
    set lease_owner = null,
        lease_expires_at = null
    where c.id = p_connection_id
      and c.lease_owner = p_owner
    returning c.id
  )
  select exists (select 1 from released)
$$;

comment on function public.release_refresh_lease(uuid, uuid) is
  'Releases the refresh lease if p_owner holds it (expired or not); true when released. Writes nothing else.';
revoke execute on function public.release_refresh_lease(uuid, uuid) from public, anon, authenticated;
grant execute on function public.release_refresh_lease(uuid, uuid) to service_role;

create function public.save_refreshed_tokens(
  p_connection_id uuid,
  p_owner uuid,
  p_expected_version bigint,
  p_access_token text,
  p_refresh_token text,
  p_key_id text,
  p_expires_at timestamptz,
  p_refresh_token_expires_at timestamptz default null,
  p_scopes text[] default null,
  p_token_type text default null,
  p_metadata jsonb default null
)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_current record;
begin
  if p_access_token is null or p_key_id is null then
    raise exception using errcode = '22023', message = 'p_access_token and p_key_id are required';
  end if;

  select c.lease_owner, c.version, c.encryption_key_id, c.refresh_token is not null as has_refresh_token
  into v_current
  from public.platform_connections as c
  where c.id = p_connection_id
  for update;

  -- Compare-and-set: only the lease owner, and only if nobody changed the tokens or the status since the
  -- caller read version. Otherwise nothing is written and the caller learns it lost.
  if not found or v_current.lease_owner is distinct from p_owner or v_current.version <> p_expected_version then
    return false;
  end if;

  -- One encryption_key_id describes both ciphertexts: keeping the stored refresh token is only possible
  -- when it was encrypted with the same key. After a key rotation the caller re-encrypts it and passes it.
  if p_refresh_token is null and v_current.has_refresh_token and v_current.encryption_key_id is distinct from p_key_id then
    raise exception using
      errcode = '22023',
      message = 'the stored refresh token is encrypted with another key: pass it re-encrypted with p_key_id';
  end if;

  update public.platform_connections as c
  set access_token = p_access_token,
      refresh_token = coalesce(p_refresh_token, c.refresh_token),
      encryption_key_id = p_key_id,
      token_expires_at = p_expires_at,
      refresh_token_expires_at = coalesce(p_refresh_token_expires_at, c.refresh_token_expires_at),
      scopes = coalesce(p_scopes, c.scopes),
      token_type = coalesce(p_token_type, c.token_type),
      metadata = case when p_metadata is null then c.metadata else c.metadata || p_metadata end,
      status = 'connected',
      last_sync_status = 'ok',
      last_sync_error = null,
      consecutive_failures = 0,
      next_attempt_at = null,
      last_refreshed_at = now(),
      lease_owner = null,
      lease_expires_at = null
  where c.id = p_connection_id;

  -- Delivered on commit; a listener (a get-token waiting for someone else's refresh) re-reads the row.
  perform pg_notify('token_refreshed', p_connection_id::text);
  return true;
end
$$;

comment on function public.save_refreshed_tokens(uuid, uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text, jsonb) is
  'Writes refreshed ciphertexts if p_owner holds the lease and version = p_expected_version; a null '
  'refresh token (or refresh cap, scopes, token type) keeps the stored one. Sets status connected, resets '
  'failures and next_attempt_at, sets last_refreshed_at, bumps version, releases the lease, and notifies '
  'channel token_refreshed with the connection id. Returns false (and changes nothing) otherwise.';
revoke execute on function public.save_refreshed_tokens(uuid, uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text, jsonb) from public, anon, authenticated;
grant execute on function public.save_refreshed_tokens(uuid, uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text, jsonb) to service_role;

create function public.record_refresh_failure(
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
  if p_new_status is not null and p_new_status not in ('connected', 'token_expired', 'needs_reauth', 'disconnected', 'error') then
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

  v_status := case
    -- A disconnect that happened meanwhile wins.
    when v_current.status = 'disconnected' then 'disconnected'
    when p_new_status is not null then p_new_status
    when p_error_code = 'reauth_required' then 'needs_reauth'
    -- Bad client credentials are the provider configuration's fault, not this user's: the row is left as
    -- it is (packages/shared/src/engine/transitions.ts).
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

comment on function public.record_refresh_failure(uuid, uuid, text, text, timestamptz, text) is
  'Records a failed refresh if p_owner holds the lease: status needs_reauth for p_error_code reauth_required, '
  'unchanged for client_misconfigured, else token_expired when the access token lapsed (p_new_status '
  'overrides; disconnected stays); consecutive_failures + 1 (not for client_misconfigured); '
  'next_attempt_at = p_retry_at or an exponential backoff (30 s .. 1 h); '
  'last_sync_status = p_error_code, last_sync_error = p_message (max 500 chars, must never hold a token); '
  'releases the lease. Returns false (and changes nothing) when p_owner does not hold the lease.';
revoke execute on function public.record_refresh_failure(uuid, uuid, text, text, timestamptz, text) from public, anon, authenticated;
grant execute on function public.record_refresh_failure(uuid, uuid, text, text, timestamptz, text) to service_role;

create function public.record_token_validated(
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
        status = case when c.status in ('token_expired', 'error') then 'connected' else c.status end,
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

comment on function public.record_token_validated(uuid, uuid, timestamptz) is
  'Records a successful validation call (tokens that do not expire) if p_owner holds the lease: '
  'last_validated_at, status connected unless needs_reauth/disconnected, failures reset, next_attempt_at = '
  'p_next_attempt_at, lease released. True when recorded.';
revoke execute on function public.record_token_validated(uuid, uuid, timestamptz) from public, anon, authenticated;
grant execute on function public.record_token_validated(uuid, uuid, timestamptz) to service_role;
