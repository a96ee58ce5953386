/**
 * Hostile input to oauth-start, oauth-callback, disconnect and connections: every answer is the contract's
 * 4xx in the contract's shape, never a 500.
 */
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKeys, signUserToken } from "../../scripts/stack/keys.ts";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { CALLBACK_URL, postJson, TEST_APP_URL, uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; email: string; token: string };

beforeAll(async () => {
  user = await userToken(uniqueEmail("connect-hostile"));
});
afterAll(() => sql.end());

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error?: { code: string; message: string } };
  expect(body.error, JSON.stringify(body)).toBeDefined();
  return { status: res.status, code: body.error!.code, message: body.error!.message };
}

const valid: Record<string, Record<string, unknown>> = {
  "oauth-start": { provider: "spotify", redirect_to: TEST_APP_URL },
  disconnect: { provider: "spotify" },
};

describe.each(["oauth-start", "disconnect"])("%s: credentials", (fn) => {
  const body = JSON.stringify(valid[fn]);
  const post = (token?: string) => callFunction(fn, { method: "POST", body, ...(token ? { token } : {}), headers: { "content-type": "application/json" } });

  it("refuses a missing, forged, expired or alg-none JWT at the gateway", async () => {
    expect((await post()).status).toBe(401);
    const forged = await new SignJWT({ sub: user.id, role: "authenticated", aud: "authenticated" })
      .setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode("x".repeat(40)));
    expect((await post(forged)).status).toBe(401);
    const expired = await signUserToken(await loadKeys(), user, { expiresInSeconds: -120 });
    expect((await post(expired)).status).toBe(401);
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ sub: user.id, role: "authenticated" })).toString("base64url")}.`;
    expect((await post(none)).status).toBe(401);
  });

  it("refuses the anon key and the service role key: a user is required", async () => {
    for (const key of [(await keys()).anonKey, (await keys()).serviceRoleKey]) {
      expect(await errorOf(await post(key))).toMatchObject({ status: 401, code: "unauthorized" });
    }
  });

  it("refuses other methods", async () => {
    const res = await callFunction(fn, { method: "GET", token: user.token });
    expect(await errorOf(res)).toMatchObject({ status: 405, code: "method_not_allowed" });
  });
});

describe.each(["oauth-start", "disconnect"])("%s: bodies", (fn) => {
  const raw = (body: string) => callFunction(fn, { method: "POST", body, token: user.token, headers: { "content-type": "application/json" } });

  it("refuses malformed JSON, non-objects and non-UTF-8", async () => {
    for (const body of ["{", "[]", '"x"', "null", "{\"provider\":}"]) {
      expect(await errorOf(await raw(body))).toMatchObject({ status: 400, code: "invalid_request" });
    }
    const bytes = await callFunction(fn, { method: "POST", body: new Uint8Array([0x7b, 0xff, 0x7d]), token: user.token });
    expect((await errorOf(bytes)).status).toBe(400);
  });

  it("refuses a huge body with 413, declared or streamed", async () => {
    const big = JSON.stringify({ ...valid[fn], pad: "x".repeat(40_000) });
    expect(await errorOf(await raw(big))).toMatchObject({ status: 413, code: "payload_too_large" });
  });

  it("names the field at fault for missing, mistyped and unknown members", async () => {
    expect(await errorOf(await postJson(fn, user.token, {}))).toMatchObject({ status: 400, code: "invalid_request", message: '"provider" is required' });
    expect(await errorOf(await postJson(fn, user.token, { ...valid[fn], provider: 42 }))).toMatchObject({ message: '"provider" must be a string' });
    expect(await errorOf(await postJson(fn, user.token, { ...valid[fn], account: ["a"] }))).toMatchObject({ message: '"account" must be a string' });
    expect(await errorOf(await postJson(fn, user.token, { ...valid[fn], user_id: user.id }))).toMatchObject({ message: '"user_id" is not a known field' });
  });

  it("answers unknown_provider for an id outside the contract", async () => {
    for (const provider of ["myspace", "SPOTIFY", "spotify ", "__proto__"]) {
      expect(await errorOf(await postJson(fn, user.token, { ...valid[fn], provider }))).toMatchObject({ status: 400, code: "unknown_provider" });
    }
  });
});

describe("oauth-start: fields", () => {
  const start = (body: Record<string, unknown>) => postJson("oauth-start", user.token, { provider: "spotify", redirect_to: TEST_APP_URL, ...body });

  it("checks scopes, shop and redirect_to types", async () => {
    expect(await errorOf(await start({ redirect_to: 5 }))).toMatchObject({ status: 400, message: '"redirect_to" must be a string' });
    expect(await errorOf(await start({ scopes: "a b" }))).toMatchObject({ status: 400, message: '"scopes" must be an array of strings' });
    expect(await errorOf(await start({ scopes: ["ok", { x: 1 }] }))).toMatchObject({ status: 400, message: '"scopes[1]" must be a string' });
    expect((await errorOf(await start({ scopes: ["a b"] }))).message).toMatch(/^"scopes\[0\]"/);
    expect(await errorOf(await start({ shop: "x" }))).toMatchObject({ status: 400, message: '"shop" is only accepted for shopify, not spotify' });
  });

  it("requires a myshopify.com shop for shopify", async () => {
    const shopify = (body: Record<string, unknown>) => start({ provider: "shopify", ...body });
    expect(await errorOf(await shopify({}))).toMatchObject({ status: 400, message: '"shop" is required for shopify' });
    for (const shop of ["evil.example", "a.myshopify.com.evil.example", "a.myshopify.com/admin", "a.myshopify.com:8443", "-x", "a_b"]) {
      expect(await errorOf(await shopify({ shop }))).toMatchObject({ status: 400, message: '"shop" must be a "<store>.myshopify.com" domain' });
    }
    expect(await errorOf(await shopify({ shop: "one", account: "two.myshopify.com" }))).toMatchObject({ status: 400, message: '"account" must name the same store as "shop"' });
    const ok = await shopify({ shop: "My-Store.MyShopify.com" });
    expect(ok.status).toBe(200);
    expect(new URL(((await ok.json()) as { authorize_url: string }).authorize_url).pathname).toBe("/shopify/my-store/authorize");
  });
});

describe("oauth-callback and connections: methods", () => {
  it("oauth-callback takes GET from browsers (POST only with the service key, for the sweep) and refuses an empty query with 400", async () => {
    expect((await fetch(CALLBACK_URL, { method: "POST", body: "{}" })).status).toBe(401);
    expect((await callFunction("oauth-callback", { method: "POST", body: "{}", token: user.token })).status).toBe(401);
    expect((await fetch(CALLBACK_URL, { method: "PUT", body: "{}" })).status).toBe(405);
    expect((await fetch(CALLBACK_URL, { method: "DELETE" })).status).toBe(405);
    const res = await fetch(CALLBACK_URL, { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });

  it("connections takes GET only and refuses the anon key", async () => {
    expect((await callFunction("connections", { method: "POST", body: "{}", token: user.token })).status).toBe(405);
    expect((await callFunction("connections", { token: (await keys()).anonKey })).status).toBe(401);
  });
});
