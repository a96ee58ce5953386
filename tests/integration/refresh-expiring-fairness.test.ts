/**
 * Scheduler fairness (against the stack and the strictly rotating emulator, with concurrent runs): a
 * per-connection rate limit delays only that connection while a provider-wide one pauses the provider,
 * `Retry-After: 0` does not bring the row back at once, and a row rewritten after its claim keeps the rewrite
 * and is not left leased.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";

const sql = db();
let user: { id: string; token: string };
let serviceKey: string;

beforeAll(async () => {
  await setScheduleActive(sql, false);
  user = await userToken("refresh-fairness@example.com");
  serviceKey = (await keys()).serviceRoleKey;
});
afterAll(async () => {
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  await emulator.clearFaults();
  await setScheduleActive(sql, true);
  await sql.end();
});
beforeEach(async () => {
  await sql`delete from public.platform_connections`;
  await emulator.clearFaults();
  await emulator.resetStats();
});

async function run(): Promise<Record<string, any>> {
  const res = await callFunction("refresh-expiring", { method: "POST", body: "{}", token: serviceKey });
  expect(res.status).toBe(200);
  return res.json();
}
/** Two runs at once, as two overlapping ticks would start them. */
const concurrently = () => Promise.all([run(), run()]);

const rowOf = async (id: string) =>
  (await sql`select status, last_sync_status, next_attempt_at, last_refreshed_at, lease_owner, lease_expires_at, version
    from public.platform_connections where id = ${id}`)[0]!;

describe("refresh-expiring: rate limits by scope", () => {
  it("a per-user 429 delays only that connection; a provider-wide one pauses the provider", async () => {
    // Google's per-user limit (403 "User-rate limit exceeded") on one account; it is the most urgent row, so
    // it is the provider's first call of the run, as in the worst case.
    const limited = await seedConnection(sql, { userId: user.id, provider: "gmail", account: "busy-user", expiresIn: 10 });
    const others = await Promise.all([1, 2, 3].map((i) => seedConnection(sql, { userId: user.id, provider: "gmail", account: `quiet-${i}`, expiresIn: 40 })));
    await emulator.fault({ provider: "gmail", mode: "rate_limit", account: "busy-user" });
    const first = await concurrently();
    expect(first.flatMap((s) => s.paused_providers)).not.toContain("gmail");
    expect(first.reduce((n, s) => n + s.refreshed, 0)).toBe(3);
    for (const o of others) expect(await rowOf(o.id)).toMatchObject({ status: "connected", lease_owner: null });
    for (const o of others) expect((await rowOf(o.id)).last_refreshed_at).not.toBeNull();
    const busy = await rowOf(limited.id);
    expect(busy).toMatchObject({ status: "connected", last_sync_status: "rate_limited", lease_owner: null, last_refreshed_at: null });
    expect(busy.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 25_000);
    expect(await emulator.stats("gmail")).toMatchObject({ refresh: 4, refresh_ok: 3 });

    // The project's quota (429 RESOURCE_EXHAUSTED) is every user's: the provider waits.
    await emulator.clearFaults();
    await emulator.resetStats();
    const shared = await Promise.all([1, 2, 3, 4].map((i) => seedConnection(sql, { userId: user.id, provider: "gmail", account: `shared-${i}`, expiresIn: 20 })));
    await emulator.fault({ provider: "gmail", mode: "rate_limit", scope: "global", retry_after: 120 });
    const second = await concurrently();
    expect(second.flatMap((s) => s.paused_providers)).toContain("gmail");
    expect(second.reduce((n, s) => n + s.refreshed, 0)).toBe(0);
    // Each run's slow start spends one call before it learns the provider is saturated.
    expect((await emulator.stats("gmail")).refresh).toBeLessThanOrEqual(2);
    for (const s of shared) {
      const row = await rowOf(s.id);
      expect(row).toMatchObject({ status: "connected", lease_owner: null });
      expect(row.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 100_000);
    }
    // The per-user limited row is not touched again before its own wait is over.
    expect((await rowOf(limited.id)).next_attempt_at.getTime()).toBe(busy.next_attempt_at.getTime());
  });
});

describe("refresh-expiring: Retry-After: 0", () => {
  it("does not let the same row be claimed again at once", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "spotify", account: "zero-wait", expiresIn: 30 });
    await emulator.fault({ provider: "spotify", mode: "rate_limit", retry_after: 0 });
    const before = Date.now();
    const first = await concurrently();
    expect(first.reduce((n, s) => n + s.claimed, 0)).toBe(1);
    const again = await concurrently();
    expect(again.reduce((n, s) => n + s.claimed, 0)).toBe(0);
    expect((await emulator.stats("spotify")).refresh).toBe(1);
    const row = await rowOf(seeded.id);
    expect(row).toMatchObject({ status: "connected", last_sync_status: "rate_limited", lease_owner: null });
    expect(row.next_attempt_at.getTime()).toBeGreaterThanOrEqual(before + 29_000);
  });
});

describe("refresh-expiring: a row rewritten after its claim", () => {
  it("loses the save's compare-and-set: the rewrite stands and the row is given back at once", async () => {
    // A row that did not wait in the queue keeps its claim's lease through the provider call (no renewal), so
    // the run refreshes with the row as claimed; another writer rewriting it meanwhile (here a status change,
    // which bumps the version) must still win.
    const rewritten = await seedConnection(sql, { userId: user.id, provider: "discord", account: "rewritten", expiresIn: 20 });
    const others = await Promise.all([1, 2].map((i) => seedConnection(sql, { userId: user.id, provider: "spotify", account: `steady-${i}`, expiresIn: 40 })));
    const [{ version: before, access_token: accessBefore }] =
      await sql`select version, access_token from public.platform_connections where id = ${rewritten.id}` as unknown as [{ version: string; access_token: string }];
    // The provider processes the refresh at once and answers 3 s later: time for the rewrite to land.
    await emulator.fault({ provider: "discord", mode: "slow_response", delay_ms: 3_000, count: 1 });
    const runs = concurrently();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await emulator.stats("discord")).refresh < 1) await new Promise((r) => setTimeout(r, 50));
    expect((await emulator.stats("discord")).refresh).toBe(1);
    await sql`update public.platform_connections set status = 'token_expired' where id = ${rewritten.id}`;
    const first = await runs;
    expect(first.reduce((n, s) => n + s.skipped, 0)).toBe(1);
    expect(first.reduce((n, s) => n + s.refreshed, 0)).toBe(2);
    for (const o of others) expect((await rowOf(o.id)).status).toBe("connected");
    const row = await rowOf(rewritten.id);
    expect(row).toMatchObject({ status: "token_expired", lease_owner: null, lease_expires_at: null, last_refreshed_at: null });
    expect(BigInt(row.version)).toBe(BigInt(before) + 1n);
    const [{ access_token: accessAfter }] =
      await sql`select access_token from public.platform_connections where id = ${rewritten.id}` as unknown as [{ access_token: string }];
    expect(accessAfter).toBe(accessBefore);
  });
});
