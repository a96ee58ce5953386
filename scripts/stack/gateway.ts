/**
 * The local API gateway and function supervisor, started in the background by `stack up`.
 *
 * - Serves `/functions/v1/<name>` on 54321 and forwards to the Deno processes running that function
 *   (round robin), enforcing `verify_jwt` from supabase/config.toml before the function runs, as the
 *   platform's gateway does: a valid signature (HS256 with the JWT secret, or ES256/RS256 from the JWKS)
 *   and an unexpired `exp`, whatever the role. OPTIONS passes through unchecked for CORS preflight.
 * - Serves the JWKS at `/auth/v1/.well-known/jwks.json`, as hosted projects do.
 * - Restarts a function process that dies, with backoff; `/_stack/status` reports every process.
 * - Runs the pg_net stand-in's background worker, which sends the requests net.http_post queued.
 * - On SIGHUP (sent by `stack up` when the function code or environment changed) starts a new set of
 *   function processes with the environment `stack up` left in `.stack/run/reload.json`, switches traffic to
 *   them once they listen, and stops the old ones when their requests have finished: no request is dropped.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { readFunctions, readFunctionsDotEnv, type FunctionSpec } from "./config.ts";
import { DASHBOARD_URL, startDashboardServer } from "./dashboard-server.ts";
import { loadKeys, type StackKeys } from "./keys.ts";
import {
  API_PORT, API_URL, DB_URL, FUNCTION_LOG_DIR, FUNCTION_V8_FLAGS, GATEWAY_PID_FILE, HOST, ROOT, RUN_DIR, STACK_DIR, WORKER_BASE_PORT, INSPECT_PORT_OFFSET,
} from "./paths.ts";
import { parseEnvFile } from "./env-file.ts";
import { functionVariables } from "./function-env.ts";
import { startPgNetWorker, type PgNetWorker } from "./pg-net-worker.ts";

type WorkerState = "starting" | "ready" | "dead" | "stopped";

interface Worker {
  fn: FunctionSpec;
  index: number;
  port: number;
  proc: ChildProcess | null;
  state: WorkerState;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  readySince: number;
  log: WriteStream;
  /** Replaced by a newer generation: not restarted when it exits. */
  retired: boolean;
  /** Requests forwarded to it and not yet answered. */
  inFlight: number;
}

/** Where `stack up` leaves the environment for a reload (mode 0600: it may hold secrets). */
export const RELOAD_FILE = join(RUN_DIR, "reload.json");
/**
 * The function variables the functions run with (key ring, provider credentials), for the operator CLI on
 * this machine, which runs the same engine code (mode 0600).
 */
export const EFFECTIVE_ENV_FILE = join(RUN_DIR, "function-env.json");

const DENO = join(ROOT, "node_modules", ".bin", "deno");

let stopping = false;

function functionEnv(keys: StackKeys): NodeJS.ProcessEnv {
  const envFile = process.env.STACK_ENV_FILE;
  // Lowest first (function-env.ts): the stack's values, functions/.env, --env-file, then what the caller set.
  return {
    ...process.env,
    SUPABASE_URL: API_URL,
    SUPABASE_DB_URL: DB_URL,
    SUPABASE_ANON_KEY: keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
    SUPABASE_JWKS: JSON.stringify(keys.jwks),
    JWT_SECRET: keys.jwtSecret,
    TOKEN_ENCRYPTION_KEYS: keys.tokenEncryptionKeys,
    ...readFunctionsDotEnv(),
    ...(envFile ? parseEnvFile(envFile) : {}),
    ...functionVariables(process.env),
    DENO_DIR: join(STACK_DIR, "deno"),
    NO_COLOR: "1",
  };
}

function startWorker(w: Worker, env: NodeJS.ProcessEnv): void {
  w.state = "starting";
  const proc = spawn(
    DENO,
    [
      // The import map config.toml names, as the platform gets it with the upload (not as a Deno config).
      "run", "--node-modules-dir=manual", "--no-config", ...(w.fn.importMap ? ["--import-map", w.fn.importMap] : []),
      "--allow-net", "--allow-env", "--allow-read", "--allow-sys", "--no-prompt", "--no-lock", `--v8-flags=${FUNCTION_V8_FLAGS}`,
      // STACK_INSPECT=1 opens each process's V8 inspector on its port + INSPECT_PORT_OFFSET (scripts/bench/profile.ts).
      ...(process.env.STACK_INSPECT === "1" ? [`--inspect=${HOST}:${w.port + INSPECT_PORT_OFFSET}`] : []),
      w.fn.entrypoint,
    ],
    {
      cwd: ROOT,
      env: { ...env, DENO_SERVE_ADDRESS: `tcp:${HOST}:${w.port}`, SB_FUNCTION_NAME: w.fn.name },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  w.proc = proc;
  const tag = `[${w.fn.name}#${w.index} pid=${proc.pid}]`;
  const pipeLines = (stream: NodeJS.ReadableStream) => {
    let buf = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        w.log.write(`${new Date().toISOString()} ${tag} ${buf.slice(0, nl)}\n`);
        buf = buf.slice(nl + 1);
      }
    });
  };
  pipeLines(proc.stdout!);
  pipeLines(proc.stderr!);
  proc.on("exit", (code, signal) => {
    w.lastExit = { code, signal, at: new Date().toISOString() };
    w.proc = null;
    if (stopping || w.retired) {
      w.state = "stopped";
      return;
    }
    w.state = "dead";
    w.log.write(`${new Date().toISOString()} ${tag} exited (code ${code}, signal ${signal}); restarting\n`);
    const healthyFor = w.readySince ? Date.now() - w.readySince : 0;
    if (healthyFor > 30_000) w.restarts = 0;
    const delay = Math.min(250 * 2 ** w.restarts, 5_000);
    w.restarts += 1;
    setTimeout(() => !stopping && !w.retired && startWorker(w, env), delay);
  });
  void waitListening(w, proc);
}

async function waitListening(w: Worker, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (w.proc === proc && Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(w.port, HOST);
      s.once("connect", () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (ok && w.proc === proc) {
      w.state = "ready";
      w.readySince = Date.now();
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function main(): Promise<void> {
  mkdirSync(FUNCTION_LOG_DIR, { recursive: true });
  mkdirSync(RUN_DIR, { recursive: true });
  const keys = await loadKeys();
  let env = functionEnv(keys);
  const secret = new TextEncoder().encode(keys.jwtSecret);
  const jwks = createLocalJWKSet(keys.jwks);
  let fingerprint = process.env.STACK_FINGERPRINT ?? null;
  let generation = 0;

  const logs = new Map<string, WriteStream>();
  const logFor = (name: string) => {
    let log = logs.get(name);
    if (!log) logs.set(name, (log = createWriteStream(join(FUNCTION_LOG_DIR, `${name}.log`), { flags: "a" })));
    return log;
  };
  /** One generation of function processes; consecutive generations use disjoint ports. */
  function buildWorkers(fns: FunctionSpec[], gen: number): Map<string, Worker[]> {
    const built = new Map<string, Worker[]>();
    let port = WORKER_BASE_PORT + (gen % 2) * 100;
    for (const fn of fns) {
      const list: Worker[] = [];
      for (let i = 0; i < fn.workers; i++) {
        list.push({
          fn, index: i, port: port++, proc: null, state: "starting", restarts: 0, lastExit: null, readySince: 0, log: logFor(fn.name),
          retired: false, inFlight: 0,
        });
      }
      built.set(fn.name, list);
    }
    return built;
  }
  const writeEffectiveKeys = () => writeFileSync(EFFECTIVE_ENV_FILE, JSON.stringify(functionVariables(env)), { mode: 0o600 });

  let functions = readFunctions();
  let workers = buildWorkers(functions, generation);
  const cursor = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

  /** Why a request fails verify_jwt, or null when it passes. */
  async function jwtProblem(authorization: string | undefined): Promise<string | null> {
    if (!authorization) return "Missing authorization header";
    const m = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
    if (!m) return "Invalid JWT";
    const token = m[1]!;
    try {
      const { alg } = decodeProtectedHeader(token);
      if (alg === "HS256") await jwtVerify(token, secret, { algorithms: ["HS256"] });
      else if (alg === "ES256" || alg === "RS256") await jwtVerify(token, jwks, { algorithms: ["ES256", "RS256"] });
      else return "Invalid JWT";
      return null;
    } catch {
      return "Invalid JWT";
    }
  }

  async function pick(name: string): Promise<Worker | null> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      // Read the current generation on every pass: a reload may have switched it while this request waited.
      const ready = (workers.get(name) ?? []).filter((w) => w.state === "ready");
      if (ready.length > 0) {
        const i = (cursor.get(name) ?? 0) % ready.length;
        cursor.set(name, i + 1);
        return ready[i]!;
      }
      if (Date.now() > deadline || stopping) return null;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", API_URL);
    if (url.pathname === "/health") return json(res, 200, { ok: true });
    if (url.pathname === "/auth/v1/.well-known/jwks.json") {
      return json(res, 200, keys.jwks, { "cache-control": "public, max-age=600" });
    }
    if (url.pathname === "/_stack/status") {
      return json(res, 200, {
        pid: process.pid,
        fingerprint,
        generation,
        reloadable: true,
        functions: functions.map((fn) => ({
          name: fn.name,
          verify_jwt: fn.verifyJwt,
          workers: workers.get(fn.name)!.map((w) => ({
            port: w.port, pid: w.proc?.pid ?? null, state: w.state, restarts: w.restarts, last_exit: w.lastExit,
          })),
        })),
      });
    }
    const m = /^\/functions\/v1\/([a-z0-9][a-z0-9_-]*)(\/.*)?$/.exec(url.pathname);
    if (!m || !workers.has(m[1]!)) {
      return json(res, 404, { code: "NOT_FOUND", message: "Requested function was not found" });
    }
    const name = m[1]!;
    const fn = functions.find((f) => f.name === name)!;
    if (fn.verifyJwt && req.method !== "OPTIONS") {
      const problem = await jwtProblem(req.headers.authorization);
      if (problem) return json(res, 401, { code: 401, message: problem });
    }
    const worker = await pick(name);
    if (!worker) return json(res, 503, { code: 503, message: "Function is not available" });
    worker.inFlight += 1;
    let counted = true;
    const done = () => {
      if (counted) { counted = false; worker.inFlight -= 1; }
    };
    res.on("close", done);
    const headers = { ...req.headers, host: `${HOST}:${worker.port}`, "x-forwarded-host": req.headers.host ?? "", "x-forwarded-proto": "http" };
    const upstream = http.request(
      { host: HOST, port: worker.port, method: req.method, path: `/${name}${m[2] ?? ""}${url.search}`, headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, { ...up.headers, "x-stack-worker": `${name}#${worker.index}` });
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) json(res, 502, { code: 502, message: "Function crashed or closed the connection" });
      else res.destroy();
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 65_000;

  const retiring = new Set<Worker>();

  /** Starts a new generation with the environment in RELOAD_FILE, switches to it, then retires the old one. */
  async function reload(): Promise<void> {
    const request = JSON.parse(readFileSync(RELOAD_FILE, "utf8")) as { fingerprint: string; env: Record<string, string> };
    rmSync(RELOAD_FILE, { force: true });
    for (const name of Object.keys(process.env)) delete process.env[name];
    Object.assign(process.env, request.env);
    const nextEnv = functionEnv(keys);
    const nextFunctions = readFunctions();
    const nextGeneration = generation + 1;
    const next = buildWorkers(nextFunctions, nextGeneration);
    const fresh = [...next.values()].flat();
    console.log(`${new Date().toISOString()} reload: starting generation ${nextGeneration}`);
    for (const w of fresh) startWorker(w, nextEnv);
    const deadline = Date.now() + 120_000;
    while (!stopping && Date.now() < deadline && !fresh.every((w) => w.state === "ready")) await new Promise((r) => setTimeout(r, 50));
    if (stopping) return;
    const old = [...workers.values()].flat();
    env = nextEnv;
    functions = nextFunctions;
    workers = next;
    generation = nextGeneration;
    fingerprint = request.fingerprint;
    writeEffectiveKeys();
    console.log(`${new Date().toISOString()} reload: generation ${nextGeneration} serves; stopping generation ${nextGeneration - 1}`);
    // The old processes finish what they were given; only then are they stopped (at most 30 s later).
    for (const w of old) { w.retired = true; retiring.add(w); }
    const drainBy = Date.now() + 30_000;
    while (old.some((w) => w.inFlight > 0) && Date.now() < drainBy) await new Promise((r) => setTimeout(r, 25));
    for (const w of old) w.proc?.kill("SIGTERM");
    const killBy = Date.now() + 5_000;
    while (old.some((w) => w.proc !== null) && Date.now() < killBy) await new Promise((r) => setTimeout(r, 25));
    for (const w of old) { w.proc?.kill("SIGKILL"); retiring.delete(w); }
  }
  let reloading: Promise<void> = Promise.resolve();
  process.on("SIGHUP", () => {
    reloading = reloading.then(reload).catch((err) => console.error(`${new Date().toISOString()} reload failed: ${(err as Error).message}`));
  });

  let pgNet: PgNetWorker | null = null;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    server.close();
    void pgNet?.stop().catch(() => {});
    const procs = [...workers.values(), [...retiring]].flat().map((w) => w.proc).filter((p): p is ChildProcess => p !== null);
    for (const p of procs) p.kill("SIGTERM");
    const force = setTimeout(() => procs.forEach((p) => p.kill("SIGKILL")), 3_000);
    const check = setInterval(() => {
      if (procs.every((p) => p.exitCode !== null || p.signalCode !== null)) {
        clearInterval(check);
        clearTimeout(force);
        rmSync(GATEWAY_PID_FILE, { force: true });
        process.exit(0);
      }
    }, 50);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(API_PORT, HOST, () => resolve());
  });
  writeFileSync(GATEWAY_PID_FILE, String(process.pid));
  writeEffectiveKeys();
  for (const list of workers.values()) for (const w of list) startWorker(w, env);
  pgNet = startPgNetWorker(DB_URL, (line) => console.log(`${new Date().toISOString()} ${line}`));
  console.log(`${new Date().toISOString()} gateway listening on ${API_URL}, ${functions.length} functions`);
  // The dashboard's static files, pointed at this API (a failure leaves the API up).
  await startDashboardServer({ apiUrl: API_URL, anonKey: keys.anonKey }).then(
    () => console.log(`${new Date().toISOString()} dashboard on ${DASHBOARD_URL}`),
    (err) => console.error(`dashboard not served: ${(err as Error).message}`),
  );
}

main().catch((err) => {
  console.error(`gateway failed: ${(err as Error).message}`);
  process.exit(1);
});
