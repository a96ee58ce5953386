import { expandEndpoint, type EndpointParams } from "./endpoint-template.ts";
import type { EndpointKind, ResolvedProvider } from "./resolve-provider.ts";

/**
 * The concrete URL of one of a provider's endpoints: its template (after overrides) expanded with `params`,
 * the catalog's `endpointDefaults` (e.g. Microsoft `tenant=common`) and the provider's own `client_id`.
 *
 * @throws ProviderConfigError `invalid_endpoint_parameter` for a missing or malformed parameter.
 * @throws TypeError when the provider has no endpoint of that kind.
 * @see https://url.spec.whatwg.org/#concept-url-parser
 */
export function providerEndpointUrl(provider: ResolvedProvider, kind: EndpointKind, params: EndpointParams = {}): URL {
  const template = provider.endpoints[kind];
  if (template === undefined) throw new TypeError(`provider "${provider.id}" has no ${kind} endpoint`);
  const values: EndpointParams = { ...provider.definition.endpointDefaults, ...definedOnly(params), client_id: provider.clientId };
  return expandEndpoint(template, values, `${provider.id} ${kind} URL`);
}

function definedOnly(params: EndpointParams): EndpointParams {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== "")) as EndpointParams;
}

/**
 * The URL of an API call relative to the provider's `api` endpoint (after overrides): `path` is appended to the
 * base and may hold `{client_id}`; placeholders are expanded and validated as for endpoints.
 *
 * @throws ProviderConfigError `invalid_endpoint_parameter`.
 */
export function providerApiUrl(provider: ResolvedProvider, path: string, params: EndpointParams = {}): URL {
  const template = provider.endpoints.api.replace(/\/+$/, "") + path;
  const values: EndpointParams = { ...provider.definition.endpointDefaults, ...definedOnly(params), client_id: provider.clientId };
  return expandEndpoint(template, values, `${provider.id} API URL`);
}
