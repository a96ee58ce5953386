/**
 * Stable codes of {@link ProviderConfigError}. The first two match the Edge Function error codes of the
 * contract (`unknown_provider`, `provider_not_configured`, both HTTP 400).
 *
 * - `unknown_provider`: the id is not one of the contract's provider ids.
 * - `provider_not_configured`: `<ID>_CLIENT_ID` / `<ID>_CLIENT_SECRET` are missing, or an endpoint override is not a URL.
 * - `invalid_endpoint_parameter`: a value for `{shop}`, `{tenant}`, `{domain_prefix}` or `{client_id}` is
 *   missing or not of the allowed form.
 *
 */
export const PROVIDER_CONFIG_ERROR_CODES = [
  "unknown_provider",
  "provider_not_configured",
  "invalid_endpoint_parameter",
] as const;

/**
 * One of {@link PROVIDER_CONFIG_ERROR_CODES}.
 *
 */
export type ProviderConfigErrorCode = (typeof PROVIDER_CONFIG_ERROR_CODES)[number];

/**
 * A provider cannot be used as asked: unknown id, missing credentials, or a bad endpoint parameter. Messages
 * name environment variables and fields, never their secret values.
 *
 */
export class ProviderConfigError extends Error {
  /** Stable machine-readable code. */
  readonly code: ProviderConfigErrorCode;
  /** The provider id concerned, when it is a known one. */
  readonly provider: string | undefined;

  /**
   * @param code - One of {@link PROVIDER_CONFIG_ERROR_CODES}.
   * @param message - Secret-free description.
   * @param provider - The provider id, if known.
   */
  constructor(code: ProviderConfigErrorCode, message: string, provider?: string) {
    super(message);
    this.name = "ProviderConfigError";
    this.code = code;
    this.provider = provider;
  }
}
