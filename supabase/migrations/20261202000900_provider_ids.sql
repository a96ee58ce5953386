-- One list of provider ids for every table that names a provider. The tables used to repeat the list in
-- their own check constraints; they now call public.is_provider_id, so adding a provider is one
-- `create or replace function` in a new migration (packages/shared/src/providers/provider-ids.ts is the
-- other half, and tests/integration/provider-ids.test.ts keeps the two equal).
-- Only adding ids is safe this way: PostgreSQL does not re-check existing rows when the function changes.

create or replace function public.is_provider_id(value text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select value = any (array[
    'spotify', 'discord', 'google', 'youtube', 'gmail', 'google_calendar', 'github', 'etsy', 'shopify',
    'quickbooks', 'xero', 'lightspeed', 'microsoft', 'twitter', 'linkedin', 'reddit', 'twitch', 'dropbox'
  ]);
$$;

comment on function public.is_provider_id(text) is
  'Whether value is a provider id of the catalog (packages/shared/src/providers/provider-ids.ts). Used by the '
  'provider check constraints of every table.';

revoke all on function public.is_provider_id(text) from public, anon, authenticated;
grant execute on function public.is_provider_id(text) to service_role;

alter table public.platform_connections
  drop constraint platform_connections_provider_check,
  add constraint platform_connections_provider_check check (public.is_provider_id(provider));

alter table public.token_audit_log
  drop constraint token_audit_log_provider_check,
  add constraint token_audit_log_provider_check check (provider is null or public.is_provider_id(provider));

alter table public.oauth_states
  drop constraint oauth_states_provider_check,
  add constraint oauth_states_provider_check check (public.is_provider_id(provider));

alter table public.oauth_parked_grants
  drop constraint oauth_parked_grants_provider_check,
  add constraint oauth_parked_grants_provider_check check (public.is_provider_id(provider));

alter table public.provider_alert_state
  add constraint provider_alert_state_provider_check check (public.is_provider_id(provider));
