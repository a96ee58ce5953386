/**
 * No secret in the logs: after connect flows that succeed, are denied, fail their exchange or are replayed,
 * are claimed by another user or left to expire and be swept, and a disconnect, none of the access tokens, refresh tokens or authorization codes the emulator issued
 * during this run, no state value, no connect id (nor half of one), no raw user id and no client secret appears anywhere under .stack/logs.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMULATED_PROVIDERS } from "../../scripts/emulator/profiles.ts";
import { clientSecretOf } from "../../scripts/emulator/server.ts";
import { LOG_DIR } from "../../scripts/stack/paths.ts";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { connect, connectedProvider, emulatorControl, followCallback, postJson, uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };
let other: { id: string; token: string };
const states: string[] = [];
const connectIds: string[] = [];

function logFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? logFiles(path) : [path];
  });
}

beforeAll(async () => {
  user = await userToken(uniqueEmail("connect-logs"));
  other = await userToken(uniqueEmail("connect-logs-other"));
  for (const provider of ["twitter", "quickbooks", "lightspeed", "microsoft"]) {
    const flow = await connect(user.token, provider, { emulator: { emulator_account: `logs-${provider}` } });
    states.push(flow.state);
    connectIds.push(flow.connectId!);
    expect(connectedProvider(flow)).toBe(provider);
    await followCallback(flow.callbackUrl); // a replay
  }
  const denied = await connect(user.token, "discord", { emulator: { emulator_deny: "1" } });
  const failed = await connect(user.token, "github", { tamper: (u) => u.searchParams.set("code", `${u.searchParams.get("code")}x`) });
  states.push(denied.state, failed.state);
  // A grant claimed by someone else (refused and revoked), and one left to expire and be swept.
  const hijacked = await connect(user.token, "spotify", { emulator: { emulator_account: "logs-victim" }, completeWith: other.token });
  expect(hijacked.completion!.status).toBe(403);
  const unclaimed = await connect(user.token, "reddit", { emulator: { emulator_account: "logs-unclaimed" }, completeWith: false });
  states.push(hijacked.state, unclaimed.state);
  connectIds.push(hijacked.connectId!, unclaimed.connectId!);
  await sql`update public.oauth_parked_grants set created_at = now() - interval '20 minutes', expires_at = now() - interval '10 minutes'
    where user_id = ${user.id}`;
  const sweep = await callFunction("oauth-callback", {
    method: "POST", token: (await keys()).serviceRoleKey, body: '{"sweep":"expired_grants"}', headers: { "content-type": "application/json" },
  });
  expect(sweep.status).toBe(200);
  expect((await postJson("disconnect", user.token, { provider: "twitter" })).status).toBe(200);
  // Function output reaches the log files through a pipe: give it a moment.
  await new Promise((r) => setTimeout(r, 500));
});
afterAll(() => sql.end());

describe("logs", () => {
  it("hold no token, code, state or client secret", async () => {
    const issued = await emulatorControl<{ access_tokens: string[]; refresh_tokens: string[]; codes: string[] }>("/issued");
    expect(issued.access_tokens.length).toBeGreaterThan(0);
    const secrets = [
      ...issued.access_tokens, ...issued.refresh_tokens, ...issued.codes, ...states,
      ...EMULATED_PROVIDERS.map(clientSecretOf),
      // No connect id, not even its first half, and no raw user id.
      ...connectIds.map((id) => id.slice(0, 22)), ...connectIds.map((id) => id.slice(21)),
      user.id, other.id,
    ];
    const files = logFiles(LOG_DIR);
    expect(files.some((f) => f.endsWith("oauth-callback.log"))).toBe(true);
    expect(files.some((f) => f.endsWith("oauth-complete.log"))).toBe(true);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const leaked = secrets.filter((s) => text.includes(s));
      expect(leaked.map((s) => `${s.slice(0, 8)}… in ${file}`)).toEqual([]);
    }
  });
});
