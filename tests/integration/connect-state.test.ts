/**
 * oauth-callback's trust boundary: the state (forged, replayed, expired), Shopify's HMAC, denied consent, a
 * failed exchange, an unexpected account. An unusable state never redirects; a usable one always returns to
 * its own allow-listed redirect_to, and nothing is stored unless the whole flow succeeded.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, userToken } from "../helpers/stack.ts";
import {
  auditRows, authorize, CALLBACK_URL, connect, connectedProvider, connectionsOf, followCallback, oauthComplete, oauthStart, sha256Hex, stateRow,
  TEST_APP_URL, uniqueEmail,
} from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };

beforeAll(async () => {
  user = await userToken(uniqueEmail("connect-state"));
});
afterAll(() => sql.end());

const forgedState = () => randomBytes(32).toString("base64url");

async function expectRefused(url: URL, accept = "application/json"): Promise<string> {
  const { response, location } = await followCallback(url, accept);
  expect(response.status).toBe(400);
  expect(location).toBeNull();
  const text = await response.text();
  if (accept !== "application/json") return text;
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  expect(body.error.code).toBe("invalid_request");
  return body.error.message;
}

describe("oauth-callback: the state", () => {
  it("refuses a forged state without redirecting anywhere, as JSON or as a page", async () => {
    const url = new URL(CALLBACK_URL);
    url.searchParams.set("code", "anything");
    url.searchParams.set("state", forgedState());
    expect(await expectRefused(url)).toBe('"state" is unknown, expired or already used');
    const page = await expectRefused(url, "text/html");
    expect(page).toContain("This connection link cannot be used");
    expect(page).toContain('Reason: "state" is unknown, expired or already used.');
  });

  it("refuses a missing, malformed or repeated state", async () => {
    await expectRefused(new URL(`${CALLBACK_URL}?code=x`));
    await expectRefused(new URL(`${CALLBACK_URL}?code=x&state=${encodeURIComponent("'; select 1; --")}`));
    await expectRefused(new URL(`${CALLBACK_URL}?code=x&state=${forgedState()}&state=${forgedState()}`));
    await expectRefused(new URL(CALLBACK_URL));
  });

  it("refuses a replayed callback: the state is single use", async () => {
    const flow = await connect(user.token, "discord", { emulator: { emulator_account: "replay-1" } });
    expect(flow.response.status).toBe(302);
    const before = await connectionsOf(sql, user.id, "discord");
    await expectRefused(flow.callbackUrl);
    expect(await connectionsOf(sql, user.id, "discord")).toEqual(before);
  });

  it("refuses an expired state (10 minutes)", async () => {
    const started = await oauthStart(user.token, { provider: "twitch", redirect_to: TEST_APP_URL });
    const state = new URL(started.authorize_url).searchParams.get("state")!;
    await sql`
      update public.oauth_states set created_at = now() - interval '11 minutes', expires_at = now() - interval '1 minute'
      where state_hash = decode(${sha256Hex(state)}, 'hex')`;
    const callback = await authorize(new URL(started.authorize_url), { emulator_account: "expired-1" });
    await expectRefused(callback);
    expect(await connectionsOf(sql, user.id, "twitch")).toEqual([]);
  });

  it("stores only the hash of the state, bound to the user, provider and redirect_to", async () => {
    const started = await oauthStart(user.token, { provider: "google", redirect_to: `${TEST_APP_URL}/x?tab=1` });
    const state = new URL(started.authorize_url).searchParams.get("state")!;
    const row = await stateRow(sql, state);
    expect(row).toMatchObject({ user_id: user.id, provider: "google", redirect_to: `${TEST_APP_URL}/x?tab=1`, used_at: null });
    expect(JSON.stringify(row)).not.toContain(state);
    expect(row!.code_verifier).toMatch(/^v1\./);
  });
});

describe("oauth-callback: outcomes with a valid state", () => {
  it("returns a denied consent to redirect_to with error=access_denied, keeping its query, storing nothing", async () => {
    const flow = await connect(user.token, "reddit", { redirectTo: `${TEST_APP_URL}/back?tab=a%20b#frag`, emulator: { emulator_deny: "1" } });
    expect(flow.response.status).toBe(302);
    expect(flow.location!.origin + flow.location!.pathname).toBe(`${TEST_APP_URL}/back`);
    expect(Object.fromEntries(flow.location!.searchParams)).toEqual({ tab: "a b", error: "access_denied" });
    expect(flow.location!.hash).toBe("#frag");
    expect(await connectionsOf(sql, user.id, "reddit")).toEqual([]);
    const audit = (await auditRows(sql, user.id, "connect")).filter((a) => a.provider === "reddit");
    expect(audit.at(-1)).toMatchObject({ outcome: "failure", error_code: "access_denied", connection_id: null });
  });

  it("returns a refused code exchange as error=exchange_failed and stores nothing", async () => {
    const flow = await connect(user.token, "linkedin", {
      emulator: { emulator_account: "bad-code" },
      tamper: (url) => url.searchParams.set("code", "code_not-issued-by-the-emulator"),
    });
    expect(flow.response.status).toBe(302);
    expect(Object.fromEntries(flow.location!.searchParams)).toEqual({ error: "exchange_failed" });
    expect(await connectionsOf(sql, user.id, "linkedin")).toEqual([]);
  });

  it("refuses another account than the one oauth-start asked for", async () => {
    const flow = await connect(user.token, "etsy", { account: "expected-shop", emulator: { emulator_account: "someone-else" } });
    expect(Object.fromEntries(flow.location!.searchParams)).toEqual({ error: "account_mismatch" });
    expect(await connectionsOf(sql, user.id, "etsy")).toEqual([]);
    const ok = await connect(user.token, "etsy", { account: "expected-shop", emulator: { emulator_account: "expected-shop" } });
    expect(ok.location!.searchParams.get("provider")).toBe("etsy");
    expect(connectedProvider(ok)).toBe("etsy");
  });

  it("sends a provider error other than a denial back as authorization_failed", async () => {
    const started = await oauthStart(user.token, { provider: "microsoft", redirect_to: TEST_APP_URL });
    const state = new URL(started.authorize_url).searchParams.get("state")!;
    const url = new URL(CALLBACK_URL);
    url.searchParams.set("error", "server_error");
    url.searchParams.set("error_description", "<script>");
    url.searchParams.set("state", state);
    const { response, location } = await followCallback(url);
    expect(response.status).toBe(302);
    expect(location!.href).toBe(`${TEST_APP_URL}?error=authorization_failed`);
  });
});

describe("oauth-callback: Shopify", () => {
  const shop = `hmac-${Date.now().toString(36)}`;

  it("refuses a tampered or missing hmac before spending the state, then accepts the genuine callback", async () => {
    const started = await oauthStart(user.token, { provider: "shopify", shop, redirect_to: TEST_APP_URL });
    const genuine = await authorize(new URL(started.authorize_url));
    expect(genuine.searchParams.get("hmac")).toMatch(/^[0-9a-f]{64}$/);

    const tampered = new URL(genuine);
    tampered.searchParams.set("timestamp", String(Number(genuine.searchParams.get("timestamp")) + 1));
    await expectRefused(tampered);
    const otherShop = new URL(genuine);
    otherShop.searchParams.set("shop", "attacker.myshopify.com");
    await expectRefused(otherShop);
    const stripped = new URL(genuine);
    stripped.searchParams.delete("hmac");
    await expectRefused(stripped);
    expect(await connectionsOf(sql, user.id, "shopify")).toEqual([]);
    expect((await stateRow(sql, genuine.searchParams.get("state")!))!.used_at).toBeNull();

    const { response, location } = await followCallback(genuine);
    expect(response.status).toBe(302);
    expect(location!.searchParams.get("provider")).toBe("shopify");
    expect((await oauthComplete(user.token, location!.searchParams.get("connect"))).status).toBe(200);
    const [row] = await connectionsOf(sql, user.id, "shopify");
    expect(row).toMatchObject({ account_id: `${shop}.myshopify.com`, metadata: { shop: `${shop}.myshopify.com` } });
  });
});
