-- The schedule fans out: every minute the job refresh-expiring-tokens starts one run of refresh-expiring per
-- partition, each posted by its own net.http_post with { partition, partitions }, so the runs claim
-- disjoint shares of what is due (public.connection_partition) and each stays within the hosted CPU limit.
-- The requests ask the function to answer at once (Prefer: respond-async, RFC 7240): it does its work after
-- answering, inside EdgeRuntime.waitUntil, and writes its summary to public.refresh_runs, so pg_net's 5 s
-- timeout never cuts a run short and net._http_response holds a 202 instead of a timeout.
--
-- The partition count is the Vault secret refresh_partitions (an integer from 1 to 256), default 4:
--   select vault.create_secret('8', 'refresh_partitions');
--   select vault.update_secret((select id from vault.secrets where name = 'refresh_partitions'), '8');
-- README, "The schedule", says how to choose it.

create function public.refresh_partitions()
returns integer
language plpgsql
stable
set search_path = ''
as $$
declare
  v_text text;
begin
  select s.decrypted_secret into v_text from vault.decrypted_secrets as s where s.name = 'refresh_partitions';
  if v_text is null then
    return 4;
  end if;
  if btrim(v_text) !~ '^[0-9]{1,3}$' or btrim(v_text)::integer not between 1 and 256 then
    raise exception using errcode = '22023', message = 'the Vault secret refresh_partitions must be an integer from 1 to 256';
  end if;
  return btrim(v_text)::integer;
end
$$;

comment on function public.refresh_partitions() is
  'How many runs of refresh-expiring each tick of the schedule starts: the Vault secret refresh_partitions, default 4.';
revoke execute on function public.refresh_partitions() from public, anon, authenticated;
grant execute on function public.refresh_partitions() to service_role;

-- plpgsql, not sql: pg_net's functions are only resolved when the job runs, so this migration applies
-- where pg_net is created later (or stood in for).
create function public.request_refresh_runs()
returns bigint[]
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_url text;
  v_key text;
  v_partitions integer := public.refresh_partitions();
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

comment on function public.request_refresh_runs() is
  'The schedule''s command: one net.http_post to refresh-expiring per partition (public.refresh_partitions()), '
  'asking for an immediate answer. Returns the pg_net request ids.';
revoke execute on function public.request_refresh_runs() from public, anon, authenticated, service_role;

-- Reschedule the existing job through pg_cron's API (Supabase does not let postgres write cron.job).
do $$
declare
  v_job bigint;
begin
  select j.jobid into v_job from cron.job as j where j.jobname = 'refresh-expiring-tokens';
  if v_job is null then
    perform cron.schedule('refresh-expiring-tokens', '* * * * *', 'select public.request_refresh_runs()');
  else
    perform cron.alter_job(job_id := v_job, schedule := '* * * * *', command := 'select public.request_refresh_runs()');
  end if;
end
$$;
