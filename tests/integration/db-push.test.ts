/**
 * The migrations as Supabase runs them: the real CLI's `supabase db push --remote=<database url>` (the pinned
 * CLI's spelling of `--db-url`) applies every migration as `postgres`, which on a Supabase project is not a
 * superuser (`supabase_admin` is). The database is a throwaway cluster laid out like a project by the
 * stand-ins (platform roles, extensions schema, auth, Vault, pg_cron, the pg_net stand-in); roles belong to a
 * cluster, so it cannot share the stack's, whose `postgres` is its superuser.
 */
import { readdirSync } from "node:fs";
import net from "node:net";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSupabaseLayoutCluster, type ScratchCluster } from "../../scripts/stack/postgres.ts";
import { MIGRATIONS_DIR } from "../../scripts/stack/paths.ts";
import { runSupabaseCli, type CliRun } from "../helpers/supabase-cli.ts";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const versions = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).map((f) => f.split("_")[0]!).sort();

describe("supabase db push as a non-superuser postgres", () => {
  let cluster: ScratchCluster;
  let admin: postgres.Sql;
  let push: CliRun;
  const PROJECT_URL = "https://abcdefghijklmnopqrst.supabase.co";
  const SERVICE_KEY = "service-role-key-for-the-db-push-test";

  beforeAll(async () => {
    cluster = await createSupabaseLayoutCluster(await freePort());
    admin = postgres(cluster.url("supabase_admin"), { max: 1, onnotice: () => {} });
    push = await runSupabaseCli(
      ["db", "push", `--remote=${cluster.url("postgres")}?sslmode=disable`, "--yes"],
      { env: { SUPABASE_PROJECT_URL: PROJECT_URL, SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY }, timeoutMs: 120_000 },
    );
  }, 180_000);
  afterAll(async () => {
    await admin?.end();
    cluster?.destroy();
  });

  it("the database is laid out as a hosted project: supabase_admin the superuser, postgres not", async () => {
    const roles = await admin`select rolname, rolsuper, rolcreaterole, rolbypassrls from pg_roles
      where rolname in ('supabase_admin', 'postgres', 'anon', 'authenticated', 'service_role', 'authenticator') order by rolname`;
    expect(roles.map((r) => [r.rolname, r.rolsuper])).toEqual([
      ["anon", false], ["authenticated", false], ["authenticator", false], ["postgres", false], ["service_role", false], ["supabase_admin", true],
    ]);
    const schemas = await admin`select nspname from pg_namespace where nspname in ('extensions', 'auth', 'vault', 'net', 'cron') order by 1`;
    expect(schemas.map((s) => s.nspname)).toEqual(["auth", "cron", "extensions", "net", "vault"]);
  });

  it("applies every migration", async () => {
    expect(push.code, `${push.stdout}\n${push.stderr}`).toBe(0);
    expect(push.stdout).toContain("Finished supabase db push");
    expect(`${push.stdout}${push.stderr}`).not.toMatch(/warn|deprecat/i);
    const applied = await admin`select version from supabase_migrations.schema_migrations order by version`;
    expect(applied.map((r) => r.version)).toEqual(versions);
  });

  it("the objects belong to postgres, and the cron jobs run as postgres", async () => {
    const tables = await admin`select tablename, tableowner from pg_tables where schemaname = 'public' order by 1`;
    expect(tables.length).toBeGreaterThan(0);
    for (const t of tables) expect(t.tableowner, t.tablename).toBe("postgres");
    const jobs = await admin`select jobname, username from cron.job order by jobname`;
    expect(jobs.map((j) => j.jobname)).toContain("refresh-expiring-tokens");
    for (const j of jobs) expect(j.username, j.jobname).toBe("postgres");
  });

  it("postgres pauses and resumes its job with cron.alter_job (what the tests and the bench use)", async () => {
    const sql = postgres(cluster.url("postgres"), { max: 1, onnotice: () => {} });
    try {
      await sql`select cron.alter_job(jobid, active := false) from cron.job where jobname = 'refresh-expiring-tokens'`;
      const [job] = await sql`select active from cron.job where jobname = 'refresh-expiring-tokens'`;
      expect(job!.active).toBe(false);
      await sql`select cron.alter_job(jobid, active := true) from cron.job where jobname = 'refresh-expiring-tokens'`;
    } finally {
      await sql.end();
    }
  });

  it("the retention job deletes postgres's old cron runs when it runs as postgres", async () => {
    await admin`insert into cron.job_run_details (jobid, runid, database, username, command, status, start_time, end_time) values
      (-1, -1, 'postgres', 'postgres', 'select 1', 'succeeded', now() - interval '8 days', now() - interval '8 days'),
      (-1, -2, 'postgres', 'postgres', 'select 1', 'succeeded', now() - interval '1 day', now() - interval '1 day')`;
    const [job] = await admin`select command, username from cron.job where jobname = 'purge-cron-job-run-details'`;
    expect(job!.username).toBe("postgres");
    const sql = postgres(cluster.url("postgres"), { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(job!.command as string);
    } finally {
      await sql.end();
    }
    const left = await admin`select runid from cron.job_run_details where jobid = -1 order by runid`;
    expect(left.map((r) => Number(r.runid))).toEqual([-2]);
  });

  it("stores the scheduled job's Vault secrets from [db.vault] in config.toml", async () => {
    const secrets = await admin`select name, decrypted_secret from vault.decrypted_secrets order by name`;
    expect(secrets.map((s) => [s.name, s.decrypted_secret])).toEqual([["project_url", PROJECT_URL], ["service_role_key", SERVICE_KEY]]);
  });

  it("a second push finds nothing to do", async () => {
    const again = await runSupabaseCli(["db", "push", `--remote=${cluster.url("postgres")}?sslmode=disable`, "--yes"], { timeoutMs: 60_000 });
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(`${again.stdout}${again.stderr}`).toMatch(/up to date/i);
    expect(`${again.stdout}${again.stderr}`).not.toMatch(/warn|deprecat/i);
  });
});
