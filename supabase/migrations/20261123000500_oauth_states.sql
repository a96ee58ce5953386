-- oauth_states: the pending authorizations of the connect flow (oauth-start writes, oauth-callback consumes).
-- Only a hash of the state travels into the database, so a leaked table cannot be replayed at the callback.

create table public.oauth_states (
  id uuid primary key default gen_random_uuid(),
  -- SHA-256 of the random state sent to the provider.
  state_hash bytea not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  provider text not null,
  -- Ciphertext envelope of the PKCE code_verifier (null for providers without PKCE).
  code_verifier text,
  encryption_key_id text,
  redirect_to text not null,
  scopes text[] not null default '{}',
  -- The account asked for before authorizing (Shopify shop domain); '' when none.
  account_id text not null default '',
  -- Non-secret extras of the flow (tenant, domain_prefix, shop, ...).
  metadata jsonb not null default '{}',
  expires_at timestamptz not null default (now() + interval '10 minutes'),
  used_at timestamptz,
  created_at timestamptz not null default now(),

  constraint oauth_states_state_hash_key unique (state_hash),
  constraint oauth_states_state_hash_check check (octet_length(state_hash) = 32),
  constraint oauth_states_provider_check check (provider in (
    'spotify', 'discord', 'google', 'youtube', 'gmail', 'google_calendar', 'github', 'etsy', 'shopify',
    'quickbooks', 'xero', 'lightspeed', 'microsoft', 'twitter', 'linkedin', 'reddit', 'twitch'
  )),
  -- A ciphertext envelope (v1.<key id>.<iv>.<ciphertext>) whose key is encryption_key_id.
  constraint oauth_states_code_verifier_check check (
    code_verifier is null or (
      octet_length(code_verifier) <= 1024
      and code_verifier ~ '^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$'
      and encryption_key_id is not null
      and split_part(code_verifier, '.', 2) = encryption_key_id
    )
  ),
  constraint oauth_states_encryption_key_id_check check (
    encryption_key_id is null or encryption_key_id ~ '^[A-Za-z0-9_-]{1,32}$'
  ),
  constraint oauth_states_redirect_to_check check (char_length(redirect_to) between 1 and 2048),
  constraint oauth_states_scopes_check check (cardinality(scopes) <= 256 and array_position(scopes, null) is null),
  constraint oauth_states_account_id_check check (char_length(account_id) <= 255),
  constraint oauth_states_metadata_check check (
    jsonb_typeof(metadata) = 'object' and octet_length(metadata::text) <= 8192
  ),
  constraint oauth_states_expires_at_check check (
    expires_at > created_at and expires_at <= created_at + interval '1 hour'
  ),
  constraint oauth_states_used_at_check check (used_at is null or used_at >= created_at)
);

comment on table public.oauth_states is
  'Pending OAuth authorizations: hashed state, encrypted PKCE verifier, where to return. Valid 10 minutes, '
  'single use (consume_oauth_state). Expired rows are deleted by the pg_cron job purge-expired-oauth-states.';
comment on column public.oauth_states.state_hash is 'SHA-256 (32 bytes) of the state parameter.';
comment on column public.oauth_states.code_verifier is 'Ciphertext envelope of the PKCE code_verifier.';

create index oauth_states_user_id_idx on public.oauth_states (user_id);
create index oauth_states_expires_at_idx on public.oauth_states (expires_at);

alter table public.oauth_states enable row level security;
revoke all on table public.oauth_states from anon, authenticated, service_role;
grant select, insert, update, delete on table public.oauth_states to service_role;

create function public.consume_oauth_state(
  p_state_hash bytea
)
returns setof public.oauth_states
language sql
volatile
set search_path = ''
as $$
  -- A concurrent second consumer waits for the row lock, re-checks used_at and gets nothing.
  update public.oauth_states as s
  set used_at = now()
  where s.state_hash = p_state_hash
    and s.used_at is null
    and s.expires_at > now()
  returning s.*
$$;

comment on function public.consume_oauth_state(bytea) is
  'oauth-callback: marks the state used and returns it, only if it exists, is unused and has not expired. '
  'At most one caller ever gets the row.';
revoke execute on function public.consume_oauth_state(bytea) from public, anon, authenticated;
grant execute on function public.consume_oauth_state(bytea) to service_role;

create function public.purge_expired_oauth_states()
returns bigint
language sql
volatile
set search_path = ''
as $$
  with purged as (
    delete from public.oauth_states
    where expires_at < now() - interval '1 day'
    returning 1
  )
  select count(*) from purged
$$;

comment on function public.purge_expired_oauth_states() is
  'Deletes authorizations that expired more than a day ago; returns the count.';
revoke execute on function public.purge_expired_oauth_states() from public, anon, authenticated;
grant execute on function public.purge_expired_oauth_states() to service_role;

create extension if not exists pg_cron with schema pg_catalog;

select cron.schedule(
  'purge-expired-oauth-states',
  '23 * * * *',
  'select public.purge_expired_oauth_states()'
);
