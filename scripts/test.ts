/**
 * `npm test`: type-checks everything (`tsc --noEmit` over the repository including supabase/functions, and
 * `deno check` of every function with its import map), brings the local stack up (unless it already is), runs
 * the pgTAP suite and every vitest project against it, stops what it started, and ends with one line
 * `N passed, N failed, N skipped`. Each type check counts as one test.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { checkFunctions, runCollect } from "./check-functions.ts";
import { runDbTests } from "./stack/db-tests.ts";
import { down, readGatewayPid, up } from "./stack/lifecycle.ts";
import { ROOT, STACK_DIR } from "./stack/paths.ts";
import { testStackEnv } from "../tests/helpers/stack-env.ts";

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: "inherit" });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

async function typeChecks(): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  console.error("== type checks (tsc --noEmit, deno check) ==");
  const tsc = await runCollect(join(ROOT, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", ROOT], { cwd: ROOT });
  if (tsc.code === 0) passed += 1;
  else failed += 1;
  if (tsc.code !== 0) process.stderr.write(tsc.output);
  console.error(`${tsc.code === 0 ? "ok" : "FAILED"}: tsc --noEmit`);
  for (const r of await checkFunctions()) {
    if (r.ok) passed += 1;
    else {
      failed += 1;
      process.stderr.write(r.output);
    }
    console.error(`${r.ok ? "ok" : "FAILED"}: ${r.name}`);
  }
  return { passed, failed };
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const types = await typeChecks();
  const startedHere = readGatewayPid() === null;
  await up({ env: testStackEnv(), log: (l) => console.error(l) });
  console.error(`stack up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  let passed = types.passed;
  let failed = types.failed;
  let skipped = 0;
  try {
    console.error("\n== pgTAP (supabase/tests) ==");
    const db = await runDbTests({ echo: true });
    passed += db.passed;
    failed += db.failed;

    console.error("\n== vitest (unit, integration) ==");
    const report = join(STACK_DIR, "vitest-report.json");
    rmSync(report, { force: true });
    const code = await run(join(ROOT, "node_modules", ".bin", "vitest"), [
      "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`,
    ]);
    if (existsSync(report)) {
      const r = JSON.parse(readFileSync(report, "utf8")) as {
        numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number;
        numFailedTestSuites: number;
      };
      passed += r.numPassedTests;
      // A file that fails to load has no test results; count it as a failure.
      failed += r.numFailedTests + (r.numFailedTests === 0 && code !== 0 ? Math.max(1, r.numFailedTestSuites) : 0);
      skipped += r.numPendingTests + r.numTodoTests;
    } else {
      failed += 1;
    }
  } finally {
    if (startedHere) await down();
  }
  console.error(`\nnpm test took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`npm test: ${(err as Error).message}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  },
);
