/**
 * disconnect: revocation where the provider has an endpoint (best effort), the wipe of the tokens, other
 * users' connections, and a refresh holding the lease.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, userToken } from "../helpers/stack.ts";
import { auditRows, connect, connectedProvider, connectionsOf, decryptTokens, emulatorControl, postJson, uniqueEmail } from "./connect-support.ts";

const sql = db();
let alice: { id: string; token: string };
let bob: { id: string; token: string };

beforeAll(async () => {
  alice = await userToken(uniqueEmail("disconnect-alice"));
  bob = await userToken(uniqueEmail("disconnect-bob"));
});
afterAll(async () => {
  await emulatorControl("/faults", undefined, "DELETE");
  await sql.end();
});

const revokeRequests = async (provider: string) =>
  (await emulatorControl<{ requests: any[] }>(`/requests?provider=${provider}&endpoint=revoke`)).requests;

async function connected(user: { id: string; token: string }, provider: string, account: string, extra: Parameters<typeof connect>[2] = {}) {
  const flow = await connect(user.token, provider, { emulator: { emulator_account: account }, ...extra });
  expect(connectedProvider(flow)).toBe(provider);
  const row = (await connectionsOf(sql, user.id, provider)).find((r) => r.account_id === (provider === "shopify" ? `${extra.shop}.myshopify.com` : account))!;
  return { row, tokens: await decryptTokens(row) };
}

function expectWiped(row: object | undefined) {
  expect(row).toMatchObject({
    status: "disconnected", access_token: null, refresh_token: null, encryption_key_id: null, token_expires_at: null,
    next_attempt_at: null, lease_owner: null, lease_expires_at: null,
  });
}

describe("disconnect", () => {
  it("revokes at a provider with a revocation endpoint, then wipes the tokens", async () => {
    const { row, tokens } = await connected(alice, "discord", "dis-1");
    const before = (await revokeRequests("discord")).length;
    const res = await postJson("disconnect", alice.token, { provider: "discord" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ disconnected: true });
    expectWiped((await connectionsOf(sql, alice.id, "discord"))[0]);
    const revokes = await revokeRequests("discord");
    expect(revokes.length).toBe(before + 1);
    expect(revokes.at(-1)).toMatchObject({ method: "POST", client_auth: "basic", params: ["token", "token_type_hint"] });
    expect((await emulatorControl(`/token?token=${tokens.refreshToken}`)).refresh.state).toBe("revoked");
    expect((await emulatorControl(`/token?token=${tokens.accessToken}`)).access.valid).toBe(false);
    const audit = (await auditRows(sql, alice.id, "disconnect")).filter((a) => a.connection_id === row.id);
    expect(audit.map((a) => [a.outcome, a.error_code])).toEqual([["success", null]]);
  });

  it("revokes a Dropbox grant with its access token as the Bearer credential", async () => {
    const { tokens } = await connected(alice, "dropbox", "dbid:dis-dropbox");
    const before = (await revokeRequests("dropbox")).length;
    expect((await postJson("disconnect", alice.token, { provider: "dropbox" })).status).toBe(200);
    expectWiped((await connectionsOf(sql, alice.id, "dropbox"))[0]);
    const revokes = await revokeRequests("dropbox");
    expect(revokes.length).toBe(before + 1);
    expect(revokes.at(-1)).toMatchObject({ method: "POST", params: [] });
    expect((await emulatorControl(`/token?token=${tokens.refreshToken}`)).refresh.state).toBe("revoked");
    expect((await emulatorControl(`/token?token=${tokens.accessToken}`)).access.valid).toBe(false);
  });

  it("wipes without calling anything at a provider with no revocation endpoint", async () => {
    await connected(alice, "spotify", "dis-2");
    const before = (await revokeRequests("spotify")).length;
    expect((await postJson("disconnect", alice.token, { provider: "spotify", account: "dis-2" })).status).toBe(200);
    expectWiped((await connectionsOf(sql, alice.id, "spotify"))[0]);
    expect((await revokeRequests("spotify")).length).toBe(before);
  });

  it("revokes Shopify's token through the uninstall call", async () => {
    const shop = `dis-${Date.now().toString(36)}`;
    const { tokens } = await connected(alice, "shopify", shop, { shop });
    expect((await postJson("disconnect", alice.token, { provider: "shopify", account: `${shop}.myshopify.com` })).status).toBe(200);
    expect((await revokeRequests("shopify")).at(-1)).toMatchObject({ method: "DELETE", shopify_token_header: true });
    expect((await emulatorControl(`/token?token=${tokens.accessToken}`)).access.valid).toBe(false);
  });

  it("disconnects even when the revocation fails, and audits the failure", async () => {
    const { row, tokens } = await connected(alice, "xero", "dis-3");
    await emulatorControl("/faults", { provider: "xero", endpoint: "revoke", mode: "server_error", count: 1 });
    const res = await postJson("disconnect", alice.token, { provider: "xero" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ disconnected: true });
    expectWiped((await connectionsOf(sql, alice.id, "xero"))[0]);
    // The provider never heard of it, so the grant is still alive there: that is what the audit row is for.
    expect((await emulatorControl(`/token?token=${tokens.refreshToken}`)).refresh.state).toBe("live");
    const audit = (await auditRows(sql, alice.id, "disconnect")).filter((a) => a.connection_id === row.id);
    expect(audit.map((a) => [a.outcome, a.error_code, a.http_status])).toEqual([["failure", "revocation_failed", 503], ["success", null, null]]);
  });

  it("answers not_connected for another user's account, exactly as for none, and leaves it alone", async () => {
    const { row } = await connected(alice, "twitch", "dis-4");
    const theirs = await postJson("disconnect", bob.token, { provider: "twitch", account: "dis-4" });
    const nothing = await postJson("disconnect", bob.token, { provider: "twitch", account: "no-such-account" });
    expect(theirs.status).toBe(404);
    const a = (await theirs.json()) as { error: { code: string; message: string } };
    const b = (await nothing.json()) as { error: { code: string; message: string } };
    expect(a.error.code).toBe("not_connected");
    expect(a.error.message.replace("dis-4", "X")).toBe(b.error.message.replace("no-such-account", "X"));
    expect((await postJson("disconnect", bob.token, { provider: "twitch" })).status).toBe(404);
    expect((await connectionsOf(sql, alice.id, "twitch"))[0]).toMatchObject({ id: row.id, status: "connected", version: row.version });
  });

  it("asks which account when there are several, and answers not_connected once disconnected", async () => {
    await connected(alice, "google", "dis-5a");
    await connected(alice, "google", "dis-5b");
    const res = await postJson("disconnect", alice.token, { provider: "google" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^"account" is required/);
    expect((await postJson("disconnect", alice.token, { provider: "google", account: "dis-5a" })).status).toBe(200);
    const rows = await connectionsOf(sql, alice.id, "google");
    expect(rows.map((r) => [r.account_id, r.status])).toEqual([["dis-5a", "disconnected"], ["dis-5b", "connected"]]);
    expect((await postJson("disconnect", alice.token, { provider: "google", account: "dis-5a" })).status).toBe(404);
    // With one live account left, no account is needed.
    expect((await postJson("disconnect", alice.token, { provider: "google" })).status).toBe(200);
  });
});

describe("disconnect and a refresh in flight", () => {
  it("waits for a refresh holding the lease, then disconnects; the refresh's write-back loses", async () => {
    const { row } = await connected(alice, "reddit", "dis-6");
    const refresher = crypto.randomUUID();
    const [leased] = await sql`select version from provider_tokens.acquire_refresh_lease(${row.id}, ${refresher}, 30)`;
    setTimeout(() => void sql`select provider_tokens.release_refresh_lease(${row.id}, ${refresher})`.catch(() => {}), 1_000);
    const t0 = Date.now();
    expect((await postJson("disconnect", alice.token, { provider: "reddit" })).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expectWiped((await connectionsOf(sql, alice.id, "reddit"))[0]);
    // The engine's compare-and-set on (lease owner, version) refuses a late write.
    const envelope = `v1.${row.encryption_key_id}.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAA`;
    const [saved] = await sql`
      select provider_tokens.save_refreshed_tokens(${row.id}, ${refresher}, ${leased!.version}, ${envelope}, null, ${row.encryption_key_id}, now() + interval '1 hour') as ok`;
    expect(saved!.ok).toBe(false);
    expect((await connectionsOf(sql, alice.id, "reddit"))[0]!.status).toBe("disconnected");
  });

  it("goes ahead after a bounded wait when the lease stays taken", async () => {
    const { row } = await connected(alice, "quickbooks", "dis-7");
    await sql`select 1 from provider_tokens.acquire_refresh_lease(${row.id}, ${crypto.randomUUID()}, 120)`;
    const t0 = Date.now();
    expect((await postJson("disconnect", alice.token, { provider: "quickbooks" })).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expectWiped((await connectionsOf(sql, alice.id, "quickbooks"))[0]);
  });
});
