/**
 * `deno check` of every Edge Function with the import map the Supabase CLI would upload with it (the one
 * supabase/config.toml names), the way the platform resolves it. Used by `npm test` and `npm run typecheck`.
 */
import { spawn } from "node:child_process";
import { join, relative } from "node:path";
import { readFunctions } from "./stack/config.ts";
import { ROOT, STACK_DIR } from "./stack/paths.ts";

export const DENO = join(ROOT, "node_modules", ".bin", "deno");

export interface CheckResult {
  name: string;
  ok: boolean;
  output: string;
}

/** Runs a command, collecting its output; resolves with the exit code. */
export function runCollect(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => { output += d; });
    child.stderr.setEncoding("utf8").on("data", (d: string) => { output += d; });
    child.on("error", (err) => resolve({ code: 1, output: output + String(err) }));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** The environment `deno check` runs with: no colour, the stack's cache, no package.json discovery (as the CLI). */
export function denoEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: "1", DENO_NO_PACKAGE_JSON: "1", DENO_DIR: join(STACK_DIR, "deno") };
}

/** Checks every function; one result per import map group (normally one for all functions). */
export async function checkFunctions(): Promise<CheckResult[]> {
  const groups = new Map<string, string[]>();
  for (const fn of readFunctions()) {
    const key = fn.importMap ?? "";
    groups.set(key, [...(groups.get(key) ?? []), fn.entrypoint]);
  }
  const results: CheckResult[] = [];
  for (const [importMap, entrypoints] of groups) {
    const args = ["check", "--node-modules-dir=manual", "--no-lock", "--no-config", ...(importMap ? ["--import-map", importMap] : []), ...entrypoints];
    const { code, output } = await runCollect(DENO, args, { cwd: ROOT, env: denoEnv() });
    const names = entrypoints.map((e) => relative(join(ROOT, "supabase", "functions"), e).split("/")[0]).join(", ");
    results.push({ name: `deno check ${names}${importMap ? ` with ${relative(ROOT, importMap)}` : " without an import map"}`, ok: code === 0, output });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await checkFunctions();
  for (const r of results) {
    if (!r.ok) process.stderr.write(r.output);
    console.error(`${r.ok ? "ok" : "FAILED"}: ${r.name}`);
  }
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}
