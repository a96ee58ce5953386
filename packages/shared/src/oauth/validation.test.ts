import { describe, expect, it } from "vitest";
import type { ProviderId } from "../providers/provider-ids.ts";
import { PROVIDER_IDS } from "../providers/provider-ids.ts";
import { buildIdentityRequest, parseIdentityResponse } from "./account-identity.ts";
import { ProviderError } from "./provider-error.ts";
import { basic, formEntries, headersOf, json, NOW, testProvider } from "./test-support.ts";
import { buildValidationRequest, parseValidationResponse } from "./validation.ts";

const AT = "access-token-value-1";
const JSON_TYPE = "application/json";
const bearer = { accept: JSON_TYPE, authorization: `Bearer ${AT}` };
const PARAMS = { shop: "demo", domain_prefix: "acme" };

interface Row {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Array<[string, string]> | Record<string, string>;
}

const googleTokeninfo: Row = {
  method: "POST",
  url: "https://www.googleapis.com/oauth2/v3/tokeninfo",
  headers: { accept: JSON_TYPE, "content-type": "application/x-www-form-urlencoded" },
  body: [["access_token", AT]],
};

const VALIDATION: Partial<Record<ProviderId, Row>> = {
  spotify: { method: "GET", url: "https://api.spotify.com/v1/me", headers: bearer },
  discord: { method: "GET", url: "https://discord.com/api/oauth2/@me", headers: bearer },
  google: googleTokeninfo,
  youtube: googleTokeninfo,
  gmail: googleTokeninfo,
  google_calendar: googleTokeninfo,
  github: {
    method: "POST",
    url: "https://api.github.com/applications/github-client/token",
    headers: {
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      "user-agent": "provider-tokens",
      "content-type": JSON_TYPE,
      authorization: basic("github-client", "github-secret-value"),
    },
    body: { access_token: AT },
  },
  etsy: {
    method: "GET",
    url: "https://api.etsy.com/v3/application/users/me",
    headers: { ...bearer, "x-api-key": "etsy-client:etsy-secret-value" },
  },
  shopify: {
    method: "GET",
    url: "https://demo.myshopify.com/admin/api/2026-10/shop.json",
    headers: { accept: JSON_TYPE, "x-shopify-access-token": AT },
  },
  xero: { method: "GET", url: "https://api.xero.com/connections", headers: bearer },
  lightspeed: { method: "GET", url: "https://acme.retail.lightspeed.app/api/2.0/outlets", headers: bearer },
  microsoft: { method: "GET", url: "https://graph.microsoft.com/v1.0/me", headers: bearer },
  twitter: { method: "GET", url: "https://api.x.com/2/users/me", headers: bearer },
  linkedin: { method: "GET", url: "https://api.linkedin.com/v2/userinfo", headers: bearer },
  reddit: {
    method: "GET",
    url: "https://oauth.reddit.com/api/v1/me",
    headers: { ...bearer, "user-agent": "server:provider-tokens:reddit-client:v0.1.0" },
  },
  twitch: { method: "GET", url: "https://id.twitch.tv/oauth2/validate", headers: { accept: JSON_TYPE, authorization: `OAuth ${AT}` } },
  dropbox: { method: "POST", url: "https://api.dropboxapi.com/2/users/get_current_account", headers: bearer },
};

async function expectRequest(request: Request, row: Row): Promise<void> {
  expect(request.method).toBe(row.method);
  expect(request.url).toBe(row.url);
  expect(headersOf(request)).toEqual(row.headers);
  if (row.body === undefined) expect(request.body).toBeNull();
  else if (Array.isArray(row.body)) expect(await formEntries(request)).toEqual(row.body);
  else expect(JSON.parse(await request.text())).toEqual(row.body);
}

describe("buildValidationRequest", () => {
  it.each(Object.keys(VALIDATION).map((id) => [id as ProviderId]))("builds the exact %s validation request", async (id) => {
    await expectRequest(buildValidationRequest(testProvider(id), AT, { endpointParams: PARAMS }), VALIDATION[id] as Row);
  });

  it("has no validation call for QuickBooks only (its tokens always expire)", () => {
    expect(PROVIDER_IDS.filter((id) => VALIDATION[id] === undefined)).toEqual(["quickbooks"]);
    expect(() => buildValidationRequest(testProvider("quickbooks"), AT)).toThrow('provider "quickbooks" defines no validation call');
  });

  it("never puts the token in the URL", () => {
    for (const id of Object.keys(VALIDATION) as ProviderId[]) {
      expect(buildValidationRequest(testProvider(id), AT, { endpointParams: PARAMS }).url).not.toContain(AT);
    }
  });

  it("follows the API override (emulator)", () => {
    const request = buildValidationRequest(testProvider("shopify", { SHOPIFY_API_URL: "http://127.0.0.1:54500/shopify/{shop}/admin/api/2026-10/" }), AT, {
      endpointParams: { shop: "demo.myshopify.com" },
    });
    expect(request.url).toBe("http://127.0.0.1:54500/shopify/demo/admin/api/2026-10/shop.json");
  });
});

describe("parseValidationResponse", () => {
  it("accepts 2xx and reads Twitch's remaining lifetime", async () => {
    expect(await parseValidationResponse(testProvider("shopify"), json(200, { shop: { id: 1 } }))).toEqual({ valid: true });
    expect(
      await parseValidationResponse(testProvider("twitch"), json(200, { client_id: "c", login: "l", scopes: [], user_id: "42", expires_in: 5520 }), { now: NOW }),
    ).toEqual({ valid: true, expiresAt: new Date("2026-11-23T13:32:00.000Z") });
  });

  it.each([
    ["shopify", 401, { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" }],
    ["shopify", 404, { errors: "Not Found" }],
    ["github", 404, { message: "Not Found" }],
    ["twitch", 401, { status: 401, message: "invalid access token" }],
    ["google", 400, { error: "invalid_token", error_description: "Invalid Value" }],
    ["spotify", 401, { error: { status: 401, message: "The access token expired" } }],
    ["xero", 401, { Title: "Unauthorized", Status: 401 }],
  ] as const)("%s %i means the token is invalid: reauth_required", async (id, status, body) => {
    const error = await parseValidationResponse(testProvider(id), json(status, body), { accessToken: AT }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: "reauth_required", operation: "validate", status });
  });

  it("blames the client, not the user, when GitHub rejects our Basic credentials", async () => {
    await expect(parseValidationResponse(testProvider("github"), json(401, { message: "Requires authentication" }))).rejects.toMatchObject({
      code: "client_misconfigured",
    });
  });

  it("keeps rate limits and outages apart from invalid tokens", async () => {
    await expect(parseValidationResponse(testProvider("twitch"), json(429, {}, { "retry-after": "35" }))).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterMs: 35_000,
    });
    await expect(parseValidationResponse(testProvider("shopify"), new Response("oops", { status: 503 }))).rejects.toMatchObject({ code: "transient" });
  });
});

const IDENTITY: Partial<Record<ProviderId, { row: Row; body: unknown; id: string }>> = {
  spotify: { row: VALIDATION.spotify as Row, body: { id: "sp-user", display_name: "x" }, id: "sp-user" },
  discord: { row: VALIDATION.discord as Row, body: { application: {}, user: { id: "80351110224678912" } }, id: "80351110224678912" },
  google: { row: { method: "GET", url: "https://www.googleapis.com/oauth2/v3/userinfo", headers: bearer }, body: { sub: "1098" }, id: "1098" },
  github: {
    row: {
      method: "GET",
      url: "https://api.github.com/user",
      headers: { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "provider-tokens", authorization: `Bearer ${AT}` },
    },
    body: { id: 583231, login: "octocat" },
    id: "583231",
  },
  etsy: { row: VALIDATION.etsy as Row, body: { user_id: 123456, shop_id: 7 }, id: "123456" },
  xero: { row: VALIDATION.xero as Row, body: [{ id: "c1", tenantId: "tenant-uuid-1", tenantType: "ORGANISATION" }], id: "tenant-uuid-1" },
  microsoft: { row: VALIDATION.microsoft as Row, body: { id: "87d349ed-44d7-43e1-9a83-5f2406dee5bd" }, id: "87d349ed-44d7-43e1-9a83-5f2406dee5bd" },
  twitter: { row: VALIDATION.twitter as Row, body: { data: { id: "2244994945", username: "XDevelopers" } }, id: "2244994945" },
  linkedin: { row: VALIDATION.linkedin as Row, body: { sub: "782bbtaQ" }, id: "782bbtaQ" },
  reddit: { row: VALIDATION.reddit as Row, body: { id: "t2abc", name: "someone" }, id: "t2abc" },
  twitch: { row: VALIDATION.twitch as Row, body: { user_id: "141981764", login: "twitchdev" }, id: "141981764" },
  dropbox: { row: VALIDATION.dropbox as Row, body: { account_id: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", email: "a@example.com" }, id: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc" },
};

describe("account identity", () => {
  it.each(Object.keys(IDENTITY).map((id) => [id as ProviderId]))("%s: builds the identity call and reads the account id", async (id) => {
    const { row, body, id: accountId } = IDENTITY[id] as { row: Row; body: unknown; id: string };
    await expectRequest(buildIdentityRequest(testProvider(id), AT), row);
    expect(await parseIdentityResponse(testProvider(id), json(200, body))).toEqual({ accountId });
  });

  it.each([["quickbooks"], ["lightspeed"], ["shopify"]] as const)("%s takes the account from the callback or shop, not an API call", (id) => {
    expect(() => buildIdentityRequest(testProvider(id), AT)).toThrow(`provider "${id}" takes its account id from the`);
  });

  it("reports a response without the id field as transient", async () => {
    await expect(parseIdentityResponse(testProvider("xero"), json(200, []))).rejects.toMatchObject({ code: "transient", message: 'xero identity failed: response has no "0.tenantId"' });
  });

  it("classifies a rejected token", async () => {
    await expect(parseIdentityResponse(testProvider("spotify"), json(401, { error: { status: 401, message: "Invalid access token" } }))).rejects.toMatchObject({
      code: "reauth_required",
      operation: "identity",
    });
  });
});
