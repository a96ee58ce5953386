import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClient } from "@supabase/supabase-js";
import { SignJWT } from "jose";
import WebSocket from "ws";
import { API_URL, callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";

const sql = db();
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let serviceKey: string;

beforeAll(async () => {
  await setScheduleActive(sql, false);
  alice = await userToken("get-token-alice@example.com");
  bob = await userToken("get-token-bob@example.com");
  serviceKey = (await keys()).serviceRoleKey;
});
afterAll(async () => {
  await setScheduleActive(sql, true);
  await sql.end();
});
beforeEach(async () => {
  await sql`delete from public.platform_connections where user_id in (${alice.id}, ${bob.id})`;
  await emulator.clearFaults();
  await emulator.resetStats();
});

const getToken = (body: unknown, token: string, init: RequestInit = {}) =>
  callFunction("get-token", { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), token, ...init });

describe("get-token: valid tokens", () => {
  it("returns the stored token with one read and no provider call", async () => {
    const seeded = await seedConnection(sql, { userId: alice.id, provider: "spotify", account: "sp-1", expiresIn: 3600 });
    const res = await getToken({ provider: "spotify" }, alice.token);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ access_token: seeded.accessToken, token_type: "bearer", scopes: ["read"], provider: "spotify", account: "sp-1" });
    expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now() + 3500_000);
    expect(body).not.toHaveProperty("refresh_token");
    expect((await emulator.stats("spotify")).refresh).toBe(0);
  });

  it("serves a server caller with the service role key and user_id", async () => {
    const seeded = await seedConnection(sql, { userId: bob.id, provider: "github", account: "gh-1", expiresIn: 3600 });
    const res = await getToken({ provider: "github", user_id: bob.id }, serviceKey);
    expect(res.status).toBe(200);
    expect((await res.json()).access_token).toBe(seeded.accessToken);
  });

  it("works through supabase-js functions.invoke with the user's JWT, as a frontend calls it", async () => {
    const seeded = await seedConnection(sql, { userId: alice.id, provider: "twitch", account: "tw-1", expiresIn: 3600 });
    const supabase = createClient(API_URL, (await keys()).anonKey, {
      global: { headers: { Authorization: `Bearer ${alice.token}` } },
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never },
    });
    const { data, error } = await supabase.functions.invoke("get-token", { body: { provider: "twitch" } });
    expect(error).toBeNull();
    expect(data.access_token).toBe(seeded.accessToken);
  });

  it("asks for the account when a user has several of one provider", async () => {
    await seedConnection(sql, { userId: alice.id, provider: "shopify", account: "one.myshopify.com", expiresIn: null, withRefreshToken: false, metadata: { shop: "one.myshopify.com" } });
    const two = await seedConnection(sql, { userId: alice.id, provider: "shopify", account: "two.myshopify.com", expiresIn: null, withRefreshToken: false, metadata: { shop: "two.myshopify.com" } });
    const ambiguous = await getToken({ provider: "shopify" }, alice.token);
    expect(ambiguous.status).toBe(400);
    expect((await ambiguous.json()).error.message).toMatch(/"account" is required/);
    const res = await getToken({ provider: "shopify", account: "two.myshopify.com" }, alice.token);
    expect(await res.json()).toMatchObject({ access_token: two.accessToken, expires_at: null, account: "two.myshopify.com" });
  });
});

describe("get-token: refresh on read, single-flight", () => {
  it("200 concurrent calls on one expired token over two processes make exactly one provider call", async () => {
    const seeded = await seedConnection(sql, { userId: alice.id, provider: "discord", account: "dc-1", expiresIn: -60 });
    await emulator.fault({ provider: "discord", mode: "slow", delay_ms: 300, count: 1 });
    const responses = await Promise.all(Array.from({ length: 200 }, () => getToken({ provider: "discord" }, alice.token)));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(200));
    const workers = new Set(responses.map((r) => r.headers.get("x-stack-worker")));
    expect(workers).toEqual(new Set(["get-token#0", "get-token#1"]));
    const tokens = new Set(bodies.map((b) => b.access_token));
    expect(tokens.size).toBe(1);
    expect(tokens.has(seeded.accessToken)).toBe(false);
    const stats = await emulator.stats("discord");
    expect(stats.refresh).toBe(1);
    expect(stats.refresh_rejected).toBe(0);
    // The rotated refresh token was persisted: the old one is spent, and the next refresh works.
    expect((await emulator.token(seeded.refreshToken!)).refresh?.state).toBe("spent");
    const [row] = await sql`select status, version, last_refreshed_at, token_expires_at from public.platform_connections where id = ${seeded.id}`;
    expect(row).toMatchObject({ status: "connected" });
    expect(row!.token_expires_at.getTime()).toBeGreaterThan(Date.now());
    await sql`update public.platform_connections set token_expires_at = now() - interval '1 minute' where id = ${seeded.id}`;
    const again = await getToken({ provider: "discord" }, alice.token);
    expect(again.status).toBe(200);
    expect((await emulator.stats("discord")).refresh_ok).toBe(2);
  });

  it("inside the refresh window, callers get the still-valid token without waiting and one refreshes", async () => {
    const seeded = await seedConnection(sql, { userId: alice.id, provider: "xero", account: "tenant-1", expiresIn: 30 });
    await emulator.fault({ provider: "xero", mode: "slow", delay_ms: 1500, count: 1 });
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, async () => {
      const t0 = Date.now();
      const body = await (await getToken({ provider: "xero" }, alice.token)).json();
      return { token: body.access_token as string, ms: Date.now() - t0 };
    }));
    const fast = results.filter((r) => r.token === seeded.accessToken);
    expect(fast.length).toBeGreaterThanOrEqual(18);
    expect(Math.max(...fast.map((r) => r.ms))).toBeLessThan(1000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await emulator.stats("xero")).refresh).toBe(1);
  });

  it("keeps the stored refresh token when the provider sends none (Google)", async () => {
    const seeded = await seedConnection(sql, { userId: alice.id, provider: "gmail", account: "g-1", expiresIn: -10 });
    for (let i = 0; i < 2; i++) {
      const res = await getToken({ provider: "gmail" }, alice.token);
      expect(res.status).toBe(200);
      await sql`update public.platform_connections set token_expires_at = now() - interval '1 minute' where id = ${seeded.id}`;
    }
    expect((await emulator.stats("gmail")).refresh_ok).toBe(2);
    expect((await emulator.token(seeded.refreshToken!)).refresh?.state).toBe("live");
  });
});

describe("get-token: failures", () => {
  it("a revoked grant answers 409 needs_reauth with reconnect, and stops calling the provider", async () => {
    const seeded = await seedConnection(sql, { userId: alice.id, provider: "twitter", account: "x-1", expiresIn: -10 });
    await emulator.revokeAccount("twitter", "x-1");
    const res = await getToken({ provider: "twitter" }, alice.token);
    expect(res.status).toBe(409);
    expect((await res.json()).error).toMatchObject({ code: "needs_reauth", reconnect: true });
    const [row] = await sql`select status from public.platform_connections where id = ${seeded.id}`;
    expect(row!.status).toBe("needs_reauth");
    expect((await getToken({ provider: "twitter" }, alice.token)).status).toBe(409);
    expect((await emulator.stats("twitter")).refresh).toBe(1);
  });

  it("a rate limit answers 503 with Retry-After and leaves the user connected", async () => {
    const seeded = await seedConnection(sql, { userId: alice.id, provider: "lightspeed", account: "acme", expiresIn: -10, metadata: { domain_prefix: "acme" } });
    await emulator.fault({ provider: "lightspeed", mode: "rate_limit", retry_after: 42, count: 1 });
    const res = await getToken({ provider: "lightspeed" }, alice.token);
    expect(res.status).toBe(503);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(30);
    expect(retryAfter).toBeLessThanOrEqual(43);
    expect((await res.json()).error.code).toBe("provider_unavailable");
    const [row] = await sql`select status, consecutive_failures, next_attempt_at from public.platform_connections where id = ${seeded.id}`;
    expect(row!.status).toBe("token_expired");
    expect(row!.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 30_000);
  });

  it("rejected client credentials answer 503 and never flip the user to needs_reauth", async () => {
    const seeded = await seedConnection(sql, { userId: alice.id, provider: "spotify", account: "sp-2", expiresIn: -10 });
    await emulator.fault({ provider: "spotify", mode: "invalid_client", count: 1 });
    const res = await getToken({ provider: "spotify" }, alice.token);
    expect(res.status).toBe(503);
    const [row] = await sql`select status from public.platform_connections where id = ${seeded.id}`;
    expect(row!.status).not.toBe("needs_reauth");
  });

  it("a provider that never answers is cut off by the timeout and answers 503", async () => {
    await seedConnection(sql, { userId: alice.id, provider: "reddit", account: "r-1", expiresIn: -10 });
    await emulator.fault({ provider: "reddit", mode: "timeout", count: 1 });
    const t0 = Date.now();
    const res = await getToken({ provider: "reddit" }, alice.token);
    expect(res.status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(14_000);
  }, 30_000);
});

describe("get-token: hostile input", () => {
  it("refuses missing, forged, expired and alg-none tokens, and the anon key, with 401", async () => {
    const forged = await new SignJWT({ sub: alice.id, role: "authenticated", aud: "authenticated" })
      .setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode("x".repeat(40)));
    const expired = await new SignJWT({ sub: alice.id, role: "authenticated", aud: "authenticated" })
      .setProtectedHeader({ alg: "HS256" }).setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode((await keys()).jwtSecret));
    const none = [{ alg: "none" }, { sub: alice.id, role: "authenticated", aud: "authenticated" }]
      .map((p) => Buffer.from(JSON.stringify(p)).toString("base64url")).join(".") + ".";
    for (const token of [undefined, forged, expired, none, (await keys()).anonKey]) {
      const res = await callFunction("get-token", { method: "POST", body: '{"provider":"spotify"}', ...(token ? { token } : {}) });
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe("unauthorized");
    }
  });

  it("answers malformed, oversized and wrong-typed bodies with the contract's 4xx", async () => {
    const cases: [string, number, string][] = [
      ["{not json", 400, "invalid_request"],
      ["[]", 400, "invalid_request"],
      [JSON.stringify({ provider: 42 }), 400, "invalid_request"],
      [JSON.stringify({}), 400, "invalid_request"],
      [JSON.stringify({ provider: "spotify", extra: 1 }), 400, "invalid_request"],
      [JSON.stringify({ provider: "myspace" }), 400, "unknown_provider"],
      [JSON.stringify({ provider: "spotify", user_id: bob.id }), 400, "invalid_request"],
      [JSON.stringify({ provider: "spotify", pad: "x".repeat(10_000) }), 413, "payload_too_large"],
    ];
    for (const [body, status, code] of cases) {
      const res = await getToken(body, alice.token);
      expect([body.slice(0, 40), res.status]).toEqual([body.slice(0, 40), status]);
      expect((await res.json()).error.code).toBe(code);
    }
    const get = await callFunction("get-token", { method: "GET", token: alice.token });
    expect(get.status).toBe(405);
  });

  it("never reveals another user's connection: 404, whoever asks", async () => {
    await seedConnection(sql, { userId: bob.id, provider: "etsy", account: "bob-shop", expiresIn: 3600 });
    const res = await getToken({ provider: "etsy" }, alice.token);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe("not_connected");
    const byService = await getToken({ provider: "etsy", user_id: "not-a-uuid" }, serviceKey);
    expect(byService.status).toBe(400);
    const noUser = await getToken({ provider: "etsy" }, serviceKey);
    expect(noUser.status).toBe(400);
  });
});
