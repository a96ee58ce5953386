/**
 * Reconnecting: the same (user, provider, account) reuses its row, whatever state it was left in, and resets
 * it; another account of the same provider is a row of its own; tokens that never expire are scheduled for
 * validation instead of refresh.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, userToken } from "../helpers/stack.ts";
import { connect, connectedProvider, connectionsOf, decryptTokens, emulatorControl, postJson, uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };

beforeAll(async () => {
  user = await userToken(uniqueEmail("connect-reconnect"));
});
afterAll(async () => {
  await emulatorControl("/config", { provider: "github", non_expiring: false });
  await sql.end();
});

describe("reconnect", () => {
  it("reuses the row of an account in needs_reauth and resets it to connected", async () => {
    const first = await connect(user.token, "discord", { emulator: { emulator_account: "re-1" } });
    expect(connectedProvider(first)).toBe("discord");
    const [before] = await connectionsOf(sql, user.id, "discord");
    const oldTokens = await decryptTokens(before!);
    await sql`
      update public.platform_connections
      set status = 'needs_reauth', consecutive_failures = 4, last_sync_status = 'reauth_required', last_sync_error = 'invalid_grant',
          lease_owner = gen_random_uuid(), lease_expires_at = now() + interval '1 minute', next_attempt_at = now() + interval '1 hour'
      where id = ${before!.id}`;

    const again = await connect(user.token, "discord", { emulator: { emulator_account: "re-1" } });
    expect(connectedProvider(again)).toBe("discord");
    const rows = await connectionsOf(sql, user.id, "discord");
    expect(rows).toHaveLength(1);
    const after = rows[0]!;
    expect(after).toMatchObject({
      id: before!.id, status: "connected", consecutive_failures: 0, last_sync_status: "ok", last_sync_error: null,
      lease_owner: null, lease_expires_at: null, next_attempt_at: null,
    });
    expect(BigInt(after.version)).toBeGreaterThan(BigInt(before!.version));
    expect(after.connected_at.getTime()).toBeGreaterThanOrEqual(before!.connected_at.getTime());
    const newTokens = await decryptTokens(after);
    expect(newTokens.accessToken).not.toBe(oldTokens.accessToken);
    expect(newTokens.refreshToken).not.toBe(oldTokens.refreshToken);
  });

  it("reuses the row of a disconnected account", async () => {
    await connect(user.token, "twitter", { emulator: { emulator_account: "re-2" } });
    const [before] = await connectionsOf(sql, user.id, "twitter");
    expect((await postJson("disconnect", user.token, { provider: "twitter" })).status).toBe(200);
    expect((await connectionsOf(sql, user.id, "twitter"))[0]).toMatchObject({ status: "disconnected", access_token: null });
    await connect(user.token, "twitter", { emulator: { emulator_account: "re-2" } });
    const rows = await connectionsOf(sql, user.id, "twitter");
    expect(rows.map((r) => [r.id, r.status])).toEqual([[before!.id, "connected"]]);
    expect((await decryptTokens(rows[0]!)).accessToken).toMatch(/^at_twitter_/);
  });

  it("keeps another account of the same provider as its own row", async () => {
    await connect(user.token, "spotify", { emulator: { emulator_account: "re-a" } });
    await connect(user.token, "spotify", { emulator: { emulator_account: "re-b" } });
    const rows = await connectionsOf(sql, user.id, "spotify");
    expect(rows.map((r) => r.account_id).sort()).toEqual(["re-a", "re-b"]);
    expect(new Set(rows.map((r) => r.id)).size).toBe(2);
  });
});

describe("tokens that do not expire", () => {
  it("are stored without expiry or refresh token and scheduled for validation after the catalog's interval", async () => {
    await emulatorControl("/config", { provider: "github", non_expiring: true });
    const before = Date.now();
    const flow = await connect(user.token, "github", { emulator: { emulator_account: "octo-1" } });
    expect(connectedProvider(flow)).toBe("github");
    const [row] = await connectionsOf(sql, user.id, "github");
    expect(row).toMatchObject({ status: "connected", account_id: "octo-1", token_expires_at: null, refresh_token: null, refresh_token_expires_at: null });
    // GitHub's validation interval in the catalog: one day.
    const due = row!.next_attempt_at!.getTime() - before;
    expect(due).toBeGreaterThan(86_400_000 - 60_000);
    expect(due).toBeLessThan(86_400_000 + 60_000);
  });
});
