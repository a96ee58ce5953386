import type { Sql } from "../db/create-sql.ts";
import type { ConnectionsQuery, StatusFilter } from "./admin-request.ts";

/** One connection as token-admin lists it: its state, never a token. */
export interface AdminConnection {
  id: string;
  user_id: string;
  provider: string;
  account: string;
  status: string;
  expires_at: Date | null;
  last_refreshed_at: Date | null;
  last_error: string | null;
  consecutive_failures: number;
  next_attempt_at: Date | null;
  encryption_key_id: string | null;
}

/** The SQL condition of a status filter (`failing`: live connections that need attention). */
export function statusCondition(sql: Sql, status: StatusFilter | undefined) {
  if (status === undefined) return sql`true`;
  if (status === "failing") {
    return sql`c.status <> 'disconnected' and (c.consecutive_failures > 0 or c.status in ('needs_reauth', 'error', 'token_expired'))`;
  }
  return sql`c.status = ${status}`;
}

/** A page of connections in id order (keyset pagination on the primary key). */
export async function listConnections(sql: Sql, q: ConnectionsQuery): Promise<{ connections: AdminConnection[]; next_after: string | null }> {
  const rows = await sql<AdminConnection[]>`
    select c.id, c.user_id, c.provider, c.account_id as account, c.status, c.token_expires_at as expires_at,
           c.last_refreshed_at, c.last_sync_error as last_error, c.consecutive_failures, c.next_attempt_at,
           c.encryption_key_id
    from public.platform_connections as c
    where ${q.provider ? sql`c.provider = ${q.provider}` : sql`true`}
      and ${statusCondition(sql, q.status)}
      and ${q.after ? sql`c.id > ${q.after}` : sql`true`}
    order by c.id
    limit ${q.limit + 1}`;
  const more = rows.length > q.limit;
  const connections = more ? rows.slice(0, q.limit) : [...rows];
  return { connections, next_after: more ? connections[connections.length - 1]!.id : null };
}

/** The last scheduled runs (public.refresh_runs) and pg_cron's record of the jobs that start them. */
export async function recentRuns(sql: Sql, limit: number) {
  const runs = await sql`
    select id, started_at, finished_at, trigger, partition, partitions, claimed, refreshed, validated, failed, needs_reauth,
           skipped, cpu_ms, duration_ms, stopped_by, paused_providers, broken_providers
    from public.refresh_runs order by started_at desc limit ${limit}`;
  const cron = await sql`
    select j.jobname, d.status, d.start_time, d.end_time, left(d.return_message, 200) as return_message
    from cron.job_run_details as d join cron.job as j on j.jobid = d.jobid
    order by d.start_time desc nulls last limit ${limit}`;
  return { runs: [...runs], cron: [...cron] };
}

/** Refreshes and refresh failures per hour over the last `hours` (from token_audit_log), oldest first, no gaps. */
export async function activity(sql: Sql, hours: number): Promise<{ buckets: { hour: string; refreshed: number; failed: number }[] }> {
  const rows = await sql<{ hour: Date; refreshed: number; failed: number }[]>`
    with bounds as (select date_trunc('hour', now()) - make_interval(hours => ${hours - 1}) as since),
    hours as (select generate_series((select since from bounds), date_trunc('hour', now()), interval '1 hour') as hour),
    counts as (
      select date_trunc('hour', l.created_at) as hour,
             count(*) filter (where l.outcome = 'success')::int as refreshed,
             count(*) filter (where l.outcome = 'failure')::int as failed
      from public.token_audit_log as l
      where l.action = 'refresh' and l.created_at >= (select since from bounds)
      group by 1
    )
    select h.hour, coalesce(c.refreshed, 0) as refreshed, coalesce(c.failed, 0) as failed
    from hours as h left join counts as c on c.hour = h.hour
    order by h.hour`;
  return { buckets: rows.map((r) => ({ hour: new Date(r.hour).toISOString(), refreshed: r.refreshed, failed: r.failed })) };
}
