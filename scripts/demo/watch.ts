/**
 * The demo's live log: what the schedule did (pg_cron → refresh-expiring, read from cron.job_run_details and
 * net._http_response, and each run's summary from public.refresh_runs), each refresh of the demo user's tokens (from platform_connections and the audit log),
 * and a periodic get-token call with the user's JWT. Tokens are shown by their last 4 characters only.
 */
import type postgres from "postgres";
import { clock, inSeconds, line, tail4 } from "./format.ts";

export interface WatchOptions {
  sql: postgres.Sql;
  functionsUrl: string;
  userId: string;
  userJwt: () => Promise<string>;
  providers: readonly string[];
  print: (text: string) => void;
  getTokenEveryMs?: number;
  pollEveryMs?: number;
}

const JOB = "refresh-expiring-tokens";

export function watchDemo(o: WatchOptions): () => void {
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  let lastRunId = -1;
  let lastAuditId = -1;
  let runsSince: string | null = null;
  let jobMissingSaid = false;
  const refreshedAt = new Map<string, number>();
  let turn = 0;

  async function pollSchedule(): Promise<void> {
    const [job] = await o.sql<{ jobid: number; schedule: string; active: boolean }[]>`select jobid, schedule, active from cron.job where jobname = ${JOB}`;
    if (!job) {
      if (!jobMissingSaid) o.print(line("schedule", `the pg_cron job "${JOB}" does not exist yet: no scheduled refreshes (get-token still refreshes on demand)`));
      jobMissingSaid = true;
      return;
    }
    if (jobMissingSaid || lastRunId < 0) {
      o.print(line("schedule", `pg_cron job "${JOB}" runs "${job.schedule}"${job.active ? "" : " (paused)"}`));
      jobMissingSaid = false;
    }
    const runs = await o.sql<{ runid: number; status: string; return_message: string | null; start_time: Date; end_time: Date | null }[]>`
      select runid, status, return_message, start_time, end_time from cron.job_run_details
      where jobid = ${job.jobid} and runid > ${lastRunId} and status in ('succeeded', 'failed')
      order by runid`;
    if (lastRunId < 0) {
      lastRunId = runs.at(-1)?.runid ?? 0;
      return;
    }
    for (const run of runs) {
      lastRunId = run.runid;
      const [answer] = await o.sql<{ status_code: number | null; content: string | null; timed_out: boolean | null; error_msg: string | null }[]>`
        select status_code, content, timed_out, error_msg from net._http_response
        where created between ${run.start_time} and coalesce(${run.end_time}, now()) + interval '1 second'
        order by id desc limit 1`;
      o.print(line("schedule", `pg_cron ran ${JOB} (${run.status}) → refresh-expiring ${describeAnswer(answer)}`));
    }
    await pollRuns();
  }

  /** The schedule's runs answer pg_net at once (202) and write their summaries to refresh_runs when done. */
  async function pollRuns(): Promise<void> {
    if (runsSince === null) {
      runsSince = new Date().toISOString();
      return;
    }
    // The cursor stays text end to end (a JS Date, or the driver's timestamptz parameter, drops the
    // microseconds, and the last run would come back on every poll).
    const runs = await o.sql<{ finished: string; partition: number; partitions: number; claimed: number; refreshed: number; failed: number; needs_reauth: number; duration_ms: number; cpu_ms: number; stopped_by: string }[]>`
      select finished_at::text as finished, partition, partitions, claimed, refreshed, failed, needs_reauth, duration_ms, cpu_ms, stopped_by
      from public.refresh_runs where finished_at > ${runsSince}::text::timestamptz order by finished_at`;
    for (const r of runs) {
      runsSince = r.finished;
      if (r.claimed === 0) continue; // one line per tick already says the schedule ran
      o.print(line("schedule", `run of partition ${r.partition + 1}/${r.partitions}: claimed ${r.claimed}, refreshed ${r.refreshed}, failed ${r.failed}, needs_reauth ${r.needs_reauth}; ${r.duration_ms} ms, ${r.cpu_ms} ms CPU (${r.stopped_by})`));
    }
  }

  async function pollRefreshes(): Promise<void> {
    const rows = await o.sql<{ provider: string; account_id: string; status: string; last_refreshed_at: Date | null; token_expires_at: Date | null; last_sync_error: string | null }[]>`
      select provider, account_id, status, last_refreshed_at, token_expires_at, last_sync_error
      from public.platform_connections where user_id = ${o.userId} and status <> 'disconnected'`;
    for (const r of rows) {
      const key = `${r.provider}/${r.account_id}`;
      const at = r.last_refreshed_at?.getTime() ?? 0;
      const seen = refreshedAt.get(key);
      refreshedAt.set(key, at);
      if (seen !== undefined && at > seen) {
        o.print(line("refreshed", `${r.provider} (${r.account_id}) at ${clock(r.last_refreshed_at!)}; the new access token expires ${r.token_expires_at ? clock(r.token_expires_at) : "never"}`));
      }
    }
    const audit = await o.sql<{ id: number; action: string; outcome: string; provider: string | null; error_code: string | null; duration_ms: number | null }[]>`
      select id, action, outcome, provider, error_code, duration_ms from public.token_audit_log
      where user_id = ${o.userId} and id > ${lastAuditId} order by id`;
    if (lastAuditId < 0) {
      lastAuditId = audit.at(-1)?.id ?? 0;
      return;
    }
    for (const a of audit) {
      lastAuditId = a.id;
      // Successful refreshes already have their "refreshed" line; show the rest (failures, validations, disconnects).
      if (a.action === "connect" || a.action === "get_token" || (a.action === "refresh" && a.outcome === "success")) continue;
      const detail = a.outcome === "success" ? "ok" : `${a.outcome}${a.error_code ? ` (${a.error_code})` : ""}`;
      o.print(line("audit", `${a.action} ${a.provider ?? ""}: ${detail}${a.duration_ms !== null ? `, ${a.duration_ms} ms` : ""}`));
    }
  }

  async function callGetToken(): Promise<void> {
    const provider = o.providers[turn++ % o.providers.length]!;
    let res: Response;
    try {
      res = await fetch(`${o.functionsUrl}/get-token`, {
        method: "POST",
        headers: { authorization: `Bearer ${await o.userJwt()}`, "content-type": "application/json" },
        body: JSON.stringify({ provider }),
      });
    } catch (error) {
      o.print(line("get-token", `${provider}: the stack did not answer (${(error as Error).message})`));
      return;
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, any>;
    if (res.status === 404 && body["code"] === "NOT_FOUND") {
      o.print(line("get-token", "the get-token function is not deployed yet (404)"));
    } else if (res.status === 200 && typeof body["access_token"] === "string") {
      const expires = typeof body["expires_at"] === "string" ? new Date(body["expires_at"]) : null;
      o.print(line("get-token", `${provider} → ${tail4(body["access_token"])}, expires ${expires ? `${clock(expires)} (${inSeconds(expires)})` : "never"}`));
    } else {
      o.print(line("get-token", `${provider} → ${res.status} ${body["error"]?.code ?? ""} ${body["error"]?.message ?? ""}`.trimEnd()));
    }
  }

  const guard = (name: string, task: () => Promise<void>) => async () => {
    if (stopped) return;
    try {
      await task();
    } catch (error) {
      if (!stopped) o.print(line("demo", `${name} failed: ${(error as Error).message}`));
    }
  };
  const schedule = guard("watching the schedule", async () => {
    await pollSchedule();
    await pollRefreshes();
  });
  const getToken = guard("get-token", callGetToken);
  void schedule();
  void getToken();
  timers.push(setInterval(schedule, o.pollEveryMs ?? 3_000), setInterval(getToken, o.getTokenEveryMs ?? 30_000));
  return () => {
    stopped = true;
    for (const t of timers) clearInterval(t);
  };
}

function describeAnswer(answer: { status_code: number | null; content: string | null; timed_out: boolean | null; error_msg: string | null } | undefined): string {
  if (!answer) return "(no answer recorded)";
  if (answer.timed_out) return "timed out";
  if (answer.status_code === null) return `failed: ${answer.error_msg ?? "no response"}`;
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(answer.content ?? "{}") as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  if (answer.status_code === 404) return "404: the refresh-expiring function is not deployed yet";
  if (answer.status_code === 202) return "202 (the run goes on after answering; its summary follows when it is done)";
  if (answer.status_code !== 200) return `${answer.status_code} ${(body["error"] as { code?: string } | undefined)?.code ?? ""}`.trimEnd();
  const counts = ["claimed", "refreshed", "validated", "failed", "needs_reauth", "skipped"]
    .filter((k) => typeof body[k] === "number")
    .map((k) => `${k} ${body[k]}`)
    .join(", ");
  return `200 (${counts || "ok"}${typeof body["duration_ms"] === "number" ? `, ${body["duration_ms"]} ms` : ""})`;
}
