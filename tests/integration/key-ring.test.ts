/**
 * The key ring at the stack's edge: a stored token whose key left the ring answers `key_unavailable` naming the
 * key; `stack up` takes TOKEN_ENCRYPTION_KEYS from the environment it is started with; and changing the ring and
 * running `stack up` again drops no request.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseKeyRing, type KeyRing } from "../../packages/shared/src/crypto/key-ring.ts";
import { encryptConnectionTokens } from "../../packages/shared/src/crypto/connection-tokens.ts";
import { up } from "../../scripts/stack/lifecycle.ts";
import { FUNCTION_LOG_DIR, GATEWAY_LOG, ROOT } from "../../scripts/stack/paths.ts";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { functionKeyRing, setScheduleActive } from "../helpers/connections.ts";
import { testStackEnv } from "../helpers/stack-env.ts";

const sql = db();
let user: { id: string; token: string };
let serviceKey: string;
let stackRing: string;

const hex = () => randomBytes(32).toString("hex");

async function insertConnection(ring: KeyRing, provider: string, account: string, accessToken: string): Promise<string> {
  const id = crypto.randomUUID();
  const enc = await encryptConnectionTokens(ring, id, { accessToken, refreshToken: `rt-${accessToken}` });
  await sql`
    insert into public.platform_connections
      (id, user_id, provider, account_id, access_token, refresh_token, encryption_key_id, token_expires_at, scopes)
    values (${id}, ${user.id}, ${provider}, ${account}, ${enc.accessToken}, ${enc.refreshToken}, ${enc.keyId},
      ${new Date(Date.now() + 3_600_000)}, ${sql.array(["read"])})`;
  return id;
}

const getToken = (provider: string, account: string) =>
  callFunction("get-token", { method: "POST", body: JSON.stringify({ provider, account, user_id: user.id }), token: serviceKey });

function logsSince(offsets: Map<string, number>): string {
  const files = [GATEWAY_LOG, ...readdirSync(FUNCTION_LOG_DIR).map((f) => join(FUNCTION_LOG_DIR, f))];
  return files.map((f) => readFileSync(f, "utf8").slice(offsets.get(f) ?? 0)).join("");
}
function logOffsets(): Map<string, number> {
  const files = [GATEWAY_LOG, ...readdirSync(FUNCTION_LOG_DIR).map((f) => join(FUNCTION_LOG_DIR, f))];
  return new Map(files.map((f) => [f, readFileSync(f, "utf8").length]));
}

beforeAll(async () => {
  await setScheduleActive(sql, false);
  user = await userToken("key-ring@example.com");
  serviceKey = (await keys()).serviceRoleKey;
  const ring = await functionKeyRing();
  stackRing = ring.keyIds.join(",");
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
});
afterAll(async () => {
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  // Back to the ring every other test file expects.
  await up({ env: testStackEnv() });
  await setScheduleActive(sql, true);
  await sql.end();
});

describe("a key id missing from the ring", () => {
  it("answers 500 key_unavailable naming the key id, never internal, and logs no token", async () => {
    const offsets = logOffsets();
    const foreign = await parseKeyRing(`retired7:${hex()}`);
    await insertConnection(foreign, "github", "gh-retired", "gho_secret_value_never_logged");
    const res = await getToken("github", "gh-retired");
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body.error.code).toBe("key_unavailable");
    expect(body.error.message).toContain('"retired7"');
    expect(JSON.stringify(body)).not.toContain("gho_secret_value_never_logged");
    expect(logsSince(offsets)).not.toContain("gho_secret_value_never_logged");
    // The row is an operator fault, not the user's: it stays connected.
    const [row] = await sql`select status from public.platform_connections where account_id = 'gh-retired' and user_id = ${user.id}`;
    expect(row!.status).toBe("connected");
    expect(stackRing).not.toContain("retired7");
  });
});

describe("stack up and TOKEN_ENCRYPTION_KEYS", () => {
  it("honours the variable from the environment it is started with, over .stack/keys", async () => {
    const ring = `envkey:${hex()}`;
    const env = { ...process.env, ...testStackEnv(), TOKEN_ENCRYPTION_KEYS: ring };
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "stack", "cli.ts"), "up"], { cwd: ROOT, env, stdio: "ignore" });
      child.on("exit", (c) => resolve(c ?? 1));
    });
    expect(code).toBe(0);
    await insertConnection(await parseKeyRing(ring), "spotify", "sp-env", "env-ring-access");
    const res = await getToken("spotify", "sp-env");
    expect(res.status).toBe(200);
    expect((await res.json()).access_token).toBe("env-ring-access");
  });

  it("changing the ring and running up again drops no request", async () => {
    const k1 = `k1:${hex()}`;
    await up({ env: { ...testStackEnv(), TOKEN_ENCRYPTION_KEYS: k1 } });
    const ring1 = await parseKeyRing(k1);
    await insertConnection(ring1, "twitch", "tw-restart", "restart-access");

    const failures: string[] = [];
    let served = 0;
    let running = true;
    const caller = async () => {
      while (running) {
        try {
          const res = await getToken("twitch", "tw-restart");
          const body = await res.json();
          if (res.status !== 200 || body.access_token !== "restart-access") failures.push(`${res.status} ${JSON.stringify(body)}`);
          else served += 1;
        } catch (err) {
          failures.push(String((err as Error).cause ?? err));
        }
      }
    };
    const callers = Array.from({ length: 6 }, caller);
    await up({ env: { ...testStackEnv(), TOKEN_ENCRYPTION_KEYS: `k2:${hex()},${k1}` } });
    // A request right after the restart returns, and the callers keep going a little longer.
    const right = await getToken("twitch", "tw-restart");
    expect(right.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_000));
    running = false;
    await Promise.all(callers);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(20);
  });
});
