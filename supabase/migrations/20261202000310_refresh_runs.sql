-- One row per run of refresh-expiring: written when the run starts and completed when it ends, by the run
-- itself. The schedule's caller (pg_net) does not wait for the answer, so this is where a run's summary is
-- visible; a row that never got finished_at is a run that died (the platform cut it at its CPU or wall
-- limit, or the worker was recycled) and its claimed rows come back when their leases expire.
-- Only the service role (and postgres, which owns it) can read it: it names no user, but it is operations
-- data, not something an app user should see.

create table public.refresh_runs (
  id uuid primary key,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  -- schedule: started by pg_cron (asked to answer at once); request: someone waited for the summary.
  trigger text not null check (trigger in ('schedule', 'request')),
  partition integer not null default 0,
  partitions integer not null default 1,
  claimed integer,
  refreshed integer,
  validated integer,
  failed integer,
  needs_reauth integer,
  skipped integer,
  duration_ms integer,
  cpu_ms integer,
  -- Why the run stopped claiming: nothing was left, or it reached its wall or CPU budget, or it failed.
  stopped_by text check (stopped_by in ('drained', 'time_budget', 'cpu_budget', 'error')),
  paused_providers text[] not null default '{}',
  broken_providers text[] not null default '{}',
  error_code text,
  constraint refresh_runs_partition_check check (partitions between 1 and 256 and partition >= 0 and partition < partitions),
  constraint refresh_runs_counts_check check (
    claimed >= 0 and refreshed >= 0 and validated >= 0 and failed >= 0 and needs_reauth >= 0 and skipped >= 0
    and duration_ms >= 0 and cpu_ms >= 0
  ),
  constraint refresh_runs_error_code_check check (error_code ~ '^[a-z][a-z0-9_]{0,63}$')
);

comment on table public.refresh_runs is
  'Runs of the refresh-expiring function with their summaries (kept 7 days). finished_at null: running, or died.';
comment on column public.refresh_runs.cpu_ms is
  'CPU time (user + system) of the function''s process while the run lasted (see README, refresh-expiring).';

create index refresh_runs_started_at_idx on public.refresh_runs (started_at);

alter table public.refresh_runs enable row level security;
revoke all on table public.refresh_runs from public, anon, authenticated, service_role;
grant select, insert, update, delete on table public.refresh_runs to service_role;

create function public.purge_refresh_runs(
  p_retain interval default interval '7 days'
)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_deleted integer;
begin
  if p_retain is null or p_retain < interval '1 hour' then
    raise exception using errcode = '22023', message = 'p_retain must be at least 1 hour';
  end if;
  delete from public.refresh_runs where started_at < now() - p_retain;
  get diagnostics v_deleted = row_count;
  return v_deleted;
end
$$;

comment on function public.purge_refresh_runs(interval) is
  'Retention: deletes refresh_runs rows started more than p_retain ago (default 7 days); returns the count.';
revoke execute on function public.purge_refresh_runs(interval) from public, anon, authenticated;
grant execute on function public.purge_refresh_runs(interval) to service_role;

-- Daily at 03:27 UTC (beside the audit log's retention). cron.schedule with a job name replaces a job of
-- that name, so re-running this is harmless.
create extension if not exists pg_cron with schema pg_catalog;

select cron.schedule(
  'purge-refresh-runs',
  '27 3 * * *',
  'select public.purge_refresh_runs()'
);
