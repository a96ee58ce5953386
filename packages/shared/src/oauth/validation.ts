import type { EndpointParams } from "../providers/endpoint-template.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { buildApiCallRequest } from "./provider-request.ts";
import { failureOf, readProviderResponse } from "./classify-provider-failure.ts";
import { boundedSeconds, MAX_EXPIRES_IN_SECONDS } from "./token-values.ts";

/**
 * A successful validation. `expiresAt` is set when the provider reports remaining lifetime (Twitch `expires_in`).
 *
 * @see https://dev.twitch.tv/docs/authentication/validate-tokens
 */
export interface ValidationResult {
  readonly valid: true;
  readonly expiresAt?: Date;
}

/**
 * Builds the catalog's validation call for an access token (Shopify shop.json, GitHub token check, Twitch
 * /validate, Spotify /me, ...). Meant for tokens that cannot be refreshed (non-expiring ones, or a response
 * that stated no expiry and brought no RT); a token with an RT is better refreshed.
 *
 * @throws TypeError when the provider defines no validation call, or the access token is empty.
 * @see https://docs.github.com/en/rest/apps/oauth-applications#check-a-token
 */
export function buildValidationRequest(provider: ResolvedProvider, accessToken: string, context: { readonly endpointParams?: EndpointParams | undefined } = {}): Request {
  const validation = provider.definition.validation;
  if (validation === undefined) throw new TypeError(`provider "${provider.id}" defines no validation call`);
  return buildApiCallRequest(provider, validation.call, accessToken, context.endpointParams);
}

/**
 * Parses a validation answer. 2xx → `{ valid: true }`. A status the catalog lists as "invalid" (401, GitHub
 * 404, Google 400) throws `reauth_required`: the token is dead and, for the tokens validation is meant for,
 * only reconnecting helps. Other failures are classified as usual (429 → `rate_limited`, 5xx → `transient`).
 *
 * @throws ProviderError.
 */
export async function parseValidationResponse(
  provider: ResolvedProvider,
  response: Response,
  options: { readonly accessToken?: string | undefined; readonly now?: Date | undefined } = {},
): Promise<ValidationResult> {
  const now = options.now ?? new Date();
  const body = await readProviderResponse(provider, "validate", response);
  if (!response.ok) throw failureOf(provider, "validate", response, body, { now, secrets: [options.accessToken] });
  const expiresIn = boundedSeconds("expires_in", body.fields?.["expires_in"], MAX_EXPIRES_IN_SECONDS).seconds;
  return expiresIn !== undefined ? { valid: true, expiresAt: new Date(now.getTime() + expiresIn * 1000) } : { valid: true };
}
