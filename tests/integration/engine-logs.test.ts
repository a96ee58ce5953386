/**
 * No token in any log line or error body: drive the refresh engine through refreshes and each kind of
 * failure, then look for every access and refresh token the emulator ever issued in .stack/logs and in
 * every error body the functions answered.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LOG_DIR } from "../../scripts/stack/paths.ts";
import { EMULATOR_URL } from "../helpers/stack-env.ts";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";

const sql = db();
const bodies: string[] = [];
let user: { id: string; token: string };
let since = "";

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

beforeAll(async () => {
  since = new Date().toISOString();
  await setScheduleActive(sql, false);
  user = await userToken("engine-logs@example.com");
  const service = (await keys()).serviceRoleKey;
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  const get = async (provider: string) => {
    const res = await callFunction("get-token", { method: "POST", body: JSON.stringify({ provider }), token: user.token });
    if (res.status !== 200) bodies.push(await res.text());
  };
  await seedConnection(sql, { userId: user.id, provider: "discord", account: "logs-ok", expiresIn: -5 });
  await get("discord");
  await seedConnection(sql, { userId: user.id, provider: "twitter", account: "logs-grant", expiresIn: -5 });
  await emulator.revokeAccount("twitter", "logs-grant");
  await get("twitter");
  await seedConnection(sql, { userId: user.id, provider: "spotify", account: "logs-client", expiresIn: -5 });
  await emulator.fault({ provider: "spotify", mode: "invalid_client", count: 1 });
  await get("spotify");
  await seedConnection(sql, { userId: user.id, provider: "lightspeed", account: "logs429", expiresIn: -5, metadata: { domain_prefix: "logs429" } });
  await emulator.fault({ provider: "lightspeed", mode: "rate_limit", count: 1 });
  await get("lightspeed");
  await seedConnection(sql, { userId: user.id, provider: "github", account: "logs-gh", expiresIn: -5 });
  await emulator.fault({ provider: "github", mode: "invalid_grant", count: 1 });
  await get("github");
  await seedConnection(sql, { userId: user.id, provider: "twitch", account: "logs-5xx", expiresIn: 30 });
  await emulator.fault({ provider: "twitch", mode: "server_error", count: 1 });
  const run = await callFunction("refresh-expiring", { method: "POST", body: "{}", token: service });
  expect(run.status).toBe(200);
  await emulator.clearFaults();
  await new Promise((r) => setTimeout(r, 500));
});
afterAll(async () => {
  await setScheduleActive(sql, true);
  await sql.end();
});

it("no access or refresh token the emulator issued appears in a log line or an error body", async () => {
  const issued = (await (await fetch(`${EMULATOR_URL}/_emulator/issued`)).json()) as { access_tokens: string[]; refresh_tokens: string[] };
  const secrets = [...issued.access_tokens, ...issued.refresh_tokens];
  expect(secrets.length).toBeGreaterThan(10);
  expect(bodies.length).toBeGreaterThanOrEqual(4);
  const logs = files(LOG_DIR).map((f) => [f, readFileSync(f, "utf8")] as const);
  expect(logs.some(([, text]) => text.includes('"event":"refresh_failed"'))).toBe(true);
  for (const secret of secrets) {
    for (const [file, text] of logs) expect(text.includes(secret), `${secret.slice(0, 8)}… in ${file}`).toBe(false);
    for (const body of bodies) expect(body.includes(secret)).toBe(false);
  }
  // Every refresh failure says why: its error code is in the line, not redacted.
  // Lines of this run only (the log files outlive stack restarts).
  const lines = logs.flatMap(([, text]) => text.split("\n"))
    .filter((line) => line.includes("{") && line.slice(0, 24) >= since)
    .map((line) => line.slice(line.indexOf("{")));
  const failures = lines
    .filter((json) => json.includes('"event":"refresh_failed"') || json.includes('"event":"refresh_save_refused"'))
    .map((json) => JSON.parse(json) as { code?: unknown; provider?: string });
  expect(failures.length).toBeGreaterThanOrEqual(5);
  const known = ["reauth_required", "client_misconfigured", "rate_limited", "transient", "not_configured", "undecryptable", "save_failed", "internal"];
  for (const f of failures) expect(known, `${f.provider}: ${String(f.code)}`).toContain(f.code);
  for (const code of ["reauth_required", "client_misconfigured", "rate_limited", "transient"]) {
    expect(failures.some((f) => f.code === code), `a refresh_failed line with code ${code}`).toBe(true);
  }
  expect(lines.filter((json) => json.includes('"code":"[redacted]"'))).toEqual([]);
  // No raw user id either: logs carry a digest.
  for (const [file, text] of logs) expect(text.includes(user.id), `user id in ${file}`).toBe(false);
});
