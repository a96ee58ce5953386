/**
 * Runs the Supabase CLI that package.json pins (node_modules/.bin/supabase) the way a test must: stdin closed
 * (it never waits for an answer), telemetry off, a throwaway HOME (no login, profile or access token of the
 * machine leaks in) and only the environment given here.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../scripts/stack/paths.ts";

export const SUPABASE_CLI = join(ROOT, "node_modules", ".bin", "supabase");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runSupabaseCli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const home = mkdtempSync(join(tmpdir(), "supabase-cli-home-"));
  return new Promise((resolve, reject) => {
    const child = spawn(SUPABASE_CLI, args, {
      cwd: opts.cwd ?? ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: home,
        DO_NOT_TRACK: "1",
        NO_COLOR: "1",
        // A machine with Docker must not change the outcome: point the CLI at a socket that does not exist.
        DOCKER_HOST: "unix:///nonexistent/docker.sock",
        ...opts.env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
    child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`supabase ${args.join(" ")} did not finish in ${opts.timeoutMs ?? 60_000} ms:\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on("error", (err) => { clearTimeout(timer); reject(err); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
