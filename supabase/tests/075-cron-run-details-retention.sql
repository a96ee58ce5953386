-- Retention of pg_cron's run log: the job purge-cron-job-run-details keeps seven days of cron.job_run_details.
begin;
set local search_path = public, extensions, tests;
select plan(4);

select results_eq(
  $$select schedule, command, active, username = current_user from cron.job where jobname = 'purge-cron-job-run-details'$$,
  $$values ('41 3 * * *'::text collate "default", $c$delete from cron.job_run_details where end_time < now() - interval '7 days'$c$::text collate "default", true, true)$$,
  'the pg_cron job purge-cron-job-run-details runs daily, as the role that owns the other jobs');

insert into cron.job_run_details (jobid, runid, database, username, command, status, start_time, end_time) values
  (-1, -101, current_database(), current_user, 'select 1', 'succeeded', now() - interval '8 days', now() - interval '8 days'),
  (-1, -102, current_database(), current_user, 'select 1', 'succeeded', now() - interval '6 days', now() - interval '6 days'),
  (-1, -103, current_database(), current_user, 'select 1', 'running', now() - interval '9 days', null);

select lives_ok(
  (select command from cron.job where jobname = 'purge-cron-job-run-details'),
  'the job''s command runs');
select results_eq(
  $$select runid from cron.job_run_details where jobid = -1 order by runid$$,
  $$values (-103::bigint), (-102::bigint)$$,
  'runs that ended more than seven days ago are deleted; younger runs and runs still going are kept');
select isnt_empty(
  $$select 1 from cron.job where jobname = 'refresh-expiring-tokens'$$,
  'the refresh job is untouched');

select * from finish();
rollback;
