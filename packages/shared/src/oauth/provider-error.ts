import type { ProviderErrorCode } from "../providers/provider-error-codes.ts";

export { PROVIDER_ERROR_CODES, type ProviderErrorCode } from "../providers/provider-error-codes.ts";

/**
 * The provider call that failed.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export type ProviderOperation = "exchange" | "refresh" | "revoke" | "validate" | "identity";

/**
 * Who a rate limit applies to: `connection` (one user's or tenant's quota: only that connection waits) or
 * `provider` (the app's quota with the provider: every connection of the provider waits). Set on every
 * `rate_limited` error from the provider catalog's rules.
 */
export type RateLimitScope = "connection" | "provider";

/**
 * Fields of a {@link ProviderError} besides its code and message.
 */
export interface ProviderErrorDetails {
  /** Provider id. */
  readonly provider: string;
  /** Which call failed. */
  readonly operation: ProviderOperation;
  /** HTTP status of the provider's answer, absent for network errors. */
  readonly status?: number | undefined;
  /** Upstream `error` code (or equivalent), secrets redacted. */
  readonly error?: string | undefined;
  /** Upstream `error_description` (or message), secrets redacted and truncated. */
  readonly error_description?: string | undefined;
  /** How long to wait before retrying, in milliseconds. */
  readonly retryAfterMs?: number | undefined;
  /** For `rate_limited`: whether the limit is one connection's or the whole provider's. */
  readonly rateLimitScope?: RateLimitScope | undefined;
  /** Underlying error (non-enumerable). */
  readonly cause?: unknown;
}

/**
 * A classified provider failure. Branch on `code`. Upstream `error`, `error_description` and HTTP `status` are
 * kept for logs and the connection's `last_error`; no token or client secret is ever part of the message or of
 * an enumerable property (descriptions are redacted before they are stored; `cause` is non-enumerable).
 */
export class ProviderError extends Error {
  /** Stable machine-readable code. */
  readonly code: ProviderErrorCode;
  /** Provider id. */
  readonly provider: string;
  /** Which call failed. */
  readonly operation: ProviderOperation;
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;
  /** Upstream error code. */
  readonly error: string | undefined;
  /** Upstream error description. */
  readonly error_description: string | undefined;
  /** Wait before retrying, in milliseconds (always set for `rate_limited`). */
  readonly retryAfterMs: number | undefined;
  /** Whose limit was hit (always set for `rate_limited`). */
  readonly rateLimitScope: RateLimitScope | undefined;

  /**
   * @param code - One of {@link PROVIDER_ERROR_CODES}.
   * @param message - Secret-free description.
   * @param details - Provider, operation and upstream fields.
   */
  constructor(code: ProviderErrorCode, message: string, details: ProviderErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "ProviderError";
    this.code = code;
    this.provider = details.provider;
    this.operation = details.operation;
    this.status = details.status;
    this.error = details.error;
    this.error_description = details.error_description;
    this.retryAfterMs = details.retryAfterMs;
    this.rateLimitScope = details.rateLimitScope;
  }
}

/**
 * Whether `value` is a {@link ProviderError}, optionally with a given code.
 */
export function isProviderError(value: unknown, code?: ProviderErrorCode): value is ProviderError {
  return value instanceof ProviderError && (code === undefined || value.code === code);
}
