/**
 * `npm start`: brings the whole local stack up in the foreground, prints its URLs and keys the way
 * `supabase start` does, runs the demo (scripts/demo: a provider emulator, a demo user, accounts connected
 * through the real OAuth flow, a live log of refreshes), and stops everything on Ctrl-C.
 * `npm start -- --no-demo` follows the function logs instead.
 */
import { createReadStream, existsSync, readdirSync, statSync, watch } from "node:fs";
import { join } from "node:path";
import { down, status, up } from "./stack/lifecycle.ts";
import { FUNCTION_LOG_DIR } from "./stack/paths.ts";
import { prepareDemo, type Demo } from "./demo/demo.ts";

let demo: Demo | null = null;
let stopFollowing = () => {};

async function main(): Promise<void> {
  const t0 = performance.now();
  demo = process.argv.includes("--no-demo") ? null : await prepareDemo();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    stopFollowing();
    console.log("\nstopping the demo and the stack…");
    await demo?.stop().catch(() => {});
    await down();
    console.log("stopped.");
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.on("SIGHUP", stop);
  // A closed terminal or pipe must not stop the shutdown half way (EPIPE on the next log line).
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});
  await up({ ...(demo ? { env: demo.stackEnv } : {}), log: (l) => console.log(l) });
  const s = await status();
  console.log(`\nStarted the provider-tokens local stack in ${((performance.now() - t0) / 1000).toFixed(1)} s.\n`);
  const rows: [string, string][] = [
    ["API URL", s.API_URL], ["Functions URL", s.FUNCTIONS_URL], ["DB URL", s.DB_URL], ["JWKS URL", s.JWKS_URL],
    ["JWT secret", s.JWT_SECRET], ["anon key", s.ANON_KEY], ["service_role key", s.SERVICE_ROLE_KEY],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padStart(w)}: ${v}`);
  console.log(`\nFunctions: ${s.running.functions.map((f) => f.name).join(", ")}`);
  console.log("A user token: npm run -s stack -- user you@example.com");
  console.log("Dashboard: http://127.0.0.1:54323 (an admin token: npm run -s stack -- user you@example.com --admin)");

  if (demo) {
    console.log("Function logs: npm run -s stack -- logs (or .stack/logs/functions/).");
    await demo.run(s);
  } else {
    console.log("Following the function logs; Ctrl-C stops everything.\n");
    stopFollowing = followLogs();
  }
}

/** Prints new lines of every function log as they are written. */
function followLogs(): () => void {
  const offsets = new Map<string, number>();
  for (const f of existsSync(FUNCTION_LOG_DIR) ? readdirSync(FUNCTION_LOG_DIR) : []) {
    offsets.set(f, statSync(join(FUNCTION_LOG_DIR, f)).size);
  }
  const pump = (file: string) => {
    const path = join(FUNCTION_LOG_DIR, file);
    if (!existsSync(path)) return;
    const size = statSync(path).size;
    const from = offsets.get(file) ?? 0;
    if (size <= from) return;
    offsets.set(file, size);
    createReadStream(path, { start: from, end: size - 1 }).pipe(process.stdout, { end: false });
  };
  const watcher = watch(FUNCTION_LOG_DIR, (_e, file) => file && pump(file.toString()));
  return () => watcher.close();
}

main().catch(async (err) => {
  console.error(`npm start: ${(err as Error).message}`);
  // The demo's port was busy: another run (npm test) owns the stack, leave it alone.
  if ((err as { code?: string }).code === "DEMO_PORT_IN_USE") process.exit(1);
  await demo?.stop().catch(() => {});
  await down().catch(() => {});
  process.exit(1);
});
