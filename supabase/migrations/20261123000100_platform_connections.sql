-- platform_connections: one row per connected provider account, tokens stored as ciphertext only.
--
-- Conventions for every migration in this project (basejump style):
--   * functions in public are not executable by default; each one is granted explicitly after it is created;
--   * `security definer` only together with `set search_path = ''`; every name is schema-qualified;
--   * every table in public has row level security enabled, and `comment on` says what each object is for.

-- Functions created from here on in public are not executable by anon or authenticated until granted.
-- PUBLIC's EXECUTE comes from the global default privileges, and a per-schema entry can only add to those,
-- so the first line below documents intent more than it changes anything: every function in this project
-- therefore also revokes EXECUTE from public, anon and authenticated explicitly, right after its creation.
-- (A global `alter default privileges revoke execute on functions from public` would also strip PUBLIC's
-- EXECUTE from every extension postgres creates afterwards, pgTAP included: deliberately not done.)
alter default privileges in schema public revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;

create table public.platform_connections (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  provider text not null,
  -- The provider-side account: Shopify shop domain, QuickBooks realmId, Xero tenant id, Lightspeed
  -- domain_prefix, ... '' when the provider has one account per user.
  account_id text not null default '',

  -- Ciphertext envelopes written by the Edge Functions (AES-256-GCM with a key of TOKEN_ENCRYPTION_KEYS);
  -- never plaintext. encryption_key_id names the key ring entry that encrypted both of them.
  access_token text,
  refresh_token text,
  encryption_key_id text,
  token_type text not null default 'bearer',
  scopes text[] not null default '{}',
  token_expires_at timestamptz,
  -- Hard cap of the refresh token (Spotify 6 months, LinkedIn 365 days, Intuit 5 years): refreshing
  -- never extends it; the UI surfaces it as "reconnect before".
  refresh_token_expires_at timestamptz,

  status text not null default 'connected',
  last_sync_status text,
  last_sync_error text,
  last_refreshed_at timestamptz,
  last_validated_at timestamptz,
  consecutive_failures integer not null default 0,
  -- When set, the connection is due at this time instead of at its token expiry (retry backoff, or a
  -- scheduled validation); cleared by a successful refresh.
  next_attempt_at timestamptz,

  -- Refresh lease: only the holder of an unexpired lease refreshes; it writes back with compare-and-set
  -- on (lease_owner, version).
  lease_owner uuid,
  lease_expires_at timestamptz,
  -- Bumped by the trigger below whenever the tokens, their key, the status or the identity change.
  version bigint not null default 1,

  -- Provider metadata that is not secret: shop domain, realmId, tenant, domain_prefix, display name.
  metadata jsonb not null default '{}',
  connected_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  constraint platform_connections_user_provider_account_key unique (user_id, provider, account_id),
  constraint platform_connections_provider_check check (provider in (
    'spotify', 'discord', 'google', 'youtube', 'gmail', 'google_calendar', 'github', 'etsy', 'shopify',
    'quickbooks', 'xero', 'lightspeed', 'microsoft', 'twitter', 'linkedin', 'reddit', 'twitch'
  )),
  constraint platform_connections_status_check check (status in (
    'connected', 'token_expired', 'needs_reauth', 'disconnected', 'error'
  )),
  constraint platform_connections_account_id_check check (char_length(account_id) <= 255),
  -- Ciphertext envelopes only (packages/shared/src/crypto/envelope.ts): v1.<key id>.<iv>.<ciphertext+tag>,
  -- unpadded base64url, 12-byte IV, at least the 16-byte tag. A plaintext token (a JWT, ya29...., gho_...)
  -- does not have that shape and is refused here, whatever the code that wrote it.
  constraint platform_connections_access_token_check check (
    access_token is null or (
      octet_length(access_token) <= 16384
      and access_token ~ '^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$'
    )
  ),
  constraint platform_connections_refresh_token_check check (
    refresh_token is null or (
      octet_length(refresh_token) <= 16384
      and refresh_token ~ '^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$'
    )
  ),
  constraint platform_connections_encryption_key_id_check check (
    encryption_key_id is null or encryption_key_id ~ '^[A-Za-z0-9_-]{1,32}$'
  ),
  -- encryption_key_id names the key of every ciphertext in the row, truthfully, so that "which rows still
  -- use key k1" is one query and a key can be retired from TOKEN_ENCRYPTION_KEYS once none does.
  constraint platform_connections_tokens_key_check check (
    ((access_token is null and refresh_token is null) or encryption_key_id is not null)
    and (access_token is null or split_part(access_token, '.', 2) = encryption_key_id)
    and (refresh_token is null or split_part(refresh_token, '.', 2) = encryption_key_id)
  ),
  constraint platform_connections_connected_has_token_check check (
    status <> 'connected' or access_token is not null
  ),
  constraint platform_connections_token_type_check check (char_length(token_type) between 1 and 32),
  constraint platform_connections_scopes_check check (
    cardinality(scopes) <= 256 and array_position(scopes, null) is null
  ),
  constraint platform_connections_last_sync_status_check check (
    last_sync_status is null or last_sync_status ~ '^[a-z][a-z0-9_]{0,63}$'
  ),
  constraint platform_connections_last_sync_error_check check (
    last_sync_error is null or char_length(last_sync_error) <= 500
  ),
  constraint platform_connections_consecutive_failures_check check (consecutive_failures >= 0),
  constraint platform_connections_lease_check check ((lease_owner is null) = (lease_expires_at is null)),
  constraint platform_connections_version_check check (version >= 1),
  constraint platform_connections_metadata_check check (
    jsonb_typeof(metadata) = 'object' and octet_length(metadata::text) <= 8192
  )
)
-- Room on each page for HOT updates: taking and releasing a lease touches no indexed column.
with (fillfactor = 90);

comment on table public.platform_connections is
  'One row per connected provider account. access_token and refresh_token hold ciphertext envelopes only and '
  'are never selectable by anon or authenticated; users read their rows through public.connection_status. '
  'Rows are written only by the Edge Functions (postgres / service_role), through the refresh functions.';
comment on column public.platform_connections.account_id is
  'Provider-side account (shop domain, realmId, tenant id, domain_prefix); '''' for one account per user.';
comment on column public.platform_connections.access_token is 'Ciphertext envelope (v1.<key id>.<iv>.<ciphertext>) of the access token.';
comment on column public.platform_connections.refresh_token is 'Ciphertext envelope (v1.<key id>.<iv>.<ciphertext>) of the refresh token.';
comment on column public.platform_connections.encryption_key_id is 'Key ring id (TOKEN_ENCRYPTION_KEYS) of the key that encrypted both tokens.';
comment on column public.platform_connections.refresh_token_expires_at is 'Hard cap of the refresh token; refreshing does not extend it.';
comment on column public.platform_connections.next_attempt_at is
  'When set, the connection is due at this time instead of at token expiry (backoff or scheduled validation).';
comment on column public.platform_connections.lease_owner is 'Owner token of the refresh lease; see acquire_refresh_lease.';
comment on column public.platform_connections.version is
  'Compare-and-set version, bumped by trigger when tokens, key, status or identity change.';
comment on column public.platform_connections.metadata is 'Non-secret provider metadata: shop, realmId, tenant, domain_prefix.';

-- updated_at, and the version bump that makes compare-and-set safe against every writer (refresh, a
-- reconnect through oauth-callback, a disconnect, a key rotation), not just the refresh functions.
-- Lease and bookkeeping columns do not bump it, so claiming a row does not invalidate its version.
create function public.platform_connections_before_update()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  if new.access_token is distinct from old.access_token
    or new.refresh_token is distinct from old.refresh_token
    or new.encryption_key_id is distinct from old.encryption_key_id
    or new.status is distinct from old.status
    or new.user_id is distinct from old.user_id
    or new.provider is distinct from old.provider
    or new.account_id is distinct from old.account_id
  then
    new.version := old.version + 1;
  else
    new.version := old.version;
  end if;
  return new;
end
$$;

comment on function public.platform_connections_before_update() is
  'Trigger: sets updated_at and bumps version when tokens, key, status or identity change.';
revoke execute on function public.platform_connections_before_update() from public, anon, authenticated;

create trigger platform_connections_before_update
  before update on public.platform_connections
  for each row execute function public.platform_connections_before_update();

-- Privileges. Users read their own rows, and only the non-secret columns; they never write.
-- service_role (bypassrls) keeps full access, as on every Supabase table.
alter table public.platform_connections enable row level security;

revoke all on table public.platform_connections from anon, authenticated, service_role;
grant select (
  id, user_id, provider, account_id, token_type, scopes, token_expires_at, refresh_token_expires_at,
  status, last_sync_status, last_sync_error, last_refreshed_at, last_validated_at, consecutive_failures,
  next_attempt_at, metadata, connected_at, updated_at
) on table public.platform_connections to authenticated;
grant select, insert, update, delete on table public.platform_connections to service_role;

create policy "Users can read their own connections"
  on public.platform_connections
  for select
  to authenticated
  using ((select auth.uid()) = user_id);

-- What frontends read: the status of the user's own connections, without a secret in sight. security_invoker
-- makes the caller's privileges and the policy above apply.
create view public.connection_status
with (security_invoker = true)
as
select
  c.id,
  c.user_id,
  c.provider,
  c.account_id,
  c.status,
  c.token_type,
  c.scopes,
  c.token_expires_at,
  c.refresh_token_expires_at,
  c.last_sync_status,
  c.last_sync_error,
  c.last_refreshed_at,
  c.last_validated_at,
  c.consecutive_failures,
  c.next_attempt_at,
  c.metadata,
  c.connected_at,
  c.updated_at
from public.platform_connections as c;

comment on view public.connection_status is
  'The caller''s connections without token columns (security_invoker: RLS of platform_connections applies).';

revoke all on table public.connection_status from anon, authenticated, service_role;
grant select on table public.connection_status to authenticated, service_role;
