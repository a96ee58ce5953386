// POST /functions/v1/refresh-expiring: one scheduled run (pg_cron calls it every minute through pg_net, one
// request per partition). Service role key only; the body is {} or { partition, partitions }.
//
// The run's work is registered with EdgeRuntime.waitUntil where the runtime has it, so a caller hanging up
// (pg_net gives up after 5 s) cannot cut it short. With `Prefer: respond-async` (what the schedule sends) the
// answer is an immediate 202 and the summary goes only to public.refresh_runs; without it the caller waits
// for the summary (200), as before.
import { json, withHandler } from "../../../packages/shared/src/http/with-handler.ts";
import { runOptionsFromEnv, runRefreshExpiring } from "../../../packages/shared/src/engine/refresh-expiring.ts";
import { parsePartitionRequest, prefersRespondAsync } from "../../../packages/shared/src/engine/run-request.ts";
import { leaseSecondsFromEnv } from "../../../packages/shared/src/engine/engine-deps.ts";
import { createRuntime } from "../_shared/runtime.ts";

const rt = createRuntime("refresh-expiring");
const options = runOptionsFromEnv(rt.env);

type CpuUsage = () => { user: number; system: number };
// CPU time (user + system, in µs) of this whole process: Deno.cpuUsage() where it exists, else the Node
// compatibility layer's process.cpuUsage(). Neither can tell one request's CPU from another's.
const cpuUsage: CpuUsage | undefined =
  (Deno as unknown as { cpuUsage?: CpuUsage }).cpuUsage?.bind(Deno) ??
  (globalThis as unknown as { process?: { cpuUsage?: CpuUsage } }).process?.cpuUsage;
// Read at most once a millisecond of wall clock: the budget checks it several times a row, and each read is
// a call into the runtime (about 4% of a run's CPU when read every time); 1 ms is nothing against the margin
// between the CPU budget and the platform's limit.
let cpuReadAt = -Infinity;
let cpuMs = 0;
const cpuClock = cpuUsage && (() => {
  const t = performance.now();
  if (t - cpuReadAt >= 1) {
    cpuReadAt = t;
    const u = cpuUsage();
    cpuMs = (u.user + u.system) / 1000;
  }
  return cpuMs;
});

// Without a CPU clock runs are bounded by their wall-clock budget only, and report cpu_ms 0: say so once.
if (!cpuClock) rt.logger.warn("cpu_clock_unavailable", { budget_ms: options.cpuBudgetMs });

const edgeRuntime = (globalThis as unknown as { EdgeRuntime?: { waitUntil?: (p: Promise<unknown>) => void } }).EdgeRuntime;

Deno.serve(withHandler(rt, { methods: ["POST"], auth: "service", maxBodyBytes: 1024 }, async (req, { body }) => {
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
  // Without EdgeRuntime (deno run, the local stack) the process simply keeps running the promise.
  edgeRuntime?.waitUntil?.(settled);
  if (respondAsync) {
    // Answer once the run's row exists, so the run_id in the answer can be looked up at once.
    await Promise.race([recorded, settled]);
    return json({ accepted: true, run_id: runId, partition, partitions }, 202, { "preference-applied": "respond-async" });
  }
  return json(await run);
}));
