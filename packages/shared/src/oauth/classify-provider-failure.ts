import type { ProviderApiCall, ProviderErrorRule } from "../providers/provider-definition.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { ProviderError, type ProviderErrorCode, type ProviderOperation, type RateLimitScope } from "./provider-error.ts";
import { redactSecrets } from "./redact.ts";
import { readResponseBody, type ResponseBody } from "./response-body.ts";
import { parseRetryAfter, retryAfterSecondsToMs } from "./retry-after.ts";

/**
 * Wait applied to a rate limit that came without any hint (60 s).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 60_000;

/**
 * Shortest wait applied to a rate limit (30 s, the retry backoff's base). RFC 9110 lets `Retry-After: 0`
 * (or a date in the past) mean "now"; taken literally, the scheduler would claim the same connection again
 * in the same run and get the same answer. A rate limit never retries sooner than a transient failure would.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export const MIN_RATE_LIMIT_DELAY_MS = 30_000;

/**
 * An HTTP answer that is a failure (non-2xx, or a 2xx carrying an `error` field).
 */
export interface HttpFailure {
  readonly status: number;
  readonly headers: Headers;
  readonly body: ResponseBody;
}

/**
 * Options of the classifiers.
 */
export interface ClassifyOptions {
  /** Reference time for HTTP-date `Retry-After` (default: now). */
  readonly now?: Date | undefined;
  /** Tokens to redact from upstream text; the provider's client secret is always redacted. */
  readonly secrets?: ReadonlyArray<string | undefined> | undefined;
}

// RFC 6749 §5.2 and OpenID Connect Core §3.1.2.6 codes that mean the user's grant is unusable.
const REAUTH_ERRORS = new Set(["invalid_grant", "access_denied", "invalid_token", "interaction_required", "login_required", "consent_required"]);
// RFC 6749 §5.2 codes that mean our client or request is wrong: fix the configuration, not the user.
const CLIENT_ERRORS = new Set(["invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_request"]);

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

function upstreamFields(body: ResponseBody): { error: string | undefined; description: string | undefined } {
  const fields = body.fields ?? {};
  const nested = typeof fields["error"] === "object" && fields["error"] !== null ? (fields["error"] as Record<string, unknown>) : {};
  return {
    error: text(fields["error"]) ?? text(nested["status"]),
    // Twitch and Discord put their text in `message`; Google APIs nest it under `error.message`.
    description: text(fields["error_description"]) ?? text(fields["message"]) ?? text(nested["message"]),
  };
}

function ruleMatches(rule: ProviderErrorRule, status: number, error: string | undefined, haystack: string, headers: Headers): boolean {
  if (rule.status !== undefined && !rule.status.includes(status)) return false;
  if (rule.error !== undefined && rule.error !== error) return false;
  if (rule.match !== undefined && !haystack.includes(rule.match.toLowerCase())) return false;
  if (rule.header !== undefined) {
    const value = headers.get(rule.header.name)?.trim().toLowerCase();
    if (value === undefined || !rule.header.values.some((v) => v.toLowerCase() === value)) return false;
  }
  return true;
}

function apiCallOf(provider: ResolvedProvider, operation: ProviderOperation): ProviderApiCall | undefined {
  if (operation === "validate") return provider.definition.validation?.call;
  if (operation === "identity" && provider.definition.identity.source === "api") return provider.definition.identity.call;
  return undefined;
}

function codeFor(
  provider: ResolvedProvider, operation: ProviderOperation, status: number, error: string | undefined, haystack: string, headers: Headers,
): { code: ProviderErrorCode; scope?: RateLimitScope | undefined } {
  for (const rule of provider.definition.errorRules) {
    if (ruleMatches(rule, status, error, haystack, headers)) return { code: rule.code, scope: rule.scope };
  }
  return { code: genericCodeFor(provider, operation, status, error) };
}

function genericCodeFor(provider: ResolvedProvider, operation: ProviderOperation, status: number, error: string | undefined): ProviderErrorCode {
  const call = apiCallOf(provider, operation);
  if (call !== undefined) {
    // A call authenticated with our client credentials (GitHub's token check) failing with 401 is our fault.
    if (status === 401 && call.auth === "client_basic") return "client_misconfigured";
    const invalid = provider.definition.validation?.invalidStatuses ?? [401];
    if (invalid.includes(status)) return "reauth_required";
  }
  if (status === 429) return "rate_limited";
  if (status >= 500) return "transient";
  if (error !== undefined && REAUTH_ERRORS.has(error)) return "reauth_required";
  if (error !== undefined && CLIENT_ERRORS.has(error)) return "client_misconfigured";
  if (status === 401 && call === undefined) return "client_misconfigured";
  // Anything else (unknown 4xx, 2xx without tokens, HTML error pages) is retried with backoff; the engine's
  // attempt limit bounds it, and no user is flipped to needs_reauth on a guess.
  return "transient";
}

/**
 * Classifies a failed provider answer into a {@link ProviderError}. Order: the provider's `errorRules` from the
 * catalog (first match), then for validation/identity calls the catalog's invalid statuses, then 429 →
 * `rate_limited`, 5xx → `transient`, RFC 6749 error codes (`invalid_grant` → `reauth_required`,
 * `invalid_client`/`unauthorized_client`/... → `client_misconfigured`), 401 on token or revocation endpoints →
 * `client_misconfigured`, and `transient` for anything unrecognised.
 *
 * For `rate_limited`, `retryAfterMs` comes from `Retry-After` (seconds or HTTP-date), else the catalog's body
 * field (Discord `retry_after`), else {@link DEFAULT_RATE_LIMIT_DELAY_MS}, and is never below
 * {@link MIN_RATE_LIMIT_DELAY_MS}; `rateLimitScope` is the matching rule's `scope`, else the catalog's
 * `rateLimit.scope`. A `Retry-After` on other failures (503) is kept as well.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6585#section-4
 */
export function classifyHttpFailure(
  provider: ResolvedProvider,
  operation: ProviderOperation,
  failure: HttpFailure,
  options: ClassifyOptions = {},
): ProviderError {
  const now = options.now ?? new Date();
  const { status, headers, body } = failure;
  const { error, description } = upstreamFields(body);
  const haystack = `${description ?? ""}\n${body.text}`.toLowerCase();
  const { code, scope } = codeFor(provider, operation, status, error, haystack, headers);

  let retryAfterMs = parseRetryAfter(headers.get("retry-after"), now);
  let rateLimitScope: RateLimitScope | undefined;
  if (code === "rate_limited") {
    const field = provider.definition.rateLimit.bodyRetryAfterField;
    retryAfterMs ??= field === undefined ? undefined : retryAfterSecondsToMs(body.fields?.[field]);
    retryAfterMs = Math.max(MIN_RATE_LIMIT_DELAY_MS, retryAfterMs ?? DEFAULT_RATE_LIMIT_DELAY_MS);
    rateLimitScope = scope ?? provider.definition.rateLimit.scope;
  }

  const secrets = [provider.clientSecret, ...(options.secrets ?? [])];
  const safeError = error === undefined ? undefined : redactSecrets(error, secrets);
  const safeDescription = description === undefined ? undefined : redactSecrets(description, secrets);
  const summary = [`HTTP ${status}`, safeError, body.format === "unparsed" && body.text.trim() !== "" ? "(unparseable body)" : undefined]
    .filter((part) => part !== undefined)
    .join(" ");
  const message = `${provider.id} ${operation} failed: ${summary}${safeDescription === undefined ? "" : `: ${safeDescription}`}`;
  return new ProviderError(code, message, {
    provider: provider.id,
    operation,
    status,
    error: safeError,
    error_description: safeDescription,
    retryAfterMs,
    rateLimitScope,
  });
}

/**
 * Classifies a failure to get an answer at all (DNS, connection reset, TLS, timeout, abort) as `transient`.
 * Only the error's name goes into the message; the original is kept as the non-enumerable `cause`.
 *
 * @see https://fetch.spec.whatwg.org/#concept-network-error
 */
export function classifyNetworkError(
  provider: { readonly id: string },
  operation: ProviderOperation,
  cause: unknown,
  timeoutMs?: number,
): ProviderError {
  const name = cause instanceof Error || (typeof cause === "object" && cause !== null && "name" in cause) ? String((cause as { name: unknown }).name) : "Error";
  const reason =
    name === "TimeoutError"
      ? `request timed out${timeoutMs === undefined ? "" : ` after ${timeoutMs} ms`}`
      : name === "AbortError"
        ? "request was aborted"
        : `network error (${name})`;
  return new ProviderError("transient", `${provider.id} ${operation} failed: ${reason}`, { provider: provider.id, operation, cause });
}

/**
 * Reads a provider's answer. A body that cannot be read (cut off, over the size limit, unreadable) is a network
 * failure of `operation`: the caller throws what this throws, whatever the status was.
 */
export async function readProviderResponse(
  provider: ResolvedProvider,
  operation: ProviderOperation,
  response: Response,
  allowForm = false,
): Promise<ResponseBody> {
  try {
    return await readResponseBody(response, allowForm);
  } catch (error) {
    throw classifyNetworkError(provider, operation, error);
  }
}

/** The failure a provider's read answer stands for ({@link classifyHttpFailure} over its status, headers and body). */
export function failureOf(
  provider: ResolvedProvider,
  operation: ProviderOperation,
  response: Response,
  body: ResponseBody,
  options: ClassifyOptions = {},
): ProviderError {
  return classifyHttpFailure(provider, operation, { status: response.status, headers: response.headers, body }, options);
}
