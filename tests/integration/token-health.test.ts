import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { seedConnection } from "../helpers/connections.ts";

const sql = db();
let user: { id: string; token: string };
let serviceKey: string;

beforeAll(async () => {
  user = await userToken("token-health@example.com");
  serviceKey = (await keys()).serviceRoleKey;
  await sql`delete from public.platform_connections where user_id = ${user.id}`;
  await seedConnection(sql, { userId: user.id, provider: "reddit", account: "health-1", expiresIn: 3600 });
  const expired = await seedConnection(sql, { userId: user.id, provider: "reddit", account: "health-2", expiresIn: -60 });
  await sql`update public.platform_connections set status = 'needs_reauth' where id = ${expired.id}`;
});
afterAll(() => sql.end());

describe("token-health", () => {
  it("summarises connections by provider and status, without a token or user id in sight", async () => {
    const res = await callFunction("token-health", { token: serviceKey });
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.providers.reddit.connections.connected).toBeGreaterThanOrEqual(1);
    expect(body.providers.reddit.connections.needs_reauth).toBeGreaterThanOrEqual(1);
    expect(body.providers.reddit.configured).toBe(true);
    expect(Object.keys(body.providers).sort()).toContain("google_calendar");
    expect(text).not.toContain(user.id);
    expect(text).not.toMatch(/at_reddit_|rt_reddit_|v1\.[A-Za-z0-9_-]+\./);
  });

  it("speaks the Prometheus text format on request", async () => {
    const res = await callFunction("token-health?format=prometheus", { token: serviceKey });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toMatch(/^# TYPE provider_tokens_connections gauge$/m);
    expect(text).toMatch(/^provider_tokens_connections\{provider="reddit",status="needs_reauth"\} [1-9]\d*$/m);
  });

  it("refuses everyone but the service role and admins, other methods and unknown formats", async () => {
    for (const token of [undefined, (await keys()).anonKey, "sb_secret_forged", "not-a-token"]) {
      const res = await callFunction("token-health", token ? { token } : {});
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe("unauthorized");
    }
    // A signed-in user who is not an admin (app_metadata.provider_tokens_admin) is known but not allowed.
    const plain = await callFunction("token-health", { token: user.token });
    expect(plain.status).toBe(403);
    expect((await plain.json()).error.code).toBe("forbidden");
    const post = await callFunction("token-health", { method: "POST", body: "{}", token: serviceKey });
    expect(post.status).toBe(405);
    const xml = await callFunction("token-health?format=xml", { token: serviceKey });
    expect(xml.status).toBe(400);
    expect((await xml.json()).error.message).toMatch(/"format"/);
  });
});
