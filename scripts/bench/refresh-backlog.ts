/**
 * Bench part D: a backlog of due connections drained by partitioned invocations of refresh-expiring, as the
 * schedule starts them (one request per partition per tick), with every invocation held to the hosted CPU
 * limit by its own CPU budget. Each partition's request goes straight to its own function process, so each
 * invocation's cpu_ms (the process's CPU while it ran) is that invocation's alone, as on the platform where
 * a request has its worker to itself. Ticks follow each other at once here; the schedule starts one a minute.
 */
import type postgres from "postgres";
import { percentile } from "./load.ts";

export interface BacklogOptions {
  sql: postgres.Sql;
  userId: string;
  connections: number;
  partitions: number;
  /** Function process ports (refresh-expiring workers); partition p goes to port p mod count. */
  workerPorts: number[];
  host: string;
  serviceRoleKey: string;
  providers: string[];
  providerLatencyMs: number;
  /** Makes one row (its tokens granted by the emulator and encrypted) for account `account`. */
  seed: (provider: string, account: string, expiresIn: number) => Promise<Record<string, unknown>>;
  emulatorStats: () => Promise<Record<string, { refresh: number; refresh_ok: number; refresh_rejected: number }>>;
  log: (m: string) => void;
  timeLimitMs: number;
}

interface Summary {
  claimed: number;
  refreshed: number;
  failed: number;
  skipped: number;
  duration_ms: number;
  cpu_ms: number;
  stopped_by: string;
  partition: number;
}

export async function benchBacklog(o: BacklogOptions) {
  const { sql } = o;
  o.log(`D. seeding ${o.connections.toLocaleString("en")} due connections…`);
  await sql`delete from public.platform_connections where user_id = ${o.userId}`;
  for (let i = 0; i < o.connections; i += 1000) {
    const chunk = await Promise.all(Array.from({ length: Math.min(1000, o.connections - i) }, (_, j) => {
      const n = i + j;
      return o.seed(o.providers[n % o.providers.length]!, `backlog-${n}`, 60 + (n % 240));
    }));
    await sql`insert into public.platform_connections ${sql(chunk)}`;
  }
  await sql`analyze public.platform_connections`;
  const before = await o.emulatorStats();

  o.log(`D. draining with ${o.partitions} partitions, ${o.providerLatencyMs} ms provider latency…`);
  const summaries: Summary[] = [];
  let ticks = 0;
  let remaining = o.connections;
  const t0 = performance.now();
  while (remaining > 0 && performance.now() - t0 < o.timeLimitMs) {
    ticks += 1;
    const tick = await Promise.all(Array.from({ length: o.partitions }, async (_, partition) => {
      const port = o.workerPorts[partition % o.workerPorts.length]!;
      const res = await fetch(`http://${o.host}:${port}/refresh-expiring`, {
        method: "POST",
        body: JSON.stringify({ partition, partitions: o.partitions }),
        headers: { authorization: `Bearer ${o.serviceRoleKey}`, "content-type": "application/json" },
      });
      if (res.status !== 200) throw new Error(`refresh-expiring answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as Summary;
    }));
    summaries.push(...tick);
    const [left] = await sql<{ n: number }[]>`select count(*)::int as n from public.platform_connections where user_id = ${o.userId} and last_refreshed_at is null`;
    remaining = left!.n;
    const cpu = tick.map((s) => s.cpu_ms);
    o.log(`   tick ${ticks}: refreshed ${tick.reduce((n, s) => n + s.refreshed, 0)}, cpu_ms ${Math.min(...cpu)}–${Math.max(...cpu)}, ${remaining} left`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = await o.emulatorStats();
  const sum = (k: "refresh" | "refresh_ok" | "refresh_rejected") => o.providers.reduce((n, p) => n + (after[p]?.[k] ?? 0) - (before[p]?.[k] ?? 0), 0);
  const cpus = summaries.map((s) => s.cpu_ms).sort((a, b) => a - b);
  const refreshed = summaries.reduce((n, s) => n + s.refreshed, 0);
  const working = summaries.filter((s) => s.refreshed > 0);
  const perInvocation = working.map((s) => s.refreshed).sort((a, b) => a - b);
  // What one invocation gets done before its CPU budget stops it: the capacity of one partition per tick.
  const atBudget = summaries.filter((s) => s.stopped_by === "cpu_budget").map((s) => s.refreshed).sort((a, b) => a - b);
  const [states] = await sql<{ connected: number; other: number }[]>`select
      count(*) filter (where status = 'connected')::int as connected, count(*) filter (where status <> 'connected')::int as other
    from public.platform_connections where user_id = ${o.userId}`;
  return {
    connections: o.connections,
    partitions: o.partitions,
    provider_latency_ms: o.providerLatencyMs,
    drained: remaining === 0,
    refreshed,
    ticks,
    invocations: summaries.length,
    seconds_to_drain_back_to_back: seconds,
    minutes_to_drain_one_tick_a_minute: ticks,
    longest_invocation_ms: Math.max(...summaries.map((s) => s.duration_ms)),
    cpu_ms_max: cpus.at(-1),
    cpu_ms_p50: percentile(cpus, 50),
    invocations_over_2000_cpu_ms: cpus.filter((c) => c >= 2000).length,
    cpu_ms_per_refreshed: cpus.reduce((a, b) => a + b, 0) / Math.max(1, refreshed),
    cpu_ms_per_refreshed_in_busy_invocations: working.reduce((a, s) => a + s.cpu_ms, 0) / Math.max(1, refreshed),
    refreshed_per_invocation_p50: percentile(perInvocation, 50),
    refreshed_per_invocation_max: perInvocation.at(-1),
    refreshed_per_invocation_at_cpu_budget_p50: percentile(atBudget, 50),
    refreshed_per_invocation_at_cpu_budget_min: atBudget[0],
    stopped_by: Object.fromEntries([...new Set(summaries.map((s) => s.stopped_by))].map((k) => [k, summaries.filter((s) => s.stopped_by === k).length])),
    provider_refresh_calls: sum("refresh"),
    provider_refresh_rejected: sum("refresh_rejected"),
    connected_after: states!.connected,
    not_connected_after: states!.other,
  };
}
