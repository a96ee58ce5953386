/**
 * The error every function answers with: `{ "error": { "code", "message" } }` and the status of its code.
 * Codes and statuses are the public contract (README.md, the functions' sections); adding one changes the public API.
 */
export const API_ERROR_STATUS = {
  unauthorized: 401,
  invalid_request: 400,
  unknown_provider: 400,
  provider_not_configured: 400,
  not_connected: 404,
  // token-admin: an unknown route, or a connection id that does not exist (admins only: nothing to hide).
  not_found: 404,
  needs_reauth: 409,
  provider_unavailable: 503,
  method_not_allowed: 405,
  payload_too_large: 413,
  forbidden: 403,
  key_unavailable: 500,
  internal: 500,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

/** An error meant for the caller. Its message must name the field at fault and never carry a secret. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Extra members of the error object, e.g. `{ reconnect: true }`. */
    readonly extra: Record<string, unknown> = {},
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = API_ERROR_STATUS[code];
  }
}

/**
 * A stored token's key id is missing from `TOKEN_ENCRYPTION_KEYS` (an operator fault: the key was retired
 * before `rotate-key` moved every row off it). Names the key id, which is not secret.
 */
export function keyUnavailable(keyId: string): ApiError {
  return new ApiError("key_unavailable", `the stored token is encrypted with key id "${keyId}", which TOKEN_ENCRYPTION_KEYS does not hold`);
}

/** The fixed body of an unexpected failure: never the underlying error's message. */
export const INTERNAL_ERROR_MESSAGE = "The server failed to handle the request";

export function errorBody(err: ApiError): { error: Record<string, unknown> } {
  return { error: { code: err.code, message: err.message, ...err.extra } };
}
