/**
 * `npm run stack -- <command>`: the local Supabase-compatible stack (see README, "The local stack").
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadKeys, signUserToken } from "./keys.ts";
import { down, status, up } from "./lifecycle.ts";
import { FUNCTION_LOG_DIR, GATEWAY_LOG } from "./paths.ts";
import * as pg from "./postgres.ts";
import { ensureUser } from "./users.ts";
import { runDbTests } from "./db-tests.ts";

const USAGE = `usage: npm run stack -- <command>
  up [--env-file FILE]    start in the background; returns when every part is healthy
  down                    stop every part
  status [-o env|json]    URLs, keys and the state of every part
  reset                   drop and recreate the database from the migrations
  user <email> [--alg ES256] [--admin]  create or find a user; print { id, email, access_token } (valid 1 h);
                              --admin makes them an operator (app_metadata.provider_tokens_admin)
  logs                    print the function, gateway and database logs
  test-db                 run the pgTAP tests in supabase/tests with pg_prove`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case "up": {
      const t0 = performance.now();
      const envFile = flag(args, "--env-file");
      await up({ ...(envFile ? { envFile } : {}), log: (l) => console.error(l) });
      console.error(`stack is up (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      printStatus(await status(), "text");
      return 0;
    }
    case "down":
      await down();
      console.error("stack is down");
      return 0;
    case "status": {
      const format = flag(args, "-o") ?? flag(args, "--output") ?? "text";
      if (!["text", "env", "json"].includes(format)) throw new Error(`unknown output format: ${format}`);
      const s = await status();
      printStatus(s, format as "text" | "env" | "json");
      const healthy = s.running.database && s.running.gateway && s.running.functions.every((f) => f.workers.every((w) => w.state === "ready"));
      return healthy ? 0 : 1;
    }
    case "reset": {
      if (!pg.isRunning()) pg.start();
      const { applied } = await pg.resetDatabase();
      await pg.writeVaultSecrets((await loadKeys()).serviceRoleKey);
      console.error(`database reset; ${applied.length} migrations applied`);
      return 0;
    }
    case "user": {
      const email = args.find((a) => !a.startsWith("-") && a !== flag(args, "--alg"));
      if (!email) throw new Error("usage: stack user <email>");
      const alg = (flag(args, "--alg") ?? "HS256").toUpperCase();
      if (alg !== "HS256" && alg !== "ES256") throw new Error("--alg must be HS256 or ES256");
      const user = await ensureUser(email, args.includes("--admin") ? { admin: true } : {});
      const access_token = await signUserToken(await loadKeys(), user, { alg });
      console.log(JSON.stringify({ id: user.id, email: user.email, access_token }, null, 2));
      return 0;
    }
    case "logs": {
      const files = [
        GATEWAY_LOG,
        ...(existsSync(FUNCTION_LOG_DIR) ? readdirSync(FUNCTION_LOG_DIR).sort().map((f) => join(FUNCTION_LOG_DIR, f)) : []),
        pg.serverLogPath(),
      ];
      for (const f of files) {
        if (!existsSync(f)) continue;
        console.log(`==> ${f} <==`);
        process.stdout.write(readFileSync(f, "utf8"));
      }
      return 0;
    }
    case "test-db": {
      if (!pg.isRunning()) throw new Error("the database is not running: npm run stack -- up");
      const r = await runDbTests({ echo: true });
      console.log(`${r.passed} passed, ${r.failed} failed`);
      return r.failed === 0 && r.ok ? 0 : 1;
    }
    default:
      console.error(USAGE);
      return command ? 2 : 0;
  }
}

function printStatus(s: Awaited<ReturnType<typeof status>>, format: "text" | "env" | "json"): void {
  const { running, ...vars } = s;
  if (format === "json") {
    console.log(JSON.stringify({ ...vars, running }, null, 2));
    return;
  }
  if (format === "env") {
    for (const [k, v] of Object.entries(vars)) console.log(`${k}="${v}"`);
    return;
  }
  const lines = [
    ["API URL", vars.API_URL], ["Functions URL", vars.FUNCTIONS_URL], ["DB URL", vars.DB_URL], ["JWKS URL", vars.JWKS_URL],
    ["JWT secret", vars.JWT_SECRET], ["anon key", vars.ANON_KEY], ["service_role key", vars.SERVICE_ROLE_KEY],
  ];
  const width = Math.max(...lines.map(([k]) => k!.length));
  for (const [k, v] of lines) console.log(`${k!.padStart(width)}: ${v}`);
  console.log(`${"database".padStart(width)}: ${running.database ? "running" : "stopped"}`);
  console.log(`${"gateway".padStart(width)}: ${running.gateway ? "running" : "stopped"}`);
  for (const f of running.functions) {
    const states = f.workers.map((w) => `${w.state}${w.restarts ? ` (restarts ${w.restarts})` : ""}`).join(", ");
    console.log(`${("fn " + f.name).padStart(width)}: ${states}${f.verify_jwt ? "" : "  [verify_jwt = false]"}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`stack: ${(err as Error).message}`);
    process.exit(1);
  },
);
