/**
 * Who may call, through the real gateway and functions: user tokens from another issuer, anonymous users, and
 * JWTs that claim `role: service_role` without being a configured key are all 401, correctly signed or not;
 * the stack's own user tokens carry the issuer the functions expect. oauth-start refuses redirect addresses
 * whose path hides a climb out of the allowed prefix.
 */
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_URL, callFunction, db, keys, userToken } from "../helpers/stack.ts";
import { postJson, TEST_APP_URL, uniqueEmail } from "./connect-support.ts";

const sql = db();
let user: { id: string; email: string; token: string };

beforeAll(async () => {
  user = await userToken(uniqueEmail("connect-auth"));
});
afterAll(() => sql.end());

async function sign(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt(now).setExpirationTime(now + 600)
    .sign(new TextEncoder().encode((await keys()).jwtSecret));
}
const userClaims = () => ({
  sub: user.id, email: user.email, role: "authenticated", aud: "authenticated", iss: `${API_URL}/auth/v1`, is_anonymous: false,
});

const calls: [string, RequestInit][] = [
  ["oauth-start", { method: "POST", body: JSON.stringify({ provider: "spotify", redirect_to: TEST_APP_URL }) }],
  ["oauth-complete", { method: "POST", body: JSON.stringify({ connect: "a".repeat(43) }) }],
  ["get-token", { method: "POST", body: JSON.stringify({ provider: "spotify" }) }],
  ["connections", { method: "GET" }],
  ["disconnect", { method: "POST", body: JSON.stringify({ provider: "spotify" }) }],
];

describe("user tokens", () => {
  it("the stack's own user token carries the issuer the functions expect", async () => {
    const [, payload] = user.token.split(".");
    expect(JSON.parse(Buffer.from(payload!, "base64url").toString()).iss).toBe(`${API_URL}/auth/v1`);
    expect((await callFunction("connections", { token: user.token })).status).toBe(200);
    expect((await callFunction("connections", { token: await sign(userClaims()) })).status).toBe(200);
  });

  it.each([
    ["another project's issuer", { iss: "https://other-project.supabase.co/auth/v1" }],
    ["no issuer", { iss: undefined }],
    ["the issuer with a trailing slash", { iss: `${API_URL}/auth/v1/` }],
    ["an anonymous user", { is_anonymous: true }],
  ])("refuses %s with 401 at every user function", async (_label, override) => {
    const token = await sign({ ...userClaims(), ...override });
    for (const [name, init] of calls) {
      const res = await callFunction(name, { ...init, token, headers: { "content-type": "application/json" } });
      const body = await res.json();
      expect({ name, status: res.status, code: body.error?.code }).toEqual({ name, status: 401, code: "unauthorized" });
    }
  });

  it("refuses a correctly signed JWT that says role service_role but is not a configured key", async () => {
    const minted = await sign({ role: "service_role", iss: "supabase-demo" });
    const { serviceRoleKey } = await keys();
    expect(minted).not.toBe(serviceRoleKey);
    for (const [name, init] of [...calls, ["get-token", { method: "POST", body: JSON.stringify({ provider: "spotify", user_id: user.id }) }] as [string, RequestInit]]) {
      const res = await callFunction(name, { ...init, token: minted, headers: { "content-type": "application/json" } });
      expect({ name, status: res.status }).toEqual({ name, status: 401 });
    }
    const sweep = await callFunction("oauth-callback", { method: "POST", token: minted, body: '{"sweep":"expired_grants"}', headers: { "content-type": "application/json" } });
    expect(sweep.status).toBe(401);
    // The configured key itself still is the service.
    const ok = await callFunction("get-token", {
      method: "POST", token: serviceRoleKey, body: JSON.stringify({ provider: "spotify", user_id: user.id }), headers: { "content-type": "application/json" },
    });
    expect(ok.status).toBe(404);
  });
});

describe("oauth-start's redirect allow-list", () => {
  it.each([
    `${TEST_APP_URL}/..%2fadmin`,
    `${TEST_APP_URL}/..%2Fadmin`,
    `${TEST_APP_URL}/%2e%2e/admin`,
    `${TEST_APP_URL}/x/../y`,
    `${TEST_APP_URL}/.%2e/admin`,
    `${TEST_APP_URL}/..%5cadmin`,
  ])("refuses %s", async (redirectTo) => {
    const res = await postJson("oauth-start", user.token, { provider: "spotify", redirect_to: redirectTo });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toMatch(/^"redirect_to" /);
  });
});
