import { describe, expect, it } from "vitest";
import type { ProviderId } from "../providers/provider-ids.ts";
import { PROVIDER_IDS } from "../providers/provider-ids.ts";
import { buildAuthorizationUrl, createAuthorizationRequest } from "./authorization-url.ts";
import { testProvider } from "./test-support.ts";

const REDIRECT = "https://proj.supabase.co/functions/v1/oauth-callback";
const STATE = "state-abc";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

interface Row {
  base: string;
  scope: string | null;
  pkce: boolean;
  extra: Record<string, string>;
  endpointParams?: Record<string, string>;
}

const google = (scope: string): Row => ({
  base: "https://accounts.google.com/o/oauth2/v2/auth",
  scope,
  pkce: true,
  extra: { access_type: "offline", prompt: "consent" },
});

const EXPECTED: Record<ProviderId, Row> = {
  spotify: { base: "https://accounts.spotify.com/authorize", scope: "user-read-email user-read-private", pkce: true, extra: {} },
  discord: { base: "https://discord.com/oauth2/authorize", scope: "identify", pkce: true, extra: {} },
  google: google("openid email"),
  youtube: google("openid email https://www.googleapis.com/auth/youtube.readonly"),
  gmail: google("openid email https://www.googleapis.com/auth/gmail.readonly"),
  google_calendar: google("openid email https://www.googleapis.com/auth/calendar.readonly"),
  github: { base: "https://github.com/login/oauth/authorize", scope: "read:user", pkce: true, extra: {} },
  etsy: { base: "https://www.etsy.com/oauth/connect", scope: "shops_r", pkce: true, extra: {} },
  shopify: { base: "https://demo.myshopify.com/admin/oauth/authorize", scope: "read_products,write_orders", pkce: false, extra: {}, endpointParams: { shop: "demo" } },
  quickbooks: { base: "https://appcenter.intuit.com/connect/oauth2", scope: "com.intuit.quickbooks.accounting", pkce: false, extra: {} },
  xero: { base: "https://login.xero.com/identity/connect/authorize", scope: "openid profile email offline_access", pkce: true, extra: {} },
  lightspeed: { base: "https://secure.retail.lightspeed.app/connect", scope: null, pkce: false, extra: {} },
  microsoft: { base: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", scope: "openid profile User.Read offline_access", pkce: true, extra: {} },
  twitter: { base: "https://x.com/i/oauth2/authorize", scope: "tweet.read users.read offline.access", pkce: true, extra: {} },
  linkedin: { base: "https://www.linkedin.com/oauth/v2/authorization", scope: "openid profile email", pkce: false, extra: {} },
  reddit: { base: "https://www.reddit.com/api/v1/authorize", scope: "identity", pkce: false, extra: { duration: "permanent" } },
  twitch: { base: "https://id.twitch.tv/oauth2/authorize", scope: "user:read:email", pkce: false, extra: {} },
  dropbox: { base: "https://www.dropbox.com/oauth2/authorize", scope: "account_info.read", pkce: true, extra: { token_access_type: "offline" } },
};

describe("buildAuthorizationUrl", () => {
  it.each(PROVIDER_IDS.map((id) => [id]))("builds the %s authorization URL", (id) => {
    const row = EXPECTED[id];
    const scopes = id === "shopify" ? ["read_products", "write_orders"] : undefined;
    const url = buildAuthorizationUrl(testProvider(id), {
      redirectUri: REDIRECT,
      state: STATE,
      scopes,
      codeChallenge: row.pkce ? CHALLENGE : undefined,
      endpointParams: row.endpointParams,
    });
    expect(`${url.origin}${url.pathname}`).toBe(row.base);
    const expected: Record<string, string> = {
      response_type: "code",
      client_id: `${id}-client`,
      redirect_uri: REDIRECT,
      ...(row.scope === null ? {} : { scope: row.scope }),
      state: STATE,
      ...(row.pkce ? { code_challenge: CHALLENGE, code_challenge_method: "S256" } : {}),
      ...row.extra,
    };
    expect(Object.fromEntries(url.searchParams)).toEqual(expected);
  });

  it("always adds the refresh-token scope, without duplicates", () => {
    const url = buildAuthorizationUrl(testProvider("twitter"), { redirectUri: REDIRECT, state: STATE, scopes: ["tweet.read", "offline.access"], codeChallenge: CHALLENGE });
    expect(url.searchParams.get("scope")).toBe("tweet.read offline.access");
  });

  it("encodes spaces in scopes as the URL standard does", () => {
    const url = buildAuthorizationUrl(testProvider("xero"), { redirectUri: REDIRECT, state: STATE });
    expect(url.search).toContain("scope=openid+profile+email+offline_access");
  });

  it.each([["etsy"], ["twitter"]] as const)("requires a code challenge for %s", (id) => {
    expect(() => buildAuthorizationUrl(testProvider(id), { redirectUri: REDIRECT, state: STATE })).toThrow(`"codeChallenge" is required: ${id} requires PKCE`);
  });

  it("adds extra parameters but refuses to override protocol ones", () => {
    const url = buildAuthorizationUrl(testProvider("google"), { redirectUri: REDIRECT, state: STATE, extraParams: { login_hint: "a@b.c" } });
    expect(url.searchParams.get("login_hint")).toBe("a@b.c");
    expect(() => buildAuthorizationUrl(testProvider("google"), { redirectUri: REDIRECT, state: STATE, extraParams: { redirect_uri: "https://evil" } })).toThrow(
      '"extraParams.redirect_uri" cannot be overridden',
    );
  });

  it("needs a valid shop for Shopify", () => {
    expect(() => buildAuthorizationUrl(testProvider("shopify"), { redirectUri: REDIRECT, state: STATE, endpointParams: { shop: "evil.com" } })).toThrow('"shop"');
  });
});

describe("createAuthorizationRequest", () => {
  async function s256(verifier: string): Promise<string> {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  it("generates a random state and a PKCE S256 pair for PKCE providers", async () => {
    const first = await createAuthorizationRequest(testProvider("twitter"), { redirectUri: REDIRECT });
    const second = await createAuthorizationRequest(testProvider("twitter"), { redirectUri: REDIRECT });
    expect(first.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.state).not.toBe(second.state);
    expect(first.codeVerifier).not.toBe(second.codeVerifier);
    expect(first.url.searchParams.get("state")).toBe(first.state);
    expect(first.url.searchParams.get("code_challenge")).toBe(await s256(first.codeVerifier as string));
    expect(first.scopes).toEqual(["tweet.read", "users.read", "offline.access"]);
  });

  it("skips PKCE for providers without it", async () => {
    const request = await createAuthorizationRequest(testProvider("reddit"), { redirectUri: REDIRECT });
    expect(request.codeVerifier).toBeUndefined();
    expect(request.url.searchParams.has("code_challenge")).toBe(false);
    expect(request.url.searchParams.get("duration")).toBe("permanent");
  });
});
