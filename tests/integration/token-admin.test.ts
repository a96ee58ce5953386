/**
 * token-admin against the real stack and the rotating emulator: who may call it (service key, admin JWT,
 * never a plain user), hostile input, listing without tokens, refresh now through the lease, and a bulk
 * refresh of 1,000 connections that keeps each provider's concurrency limit.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadKeys, signUserToken } from "../../scripts/stack/keys.ts";
import { LOG_DIR } from "../../scripts/stack/paths.ts";
import { ensureUser } from "../../scripts/stack/users.ts";
import { createClient } from "@supabase/supabase-js";
import { API_URL, callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";

const sql = db();
let user: { id: string; token: string };
let admin: string;
let serviceKey: string;
const bodies: string[] = [];

async function adminToken(email: string) {
  const u = await ensureUser(email, { admin: true });
  return signUserToken(await loadKeys(), u);
}

async function call(route: string, init: RequestInit & { token?: string } = {}) {
  const res = await callFunction(`token-admin/${route}`, { token: admin, ...init });
  const text = await res.text();
  bodies.push(text);
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}
const post = (route: string, body: unknown, token?: string) =>
  call(route, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), ...(token ? { token } : {}) });

beforeAll(async () => {
  await setScheduleActive(sql, false);
  user = await userToken("token-admin-user@example.com");
  admin = await adminToken("token-admin-admin@example.com");
  serviceKey = (await keys()).serviceRoleKey;
});
afterAll(async () => {
  await emulator.config({ latency_ms: 0 });
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  await setScheduleActive(sql, true);
  await sql.end();
});
beforeEach(async () => {
  // Files run one at a time: this file owns the table while it runs.
  await sql`delete from public.platform_connections`;
  await emulator.clearFaults();
  await emulator.config({ latency_ms: 0 });
  await emulator.resetStats();
});

describe("who may call token-admin", () => {
  it("a plain user gets 403, no credentials 401; the admin JWT and the service key 200", async () => {
    const plain = await call("connections", { token: user.token });
    expect(plain.status).toBe(403);
    expect(plain.body.error.code).toBe("forbidden");
    const none = await fetch(`${(await import("../helpers/stack.ts")).FUNCTIONS_URL}/token-admin/connections`);
    expect(none.status).toBe(401);
    for (const t of [(await keys()).anonKey, "sb_secret_forged", "not.a.jwt"]) expect((await call("connections", { token: t })).status).toBe(401);
    expect((await call("connections")).status).toBe(200);
    expect((await call("connections", { token: serviceKey })).status).toBe(200);
  });

  it("a user who only claims admin in user_metadata, or whose admin flag was cleared, is refused", async () => {
    const u = await ensureUser("token-admin-forged@example.com", { admin: false });
    const keysNow = await loadKeys();
    const forged = await signUserToken(keysNow, { ...u, app_metadata: { provider_tokens_admin: "true" } });
    expect((await call("runs", { token: forged })).status).toBe(403);
    const cleared = await signUserToken(keysNow, u);
    expect((await call("runs", { token: cleared })).status).toBe(403);
  });

  it("token-health accepts the admin JWT and still refuses a plain user", async () => {
    expect((await callFunction("token-health", { token: admin })).status).toBe(200);
    const plain = await callFunction("token-health", { token: user.token });
    expect(plain.status).toBe(403);
    expect((await plain.json()).error.code).toBe("forbidden");
  });
});

describe("hostile input", () => {
  it("unknown routes 404, wrong methods 405, bad fields 400 naming the field", async () => {
    for (const r of ["nope", "connections/extra", "", "..%2F..%2Fget-token", "webhooks/not-a-uuid/test/extra"]) {
      const res = await call(r);
      expect(res.status, r).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
    const wrong = await call("refresh");
    expect(wrong.status).toBe(405);
    expect(wrong.body.error.code).toBe("method_not_allowed");
    expect((await call("connections", { method: "PUT" })).status).toBe(405);
    const cases: [string, string | undefined, RegExp][] = [
      ["connections?limit=100000", undefined, /"limit"/],
      ["connections?provider=xero%27%3B--", undefined, /"provider"/],
      ["connections?after=1%20or%201%3D1", undefined, /"after"/],
      ["runs?limit=abc", undefined, /"limit"/],
      ["activity?hours=0", undefined, /"hours"/],
      ["refresh", JSON.stringify({ connection_id: "x' or 1=1" }), /"connection_id"/],
      ["refresh", JSON.stringify({ connection_id: crypto.randomUUID(), extra: 1 }), /"extra"/],
      ["refresh", "{not json", /JSON|body/i],
      ["refresh", "[]", /object|body/i],
      ["refresh-many", JSON.stringify({}), /"provider" or "status"/],
      ["refresh-many", JSON.stringify({ provider: "nope" }), /"provider"/],
      ["refresh-many", JSON.stringify({ status: "disconnected" }), /"status"/],
    ];
    for (const [route, body, message] of cases) {
      const res = body === undefined ? await call(route) : await post(route, body);
      expect(res.status, route).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.message).toMatch(message);
    }
    const big = await post("refresh", JSON.stringify({ connection_id: "a".repeat(20_000) }));
    expect(big.status).toBe(413);
    const missing = await post("refresh", { connection_id: crypto.randomUUID() });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");
  });
});

describe("routes", () => {
  it("lists connections by provider and status, pages by id, and never shows a token", async () => {
    const seeded = await Promise.all(Array.from({ length: 5 }, (_, i) =>
      seedConnection(sql, { userId: user.id, provider: "reddit", account: `list-${i}`, expiresIn: 3600 })));
    await sql`update public.platform_connections set status = 'needs_reauth', last_sync_error = 'the grant was revoked' where id = ${seeded[0]!.id}`;
    const page1 = await call("connections?provider=reddit&limit=3");
    expect(page1.status).toBe(200);
    expect(page1.body.connections).toHaveLength(3);
    expect(page1.body.next_after).toBe(page1.body.connections[2].id);
    const page2 = await call(`connections?provider=reddit&limit=3&after=${page1.body.next_after}`);
    expect(page2.body.connections).toHaveLength(2);
    expect(page2.body.next_after).toBeNull();
    const failing = await call("connections?status=failing");
    expect(failing.body.connections.map((c: { id: string }) => c.id)).toEqual([seeded[0]!.id]);
    expect(failing.body.connections[0]).toMatchObject({ provider: "reddit", account: "list-0", status: "needs_reauth", last_error: "the grant was revoked" });
    expect(Object.keys(failing.body.connections[0]).sort()).toEqual([
      "account", "consecutive_failures", "encryption_key_id", "expires_at", "id", "last_error", "last_refreshed_at", "next_attempt_at", "provider", "status", "user_id",
    ]);
    const text = JSON.stringify([page1.body, page2.body]);
    for (const s of seeded) {
      expect(text).not.toContain(s.accessToken);
      expect(text).not.toContain(s.refreshToken!);
    }
    expect(text).not.toMatch(/v1\.[A-Za-z0-9_-]+\./);
  });

  it("refreshes one connection now through the lease: concurrent refreshes never spend a token twice", async () => {
    const s = await seedConnection(sql, { userId: user.id, provider: "discord", account: "now-1", expiresIn: 3600 });
    await emulator.config({ latency_ms: 150 });
    // Three admin refreshes and three get-token reads at once: one provider call at a time holds the lease.
    const results = await Promise.all([
      ...Array.from({ length: 3 }, () => post("refresh", { connection_id: s.id })),
      ...Array.from({ length: 3 }, () => callFunction("get-token", { method: "POST", token: user.token, body: JSON.stringify({ provider: "discord", account: "now-1" }) })),
    ]);
    const admins = results.slice(0, 3) as Awaited<ReturnType<typeof post>>[];
    for (const r of admins) {
      expect(r.status).toBe(200);
      expect(["refreshed", "skipped"]).toContain(r.body.outcome);
      expect(r.body.connection_id).toBe(s.id);
      expect(JSON.stringify(r.body)).not.toMatch(/access_token|refresh_token/);
    }
    expect(admins.some((r) => r.body.outcome === "refreshed")).toBe(true);
    for (const r of results.slice(3) as Response[]) expect(r.status).toBe(200);
    const stats = await emulator.stats("discord");
    expect(stats.refresh_ok).toBeGreaterThanOrEqual(1);
    expect(stats.refresh_rejected).toBe(0);
    expect(stats.spent_reuse).toBe(0);
    const [row] = await sql`select last_refreshed_at, status from public.platform_connections where id = ${s.id}`;
    expect(row!.last_refreshed_at).not.toBeNull();
  });

  it("reports a dead grant as needs_reauth and a disconnected connection as skipped", async () => {
    const dead = await seedConnection(sql, { userId: user.id, provider: "twitter", account: "now-dead", expiresIn: 3600 });
    await emulator.revokeAccount("twitter", "now-dead");
    const r = await post("refresh", { connection_id: dead.id });
    expect(r.body).toEqual({ connection_id: dead.id, outcome: "needs_reauth", code: "reauth_required" });
    const gone = await seedConnection(sql, { userId: user.id, provider: "twitter", account: "now-gone", expiresIn: 3600 });
    await sql`update public.platform_connections set status = 'disconnected', access_token = null, refresh_token = null where id = ${gone.id}`;
    expect((await post("refresh", { connection_id: gone.id })).body).toMatchObject({ outcome: "skipped", code: "disconnected" });
  });

  it("bulk refresh of 1,000 connections keeps each provider's concurrency limit", async () => {
    // Xero allows 5 calls in flight (the catalog); Discord gets the scheduler's per-provider 16.
    await Promise.all(Array.from({ length: 1000 }, (_, i) =>
      seedConnection(sql, { userId: user.id, provider: i % 2 ? "xero" : "discord", account: `bulk-${i}`, expiresIn: 120 + (i % 100) })));
    await emulator.config({ latency_ms: 40 });
    const started = Date.now();
    const r = await post("refresh-many", { status: "connected" });
    const ms = Date.now() - started;
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ selected: 1000, refreshed: 1000, failed: 0, needs_reauth: 0, skipped: 0 });
    const xero = await emulator.stats("xero");
    const discord = await emulator.stats("discord");
    console.log(`refresh-many: 1000 connections in ${ms} ms; max in flight xero ${xero.max_in_flight}, discord ${discord.max_in_flight}`);
    expect(xero.refresh_ok).toBe(500);
    expect(discord.refresh_ok).toBe(500);
    expect(xero.max_in_flight).toBeLessThanOrEqual(5);
    expect(xero.max_in_flight).toBeGreaterThanOrEqual(2);
    expect(discord.max_in_flight).toBeLessThanOrEqual(16);
    expect(xero.spent_reuse + discord.spent_reuse).toBe(0);
    const [counted] = await sql<{ n: number }[]>`select count(*)::int as n from public.platform_connections where last_refreshed_at is null`;
    expect(counted!.n).toBe(0);
  });

  it("refresh-many by provider takes only that provider's failing connections", async () => {
    const a = await seedConnection(sql, { userId: user.id, provider: "reddit", account: "many-a", expiresIn: 3600 });
    const b = await seedConnection(sql, { userId: user.id, provider: "reddit", account: "many-b", expiresIn: 3600 });
    await seedConnection(sql, { userId: user.id, provider: "spotify", account: "many-c", expiresIn: 3600 });
    await sql`update public.platform_connections set consecutive_failures = 2, last_sync_error = 'x' where id in ${sql([a.id, b.id])}`;
    const one = await post("refresh-many", { provider: "reddit", status: "failing", limit: 1 });
    expect(one.body).toEqual({ selected: 1, refreshed: 1, failed: 0, needs_reauth: 0, skipped: 0 });
    // The refreshed one is no longer failing: the next call takes the other.
    const r = await post("refresh-many", { provider: "reddit", status: "failing" });
    expect(r.body).toEqual({ selected: 1, refreshed: 1, failed: 0, needs_reauth: 0, skipped: 0 });
    expect((await emulator.stats("spotify")).refresh).toBe(0);
  });

  it("works from supabase-js as the README shows", async () => {
    const s = await seedConnection(sql, { userId: user.id, provider: "reddit", account: "js-1", expiresIn: 3600 });
    await sql`update public.platform_connections set status = 'needs_reauth' where id = ${s.id}`;
    const supabase = createClient(API_URL, (await keys()).anonKey, {
      global: { headers: { Authorization: `Bearer ${admin}` } }, auth: { persistSession: false, autoRefreshToken: false },
    });
    const { data: failing, error } = await supabase.functions.invoke("token-admin/connections?status=needs_reauth", { method: "GET" });
    expect(error).toBeNull();
    expect(failing.connections.map((c: { id: string }) => c.id)).toEqual([s.id]);
    await sql`update public.platform_connections set status = 'connected' where id = ${s.id}`;
    const { data: result } = await supabase.functions.invoke("token-admin/refresh", { body: { connection_id: s.id } });
    expect(result).toEqual({ connection_id: s.id, outcome: "refreshed" });
  });

  it("shows the runs, pg_cron's runs and the hourly activity", async () => {
    await seedConnection(sql, { userId: user.id, provider: "reddit", account: "runs-1", expiresIn: 30 });
    const run = await callFunction("refresh-expiring", { method: "POST", body: "{}", token: serviceKey });
    expect(run.status).toBe(200);
    const runs = await call("runs?limit=5");
    expect(runs.status).toBe(200);
    expect(runs.body.runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.body.runs[0]).toMatchObject({ refreshed: 1, claimed: 1, stopped_by: "drained" });
    expect(Array.isArray(runs.body.cron)).toBe(true);
    const act = await call("activity?hours=24");
    expect(act.body.buckets).toHaveLength(24);
    expect(act.body.buckets.at(-1).refreshed).toBeGreaterThanOrEqual(1);
    expect(Date.parse(act.body.buckets.at(-1).hour)).toBeLessThanOrEqual(Date.now());
  });

  it("no token and no raw user id in any answer or log line", async () => {
    const issued = await emulator.issued("discord");
    const secrets = [...issued.access_tokens, ...issued.refresh_tokens].slice(-200);
    const logs = existsSync(LOG_DIR) ? files(LOG_DIR).map((f) => readFileSync(f, "utf8")) : [];
    for (const secret of secrets) {
      for (const b of bodies) expect(b.includes(secret)).toBe(false);
      for (const text of logs) expect(text.includes(secret)).toBe(false);
    }
    for (const text of logs) expect(text.includes(user.id)).toBe(false);
  });
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
