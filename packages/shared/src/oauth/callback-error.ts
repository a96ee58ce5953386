/**
 * Stable codes of {@link CallbackError} (problems with the redirect back from the provider):
 * - `access_denied`: the user declined.
 * - `authorization_failed`: the provider reported another error (`error` kept).
 * - `state_mismatch`: `state` is not the expected one.
 * - `callback_invalid`: `code`, `state` or a required account parameter is missing.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export const CALLBACK_ERROR_CODES = ["access_denied", "authorization_failed", "state_mismatch", "callback_invalid"] as const;

/**
 * One of {@link CALLBACK_ERROR_CODES}.
 */
export type CallbackErrorCode = (typeof CALLBACK_ERROR_CODES)[number];

/**
 * The provider's redirect cannot be used. Upstream `error` and `error_description` are kept.
 */
export class CallbackError extends Error {
  /** Stable code. */
  readonly code: CallbackErrorCode;
  /** Upstream `error` parameter, when present. */
  readonly error: string | undefined;
  /** Upstream `error_description` parameter, when present. */
  readonly error_description: string | undefined;

  /**
   * @param code - One of {@link CALLBACK_ERROR_CODES}.
   * @param message - Description naming the parameter.
   * @param upstream - The provider's `error` / `error_description`.
   */
  constructor(code: CallbackErrorCode, message: string, upstream: { error?: string | undefined; error_description?: string | undefined } = {}) {
    super(message);
    this.name = "CallbackError";
    this.code = code;
    this.error = upstream.error;
    this.error_description = upstream.error_description;
  }
}
