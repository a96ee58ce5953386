import { describe, expect, it } from "vitest";
import { ProviderConfigError } from "../providers/provider-config-error.ts";
import type { ProviderId } from "../providers/provider-ids.ts";
import { PROVIDER_IDS } from "../providers/provider-ids.ts";
import { buildRefreshRequest, parseRefreshResponse } from "./refresh-grant.ts";
import { basic, formEntries, headersOf, json, NOW, testProvider } from "./test-support.ts";

const RT = "stored-refresh-token-abc123";
const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

interface Expected {
  url: string;
  headers: Record<string, string>;
  body: Array<[string, string]> | Record<string, string>;
  context?: Parameters<typeof buildRefreshRequest>[2];
}

const grant: Array<[string, string]> = [
  ["grant_type", "refresh_token"],
  ["refresh_token", RT],
];
const basicRow = (id: string, url: string, extraHeaders: Record<string, string> = {}): Expected => ({
  url,
  headers: { accept: JSON_TYPE, "content-type": FORM, authorization: basic(`${id}-client`, `${id}-secret-value`), ...extraHeaders },
  body: grant,
});
const postRow = (id: string, url: string, extraHeaders: Record<string, string> = {}): Expected => ({
  url,
  headers: { accept: JSON_TYPE, "content-type": FORM, ...extraHeaders },
  body: [...grant, ["client_id", `${id}-client`], ["client_secret", `${id}-secret-value`]],
});

const EXPECTED: Record<ProviderId, Expected> = {
  spotify: basicRow("spotify", "https://accounts.spotify.com/api/token"),
  discord: basicRow("discord", "https://discord.com/api/oauth2/token"),
  google: postRow("google", "https://oauth2.googleapis.com/token"),
  youtube: postRow("youtube", "https://oauth2.googleapis.com/token"),
  gmail: postRow("gmail", "https://oauth2.googleapis.com/token"),
  google_calendar: postRow("google_calendar", "https://oauth2.googleapis.com/token"),
  github: postRow("github", "https://github.com/login/oauth/access_token"),
  etsy: {
    url: "https://api.etsy.com/v3/public/oauth/token",
    headers: { accept: JSON_TYPE, "content-type": FORM },
    // Etsy: client_id (keystring) only; the shared secret never goes to the token endpoint.
    body: [...grant, ["client_id", "etsy-client"]],
  },
  shopify: {
    url: "https://demo-store.myshopify.com/admin/oauth/access_token",
    headers: { accept: JSON_TYPE, "content-type": JSON_TYPE },
    body: { grant_type: "refresh_token", refresh_token: RT, client_id: "shopify-client", client_secret: "shopify-secret-value" },
    context: { endpointParams: { shop: "demo-store.myshopify.com" } },
  },
  quickbooks: basicRow("quickbooks", "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"),
  xero: basicRow("xero", "https://identity.xero.com/connect/token"),
  lightspeed: { ...postRow("lightspeed", "https://acme-store.retail.lightspeed.app/api/1.0/token"), context: { endpointParams: { domain_prefix: "acme-store" } } },
  microsoft: {
    url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    headers: { accept: JSON_TYPE, "content-type": FORM },
    body: [
      ...grant,
      ["scope", "openid User.Read Mail.Read offline_access"],
      ["client_id", "microsoft-client"],
      ["client_secret", "microsoft-secret-value"],
    ],
    context: { scopes: ["openid", "User.Read", "Mail.Read"] },
  },
  twitter: basicRow("twitter", "https://api.x.com/2/oauth2/token"),
  linkedin: postRow("linkedin", "https://www.linkedin.com/oauth/v2/accessToken"),
  reddit: basicRow("reddit", "https://www.reddit.com/api/v1/access_token", { "user-agent": "server:provider-tokens:reddit-client:v0.1.0" }),
  twitch: postRow("twitch", "https://id.twitch.tv/oauth2/token"),
  dropbox: postRow("dropbox", "https://api.dropboxapi.com/oauth2/token"),
};

describe("buildRefreshRequest", () => {
  it("covers every provider id", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...PROVIDER_IDS].sort());
  });

  it.each(PROVIDER_IDS.map((id) => [id]))("builds the exact %s refresh request", async (id) => {
    const expected = EXPECTED[id];
    const request = buildRefreshRequest(testProvider(id), RT, expected.context);
    expect(request.method).toBe("POST");
    expect(request.url).toBe(expected.url);
    expect(headersOf(request)).toEqual(expected.headers);
    if (Array.isArray(expected.body)) {
      expect(await formEntries(request)).toEqual(expected.body);
    } else {
      expect(JSON.parse(await request.text())).toEqual(expected.body);
    }
  });

  it("encodes Basic credentials as RFC 7617 describes", () => {
    const provider = testProvider("spotify", { SPOTIFY_CLIENT_ID: "Aladdin", SPOTIFY_CLIENT_SECRET: "open sesame" });
    expect(buildRefreshRequest(provider, RT).headers.get("authorization")).toBe("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  });

  it("form-encodes reserved characters in the refresh token", async () => {
    const request = buildRefreshRequest(testProvider("google"), "1//0g+a/b=c&d");
    expect(await request.clone().text()).toContain("refresh_token=1%2F%2F0g%2Ba%2Fb%3Dc%26d");
    expect(await formEntries(request)).toContainEqual(["refresh_token", "1//0g+a/b=c&d"]);
  });

  it("uses default scopes plus offline_access for Microsoft when the connection has none stored", async () => {
    const request = buildRefreshRequest(testProvider("microsoft"), RT);
    expect(await formEntries(request)).toContainEqual(["scope", "openid profile User.Read offline_access"]);
  });

  it("routes Microsoft to a tenant and emulator overrides", () => {
    const ms = testProvider("microsoft", { MICROSOFT_TOKEN_URL: "http://127.0.0.1:54999/ms/{tenant}/token" });
    expect(buildRefreshRequest(ms, RT, { endpointParams: { tenant: "contoso" } }).url).toBe("http://127.0.0.1:54999/ms/contoso/token");
  });

  it("requires the per-store parameter and validates it", () => {
    expect(() => buildRefreshRequest(testProvider("shopify"), RT)).toThrow(ProviderConfigError);
    expect(() => buildRefreshRequest(testProvider("lightspeed"), RT, { endpointParams: { domain_prefix: "evil.com/x" } })).toThrow(
      '"domain_prefix" must contain only letters',
    );
  });

  it.each([[""], [undefined], [null], [42]])("rejects refresh token %j, naming the field", (value) => {
    expect(() => buildRefreshRequest(testProvider("google"), value as never)).toThrow('"refresh_token" must be a non-empty string');
  });
});

describe("parseRefreshResponse", () => {
  it.each(PROVIDER_IDS.map((id) => [id]))("%s: stores a rotated refresh token", async (id) => {
    const set = await parseRefreshResponse(
      testProvider(id),
      json(200, { access_token: "new-at", refresh_token: "new-rt", token_type: "bearer", expires_in: 3600 }),
      { previousRefreshToken: RT, now: NOW },
    );
    expect(set.accessToken).toBe("new-at");
    expect(set.refreshToken).toBe("new-rt");
    expect(set.refreshTokenRotated).toBe(true);
    expect(set.expiresAt.toISOString()).toBe("2026-11-23T13:00:00.000Z");
  });

  it.each(PROVIDER_IDS.map((id) => [id]))("%s: keeps the stored refresh token when none comes back", async (id) => {
    for (const refreshToken of [undefined, null, ""]) {
      const set = await parseRefreshResponse(
        testProvider(id),
        json(200, { access_token: "new-at", token_type: "Bearer", expires_in: 3600, refresh_token: refreshToken }),
        { previousRefreshToken: RT, now: NOW },
      );
      expect(set.refreshToken).toBe(RT);
      expect(set.refreshTokenRotated).toBe(false);
    }
  });

  it("does not report rotation when the same refresh token comes back (LinkedIn, Google)", async () => {
    const set = await parseRefreshResponse(testProvider("linkedin"), json(200, { access_token: "a", refresh_token: RT, expires_in: 5184000 }), {
      previousRefreshToken: RT,
      now: NOW,
    });
    expect(set.refreshToken).toBe(RT);
    expect(set.refreshTokenRotated).toBe(false);
  });

  it("requires the stored refresh token", async () => {
    await expect(parseRefreshResponse(testProvider("google"), json(200, { access_token: "a" }), { previousRefreshToken: "" })).rejects.toThrow(
      '"previousRefreshToken" must be a non-empty string',
    );
  });
});
