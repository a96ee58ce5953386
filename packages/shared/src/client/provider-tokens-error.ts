/**
 * Every code a browser can meet: the functions' error codes, the `error` values oauth-callback appends to
 * `redirect_to`, and the client's own (`network_error`: the request never got an answer; `invalid_response`:
 * an answer that is not the contract's shape).
 */
export const PROVIDER_TOKENS_ERROR_CODES = [
  // The functions (status in parentheses).
  "unauthorized", // 401: sign in again
  "invalid_request", // 400: a bug in the call, or a connect link that is unknown, expired or used
  "unknown_provider", // 400
  "provider_not_configured", // 400
  "not_connected", // 404: offer to connect
  "needs_reauth", // 409: offer to reconnect
  "provider_unavailable", // 503: try again after retryAfter seconds
  "method_not_allowed", // 405
  "payload_too_large", // 413
  "forbidden", // 403: another user's connect link (it has been discarded)
  "key_unavailable", // 500
  "internal", // 500
  // oauth-callback, on redirect_to.
  "access_denied",
  "authorization_failed",
  "callback_invalid",
  "account_mismatch",
  "exchange_failed",
  "identity_failed",
  "server_error",
  // The client.
  "network_error",
  "invalid_response",
] as const;

/** One of {@link PROVIDER_TOKENS_ERROR_CODES}. */
export type ProviderTokensErrorCode = (typeof PROVIDER_TOKENS_ERROR_CODES)[number];

const KNOWN = new Set<string>(PROVIDER_TOKENS_ERROR_CODES);

/** What the user can do about an error: the answer a UI branches on. */
export type ErrorRemedy = "reconnect" | "connect" | "retry" | "sign_in" | "start_again" | "none";

/**
 * A failed call of the browser client, with a stable `code`. `reconnect` is true where connecting the account
 * again is the way out (`needs_reauth`); `retryAfter` (seconds) comes from a 503's `Retry-After`.
 */
export class ProviderTokensError extends Error {
  override readonly name = "ProviderTokensError";
  readonly code: ProviderTokensErrorCode;
  /** HTTP status, when a function answered; undefined for redirect errors and network failures. */
  readonly status: number | undefined;
  readonly reconnect: boolean;
  readonly retryAfter: number | undefined;
  /** The provider concerned, when known. */
  readonly provider: string | undefined;

  constructor(
    code: ProviderTokensErrorCode,
    message: string,
    details: { status?: number | undefined; reconnect?: boolean | undefined; retryAfter?: number | undefined; provider?: string | undefined } = {},
  ) {
    super(message);
    this.code = code;
    this.status = details.status;
    this.reconnect = details.reconnect ?? code === "needs_reauth";
    this.retryAfter = details.retryAfter;
    this.provider = details.provider;
  }

  /** What the user can do about it. */
  get remedy(): ErrorRemedy {
    if (this.reconnect) return "reconnect";
    switch (this.code) {
      case "not_connected":
        return "connect";
      case "provider_unavailable":
      case "network_error":
      case "server_error":
      case "internal":
        return "retry";
      case "unauthorized":
        return "sign_in";
      case "access_denied":
      case "authorization_failed":
      case "callback_invalid":
      case "account_mismatch":
      case "exchange_failed":
      case "identity_failed":
      case "forbidden":
      case "invalid_request":
        return "start_again";
      default:
        return "none";
    }
  }
}

/** A known code, or `invalid_response` for anything else (a proxy's page, a newer server's code). */
export function errorCodeOf(value: unknown): ProviderTokensErrorCode {
  return typeof value === "string" && KNOWN.has(value) ? (value as ProviderTokensErrorCode) : "invalid_response";
}
