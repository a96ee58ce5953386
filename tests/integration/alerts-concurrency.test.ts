/** The delivery core, run directly against the stack's database: attempts in flight stay within the bound. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { deliverWebhooks, DEFAULT_DELIVER_OPTIONS } from "../../packages/shared/src/alerts/deliver-webhooks.ts";
import { createLogger } from "../../packages/shared/src/log/logger.ts";
import { db } from "../helpers/stack.ts";
import { functionKeyRing } from "../helpers/connections.ts";
import { addEndpoint, resetAlerts, startReceiver, setDeliveryScheduleActive } from "./alerts-support.ts";

const sql = db();
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  await setDeliveryScheduleActive(sql, false);
  await resetAlerts(sql);
  receiver = await startReceiver();
});
afterAll(async () => {
  await resetAlerts(sql);
  await setDeliveryScheduleActive(sql, true);
  await receiver.close();
  await sql.end();
});

it("delivers 12 events to slow receivers with at most `concurrency` requests in flight; two runs at once never send one twice", async () => {
  await addEndpoint(sql, { url: receiver.url("/a") });
  await addEndpoint(sql, { url: receiver.url("/b") });
  for (let i = 0; i < 6; i++) receiver.plan.push({ status: 200, delayMs: 200 }, { status: 200, delayMs: 200 });
  for (let i = 0; i < 6; i++) await sql`select provider_tokens.emit_webhook_event('provider.recovered', ${sql.json({ provider: "xero", n: i })})`;
  const lines: string[] = [];
  const deps = { sql, ring: await functionKeyRing(), logger: createLogger("test", (l) => lines.push(l)) };
  const opts = { ...DEFAULT_DELIVER_OPTIONS, concurrency: 3 };
  expect(await deliverWebhooks(deps, opts)).toMatchObject({ claimed: 12, delivered: 12 });
  expect(receiver.received).toHaveLength(12);
  expect(receiver.load.max).toBe(3);

  // Two runs at once split the work: each delivery goes out once.
  receiver.received.length = 0;
  for (let i = 0; i < 6; i++) await sql`select provider_tokens.emit_webhook_event('provider.recovered', ${sql.json({ provider: "xero", n: 10 + i })})`;
  const [a, b] = await Promise.all([deliverWebhooks(deps, opts), deliverWebhooks(deps, opts)]);
  expect(a.claimed + b.claimed).toBe(12);
  expect(a.delivered + b.delivered).toBe(12);
  expect(new Set(receiver.received.map((r) => `${r.path} ${r.headers["webhook-id"]}`)).size).toBe(12);
  expect(receiver.received).toHaveLength(12);
  const one = await deliverWebhooks(deps, { ...opts, concurrency: 1 });
  expect(one.claimed).toBe(0);
  expect(lines).toEqual([]);
});

it("once a run disables an endpoint it sends nothing more to it, not even what it had claimed", async () => {
  await resetAlerts(sql);
  receiver.received.length = 0;
  receiver.plan.length = 0;
  const { endpoint } = await addEndpoint(sql, { url: receiver.url("/failing") });
  await sql`update public.webhook_endpoints set failing_since = now() - interval '4 days' where id = ${endpoint.id}`;
  receiver.plan.push({ status: 503 }, { status: 200 });
  for (let i = 0; i < 2; i++) await sql`select provider_tokens.emit_webhook_event('provider.recovered', ${sql.json({ provider: "xero", n: i })})`;
  const lines: string[] = [];
  const deps = { sql, ring: await functionKeyRing(), logger: createLogger("test", (l) => lines.push(l)) };
  expect(await deliverWebhooks(deps, { ...DEFAULT_DELIVER_OPTIONS, concurrency: 1 })).toMatchObject({ claimed: 2, delivered: 0, disabled: 1 });
  expect(receiver.received).toHaveLength(1);
  expect((await sql`select status from public.webhook_deliveries`).map((d) => d.status)).toEqual(["dead", "dead"]);
  expect(lines.filter((l) => l.includes('"event":"webhook_endpoint_disabled"'))).toHaveLength(1);
});
