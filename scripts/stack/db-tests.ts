/**
 * Runs the pgTAP files in supabase/tests with pg_prove, as `supabase test db` does, and counts assertions.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { DB_PORT, DB_TESTS_DIR, HOST } from "./paths.ts";

export interface DbTestResult {
  passed: number;
  failed: number;
  ok: boolean;
  output: string;
}

export async function runDbTests(opts: { echo?: boolean } = {}): Promise<DbTestResult> {
  if (!existsSync(DB_TESTS_DIR) || !readdirSync(DB_TESTS_DIR).some((f) => f.endsWith(".sql"))) {
    return { passed: 0, failed: 0, ok: true, output: "" };
  }
  const child = spawn(
    "pg_prove",
    ["--verbose", "--ext", ".sql", "-h", HOST, "-p", String(DB_PORT), "-U", "postgres", "-d", "postgres", "-r", DB_TESTS_DIR],
    { env: { ...process.env, PGPASSWORD: "postgres" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (opts.echo) process.stdout.write(chunk);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  const passed = (output.match(/^\s*ok \d+/gm) ?? []).length;
  const failed = (output.match(/^\s*not ok \d+/gm) ?? []).length;
  // A file that dies before its plan completes fails pg_prove without a `not ok` line: count it once.
  const dubious = code !== 0 && failed === 0 ? 1 : 0;
  return { passed, failed: failed + dubious, ok: code === 0, output };
}
