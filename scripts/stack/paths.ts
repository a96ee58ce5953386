/**
 * Where the local stack keeps things, and the ports it answers on: the same as the Supabase CLI stack
 * (API 54321, database 54322), so anything written against one runs against the other.
 */
import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const STACK_DIR = join(ROOT, ".stack");
export const LOG_DIR = join(STACK_DIR, "logs");
export const RUN_DIR = join(STACK_DIR, "run");
export const KEY_DIR = join(STACK_DIR, "keys");
export const SUPABASE_DIR = join(ROOT, "supabase");
export const FUNCTIONS_DIR = join(ROOT, "supabase", "functions");
export const MIGRATIONS_DIR = join(ROOT, "supabase", "migrations");
export const DB_TESTS_DIR = join(ROOT, "supabase", "tests");
export const STAND_INS_DIR = join(ROOT, "scripts", "stack", "stand-ins");
export const CONFIG_TOML = join(ROOT, "supabase", "config.toml");

export const API_PORT = 54321;
export const DB_PORT = 54322;
/** Deno function processes listen on loopback ports from here upwards, behind the gateway. */
export const WORKER_BASE_PORT = 54400;
/** With STACK_INSPECT=1, a function process's V8 inspector listens on its port plus this (scripts/bench/profile.ts). */
export const INSPECT_PORT_OFFSET = 10_000;
export const HOST = "127.0.0.1";
export const API_URL = `http://${HOST}:${API_PORT}`;
export const DB_URL = `postgresql://postgres:postgres@${HOST}:${DB_PORT}/postgres`;

export const PG_VERSION = "15";
export const PG_BIN = `/usr/lib/postgresql/${PG_VERSION}/bin`;

export const IS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;

/**
 * The cluster's data directory. As root, PostgreSQL runs as the `postgres` OS user, who may not be able to
 * reach a checkout in a private temporary directory; the data then lives under /var/lib/postgresql, one
 * directory per checkout, and `.stack/db` links to it.
 */
export const PG_DATA = IS_ROOT
  ? join("/var/lib/postgresql/provider-tokens", createHash("sha256").update(ROOT).digest("hex").slice(0, 16))
  : join(STACK_DIR, "db");
export const PG_DATA_LINK = join(STACK_DIR, "db");

export const GATEWAY_PID_FILE = join(RUN_DIR, "gateway.pid");
export const GATEWAY_LOG = join(LOG_DIR, "gateway.log");
export const FUNCTION_LOG_DIR = join(LOG_DIR, "functions");

/**
 * The V8 flags of a function process: the heap limit of a hosted Edge Function (256 MB). Supabase's edge
 * runtime creates each function's isolate with that limit (V8's `heap_limits`), and V8 sizes the young
 * generation from it. Plain `deno run` sizes the heap from the machine's memory (4 GB on a 24 GB machine), and
 * a refresh run's short-lived garbage then grew the process to about 200 MB where the 256 MB-limited one
 * stays near 110 MB (`npm run bench`, part B). With the same limit, a function that would run out of memory
 * on the platform does so here too.
 * https://supabase.com/docs/guides/functions/limits
 */
export const FUNCTION_V8_FLAGS = "--max-heap-size=256";
