import { describe, expect, it } from "vitest";
import type { ProviderId } from "../providers/provider-ids.ts";
import { parseCodeExchangeResponse } from "./code-exchange.ts";
import { parseRefreshResponse } from "./refresh-grant.ts";
import { json, NOW, testProvider } from "./test-support.ts";

const RT = "stored-refresh-token";
const at = (offsetSeconds: number) => new Date(NOW.getTime() + offsetSeconds * 1000).toISOString();

async function refresh(id: ProviderId, body: Record<string, unknown>, previousScopes?: string[]) {
  return parseRefreshResponse(testProvider(id), json(200, { access_token: "new-at", ...body }), { previousRefreshToken: RT, previousScopes, now: NOW });
}

describe("access token expiry forms", () => {
  it("reads expires_in as a number", async () => {
    const set = await refresh("spotify", { expires_in: 3600 });
    expect(set.expiresAt.toISOString()).toBe(at(3600));
    expect(set.expiresAtAssumed).toBe(false);
  });

  it("reads expires_in as a numeric string", async () => {
    const set = await refresh("github", { expires_in: "28800", refresh_token: "ghr_new" });
    expect(set.expiresAt.toISOString()).toBe(at(28_800));
    expect(set.expiresAtAssumed).toBe(false);
  });

  it("reads Lightspeed's absolute `expires` (unix seconds) when expires_in is absent", async () => {
    const expires = NOW.getTime() / 1000 + 1200;
    const set = await refresh("lightspeed", { expires, refresh_token: "new-rt" });
    expect(set.expiresAt.toISOString()).toBe(at(1200));
    expect(set.expiresAtAssumed).toBe(false);
  });

  it("prefers the relative expires_in over Lightspeed's absolute expires (clock skew)", async () => {
    const set = await refresh("lightspeed", { expires: NOW.getTime() / 1000 + 99_999, expires_in: 600 });
    expect(set.expiresAt.toISOString()).toBe(at(600));
  });

  it("ignores an implausible `expires` and assumes instead", async () => {
    const set = await refresh("lightspeed", { expires: NOW.getTime() });
    expect(set.expiresAtAssumed).toBe(true);
    expect(set.expiresAt.toISOString()).toBe(at(3600));
  });

  it("ignores `expires` for providers that do not send it", async () => {
    const set = await refresh("spotify", { expires: NOW.getTime() / 1000 + 100 });
    expect(set.expiresAtAssumed).toBe(true);
  });

  it("assumes 1 h when no expiry is given, and marks it", async () => {
    const set = await refresh("twitch", {});
    expect(set.expiresAt.toISOString()).toBe(at(3600));
    expect(set.expiresAtAssumed).toBe(true);
  });

  it("assumes the shorter catalog lifetime (Xero 30 min) when below 1 h", async () => {
    expect((await refresh("xero", {})).expiresAt.toISOString()).toBe(at(1800));
  });

  it("caps a long catalog lifetime (LinkedIn 60 days) at 1 h when assuming", async () => {
    expect((await refresh("linkedin", {})).expiresAt.toISOString()).toBe(at(3600));
  });

  it("schedules validation after the catalog interval for tokens that may not expire (GitHub, Shopify)", async () => {
    expect((await refresh("github", {})).expiresAt.toISOString()).toBe(at(86_400));
    expect((await refresh("shopify", {})).expiresAt.toISOString()).toBe(at(86_400));
  });

  it.each([[0], [-5], ["soon"], [null], [Number.NaN]])("treats expires_in %j as absent", async (value) => {
    const set = await refresh("spotify", { expires_in: value });
    expect(set.expiresAtAssumed).toBe(true);
    expect(set.expiresAt.toISOString()).toBe(at(3600));
  });
});

describe("refresh token expiry forms", () => {
  it("reads QuickBooks x_refresh_token_expires_in", async () => {
    const set = await refresh("quickbooks", { expires_in: 3600, refresh_token: "AB11-new", x_refresh_token_expires_in: 8_726_400 });
    expect(set.refreshTokenExpiresAt?.toISOString()).toBe(at(8_726_400));
    expect(set.refreshTokenRotated).toBe(true);
  });

  it("reads GitHub refresh_token_expires_in (numeric string from a form body)", async () => {
    const response = new Response("access_token=ghu_new&expires_in=28800&refresh_token=ghr_new&refresh_token_expires_in=15811200&scope=&token_type=bearer", {
      status: 200,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    const set = await parseRefreshResponse(testProvider("github"), response, { previousRefreshToken: RT, now: NOW });
    expect(set.accessToken).toBe("ghu_new");
    expect(set.refreshToken).toBe("ghr_new");
    expect(set.expiresAt.toISOString()).toBe(at(28_800));
    expect(set.refreshTokenExpiresAt?.toISOString()).toBe(at(15_811_200));
  });

  it("reads LinkedIn's counting-down refresh_token_expires_in, keeping the stored RT", async () => {
    const set = await refresh("linkedin", { expires_in: 5_184_000, refresh_token_expires_in: 20_000_000 });
    expect(set.refreshToken).toBe(RT);
    expect(set.refreshTokenExpiresAt?.toISOString()).toBe(at(20_000_000));
  });

  it("ignores RT expiry fields the provider's catalog entry does not name", async () => {
    const set = await refresh("spotify", { expires_in: 3600, x_refresh_token_expires_in: 100 });
    expect(set.refreshTokenExpiresAt).toBeUndefined();
    expect("refreshTokenExpiresAt" in set).toBe(false);
  });
});

describe("scopes and token type", () => {
  it("splits space- and comma-separated scopes, and reads Twitch's array", async () => {
    expect((await refresh("google", { scope: "openid https://www.googleapis.com/auth/gmail.readonly" })).scopes).toEqual([
      "openid",
      "https://www.googleapis.com/auth/gmail.readonly",
    ]);
    expect((await refresh("shopify", { scope: "read_products,write_orders" })).scopes).toEqual(["read_products", "write_orders"]);
    expect((await refresh("twitch", { scope: ["user:read:email", "chat:read"] })).scopes).toEqual(["user:read:email", "chat:read"]);
  });

  it("keeps the stored scopes when the response has none", async () => {
    expect((await refresh("reddit", {}, ["identity", "read"])).scopes).toEqual(["identity", "read"]);
  });

  it("normalises token_type", async () => {
    expect((await refresh("reddit", { token_type: "bearer" })).tokenType).toBe("Bearer");
    expect((await refresh("reddit", {})).tokenType).toBe("Bearer");
    expect((await refresh("reddit", { token_type: "MAC" })).tokenType).toBe("MAC");
  });
});

describe("bounded provider values (one sanitiser for exchange and refresh)", () => {
  it("treats an absurd expires_in (1e13) as absent and reports it, so the expiry stays a real date", async () => {
    const set = await refresh("discord", { expires_in: 1e13, refresh_token: "new-rt" });
    expect(set.expiresAtAssumed).toBe(true);
    expect(set.expiresAt.toISOString()).toBe(at(3600));
    expect(set.refreshToken).toBe("new-rt");
    expect(set.adjustments).toEqual([{ field: "expires_in", reason: "out_of_range" }]);
  });

  it("bounds token_type and scopes, keeping the tokens", async () => {
    const scope = Array.from({ length: 1000 }, (_, i) => `s${i}`).join(" ");
    const set = await refresh("discord", { expires_in: 600, token_type: "T".repeat(40), scope, refresh_token: "new-rt" });
    expect(set.tokenType).toBe("Bearer");
    expect(set.scopes).toHaveLength(256);
    expect(set.accessToken).toBe("new-at");
    expect(set.adjustments?.map((a) => a.field)).toEqual(["token_type", "scope"]);
    expect(JSON.stringify(set.adjustments)).not.toContain("TTTT");
  });

  it("applies the same bounds to a code exchange", async () => {
    const set = await parseCodeExchangeResponse(testProvider("twitter"), json(200, { access_token: "at", expires_in: -1, token_type: "x".repeat(33) }), { now: NOW });
    expect(set.adjustments).toEqual([{ field: "expires_in", reason: "out_of_range" }, { field: "token_type", reason: "too_long" }]);
  });

  it("bounds a refresh token expiry", async () => {
    const set = await refresh("quickbooks", { expires_in: 3600, x_refresh_token_expires_in: 1e12 });
    expect(set.refreshTokenExpiresAt).toBeUndefined();
    expect(set.adjustments).toEqual([{ field: "x_refresh_token_expires_in", reason: "out_of_range" }]);
  });

  it("has no adjustments when everything is in bounds", async () => {
    expect("adjustments" in (await refresh("discord", { expires_in: 600 }))).toBe(false);
  });
});

describe("raw response", () => {
  it("is available but non-enumerable, so serialising a token set never repeats the response", async () => {
    const set = await refresh("discord", { refresh_token: "new-rt", id_token: "secret-id-token", expires_in: 604800 });
    expect(set.raw?.["id_token"]).toBe("secret-id-token");
    expect(Object.keys(set)).not.toContain("raw");
    expect(JSON.stringify(set)).not.toContain("secret-id-token");
    expect(Object.isFrozen(set.raw)).toBe(true);
  });
});
