import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { clientIdOf, clientSecretOf, startEmulator, type Emulator } from "./server.ts";

let emu: Emulator;
beforeAll(async () => { emu = await startEmulator(); });
afterAll(() => emu.stop());
beforeEach(() => fetch(`${emu.url}/_emulator/reset`, { method: "POST" }));

const control = async (path: string, body?: unknown) =>
  (await fetch(`${emu.url}/_emulator${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } })).json() as Promise<Record<string, any>>;
const basic = (p: string) => `Basic ${Buffer.from(`${clientIdOf(p)}:${clientSecretOf(p)}`).toString("base64")}`;
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();

async function refresh(provider: string, rt: string, auth: "basic" | "body" = "basic", path = `/${provider}/token`) {
  const body: Record<string, string> = { grant_type: "refresh_token", refresh_token: rt };
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  if (auth === "basic") headers.authorization = basic(provider);
  else Object.assign(body, { client_id: clientIdOf(provider), client_secret: clientSecretOf(provider) });
  const res = await fetch(`${emu.url}${path}`, { method: "POST", headers, body: form(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("provider emulator", () => {
  it("rotates strictly: the used refresh token dies at once", async () => {
    const grant = await control("/grant", { provider: "discord" });
    const first = await refresh("discord", grant.refresh_token);
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(grant.refresh_token);
    const again = await refresh("discord", grant.refresh_token);
    expect(again).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "Invalid refresh token" } });
    expect((await control("/stats")).discord).toMatchObject({ refresh: 2, refresh_ok: 1, refresh_rejected: 1 });
  });

  it("keeps the old refresh token alive during a grace period (Xero)", async () => {
    const grant = await control("/grant", { provider: "xero" });
    expect((await refresh("xero", grant.refresh_token)).status).toBe(200);
    expect((await refresh("xero", grant.refresh_token)).status).toBe(200);
  });

  it("sends no refresh token on refresh for Google", async () => {
    const grant = await control("/grant", { provider: "google" });
    const r = await refresh("google", grant.refresh_token, "body");
    expect(r.status).toBe(200);
    expect(r.body).not.toHaveProperty("refresh_token");
  });

  it("answers each provider's own error shapes", async () => {
    const gh = await refresh("github", "rt_unknown", "body");
    expect(gh).toMatchObject({ status: 200, body: { error: "bad_refresh_token" } });
    const tw = await refresh("twitter", "rt_unknown");
    expect(tw).toMatchObject({ status: 400, body: { error: "invalid_request" } });
    const twNoBasic = await refresh("twitter", "rt_unknown", "body");
    expect(twNoBasic).toMatchObject({ status: 401, body: { error: "unauthorized_client" } });
    const spotifyBadClient = await fetch(`${emu.url}/spotify/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic Zm9vOmJhcg==" },
      body: form({ grant_type: "refresh_token", refresh_token: "x" }),
    });
    expect(spotifyBadClient.status).toBe(400);
  });

  it("checks PKCE, redirect_uri and single use on code exchange", async () => {
    const verifier = "v".repeat(50);
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const auth = await fetch(`${emu.url}/twitter/authorize?client_id=${clientIdOf("twitter")}&redirect_uri=${encodeURIComponent("http://app/cb")}&state=s1&code_challenge=${challenge}&code_challenge_method=S256`, { redirect: "manual" });
    const loc = new URL(auth.headers.get("location")!);
    expect(loc.searchParams.get("state")).toBe("s1");
    const exchange = (v: string) => fetch(`${emu.url}/twitter/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic("twitter") },
      body: form({ grant_type: "authorization_code", code: loc.searchParams.get("code")!, redirect_uri: "http://app/cb", code_verifier: v }),
    });
    expect((await exchange("wrong")).status).toBe(400);
    // A failed attempt burns the code, as providers do.
    expect((await exchange(verifier)).status).toBe(400);
  });

  it("injects faults for a number of calls, then behaves again", async () => {
    const grant = await control("/grant", { provider: "lightspeed" });
    await control("/faults", { provider: "lightspeed", mode: "rate_limit", count: 1, retry_after: 7 });
    const res = await fetch(`${emu.url}/lightspeed/acme/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form({ grant_type: "refresh_token", refresh_token: grant.refresh_token, client_id: clientIdOf("lightspeed"), client_secret: clientSecretOf("lightspeed") }),
    });
    expect(res.status).toBe(429);
    expect(Date.parse(res.headers.get("retry-after")!)).toBeGreaterThan(Date.now());
    const ok = await refresh("lightspeed", grant.refresh_token, "body", "/lightspeed/acme/token");
    expect(ok.status).toBe(200);
    expect(ok.body.expires).toBeGreaterThan(Date.now() / 1000);
  });

  it("validates access tokens on its API endpoints", async () => {
    const grant = await control("/grant", { provider: "shopify", account: "shop-1" });
    const ok = await fetch(`${emu.url}/shopify/shop-1/api/admin/api/2025-01/shop.json`, { headers: { "x-shopify-access-token": grant.access_token } });
    expect(ok.status).toBe(200);
    await control("/revoke-account", { provider: "shopify", account: "shop-1" });
    const revoked = await fetch(`${emu.url}/shopify/shop-1/api/admin/api/2025-01/shop.json`, { headers: { "x-shopify-access-token": grant.access_token } });
    expect(revoked.status).toBe(401);
  });

  it("reports the shape of token and revoke requests without their secrets, and what it issued", async () => {
    const grant = await control("/grant", { provider: "discord" });
    await refresh("discord", grant.refresh_token);
    await fetch(`${emu.url}/discord/revoke`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic("discord") },
      body: form({ token: grant.refresh_token, token_type_hint: "refresh_token" }),
    });
    const { requests } = await control("/requests?provider=discord");
    expect(requests.map((r: any) => [r.endpoint, r.client_auth, r.grant_type, r.content_type])).toEqual([
      ["token", "basic", "refresh_token", "application/x-www-form-urlencoded"],
      ["revoke", "basic", null, "application/x-www-form-urlencoded"],
    ]);
    expect(requests[0].params).toEqual(["grant_type", "refresh_token"]);
    expect(JSON.stringify(requests)).not.toContain(grant.refresh_token);
    expect((await control("/requests?provider=discord&endpoint=revoke")).requests).toHaveLength(1);
    const issued = await control("/issued?provider=discord");
    expect(issued.refresh_tokens).toContain(grant.refresh_token);
    expect(issued.access_tokens).toContain(grant.access_token);
  });

  it("issues tokens that never expire when configured so, and revokes Shopify's through its header", async () => {
    await control("/config", { provider: "shopify", non_expiring: true });
    const grant = await control("/grant", { provider: "shopify", account: "shop-2" });
    expect(grant).not.toHaveProperty("expires_in");
    expect(grant).not.toHaveProperty("refresh_token");
    const revoke = await fetch(`${emu.url}/shopify/shop-2/revoke`, { method: "DELETE", headers: { "x-shopify-access-token": grant.access_token } });
    expect(revoke.status).toBe(200);
    expect((await control(`/token?token=${grant.access_token}`)).access).toEqual({ valid: false, account: "shop-2" });
  });

  it("answers identity calls with each provider's account field", async () => {
    const grant = await control("/grant", { provider: "twitter", account: "x-user" });
    const me = await (await fetch(`${emu.url}/twitter/api/users/me`, { headers: { authorization: `Bearer ${grant.access_token}` } })).json() as any;
    expect([me.data.id, me.user.id, me.id]).toEqual(["x-user", "x-user", "x-user"]);
  });

  it("counts a spent refresh token presented again as spent_reuse", async () => {
    const grant = await control("/grant", { provider: "twitter" });
    await refresh("twitter", grant.refresh_token);
    await refresh("twitter", grant.refresh_token);
    expect((await control("/stats")).twitter).toMatchObject({ refresh_ok: 1, refresh_rejected: 1, spent_reuse: 1 });
    await refresh("twitter", "never-issued");
    expect((await control("/stats")).twitter.spent_reuse).toBe(1);
  });

  it("answers token responses with configured odd values, and stops when cleared", async () => {
    const grant = await control("/grant", { provider: "discord" });
    await control("/config", { provider: "discord", token_response: { expires_in: 1e13, token_type: "x".repeat(40), scope_count: 1000 } });
    const odd = await refresh("discord", grant.refresh_token);
    expect(odd.status).toBe(200);
    expect(odd.body.expires_in).toBe(1e13);
    expect(odd.body.token_type).toHaveLength(40);
    expect(odd.body.scope.split(" ")).toHaveLength(1000);
    await control("/config", { provider: "discord", token_response: null });
    const normal = await refresh("discord", odd.body.refresh_token);
    expect(normal.body.token_type).toBe("bearer");
  });

  it("slow_response rotates at once and answers late", async () => {
    const grant = await control("/grant", { provider: "discord" });
    await control("/faults", { provider: "discord", mode: "slow_response", delay_ms: 300, count: 1 });
    const started = Date.now();
    const pending = refresh("discord", grant.refresh_token);
    await new Promise((r) => setTimeout(r, 100));
    expect((await control(`/token?token=${grant.refresh_token}`)).refresh.state).toBe("spent");
    const res = await pending;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("revokes only the presented token when configured so", async () => {
    const grant = await control("/grant", { provider: "discord", account: "a1" });
    const next = await refresh("discord", grant.refresh_token);
    await control("/config", { provider: "discord", revoke: "token" });
    await fetch(`${emu.url}/discord/revoke`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic("discord") }, body: form({ token: grant.refresh_token }) });
    expect((await control(`/token?token=${next.body.refresh_token}`)).refresh.state).toBe("live");
    await fetch(`${emu.url}/discord/revoke`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic("discord") }, body: form({ token: next.body.refresh_token }) });
    expect((await control(`/token?token=${next.body.refresh_token}`)).refresh.state).toBe("revoked");
  });
});
