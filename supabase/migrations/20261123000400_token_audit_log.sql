-- Audit trail of token operations, hourly access counters for the get-token hot path, and the pg_cron
-- job that keeps both to 30 days. Invisible to users: RLS on, no policies, privileges revoked.

create table public.token_audit_log (
  id bigint generated always as identity primary key,
  -- Survives its connection (set null), so a disconnect's own audit row stays readable until purged.
  connection_id uuid references public.platform_connections (id) on delete set null,
  -- Deliberately no foreign key: the log outlives users until the retention job purges it, and an
  -- insert-heavy table should not look up auth.users on every row.
  user_id uuid,
  provider text,
  action text not null,
  outcome text not null,
  http_status integer,
  error_code text,
  duration_ms integer,
  created_at timestamptz not null default now(),

  constraint token_audit_log_action_check check (action in (
    'connect', 'refresh', 'validation', 'get_token', 'disconnect', 'failure'
  )),
  constraint token_audit_log_outcome_check check (outcome in ('success', 'failure', 'skipped')),
  constraint token_audit_log_provider_check check (provider is null or provider in (
    'spotify', 'discord', 'google', 'youtube', 'gmail', 'google_calendar', 'github', 'etsy', 'shopify',
    'quickbooks', 'xero', 'lightspeed', 'microsoft', 'twitter', 'linkedin', 'reddit', 'twitch'
  )),
  constraint token_audit_log_http_status_check check (http_status is null or http_status between 100 and 599),
  constraint token_audit_log_error_code_check check (error_code is null or error_code ~ '^[a-z][a-z0-9_]{0,63}$'),
  constraint token_audit_log_duration_ms_check check (duration_ms is null or duration_ms >= 0)
);

comment on table public.token_audit_log is
  'Audit trail of token operations (no token, no free-text message: codes only). Kept 30 days by the '
  'pg_cron job purge-token-audit-log. Successful get-token reads are not logged one row each: they are '
  'counted in token_access_counters; failed or denied reads are logged here.';

-- "This connection, newest first" (also serves the on delete set null of the foreign key).
create index token_audit_log_connection_created_idx
  on public.token_audit_log (connection_id, created_at desc);
-- Time ranges and the retention delete: the table is append-only, so created_at follows the physical
-- order and a BRIN index is a few pages for millions of rows.
create index token_audit_log_created_brin_idx
  on public.token_audit_log using brin (created_at);

alter table public.token_audit_log enable row level security;
revoke all on table public.token_audit_log from anon, authenticated, service_role;
grant select, insert, delete on table public.token_audit_log to service_role;
-- The identity sequence needs no grant to insert; the platform's default grants on it are taken back.
revoke all on sequence public.token_audit_log_id_seq from anon, authenticated;

-- Why counters and not sampling: get-token is the hot path (a client may ask for a token on every API call
-- it makes). One audit row per read would make the audit log mostly reads and cost an insert per request;
-- sampling would lose exactly the per-connection question "who used this token, how often, when last".
-- A counter per connection per hour answers it exactly, is bounded (at most 24 x 30 rows per connection
-- within retention) and costs one upsert of a small row (a HOT update of the same row). A very busy client
-- can be batched further: the caller may accumulate reads and pass p_reads > 1.
create table public.token_access_counters (
  connection_id uuid not null references public.platform_connections (id) on delete cascade,
  bucket_start timestamptz not null,
  reads bigint not null default 0,
  last_read_at timestamptz not null default now(),
  primary key (connection_id, bucket_start),
  constraint token_access_counters_bucket_check check (bucket_start = date_trunc('hour', bucket_start, 'UTC')),
  constraint token_access_counters_reads_check check (reads >= 0)
) with (fillfactor = 70);

comment on table public.token_access_counters is
  'Successful get-token reads per connection per UTC hour (instead of one audit row per read). '
  'Kept 30 days by the pg_cron job purge-token-audit-log.';

create index token_access_counters_bucket_start_idx on public.token_access_counters (bucket_start);

alter table public.token_access_counters enable row level security;
revoke all on table public.token_access_counters from anon, authenticated, service_role;
grant select, insert, update, delete on table public.token_access_counters to service_role;

create function public.record_token_access(
  p_connection_id uuid,
  p_reads integer default 1
)
returns void
language sql
volatile
set search_path = ''
as $$
  insert into public.token_access_counters as t (connection_id, bucket_start, reads, last_read_at)
  values (p_connection_id, date_trunc('hour', now(), 'UTC'), greatest(p_reads, 0), now())
  on conflict (connection_id, bucket_start) do update
  set reads = t.reads + excluded.reads,
      last_read_at = greatest(t.last_read_at, excluded.last_read_at)
$$;

comment on function public.record_token_access(uuid, integer) is
  'get-token hot path: adds p_reads successful reads to the connection''s counter for the current UTC hour.';
revoke execute on function public.record_token_access(uuid, integer) from public, anon, authenticated;
grant execute on function public.record_token_access(uuid, integer) to service_role;

create function public.log_token_event(
  p_connection_id uuid,
  p_action text,
  p_outcome text,
  p_http_status integer default null,
  p_error_code text default null,
  p_duration_ms integer default null,
  p_user_id uuid default null,
  p_provider text default null
)
returns bigint
language sql
volatile
set search_path = ''
as $$
  insert into public.token_audit_log (connection_id, user_id, provider, action, outcome, http_status, error_code, duration_ms)
  select
    p_connection_id,
    coalesce(p_user_id, c.user_id),
    coalesce(p_provider, c.provider),
    p_action,
    p_outcome,
    p_http_status,
    p_error_code,
    p_duration_ms
  from (select 1) as one
  left join public.platform_connections as c on c.id = p_connection_id
  returning id
$$;

comment on function public.log_token_event(uuid, text, text, integer, text, integer, uuid, text) is
  'Appends an audit row; user_id and provider default to the connection''s. Codes only, never a token.';
revoke execute on function public.log_token_event(uuid, text, text, integer, text, integer, uuid, text) from public, anon, authenticated;
grant execute on function public.log_token_event(uuid, text, text, integer, text, integer, uuid, text) to service_role;

create function public.purge_token_audit_log(
  p_retain interval default interval '30 days'
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_audit bigint;
  v_counters bigint;
begin
  if p_retain is null or p_retain < interval '1 day' then
    raise exception using errcode = '22023', message = 'p_retain must be at least 1 day';
  end if;
  delete from public.token_audit_log where created_at < now() - p_retain;
  get diagnostics v_audit = row_count;
  delete from public.token_access_counters where bucket_start < now() - p_retain;
  get diagnostics v_counters = row_count;
  return v_audit + v_counters;
end
$$;

comment on function public.purge_token_audit_log(interval) is
  'Retention: deletes audit rows and access counters older than p_retain (default 30 days); returns the count.';
revoke execute on function public.purge_token_audit_log(interval) from public, anon, authenticated;
grant execute on function public.purge_token_audit_log(interval) to service_role;

-- Retention job, daily at 03:17 UTC. cron.schedule with a job name replaces an existing job of that name,
-- so re-running this is harmless.
create extension if not exists pg_cron with schema pg_catalog;

select cron.schedule(
  'purge-token-audit-log',
  '17 3 * * *',
  'select public.purge_token_audit_log()'
);
