-- Retention for pg_cron's run log. pg_cron writes a row to cron.job_run_details for every run of every job and
-- never deletes any: refresh-expiring-tokens alone adds 1,440 a day. Each role may delete the rows of its own
-- jobs (pg_cron's row level security), so this job, owned like the others by the role that runs the
-- migrations, keeps seven days of them. Daily at 03:41 UTC; cron.schedule with a job name replaces an existing
-- job of that name, so re-running this is harmless.
create extension if not exists pg_cron with schema pg_catalog;

select cron.schedule(
  'purge-cron-job-run-details',
  '41 3 * * *',
  $$delete from cron.job_run_details where end_time < now() - interval '7 days'$$
);
