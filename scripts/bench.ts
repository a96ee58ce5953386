/**
 * `npm run bench`: measures the product on this machine and reports numbers beside the targets of issue #15.
 *   A. get-token on a valid token, 50 concurrent clients, beside a floor measured in the same run.
 *   B. refresh-expiring on 10,000 due connections with 100 ms of provider latency: CPU per refreshed
 *      connection (the function process's utime + stime from /proc) and peak RSS, 1,000 then 10,000 rows.
 *   C. a stampede of 1,000 concurrent get-token calls on one expired token.
 *   D. a backlog of 100,000 due connections (100 ms provider latency) drained by partitioned invocations of
 *      refresh-expiring, each under the hosted 2 s CPU limit (scripts/bench/refresh-backlog.ts). Not by default.
 *   E. get-token's two processes' RSS under BENCH_SOAK_SECONDS (default 240) of load through the gateway.
 *   H. token-health at BENCH_HEALTH_ROWS (default 1,000,000) connections generated in SQL.
 * BENCH_PARTS picks the parts (default A,B,C,E,H); BENCH_SECONDS (10) is each load phase of A;
 * BENCH_DUE_ROWS (10000) sizes B; BENCH_BACKLOG_ROWS and BENCH_PARTITIONS size D. BENCH_PROFILE=1 starts the
 * functions with their inspector (STACK_INSPECT=1) and keeps CPU profiles of A's get-token and B's
 * refresh-expiring, and heap snapshots after them, in bench-results/ (top items in latest.json).
 * Prints a table and writes bench-results/latest.json. Needs ports 54399 (emulator) and 54398 (floor) free:
 * do not run it beside `npm start` or `npm test`.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import os from "node:os";
import postgres from "postgres";
import { parseKeyRing } from "../packages/shared/src/crypto/key-ring.ts";
import { encryptConnectionTokens } from "../packages/shared/src/crypto/connection-tokens.ts";
import { PROVIDER_CATALOG } from "../packages/shared/src/providers/catalog.ts";
import { emulatorEnv, startEmulator } from "./emulator/server.ts";
import { closedLoop, percentile, request } from "./bench/load.ts";
import { benchBacklog } from "./bench/refresh-backlog.ts";
import { heapSnapshot, memoryUsage, profileDuring, summarize } from "./bench/profile.ts";
import { benchHealth } from "./bench/token-health-at-scale.ts";
import { targetsTable } from "./bench/targets.ts";
import { loadKeys, signUserToken } from "./stack/keys.ts";
import { down, fetchFunctionStatus, readGatewayPid, up } from "./stack/lifecycle.ts";
import { API_URL, DB_URL, FUNCTION_V8_FLAGS, HOST, INSPECT_PORT_OFFSET, ROOT } from "./stack/paths.ts";
import { ensureUser } from "./stack/users.ts";

const EMULATOR_PORT = 54399;
const FLOOR_PORT = 54398;
const EMULATOR_URL = `http://${HOST}:${EMULATOR_PORT}`;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? "10") * 1000;
const DUE_ROWS = Number(process.env.BENCH_DUE_ROWS ?? "10000");
const BENCH_PROVIDERS = ["discord", "spotify", "xero", "quickbooks", "twitch", "microsoft", "linkedin", "reddit", "github", "etsy"];
const PARTS = new Set((process.env.BENCH_PARTS ?? "A,B,C,E,H").split(",").map((p) => p.trim().toUpperCase()));
const SOAK_MS = Number(process.env.BENCH_SOAK_SECONDS ?? "240") * 1000;
const HEALTH_ROWS = Number(process.env.BENCH_HEALTH_ROWS ?? "1000000");
const PROFILE = process.env.BENCH_PROFILE === "1";
const OUT = join(ROOT, "bench-results");
const BACKLOG_ROWS = Number(process.env.BENCH_BACKLOG_ROWS ?? "100000");
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? "4");
// One refresh-expiring process per partition, so each invocation's process CPU is its own (part D).
process.env.STACK_WORKERS ??= `get-token=2,refresh-expiring=${PARTS.has("D") ? PARTITIONS : 1}`;

const log = (m: string) => console.error(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const workersOf = async (fn: string) => (await fetchFunctionStatus())!.find((f) => f.name === fn)!.workers;

async function waitPort(port: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, HOST);
      s.once("connect", () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${port}`);
}

async function control(path: string, body: unknown) {
  const res = await fetch(`${EMULATOR_URL}/_emulator${path}`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  return res.json() as Promise<Record<string, any>>;
}

function peakRssMb(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { peak: kb("VmHWM") / 1024, now: kb("VmRSS") / 1024 };
}

/** CPU milliseconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the line, counted in clock ticks (100 a second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function main() {
  const emulator = await startEmulator({ port: EMULATOR_PORT }).catch(() => {
    throw new Error(`port ${EMULATOR_PORT} is in use: stop npm start or npm test first`);
  });
  const startedHere = readGatewayPid() === null;
  log("bringing the stack up with providers pointed at the emulator…");
  await up({ env: { ...emulatorEnv(EMULATOR_URL), BENCH: "1", ...(PROFILE ? { STACK_INSPECT: "1" } : {}) } });
  mkdirSync(OUT, { recursive: true });
  const sql = postgres(DB_URL, { max: 8, onnotice: () => {} });
  // pg_cron's API, not a write to cron.job (Supabase does not let postgres write that table).
  const setCronActive = (active: boolean) =>
    sql`select cron.alter_job(job_id := (select jobid from cron.job where jobname = 'refresh-expiring-tokens'), active := ${active})`;
  await setCronActive(false);
  const keys = await loadKeys();
  const ring = await parseKeyRing(keys.tokenEncryptionKeys);
  const user = await ensureUser("bench@example.com");
  const userJwt = await signUserToken(keys, user);
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30) }, at: new Date().toISOString() };

  async function seed(provider: string, account: string, expiresIn: number) {
    const grant = await control("/grant", { provider, account });
    const id = crypto.randomUUID();
    const enc = await encryptConnectionTokens(ring, id, { accessToken: grant.access_token, refreshToken: grant.refresh_token });
    return { id, user_id: user.id, provider, account_id: account, access_token: enc.accessToken, refresh_token: enc.refreshToken, encryption_key_id: enc.keyId, token_expires_at: new Date(Date.now() + expiresIn * 1000) };
  }

  try {
    // A. Valid token throughput and latency, against the floor.
    if (PARTS.has("A")) {
    log("A. get-token on a valid token, 50 clients…");
    // Earlier parts and runs leave dead rows behind, and both sides read through the same index.
    await sql`vacuum (analyze) public.platform_connections`;
    await sql`insert into public.platform_connections ${sql(await seed("spotify", "bench-valid", 86_400))}`;
    const floor = spawn(join(ROOT, "node_modules", ".bin", "deno"), ["run", "--node-modules-dir=manual", "--no-lock", `--v8-flags=${FUNCTION_V8_FLAGS}`, "--config", join(ROOT, "supabase/functions/deno.json"), "-A", join(ROOT, "scripts/bench/floor-server.ts")], {
      env: { ...process.env, SUPABASE_DB_URL: DB_URL, DENO_SERVE_ADDRESS: `tcp:${HOST}:${FLOOR_PORT}`, NO_COLOR: "1" }, stdio: "ignore",
    });
    try {
      await waitPort(FLOOR_PORT);
      const floorBody = JSON.stringify({ user_id: user.id, provider: "spotify" });
      const body = JSON.stringify({ provider: "spotify" });
      const auth = { authorization: `Bearer ${userJwt}` };
      const worker = (await fetchFunctionStatus())!.find((f) => f.name === "get-token")!.workers[0]!;
      await closedLoop(`http://${HOST}:${FLOOR_PORT}/`, {}, floorBody, 50, 2000);
      await closedLoop(`${API_URL}/functions/v1/get-token`, auth, body, 50, 2000);
      // CPU per request of the serving process (from /proc): steadier than throughput on a machine the load
      // generator shares, and what get-token adds over the floor.
      const withCpu = async (pid: number, run: () => ReturnType<typeof closedLoop>) => {
        const cpu0 = cpuMs(pid);
        const r = await run();
        return { ...r, cpu_us_per_request: ((cpuMs(pid) - cpu0) * 1000) / Math.max(1, r.requests) };
      };
      const floorRun = await withCpu(floor.pid!, () => closedLoop(`http://${HOST}:${FLOOR_PORT}/`, {}, floorBody, 50, DURATION_MS));
      const direct = () => withCpu(worker.pid!, () => closedLoop(`http://${HOST}:${worker.port}/get-token`, auth, body, 50, DURATION_MS));
      let directRun;
      if (PROFILE) {
        // Profiled separately: the sampler costs throughput, so the measured run goes without it.
        const p = await profileDuring(HOST, worker.port + INSPECT_PORT_OFFSET, () => closedLoop(`http://${HOST}:${worker.port}/get-token`, auth, body, 50, 5_000));
        writeFileSync(join(OUT, "get-token.cpuprofile"), JSON.stringify(p.profile));
        results.get_token_profile = summarize(p.profile);
      }
      directRun = await direct();
      const a = {
        floor_bare_deno_select: floorRun,
        get_token_one_process_direct: directRun,
        get_token_via_gateway_two_processes: await closedLoop(`${API_URL}/functions/v1/get-token`, auth, body, 50, DURATION_MS),
        // The floor again after get-token: the machine is shared, so the floor is bracketed.
        floor_again: await withCpu(floor.pid!, () => closedLoop(`http://${HOST}:${FLOOR_PORT}/`, {}, floorBody, 50, DURATION_MS)),
      };
      results.valid_token = a;
      if (PROFILE) results.get_token_heap_bytes = await heapSnapshot(HOST, worker.port + INSPECT_PORT_OFFSET, join(OUT, "get-token.heapsnapshot"));
    } finally {
      floor.kill("SIGTERM");
    }
    }

    // B. Due connections with 100 ms provider latency: 1,000 first, then 10,000, to see that the function's
    // peak memory does not grow with the number of rows (VmHWM only ever rises).
    await control("/config", { latency_ms: 100 });
    if (PARTS.has("B")) {
    const { pid: fnPidOrNull, port: fnPort } = (await workersOf("refresh-expiring"))[0]!;
    const fnPid = fnPidOrNull!;
    const rssAtStart = peakRssMb(fnPid);
    const refreshDue = async (count: number) => {
      log(`B. refresh-expiring on ${count} due connections with 100 ms provider latency…`);
      await sql`delete from public.platform_connections where user_id = ${user.id}`;
      const rows = [];
      for (let i = 0; i < count; i += 100) {
        rows.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => {
          const n = i + j;
          return seed(BENCH_PROVIDERS[n % BENCH_PROVIDERS.length]!, `due-${n}`, 60 + (n % 200));
        }))));
      }
      for (let i = 0; i < rows.length; i += 1000) await sql`insert into public.platform_connections ${sql(rows.slice(i, i + 1000))}`;
      await sql`analyze public.platform_connections`;
      await control("/stats/reset", {});
      const cpu0 = cpuMs(fnPid);
      const t0 = performance.now();
      const runs = [];
      let remaining = count;
      while (remaining > 0 && performance.now() - t0 < 180_000) {
        const res = await fetch(`http://${HOST}:${fnPort}/refresh-expiring`, { method: "POST", body: "{}", headers: { authorization: `Bearer ${keys.serviceRoleKey}`, "content-type": "application/json" } });
        runs.push(await res.json());
        const [left] = await sql<{ n: number }[]>`select count(*)::int as n from public.platform_connections where user_id = ${user.id} and last_refreshed_at is null`;
        remaining = left!.n;
      }
      const seconds = (performance.now() - t0) / 1000;
      const processCpuMs = cpuMs(fnPid) - cpu0;
      const stats = (await (await fetch(`${EMULATOR_URL}/_emulator/stats`)).json()) as Record<string, { refresh_ok: number; max_in_flight: number }>;
      const limits = Object.fromEntries(BENCH_PROVIDERS.map((p) => [p, Math.min(16, (PROVIDER_CATALOG as Record<string, any>)[p]?.rateLimit?.maxConcurrentRequests ?? 16)]));
      return {
        connections: count, provider_latency_ms: 100, seconds_to_refresh_all: seconds, refreshed: count - remaining, runs,
        process_cpu_ms: processCpuMs, cpu_ms_per_refreshed: processCpuMs / Math.max(1, count - remaining),
        max_in_flight_by_provider: Object.fromEntries(BENCH_PROVIDERS.map((p) => [p, stats[p]?.max_in_flight ?? 0])),
        concurrency_limit_by_provider: limits,
        per_provider_concurrency_respected: BENCH_PROVIDERS.every((p) => (stats[p]?.max_in_flight ?? 0) <= limits[p]!),
        ...(PROFILE ? { memory_usage_after: await memoryUsage(HOST, fnPort + INSPECT_PORT_OFFSET) } : {}),
        function_peak_rss_mb_after: peakRssMb(fnPid).peak,
        function_rss_mb_after: peakRssMb(fnPid).now,
      };
    };
    // One process, so the CPU and memory read from /proc are all refresh-expiring's.
    if ((await workersOf("refresh-expiring")).length > 1) log("   several refresh-expiring processes: runs go to the first one only");
    const small = await refreshDue(Math.max(1, Math.floor(DUE_ROWS / 10)));
    const large = PROFILE
      ? await (async () => {
        const p = await profileDuring(HOST, fnPort + INSPECT_PORT_OFFSET, () => refreshDue(DUE_ROWS));
        writeFileSync(join(OUT, "refresh-expiring.cpuprofile"), JSON.stringify(p.profile));
        results.refresh_expiring_profile = summarize(p.profile);
        return p.result;
      })()
      : await refreshDue(DUE_ROWS);
    // The same size again: if memory depended on the rows handled, the peak would rise again.
    const again = await refreshDue(DUE_ROWS);
    if (PROFILE) results.refresh_expiring_heap_bytes = await heapSnapshot(HOST, fnPort + INSPECT_PORT_OFFSET, join(OUT, "refresh-expiring.heapsnapshot"));
    results.refresh_due = {
      ...large, function_rss_mb_at_start: rssAtStart.now, function_peak_rss_mb: large.function_peak_rss_mb_after,
      smaller_run: small, repeated_run: again,
      // With BENCH_PROFILE the sampler ran during the large run: the repeated run's CPU is the clean one.
      cpu_ms_per_refreshed_measured_on: PROFILE ? "repeated_run" : "this_run",
      cpu_ms_per_refreshed: PROFILE ? again.cpu_ms_per_refreshed : large.cpu_ms_per_refreshed,
    };
    }

    // D. A backlog drained by partitioned invocations, each under the hosted CPU limit.
    if (PARTS.has("D")) {
      const workers = (await fetchFunctionStatus())!.find((f) => f.name === "refresh-expiring")!.workers;
      if (workers.length < PARTITIONS) log(`   only ${workers.length} refresh-expiring process(es) (stack started before with other STACK_WORKERS): runs share processes and their cpu_ms`);
      const d = await benchBacklog({
        sql, userId: user.id, connections: BACKLOG_ROWS, partitions: PARTITIONS, workerPorts: workers.map((w) => w.port), host: HOST,
        serviceRoleKey: keys.serviceRoleKey, providers: BENCH_PROVIDERS, providerLatencyMs: 100, log,
        seed: (provider, account, expiresIn) => seed(provider, account, expiresIn),
        emulatorStats: async () => (await (await fetch(`${EMULATOR_URL}/_emulator/stats`)).json()) as Record<string, { refresh: number; refresh_ok: number; refresh_rejected: number }>,
        timeLimitMs: 30 * 60_000,
      });
      // 1,000,000 connections with one-hour tokens, refreshed 5 minutes before expiry: one refresh each every
      // 55 minutes. A run refreshes at most what one invocation did before its CPU budget stopped it.
      const perMinute = 1_000_000 / 55;
      const atBudget = d.refreshed_per_invocation_at_cpu_budget_p50;
      results.backlog = {
        ...d, refresh_expiring_processes: workers.length,
        one_million_hourly: {
          refreshes_per_minute_needed: Math.ceil(perMinute),
          refreshed_per_invocation_at_cpu_budget: atBudget,
          partitions_needed: Math.ceil(perMinute / atBudget),
        },
      };
    }

    // E. get-token's memory under sustained load: both processes' RSS, sampled while the gateway spreads
    // 50 clients over them.
    if (PARTS.has("E")) {
      log(`E. get-token under ${SOAK_MS / 1000} s of load through the gateway, sampling both processes' RSS…`);
      await sql`delete from public.platform_connections where user_id = ${user.id}`;
      await sql`insert into public.platform_connections ${sql(await seed("spotify", "bench-soak", 86_400))}`;
      const pids = (await workersOf("get-token")).map((w) => w.pid!);
      const samples: { t: number; rss_mb: number[] }[] = [];
      const sample = () => samples.push({ t: Math.round(performance.now() - t0) / 1000, rss_mb: pids.map((p) => Math.round(peakRssMb(p).now * 10) / 10) });
      const t0 = performance.now();
      sample();
      const timer = setInterval(sample, 10_000);
      const load = await closedLoop(`${API_URL}/functions/v1/get-token`, { authorization: `Bearer ${userJwt}` }, JSON.stringify({ provider: "spotify" }), 50, SOAK_MS);
      clearInterval(timer);
      sample();
      const per = pids.map((_, i) => samples.map((x) => x.rss_mb[i]!));
      // "Flat": the last minute's mean against the second minute's, after the start-up growth.
      const window = (xs: number[], from: number, to: number) => {
        const w = samples.map((x, j) => ({ t: x.t, v: xs[j]! })).filter((x) => x.t >= from && x.t < to).map((x) => x.v);
        return w.length ? w.reduce((a, b) => a + b, 0) / w.length : NaN;
      };
      const seconds = SOAK_MS / 1000;
      results.get_token_soak = {
        seconds, requests: load.requests, rps: load.rps, errors: load.errors, p99_ms: load.p99,
        processes: per.map((xs) => ({
          rss_mb_start: xs[0], rss_mb_max: Math.max(...xs), rss_mb_end: xs.at(-1),
          rss_mb_growth_last_minute_vs_second: window(xs, seconds - 60, seconds + 1) - window(xs, 60, 120),
        })),
        samples,
      };
    }

    // H. token-health at scale.
    if (PARTS.has("H")) {
      results.token_health = await benchHealth({ sql, rows: HEALTH_ROWS, log, call: async () => {
        const t = performance.now();
        const res = await fetch(`http://${HOST}:${(await workersOf("token-health"))[0]!.port}/token-health`, { headers: { authorization: `Bearer ${keys.serviceRoleKey}` } });
        if (res.status !== 200) throw new Error(`token-health answered ${res.status}`);
        await res.arrayBuffer();
        return performance.now() - t;
      } });
    }

    // C. Stampede on one expired token.
    if (PARTS.has("C")) {
    log("C. 1,000 concurrent get-token calls on one expired token…");
    await sql`delete from public.platform_connections where user_id = ${user.id}`;
    await sql`insert into public.platform_connections ${sql(await seed("discord", "stampede", -30))}`;
    await control("/stats/reset", {});
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1000 });
    const target = new URL(`${API_URL}/functions/v1/get-token`);
    const answers = await Promise.all(Array.from({ length: 1000 }, () =>
      request(agent, target, { authorization: `Bearer ${userJwt}` }, JSON.stringify({ provider: "discord" })).catch(() => ({ status: 0, text: "", ms: NaN }))));
    agent.destroy();
    const lat = answers.map((a) => a.ms).filter(Number.isFinite).sort((x, y) => x - y);
    const tokens = new Set(answers.filter((a) => a.status === 200).map((a) => JSON.parse(a.text).access_token));
    const dstats = (await (await fetch(`${EMULATOR_URL}/_emulator/stats`)).json()) as Record<string, { refresh: number }>;
    results.stampede = {
      callers: 1000, provider_latency_ms: 100, provider_refresh_calls: dstats.discord?.refresh ?? 0,
      ok: answers.filter((a) => a.status === 200).length, distinct_tokens: tokens.size,
      p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99), max_ms: lat.at(-1),
    };
    }
  } finally {
    await sql`delete from public.platform_connections where user_id = ${user.id}`;
    await setCronActive(true);
    await sql.end();
    await emulator.stop();
    if (startedHere) await down();
  }

  // Parts not run this time keep their last results (with the time they were measured).
  const file = join(OUT, "latest.json");
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    /* first run */
  }
  const measuredAt = { ...((previous.measured_at as Record<string, string> | undefined) ?? {}) };
  for (const [part, key] of [["A", "valid_token"], ["B", "refresh_due"], ["C", "stampede"], ["D", "backlog"], ["E", "get_token_soak"], ["H", "token_health"]] as const) {
    if (results[key] !== undefined) measuredAt[part] = results.at as string;
    else if (previous[key] !== undefined) results[key] = previous[key];
  }
  results.measured_at = measuredAt;
  results.targets = targetsTable(results).rows;
  console.log(targetsTable(results).text);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log("wrote bench-results/latest.json");
}

main().then(() => process.exit(0), (err) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
});
