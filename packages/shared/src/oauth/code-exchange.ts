import type { EndpointParams } from "../providers/endpoint-template.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { buildTokenEndpointRequest, requireString } from "./provider-request.ts";
import { parseTokenEndpointResponse } from "./token-response.ts";
import type { TokenSet } from "./token-set.ts";

/**
 * Inputs of an authorization code exchange.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 */
export interface CodeExchangeInput {
  /** The `code` from the callback. */
  readonly code: string;
  /** Exactly the `redirect_uri` sent in the authorization request. */
  readonly redirectUri: string;
  /** PKCE verifier, when the authorization request carried a challenge. */
  readonly codeVerifier?: string | undefined;
  /** `{shop}` / `{domain_prefix}` / `{tenant}` values (Shopify shop, Lightspeed domain_prefix from the callback). */
  readonly endpointParams?: EndpointParams | undefined;
}

/**
 * Builds the authorization code exchange request (`grant_type=authorization_code`, `code`, `redirect_uri`,
 * `code_verifier`), plus catalog extras (Shopify `expiring=1` for expiring offline tokens).
 *
 * @throws TypeError naming a missing field, or a missing `codeVerifier` for providers that require PKCE.
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.5
 */
export function buildCodeExchangeRequest(provider: ResolvedProvider, input: CodeExchangeInput): Request {
  requireString(input.code, "code");
  requireString(input.redirectUri, "redirectUri");
  if (input.codeVerifier !== undefined) requireString(input.codeVerifier, "codeVerifier");
  if (provider.definition.authorization.pkce === "required" && input.codeVerifier === undefined) {
    throw new TypeError(`"codeVerifier" is required: ${provider.id} requires PKCE`);
  }
  const grant: Array<[string, string]> = [
    ["grant_type", "authorization_code"],
    ["code", input.code],
    ["redirect_uri", input.redirectUri],
  ];
  if (input.codeVerifier !== undefined) grant.push(["code_verifier", input.codeVerifier]);
  for (const [name, value] of Object.entries(provider.definition.oauth.exchangeParams)) grant.push([name, value]);
  return buildTokenEndpointRequest(provider, grant, input.endpointParams);
}

/**
 * Parses a code exchange response into a {@link TokenSet} (`refreshToken` is undefined when the grant has none,
 * e.g. GitHub OAuth apps or Shopify non-expiring tokens).
 *
 * @throws ProviderError with the provider's classification.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.4
 */
export function parseCodeExchangeResponse(
  provider: ResolvedProvider,
  response: Response,
  options: { readonly requestedScopes?: readonly string[] | undefined; readonly now?: Date | undefined } = {},
): Promise<TokenSet> {
  return parseTokenEndpointResponse(provider, "exchange", response, { previousScopes: options.requestedScopes, now: options.now });
}
