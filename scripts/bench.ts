/**
 * `npm run bench`: measures the product on this machine and reports numbers (it asserts nothing).
 *   A. get-token on a valid token, 50 concurrent clients, beside a floor measured in the same run.
 *   B. refresh-expiring on 10,000 due connections with 100 ms of provider latency.
 *   C. a stampede of 1,000 concurrent get-token calls on one expired token.
 *   D. a backlog of 100,000 due connections (100 ms provider latency) drained by partitioned invocations of
 *      refresh-expiring, each under the hosted 2 s CPU limit (scripts/bench/refresh-backlog.ts).
 * BENCH_PARTS=A,B,C,D picks the parts (default all); BENCH_BACKLOG_ROWS and BENCH_PARTITIONS size part D.
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
import { loadKeys, signUserToken } from "./stack/keys.ts";
import { down, fetchFunctionStatus, readGatewayPid, up } from "./stack/lifecycle.ts";
import { API_URL, DB_URL, HOST, ROOT } from "./stack/paths.ts";
import { ensureUser } from "./stack/users.ts";

const EMULATOR_PORT = 54399;
const FLOOR_PORT = 54398;
const EMULATOR_URL = `http://${HOST}:${EMULATOR_PORT}`;
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? "10") * 1000;
const DUE_ROWS = Number(process.env.BENCH_DUE_ROWS ?? "10000");
const BENCH_PROVIDERS = ["discord", "spotify", "xero", "quickbooks", "twitch", "microsoft", "linkedin", "reddit", "github", "etsy"];
const PARTS = new Set((process.env.BENCH_PARTS ?? "A,B,C,D").split(",").map((p) => p.trim().toUpperCase()));
const BACKLOG_ROWS = Number(process.env.BENCH_BACKLOG_ROWS ?? "100000");
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? "4");
// One refresh-expiring process per partition, so each invocation's process CPU is its own (part D).
process.env.STACK_WORKERS ??= `get-token=2,refresh-expiring=${PARTITIONS}`;

const log = (m: string) => console.error(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

async function main() {
  const emulator = await startEmulator({ port: EMULATOR_PORT }).catch(() => {
    throw new Error(`port ${EMULATOR_PORT} is in use: stop npm start or npm test first`);
  });
  const startedHere = readGatewayPid() === null;
  log("bringing the stack up with providers pointed at the emulator…");
  await up({ env: { ...emulatorEnv(EMULATOR_URL), BENCH: "1" } });
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
    await sql`insert into public.platform_connections ${sql(await seed("spotify", "bench-valid", 86_400))}`;
    const floor = spawn(join(ROOT, "node_modules", ".bin", "deno"), ["run", "--node-modules-dir=manual", "--no-lock", "--config", join(ROOT, "supabase/functions/deno.json"), "-A", join(ROOT, "scripts/bench/floor-server.ts")], {
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
      const a = {
        floor_bare_deno_select: await closedLoop(`http://${HOST}:${FLOOR_PORT}/`, {}, floorBody, 50, DURATION_MS),
        get_token_one_process_direct: await closedLoop(`http://${HOST}:${worker.port}/get-token`, auth, body, 50, DURATION_MS),
        get_token_via_gateway_two_processes: await closedLoop(`${API_URL}/functions/v1/get-token`, auth, body, 50, DURATION_MS),
      };
      results.valid_token = a;
    } finally {
      floor.kill("SIGTERM");
    }
    }

    // B. Due connections with 100 ms provider latency: 1,000 first, then 10,000, to see that the function's
    // peak memory does not grow with the number of rows (VmHWM only ever rises).
    await control("/config", { latency_ms: 100 });
    if (PARTS.has("B")) {
    const fnPid = (await fetchFunctionStatus())!.find((f) => f.name === "refresh-expiring")!.workers[0]!.pid!;
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
      const t0 = performance.now();
      const runs = [];
      let remaining = count;
      while (remaining > 0 && performance.now() - t0 < 180_000) {
        const res = await fetch(`${API_URL}/functions/v1/refresh-expiring`, { method: "POST", body: "{}", headers: { authorization: `Bearer ${keys.serviceRoleKey}`, "content-type": "application/json" } });
        runs.push(await res.json());
        const [left] = await sql<{ n: number }[]>`select count(*)::int as n from public.platform_connections where user_id = ${user.id} and last_refreshed_at is null`;
        remaining = left!.n;
      }
      const seconds = (performance.now() - t0) / 1000;
      const stats = (await (await fetch(`${EMULATOR_URL}/_emulator/stats`)).json()) as Record<string, { refresh_ok: number; max_in_flight: number }>;
      const limits = Object.fromEntries(BENCH_PROVIDERS.map((p) => [p, Math.min(16, (PROVIDER_CATALOG as Record<string, any>)[p]?.rateLimit?.maxConcurrentRequests ?? 16)]));
      return {
        connections: count, provider_latency_ms: 100, seconds_to_refresh_all: seconds, refreshed: count - remaining, runs,
        max_in_flight_by_provider: Object.fromEntries(BENCH_PROVIDERS.map((p) => [p, stats[p]?.max_in_flight ?? 0])),
        concurrency_limit_by_provider: limits,
        per_provider_concurrency_respected: BENCH_PROVIDERS.every((p) => (stats[p]?.max_in_flight ?? 0) <= limits[p]!),
        function_peak_rss_mb_after: peakRssMb(fnPid).peak,
        function_rss_mb_after: peakRssMb(fnPid).now,
      };
    };
    const small = await refreshDue(Math.max(1, Math.floor(DUE_ROWS / 10)));
    const large = await refreshDue(DUE_ROWS);
    // The same size again: if memory depended on the rows handled, the peak would rise again.
    const again = await refreshDue(DUE_ROWS);
    results.refresh_due = {
      ...large, function_rss_mb_at_start: rssAtStart.now, function_peak_rss_mb: large.function_peak_rss_mb_after,
      smaller_run: small, repeated_run: again,
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

  const a = results.valid_token as Record<string, { rps: number; p50: number; p99: number; errors: number }> | undefined;
  const b = results.refresh_due as Record<string, any> | undefined;
  const c = results.stampede as Record<string, any> | undefined;
  const d = results.backlog as Record<string, any> | undefined;
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");
  const rowsOut: string[][] = [];
  if (a) rowsOut.push(
    ["A floor: bare Deno + same SELECT", `${f(a.floor_bare_deno_select!.rps, 0)} req/s`, `p50 ${f(a.floor_bare_deno_select!.p50)} ms`, `p99 ${f(a.floor_bare_deno_select!.p99)} ms`],
    ["A get-token, 1 process, direct", `${f(a.get_token_one_process_direct!.rps, 0)} req/s`, `p50 ${f(a.get_token_one_process_direct!.p50)} ms`, `p99 ${f(a.get_token_one_process_direct!.p99)} ms`],
    ["A get-token via gateway, 2 processes", `${f(a.get_token_via_gateway_two_processes!.rps, 0)} req/s`, `p50 ${f(a.get_token_via_gateway_two_processes!.p50)} ms`, `p99 ${f(a.get_token_via_gateway_two_processes!.p99)} ms`]);
  if (b) rowsOut.push(
    [`B refresh ${b.smaller_run.connections} due @100 ms`, `${f(b.smaller_run.seconds_to_refresh_all)} s`, `${b.smaller_run.refreshed} refreshed`, `peak RSS ${f(b.smaller_run.function_peak_rss_mb_after)} MB`],
    [`B refresh ${b.connections} due @100 ms`, `${f(b.seconds_to_refresh_all)} s`, `${b.refreshed} refreshed`, `peak RSS ${f(b.function_peak_rss_mb)} MB (start ${f(b.function_rss_mb_at_start)})`],
    [`B refresh ${b.connections} due again`, `${f(b.repeated_run.seconds_to_refresh_all)} s`, `${b.repeated_run.refreshed} refreshed`, `peak RSS ${f(b.repeated_run.function_peak_rss_mb_after)} MB (now ${f(b.repeated_run.function_rss_mb_after)})`],
    ["B per-provider concurrency respected", String(b.per_provider_concurrency_respected), JSON.stringify(b.max_in_flight_by_provider), ""]);
  if (c) rowsOut.push(["C stampede 1,000 on one expired", `${c.provider_refresh_calls} provider call(s)`, `p50 ${f(c.p50_ms)} ms`, `p99 ${f(c.p99_ms)} ms`]);
  if (d) rowsOut.push(
    [`D backlog ${d.connections} @100 ms, ${d.partitions} partitions`, `${f(d.seconds_to_drain_back_to_back)} s`, `${d.invocations} invocations`, `${d.ticks} ticks (= minutes on the schedule)`],
    ["D CPU per invocation", `max ${d.cpu_ms_max} ms`, `p50 ${d.cpu_ms_p50} ms`, `${d.invocations_over_2000_cpu_ms} over 2,000 ms`],
    ["D CPU per refreshed connection", `${f(d.cpu_ms_per_refreshed, 2)} ms`, `${d.refreshed_per_invocation_at_cpu_budget_p50} refreshed per invocation at its CPU budget (p50)`, ""],
    ["D 1,000,000 one-hour tokens need", `${d.one_million_hourly.partitions_needed} partitions`, `${d.one_million_hourly.refreshes_per_minute_needed}/min`, ""]);
  for (const r of rowsOut) console.log(r.map((x, i) => (i === 0 ? x.padEnd(40) : x.padEnd(14))).join(" "));
  if (a) {
    const floorRps = a.floor_bare_deno_select!.rps;
    console.log(`\nget-token via gateway / floor: ${f((a.get_token_via_gateway_two_processes!.rps / floorRps) * 100, 0)}% of the floor's throughput; direct: ${f((a.get_token_one_process_direct!.rps / floorRps) * 100, 0)}%`);
  }
  mkdirSync(join(ROOT, "bench-results"), { recursive: true });
  // Parts not run this time keep their last results (with the time they were measured).
  const file = join(ROOT, "bench-results", "latest.json");
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    /* first run */
  }
  const measuredAt = { ...((previous.measured_at as Record<string, string> | undefined) ?? {}) };
  for (const [part, key] of [["A", "valid_token"], ["B", "refresh_due"], ["C", "stampede"], ["D", "backlog"]] as const) {
    if (results[key] !== undefined) measuredAt[part] = results.at as string;
    else if (previous[key] !== undefined) results[key] = previous[key];
  }
  results.measured_at = measuredAt;
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log("wrote bench-results/latest.json");
}

main().then(() => process.exit(0), (err) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(1);
});
