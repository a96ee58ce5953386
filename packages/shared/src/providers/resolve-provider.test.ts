import { describe, expect, it } from "vitest";
import { providerEndpointUrl } from "./provider-endpoint.ts";
import { ProviderConfigError } from "./provider-config-error.ts";
import { resolveProvider, resolveIfConfigured } from "./resolve-provider.ts";
import { configError } from "./test-support.ts";


const SECRET = "sp-secret-value-0123456789";

describe("resolveProvider", () => {
  it("reads <ID>_CLIENT_ID and <ID>_CLIENT_SECRET and keeps catalog endpoints", () => {
    const provider = resolveProvider("spotify", { SPOTIFY_CLIENT_ID: "sp-id", SPOTIFY_CLIENT_SECRET: SECRET });
    expect(provider.id).toBe("spotify");
    expect(provider.clientId).toBe("sp-id");
    expect(provider.clientSecret).toBe(SECRET);
    expect(provider.credentialsFrom).toBe("SPOTIFY");
    expect(provider.endpoints).toEqual({
      authorize: "https://accounts.spotify.com/authorize",
      token: "https://accounts.spotify.com/api/token",
      revoke: undefined,
      api: "https://api.spotify.com/v1",
    });
  });

  it("keeps the client secret non-enumerable", () => {
    const provider = resolveProvider("spotify", { SPOTIFY_CLIENT_ID: "sp-id", SPOTIFY_CLIENT_SECRET: SECRET });
    expect(Object.keys(provider)).not.toContain("clientSecret");
    expect(JSON.stringify(provider)).not.toContain(SECRET);
    expect({ ...provider }).not.toHaveProperty("clientSecret");
  });

  it("applies endpoint overrides, including http and templates", () => {
    const provider = resolveProvider("shopify", {
      SHOPIFY_CLIENT_ID: "id",
      SHOPIFY_CLIENT_SECRET: "secret",
      SHOPIFY_TOKEN_URL: "http://127.0.0.1:54400/shopify/{shop}/admin/oauth/access_token",
      SHOPIFY_API_URL: "http://127.0.0.1:54400/shopify/{shop}/api",
    });
    expect(providerEndpointUrl(provider, "token", { shop: "demo.myshopify.com" }).href).toBe(
      "http://127.0.0.1:54400/shopify/demo/admin/oauth/access_token",
    );
    expect(providerEndpointUrl(provider, "api", { shop: "demo" }).href).toBe("http://127.0.0.1:54400/shopify/demo/api");
    expect(providerEndpointUrl(provider, "authorize", { shop: "demo" }).href).toBe(
      "https://demo.myshopify.com/admin/oauth/authorize",
    );
  });

  it("falls back to GOOGLE_* for youtube, gmail and google_calendar", () => {
    const env = {
      GOOGLE_CLIENT_ID: "g-id",
      GOOGLE_CLIENT_SECRET: "g-secret",
      GOOGLE_TOKEN_URL: "http://127.0.0.1:1/google/token",
      GOOGLE_CALENDAR_API_URL: "http://127.0.0.1:1/calendar/api",
    };
    for (const id of ["youtube", "gmail", "google_calendar"]) {
      const provider = resolveProvider(id, env);
      expect(provider.clientId).toBe("g-id");
      expect(provider.credentialsFrom).toBe("GOOGLE");
      expect(provider.endpoints.token).toBe("http://127.0.0.1:1/google/token");
    }
    expect(resolveProvider("google_calendar", env).endpoints.api).toBe("http://127.0.0.1:1/calendar/api");
    expect(resolveProvider("gmail", env).endpoints.api).toBe("https://www.googleapis.com/oauth2/v3");
  });

  it("prefers a provider's own credentials over the Google fallback, as a pair", () => {
    const env = { GOOGLE_CLIENT_ID: "g-id", GOOGLE_CLIENT_SECRET: "g-secret", GMAIL_CLIENT_ID: "gm-id", GMAIL_CLIENT_SECRET: "gm-s" };
    expect(resolveProvider("gmail", env).clientId).toBe("gm-id");
    expect(resolveProvider("gmail", env).clientSecret).toBe("gm-s");
    // Half a pair is a configuration error, not a silent mix with GOOGLE_CLIENT_SECRET.
    const error = configError(() => resolveProvider("gmail", { ...env, GMAIL_CLIENT_SECRET: "" }));
    expect(error.message).toBe('provider "gmail" is not configured: set GMAIL_CLIENT_SECRET');
  });

  it("does not let the generic google provider read another prefix", () => {
    const error = configError(() => resolveProvider("google", { GMAIL_CLIENT_ID: "x", GMAIL_CLIENT_SECRET: "y" }));
    expect(error.code).toBe("provider_not_configured");
  });

  it("reports missing credentials as provider_not_configured, naming the variables", () => {
    const error = configError(() => resolveProvider("google_calendar", {}));
    expect(error.code).toBe("provider_not_configured");
    expect(error.provider).toBe("google_calendar");
    expect(error.message).toBe('provider "google_calendar" is not configured: set GOOGLE_CALENDAR_CLIENT_ID and GOOGLE_CALENDAR_CLIENT_SECRET');
    expect(configError(() => resolveProvider("xero", { XERO_CLIENT_ID: "  " , XERO_CLIENT_SECRET: "s" })).message).toBe(
      'provider "xero" is not configured: set XERO_CLIENT_ID',
    );
  });

  it("reports an unknown id as unknown_provider", () => {
    for (const id of ["myspace", "SPOTIFY", "__proto__", ""]) {
      expect(configError(() => resolveProvider(id, {})).code).toBe("unknown_provider");
    }
  });

  it("rejects overrides that are not http(s) URLs, naming the variable but not echoing secrets", () => {
    const env = { XERO_CLIENT_ID: "id", XERO_CLIENT_SECRET: SECRET };
    const error = configError(() => resolveProvider("xero", { ...env, XERO_TOKEN_URL: "javascript:alert(1)" }));
    expect(error.code).toBe("provider_not_configured");
    expect(error.message).toBe('"XERO_TOKEN_URL" must be an http(s) URL');
    expect(configError(() => resolveProvider("xero", { ...env, XERO_API_URL: "https://x/{bad}" })).message).toBe(
      '"XERO_API_URL" must be an http(s) URL',
    );
  });

  it("fills catalog defaults and client_id into templates", () => {
    const ms = resolveProvider("microsoft", { MICROSOFT_CLIENT_ID: "m", MICROSOFT_CLIENT_SECRET: "s" });
    expect(providerEndpointUrl(ms, "token").href).toBe("https://login.microsoftonline.com/common/oauth2/v2.0/token");
    expect(providerEndpointUrl(ms, "token", { tenant: "contoso-tenant" }).href).toBe(
      "https://login.microsoftonline.com/contoso-tenant/oauth2/v2.0/token",
    );
    const gh = resolveProvider("github", { GITHUB_CLIENT_ID: "Iv1.abc", GITHUB_CLIENT_SECRET: "s" });
    expect(providerEndpointUrl(gh, "revoke").href).toBe("https://api.github.com/applications/Iv1.abc/token");
    expect(() => providerEndpointUrl(resolveProvider("spotify", { SPOTIFY_CLIENT_ID: "a", SPOTIFY_CLIENT_SECRET: "b" }), "revoke")).toThrow(
      'provider "spotify" has no revoke endpoint',
    );
  });

  it("rejects a GitHub client id that would escape its path segment", () => {
    const gh = resolveProvider("github", { GITHUB_CLIENT_ID: "..", GITHUB_CLIENT_SECRET: "s" });
    expect(configError(() => providerEndpointUrl(gh, "revoke")).code).toBe("invalid_endpoint_parameter");
  });
});

describe("resolveIfConfigured", () => {
  it("returns not-configured instead of throwing, but still throws for unknown ids", () => {
    const result = resolveIfConfigured("twitch", {});
    expect(result.configured).toBe(false);
    expect(() => resolveIfConfigured("nope", {})).toThrow(ProviderConfigError);
  });
});
