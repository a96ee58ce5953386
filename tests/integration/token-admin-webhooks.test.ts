/**
 * The alerts' admin routes as an operator reaches them: through token-admin over HTTP, with an admin JWT or
 * the service key; a plain user is refused before anything is read or written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKeys, signUserToken } from "../../scripts/stack/keys.ts";
import { ensureUser } from "../../scripts/stack/users.ts";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";

const sql = db();
let admin: string;
let plain: string;
let serviceKey: string;
const created: string[] = [];
const bodies: string[] = [];

async function call(route: string, init: RequestInit & { token?: string } = {}) {
  const res = await callFunction(`token-admin/${route}`, { token: admin, ...init });
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, body: JSON.parse(text) as any };
}

beforeAll(async () => {
  admin = await signUserToken(await loadKeys(), await ensureUser("token-admin-webhooks@example.com", { admin: true }));
  plain = (await userToken("token-admin-webhooks-plain@example.com")).token;
  serviceKey = (await keys()).serviceRoleKey;
});
afterAll(async () => {
  if (created.length) await sql`delete from public.webhook_endpoints where id = any(${created}::uuid[])`;
  await sql.end();
});

describe("token-admin: webhook endpoints and deliveries", () => {
  it("adds an endpoint (its secret shown once), lists it without the secret, sends a test event, removes it", async () => {
    const add = await call("webhooks", { method: "POST", body: JSON.stringify({ url: "http://127.0.0.1:9/hook", format: "slack" }) });
    expect(add.status).toBe(201);
    expect(add.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    const id: string = add.body.endpoint.id;
    created.push(id);

    const list = await call("webhooks", { token: serviceKey });
    expect(list.status).toBe(200);
    const listed = list.body.endpoints.find((e: { id: string }) => e.id === id);
    expect(listed).toMatchObject({ url: "http://127.0.0.1:9/hook", format: "slack", enabled: true });
    expect(JSON.stringify(list.body)).not.toContain(add.body.secret);

    const test = await call(`webhooks/${id}/test`, { method: "POST", body: "{}" });
    expect(test.status).toBe(200);
    const deliveries = await call(`deliveries?endpoint=${id}`);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.deliveries.map((d: { id: string }) => d.id)).toContain(test.body.delivery_id);

    expect((await call(`webhooks/${id}`, { method: "DELETE" })).body).toEqual({ removed: true });
    expect((await call(`webhooks/${id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("refuses a plain user with 403 and creates nothing", async () => {
    const before = (await sql`select count(*)::int as n from public.webhook_endpoints`)[0]!.n;
    const res = await call("webhooks", { method: "POST", token: plain, body: JSON.stringify({ url: "http://127.0.0.1:9/x" }) });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
    expect((await sql`select count(*)::int as n from public.webhook_endpoints`)[0]!.n).toBe(before);
  });

  it("answers hostile input with a 4xx naming the field, never a 5xx", async () => {
    for (const [route, init] of [
      ["webhooks", { method: "POST", body: JSON.stringify({ url: "javascript:alert(1)" }) }],
      ["webhooks", { method: "POST", body: JSON.stringify({ url: "http://127.0.0.1:9/x", format: "xml" }) }],
      ["webhooks", { method: "POST", body: "[1,2" }],
      ["webhooks/not-a-uuid", { method: "DELETE" }],
      ["deliveries/00000000-0000-0000-0000-000000000000/replay", { method: "POST", body: "{}" }],
      ["deliveries?status=exploded", {}],
    ] as const) {
      const res = await call(route, init);
      expect(res.status, route).toBeGreaterThanOrEqual(400);
      expect(res.status, route).toBeLessThan(500);
      expect(res.body.error.code, route).toMatch(/^[a-z_]+$/);
    }
  });
});
