import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { handleAlertsAdmin, type AdminRequest } from "../../packages/shared/src/alerts/admin-routes.ts";
import { ensureEnvironmentEndpoint } from "../../packages/shared/src/alerts/environment-endpoint.ts";
import { decryptWebhookSecret, generateWebhookSecret } from "../../packages/shared/src/alerts/webhook-secret.ts";
import type { KeyRing } from "../../packages/shared/src/crypto/key-ring.ts";
import { db } from "../helpers/stack.ts";
import { functionKeyRing } from "../helpers/connections.ts";
import { resetAlerts, setDeliveryScheduleActive } from "./alerts-support.ts";

const sql = db();
let ring: KeyRing;
const call = (method: string, path: string, body?: unknown, query = "") =>
  handleAlertsAdmin(sql, { method, route: path.split("/").filter(Boolean), query: new URLSearchParams(query), body } as AdminRequest, ring);

beforeAll(async () => {
  ring = await functionKeyRing();
  await setDeliveryScheduleActive(sql, false);
});
afterAll(async () => {
  await resetAlerts(sql);
  await setDeliveryScheduleActive(sql, true);
  await sql.end();
});
beforeEach(() => resetAlerts(sql));

describe("alerts admin routes", () => {
  it("creates, lists, tests and removes an endpoint; the secret is shown once and stored encrypted", async () => {
    const created = await call("POST", "webhooks", { url: "https://hooks.example.com/a?b=1", events: ["connection.needs_reauth"] });
    expect(created!.status).toBe(201);
    const { endpoint, secret } = created!.body as any;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoint).toMatchObject({ url: "https://hooks.example.com/a?b=1", format: "standard", events: ["connection.needs_reauth"], enabled: true, disabled_reason: null, consecutive_failures: 0, last_success_at: null });
    const [row] = await sql`select secret, encryption_key_id from public.webhook_endpoints where id = ${endpoint.id}`;
    expect(row!.secret).not.toContain(secret.slice(6));
    expect(await decryptWebhookSecret(ring, endpoint.id, row!.secret)).toBe(secret);
    // Bound to its row: under another id it does not decrypt.
    await expect(decryptWebhookSecret(ring, crypto.randomUUID(), row!.secret)).rejects.toThrow();

    const list = await call("GET", "webhooks");
    expect(list).toEqual({ status: 200, body: { endpoints: [endpoint] } });
    expect(JSON.stringify(list)).not.toContain(secret.slice(6));

    const own = generateWebhookSecret();
    const slack = await call("POST", "webhooks", { url: "http://127.0.0.1:9/slack", format: "slack", secret: own });
    expect((slack!.body as any).secret).toBe(own);

    const tested = await call("POST", `webhooks/${endpoint.id}/test`, {});
    expect(tested!.status).toBe(200);
    const deliveries = await call("GET", "deliveries", undefined, `endpoint=${endpoint.id}`);
    expect((deliveries!.body as any).deliveries).toEqual([expect.objectContaining({
      id: (tested!.body as any).delivery_id, endpoint_id: endpoint.id, event_type: "webhook.test", status: "pending", attempts: 0,
    })]);
    const replayed = await call("POST", `deliveries/${(tested!.body as any).delivery_id}/replay`, {});
    expect(replayed!.status).toBe(200);
    const both = (await call("GET", "deliveries", undefined, "status=pending&limit=10"))!.body as any;
    expect(both.deliveries).toHaveLength(2);
    expect(new Set(both.deliveries.map((d: any) => d.event_id)).size).toBe(1);

    expect(await call("DELETE", `webhooks/${endpoint.id}`)).toEqual({ status: 200, body: { removed: true } });
    expect((await call("DELETE", `webhooks/${endpoint.id}`))!.status).toBe(404);
    expect(((await call("GET", "webhooks"))!.body as any).endpoints).toHaveLength(1);
    expect((await sql`select count(*)::int as n from public.webhook_deliveries`)[0]!.n).toBe(0);
  });

  it("answers 400 naming the field for hostile input, and changes nothing", async () => {
    const cases: [unknown, string][] = [
      [{ url: "javascript:alert(1)" }, "url"],
      [{ url: "ftp://example.com/" }, "url"],
      [{ url: "https://user:pw@example.com/" }, "url"],
      [{ url: "https://example.com/#frag" }, "url"],
      [{ url: "https://example.com/" + "a".repeat(3000) }, "url"],
      [{ url: 42 }, "url"],
      [{}, "url"],
      [{ url: "https://example.com/", format: "xml" }, "format"],
      [{ url: "https://example.com/", events: [] }, "events"],
      [{ url: "https://example.com/", events: ["connection.deleted"] }, "events"],
      [{ url: "https://example.com/", events: ["connection.recovered", "connection.recovered"] }, "events"],
      [{ url: "https://example.com/", events: "connection.recovered" }, "events"],
      [{ url: "https://example.com/", secret: "hunter2" }, "secret"],
      [{ url: "https://example.com/", secret: "whsec_" + btoa("x".repeat(100)) }, "secret"],
      [{ url: "https://example.com/", secret: 7 }, "secret"],
      [{ url: "https://example.com/", enabled: false }, "enabled"],
      [[1, 2], "body"],
      ["string", "body"],
    ];
    for (const [body, field] of cases) {
      const res = await call("POST", "webhooks", body);
      expect(res!.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect((res!.body as any).error.code).toBe("invalid_request");
      expect((res!.body as any).error.message).toContain(`"${field}"`);
      expect((res!.body as any).error.message).not.toContain("hunter2");
    }
    expect(((await call("GET", "webhooks"))!.body as any).endpoints).toHaveLength(0);

    for (const [path, field] of [["webhooks/not-a-uuid", "id"], ["webhooks/1'%20or%201=1/test", "id"]] as const) {
      const res = await call(path.endsWith("test") ? "POST" : "DELETE", path, {});
      expect(res!.status).toBe(400);
      expect((res!.body as any).error.message).toContain(`"${field}"`);
    }
    for (const [query, field] of [["limit=0", "limit"], ["limit=501", "limit"], ["limit=1e2", "limit"], ["status=gone", "status"], ["endpoint=x", "endpoint"], ["sort=id", "sort"]] as const) {
      const res = await call("GET", "deliveries", undefined, query);
      expect(res!.status, query).toBe(400);
      expect((res!.body as any).error.message).toContain(`"${field}"`);
    }
    expect((await call("POST", `webhooks/${crypto.randomUUID()}/test`, {}))!.status).toBe(404);
    expect((await call("POST", `deliveries/${crypto.randomUUID()}/replay`, {}))!.status).toBe(404);
    expect((await call("POST", `deliveries/${crypto.randomUUID()}/replay`, { x: 1 }))!.status).toBe(400);
    expect((await call("PUT", "webhooks"))!.status).toBe(405);
    expect((await call("GET", `webhooks/${crypto.randomUUID()}/test`))!.status).toBe(405);
    expect((await call("GET", "webhooks/a/b/c/d"))!.status).toBe(404);
    expect(await call("GET", "connections")).toBeNull();
    expect(await call("GET", "runs")).toBeNull();
  });

  it("the endpoint of WEBHOOK_URL + WEBHOOK_SECRET is upserted idempotently and gets the last day's events", async () => {
    // An event of the last day, from before the endpoint existed.
    await sql`insert into public.webhook_events (type, payload) values ('provider.recovered', '{"type":"provider.recovered","timestamp":"t","data":{"provider":"xero"}}')`;
    expect(await ensureEnvironmentEndpoint(sql, ring, {})).toBeNull();
    const secret = generateWebhookSecret();
    const env = { WEBHOOK_URL: "https://ops.example.com/hook", WEBHOOK_SECRET: secret };
    const id = await ensureEnvironmentEndpoint(sql, ring, env);
    expect(await ensureEnvironmentEndpoint(sql, ring, env)).toBe(id);
    const again = await Promise.all([ensureEnvironmentEndpoint(sql, ring, env), ensureEnvironmentEndpoint(sql, ring, env)]);
    expect(again).toEqual([id, id]);
    expect((await sql`select count(*)::int as n from public.webhook_endpoints`)[0]!.n).toBe(1);
    expect((await sql`select count(*)::int as n from public.webhook_deliveries where endpoint_id = ${id}`)[0]!.n).toBe(1);

    await sql`update public.webhook_endpoints set enabled = false, disabled_reason = 'test' where id = ${id}`;
    expect(await ensureEnvironmentEndpoint(sql, ring, env)).toBe(id);
    expect((await sql`select enabled from public.webhook_endpoints`)[0]!.enabled).toBe(false);
    const rotated = generateWebhookSecret();
    expect(await ensureEnvironmentEndpoint(sql, ring, { ...env, WEBHOOK_SECRET: rotated, WEBHOOK_FORMAT: "slack" })).toBe(id);
    const [row] = await sql`select enabled, format, secret from public.webhook_endpoints where id = ${id}`;
    expect(row).toMatchObject({ enabled: true, format: "slack" });
    expect(await decryptWebhookSecret(ring, id!, row!.secret)).toBe(rotated);

    await expect(ensureEnvironmentEndpoint(sql, ring, { WEBHOOK_URL: "https://ops.example.com/hook" })).rejects.toThrow(/WEBHOOK_SECRET/);
    await expect(ensureEnvironmentEndpoint(sql, ring, { WEBHOOK_URL: "nope", WEBHOOK_SECRET: secret })).rejects.toThrow(/WEBHOOK_URL/);
    await expect(ensureEnvironmentEndpoint(sql, ring, { ...env, WEBHOOK_FORMAT: "teams" })).rejects.toThrow(/WEBHOOK_FORMAT/);
  });
});
