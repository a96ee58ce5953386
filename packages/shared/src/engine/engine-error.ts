/**
 * Stable codes of {@link EngineError}: why get-token handed out no token. The strings are the ones the HTTP
 * contract uses for the same case (http/engine-error-response.ts maps each to its status).
 *
 * - `unknown_provider`, `provider_not_configured`: the provider id is not in the catalog, or has no client credentials.
 * - `invalid_request`: the user has several accounts at the provider and the request named none.
 * - `not_connected`: no live connection.
 * - `needs_reauth`: the provider said the grant is gone; only the user reconnecting helps.
 * - `provider_unavailable`: no token now; {@link EngineError.retryAfterMs} says when to try again.
 */
export const ENGINE_ERROR_CODES = [
  "unknown_provider", "provider_not_configured", "invalid_request", "not_connected", "needs_reauth", "provider_unavailable",
] as const;

export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number];

/** An outcome of the engine that is not a token. Its message names no token, secret or user id. */
export class EngineError extends Error {
  override readonly name = "EngineError";
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    /** For `provider_unavailable`: how long until the next attempt can succeed. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
