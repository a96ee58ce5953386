import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseAuthorizationCallback } from "./authorization-callback.ts";
import { ProviderError } from "./provider-error.ts";
import { MAX_PROVIDER_REQUEST_TIMEOUT_MS, PROVIDER_REQUEST_TIMEOUT_MS, type FetchLike } from "./send-provider-request.ts";
import { basic, NOW, testProvider } from "./test-support.ts";
import { exchangeCode, refreshTokens, resolveAccountId, revokeTokens, validateAccessToken } from "./token-client.ts";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const EMULATOR = "http://127.0.0.1:54399";

describe("refreshTokens through fetch", () => {
  it("refreshes Xero against an emulator override and returns the rotated refresh token", async () => {
    const seen: Array<{ auth: string | null; body: string }> = [];
    server.use(
      http.post(`${EMULATOR}/xero/connect/token`, async ({ request }) => {
        seen.push({ auth: request.headers.get("authorization"), body: await request.text() });
        return HttpResponse.json({ access_token: "xero-at-2", refresh_token: "xero-rt-2", expires_in: 1800, token_type: "Bearer", scope: "openid offline_access" });
      }),
    );
    const provider = testProvider("xero", { XERO_TOKEN_URL: `${EMULATOR}/xero/connect/token` });
    const set = await refreshTokens(provider, "xero-rt-1", { now: NOW });
    expect(seen).toEqual([{ auth: basic("xero-client", "xero-secret-value"), body: "grant_type=refresh_token&refresh_token=xero-rt-1" }]);
    expect(set).toMatchObject({ accessToken: "xero-at-2", refreshToken: "xero-rt-2", refreshTokenRotated: true, scopes: ["openid", "offline_access"] });
    expect(set.expiresAt.toISOString()).toBe("2026-11-23T12:30:00.000Z");
  });

  it("refreshes a Shopify store with a JSON body and keeps the stored RT when none comes back", async () => {
    server.use(
      http.post("https://demo.myshopify.com/admin/oauth/access_token", async ({ request }) => {
        expect(request.headers.get("content-type")).toBe("application/json");
        expect(await request.json()).toEqual({ grant_type: "refresh_token", refresh_token: "shp-rt", client_id: "shopify-client", client_secret: "shopify-secret-value" });
        return HttpResponse.json({ access_token: "shp-at", expires_in: 3600, scope: "read_products" });
      }),
    );
    const set = await refreshTokens(testProvider("shopify"), "shp-rt", { endpointParams: { shop: "demo.myshopify.com" } });
    expect(set.refreshToken).toBe("shp-rt");
    expect(set.refreshTokenRotated).toBe(false);
  });

  it("surfaces a revoked Google grant as reauth_required", async () => {
    server.use(http.post("https://oauth2.googleapis.com/token", () => HttpResponse.json({ error: "invalid_grant", error_description: "Token has been expired or revoked." }, { status: 400 })));
    const error = await refreshTokens(testProvider("gmail"), "g-rt").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: "reauth_required", provider: "gmail", status: 400, error: "invalid_grant" });
  });

  it("reads Lightspeed's HTTP-date Retry-After relative to now", async () => {
    server.use(
      http.post("https://acme.retail.lightspeed.app/api/1.0/token", () =>
        new HttpResponse(null, { status: 429, headers: { "Retry-After": "Mon, 23 Nov 2026 12:02:00 GMT" } }),
      ),
    );
    await expect(refreshTokens(testProvider("lightspeed"), "ls-rt", { endpointParams: { domain_prefix: "acme" }, now: NOW })).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterMs: 120_000,
    });
  });

  it("classifies a network failure as transient", async () => {
    server.use(http.post("https://api.x.com/2/oauth2/token", () => HttpResponse.error()));
    await expect(refreshTokens(testProvider("twitter"), "x-rt")).rejects.toMatchObject({ code: "transient", message: "twitter refresh failed: network error (TypeError)" });
  });
});

describe("timeouts", () => {
  const hangingFetch: FetchLike = (_request, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
    });

  it("bounds every call (default 10 s, documented constant)", () => {
    expect(PROVIDER_REQUEST_TIMEOUT_MS).toBe(10_000);
    expect(MAX_PROVIDER_REQUEST_TIMEOUT_MS).toBeGreaterThan(PROVIDER_REQUEST_TIMEOUT_MS);
  });

  it("aborts a hanging provider after the timeout, as transient", async () => {
    const started = Date.now();
    await expect(refreshTokens(testProvider("spotify"), "rt", { fetch: hangingFetch, timeoutMs: 50 })).rejects.toMatchObject({
      code: "transient",
      message: "spotify refresh failed: request timed out after 50 ms",
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("honours the caller's abort signal", async () => {
    const controller = new AbortController();
    const pending = refreshTokens(testProvider("spotify"), "rt", { fetch: hangingFetch, signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: "transient", message: "spotify refresh failed: request was aborted" });
  });

  it("passes the signal and manual redirects to fetch", async () => {
    let seen: RequestInit | undefined;
    const fetchSpy: FetchLike = async (_request, init) => {
      seen = init;
      return HttpResponse.json({ access_token: "a", expires_in: 60 });
    };
    await refreshTokens(testProvider("spotify"), "rt", { fetch: fetchSpy });
    expect(seen?.signal).toBeInstanceOf(AbortSignal);
    expect(seen?.redirect).toBe("manual");
  });

  it.each([[0], [-1], [MAX_PROVIDER_REQUEST_TIMEOUT_MS + 1], [Number.NaN]])("rejects timeoutMs %j", async (timeoutMs) => {
    await expect(refreshTokens(testProvider("spotify"), "rt", { fetch: hangingFetch, timeoutMs })).rejects.toThrow('"timeoutMs" must be between 1 and 30000');
  });
});

describe("exchange, identity, revocation and validation through fetch", () => {
  it("connects Xero: exchanges the code, then reads the tenant from /connections", async () => {
    server.use(
      http.post("https://identity.xero.com/connect/token", async ({ request }) => {
        const body = new URLSearchParams(await request.text());
        expect(body.get("code_verifier")).toBe("verifier-123");
        return HttpResponse.json({ access_token: "x-at", refresh_token: "x-rt", expires_in: 1800 });
      }),
      http.get("https://api.xero.com/connections", ({ request }) => {
        expect(request.headers.get("authorization")).toBe("Bearer x-at");
        return HttpResponse.json([{ id: "conn-1", tenantId: "tenant-42", tenantType: "ORGANISATION" }]);
      }),
    );
    const provider = testProvider("xero");
    const callback = parseAuthorizationCallback(provider, "https://cb.example/?code=the-code&state=st");
    const tokens = await exchangeCode(provider, { code: callback.code, redirectUri: "https://cb.example/", codeVerifier: "verifier-123" });
    expect(tokens.refreshToken).toBe("x-rt");
    expect(await resolveAccountId(provider, { accessToken: tokens.accessToken, callback })).toBe("tenant-42");
  });

  it("takes the QuickBooks account from the callback without an API call", async () => {
    const provider = testProvider("quickbooks");
    const callback = parseAuthorizationCallback(provider, "https://cb.example/?code=c&state=s&realmId=4620816365");
    expect(await resolveAccountId(provider, { accessToken: "qb-at", callback })).toBe("4620816365");
  });

  it("revokes a GitHub token with DELETE and Basic auth", async () => {
    server.use(
      http.delete("https://api.github.com/applications/github-client/token", async ({ request }) => {
        expect(request.headers.get("authorization")).toBe(basic("github-client", "github-secret-value"));
        expect(await request.json()).toEqual({ access_token: "gho_abc" });
        return new HttpResponse(null, { status: 204 });
      }),
    );
    expect(await revokeTokens(testProvider("github"), { accessToken: "gho_abc" })).toEqual({ revoked: true, alreadyInvalid: false });
  });

  it("reports a dead non-expiring Shopify token as reauth_required", async () => {
    server.use(
      http.get("https://demo.myshopify.com/admin/api/2026-10/shop.json", () =>
        HttpResponse.json({ errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" }, { status: 401 }),
      ),
    );
    await expect(validateAccessToken(testProvider("shopify"), "shpat_dead", { endpointParams: { shop: "demo" } })).rejects.toMatchObject({
      code: "reauth_required",
      operation: "validate",
      status: 401,
    });
  });

  it("validates a Twitch token and learns its remaining lifetime", async () => {
    server.use(
      http.get("https://id.twitch.tv/oauth2/validate", ({ request }) => {
        expect(request.headers.get("authorization")).toBe("OAuth tw-at");
        return HttpResponse.json({ client_id: "twitch-client", login: "x", scopes: [], user_id: "1", expires_in: 3000 });
      }),
    );
    expect(await validateAccessToken(testProvider("twitch"), "tw-at", { now: NOW })).toEqual({ valid: true, expiresAt: new Date("2026-11-23T12:50:00.000Z") });
  });
});
