-- Stand-in for the extensions the platform preinstalls (in the `extensions` schema) or offers on one click.
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;

create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;
-- pg_cron lives in its own `cron` schema, in the database named by cron.database_name (postgres), as on Supabase.
-- `postgres` may schedule, alter and unschedule its own jobs and read their rows (pg_cron's row level security
-- shows each role its own), but not write cron.job directly: cron.alter_job is the way.
create extension if not exists pg_cron;
grant usage on schema cron to postgres;
grant execute on all functions in schema cron to postgres;
-- pgTAP is created by the test files themselves (`create extension if not exists pgtap with schema extensions`),
-- as Supabase's own testing guide does; nothing to do here.
