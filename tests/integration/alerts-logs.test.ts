/**
 * deliver-webhooks: only the service role key gets in, hostile bodies are refused, and its logs carry neither
 * an endpoint's secret nor its URL (a Slack URL is itself a credential), while a disabled endpoint is reported.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { LOG_DIR } from "../../scripts/stack/paths.ts";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { seedConnection } from "../helpers/connections.ts";
import { addEndpoint, deliverNow, deliverUntil, resetAlerts, startReceiver, setDeliveryScheduleActive } from "./alerts-support.ts";

const sql = db();
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let user: { id: string; token: string };

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

beforeAll(async () => {
  await setDeliveryScheduleActive(sql, false);
  await resetAlerts(sql);
  receiver = await startReceiver();
  user = await userToken("alerts-logs@example.com");
});
afterAll(async () => {
  await resetAlerts(sql);
  await setDeliveryScheduleActive(sql, true);
  await receiver.close();
  await sql.end();
});

it("takes only the service role key and an empty JSON object", async () => {
  const service = (await keys()).serviceRoleKey;
  expect((await callFunction("deliver-webhooks", { method: "POST", body: "{}" })).status).toBe(401);
  expect((await callFunction("deliver-webhooks", { method: "POST", body: "{}", token: user.token })).status).toBe(401);
  expect((await callFunction("deliver-webhooks", { method: "POST", body: "{}", token: (await keys()).anonKey })).status).toBe(401);
  const extra = await callFunction("deliver-webhooks", { method: "POST", body: '{"batch":100000}', token: service });
  expect(extra.status).toBe(400);
  expect((await extra.json()).error.code).toBe("invalid_request");
  expect((await callFunction("deliver-webhooks", { method: "POST", body: "{", token: service })).status).toBe(400);
  expect((await callFunction("deliver-webhooks", { method: "POST", body: JSON.stringify({ x: "y".repeat(5000) }), token: service })).status).toBe(413);
  expect((await callFunction("deliver-webhooks", { method: "GET", token: service })).status).toBe(405);
});

it("logs no secret and no endpoint URL, and reports a disabled endpoint", async () => {
  const since = new Date().toISOString();
  const secretPath = "/services/T0ALERTS/B0LOGS/s3cretPathPart0123456789";
  const { endpoint, secret } = await addEndpoint(sql, { url: receiver.url(secretPath), format: "slack" });
  await sql`update public.webhook_endpoints set failing_since = now() - interval '4 days' where id = ${endpoint.id}`;
  receiver.plan.push({ status: 500 });
  const c = await seedConnection(sql, { userId: user.id, provider: "github", account: "logs", expiresIn: null });
  await sql`update public.platform_connections set status = 'needs_reauth' where id = ${c.id}`;
  expect(await deliverNow()).toMatchObject({ disabled: 1 });
  await deliverUntil(() => true);
  await new Promise((r) => setTimeout(r, 300));

  const logs = files(LOG_DIR).map((f) => readFileSync(f, "utf8")).join("\n");
  const lines = logs.split("\n").filter((l) => l.includes("{") && l.slice(0, 24) >= since).map((l) => l.slice(l.indexOf("{")));
  const disabled = lines.filter((l) => l.includes('"event":"webhook_endpoint_disabled"')).map((l) => JSON.parse(l));
  expect(disabled).toHaveLength(1);
  expect(disabled[0]).toMatchObject({ level: "warn", endpoint: endpoint.id.slice(0, 8) });
  expect(String(disabled[0].reason)).toMatch(/^no successful delivery since /);
  expect(lines.some((l) => l.includes('"event":"webhook_attempt_failed"'))).toBe(true);
  expect(logs).not.toContain(secret.slice(6));
  expect(logs).not.toContain("s3cretPathPart0123456789");
  expect(logs).not.toContain(user.id);
});

// Last in the file: the 202 leaves a delivery loop running in the background, which would race the test above
// for its event.
it("answers the schedule's respond-async call with 202 at once", async () => {
  const service = (await keys()).serviceRoleKey;
  const res = await callFunction("deliver-webhooks", { method: "POST", body: "{}", token: service, headers: { prefer: "respond-async" } });
  expect(res.status).toBe(202);
  expect(res.headers.get("preference-applied")).toBe("respond-async");
});
