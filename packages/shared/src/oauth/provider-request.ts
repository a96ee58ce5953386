// The requests this client sends to a provider: its token endpoint (grants) and its API (validation and
// identity calls), with the catalog's client authentication, body format and headers. Building is separate
// from sending (send-provider-request.ts) so each Request can be inspected in tests.
import type { EndpointParams } from "../providers/endpoint-template.ts";
import type { ProviderApiCall } from "../providers/provider-definition.ts";
import { providerApiUrl, providerEndpointUrl } from "../providers/provider-endpoint.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";

/**
 * Expands `{client_id}` and `{client_secret}` in catalog header values (Etsy's `x-api-key`, Reddit's
 * User-Agent) and returns them as `Headers`.
 *
 * @see https://developers.etsy.com/documentation/essentials/authentication
 */
export function expandHeaders(provider: ResolvedProvider, templates: Readonly<Record<string, string>>): Headers {
  const headers = new Headers();
  for (const [name, template] of Object.entries(templates)) {
    headers.set(name, template.replaceAll("{client_id}", provider.clientId).replaceAll("{client_secret}", provider.clientSecret));
  }
  return headers;
}

/**
 * Encodes request parameters as `application/x-www-form-urlencoded` or JSON (Shopify), setting Content-Type.
 * Parameter order is kept.
 *
 * @see https://url.spec.whatwg.org/#concept-urlencoded-serializer
 */
export function encodeBody(format: "form" | "json", params: ReadonlyMap<string, string>, headers: Headers): string {
  if (format === "json") {
    headers.set("content-type", "application/json");
    return JSON.stringify(Object.fromEntries(params));
  }
  headers.set("content-type", "application/x-www-form-urlencoded");
  return new URLSearchParams([...params]).toString();
}

/**
 * Throws a TypeError naming `name` unless `value` is a non-empty string.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export function requireString(value: unknown, name: string): asserts value is string {
  if (typeof value !== "string" || value === "") throw new TypeError(`"${name}" must be a non-empty string`);
}

/**
 * The `Authorization: Basic` value for client credentials. The id and secret are joined as `id:secret` and
 * base64-encoded as UTF-8, as the providers in the catalog document it (Spotify, Reddit, X, Xero, Intuit,
 * Discord); the RFC 6749 §2.3.1 form-encoding step is skipped because it only changes characters that these
 * providers do not issue in ids and secrets, and some of them do not undo it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7617#section-2
 * @see https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const bytes = new TextEncoder().encode(`${clientId}:${clientSecret}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/**
 * How the client authenticates on a token or revocation call (`omit`: not at all).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export type ClientAuthMethod = "client_secret_basic" | "client_secret_post" | "none" | "omit";

/**
 * Applies a client authentication method: `client_secret_basic` sets the Authorization header;
 * `client_secret_post` adds `client_id` and `client_secret` to the body; `none` adds only `client_id` (a
 * public client, as Etsy's token endpoint and Twitch's revocation expect); `omit` adds nothing.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2 (method names)
 */
export function applyClientAuthentication(
  method: ClientAuthMethod,
  client: { readonly clientId: string; readonly clientSecret: string },
  headers: Headers,
  params: Map<string, string>,
): void {
  switch (method) {
    case "client_secret_basic":
      headers.set("authorization", basicAuthorization(client.clientId, client.clientSecret));
      return;
    case "client_secret_post":
      params.set("client_id", client.clientId);
      params.set("client_secret", client.clientSecret);
      return;
    case "none":
      params.set("client_id", client.clientId);
      return;
    case "omit":
      return;
  }
}

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
