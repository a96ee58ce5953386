/**
 * The error every function answers with: `{ "error": { "code", "message" } }` and the status of its code.
 * Codes and statuses are the public contract (contract.md, "Edge Functions"); adding one is a contract change.
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

/** The fixed body of an unexpected failure: never the underlying error's message. */
export const INTERNAL_ERROR_MESSAGE = "The server failed to handle the request";

export function errorBody(err: ApiError): { error: Record<string, unknown> } {
  return { error: { code: err.code, message: err.message, ...err.extra } };
}
