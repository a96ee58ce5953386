import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { API_URL, callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";

const sql = db();
let user: { id: string; token: string };
let serviceKey: string;

beforeAll(async () => {
  await setScheduleActive(sql, false);
  user = await userToken("refresh-expiring@example.com");
  serviceKey = (await keys()).serviceRoleKey;
});
afterAll(async () => {
  await setScheduleActive(sql, true);
  await sql.end();
});
beforeEach(async () => {
  // Files run one at a time: this file owns the table while it runs.
  await sql`delete from public.platform_connections`;
  await emulator.clearFaults();
  await emulator.resetStats();
});

async function run(): Promise<Record<string, any>> {
  const res = await callFunction("refresh-expiring", { method: "POST", body: "{}", token: serviceKey });
  expect(res.status).toBe(200);
  return res.json();
}

const statusOf = async (id: string) => (await sql`select status, consecutive_failures, next_attempt_at, version from public.platform_connections where id = ${id}`)[0]!;

describe("refresh-expiring: access", () => {
  it("takes only the service role key, and only an empty JSON object", async () => {
    expect((await callFunction("refresh-expiring", { method: "POST", body: "{}" })).status).toBe(401);
    expect((await callFunction("refresh-expiring", { method: "POST", body: "{}", token: user.token })).status).toBe(401);
    expect((await callFunction("refresh-expiring", { method: "POST", body: "{}", token: (await keys()).anonKey })).status).toBe(401);
    const extra = await callFunction("refresh-expiring", { method: "POST", body: '{"batch":1000000}', token: serviceKey });
    expect(extra.status).toBe(400);
    const bad = await callFunction("refresh-expiring", { method: "POST", body: "{", token: serviceKey });
    expect(bad.status).toBe(400);
    const big = await callFunction("refresh-expiring", { method: "POST", body: JSON.stringify({ x: "y".repeat(5000) }), token: serviceKey });
    expect(big.status).toBe(413);
    expect((await callFunction("refresh-expiring", { method: "GET", token: serviceKey })).status).toBe(405);
  });

  it("answers the contract's summary", async () => {
    const s = await run();
    for (const k of ["claimed", "refreshed", "validated", "failed", "needs_reauth", "skipped", "duration_ms", "cpu_ms"]) expect(typeof s[k]).toBe("number");
  });
});

describe("refresh-expiring: scheduling", () => {
  it("refreshes what is due across providers and leaves the rest alone", async () => {
    const due = await Promise.all(["discord", "google_calendar", "quickbooks", "microsoft", "linkedin"].map((p, i) =>
      seedConnection(sql, { userId: user.id, provider: p, account: `due-${i}`, expiresIn: 60, metadata: p === "microsoft" ? { tenant: "common" } : {} })));
    const later = await seedConnection(sql, { userId: user.id, provider: "spotify", account: "later", expiresIn: 3600 });
    const s = await run();
    expect(s).toMatchObject({ claimed: 5, refreshed: 5, failed: 0, needs_reauth: 0 });
    for (const d of due) expect((await statusOf(d.id)).status).toBe("connected");
    const rows = await sql`select id, last_refreshed_at from public.platform_connections`;
    expect(rows.filter((r) => r.last_refreshed_at !== null).map((r) => r.id).sort()).toEqual(due.map((d) => d.id).sort());
    expect(rows.find((r) => r.id === later.id)!.last_refreshed_at).toBeNull();
    expect((await run()).claimed).toBe(0);
  });

  it("a provider-wide invalid_client leaves every user connected and reports the provider broken", async () => {
    const rows = await Promise.all([1, 2, 3].map((i) => seedConnection(sql, { userId: user.id, provider: "spotify", account: `s-${i}`, expiresIn: -5 })));
    const other = await seedConnection(sql, { userId: user.id, provider: "twitch", account: "t-1", expiresIn: 30 });
    await emulator.fault({ provider: "spotify", mode: "invalid_client" });
    const s = await run();
    expect(s.broken_providers).toEqual(["spotify"]);
    expect(s.needs_reauth).toBe(0);
    expect(s.refreshed).toBe(1);
    for (const r of rows) expect((await statusOf(r.id)).status).not.toBe("needs_reauth");
    expect((await statusOf(other.id)).status).toBe("connected");
    // One call told us the credentials are bad; the rest of the provider's rows were not tried.
    expect((await emulator.stats("spotify")).refresh).toBeLessThanOrEqual(2);
    const health = await (await callFunction("token-health", { token: serviceKey })).json();
    expect(health.providers.spotify.client_misconfigured).toBe(true);
    expect(health.providers.spotify.connections.needs_reauth).toBe(0);
  });

  it("one provider's 429 pauses that provider only", async () => {
    const discord = await Promise.all([1, 2, 3, 4].map((i) => seedConnection(sql, { userId: user.id, provider: "discord", account: `d-${i}`, expiresIn: 30 })));
    const xero = await Promise.all([1, 2].map((i) => seedConnection(sql, { userId: user.id, provider: "xero", account: `x-${i}`, expiresIn: 30 })));
    await emulator.fault({ provider: "discord", mode: "rate_limit", retry_after: 120 });
    const s = await run();
    expect(s.paused_providers).toEqual(["discord"]);
    expect(s.refreshed).toBe(2);
    for (const x of xero) expect((await statusOf(x.id)).status).toBe("connected");
    for (const d of discord) {
      const row = await statusOf(d.id);
      expect(row.status).toBe("connected");
      expect(row.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 100_000);
    }
    expect((await emulator.stats("discord")).refresh).toBeLessThan(4);
  });

  it("a 5xx storm opens the provider's circuit; nobody is sent to reconnect", async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => seedConnection(sql, { userId: user.id, provider: "twitch", account: `storm-${i}`, expiresIn: -5 })));
    await emulator.fault({ provider: "twitch", mode: "server_error" });
    const s = await run();
    expect(s.broken_providers).toContain("twitch");
    expect(s.needs_reauth).toBe(0);
    expect((await emulator.stats("twitch")).refresh).toBeLessThan(12);
    const statuses = await sql`select distinct status from public.platform_connections where provider = 'twitch'`;
    expect(statuses.map((r) => r.status)).toEqual(["token_expired"]);
  });

  it("a 10-minute outage (simulated clock) flips nobody to needs_reauth, and recovery refreshes everyone", async () => {
    const rows = await Promise.all(Array.from({ length: 6 }, (_, i) => seedConnection(sql, { userId: user.id, provider: "etsy", account: `o-${i}`, expiresIn: 30 })));
    await emulator.fault({ provider: "etsy", mode: "server_error" });
    // Ten one-minute ticks of outage: each tick, whatever is due is tried and backs off.
    for (let minute = 0; minute < 10; minute++) {
      const s = await run();
      expect(s.needs_reauth).toBe(0);
      await sql`update public.platform_connections set next_attempt_at = now() - interval '1 second' where provider = 'etsy' and next_attempt_at is not null`;
    }
    const during = await sql`select status, consecutive_failures from public.platform_connections where provider = 'etsy'`;
    expect(during.every((r) => r.status !== "needs_reauth")).toBe(true);
    expect(Math.max(...during.map((r) => r.consecutive_failures))).toBeGreaterThan(0);
    await emulator.clearFaults();
    const s = await run();
    expect(s.refreshed).toBe(6);
    for (const r of rows) expect(await statusOf(r.id)).toMatchObject({ status: "connected", consecutive_failures: 0, next_attempt_at: null });
  });

  it("keeps an idle refresh token alive when the access token outlives the keep-alive date (Xero, 60-day idle)", async () => {
    await emulator.config({ provider: "xero", access_token_ttl: 90 * 86_400 });
    try {
      const row = await seedConnection(sql, { userId: user.id, provider: "xero", account: "keepalive", expiresIn: 30 });
      expect((await run()).refreshed).toBe(1);
      const [r] = await sql`select token_expires_at, next_attempt_at from public.platform_connections where id = ${row.id}`;
      expect(r!.token_expires_at.getTime()).toBeGreaterThan(Date.now() + 80 * 86_400_000);
      const days = (r!.next_attempt_at.getTime() - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(6.9);
      expect(days).toBeLessThan(7.1);
    } finally {
      await emulator.config({ provider: "xero", access_token_ttl: 3600 });
    }
  });

  it("validates tokens that never expire on their own cadence, and flags a revoked one", async () => {
    const shop = await seedConnection(sql, {
      userId: user.id, provider: "shopify", account: "v1.myshopify.com", expiresIn: null, withRefreshToken: false,
      metadata: { shop: "v1.myshopify.com" }, nextAttemptAt: new Date(Date.now() - 1000),
    });
    const s = await run();
    expect(s.validated).toBe(1);
    const after = await statusOf(shop.id);
    expect(after.status).toBe("connected");
    expect(after.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 3_600_000);
    expect((await run()).validated).toBe(0);
    await emulator.revokeAccount("shopify", "v1.myshopify.com");
    await sql`update public.platform_connections set next_attempt_at = now() - interval '1 second' where id = ${shop.id}`;
    const s2 = await run();
    expect(s2.needs_reauth).toBe(1);
    expect((await statusOf(shop.id)).status).toBe("needs_reauth");
  });
});

describe("refresh-expiring: crash recovery", () => {
  it("a get-token process killed by SIGKILL mid-refresh: the lease expires, the next run completes, nothing is lost", async () => {
    const seeded = await seedConnection(sql, { userId: user.id, provider: "discord", account: "crash", expiresIn: -5 });
    await emulator.fault({ provider: "discord", mode: "slow", delay_ms: 4_000, count: 2 });
    const pending = callFunction("get-token", { method: "POST", body: '{"provider":"discord"}', token: user.token }).catch(() => null);
    const deadline = Date.now() + 5_000;
    while ((await emulator.stats("discord")).in_flight === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const [leased] = await sql`select lease_owner, lease_expires_at from public.platform_connections where id = ${seeded.id}`;
    expect(leased!.lease_owner).not.toBeNull();
    const status = await (await fetch(`${API_URL}/_stack/status`)).json();
    for (const w of status.functions.find((f: { name: string }) => f.name === "get-token").workers) process.kill(w.pid, "SIGKILL");
    const answer = await pending;
    expect(answer === null || answer.status >= 500).toBe(true);
    // While the dead process's lease lives, nobody else refreshes.
    expect((await run()).claimed).toBe(0);
    await new Promise((r) => setTimeout(r, Math.max(0, leased!.lease_expires_at.getTime() - Date.now()) + 500));
    await emulator.clearFaults();
    const s = await run();
    expect(s).toMatchObject({ claimed: 1, refreshed: 1 });
    const stats = await emulator.stats("discord");
    expect(stats.refresh_ok).toBe(1);
    expect(stats.refresh_rejected).toBe(0);
    expect(await statusOf(seeded.id)).toMatchObject({ status: "connected" });
    const res = await callFunction("get-token", { method: "POST", body: '{"provider":"discord"}', token: user.token });
    expect(res.status).toBe(200);
  }, 60_000);
});

describe("the schedule", () => {
  it("pg_cron alone refreshes a connection nobody reads, one run per partition through net.http_post and Vault", async () => {
    const [job] = await sql`select schedule, command from cron.job where jobname = 'refresh-expiring-tokens'`;
    expect(job!.schedule).toBe("* * * * *");
    expect(job!.command).toBe("select provider_tokens.request_refresh_runs()");
    const [{ partitions }] = await sql`select provider_tokens.refresh_partitions() as partitions` as unknown as [{ partitions: number }];
    const since = new Date();
    const seeded = await seedConnection(sql, { userId: user.id, provider: "quickbooks", account: "realm-cron", expiresIn: 90 });
    await setScheduleActive(sql, true);
    try {
      const deadline = Date.now() + 75_000;
      let row = await statusOf(seeded.id);
      while (Date.now() < deadline) {
        const [r] = await sql`select last_refreshed_at from public.platform_connections where id = ${seeded.id}`;
        if (r!.last_refreshed_at) break;
        await new Promise((res) => setTimeout(res, 1000));
      }
      row = await statusOf(seeded.id);
      const [r] = await sql`select last_refreshed_at, token_expires_at from public.platform_connections where id = ${seeded.id}`;
      expect(r!.last_refreshed_at).not.toBeNull();
      expect(r!.token_expires_at.getTime()).toBeGreaterThan(Date.now() + 1800_000);
      expect(row.status).toBe("connected");
      // The tick started one run per partition; each answered pg_net at once (202) and recorded its summary.
      let runs: Record<string, any>[] = [];
      while (Date.now() < deadline + 10_000) {
        runs = await sql`select partition, partitions, trigger, finished_at, cpu_ms from public.refresh_runs
          where started_at >= ${since} and trigger = 'schedule' order by started_at, partition`;
        if (runs.length >= partitions && runs.slice(0, partitions).every((r) => r.finished_at !== null)) break;
        await new Promise((res) => setTimeout(res, 500));
      }
      const tick = runs.slice(0, partitions);
      expect(tick.map((r) => r.partition).sort()).toEqual(Array.from({ length: partitions }, (_, i) => i));
      expect(tick.every((r) => r.partitions === partitions && r.finished_at !== null && r.cpu_ms >= 0)).toBe(true);
      const calls = await sql`select status_code from net._http_response order by created desc limit ${partitions}`;
      expect(calls.map((c) => c.status_code)).toEqual(Array(partitions).fill(202));
    } finally {
      await setScheduleActive(sql, false);
    }
  }, 90_000);
});
