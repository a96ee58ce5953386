import { describe, expect, it } from "vitest";
import type { ProviderId } from "../providers/provider-ids.ts";
import { PROVIDER_IDS } from "../providers/provider-ids.ts";
import { ProviderError } from "./provider-error.ts";
import { buildRevocationRequest, parseRevocationResponse } from "./revocation.ts";
import { basic, formEntries, headersOf, json, testProvider } from "./test-support.ts";

const AT = "access-token-value-1";
const RT = "refresh-token-value-1";
const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

interface Row {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Array<[string, string]> | Record<string, string> | null;
}

const google = (): Row => ({
  method: "POST",
  url: "https://oauth2.googleapis.com/revoke",
  headers: { accept: JSON_TYPE, "content-type": FORM },
  body: [["token", RT]],
});

const EXPECTED: Partial<Record<ProviderId, Row>> = {
  google: google(),
  youtube: google(),
  gmail: google(),
  google_calendar: google(),
  discord: {
    method: "POST",
    url: "https://discord.com/api/oauth2/token/revoke",
    headers: { accept: JSON_TYPE, "content-type": FORM, authorization: basic("discord-client", "discord-secret-value") },
    body: [
      ["token", RT],
      ["token_type_hint", "refresh_token"],
    ],
  },
  github: {
    method: "DELETE",
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
  shopify: {
    method: "DELETE",
    url: "https://demo.myshopify.com/admin/api_permissions/current.json",
    headers: { accept: JSON_TYPE, "x-shopify-access-token": AT },
    body: null,
  },
  quickbooks: {
    method: "POST",
    url: "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
    headers: { accept: JSON_TYPE, "content-type": JSON_TYPE, authorization: basic("quickbooks-client", "quickbooks-secret-value") },
    body: { token: RT },
  },
  xero: {
    method: "POST",
    url: "https://identity.xero.com/connect/revocation",
    headers: { accept: JSON_TYPE, "content-type": FORM, authorization: basic("xero-client", "xero-secret-value") },
    body: [["token", RT]],
  },
  twitter: {
    method: "POST",
    url: "https://api.x.com/2/oauth2/revoke",
    headers: { accept: JSON_TYPE, "content-type": FORM, authorization: basic("twitter-client", "twitter-secret-value") },
    body: [
      ["token", RT],
      ["token_type_hint", "refresh_token"],
    ],
  },
  reddit: {
    method: "POST",
    url: "https://www.reddit.com/api/v1/revoke_token",
    headers: {
      accept: JSON_TYPE,
      "content-type": FORM,
      authorization: basic("reddit-client", "reddit-secret-value"),
      "user-agent": "server:provider-tokens:reddit-client:v0.1.0",
    },
    body: [
      ["token", RT],
      ["token_type_hint", "refresh_token"],
    ],
  },
  twitch: {
    method: "POST",
    url: "https://id.twitch.tv/oauth2/revoke",
    headers: { accept: JSON_TYPE, "content-type": FORM },
    body: [
      ["token", AT],
      ["client_id", "twitch-client"],
    ],
  },
  dropbox: {
    method: "POST",
    url: "https://api.dropboxapi.com/2/auth/token/revoke",
    headers: { accept: JSON_TYPE, authorization: `Bearer ${AT}` },
    body: null,
  },
};

const WITHOUT_REVOCATION = PROVIDER_IDS.filter((id) => EXPECTED[id] === undefined);

describe("buildRevocationRequest", () => {
  it("lists exactly the providers without a revocation endpoint", () => {
    expect(WITHOUT_REVOCATION).toEqual(["spotify", "etsy", "lightspeed", "microsoft", "linkedin"]);
  });

  it.each(Object.keys(EXPECTED).map((id) => [id as ProviderId]))("builds the exact %s revocation request", async (id) => {
    const row = EXPECTED[id] as Row;
    const request = buildRevocationRequest(testProvider(id), { accessToken: AT, refreshToken: RT }, { endpointParams: { shop: "demo" } });
    expect(request.method).toBe(row.method);
    expect(request.url).toBe(row.url);
    expect(headersOf(request)).toEqual(row.headers);
    if (row.body === null) expect(request.body).toBeNull();
    else if (Array.isArray(row.body)) expect(await formEntries(request)).toEqual(row.body);
    else expect(JSON.parse(await request.text())).toEqual(row.body);
  });

  it.each(WITHOUT_REVOCATION.map((id) => [id]))("refuses to build a revocation for %s", (id) => {
    expect(() => buildRevocationRequest(testProvider(id), { accessToken: AT })).toThrow(`provider "${id}" has no revocation endpoint`);
  });

  it("falls back to the access token when no refresh token is stored (Google)", async () => {
    const request = buildRevocationRequest(testProvider("google"), { accessToken: AT });
    expect(await formEntries(request)).toEqual([["token", AT]]);
  });

  it("hints the token type actually sent (Reddit access token)", async () => {
    const request = buildRevocationRequest(testProvider("reddit"), { accessToken: AT });
    expect(await formEntries(request)).toEqual([
      ["token", AT],
      ["token_type_hint", "access_token"],
    ]);
  });

  it("needs Shopify's access token and any token elsewhere", () => {
    expect(() => buildRevocationRequest(testProvider("shopify"), { refreshToken: RT }, { endpointParams: { shop: "demo" } })).toThrow(
      '"accessToken" is required to revoke at shopify',
    );
    expect(() => buildRevocationRequest(testProvider("xero"), {})).toThrow('"refreshToken" is required to revoke at xero');
  });
});

describe("parseRevocationResponse", () => {
  it("accepts 200 and 204", async () => {
    expect(await parseRevocationResponse(testProvider("xero"), new Response(null, { status: 200 }))).toEqual({ revoked: true, alreadyInvalid: false });
    expect(await parseRevocationResponse(testProvider("github"), new Response(null, { status: 204 }))).toEqual({ revoked: true, alreadyInvalid: false });
  });

  it("treats GitHub 404 and Shopify 401 as already revoked", async () => {
    expect(await parseRevocationResponse(testProvider("github"), json(404, { message: "Not Found" }))).toEqual({ revoked: true, alreadyInvalid: true });
    expect(await parseRevocationResponse(testProvider("shopify"), json(401, { errors: "[API] Invalid API key or access token" }))).toEqual({
      revoked: true,
      alreadyInvalid: true,
    });
  });

  it("treats Google's 400 invalid_token as already revoked", async () => {
    expect(await parseRevocationResponse(testProvider("gmail"), json(400, { error: "invalid_token", error_description: "Token expired or revoked" }))).toEqual({
      revoked: true,
      alreadyInvalid: true,
    });
  });

  it("classifies other failures", async () => {
    const error = await parseRevocationResponse(testProvider("twitter"), json(401, { error: "unauthorized_client", error_description: "Missing valid authorization header" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: "client_misconfigured", operation: "revoke", status: 401 });
    await expect(parseRevocationResponse(testProvider("reddit"), new Response("<html>bad gateway</html>", { status: 502 }))).rejects.toMatchObject({
      code: "transient",
    });
  });
});
