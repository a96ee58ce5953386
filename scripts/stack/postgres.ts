/**
 * The local database: Debian's PostgreSQL 15 in a cluster of its own on port 54322, pg_cron preloaded,
 * the platform stand-ins applied before the migrations, and the migrations tracked as the Supabase CLI
 * tracks them (supabase_migrations.schema_migrations), so a second `up` applies only new ones.
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import postgres from "postgres";
import {
  API_URL, DB_PORT, DB_URL, HOST, IS_ROOT, MIGRATIONS_DIR, PG_BIN, PG_DATA, PG_DATA_LINK, STACK_DIR, STAND_INS_DIR,
} from "./paths.ts";

const PG_LOG = join(PG_DATA, "server.log");

function pgUser(): { uid: number; gid: number } {
  const out = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (out.status !== 0) throw new Error("the postgres OS user does not exist: install postgresql-15");
  return { uid: Number(out.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Runs a PostgreSQL server binary, as the postgres OS user when we are root (PostgreSQL refuses root). */
function runPg(bin: string, args: string[], opts: { allowFail?: boolean } = {}) {
  const cmd = IS_ROOT ? "runuser" : join(PG_BIN, bin);
  const argv = IS_ROOT ? ["-u", "postgres", "--", join(PG_BIN, bin), ...args] : args;
  const res = spawnSync(cmd, argv, { encoding: "utf8", cwd: "/" });
  if (res.status !== 0 && !opts.allowFail) {
    throw new Error(`${bin} ${args.join(" ")} failed (exit ${res.status}):\n${res.stdout}\n${res.stderr}`);
  }
  return res;
}

const CLUSTER_CONF = `
# provider-tokens local stack (scripts/stack/postgres.ts)
listen_addresses = '${HOST}'
port = ${DB_PORT}
unix_socket_directories = ''
max_connections = 300
shared_buffers = 256MB
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
cron.timezone = 'UTC'
max_worker_processes = 32
timezone = 'UTC'
log_timezone = 'UTC'
# A development stack: durability traded for speed, as a throwaway database can afford.
fsync = off
synchronous_commit = off
full_page_writes = off
`;

export function clusterExists(): boolean {
  return existsSync(join(PG_DATA, "PG_VERSION"));
}

function linkDataDir(): void {
  if (!IS_ROOT) return;
  mkdirSync(STACK_DIR, { recursive: true });
  try {
    if (lstatSync(PG_DATA_LINK).isSymbolicLink()) return;
  } catch {
    /* absent: create below */
  }
  symlinkSync(PG_DATA, PG_DATA_LINK);
}

/** Creates the cluster (initdb) if there is none. */
export function ensureCluster(): boolean {
  linkDataDir();
  if (clusterExists()) return false;
  const parent = dirname(PG_DATA);
  mkdirSync(PG_DATA, { recursive: true, mode: 0o700 });
  const pwfile = join(parent, `.pw-${process.pid}`);
  writeFileSync(pwfile, "postgres\n", { mode: 0o600 });
  if (IS_ROOT) {
    const { uid, gid } = pgUser();
    chownSync(parent, uid, gid);
    chownSync(PG_DATA, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  try {
    runPg("initdb", [
      "-D", PG_DATA, "-U", "postgres", `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256",
      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
    ]);
  } finally {
    rmSync(pwfile, { force: true });
  }
  const conf = join(PG_DATA, "postgresql.conf");
  writeFileSync(conf, readFileSync(conf, "utf8") + CLUSTER_CONF);
  return true;
}

export function isRunning(): boolean {
  if (!clusterExists()) return false;
  return runPg("pg_ctl", ["-D", PG_DATA, "status"], { allowFail: true }).status === 0;
}

export function start(): void {
  if (isRunning()) return;
  runPg("pg_ctl", ["-D", PG_DATA, "-l", PG_LOG, "-w", "-t", "60", "-o", "-c config_file=" + join(PG_DATA, "postgresql.conf"), "start"]);
}

export function stop(): void {
  if (!clusterExists() || !isRunning()) return;
  runPg("pg_ctl", ["-D", PG_DATA, "-m", "fast", "-w", "-t", "60", "stop"]);
}

export function serverLogPath(): string {
  return PG_LOG;
}

/** A short-lived superuser connection to the stack's database. */
export function connect(database = "postgres") {
  return postgres(DB_URL.replace(/\/postgres$/, `/${database}`), {
    max: 1, onnotice: () => {}, connection: { application_name: "stack" },
  });
}

function sqlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
}

export async function applyStandIns(): Promise<void> {
  const sql = connect();
  try {
    for (const file of sqlFiles(STAND_INS_DIR)) {
      await sql.begin((tx) => tx.unsafe(readFileSync(join(STAND_INS_DIR, file), "utf8")));
    }
  } finally {
    await sql.end();
  }
}

/**
 * A database created before the pg_net stand-in queued its requests still has the synchronous one: replace it.
 * (Only this file: re-applying the others after the migrations would undo what migrations revoke.)
 */
export async function upgradePgNetStandIn(): Promise<boolean> {
  const sql = connect();
  try {
    const [row] = await sql<{ current: boolean }[]>`select to_regprocedure('net._stand_in_enqueue(text, text, jsonb, bytea, integer)') is not null as current`;
    if (row?.current) return false;
    await sql.begin((tx) => tx.unsafe(readFileSync(join(STAND_INS_DIR, "05-pg-net.sql"), "utf8")));
    return true;
  } finally {
    await sql.end();
  }
}

export interface MigrationResult {
  applied: string[];
  total: number;
}

/** Applies the migrations not yet recorded in supabase_migrations.schema_migrations, each in a transaction. */
export async function migrate(): Promise<MigrationResult> {
  const sql = connect();
  try {
    await sql.unsafe(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (
        version text primary key, statements text[], name text
      );`);
    const done = new Set(
      (await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations`).map((r) => r.version),
    );
    const files = sqlFiles(MIGRATIONS_DIR);
    const applied: string[] = [];
    for (const file of files) {
      const m = /^(\d+)_(.+)\.sql$/.exec(file);
      if (!m) throw new Error(`migration file name must be <timestamp>_<name>.sql: ${file}`);
      const [, version, name] = m as unknown as [string, string, string];
      if (done.has(version)) continue;
      const body = readFileSync(join(MIGRATIONS_DIR, file), "utf8");
      try {
        await sql.begin(async (tx) => {
          await tx.unsafe(body);
          await tx`insert into supabase_migrations.schema_migrations (version, name, statements) values (${version}, ${name}, ${[body]})`;
        });
      } catch (err) {
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(file);
    }
    return { applied, total: files.length };
  } finally {
    await sql.end();
  }
}

/**
 * Writes the Vault secrets the scheduled job reads (`project_url`, `service_role_key`), as Supabase's
 * scheduling guide has a project do once by hand.
 */
export async function writeVaultSecrets(serviceRoleKey: string): Promise<void> {
  const sql = connect();
  try {
    for (const [name, value] of [["project_url", API_URL], ["service_role_key", serviceRoleKey]] as const) {
      const [row] = await sql<{ id: string }[]>`select id from vault.secrets where name = ${name}`;
      if (row) await sql`select vault.update_secret(${row.id}::uuid, ${value})`;
      else await sql`select vault.create_secret(${value}, ${name})`;
    }
  } finally {
    await sql.end();
  }
}

/**
 * Drops and recreates the `postgres` database, then stand-ins and migrations, like `supabase db reset`.
 * pg_cron's scheduler exits with the database it is attached to, so the server restarts afterwards to
 * bring it back.
 */
export async function resetDatabase(): Promise<MigrationResult> {
  const admin = connect("template1");
  try {
    await admin.unsafe("drop database if exists postgres with (force)");
    await admin.unsafe("create database postgres");
  } finally {
    await admin.end();
  }
  await applyStandIns();
  const result = await migrate();
  runPg("pg_ctl", ["-D", PG_DATA, "-m", "fast", "-w", "-t", "60", "restart", "-l", PG_LOG]);
  return result;
}

/** True when the `postgres` database has had the stand-ins applied. */
export async function isInitialised(): Promise<boolean> {
  const sql = connect();
  try {
    const [row] = await sql<{ ok: boolean }[]>`select exists (select 1 from pg_namespace where nspname = 'net') as ok`;
    return row?.ok === true;
  } finally {
    await sql.end();
  }
}

export interface ScratchCluster {
  port: number;
  /** A connection URL for `user` (password `postgres`, as the stack's roles have) to `database`. */
  url(user: string, database?: string): string;
  /** Stops the server and deletes its data directory. */
  destroy(): void;
}

/**
 * A throwaway PostgreSQL cluster laid out like a Supabase project: the bootstrap superuser is
 * `supabase_admin`, and the stand-ins, applied as supabase_admin, create `postgres` as the platform does (no
 * superuser; createdb, createrole, replication, bypassrls) together with the platform roles, schemas and
 * pg_cron. Roles belong to a cluster, not a database, which is why this cannot be a database of the stack's own
 * cluster, whose `postgres` is its superuser. Used to prove the migrations apply as hosted projects run them.
 */
export async function createSupabaseLayoutCluster(port: number): Promise<ScratchCluster> {
  const base = IS_ROOT ? "/var/lib/postgresql/provider-tokens" : join(STACK_DIR, "scratch");
  mkdirSync(base, { recursive: true });
  const dir = join(base, `scratch-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pwfile = join(base, `.pw-scratch-${process.pid}`);
  writeFileSync(pwfile, "postgres\n", { mode: 0o600 });
  if (IS_ROOT) {
    const { uid, gid } = pgUser();
    chownSync(base, uid, gid);
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  const destroy = () => {
    runPg("pg_ctl", ["-D", dir, "-m", "immediate", "-w", "-t", "30", "stop"], { allowFail: true });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    runPg("initdb", [
      "-D", dir, "-U", "supabase_admin", `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256",
      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
    ]);
  } finally {
    rmSync(pwfile, { force: true });
  }
  const conf = join(dir, "postgresql.conf");
  writeFileSync(conf, readFileSync(conf, "utf8") + CLUSTER_CONF.replace(`port = ${DB_PORT}`, `port = ${port}`).replace("max_connections = 300", "max_connections = 50").replace("shared_buffers = 256MB", "shared_buffers = 32MB"));
  try {
    runPg("pg_ctl", ["-D", dir, "-l", join(dir, "server.log"), "-w", "-t", "60", "start"]);
    const url = (user: string, database = "postgres") => `postgresql://${user}:postgres@${HOST}:${port}/${database}`;
    const admin = postgres(url("supabase_admin"), { max: 1, onnotice: () => {} });
    try {
      for (const file of sqlFiles(STAND_INS_DIR)) {
        await admin.begin((tx) => tx.unsafe(readFileSync(join(STAND_INS_DIR, file), "utf8")));
      }
    } finally {
      await admin.end();
    }
    return { port, url, destroy };
  } catch (err) {
    destroy();
    throw err;
  }
}
