import { describe, expect, it } from "vitest";
import type { ProviderId } from "../providers/provider-ids.ts";
import { PROVIDER_IDS } from "../providers/provider-ids.ts";
import { buildCodeExchangeRequest, parseCodeExchangeResponse, type CodeExchangeInput } from "./code-exchange.ts";
import { basic, formEntries, headersOf, json, NOW, testProvider } from "./test-support.ts";

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";
const REDIRECT = "https://app.example.com/functions/v1/oauth-callback";
const VERIFIER = "verifier-0123456789-0123456789-0123456789-abc";

const code = (withVerifier: boolean): Array<[string, string]> => [
  ["grant_type", "authorization_code"],
  ["code", "the-code"],
  ["redirect_uri", REDIRECT],
  ...(withVerifier ? ([["code_verifier", VERIFIER]] as Array<[string, string]>) : []),
];

interface Row {
  url: string;
  headers: Record<string, string>;
  body: Array<[string, string]> | Record<string, string>;
  input?: Partial<CodeExchangeInput>;
}

const basicRow = (id: string, url: string, pkce: boolean, extra: Record<string, string> = {}): Row => ({
  url,
  headers: { accept: JSON_TYPE, "content-type": FORM, authorization: basic(`${id}-client`, `${id}-secret-value`), ...extra },
  body: code(pkce),
  input: pkce ? { codeVerifier: VERIFIER } : {},
});
const postRow = (id: string, url: string, pkce: boolean): Row => ({
  url,
  headers: { accept: JSON_TYPE, "content-type": FORM },
  body: [...code(pkce), ["client_id", `${id}-client`], ["client_secret", `${id}-secret-value`]],
  input: pkce ? { codeVerifier: VERIFIER } : {},
});

const EXPECTED: Record<ProviderId, Row> = {
  spotify: basicRow("spotify", "https://accounts.spotify.com/api/token", true),
  discord: basicRow("discord", "https://discord.com/api/oauth2/token", true),
  google: postRow("google", "https://oauth2.googleapis.com/token", true),
  youtube: postRow("youtube", "https://oauth2.googleapis.com/token", true),
  gmail: postRow("gmail", "https://oauth2.googleapis.com/token", false),
  google_calendar: postRow("google_calendar", "https://oauth2.googleapis.com/token", true),
  github: postRow("github", "https://github.com/login/oauth/access_token", true),
  etsy: {
    url: "https://api.etsy.com/v3/public/oauth/token",
    headers: { accept: JSON_TYPE, "content-type": FORM },
    body: [...code(true), ["client_id", "etsy-client"]],
    input: { codeVerifier: VERIFIER },
  },
  shopify: {
    url: "https://demo-store.myshopify.com/admin/oauth/access_token",
    headers: { accept: JSON_TYPE, "content-type": JSON_TYPE },
    body: {
      grant_type: "authorization_code",
      code: "the-code",
      redirect_uri: REDIRECT,
      expiring: "1",
      client_id: "shopify-client",
      client_secret: "shopify-secret-value",
    },
    input: { endpointParams: { shop: "demo-store" } },
  },
  quickbooks: basicRow("quickbooks", "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer", false),
  xero: basicRow("xero", "https://identity.xero.com/connect/token", true),
  lightspeed: { ...postRow("lightspeed", "https://acme.retail.lightspeed.app/api/1.0/token", false), input: { endpointParams: { domain_prefix: "acme" } } },
  microsoft: postRow("microsoft", "https://login.microsoftonline.com/common/oauth2/v2.0/token", true),
  twitter: basicRow("twitter", "https://api.x.com/2/oauth2/token", true),
  linkedin: postRow("linkedin", "https://www.linkedin.com/oauth/v2/accessToken", false),
  reddit: basicRow("reddit", "https://www.reddit.com/api/v1/access_token", false, { "user-agent": "server:provider-tokens:reddit-client:v0.1.0" }),
  twitch: postRow("twitch", "https://id.twitch.tv/oauth2/token", false),
  dropbox: postRow("dropbox", "https://api.dropboxapi.com/oauth2/token", true),
};

describe("buildCodeExchangeRequest", () => {
  it.each(PROVIDER_IDS.map((id) => [id]))("builds the exact %s code exchange request", async (id) => {
    const row = EXPECTED[id];
    const request = buildCodeExchangeRequest(testProvider(id), { code: "the-code", redirectUri: REDIRECT, ...row.input });
    expect(request.method).toBe("POST");
    expect(request.url).toBe(row.url);
    expect(headersOf(request)).toEqual(row.headers);
    if (Array.isArray(row.body)) expect(await formEntries(request)).toEqual(row.body);
    else expect(JSON.parse(await request.text())).toEqual(row.body);
  });

  it.each([["etsy"], ["twitter"]] as const)("requires a PKCE verifier for %s", (id) => {
    expect(() => buildCodeExchangeRequest(testProvider(id), { code: "c", redirectUri: REDIRECT })).toThrow(
      `"codeVerifier" is required: ${id} requires PKCE`,
    );
  });

  it("names missing fields", () => {
    expect(() => buildCodeExchangeRequest(testProvider("google"), { code: "", redirectUri: REDIRECT })).toThrow('"code" must be a non-empty string');
    expect(() => buildCodeExchangeRequest(testProvider("google"), { code: "c", redirectUri: "" })).toThrow('"redirectUri" must be a non-empty string');
  });
});

describe("parseCodeExchangeResponse", () => {
  it("returns tokens without a refresh token for a GitHub OAuth app (never expires: validate daily)", async () => {
    const set = await parseCodeExchangeResponse(testProvider("github"), json(200, { access_token: "gho_x", token_type: "bearer", scope: "read:user,repo" }), { now: NOW });
    expect(set.refreshToken).toBeUndefined();
    expect(set.refreshTokenRotated).toBe(false);
    expect(set.scopes).toEqual(["read:user", "repo"]);
    expect(set.expiresAtAssumed).toBe(true);
    expect(set.expiresAt.toISOString()).toBe("2026-11-24T12:00:00.000Z");
  });

  it("reports requested scopes when the response omits scope", async () => {
    const set = await parseCodeExchangeResponse(testProvider("xero"), json(200, { access_token: "a", refresh_token: "r", expires_in: 1800 }), {
      requestedScopes: ["openid", "offline_access"],
      now: NOW,
    });
    expect(set.scopes).toEqual(["openid", "offline_access"]);
    expect(set.refreshToken).toBe("r");
    expect(set.refreshTokenRotated).toBe(false);
  });

  it("classifies an expired code (GitHub 200 bad_verification_code)", async () => {
    await expect(
      parseCodeExchangeResponse(testProvider("github"), json(200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." })),
    ).rejects.toMatchObject({ code: "reauth_required", operation: "exchange", error: "bad_verification_code", status: 200 });
  });
});
