-- The schedule drains the outbox: every minute pg_cron posts to deliver-webhooks through pg_net, with the
-- Vault secrets project_url and service_role_key the refresh schedule uses. The function answers at once
-- (Prefer: respond-async) and delivers in the background for up to 50 seconds, also the retries that fall
-- due meanwhile (the first ones come after 5 and 30 seconds), so pg_net's timeout never cuts a delivery short.

create function public.request_webhook_delivery()
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_url text;
  v_key text;
begin
  -- Nothing due within the minute: no request, so an idle outbox costs an index probe a minute. Until the
  -- endpoint of WEBHOOK_URL is registered (the function does that on every run) it is called anyway, so that
  -- endpoint appears without anything else happening first.
  if not exists (
    select 1 from public.webhook_deliveries as d
    where d.status in ('pending', 'failed') and d.next_attempt_at <= now() + interval '1 minute'
  ) and exists (select 1 from public.webhook_endpoints as e where e.source = 'environment') then
    return null;
  end if;
  select s.decrypted_secret into v_url from vault.decrypted_secrets as s where s.name = 'project_url';
  select s.decrypted_secret into v_key from vault.decrypted_secrets as s where s.name = 'service_role_key';
  if v_url is null or v_key is null then
    raise exception using
      errcode = '55000',
      message = 'the Vault secrets project_url and service_role_key are not set (README, "Deploying to a hosted Supabase project")';
  end if;
  return net.http_post(
    url := rtrim(v_url, '/') || '/functions/v1/deliver-webhooks',
    body := '{}'::jsonb,
    params := '{}'::jsonb,
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_key, 'Prefer', 'respond-async'),
    timeout_milliseconds := 5000
  );
end
$$;

comment on function public.request_webhook_delivery() is
  'The webhook schedule''s command: posts to deliver-webhooks when a delivery is due. Returns the pg_net request id or null.';
revoke execute on function public.request_webhook_delivery() from public, anon, authenticated;
grant execute on function public.request_webhook_delivery() to service_role;

do $$
declare
  v_job bigint;
begin
  select j.jobid into v_job from cron.job as j where j.jobname = 'deliver-webhooks';
  if v_job is null then
    perform cron.schedule('deliver-webhooks', '* * * * *', 'select public.request_webhook_delivery()');
  else
    perform cron.alter_job(job_id := v_job, schedule := '* * * * *', command := 'select public.request_webhook_delivery()');
  end if;
end
$$;

-- Retention: events (with their deliveries and attempts) older than 30 days that have nothing left to send.
do $$
begin
  if not exists (select 1 from cron.job as j where j.jobname = 'purge-webhook-events') then
    perform cron.schedule('purge-webhook-events', '41 3 * * *', 'select public.purge_webhook_events()');
  end if;
end
$$;
