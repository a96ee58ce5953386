-- The schedule: every minute pg_cron asks the refresh-expiring Edge Function, through pg_net, to refresh
-- what is about to expire. The project URL and the key come from Vault, as Supabase's guide to scheduling
-- Edge Functions stores them (https://supabase.com/docs/guides/functions/schedule-functions):
--   select vault.create_secret('https://<ref>.supabase.co', 'project_url');
--   select vault.create_secret('<service role key>', 'service_role_key');
-- The local stack writes both at `stack up`. pg_net's default 5 s timeout only bounds the wait for the
-- answer; the function carries on with its run, which stops claiming before its own time budget.
-- pg_net is available on hosted projects and the CLI stack; it goes in the `extensions` schema, as Supabase
-- documents (its objects live in `net` either way, and the extension cannot be moved later). The no-Docker local
-- stack has a stand-in with the same schema and functions instead (scripts/stack/stand-ins/05-pg-net.sql).
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net with schema extensions;
  end if;
end
$$;

select cron.schedule(
  'refresh-expiring-tokens',
  '* * * * *',
  $job$
  select net.http_post(
    url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
      || '/functions/v1/refresh-expiring',
    headers := jsonb_build_object(
      'Content-Type', 'application/json',
      'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key')
    ),
    body := '{}'::jsonb,
    timeout_milliseconds := 5000
  ) as request_id;
  $job$
);
