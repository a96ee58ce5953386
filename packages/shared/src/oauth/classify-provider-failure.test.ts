import { describe, expect, it } from "vitest";
import { PROVIDER_IDS, type ProviderId } from "../providers/provider-ids.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import {
  classifyNetworkError, DEFAULT_RATE_LIMIT_DELAY_MS, failureOf, MIN_RATE_LIMIT_DELAY_MS, readProviderResponse, type ClassifyOptions,
} from "./classify-provider-failure.ts";
import { ProviderError, type ProviderErrorCode, type ProviderOperation } from "./provider-error.ts";
import { parseRefreshResponse } from "./refresh-grant.ts";
import { json, NOW, testProvider } from "./test-support.ts";

const RT = "stored-refresh-token-xyz987";

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

interface Row {
  label: string;
  response: () => Response;
  code: ProviderErrorCode;
  error?: string;
  retryAfterMs?: number;
  scope?: "connection" | "provider";
}

const form = (status: number, body: string) =>
  new Response(body, { status, headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" } });

const googleRows: Row[] = [
  { label: "400 invalid_grant (expired or revoked)", response: () => json(400, { error: "invalid_grant", error_description: "Token has been expired or revoked." }), code: "reauth_required", error: "invalid_grant" },
  { label: "401 invalid_client", response: () => json(401, { error: "invalid_client", error_description: "Unauthorized" }), code: "client_misconfigured", error: "invalid_client" },
  {
    label: "403 User-rate limit exceeded",
    response: () => json(403, { error: { code: 403, message: "User-rate limit exceeded", errors: [{ reason: "userRateLimitExceeded" }] } }),
    code: "rate_limited",
    retryAfterMs: DEFAULT_RATE_LIMIT_DELAY_MS,
    scope: "connection",
  },
  {
    label: "403 rateLimitExceeded reason",
    response: () => json(403, { error: { code: 403, message: "Rate Limit Exceeded", errors: [{ reason: "rateLimitExceeded" }] } }, { "retry-after": "75" }),
    code: "rate_limited",
    retryAfterMs: 75_000,
    scope: "provider",
  },
  { label: "429 project quota", response: () => json(429, { error: { code: 429, message: "Quota exceeded", status: "RESOURCE_EXHAUSTED" } }), code: "rate_limited", scope: "provider" },
  { label: "403 insufficient permissions is not a rate limit", response: () => json(403, { error: { code: 403, message: "Insufficient Permission" } }), code: "transient" },
];

const ROWS: Record<ProviderId, Row[]> = {
  spotify: [
    { label: "400 invalid_grant", response: () => json(400, { error: "invalid_grant", error_description: "Refresh token revoked" }), code: "reauth_required", error: "invalid_grant" },
    { label: "400 invalid_client (Spotify uses 400)", response: () => json(400, { error: "invalid_client", error_description: "Invalid client secret" }), code: "client_misconfigured", error: "invalid_client" },
    { label: "429 Retry-After seconds", response: () => json(429, {}, { "retry-after": "30" }), code: "rate_limited", retryAfterMs: 30_000 },
  ],
  discord: [
    { label: "400 invalid_grant (rotated RT reused)", response: () => json(400, { error: "invalid_grant" }), code: "reauth_required", error: "invalid_grant" },
    { label: "401 invalid_client", response: () => json(401, { error: "invalid_client" }), code: "client_misconfigured" },
    { label: "429 body retry_after float", response: () => json(429, { message: "You are being rate limited.", retry_after: 41.337, global: false }), code: "rate_limited", retryAfterMs: 41_337, scope: "provider" },
    { label: "429 header wins over body", response: () => json(429, { retry_after: 90.5 }, { "retry-after": "45" }), code: "rate_limited", retryAfterMs: 45_000 },
    { label: "429 body retry_after below the floor", response: () => json(429, { retry_after: 1.337, global: false }), code: "rate_limited", retryAfterMs: MIN_RATE_LIMIT_DELAY_MS },
  ],
  google: googleRows,
  youtube: googleRows,
  gmail: googleRows,
  google_calendar: googleRows,
  github: [
    { label: "200 bad_refresh_token (JSON)", response: () => json(200, { error: "bad_refresh_token", error_description: "The refresh token passed is incorrect or expired.", error_uri: "https://docs.github.com" }), code: "reauth_required", error: "bad_refresh_token" },
    { label: "200 bad_refresh_token (form-encoded)", response: () => form(200, "error=bad_refresh_token&error_description=The+refresh+token+passed+is+incorrect+or+expired."), code: "reauth_required", error: "bad_refresh_token" },
    { label: "200 incorrect_client_credentials", response: () => json(200, { error: "incorrect_client_credentials", error_description: "The client_id and/or client_secret passed are incorrect." }), code: "client_misconfigured", error: "incorrect_client_credentials" },
    { label: "200 incorrect_client_credentials (form, no content-type)", response: () => new Response("error=incorrect_client_credentials&error_description=x", { status: 200 }), code: "client_misconfigured" },
  ],
  etsy: [
    { label: "400 invalid_grant", response: () => json(400, { error: "invalid_grant", error_description: "Invalid refresh token" }), code: "reauth_required" },
    { label: "401 invalid_client", response: () => json(401, { error: "invalid_client", error_description: "Invalid API key" }), code: "client_misconfigured" },
  ],
  shopify: [
    { label: "400 invalid_grant", response: () => json(400, { error: "invalid_grant", error_description: "refresh token is invalid" }), code: "reauth_required" },
    { label: "429 Retry-After 2.0", response: () => json(429, { errors: "Exceeded 2 calls per second for api client." }, { "retry-after": "2.0" }), code: "rate_limited", retryAfterMs: MIN_RATE_LIMIT_DELAY_MS },
    { label: "401 without error code on the token endpoint", response: () => json(401, { errors: "[API] Invalid API key or access token" }), code: "client_misconfigured" },
  ],
  quickbooks: [
    { label: "400 invalid_grant", response: () => json(400, { error: "invalid_grant" }), code: "reauth_required", error: "invalid_grant" },
    { label: "401 invalid_client", response: () => json(401, { error: "invalid_client" }), code: "client_misconfigured" },
    { label: "503 HTML page", response: () => new Response("<html><body>Service Unavailable</body></html>", { status: 503, headers: { "content-type": "text/html" } }), code: "transient" },
  ],
  xero: [
    { label: "400 invalid_grant (RT unused 60 days)", response: () => json(400, { error: "invalid_grant" }), code: "reauth_required" },
    { label: "400 invalid_client", response: () => json(400, { error: "invalid_client" }), code: "client_misconfigured" },
    { label: "429 concurrency limit", response: () => json(429, {}, { "retry-after": "60", "x-rate-limit-problem": "concurrent" }), code: "rate_limited", retryAfterMs: 60_000, scope: "connection" },
    { label: "429 tenant minute limit", response: () => json(429, {}, { "retry-after": "40", "x-rate-limit-problem": "Minute" }), code: "rate_limited", retryAfterMs: 40_000, scope: "connection" },
    { label: "429 tenant daily limit", response: () => json(429, {}, { "retry-after": "3600", "x-rate-limit-problem": "day" }), code: "rate_limited", retryAfterMs: 3_600_000, scope: "connection" },
    { label: "429 app minute limit", response: () => json(429, {}, { "retry-after": "40", "x-rate-limit-problem": "appminute" }), code: "rate_limited", retryAfterMs: 40_000, scope: "provider" },
    { label: "429 without the header", response: () => json(429, {}, { "retry-after": "40" }), code: "rate_limited", scope: "provider" },
  ],
  lightspeed: [
    { label: "400 invalid_grant (used RT)", response: () => json(400, { error: "invalid_grant", error_description: "The refresh token is invalid." }), code: "reauth_required" },
    { label: "429 Retry-After HTTP-date", response: () => json(429, {}, { "retry-after": "Mon, 23 Nov 2026 12:00:45 GMT" }), code: "rate_limited", retryAfterMs: 45_000 },
    { label: "401 invalid_client", response: () => json(401, { error: "invalid_client" }), code: "client_misconfigured" },
  ],
  microsoft: [
    { label: "400 invalid_grant AADSTS700082", response: () => json(400, { error: "invalid_grant", error_description: "AADSTS700082: The refresh token has expired due to inactivity.", error_codes: [700082] }), code: "reauth_required" },
    { label: "400 invalid_grant AADSTS50173", response: () => json(400, { error: "invalid_grant", error_description: "AADSTS50173: The provided grant has expired due to it being revoked.", error_codes: [50173] }), code: "reauth_required" },
    { label: "400 interaction_required (MFA)", response: () => json(400, { error: "interaction_required", error_description: "AADSTS50076: you must use multi-factor authentication", error_codes: [50076] }), code: "reauth_required", error: "interaction_required" },
    { label: "401 invalid_client AADSTS7000215", response: () => json(401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." }), code: "client_misconfigured" },
  ],
  twitter: [
    { label: "400 invalid_request spent RT", response: () => json(400, { error: "invalid_request", error_description: "Value passed for the token was invalid." }), code: "reauth_required", error: "invalid_request" },
    { label: "401 unauthorized_client without Basic", response: () => json(401, { error: "unauthorized_client", error_description: "Missing valid authorization header" }), code: "client_misconfigured", error: "unauthorized_client" },
    { label: "400 invalid_request of another kind", response: () => json(400, { error: "invalid_request", error_description: "Missing required parameter [grant_type]." }), code: "client_misconfigured" },
  ],
  linkedin: [
    { label: "400 invalid_grant", response: () => json(400, { error: "invalid_grant", error_description: "The provided authorization grant or refresh token is invalid, expired or revoked." }), code: "reauth_required" },
    { label: "401 invalid_client", response: () => json(401, { error: "invalid_client", error_description: "Client authentication failed" }), code: "client_misconfigured" },
  ],
  reddit: [
    { label: "400 invalid_grant", response: () => json(400, { error: "invalid_grant" }), code: "reauth_required" },
    { label: "401 numeric error body", response: () => json(401, { message: "Unauthorized", error: 401 }), code: "client_misconfigured" },
    { label: "429 Retry-After", response: () => json(429, { message: "Too Many Requests", error: 429 }, { "retry-after": "12" }), code: "rate_limited", retryAfterMs: MIN_RATE_LIMIT_DELAY_MS },
  ],
  twitch: [
    { label: "400 Invalid refresh token", response: () => json(400, { status: 400, message: "Invalid refresh token" }), code: "reauth_required" },
    { label: "400 invalid client secret", response: () => json(400, { status: 400, message: "invalid client secret" }), code: "client_misconfigured" },
    { label: "403 invalid client", response: () => json(403, { status: 403, message: "invalid client" }), code: "client_misconfigured" },
  ],
  dropbox: [
    { label: "400 invalid_grant (revoked RT)", response: () => json(400, { error: "invalid_grant", error_description: "refresh token is invalid or revoked" }), code: "reauth_required", error: "invalid_grant" },
    { label: "400 invalid_client", response: () => json(400, { error: "invalid_client", error_description: "Invalid client_id or client_secret" }), code: "client_misconfigured", error: "invalid_client" },
    { label: "429 Retry-After seconds", response: () => json(429, { error_summary: "too_many_requests/" }, { "retry-after": "300" }), code: "rate_limited", retryAfterMs: 300_000 },
  ],
};

describe("refresh failures are classified per provider", () => {
  it("has at least two documented shapes per provider", () => {
    for (const id of PROVIDER_IDS) expect(ROWS[id].length, id).toBeGreaterThanOrEqual(2);
  });

  const cases = PROVIDER_IDS.flatMap((id) => ROWS[id].map((row) => [id, row.label, row] as const));
  it.each(cases)("%s: %s", async (id, _label, row) => {
    const e = await rejection(parseRefreshResponse(testProvider(id), row.response(), { previousRefreshToken: RT, now: NOW }));
    expect(e.code).toBe(row.code);
    expect(e.provider).toBe(id);
    expect(e.operation).toBe("refresh");
    expect(typeof e.status).toBe("number");
    if (row.error !== undefined) expect(e.error).toBe(row.error);
    if (row.retryAfterMs !== undefined) expect(e.retryAfterMs).toBe(row.retryAfterMs);
    if (row.code === "rate_limited") expect(e.retryAfterMs).toBeGreaterThanOrEqual(MIN_RATE_LIMIT_DELAY_MS);
    if (row.code === "rate_limited") expect(e.rateLimitScope).toBe(row.scope ?? "provider");
    else expect(e.rateLimitScope).toBeUndefined();
  });
});

describe("generic classification", () => {
  it.each([
    [500, "transient"],
    [502, "transient"],
    [504, "transient"],
    [408, "transient"],
    [404, "transient"],
  ] as const)("HTTP %i without a known error is %s", async (status, code) => {
    await expect(parseRefreshResponse(testProvider("xero"), new Response("upstream trouble", { status }), { previousRefreshToken: RT })).rejects.toMatchObject({ code, status });
  });

  it("keeps Retry-After on a 503 as a hint", async () => {
    await expect(parseRefreshResponse(testProvider("xero"), new Response("", { status: 503, headers: { "retry-after": "120" } }), { previousRefreshToken: RT })).rejects.toMatchObject({
      code: "transient",
      retryAfterMs: 120_000,
    });
  });

  it("uses the default wait when a 429 has no hint", async () => {
    await expect(parseRefreshResponse(testProvider("spotify"), new Response("", { status: 429 }), { previousRefreshToken: RT })).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterMs: 60_000,
    });
  });

  it("treats a 200 that is not JSON, or lacks access_token, as transient", async () => {
    await expect(parseRefreshResponse(testProvider("spotify"), new Response("<html>ok</html>", { status: 200 }), { previousRefreshToken: RT })).rejects.toMatchObject({
      code: "transient",
      message: "spotify refresh failed: HTTP 200 response is not a JSON object",
    });
    await expect(parseRefreshResponse(testProvider("spotify"), json(200, { token_type: "Bearer" }), { previousRefreshToken: RT })).rejects.toMatchObject({
      code: "transient",
      message: 'spotify refresh failed: "access_token" must be a non-empty string',
    });
  });

  it("builds a message naming provider, operation, status, error and description", async () => {
    const error = await rejection(parseRefreshResponse(testProvider("twitter"), json(400, { error: "invalid_request", error_description: "Value passed for the token was invalid." }), {
      previousRefreshToken: RT,
    }));
    expect(error.message).toBe("twitter refresh failed: HTTP 400 invalid_request: Value passed for the token was invalid.");
    expect(error.error_description).toBe("Value passed for the token was invalid.");
  });
});

describe("no secrets in errors", () => {
  it("redacts the refresh token and client secret echoed by a provider", async () => {
    const provider = testProvider("linkedin");
    const body = { error: "invalid_grant", error_description: `token ${RT} for client secret linkedin-secret-value is revoked` };
    const error = await rejection(parseRefreshResponse(provider, json(400, body), { previousRefreshToken: RT }));
    expect(error.code).toBe("reauth_required");
    for (const surface of [error.message, JSON.stringify(error), String(error), error.stack ?? "", JSON.stringify(Object.values(error))]) {
      expect(surface).not.toContain(RT);
      expect(surface).not.toContain("linkedin-secret-value");
    }
    expect(error.error_description).toBe("token [redacted] for client secret [redacted] is revoked");
  });

  it("truncates long upstream descriptions", async () => {
    const error = await rejection(parseRefreshResponse(testProvider("xero"), json(400, { error: "invalid_grant", error_description: "x".repeat(5000) }), {
      previousRefreshToken: RT,
    }));
    expect((error.error_description ?? "").length).toBeLessThanOrEqual(301);
  });

  it("keeps the network cause non-enumerable", () => {
    const cause = new TypeError("fetch failed: connect ECONNREFUSED 127.0.0.1:9 Authorization: Bearer leaked");
    const error = classifyNetworkError({ id: "spotify" }, "refresh", cause);
    expect(error.code).toBe("transient");
    expect(error.message).toBe("spotify refresh failed: network error (TypeError)");
    expect(error.cause).toBe(cause);
    expect(JSON.stringify(error)).not.toContain("leaked");
    expect(Object.keys(error)).not.toContain("cause");
  });
});

/** What every caller does with a provider's answer: read it, then classify it. */
async function classifyAnswer(provider: ResolvedProvider, operation: ProviderOperation, response: Response, options: ClassifyOptions = {}) {
  return failureOf(provider, operation, response, await readProviderResponse(provider, operation, response), options);
}

describe("readProviderResponse and failureOf", () => {
  it("read a Response and classify it", async () => {
    const error = await classifyAnswer(testProvider("discord"), "refresh", json(429, { retry_after: 33 }));
    expect(error).toMatchObject({ code: "rate_limited", retryAfterMs: 33_000, rateLimitScope: "provider" });
  });

  it("a body that breaks off while read is a transient network failure of the operation, whatever the status", async () => {
    const broken = new ReadableStream({ pull(c) { c.error(new TypeError("terminated")); } });
    const read = readProviderResponse(testProvider("spotify"), "refresh", new Response(broken, { status: 200 }));
    await expect(read).rejects.toMatchObject({ code: "transient", message: "spotify refresh failed: network error (TypeError)" });
  });
});

describe("classifyNetworkError", () => {
  it.each([
    [new DOMException("The operation timed out.", "TimeoutError"), "spotify refresh failed: request timed out"],
    [new DOMException("aborted", "AbortError"), "spotify refresh failed: request was aborted"],
    [new TypeError("fetch failed"), "spotify refresh failed: network error (TypeError)"],
  ])("classifies %s as transient", (cause, message) => {
    const error = classifyNetworkError(testProvider("spotify"), "refresh", cause);
    expect(error).toMatchObject({ code: "transient", message, status: undefined });
  });
});

describe("rate limit floor and scope", () => {
  it("never lets Retry-After: 0 (or a date in the past) mean 'again at once'", async () => {
    for (const value of ["0", "0.0", "Mon, 23 Nov 2026 11:00:00 GMT"]) {
      const error = await classifyAnswer(testProvider("spotify"), "refresh", json(429, {}, { "retry-after": value }), { now: NOW });
      expect(error).toMatchObject({ code: "rate_limited", retryAfterMs: MIN_RATE_LIMIT_DELAY_MS });
    }
  });

  it("keeps a long Retry-After as it is", async () => {
    const error = await classifyAnswer(testProvider("spotify"), "refresh", json(429, {}, { "retry-after": "86400" }), { now: NOW });
    expect(error.retryAfterMs).toBe(86_400_000);
  });

  it("Google's per-user 403 is the connection's limit, its project limit the provider's, on validation calls too", async () => {
    const perUser = await classifyAnswer(testProvider("gmail"), "validate",
      json(403, { error: { code: 403, message: "User-rate limit exceeded.", errors: [{ reason: "userRateLimitExceeded" }] } }));
    expect(perUser).toMatchObject({ code: "rate_limited", rateLimitScope: "connection" });
    const project = await classifyAnswer(testProvider("gmail"), "validate",
      json(403, { error: { code: 403, message: "Rate Limit Exceeded", errors: [{ reason: "rateLimitExceeded" }] } }));
    expect(project).toMatchObject({ code: "rate_limited", rateLimitScope: "provider" });
  });

  it("sets no scope on failures that are not rate limits", async () => {
    const error = await classifyAnswer(testProvider("xero"), "refresh", json(503, {}, { "x-rate-limit-problem": "minute" }));
    expect(error).toMatchObject({ code: "transient", rateLimitScope: undefined });
  });
});
