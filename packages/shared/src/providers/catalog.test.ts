import { describe, expect, it } from "vitest";
import { PROVIDER_CATALOG, RAW_PROVIDER_CATALOG, validateCatalog } from "./catalog.ts";
import { PROVIDER_DEFAULTS, providerDefinitionSchema } from "./provider-definition.ts";
import { PROVIDER_IDS } from "./provider-ids.ts";
import { SchemaError } from "./schema-kit.ts";

const clone = <T>(value: T): T => structuredClone(value);

describe("provider catalog", () => {
  it.each(PROVIDER_IDS.map((id) => [id]))("resolves the %s entry to a full definition named by its key", (id) => {
    const resolved = PROVIDER_CATALOG[id];
    expect(providerDefinitionSchema.parse(resolved, id)).toEqual(resolved);
    expect(resolved.id).toBe(id);
    expect(resolved.envPrefix).toBe(id.toUpperCase());
  });

  it("fills what an entry leaves out from the defaults, and keeps what it states", () => {
    expect(RAW_PROVIDER_CATALOG.spotify.oauth).toEqual({ clientAuth: "client_secret_basic" });
    expect(PROVIDER_CATALOG.spotify.oauth).toEqual({ ...PROVIDER_DEFAULTS.oauth, clientAuth: "client_secret_basic" });
    expect(PROVIDER_CATALOG.etsy.errorRules).toEqual([]);
    expect(PROVIDER_CATALOG.twitch.revocation).toEqual({
      ...PROVIDER_DEFAULTS.revocation,
      clientAuth: "none",
      revokes: "access_token",
      docs: "https://dev.twitch.tv/docs/authentication/revoke-tokens",
    });
    // An absent optional section stays absent: QuickBooks has no validation call, Spotify no revocation.
    expect(PROVIDER_CATALOG.quickbooks.validation).toBeUndefined();
    expect(PROVIDER_CATALOG.spotify.revocation).toBeUndefined();
  });

  it("makes the validation call for an api identity that names no call of its own", () => {
    expect(RAW_PROVIDER_CATALOG.xero.identity).toEqual({ source: "api", idField: "0.tenantId" });
    expect(PROVIDER_CATALOG.xero.identity).toEqual({ source: "api", call: PROVIDER_CATALOG.xero.validation?.call, idField: "0.tenantId" });
    expect(PROVIDER_CATALOG.google.identity).toMatchObject({ call: { method: "GET", path: "/userinfo", auth: "bearer" } });
    expect(PROVIDER_CATALOG.google.validation?.call).toMatchObject({ method: "POST", path: "/tokeninfo" });
    const noValidation = { ...clone(RAW_PROVIDER_CATALOG.spotify) } as Record<string, unknown>;
    delete noValidation["validation"];
    expect(() => validateCatalog({ spotify: noValidation })).toThrow('"spotify.identity.call.path" must be a string');
  });

  it("has exactly the contract ids", () => {
    expect(Object.keys(PROVIDER_CATALOG).sort()).toEqual([...PROVIDER_IDS].sort());
  });

  it("shares Google's endpoints and behaviour with youtube, gmail and google_calendar, with their own scopes", () => {
    const google = PROVIDER_CATALOG.google;
    const scopes = new Set<string>();
    for (const id of ["youtube", "gmail", "google_calendar"] as const) {
      const entry = PROVIDER_CATALOG[id];
      expect(entry.endpoints).toEqual(google.endpoints);
      expect(entry.tokens).toEqual(google.tokens);
      expect(entry.errorRules).toEqual(google.errorRules);
      expect(entry.envFallbackPrefix).toBe("GOOGLE");
      expect(entry.authorization.params).toEqual({ access_type: "offline", prompt: "consent" });
      scopes.add(entry.authorization.defaultScopes.join(" "));
    }
    expect(scopes.size).toBe(3);
  });

  it("records the refresh behaviour of docs/providers.md", () => {
    const rotation = Object.fromEntries(PROVIDER_IDS.map((id) => [id, PROVIDER_CATALOG[id].tokens.rotation.kind]));
    expect(rotation).toEqual({
      spotify: "may_rotate",
      discord: "rotating",
      google: "none",
      youtube: "none",
      gmail: "none",
      google_calendar: "none",
      github: "rotating",
      etsy: "rotating",
      shopify: "rotating",
      quickbooks: "may_rotate",
      xero: "rotating_with_grace",
      lightspeed: "rotating",
      microsoft: "may_rotate",
      twitter: "rotating",
      linkedin: "none",
      reddit: "may_rotate",
      twitch: "may_rotate",
      dropbox: "none",
    });
    expect(PROVIDER_CATALOG.xero.tokens.rotation).toEqual({ kind: "rotating_with_grace", graceSeconds: 1800 });
    expect(PROVIDER_CATALOG.spotify.tokens.refreshTokenMaxAgeSeconds).toBe(180 * 86_400);
    expect(PROVIDER_CATALOG.linkedin.tokens.refreshTokenMaxAgeSeconds).toBe(365 * 86_400);
    expect(PROVIDER_CATALOG.quickbooks.tokens.refreshTokenMaxAgeSeconds).toBe(5 * 365 * 86_400);
    expect(PROVIDER_CATALOG.google.tokens.refreshTokenIdleSeconds).toBe(180 * 86_400);
    expect(PROVIDER_CATALOG.xero.tokens.refreshTokenIdleSeconds).toBe(60 * 86_400);
    expect(PROVIDER_CATALOG.quickbooks.tokens.refreshTokenIdleSeconds).toBe(100 * 86_400);
    const nonExpiring = PROVIDER_IDS.filter((id) => PROVIDER_CATALOG[id].tokens.accessTokenExpiry === "optional");
    expect(nonExpiring).toEqual(["github", "shopify"]);
    expect(PROVIDER_CATALOG.github.validation?.intervalSeconds).toBe(86_400);
    expect(PROVIDER_CATALOG.twitch.validation?.intervalSeconds).toBe(3600);
  });

  it("records how each provider yields a refresh token", () => {
    expect(PROVIDER_CATALOG.microsoft.authorization.refreshTokenScopes).toEqual(["offline_access"]);
    expect(PROVIDER_CATALOG.xero.authorization.refreshTokenScopes).toEqual(["offline_access"]);
    expect(PROVIDER_CATALOG.twitter.authorization.refreshTokenScopes).toEqual(["offline.access"]);
    expect(PROVIDER_CATALOG.reddit.authorization.params).toEqual({ duration: "permanent" });
    expect(PROVIDER_CATALOG.shopify.oauth.exchangeParams).toEqual({ expiring: "1" });
  });

  it("records account identity sources", () => {
    const source = Object.fromEntries(PROVIDER_IDS.map((id) => [id, PROVIDER_CATALOG[id].identity.source]));
    expect(source.quickbooks).toBe("callback");
    expect(source.lightspeed).toBe("callback");
    expect(source.shopify).toBe("authorize_input");
    expect(PROVIDER_CATALOG.quickbooks.identity).toMatchObject({ param: "realmId" });
    expect(PROVIDER_CATALOG.lightspeed.identity).toMatchObject({ param: "domain_prefix" });
    expect(PROVIDER_CATALOG.xero.identity).toMatchObject({ source: "api", idField: "0.tenantId" });
  });

  it("is frozen", () => {
    expect(Object.isFrozen(PROVIDER_CATALOG)).toBe(true);
    expect(Object.isFrozen(PROVIDER_CATALOG.spotify)).toBe(true);
  });
});

describe("catalog validation", () => {
  function rejectionOf(entry: unknown, key = "spotify"): string {
    try {
      validateCatalog({ [key]: entry });
    } catch (error) {
      expect(error instanceof SchemaError || error instanceof TypeError).toBe(true);
      return (error as Error).message;
    }
    throw new Error("expected the entry to be rejected");
  }

  it("rejects unknown keys at any depth", () => {
    expect(rejectionOf({ ...clone(RAW_PROVIDER_CATALOG.spotify), colour: "green" })).toBe('"spotify.colour" is not a known field');
    const nested = clone(RAW_PROVIDER_CATALOG.spotify) as unknown as { oauth: Record<string, unknown> };
    nested.oauth["clientAuthentication"] = "basic";
    expect(rejectionOf(nested)).toBe('"spotify.oauth.clientAuthentication" is not a known field');
  });

  it("rejects wrong enum values, naming the field", () => {
    const entry = clone(RAW_PROVIDER_CATALOG.spotify) as unknown as { oauth: { clientAuth: string } };
    entry.oauth.clientAuth = "client_secret_jwt";
    expect(rejectionOf(entry)).toBe(
      '"spotify.oauth.clientAuth" must be one of "client_secret_basic", "client_secret_post", "none"',
    );
  });

  it("rejects endpoint templates that are not https or use unknown placeholders", () => {
    const http = clone(RAW_PROVIDER_CATALOG.spotify) as unknown as { endpoints: { token: string } };
    http.endpoints.token = "http://accounts.spotify.com/api/token";
    expect(rejectionOf(http)).toBe('"spotify.endpoints.token" must be an https URL template');
    const placeholder = clone(RAW_PROVIDER_CATALOG.spotify) as unknown as { endpoints: { token: string } };
    placeholder.endpoints.token = "https://{region}.spotify.com/token";
    expect(rejectionOf(placeholder)).toBe('"spotify.endpoints.token" has an unknown placeholder "{region}"');
  });

  it("requires validation for providers whose tokens may not expire", () => {
    const entry = clone(RAW_PROVIDER_CATALOG.github) as unknown as Record<string, unknown>;
    delete entry["validation"];
    expect(rejectionOf(entry, "github")).toBe('"github" with tokens that may not expire must define validation');
  });

  it("requires rotation grace seconds for rotating_with_grace", () => {
    const entry = clone(RAW_PROVIDER_CATALOG.xero) as unknown as { tokens: { rotation: Record<string, unknown> } };
    delete entry.tokens.rotation["graceSeconds"];
    expect(rejectionOf(entry, "xero")).toBe('"xero.tokens.rotation.graceSeconds" must be a finite number');
  });

  it("rejects an error rule that matches everything", () => {
    const entry = clone(RAW_PROVIDER_CATALOG.spotify) as unknown as { errorRules: unknown[] };
    entry.errorRules = [{ code: "transient", docs: "https://example.com/x" }];
    expect(rejectionOf(entry)).toBe('"spotify.errorRules.0" must set at least one of status, error, match, header');
  });

  it("says whose quota a rate limit is, for every provider, and only on rate-limit rules", () => {
    for (const id of PROVIDER_IDS) {
      expect(["connection", "provider"]).toContain(PROVIDER_CATALOG[id].rateLimit.scope);
    }
    const entry = clone(RAW_PROVIDER_CATALOG.spotify) as unknown as { errorRules: unknown[]; rateLimit: Record<string, unknown> };
    entry.errorRules = [{ status: [400], code: "transient", scope: "connection", docs: "https://example.com/x" }];
    expect(rejectionOf(entry)).toBe('"spotify.errorRules.0" may set scope only with code rate_limited');
    const badScope = clone(RAW_PROVIDER_CATALOG.spotify) as unknown as { rateLimit: Record<string, unknown> };
    badScope.rateLimit["scope"] = "user";
    expect(rejectionOf(badScope)).toMatch(/^"spotify\.rateLimit\.scope" must be one of/);
  });

  it("rejects an entry that states an id other than its key or the wrong env prefix", () => {
    expect(rejectionOf({ ...clone(RAW_PROVIDER_CATALOG.spotify), id: "spotify" }, "discord")).toBe('catalog entry "discord" has id "spotify"');
    expect(rejectionOf({ ...clone(RAW_PROVIDER_CATALOG.spotify), envPrefix: "SPOT" })).toBe(
      'catalog entry "spotify" must use envPrefix "SPOTIFY"',
    );
  });
});
