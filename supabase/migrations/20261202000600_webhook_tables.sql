-- Alerts: webhook endpoints and the outbox their events are delivered from (README, "Alerts").
--
--   webhook_endpoints   where events go; the signing secret is a ciphertext envelope of the token key ring,
--                       bound to its row (table public.webhook_endpoints, column secret, the row's id)
--   webhook_events      one row per event, the exact body that is delivered ({ type, timestamp, data })
--   webhook_deliveries  one row per event and endpoint: the outbox the deliver-webhooks function drains
--   webhook_attempts    every attempt of every delivery, kept for the admin routes
--
-- Endpoints are added only by operators (the service role, token-admin's admin routes, WEBHOOK_URL): no
-- user-facing path ever writes here. Only the service role can read or write any of these tables.

create table public.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  url text not null,
  -- v1.<key id>.<iv>.<ciphertext+tag> (packages/shared/src/crypto/envelope.ts), never the plain whsec_ value.
  secret text not null,
  encryption_key_id text not null,
  format text not null default 'standard',
  -- null: every event type.
  events text[],
  enabled boolean not null default true,
  disabled_reason text,
  disabled_at timestamptz,
  -- 'environment': the one endpoint WEBHOOK_URL + WEBHOOK_SECRET describe, upserted by deliver-webhooks.
  source text not null default 'admin',
  created_at timestamptz not null default now(),
  last_success_at timestamptz,
  last_failure_at timestamptz,
  -- Start of the current run of failed attempts (null after a success): an endpoint failing for longer than
  -- the disable window is disabled.
  failing_since timestamptz,
  consecutive_failures integer not null default 0,

  constraint webhook_endpoints_url_check check (char_length(url) <= 2048 and url ~ '^https?://[^\s/?#]+([/?#]\S*)?$'),
  constraint webhook_endpoints_secret_check check (
    octet_length(secret) <= 1024 and secret ~ '^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$'
  ),
  constraint webhook_endpoints_format_check check (format in ('standard', 'slack')),
  constraint webhook_endpoints_events_check check (
    events is null or (
      cardinality(events) between 1 and 16
      and events <@ array['connection.needs_reauth', 'connection.refresh_failing', 'connection.recovered',
                          'provider.client_misconfigured', 'provider.recovered']::text[]
    )
  ),
  constraint webhook_endpoints_source_check check (source in ('admin', 'environment')),
  constraint webhook_endpoints_disabled_check check (enabled or disabled_reason is not null),
  constraint webhook_endpoints_disabled_reason_check check (char_length(disabled_reason) <= 500)
);

comment on table public.webhook_endpoints is
  'Where alert events are delivered. The secret is an encrypted whsec_ signing secret; never returned by any route.';
comment on column public.webhook_endpoints.secret is
  'Ciphertext of the whsec_ secret, AAD bound to (public.webhook_endpoints, secret, id).';

create unique index webhook_endpoints_environment_key on public.webhook_endpoints (source) where source = 'environment';

create table public.webhook_events (
  id uuid primary key default gen_random_uuid(),
  type text not null,
  -- The delivered body: { type, timestamp, data }. data names provider, account and connection id, never a
  -- token and never a user id.
  payload jsonb not null,
  created_at timestamptz not null default now(),
  constraint webhook_events_type_check check (type in (
    'connection.needs_reauth', 'connection.refresh_failing', 'connection.recovered',
    'provider.client_misconfigured', 'provider.recovered', 'webhook.test'
  ))
);

comment on table public.webhook_events is 'Alert events, written in the transaction of the change that caused them.';
create index webhook_events_created_at_idx on public.webhook_events (created_at);

create table public.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  event_id uuid not null references public.webhook_events (id) on delete cascade,
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  -- pending: not tried yet; failed: the last attempt failed, next_attempt_at is the retry; delivered; dead:
  -- the retry schedule is exhausted (or the endpoint was disabled).
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz default now(),
  -- Claimed by a deliver-webhooks run until then (a crashed run's claim lapses).
  lease_until timestamptz,
  last_status_code integer,
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  constraint webhook_deliveries_status_check check (status in ('pending', 'failed', 'delivered', 'dead')),
  constraint webhook_deliveries_last_error_check check (char_length(last_error) <= 500)
);

comment on table public.webhook_deliveries is 'The outbox: one row per event and endpoint, drained by deliver-webhooks.';
create index webhook_deliveries_due_idx on public.webhook_deliveries (next_attempt_at) where status in ('pending', 'failed');
create index webhook_deliveries_endpoint_idx on public.webhook_deliveries (endpoint_id, created_at desc);
create index webhook_deliveries_event_idx on public.webhook_deliveries (event_id);

create table public.webhook_attempts (
  id bigint generated always as identity primary key,
  delivery_id uuid not null references public.webhook_deliveries (id) on delete cascade,
  attempted_at timestamptz not null default now(),
  -- null when no HTTP answer came (timeout, refused connection, DNS).
  status_code integer,
  error text,
  duration_ms integer not null,
  constraint webhook_attempts_error_check check (char_length(error) <= 500)
);

comment on table public.webhook_attempts is 'Every delivery attempt: when, the HTTP status (or none) and why it failed.';
create index webhook_attempts_delivery_idx on public.webhook_attempts (delivery_id, attempted_at);

-- A provider's alert state: set by the first client_misconfigured failure of an outage, cleared by the first
-- successful refresh afterwards; each change writes its event, so an outage alerts once.
create table public.provider_alert_state (
  provider text primary key,
  misconfigured_since timestamptz,
  error_code text,
  updated_at timestamptz not null default now()
);

comment on table public.provider_alert_state is
  'Per provider: since when its client credentials are rejected (null: working). Drives provider.* alerts.';

do $$
declare
  t text;
begin
  foreach t in array array['webhook_endpoints', 'webhook_events', 'webhook_deliveries', 'webhook_attempts', 'provider_alert_state'] loop
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke all on table public.%I from public, anon, authenticated, service_role', t);
    execute format('grant select, insert, update, delete on table public.%I to service_role', t);
  end loop;
end
$$;
