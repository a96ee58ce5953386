import type { EndpointParams } from "../providers/endpoint-template.ts";
import type { ProviderApiCall } from "../providers/provider-definition.ts";
import { providerApiUrl } from "../providers/provider-endpoint.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { basicAuthorization } from "./client-authentication.ts";
import { encodeBody, expandHeaders, requireString } from "./request-parts.ts";

/**
 * Builds a catalog API call (validation or identity) for an access token: URL from the `api` endpoint plus the
 * call's path, the catalog's API headers (Etsy `x-api-key`, Reddit User-Agent, GitHub API version), and the
 * token where the call wants it: `Authorization: Bearer`, Twitch's `Authorization: OAuth`, Shopify's
 * `X-Shopify-Access-Token`, or a JSON/form body (GitHub's token check, Google tokeninfo) — never the URL.
 *
 * @throws TypeError `"access_token" must be a non-empty string`.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export function buildApiCallRequest(
  provider: ResolvedProvider,
  call: ProviderApiCall,
  accessToken: string,
  endpointParams: EndpointParams = {},
): Request {
  requireString(accessToken, "access_token");
  const url = providerApiUrl(provider, call.path, endpointParams);
  const headers = expandHeaders(provider, provider.definition.apiHeaders);
  if (!headers.has("accept")) headers.set("accept", "application/json");
  switch (call.auth) {
    case "bearer":
      headers.set("authorization", `Bearer ${accessToken}`);
      break;
    case "oauth":
      headers.set("authorization", `OAuth ${accessToken}`);
      break;
    case "shopify_access_token":
      headers.set("x-shopify-access-token", accessToken);
      break;
    case "client_basic":
      headers.set("authorization", basicAuthorization(provider.clientId, provider.clientSecret));
      break;
    case "none":
      break;
  }
  let body: string | undefined;
  if (call.body === "json_access_token") body = encodeBody("json", new Map([["access_token", accessToken]]), headers);
  if (call.body === "form_access_token") body = encodeBody("form", new Map([["access_token", accessToken]]), headers);
  return new Request(url, { method: call.method, headers, ...(body === undefined ? {} : { body }) });
}
