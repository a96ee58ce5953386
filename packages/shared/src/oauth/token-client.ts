import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { buildIdentityRequest, parseIdentityResponse } from "./account-identity.ts";
import type { AuthorizationCallback } from "./authorization-callback.ts";
import { buildCodeExchangeRequest, parseCodeExchangeResponse, type CodeExchangeInput } from "./code-exchange.ts";
import { buildRefreshRequest, parseRefreshResponse, type ConnectionContext, type RefreshedTokenSet } from "./refresh-grant.ts";
import { buildRevocationRequest, parseRevocationResponse, type RevocationResult, type RevocationTokens } from "./revocation.ts";
import { sendProviderRequest, type SendOptions } from "./send-provider-request.ts";
import type { TokenSet } from "./token-set.ts";
import { buildValidationRequest, parseValidationResponse, type ValidationResult } from "./validation.ts";

/**
 * Options of the token client calls: transport ({@link SendOptions}) plus the reference time.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749
 */
export interface ClientCallOptions extends SendOptions {
  /** Reference time for expiry computation (default: now, taken when the response arrives). */
  readonly now?: Date | undefined;
}

/**
 * Refreshes tokens: build → send (bounded by the timeout) → parse. The result keeps the stored RT when the
 * provider sends none; persist it at once when `refreshTokenRotated` is true.
 *
 * @throws ProviderError (`reauth_required`, `client_misconfigured`, `rate_limited`, `transient`).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export async function refreshTokens(
  provider: ResolvedProvider,
  refreshToken: string,
  context: ConnectionContext & ClientCallOptions = {},
): Promise<RefreshedTokenSet> {
  const request = buildRefreshRequest(provider, refreshToken, context);
  const response = await sendProviderRequest(provider, "refresh", request, context);
  return parseRefreshResponse(provider, response, { previousRefreshToken: refreshToken, previousScopes: context.scopes, now: context.now });
}

/**
 * Exchanges an authorization code for tokens.
 *
 * @throws ProviderError.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 */
export async function exchangeCode(
  provider: ResolvedProvider,
  input: CodeExchangeInput & { readonly requestedScopes?: readonly string[] | undefined },
  options: ClientCallOptions = {},
): Promise<TokenSet> {
  const response = await sendProviderRequest(provider, "exchange", buildCodeExchangeRequest(provider, input), options);
  return parseCodeExchangeResponse(provider, response, { requestedScopes: input.requestedScopes, now: options.now });
}

/**
 * Revokes a grant at the provider (where the catalog defines revocation).
 *
 * @throws ProviderError.
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export async function revokeTokens(
  provider: ResolvedProvider,
  tokens: RevocationTokens,
  context: Pick<ConnectionContext, "endpointParams"> & ClientCallOptions = {},
): Promise<RevocationResult> {
  const response = await sendProviderRequest(provider, "revoke", buildRevocationRequest(provider, tokens, context), context);
  return parseRevocationResponse(provider, response, { secrets: [tokens.accessToken, tokens.refreshToken], now: context.now });
}

/**
 * Validates an access token with the catalog's validation call.
 *
 * @throws ProviderError; `reauth_required` when the provider says the token is invalid.
 * @see https://dev.twitch.tv/docs/authentication/validate-tokens
 */
export async function validateAccessToken(
  provider: ResolvedProvider,
  accessToken: string,
  context: Pick<ConnectionContext, "endpointParams"> & ClientCallOptions = {},
): Promise<ValidationResult> {
  const response = await sendProviderRequest(provider, "validate", buildValidationRequest(provider, accessToken, context), context);
  return parseValidationResponse(provider, response, { accessToken, now: context.now });
}

/**
 * The account id of a new connection, from wherever the catalog says it comes: the callback (QuickBooks
 * `realmId`, Lightspeed `domain_prefix`), the Shopify shop, or an API call with the new access token.
 *
 * @throws ProviderError for a failed API call; TypeError when the callback lacks the id.
 * @see https://developer.xero.com/documentation/guides/oauth2/tenants
 */
export async function resolveAccountId(
  provider: ResolvedProvider,
  input: { readonly accessToken: string; readonly callback: AuthorizationCallback },
  options: ClientCallOptions = {},
): Promise<string> {
  if (provider.definition.identity.source !== "api") {
    if (input.callback.accountId === undefined) throw new TypeError(`"accountId" is missing from the ${provider.id} callback`);
    return input.callback.accountId;
  }
  const request = buildIdentityRequest(provider, input.accessToken, { endpointParams: input.callback.endpointParams });
  const response = await sendProviderRequest(provider, "identity", request, options);
  return (await parseIdentityResponse(provider, response, { accessToken: input.accessToken, now: options.now })).accountId;
}
