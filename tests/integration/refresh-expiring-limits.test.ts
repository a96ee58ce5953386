/**
 * refresh-expiring within the hosted limits: it measures its CPU, stops before its CPU budget, finishes its
 * run when the caller hangs up (pg_net gives up after 5 s), records every run's summary, and fans out over
 * partitions that never share a row. Real runs against the stack and the strictly rotating emulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../packages/shared/src/log/logger.ts";
import { DEFAULT_RUN_OPTIONS, runRefreshExpiring, type RunSummary } from "../../packages/shared/src/engine/refresh-expiring.ts";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { functionKeyRing, seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";
import { testStackEnv } from "../helpers/stack-env.ts";

const sql = db();
let user: { id: string; token: string };
let serviceKey: string;
const ROTATING = ["discord", "spotify", "twitter", "etsy"];

beforeAll(async () => {
  await setScheduleActive(sql, false);
  user = await userToken("refresh-limits@example.com");
  serviceKey = (await keys()).serviceRoleKey;
});
afterAll(async () => {
  await emulator.config({ latency_ms: 0 });
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  await setScheduleActive(sql, true);
  await sql.end();
});
beforeEach(async () => {
  // Files run one at a time: this file owns the table while it runs.
  await sql`delete from public.platform_connections`;
  await emulator.clearFaults();
  await emulator.config({ latency_ms: 0 });
  await emulator.resetStats();
});

const post = (body: unknown, init: RequestInit = {}) =>
  callFunction("refresh-expiring", { method: "POST", body: JSON.stringify(body), token: serviceKey, ...init });

async function seedDue(n: number, prefix: string) {
  return Promise.all(Array.from({ length: n }, (_, i) =>
    seedConnection(sql, { userId: user.id, provider: ROTATING[i % ROTATING.length]!, account: `${prefix}-${i}`, expiresIn: 30 + (i % 60) })));
}

async function refreshTotals() {
  let ok = 0;
  let rejected = 0;
  for (const p of ROTATING) {
    const s = await emulator.stats(p);
    ok += s.refresh_ok;
    rejected += s.refresh_rejected;
  }
  return { ok, rejected };
}

async function waitForRun(where: (r: Record<string, any>) => boolean, timeoutMs = 45_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await sql`select * from public.refresh_runs where finished_at is not null order by started_at desc limit 20`;
    const found = rows.find(where);
    if (found) return found;
    if (Date.now() > deadline) throw new Error("no finished run was recorded");
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("refresh-expiring: CPU and the record of each run", () => {
  it("reports cpu_ms and records the same summary in refresh_runs", async () => {
    await seedDue(8, "cpu");
    const res = await post({});
    expect(res.status).toBe(200);
    const s = await res.json();
    expect(s).toMatchObject({ claimed: 8, refreshed: 8, failed: 0, partition: 0, partitions: 1, stopped_by: "drained" });
    expect(s.cpu_ms).toBeGreaterThan(0);
    // CPU is at most what the wall clock allowed on this machine's two cores.
    expect(s.cpu_ms).toBeLessThanOrEqual(2 * s.duration_ms + 50);
    const [row] = await sql`select * from public.refresh_runs where id = ${s.run_id}`;
    expect(row).toMatchObject({
      trigger: "request", partition: 0, partitions: 1, claimed: 8, refreshed: 8, failed: 0, cpu_ms: s.cpu_ms, duration_ms: s.duration_ms, stopped_by: "drained",
    });
    expect(row!.finished_at).not.toBeNull();
  });

  it("a caller that hangs up at once changes nothing: the run completes and its summary is recorded", async () => {
    const rows = await seedDue(24, "hangup");
    await emulator.config({ latency_ms: 400 });
    const since = new Date(Date.now() - 20);
    const abort = new AbortController();
    const pending = post({}, { signal: abort.signal });
    setTimeout(() => abort.abort(), 30);
    await expect(pending).rejects.toThrow();
    const run = await waitForRun((r) => r.started_at >= since && r.trigger === "request");
    expect(run).toMatchObject({ claimed: 24, refreshed: 24, failed: 0, needs_reauth: 0, stopped_by: "drained" });
    const left = await sql`select count(*)::int as n from public.platform_connections
      where id in ${sql(rows.map((r) => r.id))} and (last_refreshed_at is null or status <> 'connected' or lease_owner is not null)`;
    expect(left[0]!.n).toBe(0);
    expect(await refreshTotals()).toEqual({ ok: 24, rejected: 0 });
  });

  it("Prefer: respond-async answers 202 before the run is done, and the run finishes and records itself", async () => {
    await seedDue(12, "async");
    await emulator.config({ latency_ms: 1500 });
    const t0 = performance.now();
    const res = await post({ partition: 0, partitions: 1 }, { headers: { prefer: "respond-async" } });
    const answeredMs = performance.now() - t0;
    expect(res.status).toBe(202);
    expect(res.headers.get("preference-applied")).toBe("respond-async");
    const body = await res.json();
    expect(body).toMatchObject({ accepted: true, partition: 0, partitions: 1 });
    // Every refresh takes 1.5 s at the provider: the answer came before any of them could finish.
    expect(answeredMs).toBeLessThan(1500);
    const [started] = await sql`select trigger, finished_at from public.refresh_runs where id = ${body.run_id}`;
    expect(started).toMatchObject({ trigger: "schedule" });
    const run = await waitForRun((r) => r.id === body.run_id);
    expect(run).toMatchObject({ claimed: 12, refreshed: 12, failed: 0, stopped_by: "drained" });
    expect(await refreshTotals()).toEqual({ ok: 12, rejected: 0 });
  });

  it("refuses bad partitions by name and loses nothing", async () => {
    const [seeded] = await seedDue(1, "bad");
    const since = new Date(Date.now() - 20);
    for (const [body, message] of [
      [{ partition: 2, partitions: 2 }, '"partition" must be between 0 and 1'],
      [{ partition: 0 }, '"partitions" is required with "partition"'],
      [{ partition: 0, partitions: 100000 }, '"partitions" must be between 1 and 256'],
      [{ partition: "0", partitions: 2 }, '"partition" must be an integer'],
      [{ partition: 0, partitions: 2, owner: "x" }, '"owner" is not a known field'],
    ] as const) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: "invalid_request", message } });
    }
    expect((await post([0, 1])).status).toBe(400);
    expect((await post({ partition: 0, partitions: 2, pad: "x".repeat(2000) })).status).toBe(413);
    const forged = await callFunction("refresh-expiring", { method: "POST", body: "{}", token: `${serviceKey.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
    const [row] = await sql`select last_refreshed_at, lease_owner from public.platform_connections where id = ${seeded!.id}`;
    expect(row).toEqual({ last_refreshed_at: null, lease_owner: null });
    expect((await sql`select count(*)::int as n from public.refresh_runs where started_at >= ${since}`)[0]!.n).toBe(0);
  });
});

describe("refresh-expiring: partitions", () => {
  it("concurrent runs of 4 partitions (two ticks overlapping) refresh every due connection exactly once", async () => {
    const rows = await seedDue(60, "part");
    await emulator.config({ latency_ms: 50 });
    const tick = () => Promise.all([0, 1, 2, 3].map(async (partition) => {
      const res = await post({ partition, partitions: 4 });
      expect(res.status).toBe(200);
      return (await res.json()) as RunSummary;
    }));
    const summaries = (await Promise.all([tick(), tick()])).flat();
    expect(summaries.reduce((n, s) => n + s.refreshed, 0)).toBe(60);
    expect(summaries.reduce((n, s) => n + s.failed + s.needs_reauth, 0)).toBe(0);
    // What each partition refreshed is exactly its share of the table.
    const shares = await sql`select provider_tokens.connection_partition(id, 4) as p, count(*)::int as n from public.platform_connections
      where id in ${sql(rows.map((r) => r.id))} group by 1`;
    for (const { p, n } of shares) {
      expect(summaries.filter((s) => s.partition === p).reduce((k, s) => k + s.refreshed, 0)).toBe(n);
    }
    expect(await refreshTotals()).toEqual({ ok: 60, rejected: 0 });
    const states = await sql`select status, count(*)::int as n from public.platform_connections where last_refreshed_at is not null group by 1`;
    expect(states).toEqual([{ status: "connected", n: 60 }]);
  });
});

describe("refresh-expiring: the CPU budget", () => {
  it("stops before its CPU budget, hands what it claimed back at once, and the next run takes it", async () => {
    const rows = await seedDue(160, "budget");
    await emulator.config({ latency_ms: 20 });
    const env = testStackEnv();
    const lines: string[] = [];
    const deps = { sql, ring: await functionKeyRing(), env, logger: createLogger("test", (l) => lines.push(l)), leaseSeconds: 15 };
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    // Two partitions at once, each allowed 40 ms of CPU: far less than 80 refreshes cost.
    const tight = { ...DEFAULT_RUN_OPTIONS, cpuBudgetMs: 40, batchSize: 25 };
    const first = await Promise.all([0, 1].map((partition) =>
      runRefreshExpiring(deps, tight, { partition, partitions: 2, trigger: "request", cpuClock: cpu })));
    for (const s of first) {
      expect(s.stopped_by).toBe("cpu_budget");
      expect(s.refreshed).toBeLessThan(80);
      expect(s.failed + s.needs_reauth).toBe(0);
      // Nothing stays leased to a run that stopped: the rest is due again at once.
      const held = await sql`select count(*)::int as n from public.platform_connections where lease_owner = ${s.run_id}`;
      expect(held[0]!.n).toBe(0);
      const [rec] = await sql`select stopped_by, cpu_ms from public.refresh_runs where id = ${s.run_id}`;
      expect(rec).toEqual({ stopped_by: "cpu_budget", cpu_ms: s.cpu_ms });
    }
    const refreshedFirst = first.reduce((n, s) => n + s.refreshed, 0);
    const rest = await runRefreshExpiring(deps, { ...DEFAULT_RUN_OPTIONS, cpuBudgetMs: 60_000 }, { partition: 0, partitions: 1, trigger: "request", cpuClock: cpu });
    expect(rest.stopped_by).toBe("drained");
    expect(refreshedFirst + rest.refreshed).toBe(160);
    expect(await refreshTotals()).toEqual({ ok: 160, rejected: 0 });
    const done = await sql`select count(*)::int as n from public.platform_connections where id in ${sql(rows.map((r) => r.id))} and status = 'connected' and last_refreshed_at is not null`;
    expect(done[0]!.n).toBe(160);
    expect(lines.join("\n")).not.toMatch(/"(access|refresh)_token":"[^[]/);
  }, 60_000);
});
