/**
 * Stable codes of a `ProviderError` (oauth/provider-error.ts); the refresh engine acts on these:
 *
 * - `reauth_required`: the grant is gone (revoked or expired refresh token, failed validation of a token that
 *   cannot be refreshed, consent or MFA needed). Only the user can fix it: mark the connection `needs_reauth`.
 * - `client_misconfigured`: the provider rejected our client (bad id/secret, missing Basic auth, a request the
 *   provider considers malformed). A fault of the whole provider configuration: do not blame the user.
 * - `rate_limited`: slow down; wait `retryAfterMs` (always set) before the next call.
 * - `transient`: 5xx, network failure, timeout, unparseable or unrecognised answer: retry with backoff.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export const PROVIDER_ERROR_CODES = ["reauth_required", "client_misconfigured", "rate_limited", "transient"] as const;

/**
 * One of {@link PROVIDER_ERROR_CODES}.
 */
export type ProviderErrorCode = (typeof PROVIDER_ERROR_CODES)[number];
