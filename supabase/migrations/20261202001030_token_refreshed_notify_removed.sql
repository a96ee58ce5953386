-- save_refreshed_tokens and apply_parked_tokens sent NOTIFY token_refreshed on every save, for a get-token that
-- would wait on someone else's refresh. Nothing listens on that channel: get-token polls the row instead
-- (README, "Getting a token"), which also works behind Supavisor's transaction mode, where LISTEN does not. The two
-- functions are re-created without it, and write the token set through one function instead of two copies of
-- the same update.

create function provider_tokens.store_token_set(
  p_connection_id uuid,
  p_access_token text,
  p_refresh_token text,
  p_key_id text,
  p_expires_at timestamptz,
  p_refresh_token_expires_at timestamptz,
  p_scopes text[],
  p_token_type text,
  p_metadata jsonb,
  p_refreshed_at timestamptz
)
returns void
language sql
volatile
set search_path = ''
as $$
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
      last_refreshed_at = p_refreshed_at,
      lease_owner = null,
      lease_expires_at = null
  where c.id = p_connection_id
$$;

comment on function provider_tokens.store_token_set(uuid, text, text, text, timestamptz, timestamptz, text[], text, jsonb, timestamptz) is
  'The write of save_refreshed_tokens and apply_parked_tokens, without their checks: the token set into the row '
  '(a null refresh token, cap, scopes, token type or metadata keeps the stored one), status connected, failures '
  'and next_attempt_at reset, last_refreshed_at = p_refreshed_at, lease released.';
revoke execute on function provider_tokens.store_token_set(uuid, text, text, text, timestamptz, timestamptz, text[], text, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function provider_tokens.store_token_set(uuid, text, text, text, timestamptz, timestamptz, text[], text, jsonb, timestamptz) to service_role;

create or replace function provider_tokens.save_refreshed_tokens(
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

  perform provider_tokens.store_token_set(p_connection_id, p_access_token, p_refresh_token, p_key_id, p_expires_at,
    p_refresh_token_expires_at, p_scopes, p_token_type, p_metadata, now());

  return true;
end
$$;

comment on function provider_tokens.save_refreshed_tokens(uuid, uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text, jsonb) is
  'Writes refreshed ciphertexts if p_owner holds the lease and version = p_expected_version; a null '
  'refresh token (or refresh cap, scopes, token type) keeps the stored one. Sets status connected, resets '
  'failures and next_attempt_at, sets last_refreshed_at, bumps version and releases the lease. Returns false '
  '(and changes nothing) otherwise.';

create or replace function provider_tokens.apply_parked_tokens(
  p_connection_id uuid,
  p_owner uuid
)
returns text
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_conn record;
  v_set public.pending_token_sets;
begin
  -- The connection first, then its parked set: the order park_refreshed_tokens and a disconnect take them.
  select c.version, c.status, c.lease_owner
  into v_conn
  from public.platform_connections as c
  where c.id = p_connection_id
  for update;
  if not found then
    return 'none';
  end if;

  select * into v_set from public.pending_token_sets as p where p.connection_id = p_connection_id for update;
  if not found then
    return 'none';
  end if;
  if v_conn.lease_owner is distinct from p_owner then
    return 'not_owner';
  end if;
  if v_conn.version <> v_set.based_on_version or v_conn.status = 'disconnected' then
    delete from public.pending_token_sets as p where p.connection_id = p_connection_id;
    return 'stale';
  end if;

  perform provider_tokens.store_token_set(p_connection_id, v_set.access_token, v_set.refresh_token,
    v_set.encryption_key_id, v_set.token_expires_at, v_set.refresh_token_expires_at, v_set.scopes, v_set.token_type,
    null, v_set.parked_at);

  delete from public.pending_token_sets as p where p.connection_id = p_connection_id;
  return 'applied';
end
$$;
