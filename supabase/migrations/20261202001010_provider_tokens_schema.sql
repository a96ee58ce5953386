-- The engine's functions leave the API: provider_tokens is a schema PostgREST does not serve (supabase/config.toml,
-- [api] schemas), so none of them is an RPC endpoint any more. They are called only by the Edge Functions (as
-- postgres or service_role) and by pg_cron; service_role is the one API role with usage on the schema.
-- public keeps the tables and the view users read, is_provider_id (the tables' check constraints call it) and
-- the trigger functions (triggers are not callable).
--
-- Moved with `alter function ... set schema`: grants, comments and every object bound to a function (a trigger,
-- a constraint) follow it. Bodies that named a moved function by its old schema are re-created below, and the
-- pg_cron jobs are pointed at the new names. The claim functions and acquire_refresh_lease move in the next
-- migration, which re-creates them on one row type.

create schema provider_tokens;

comment on schema provider_tokens is
  'The engine''s functions: leases, saves, audit, OAuth state, webhooks, retention. Not exposed by the API; '
  'service_role and postgres only.';

revoke all on schema provider_tokens from public, anon, authenticated;
-- Without usage on the schema, anon and authenticated cannot reach a function in it whatever its own grants
-- (PUBLIC's default EXECUTE included); each function still revokes that EXECUTE explicitly, as in public.
grant usage on schema provider_tokens to service_role;

alter function public.release_refresh_lease(uuid, uuid) set schema provider_tokens;
alter function public.save_refreshed_tokens(uuid, uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text, jsonb) set schema provider_tokens;
alter function public.record_refresh_failure(uuid, uuid, text, text, timestamptz, text) set schema provider_tokens;
alter function public.record_token_validated(uuid, uuid, timestamptz) set schema provider_tokens;
alter function public.record_token_access(uuid, integer) set schema provider_tokens;
alter function public.record_token_access(uuid, integer, integer, integer) set schema provider_tokens;
alter function public.log_token_event(uuid, text, text, integer, text, integer, uuid, text) set schema provider_tokens;
alter function public.purge_token_audit_log(interval) set schema provider_tokens;
alter function public.consume_oauth_state(bytea) set schema provider_tokens;
alter function public.purge_expired_oauth_states() set schema provider_tokens;
alter function public.defer_connection(uuid, uuid, timestamptz) set schema provider_tokens;
alter function public.schedule_keepalive(uuid, timestamptz) set schema provider_tokens;
alter function public.park_refreshed_tokens(uuid, bigint, text, text, text, timestamptz, timestamptz, text[], text) set schema provider_tokens;
alter function public.apply_parked_tokens(uuid, uuid) set schema provider_tokens;
alter function public.purge_refresh_runs(interval) set schema provider_tokens;
alter function public.refresh_partitions() set schema provider_tokens;
alter function public.request_refresh_runs() set schema provider_tokens;
alter function public.claim_parked_grant(bytea) set schema provider_tokens;
alter function public.claim_expired_parked_grants(integer) set schema provider_tokens;
alter function public.purge_stale_parked_grants() set schema provider_tokens;
alter function public.emit_webhook_event(text, jsonb) set schema provider_tokens;
alter function public.claim_webhook_deliveries(integer, integer) set schema provider_tokens;
alter function public.record_webhook_attempt(uuid, integer, text, integer, timestamptz, interval) set schema provider_tokens;
alter function public.purge_webhook_events(interval) set schema provider_tokens;
alter function public.request_webhook_delivery() set schema provider_tokens;

-- Bodies that named a moved function.

create or replace function provider_tokens.request_refresh_runs()
returns bigint[]
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_url text;
  v_key text;
  v_partitions integer := provider_tokens.refresh_partitions();
  v_ids bigint[] := '{}';
begin
  select s.decrypted_secret into v_url from vault.decrypted_secrets as s where s.name = 'project_url';
  select s.decrypted_secret into v_key from vault.decrypted_secrets as s where s.name = 'service_role_key';
  if v_url is null or v_key is null then
    raise exception using
      errcode = '55000',
      message = 'the Vault secrets project_url and service_role_key are not set (README, "Deploying to a hosted Supabase project")';
  end if;
  for v_partition in 0 .. v_partitions - 1 loop
    v_ids := v_ids || net.http_post(
      url := rtrim(v_url, '/') || '/functions/v1/refresh-expiring',
      body := jsonb_build_object('partition', v_partition, 'partitions', v_partitions),
      params := '{}'::jsonb,
      headers := jsonb_build_object(
        'Content-Type', 'application/json',
        'Authorization', 'Bearer ' || v_key,
        'Prefer', 'respond-async'
      ),
      timeout_milliseconds := 5000
    );
  end loop;
  return v_ids;
end
$$;

comment on function provider_tokens.request_refresh_runs() is
  'The schedule''s command: one net.http_post to refresh-expiring per partition (provider_tokens.refresh_partitions()), '
  'asking for an immediate answer. Returns the pg_net request ids.';

-- The statuses are those of packages/shared/src/engine/transitions.ts (`error` is gone).
create or replace function public.platform_connections_webhook_events()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  -- Consecutive failed refreshes after which a connection is reported as failing (once).
  c_failing_threshold constant integer := 3;
  v_data jsonb := jsonb_build_object('provider', new.provider, 'account', new.account_id, 'connection_id', new.id);
  v_since timestamptz;
begin
  if new.status = 'needs_reauth' and old.status is distinct from 'needs_reauth' then
    perform provider_tokens.emit_webhook_event('connection.needs_reauth', v_data || jsonb_build_object('reason', new.last_sync_status));
  elsif new.status in ('connected', 'token_expired')
    and old.consecutive_failures < c_failing_threshold and new.consecutive_failures >= c_failing_threshold then
    perform provider_tokens.emit_webhook_event('connection.refresh_failing', v_data || jsonb_build_object(
      'consecutive_failures', new.consecutive_failures, 'reason', new.last_sync_status));
  elsif new.status = 'connected' and new.consecutive_failures = 0
    and (old.status = 'needs_reauth' or (old.status <> 'disconnected' and old.consecutive_failures >= c_failing_threshold)) then
    perform provider_tokens.emit_webhook_event('connection.recovered', v_data || jsonb_build_object('previous_status', old.status));
  end if;

  if new.last_sync_status = 'client_misconfigured' then
    -- The row lock of the provider's state row serializes concurrent failures: only one inserts or flips it.
    insert into public.provider_alert_state as s (provider, misconfigured_since, error_code)
    values (new.provider, now(), new.last_sync_status)
    on conflict (provider) do update
      set misconfigured_since = now(), error_code = excluded.error_code, updated_at = now()
      where s.misconfigured_since is null
    returning s.misconfigured_since into v_since;
    if v_since is not null then
      perform provider_tokens.emit_webhook_event('provider.client_misconfigured', jsonb_build_object(
        'provider', new.provider, 'reason', new.last_sync_status,
        'account', new.account_id, 'connection_id', new.id));
    end if;
  elsif new.last_sync_status = 'ok' then
    update public.provider_alert_state as s
    set misconfigured_since = null, updated_at = now()
    where s.provider = new.provider and s.misconfigured_since is not null
    returning s.updated_at into v_since;
    if v_since is not null then
      perform provider_tokens.emit_webhook_event('provider.recovered', jsonb_build_object(
        'provider', new.provider, 'account', new.account_id, 'connection_id', new.id));
    end if;
  end if;
  return null;
end
$$;

-- Schedule or reschedule a pg_cron job by name, through pg_cron's API (Supabase does not let postgres write
-- cron.job): what migrations call from now on instead of repeating the lookup.
create function provider_tokens.schedule_cron_job(
  p_name text,
  p_schedule text,
  p_command text
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_job bigint;
begin
  select j.jobid into v_job from cron.job as j where j.jobname = p_name;
  if v_job is null then
    return cron.schedule(p_name, p_schedule, p_command);
  end if;
  perform cron.alter_job(job_id := v_job, schedule := p_schedule, command := p_command);
  return v_job;
end
$$;

comment on function provider_tokens.schedule_cron_job(text, text, text) is
  'Migrations: creates the pg_cron job p_name, or sets the schedule and command of the existing one. Returns its id.';
revoke execute on function provider_tokens.schedule_cron_job(text, text, text) from public, anon, authenticated, service_role;

select provider_tokens.schedule_cron_job(name, schedule, 'select provider_tokens.' || fn || '()')
from (values
  ('purge-token-audit-log', '17 3 * * *', 'purge_token_audit_log'),
  ('purge-expired-oauth-states', '23 * * * *', 'purge_expired_oauth_states'),
  ('purge-refresh-runs', '27 3 * * *', 'purge_refresh_runs'),
  ('refresh-expiring-tokens', '* * * * *', 'request_refresh_runs'),
  ('purge-stale-parked-grants', '41 * * * *', 'purge_stale_parked_grants'),
  ('deliver-webhooks', '* * * * *', 'request_webhook_delivery'),
  ('purge-webhook-events', '41 3 * * *', 'purge_webhook_events')
) as jobs (name, schedule, fn);
