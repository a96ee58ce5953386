import { leaseSecondsFromEnv } from "../engine/engine-deps.ts";
import { runOptionsFromEnv, runRefreshExpiring } from "../engine/refresh-expiring.ts";
import { json, route, type Routes } from "../http/with-handler.ts";
import { parsePartitionRequest, prefersRespondAsync } from "./run-request.ts";
import type { Runtime } from "./runtime.ts";

/**
 * POST /functions/v1/refresh-expiring: one scheduled run (pg_cron calls it every minute through pg_net, one
 * request per partition). Service role key only; the body is {} or { partition, partitions }.
 *
 * The run's work is registered with the host's waitUntil where it has one, so a caller hanging up (pg_net gives
 * up after 5 s) cannot cut it short. With `Prefer: respond-async` (what the schedule sends) the answer is an
 * immediate 202 and the summary goes only to public.refresh_runs; without it the caller waits for the summary.
 */
export function refreshExpiringRoutes(rt: Runtime): Routes {
  const options = runOptionsFromEnv(rt.env);
  const { cpuClock } = rt;
  // Without a CPU clock runs are bounded by their wall-clock budget only, and report cpu_ms 0: say so once.
  if (!cpuClock) rt.logger.warn("cpu_clock_unavailable", { budget_ms: options.cpuBudgetMs });
  return {
    POST: route({
      auth: "service",
      maxBodyBytes: 1024,
      handle: async (req, { body }) => {
        const { partition, partitions } = parsePartitionRequest(body);
        const respondAsync = prefersRespondAsync(req.headers.get("prefer"));
        const runId = crypto.randomUUID();
        let started!: () => void;
        const recorded = new Promise<void>((resolve) => (started = resolve));
        const deps = { sql: rt.sql(), ring: await rt.keyRing(), env: rt.env, logger: rt.logger, leaseSeconds: leaseSecondsFromEnv(rt.env) };
        const run = runRefreshExpiring(deps, options, {
          partition, partitions, trigger: respondAsync ? "schedule" : "request", runId, onStarted: () => started(),
          ...(cpuClock ? { cpuClock } : {}),
        });
        const settled = run.then(
          (summary) => rt.logger.info("run_finished", { ...summary }),
          (err) => rt.logger.error("run_failed", { run_id: runId, error: (err as Error)?.name }),
        ).finally(rt.flushLogs);
        // Without waitUntil (deno run, the local stack) the process simply keeps running the promise.
        rt.waitUntil?.(settled);
        if (respondAsync) {
          // Answer once the run's row exists, so the run_id in the answer can be looked up at once.
          await Promise.race([recorded, settled]);
          return json({ accepted: true, run_id: runId, partition, partitions }, 202, { "preference-applied": "respond-async" });
        }
        return json(await run);
      },
    }),
  };
}
