-- A parking place for a refreshed token set whose save failed. Once a provider has rotated a refresh
-- token, the new one exists only in the memory of the function that asked for it. The engine saves it with
-- save_refreshed_tokens (retried with backoff inside its lease); if that keeps failing (a trigger or check
-- refusing the row, lock or statement timeouts on platform_connections), it parks the new set here with
-- one small insert that touches no column of platform_connections. The next reader or claimer of the
-- connection (get-token, refresh-expiring, both through the lease) applies it with
-- apply_parked_tokens before anything else, so the provider is never asked with a spent refresh token.
--
-- The ciphertexts are the row's own: encrypted for platform_connections, bound to the connection id and
-- their column, so applying is a copy and the database never sees a plaintext token.

create table public.pending_token_sets (
  connection_id uuid primary key references public.platform_connections (id) on delete cascade,
  -- The version the refresh read; the set applies only if the row is still at it (a reconnect or a
  -- disconnect since then wins, as it would over a save).
  based_on_version bigint not null,
  access_token text not null,
  refresh_token text not null,
  encryption_key_id text not null,
  token_type text not null,
  scopes text[] not null default '{}',
  token_expires_at timestamptz not null,
  refresh_token_expires_at timestamptz,
  parked_at timestamptz not null default now(),

  -- Four times the connection row's bound: a set too large for the row still parks, and is then served and
  -- refreshed from here (see refresh-leased.ts) instead of being lost.
  constraint pending_token_sets_access_token_check check (
    octet_length(access_token) <= 65536
    and access_token ~ '^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$'
  ),
  constraint pending_token_sets_refresh_token_check check (
    octet_length(refresh_token) <= 65536
    and refresh_token ~ '^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$'
  ),
  constraint pending_token_sets_key_check check (
    encryption_key_id ~ '^[A-Za-z0-9_-]{1,32}$'
    and split_part(access_token, '.', 2) = encryption_key_id
    and split_part(refresh_token, '.', 2) = encryption_key_id
  ),
  constraint pending_token_sets_token_type_check check (char_length(token_type) between 1 and 32),
  constraint pending_token_sets_scopes_check check (cardinality(scopes) <= 256 and array_position(scopes, null) is null),
  constraint pending_token_sets_version_check check (based_on_version >= 1)
);

comment on table public.pending_token_sets is
  'A refreshed token set (ciphertext of platform_connections, same row binding) whose save failed, kept until '
  'apply_parked_tokens copies it into its connection. At most one per connection: the newest wins.';

alter table public.pending_token_sets enable row level security;
revoke all on table public.pending_token_sets from anon, authenticated, service_role;
grant select, insert, update, delete on table public.pending_token_sets to service_role;

create function public.park_refreshed_tokens(
  p_connection_id uuid,
  p_expected_version bigint,
  p_access_token text,
  p_refresh_token text,
  p_key_id text,
  p_expires_at timestamptz,
  p_refresh_token_expires_at timestamptz,
  p_scopes text[],
  p_token_type text
)
returns boolean
language sql
volatile
set search_path = ''
as $$
  -- FOR SHARE holds off a disconnect's wipe until this commits: the wipe then bumps the version and its
  -- own clean-up finds the parked set (and revokes it). After a wipe, nothing parks: the version moved.
  with target as (
    select c.id
    from public.platform_connections as c
    where c.id = p_connection_id
      and c.version = p_expected_version
      and c.status <> 'disconnected'
    for share
  ),
  parked as (
    insert into public.pending_token_sets as p (
      connection_id, based_on_version, access_token, refresh_token, encryption_key_id, token_type, scopes,
      token_expires_at, refresh_token_expires_at
    )
    select target.id, p_expected_version, p_access_token, p_refresh_token, p_key_id, p_token_type,
      coalesce(p_scopes, '{}'), p_expires_at, p_refresh_token_expires_at
    from target
    on conflict (connection_id) do update
    set based_on_version = excluded.based_on_version,
        access_token = excluded.access_token,
        refresh_token = excluded.refresh_token,
        encryption_key_id = excluded.encryption_key_id,
        token_type = excluded.token_type,
        scopes = excluded.scopes,
        token_expires_at = excluded.token_expires_at,
        refresh_token_expires_at = excluded.refresh_token_expires_at,
        parked_at = now()
    returning p.connection_id
  )
  select exists (select 1 from parked)
$$;

comment on function public.park_refreshed_tokens(uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text) is
  'Parks a refreshed token set (ciphertext) for its connection when save_refreshed_tokens keeps failing; one '
  'insert, no write to platform_connections. False (nothing parked) when the connection is gone, '
  'disconnected, or no longer at p_expected_version.';
revoke execute on function public.park_refreshed_tokens(uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text) from public, anon, authenticated;
grant execute on function public.park_refreshed_tokens(uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text) to service_role;

create function public.apply_parked_tokens(
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

  update public.platform_connections as c
  set access_token = v_set.access_token,
      refresh_token = v_set.refresh_token,
      encryption_key_id = v_set.encryption_key_id,
      token_expires_at = v_set.token_expires_at,
      refresh_token_expires_at = coalesce(v_set.refresh_token_expires_at, c.refresh_token_expires_at),
      scopes = v_set.scopes,
      token_type = v_set.token_type,
      status = 'connected',
      last_sync_status = 'ok',
      last_sync_error = null,
      consecutive_failures = 0,
      next_attempt_at = null,
      last_refreshed_at = v_set.parked_at,
      lease_owner = null,
      lease_expires_at = null
  where c.id = p_connection_id;

  delete from public.pending_token_sets as p where p.connection_id = p_connection_id;
  perform pg_notify('token_refreshed', p_connection_id::text);
  return 'applied';
end
$$;

comment on function public.apply_parked_tokens(uuid, uuid) is
  'Copies the parked token set into its connection if p_owner holds the lease and the row is still at the '
  'version the set was based on (status connected, failures reset, lease released, version bumped), then '
  'deletes it. Returns applied, stale (the row moved on: the set is deleted), not_owner, or none.';
revoke execute on function public.apply_parked_tokens(uuid, uuid) from public, anon, authenticated;
grant execute on function public.apply_parked_tokens(uuid, uuid) to service_role;
