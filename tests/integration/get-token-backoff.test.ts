/**
 * get-token honours a failing connection's backoff: one user hammering get-token on an expired token whose
 * provider is down costs the provider at most one call per backoff period, not one per request.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";
import { uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; token: string };
let serviceKey: string;

beforeAll(async () => {
  await setScheduleActive(sql, false);
  user = await userToken(uniqueEmail("get-token-backoff"));
  serviceKey = (await keys()).serviceRoleKey;
});
afterAll(async () => {
  await emulator.clearFaults();
  await setScheduleActive(sql, true);
  await sql.end();
});
beforeEach(async () => {
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  await emulator.clearFaults();
  await emulator.resetStats();
});

const getToken = (provider: string, token = user.token, extra: Record<string, unknown> = {}) =>
  callFunction("get-token", { method: "POST", body: JSON.stringify({ provider, ...extra }), token });

describe("get-token and a failing connection's backoff", () => {
  it("20 sequential calls on an expired token whose provider answers 500: at most 2 provider calls, every answer 503 with Retry-After", async () => {
    await seedConnection(sql, { userId: user.id, provider: "discord", account: "bo-500", expiresIn: -30 });
    await emulator.fault({ provider: "discord", mode: "server_error" });
    const answers: Array<{ status: number; retryAfter: string | null; code: string }> = [];
    for (let i = 0; i < 20; i++) {
      const res = await getToken("discord");
      answers.push({ status: res.status, retryAfter: res.headers.get("retry-after"), code: (await res.json()).error?.code });
    }
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.code).toBe("provider_unavailable");
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(a.retryAfter)).toBeLessThanOrEqual(3600);
    }
    expect((await emulator.stats("discord")).refresh).toBeLessThanOrEqual(2);
    expect((await emulator.stats("discord")).refresh).toBeGreaterThanOrEqual(1);
  });

  it("30 concurrent calls over two processes on a failing provider: one provider call, every answer 503 with Retry-After", async () => {
    await seedConnection(sql, { userId: user.id, provider: "twitter", account: "bo-concurrent", expiresIn: -30 });
    await emulator.fault({ provider: "twitter", mode: "server_error" });
    const responses = await Promise.all(Array.from({ length: 30 }, () => getToken("twitter")));
    for (const res of responses) {
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      await res.text();
    }
    expect((await emulator.stats("twitter")).refresh).toBe(1);
  });

  it("the Retry-After of a call in backoff counts down to the row's next attempt, and the server caller is held to it too", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "twitch", account: "bo-next", expiresIn: -30 });
    await sql`update public.platform_connections set consecutive_failures = 3, last_sync_status = 'transient',
      next_attempt_at = now() + interval '120 seconds' where id = ${seeded.id}`;
    const res = await getToken("twitch");
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(100);
    expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(120);
    const server = await getToken("twitch", serviceKey, { user_id: user.id });
    expect(server.status).toBe(503);
    expect((await emulator.stats("twitch")).refresh).toBe(0);
  });

  it("a rate-limited connection waits out the provider's Retry-After without calling it again", async () => {
    await seedConnection(sql, { userId: user.id, provider: "reddit", account: "bo-429", expiresIn: -30 });
    await emulator.fault({ provider: "reddit", mode: "rate_limit", retry_after: 90 });
    const first = await getToken("reddit");
    expect(first.status).toBe(503);
    for (let i = 0; i < 5; i++) {
      const res = await getToken("reddit");
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(60);
      expect((await res.json()).error.message).toMatch(/rate limit/);
    }
    expect((await emulator.stats("reddit")).refresh).toBe(1);
  });

  it("Retry-After: 0 still holds the connection for a few seconds: no second provider call right away", async () => {
    await seedConnection(sql, { userId: user.id, provider: "twitch", account: "bo-zero", expiresIn: -30 });
    await emulator.fault({ provider: "twitch", mode: "rate_limit", retry_after: 0 });
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const res = await getToken("twitch");
      answers.push({ status: res.status, retryAfter: Number(res.headers.get("retry-after")) });
      await res.text();
    }
    expect(answers.every((a) => a.status === 503 && a.retryAfter >= 1)).toBe(true);
    expect((await emulator.stats("twitch")).refresh).toBe(1);
  });

  it("a valid token inside the refresh window is still served while the connection backs off, without a provider call", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "spotify", account: "bo-valid", expiresIn: 40 });
    await sql`update public.platform_connections set consecutive_failures = 1, last_sync_status = 'transient',
      next_attempt_at = now() + interval '10 minutes' where id = ${seeded.id}`;
    for (let i = 0; i < 5; i++) {
      const res = await getToken("spotify");
      expect(res.status).toBe(200);
      expect((await res.json()).access_token).toBe(seeded.accessToken);
    }
    expect((await emulator.stats("spotify")).refresh).toBe(0);
  });

  it("a keep-alive date in the future is not a backoff: an expired token is refreshed", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "xero", account: "bo-keepalive", expiresIn: -30, nextAttemptAt: new Date(Date.now() + 86_400_000) });
    const res = await getToken("xero");
    expect(res.status).toBe(200);
    expect((await res.json()).access_token).not.toBe(seeded.accessToken);
    expect((await emulator.stats("xero")).refresh).toBe(1);
  });

  it("once the next attempt is due, one call tries the provider again and a recovered provider ends the backoff", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "discord", account: "bo-recover", expiresIn: -30 });
    await sql`update public.platform_connections set consecutive_failures = 4, last_sync_status = 'transient',
      next_attempt_at = now() - interval '1 second' where id = ${seeded.id}`;
    const res = await getToken("discord");
    expect(res.status).toBe(200);
    const [row] = await sql`select status, consecutive_failures, next_attempt_at from public.platform_connections where id = ${seeded.id}`;
    expect(row).toMatchObject({ status: "connected", consecutive_failures: 0, next_attempt_at: null });
  });
});
