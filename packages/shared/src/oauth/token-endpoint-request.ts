import { providerEndpointUrl } from "../providers/provider-endpoint.ts";
import type { EndpointParams } from "../providers/endpoint-template.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { applyClientAuthentication } from "./client-authentication.ts";
import { encodeBody, expandHeaders } from "./request-parts.ts";

/**
 * Builds a POST to the provider's token endpoint: grant parameters first, then client authentication as the
 * catalog says (Basic header, or credentials/`client_id` in the body), the catalog's body format (form, or
 * JSON for Shopify) and token-endpoint headers. `Accept: application/json` is always sent (GitHub needs it to
 * answer in JSON; it is harmless elsewhere).
 *
 * Written by hand rather than with oauth4webapi's grant request functions: those send the request themselves
 * (no Request to inspect or to send through an injected fetch with our timeout), require HTTPS (the local
 * emulator is http), and cannot emit Shopify's JSON body or Etsy's client_id-only body.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export function buildTokenEndpointRequest(
  provider: ResolvedProvider,
  grant: ReadonlyArray<readonly [string, string]>,
  endpointParams: EndpointParams = {},
): Request {
  const { oauth } = provider.definition;
  const url = providerEndpointUrl(provider, "token", endpointParams);
  const headers = expandHeaders(provider, oauth.headers);
  if (!headers.has("accept")) headers.set("accept", "application/json");
  const params = new Map<string, string>(grant);
  applyClientAuthentication(oauth.clientAuth, provider, headers, params);
  const body = encodeBody(oauth.bodyFormat, params, headers);
  return new Request(url, { method: "POST", headers, body });
}
