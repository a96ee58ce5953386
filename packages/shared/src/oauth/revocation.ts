import type { EndpointParams } from "../providers/endpoint-template.ts";
import { providerEndpointUrl } from "../providers/provider-endpoint.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { applyClientAuthentication, encodeBody, expandHeaders } from "./provider-request.ts";
import { failureOf, readProviderResponse } from "./classify-provider-failure.ts";

/**
 * Tokens available for revocation; the catalog says which one the provider revokes.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export interface RevocationTokens {
  readonly accessToken?: string | undefined;
  readonly refreshToken?: string | undefined;
}

/**
 * Outcome of a revocation: `alreadyInvalid` when the provider said the token was already gone.
 */
export interface RevocationResult {
  readonly revoked: true;
  readonly alreadyInvalid: boolean;
}

/**
 * Builds the provider's revocation request: RFC 7009 form posts (Google, Discord, Xero, X, Reddit, Twitch),
 * Intuit's JSON `{"token"}`, GitHub's `DELETE /applications/{client_id}/token` with Basic auth and a JSON
 * `access_token`, Shopify's uninstall `DELETE` with `X-Shopify-Access-Token`, Dropbox's `POST
 * /2/auth/token/revoke` with the access token as a Bearer credential. The catalog's preferred token is
 * revoked (usually the RT, which ends the whole grant); the other is used when it is missing.
 *
 * @throws TypeError when the provider cannot revoke, or no usable token is given.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
export function buildRevocationRequest(
  provider: ResolvedProvider,
  tokens: RevocationTokens,
  context: { readonly endpointParams?: EndpointParams | undefined } = {},
): Request {
  const revocation = provider.definition.revocation;
  if (revocation === undefined) throw new TypeError(`provider "${provider.id}" has no revocation endpoint`);
  const byKind = { access_token: nonEmpty(tokens.accessToken), refresh_token: nonEmpty(tokens.refreshToken) };
  const other = revocation.revokes === "access_token" ? "refresh_token" : "access_token";
  // Shopify's uninstall and Dropbox's revoke call authenticate with the access token itself; an RT cannot
  // stand in for it.
  const inHeader = revocation.tokenPlacement === "shopify_header" || revocation.tokenPlacement === "bearer_header";
  const kind = byKind[revocation.revokes] !== undefined || inHeader ? revocation.revokes : other;
  const token = byKind[kind];
  if (token === undefined) throw new TypeError(`"${revocation.revokes === "access_token" ? "accessToken" : "refreshToken"}" is required to revoke at ${provider.id}`);

  const url = providerEndpointUrl(provider, "revoke", context.endpointParams);
  const headers = expandHeaders(provider, revocation.headerSet === "api" ? provider.definition.apiHeaders : provider.definition.oauth.headers);
  if (!headers.has("accept")) headers.set("accept", "application/json");
  const params = new Map<string, string>();
  let body: string | undefined;
  if (revocation.tokenPlacement === "shopify_header") {
    headers.set("x-shopify-access-token", token);
  } else if (revocation.tokenPlacement === "bearer_header") {
    headers.set("authorization", `Bearer ${token}`);
  } else {
    params.set(revocation.tokenParam, token);
    if (revocation.tokenTypeHint) params.set("token_type_hint", kind);
  }
  applyClientAuthentication(revocation.clientAuth, provider, headers, params);
  if (!inHeader) body = encodeBody(revocation.tokenPlacement as "form" | "json", params, headers);
  return new Request(url, { method: revocation.method, headers, ...(body === undefined ? {} : { body }) });
}

/**
 * Parses a revocation answer. 2xx is success; so are the catalog's "already revoked" statuses (GitHub 404,
 * Shopify 401/404) and an `invalid_token` error, which RFC 7009 says should not be an error at all but Google
 * still sends as 400.
 *
 * @throws ProviderError for any other failure.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2
 */
export async function parseRevocationResponse(
  provider: ResolvedProvider,
  response: Response,
  options: { readonly secrets?: ReadonlyArray<string | undefined> | undefined; readonly now?: Date | undefined } = {},
): Promise<RevocationResult> {
  if (response.ok) {
    await response.body?.cancel();
    return { revoked: true, alreadyInvalid: false };
  }
  const body = await readProviderResponse(provider, "revoke", response);
  const alreadyRevoked = provider.definition.revocation?.alreadyRevokedStatuses ?? [];
  if (alreadyRevoked.includes(response.status) || body.fields?.["error"] === "invalid_token") {
    return { revoked: true, alreadyInvalid: true };
  }
  throw failureOf(provider, "revoke", response, body, { now: options.now, secrets: options.secrets });
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
