/**
 * connections after real connects: the contract's fields only, and never a token, a ciphertext or a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callFunction, db, userToken } from "../helpers/stack.ts";
import { connect, connectedProvider, emulatorControl, postJson, uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };

beforeAll(async () => {
  user = await userToken(uniqueEmail("connect-connections"));
  for (const [provider, account] of [["spotify", "c-1"], ["xero", "c-2"], ["quickbooks", "c-3"], ["gmail", "c-4"]] as const) {
    const flow = await connect(user.token, provider, { emulator: { emulator_account: account } });
    expect(connectedProvider(flow)).toBe(provider);
  }
  expect((await postJson("disconnect", user.token, { provider: "gmail" })).status).toBe(200);
});
afterAll(() => sql.end());

describe("connections", () => {
  it("lists the user's connections with the contract's fields and no secret", async () => {
    const res = await callFunction("connections", { token: user.token });
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { connections: Record<string, unknown>[] };
    expect(body.connections.map((c) => [c.provider, c.account, c.status])).toEqual([
      ["gmail", "c-4", "disconnected"], ["quickbooks", "c-3", "connected"], ["spotify", "c-1", "connected"], ["xero", "c-2", "connected"],
    ]);
    for (const c of body.connections) {
      expect(Object.keys(c).sort()).toEqual(["account", "expires_at", "last_error", "last_refreshed_at", "provider", "scopes", "status"]);
    }
    const issued = await emulatorControl<{ access_tokens: string[]; refresh_tokens: string[]; codes: string[] }>("/issued");
    for (const secret of [...issued.access_tokens, ...issued.refresh_tokens, ...issued.codes]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\./);
    expect(text).not.toMatch(/access_token|refresh_token|code_verifier|emulator-[a-z_]+-secret/);
  });

  it("shows nothing of another user's connections", async () => {
    const other = await userToken(uniqueEmail("connect-connections-other"));
    const res = await callFunction("connections", { token: other.token });
    expect(await res.json()).toEqual({ connections: [] });
  });
});
