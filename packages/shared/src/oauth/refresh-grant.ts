import type { EndpointParams } from "../providers/endpoint-template.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { buildTokenEndpointRequest, requireString } from "./provider-request.ts";
import { parseTokenEndpointResponse } from "./token-response.ts";
import type { TokenSet } from "./token-set.ts";

/**
 * Per-connection inputs of provider requests.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export interface ConnectionContext {
  /** Values for `{shop}`, `{tenant}`, `{domain_prefix}` (the connection's account data). */
  readonly endpointParams?: EndpointParams | undefined;
  /** The connection's granted scopes; sent on refresh where the provider wants them (Microsoft). */
  readonly scopes?: readonly string[] | undefined;
}

/**
 * A {@link TokenSet} from a refresh: it always has a refresh token (the new one, or the stored one).
 */
export type RefreshedTokenSet = TokenSet & { readonly refreshToken: string };

/**
 * Builds the refresh request (`grant_type=refresh_token`) for a provider, as a plain `Request`.
 * Microsoft also gets `scope` (the connection's scopes plus `offline_access`).
 *
 * @throws TypeError `"refresh_token" must be a non-empty string`.
 * @throws ProviderConfigError `invalid_endpoint_parameter` for a missing or malformed `{shop}`/`{domain_prefix}`/`{tenant}`.
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token
 */
export function buildRefreshRequest(provider: ResolvedProvider, refreshToken: string, context: ConnectionContext = {}): Request {
  requireString(refreshToken, "refresh_token");
  const grant: Array<[string, string]> = [
    ["grant_type", "refresh_token"],
    ["refresh_token", refreshToken],
  ];
  const { authorization, oauth } = provider.definition;
  if (oauth.refreshSendsScope) {
    const scopes = [...new Set([...(context.scopes ?? authorization.defaultScopes), ...authorization.refreshTokenScopes])];
    if (scopes.length > 0) grant.push(["scope", scopes.join(authorization.scopeSeparator)]);
  }
  return buildTokenEndpointRequest(provider, grant, context.endpointParams);
}

/**
 * Parses a refresh response into a {@link RefreshedTokenSet}; the stored RT is kept when none comes back, and
 * `refreshTokenRotated` tells whether a different one came.
 *
 * @throws ProviderError with the provider's classification.
 */
export async function parseRefreshResponse(
  provider: ResolvedProvider,
  response: Response,
  options: { readonly previousRefreshToken: string; readonly previousScopes?: readonly string[] | undefined; readonly now?: Date | undefined },
): Promise<RefreshedTokenSet> {
  requireString(options.previousRefreshToken, "previousRefreshToken");
  return (await parseTokenEndpointResponse(provider, "refresh", response, options)) as RefreshedTokenSet;
}
