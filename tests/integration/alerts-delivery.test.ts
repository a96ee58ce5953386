import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { seedConnection, setScheduleActive } from "../helpers/connections.ts";
import { emulator } from "../helpers/emulator.ts";
import { addEndpoint, deliverNow, deliverUntil, resetAlerts, startReceiver, setDeliveryScheduleActive } from "./alerts-support.ts";

const sql = db();
let user: { id: string; token: string };
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  await setScheduleActive(sql, false);
  await setDeliveryScheduleActive(sql, false);
  user = await userToken("alerts-delivery@example.com");
  receiver = await startReceiver();
});
afterAll(async () => {
  await resetAlerts(sql);
  await setScheduleActive(sql, true);
  await setDeliveryScheduleActive(sql, true);
  await receiver.close();
  await sql.end();
});
beforeEach(async () => {
  await sql`delete from public.platform_connections`;
  await resetAlerts(sql);
  await emulator.clearFaults();
  receiver.received.length = 0;
  receiver.plan.length = 0;
});

async function runRefresh(): Promise<Record<string, number>> {
  const res = await callFunction("refresh-expiring", { method: "POST", body: "{}", token: (await keys()).serviceRoleKey });
  expect(res.status).toBe(200);
  return res.json();
}

const events = async (type?: string) =>
  sql<{ id: string; type: string; payload: any }[]>`select id, type, payload from public.webhook_events where ${type ?? null}::text is null or type = ${type ?? null}::text order by created_at`;

describe("alerts: connection events", () => {
  it("invalid_grant on a refresh delivers connection.needs_reauth with a valid Standard Webhooks signature", async () => {
    const { secret } = await addEndpoint(sql, { url: receiver.url() });
    const c = await seedConnection(sql, { userId: user.id, provider: "spotify", account: "reauth-1", expiresIn: 60 });
    await emulator.fault({ provider: "spotify", mode: "invalid_grant" });
    expect(await runRefresh()).toMatchObject({ needs_reauth: 1 });

    const [ev] = await events("connection.needs_reauth");
    expect(ev).toBeDefined();
    await deliverUntil(() => receiver.received.length >= 1);
    const got = receiver.received[0]!;
    const payload = new Webhook(secret).verify(got.body, got.headers) as any;
    expect(payload).toEqual(JSON.parse(got.body));
    expect(payload.type).toBe("connection.needs_reauth");
    expect(payload.data).toMatchObject({ provider: "spotify", account: "reauth-1", connection_id: c.id, reason: "reauth_required" });
    expect(Date.parse(payload.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    // The event id is the message id; the user's id is not in the body.
    expect(got.headers["webhook-id"]).toBe(ev!.id);
    expect(got.body).not.toContain(user.id);
    // A forged body fails the same verifier.
    expect(() => new Webhook(secret).verify(got.body.replace("reauth-1", "reauth-2"), got.headers)).toThrow();

    const [d] = await sql`select status, attempts, delivered_at from public.webhook_deliveries where event_id = ${ev!.id}`;
    expect(d).toMatchObject({ status: "delivered", attempts: 1 });
    // Only once: a second run of the schedule finds nothing more to send.
    expect((await deliverNow()).claimed).toBe(0);
  });

  it("refresh_failing once after three failures, recovered after the next success", async () => {
    await addEndpoint(sql, { url: receiver.url() });
    const c = await seedConnection(sql, { userId: user.id, provider: "discord", account: "flaky", expiresIn: 60 });
    await emulator.fault({ provider: "discord", mode: "server_error", count: 5 });
    for (let i = 0; i < 5; i++) {
      await sql`update public.platform_connections set next_attempt_at = now() - interval '1 second' where id = ${c.id}`;
      await runRefresh();
    }
    const [row] = await sql`select consecutive_failures from public.platform_connections where id = ${c.id}`;
    expect(row!.consecutive_failures).toBeGreaterThanOrEqual(4);
    expect((await events("connection.refresh_failing")).length).toBe(1);
    expect((await events("connection.refresh_failing"))[0]!.payload.data).toMatchObject({ provider: "discord", account: "flaky", connection_id: c.id });

    await sql`update public.platform_connections set next_attempt_at = now() - interval '1 second' where id = ${c.id}`;
    expect(await runRefresh()).toMatchObject({ refreshed: 1 });
    expect((await events("connection.recovered")).length).toBe(1);
    await deliverUntil(() => receiver.received.length >= 2);
    expect(receiver.received.map((r) => JSON.parse(r.body).type).sort()).toEqual(["connection.recovered", "connection.refresh_failing"]);
  });
});

describe("alerts: delivery", () => {
  it("a receiver answering 500 three times gets the event on the fourth attempt, every attempt recorded", async () => {
    const { endpoint } = await addEndpoint(sql, { url: receiver.url() });
    receiver.plan.push({ status: 500 }, { status: 500 }, { status: 500 });
    const c = await seedConnection(sql, { userId: user.id, provider: "github", account: "retry", expiresIn: null });
    await sql`update public.platform_connections set status = 'needs_reauth' where id = ${c.id}`;
    const [ev] = await events("connection.needs_reauth");

    await deliverUntil(async () => (await sql`select status from public.webhook_deliveries where event_id = ${ev!.id}`)[0]!.status === "delivered");
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([ev!.id, ev!.id, ev!.id, ev!.id]);
    // The test stack's schedule is 300 ms per retry (WEBHOOK_RETRY_SCHEDULE_MS), jittered by at most 10 %.
    for (let i = 1; i < 4; i++) expect(receiver.received[i]!.at - receiver.received[i - 1]!.at).toBeGreaterThanOrEqual(260);

    const [d] = await sql`select id, status, attempts, last_status_code, last_error from public.webhook_deliveries where event_id = ${ev!.id}`;
    expect(d).toMatchObject({ status: "delivered", attempts: 4, last_status_code: 200, last_error: null });
    const attempts = await sql`select status_code, error, duration_ms from public.webhook_attempts where delivery_id = ${d!.id} order by attempted_at, id`;
    expect(attempts.map((a) => a.status_code)).toEqual([500, 500, 500, 200]);
    expect(attempts.slice(0, 3).every((a) => a.error === "HTTP 500")).toBe(true);
    const [e] = await sql`select consecutive_failures, failing_since, last_success_at from public.webhook_endpoints where id = ${endpoint.id}`;
    expect(e).toMatchObject({ consecutive_failures: 0, failing_since: null });
    expect(e!.last_success_at).not.toBeNull();
  });

  it("gives up when the schedule is spent, does not follow redirects and stops waiting at the time limit", async () => {
    await addEndpoint(sql, { url: receiver.url() });
    // 5 attempts (the test schedule has 4 retries): a redirect, a slow answer, then 500s.
    receiver.plan.push({ status: 302, headers: { location: receiver.url("/elsewhere") } }, { status: 200, delayMs: 3_000 }, { status: 500 }, { status: 500 }, { status: 500 });
    const c = await seedConnection(sql, { userId: user.id, provider: "github", account: "dead", expiresIn: null });
    await sql`update public.platform_connections set status = 'needs_reauth' where id = ${c.id}`;
    await deliverUntil(async () => (await sql`select status from public.webhook_deliveries`)[0]!.status === "dead", 30_000);
    expect(receiver.received.map((r) => r.path)).toEqual(Array(5).fill("/hook"));
    const attempts = await sql`select a.status_code, a.error from public.webhook_attempts as a order by a.attempted_at, a.id`;
    expect(attempts[0]).toMatchObject({ status_code: 302, error: "HTTP 302: redirects are not followed" });
    expect(attempts[1]).toMatchObject({ status_code: null, error: "no answer within 2000 ms" });
    expect(attempts).toHaveLength(5);
  });

  it("an endpoint failing for three days is disabled with a reason, and nothing more goes to it", async () => {
    const { endpoint } = await addEndpoint(sql, { url: receiver.url() });
    await sql`update public.webhook_endpoints set failing_since = now() - interval '3 days 1 minute', consecutive_failures = 40 where id = ${endpoint.id}`;
    receiver.plan.push({ status: 503 });
    const c = await seedConnection(sql, { userId: user.id, provider: "github", account: "gone", expiresIn: null });
    await sql`update public.platform_connections set status = 'needs_reauth' where id = ${c.id}`;
    expect(await deliverNow()).toMatchObject({ claimed: 1, disabled: 1 });
    const [e] = await sql`select enabled, disabled_reason from public.webhook_endpoints where id = ${endpoint.id}`;
    expect(e!.enabled).toBe(false);
    expect(e!.disabled_reason).toMatch(/^no successful delivery since .* \(41 failed attempts in a row; last: HTTP 503\)$/);
    expect((await sql`select status from public.webhook_deliveries`)[0]!.status).toBe("dead");
    // A new event is not queued for a disabled endpoint.
    await sql`update public.platform_connections set status = 'connected', consecutive_failures = 0 where id = ${c.id}`;
    expect((await sql`select count(*)::int as n from public.webhook_deliveries`)[0]!.n).toBe(1);
    expect((await deliverNow()).claimed).toBe(0);
    expect(receiver.received).toHaveLength(1);
  });

  it("sends Slack's incoming-webhook body to a slack endpoint, signed as well", async () => {
    const { secret } = await addEndpoint(sql, { url: receiver.url("/slack"), format: "slack" });
    const c = await seedConnection(sql, { userId: user.id, provider: "twitch", account: "slacky", expiresIn: null });
    await sql`update public.platform_connections set status = 'needs_reauth' where id = ${c.id}`;
    await deliverUntil(() => receiver.received.length >= 1);
    const body = JSON.parse(receiver.received[0]!.body);
    expect(Object.keys(body).sort()).toEqual(["blocks", "text"]);
    expect(body.text).toContain("connection.needs_reauth");
    expect(body.text).toContain("twitch");
    expect(JSON.stringify(body.blocks)).toContain(c.id);
    expect(() => new Webhook(secret).verify(receiver.received[0]!.body, receiver.received[0]!.headers)).not.toThrow();
  });

  it("an endpoint's event filter limits what it gets", async () => {
    await addEndpoint(sql, { url: receiver.url("/only-recovered"), events: ["connection.recovered"] });
    const c = await seedConnection(sql, { userId: user.id, provider: "github", account: "filtered", expiresIn: null });
    await sql`update public.platform_connections set status = 'needs_reauth' where id = ${c.id}`;
    await sql`update public.platform_connections set status = 'connected' where id = ${c.id}`;
    await deliverUntil(() => receiver.received.length >= 1);
    expect((await deliverNow()).claimed).toBe(0);
    expect(receiver.received.map((r) => JSON.parse(r.body).type)).toEqual(["connection.recovered"]);
    expect((await events()).map((e) => e.type)).toEqual(["connection.needs_reauth", "connection.recovered"]);
  });
});

describe("alerts: the schedule", () => {
  it("pg_cron alone delivers through pg_net and Vault, and its run waits for a retry due seconds later", async () => {
    const [job] = await sql`select schedule, command from cron.job where jobname = 'deliver-webhooks'`;
    expect(job).toMatchObject({ schedule: "* * * * *", command: "select provider_tokens.request_webhook_delivery()" });
    const { secret } = await addEndpoint(sql, { url: receiver.url("/cron") });
    receiver.plan.push({ status: 500 });
    const c = await seedConnection(sql, { userId: user.id, provider: "github", account: "cron", expiresIn: null });
    await sql`update public.platform_connections set status = 'needs_reauth' where id = ${c.id}`;
    await setDeliveryScheduleActive(sql, true);
    try {
      const deadline = Date.now() + 80_000;
      while (receiver.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    } finally {
      await setDeliveryScheduleActive(sql, false);
    }
    expect(receiver.received).toHaveLength(2);
    // The retry (300 ms later on the test schedule) came from the same run, not from the next tick a minute on.
    expect(receiver.received[1]!.at - receiver.received[0]!.at).toBeLessThan(10_000);
    expect(() => new Webhook(secret).verify(receiver.received[1]!.body, receiver.received[1]!.headers)).not.toThrow();
    const [d] = await sql`select status, attempts from public.webhook_deliveries`;
    expect(d).toMatchObject({ status: "delivered", attempts: 2 });
  });
});

describe("alerts: provider events", () => {
  it("provider-wide invalid_client: exactly one provider.client_misconfigured, then provider.recovered; no token in any body", async () => {
    await addEndpoint(sql, { url: receiver.url() });
    const seeded = await Promise.all([0, 1, 2, 3].map((i) => seedConnection(sql, { userId: user.id, provider: "xero", account: `tenant-${i}`, expiresIn: 60 })));
    await emulator.fault({ provider: "xero", mode: "invalid_client" });
    // Concurrent runs, several times: still one event for the outage.
    await Promise.all([runRefresh(), runRefresh()]);
    for (let i = 0; i < 2; i++) {
      await sql`update public.platform_connections set next_attempt_at = now() - interval '1 second'`;
      await Promise.all([runRefresh(), runRefresh()]);
    }
    expect((await sql`select count(*)::int as n from public.platform_connections where last_sync_status = 'client_misconfigured'`)[0]!.n).toBeGreaterThanOrEqual(1);
    expect((await sql`select count(*)::int as n from public.platform_connections where status <> 'connected'`)[0]!.n).toBe(0);
    const misconfigured = await events("provider.client_misconfigured");
    expect(misconfigured).toHaveLength(1);
    expect(misconfigured[0]!.payload.data).toMatchObject({ provider: "xero", reason: "client_misconfigured" });
    expect(await events("provider.recovered")).toHaveLength(0);

    await emulator.clearFaults();
    await sql`update public.platform_connections set next_attempt_at = now() - interval '1 second'`;
    expect((await runRefresh()).refreshed).toBe(4);
    expect(await events("provider.recovered")).toHaveLength(1);
    expect(await events("provider.client_misconfigured")).toHaveLength(1);

    await deliverUntil(() => receiver.received.length >= 2);
    // Deliveries run side by side, so they may arrive in either order; each body's timestamp says which came first.
    const received = receiver.received.map((r) => JSON.parse(r.body) as { type: string; timestamp: string });
    received.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    expect(received.map((e) => e.type)).toEqual(["provider.client_misconfigured", "provider.recovered"]);
    const issued = await emulator.issued("xero");
    const tokens = [...issued.access_tokens, ...issued.refresh_tokens, ...seeded.flatMap((s) => [s.accessToken, s.refreshToken!])];
    expect(tokens.length).toBeGreaterThanOrEqual(12);
    const bodies = receiver.received.map((r) => r.body).join("\n") + JSON.stringify(await events());
    for (const t of tokens) expect(bodies).not.toContain(t);
    expect(bodies).not.toContain(user.id);
  });
});
