import type { Sql } from "../db/create-sql.ts";
import { encryptionKeys, tokenHealth } from "./token-health.ts";

/** How far ahead "expiring soon" looks. */
export const EXPIRING_SOON_MINUTES = 60;

export interface ScheduledRun {
  job: string;
  status: string;
  started_at: Date | null;
  ended_at: Date | null;
  /** The first line of pg_cron's message, cut to 200 characters (it never holds a token). */
  message: string | null;
}

export interface OperatorStatus {
  generated_at: string;
  /** Connections by provider and status (providers with none left out). */
  by_provider: Record<string, Record<string, number>>;
  totals: Record<string, number>;
  /** Live connections whose last refresh failed and that are backing off. */
  failing: number;
  /** Connected rows whose access token expires within {@link EXPIRING_SOON_MINUTES} minutes. */
  expiring_soon: number;
  encryption_keys: Awaited<ReturnType<typeof encryptionKeys>>;
  /** The last runs of the project's pg_cron jobs (cron.job_run_details), newest first. */
  scheduled_runs: ScheduledRun[];
  /** The last rows of public.refresh_runs (what refresh-expiring recorded), when that table exists. */
  refresh_runs: Record<string, unknown>[] | null;
}

/** What `npm run tokens -- status` shows: one snapshot of the service's health. */
export async function operatorStatus(sql: Sql, env: Readonly<Record<string, string | undefined>>, runs = 5): Promise<OperatorStatus> {
  const health = await tokenHealth(sql, env);
  const byProvider: Record<string, Record<string, number>> = {};
  const totals: Record<string, number> = {};
  for (const [provider, h] of Object.entries(health.providers)) {
    const nonZero = Object.entries(h.connections).filter(([, n]) => n > 0);
    if (nonZero.length === 0) continue;
    byProvider[provider] = Object.fromEntries(nonZero);
    for (const [status, n] of nonZero) totals[status] = (totals[status] ?? 0) + n;
  }
  const [counts] = await sql<{ failing: number; expiring_soon: number }[]>`
    select
      count(*) filter (where status in ('connected', 'token_expired') and consecutive_failures > 0)::int as failing,
      count(*) filter (where status = 'connected' and token_expires_at between now() and now() + make_interval(mins => ${EXPIRING_SOON_MINUTES}))::int as expiring_soon
    from public.platform_connections`;
  const scheduled = await sql<ScheduledRun[]>`
    select j.jobname as job, d.status, d.start_time as started_at, d.end_time as ended_at,
           left(split_part(coalesce(d.return_message, ''), E'\\n', 1), 200) as message
    from cron.job_run_details d join cron.job j on j.jobid = d.jobid
    order by d.start_time desc nulls last limit ${runs}`.catch(() => [] as ScheduledRun[]);
  const [{ exists }] = await sql<{ exists: boolean }[]>`select to_regclass('public.refresh_runs') is not null as exists` as unknown as [{ exists: boolean }];
  const refreshRuns = exists
    ? (await sql<{ run: Record<string, unknown> }[]>`
        select to_jsonb(r) as run from public.refresh_runs r
        order by to_jsonb(r) ->> 'started_at' desc nulls last limit ${runs}`).map((r) => r.run)
    : null;
  return {
    generated_at: health.generated_at,
    by_provider: byProvider,
    totals,
    failing: counts!.failing,
    expiring_soon: counts!.expiring_soon,
    encryption_keys: health.encryption_keys,
    scheduled_runs: scheduled.map((r) => ({ ...r, message: r.message || null })),
    refresh_runs: refreshRuns,
  };
}
