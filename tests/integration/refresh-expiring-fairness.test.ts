/**
 * Scheduler fairness (against the stack and the strictly rotating emulator, with concurrent runs): a
 * per-connection rate limit delays only that connection while a provider-wide one pauses the provider,
 * `Retry-After: 0` does not bring the row back at once, and a lease renewed on a row that changed is given
 * back instead of blocking the row.
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
  await sql`drop trigger if exists aaa_test_rewrite_on_renew on public.platform_connections`;
  await sql`drop function if exists public.test_rewrite_on_renew()`;
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

describe("refresh-expiring: a renewed lease on a row that changed", () => {
  it("is given back at once, so the next run refreshes the row instead of waiting out the lease", async () => {
    // Simulates another writer (a reconnect) rewriting the row between the claim and the lease renewal: when
    // the run renews its lease on the marked row, the status changes, which bumps the row's version.
    await sql.unsafe(`
      create or replace function public.test_rewrite_on_renew() returns trigger language plpgsql set search_path = '' as $$
      begin
        if old.lease_owner is not null and new.lease_owner = old.lease_owner
          and new.lease_expires_at is distinct from old.lease_expires_at and old.metadata ? 'test_rewrite_on_renew' then
          new.metadata := new.metadata - 'test_rewrite_on_renew';
          new.status := 'token_expired';
        end if;
        return new;
      end $$;
      create trigger aaa_test_rewrite_on_renew before update on public.platform_connections
        for each row execute function public.test_rewrite_on_renew();`);
    try {
      const rewritten = await seedConnection(sql, { userId: user.id, provider: "discord", account: "rewritten", expiresIn: 20, metadata: { test_rewrite_on_renew: true } });
      const others = await Promise.all([1, 2].map((i) => seedConnection(sql, { userId: user.id, provider: "discord", account: `steady-${i}`, expiresIn: 40 })));
      const [{ version: before }] = await sql`select version from public.platform_connections where id = ${rewritten.id}` as unknown as [{ version: string }];
      const first = await concurrently();
      const refreshed = (runs: Record<string, any>[]) => runs.reduce((n, s) => n + s.refreshed, 0);
      expect(first.reduce((n, s) => n + s.skipped, 0)).toBe(1);
      for (const o of others) expect((await rowOf(o.id)).status).toBe("connected");
      if (refreshed(first) === 3) {
        // The other run of the pair came to the row after it was given back, and refreshed it then: with a
        // kept lease it could not have.
        expect(await rowOf(rewritten.id)).toMatchObject({ status: "connected", lease_owner: null });
      } else {
        expect(refreshed(first)).toBe(2);
        const row = await rowOf(rewritten.id);
        expect(row).toMatchObject({ status: "token_expired", lease_owner: null, lease_expires_at: null, last_refreshed_at: null });
        expect(BigInt(row.version)).toBe(BigInt(before) + 1n);
        // Nothing holds the row: the very next runs refresh it (with a kept lease it would wait 15 s here).
        const second = await concurrently();
        expect(refreshed(second)).toBe(1);
        expect(await rowOf(rewritten.id)).toMatchObject({ status: "connected", lease_owner: null });
      }
      expect(await emulator.stats("discord")).toMatchObject({ refresh_ok: 3, refresh_rejected: 0 });
    } finally {
      await sql`drop trigger if exists aaa_test_rewrite_on_renew on public.platform_connections`;
      await sql`drop function if exists public.test_rewrite_on_renew()`;
    }
  });
});
