/**
 * `stack up`, `down` and `status`, shared by the CLI, `npm start`, `npm test` and the test setup.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join, resolve } from "node:path";
import { functionVariables } from "./function-env.ts";
import { loadKeys, type StackKeys } from "./keys.ts";
import {
  API_PORT, API_URL, CONFIG_TOML, DB_PORT, DB_URL, FUNCTION_LOG_DIR, GATEWAY_LOG, GATEWAY_PID_FILE, HOST, LOG_DIR, ROOT, RUN_DIR,
} from "./paths.ts";
import * as pg from "./postgres.ts";

const GATEWAY_STATE = join(RUN_DIR, "gateway.json");
/** Read by the gateway on SIGHUP (gateway.ts, reload). */
const RELOAD_FILE = join(RUN_DIR, "reload.json");

export interface UpOptions {
  /** A dotenv file whose variables the functions get on top of supabase/functions/.env. */
  envFile?: string;
  /** Extra variables for the functions (and the gateway). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface FunctionStatus {
  name: string;
  verify_jwt: boolean;
  workers: { port: number; pid: number | null; state: string; restarts: number; last_exit: unknown }[];
}

export function readGatewayPid(): number | null {
  if (!existsSync(GATEWAY_PID_FILE)) return null;
  const pid = Number(readFileSync(GATEWAY_PID_FILE, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

interface GatewayStatus {
  fingerprint?: string | null;
  reloadable?: boolean;
  functions: FunctionStatus[];
}

async function fetchGatewayStatus(): Promise<GatewayStatus | null> {
  try {
    const res = await fetch(`${API_URL}/_stack/status`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return null;
    return (await res.json()) as GatewayStatus;
  } catch {
    return null;
  }
}

export async function fetchFunctionStatus(): Promise<FunctionStatus[] | null> {
  return (await fetchGatewayStatus())?.functions ?? null;
}

/** Every source file the functions load: a change means the running functions are stale. */
function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && /\.(ts|json)$/.test(d.name))
    .map((d) => join(d.parentPath, d.name))
    .sort();
}

function fingerprint(opts: UpOptions): string {
  const h = createHash("sha256");
  for (const f of [...sourceFiles(join(ROOT, "supabase", "functions")), ...sourceFiles(join(ROOT, "packages", "shared", "src"))]) {
    h.update(f).update(readFileSync(f));
  }
  // config.toml decides verify_jwt and each function's import map.
  h.update(readFileSync(CONFIG_TOML));
  if (opts.envFile) h.update(resolve(opts.envFile)).update(readFileSync(opts.envFile));
  h.update(JSON.stringify(opts.env ?? {}));
  // What `stack up` was started with reaches the functions (function-env.ts), so a change restarts them.
  h.update(JSON.stringify(functionVariables(process.env)));
  const dotEnv = join(ROOT, "supabase", "functions", ".env");
  if (existsSync(dotEnv)) h.update(readFileSync(dotEnv));
  return h.digest("hex");
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const s = net.connect(port, HOST);
    s.once("connect", () => { s.destroy(); resolveOpen(true); });
    s.once("error", () => resolveOpen(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopGateway(): Promise<void> {
  const pid = readGatewayPid();
  if (pid === null) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    try { process.kill(pid, "SIGTERM"); } catch { /* gone */ }
  }
  const deadline = Date.now() + 8_000;
  while (Date.now() < deadline) {
    // Also until the process is gone: a gateway an earlier `stack up` left (its parent exited) lingers a moment
    // after removing its pid file, until init reaps it.
    if (readGatewayPid() === null && !(await portOpen(API_PORT)) && !alive(pid)) return;
    await sleep(50);
  }
  try { process.kill(-pid, "SIGKILL"); } catch { /* gone */ }
  await sleep(200);
}

/** Brings every part up in the background; returns when each answers its health check. Idempotent. */
export async function up(opts: UpOptions = {}): Promise<{ keys: StackKeys; migrationsApplied: string[] }> {
  const log = opts.log ?? (() => {});
  mkdirSync(LOG_DIR, { recursive: true });
  mkdirSync(RUN_DIR, { recursive: true });
  mkdirSync(FUNCTION_LOG_DIR, { recursive: true });
  const keys = await loadKeys();

  if (pg.ensureCluster()) log("created the database cluster");
  pg.start();
  if (!(await pg.isInitialised())) {
    await pg.applyStandIns();
    log("applied the platform stand-ins");
  } else if (await pg.upgradePgNetStandIn()) {
    log("replaced the synchronous pg_net stand-in with the queued one");
  }
  const { applied } = await pg.migrate();
  for (const f of applied) log(`applied migration ${f}`);
  await pg.writeVaultSecrets(keys.serviceRoleKey);

  const want = fingerprint(opts);
  const running = readGatewayPid();
  const state = existsSync(GATEWAY_STATE) ? (JSON.parse(readFileSync(GATEWAY_STATE, "utf8")) as { fingerprint: string }) : null;
  const gatewayEnv: Record<string, string> = Object.fromEntries(
    Object.entries({
      ...process.env,
      ...(opts.env ?? {}),
      ...(opts.envFile ? { STACK_ENV_FILE: resolve(opts.envFile) } : {}),
      STACK_FINGERPRINT: want,
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  if (running !== null && state?.fingerprint !== want) {
    const live = await fetchGatewayStatus();
    if (live?.reloadable) {
      // Start the new function processes beside the old ones and switch over: no request is dropped.
      log("function code or environment changed: replacing the function processes");
      writeFileSync(RELOAD_FILE, JSON.stringify({ fingerprint: want, env: gatewayEnv }), { mode: 0o600 });
      process.kill(running, "SIGHUP");
      const deadline = Date.now() + 150_000;
      while ((await fetchGatewayStatus())?.fingerprint !== want) {
        if (Date.now() > deadline || readGatewayPid() === null) throw new Error(`the functions did not restart; see ${GATEWAY_LOG}`);
        await sleep(100);
      }
      writeFileSync(GATEWAY_STATE, JSON.stringify({ fingerprint: want, pid: running }));
    } else {
      log("function code or environment changed: restarting the functions");
      await stopGateway();
    }
  }
  let gatewayExited: (() => boolean) | undefined;
  if (readGatewayPid() === null) {
    if (await portOpen(API_PORT)) throw new Error(`port ${API_PORT} is taken by another program`);
    const out = openSync(GATEWAY_LOG, "a");
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "stack", "gateway.ts")], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", out, out],
      env: gatewayEnv,
    });
    let exited = false;
    child.once("exit", () => { exited = true; });
    gatewayExited = () => exited;
    child.unref();
    writeFileSync(GATEWAY_STATE, JSON.stringify({ fingerprint: want, pid: child.pid }));
  }
  await waitHealthy(undefined, gatewayExited);
  return { keys, migrationsApplied: applied };
}

/**
 * Waits until the gateway answers and every function process is ready. `gatewayExited` tells whether a gateway
 * `up` has just spawned has died; without it, a gateway that has not written its pid file within 30 s counts as
 * not started (on a loaded machine tsx alone can take several seconds to load it).
 */
export async function waitHealthy(timeoutMs = 120_000, gatewayExited?: () => boolean): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  for (;;) {
    const fns = await fetchFunctionStatus();
    if (fns && fns.every((f) => f.workers.every((w) => w.state === "ready"))) return;
    if (Date.now() > deadline) {
      throw new Error(`the stack did not become healthy in ${timeoutMs / 1000} s; see ${GATEWAY_LOG} and ${FUNCTION_LOG_DIR}`);
    }
    if (gatewayExited ? gatewayExited() : readGatewayPid() === null && Date.now() > started + 30_000) {
      throw new Error(`the gateway did not start; see ${GATEWAY_LOG}`);
    }
    await sleep(100);
  }
}

/** Stops every part; nothing is left running or listening. */
export async function down(): Promise<void> {
  await stopGateway();
  pg.stop();
  for (const port of [API_PORT, DB_PORT]) {
    if (await portOpen(port)) throw new Error(`port ${port} still answers after down`);
  }
}

export interface StackStatus {
  API_URL: string;
  FUNCTIONS_URL: string;
  DB_URL: string;
  JWKS_URL: string;
  ANON_KEY: string;
  SERVICE_ROLE_KEY: string;
  JWT_SECRET: string;
  running: { database: boolean; gateway: boolean; functions: FunctionStatus[] };
}

export async function status(): Promise<StackStatus> {
  const keys = await loadKeys();
  const functions = (await fetchFunctionStatus()) ?? [];
  return {
    API_URL,
    FUNCTIONS_URL: `${API_URL}/functions/v1`,
    DB_URL,
    JWKS_URL: `${API_URL}/auth/v1/.well-known/jwks.json`,
    ANON_KEY: keys.anonKey,
    SERVICE_ROLE_KEY: keys.serviceRoleKey,
    JWT_SECRET: keys.jwtSecret,
    running: { database: pg.isRunning(), gateway: readGatewayPid() !== null, functions },
  };
}
