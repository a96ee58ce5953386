/**
 * Measures the window in which a process kill loses a rotated refresh token: from the moment the provider's
 * answer is parsed to the moment the new set is committed (the `unsaved_ms` of every `refreshed` log line),
 * for refreshes on read (get-token, one at a time) and in a scheduled run (refresh-expiring, concurrent).
 * Prints the distribution; the README states it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LOG_DIR } from "../../scripts/stack/paths.ts";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };

beforeAll(async () => {
  await setScheduleActive(sql, false);
  user = await userToken(uniqueEmail("durability-window"));
});
afterAll(async () => {
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  await setScheduleActive(sql, true);
  await sql.end();
});

function windows(fn: string, since: string, provider: string): number[] {
  return readFileSync(join(LOG_DIR, "functions", `${fn}.log`), "utf8").split("\n")
    .filter((l) => l.slice(0, 24) >= since && l.includes('"event":"refreshed"') && l.includes(`"provider":"${provider}"`))
    .map((l) => JSON.parse(l.slice(l.indexOf("{"))) as { unsaved_ms: number; persisted: string })
    .map((e) => {
      expect(e.persisted).toBe("saved");
      return e.unsaved_ms;
    });
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const summary = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p95: pct(xs, 95), p99: pct(xs, 99), max: Math.max(...xs) });

it("states how long a rotated refresh token exists only in memory", async () => {
  const since = new Date().toISOString();
  for (let i = 0; i < 60; i++) await seedConnection(sql, { userId: user.id, provider: "twitter", account: `w-${i}`, expiresIn: -30 });
  for (let i = 0; i < 60; i++) {
    const res = await callFunction("get-token", { method: "POST", body: JSON.stringify({ provider: "twitter", account: `w-${i}` }), token: user.token });
    expect(res.status).toBe(200);
    await res.text();
  }
  for (let i = 0; i < 200; i++) await seedConnection(sql, { userId: user.id, provider: "discord", account: `s-${i}`, expiresIn: 60 });
  const run = await callFunction("refresh-expiring", { method: "POST", body: "{}", token: (await keys()).serviceRoleKey });
  expect(run.status).toBe(200);
  await new Promise((r) => setTimeout(r, 500));

  const onRead = windows("get-token", since, "twitter");
  const scheduled = windows("refresh-expiring", since, "discord");
  expect(onRead.length).toBe(60);
  expect(scheduled.length).toBeGreaterThanOrEqual(150);
  console.log(JSON.stringify({ unsaved_ms: { get_token_sequential: summary(onRead), refresh_expiring_concurrent: summary(scheduled) } }));
});
