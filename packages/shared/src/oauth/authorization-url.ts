import * as oauth from "oauth4webapi";
import type { EndpointParams } from "../providers/endpoint-template.ts";
import { providerEndpointUrl } from "../providers/provider-endpoint.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { requireString } from "./provider-request.ts";

/**
 * Inputs of {@link buildAuthorizationUrl}.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export interface AuthorizationUrlInput {
  /** Callback URL registered with the provider. */
  readonly redirectUri: string;
  /** Opaque, unguessable value binding the callback to this request. */
  readonly state: string;
  /** Scopes to request (default: the catalog's default scopes); the RT scopes are always added. */
  readonly scopes?: readonly string[] | undefined;
  /** PKCE S256 challenge; required for providers with `pkce: "required"`. */
  readonly codeChallenge?: string | undefined;
  /** `{shop}` / `{tenant}` values. */
  readonly endpointParams?: EndpointParams | undefined;
  /** Further provider parameters (e.g. `login_hint`); they cannot replace the ones set here. */
  readonly extraParams?: Readonly<Record<string, string>> | undefined;
}

const RESERVED = new Set(["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"]);

/**
 * The scopes to request: the given or default scopes plus the catalog's RT scopes (`offline_access`,
 * `offline.access`), without duplicates.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function requestedScopes(provider: ResolvedProvider, scopes?: readonly string[]): string[] {
  const { defaultScopes, refreshTokenScopes } = provider.definition.authorization;
  return [...new Set([...(scopes ?? defaultScopes), ...refreshTokenScopes])];
}

/**
 * Builds the URL the user is sent to: `response_type=code`, `client_id`, `redirect_uri`, `scope` (joined with
 * the provider's separator: comma for Shopify, space elsewhere), `state`, the S256 PKCE challenge when given,
 * and the catalog's parameters that make the provider issue an RT (Google `access_type=offline&prompt=consent`,
 * Reddit `duration=permanent`).
 *
 * @throws TypeError naming a missing field, a missing challenge where PKCE is required, or a reserved extra parameter.
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
export function buildAuthorizationUrl(provider: ResolvedProvider, input: AuthorizationUrlInput): URL {
  requireString(input.redirectUri, "redirectUri");
  requireString(input.state, "state");
  const { authorization } = provider.definition;
  if (input.codeChallenge !== undefined) requireString(input.codeChallenge, "codeChallenge");
  if (authorization.pkce === "required" && input.codeChallenge === undefined) {
    throw new TypeError(`"codeChallenge" is required: ${provider.id} requires PKCE`);
  }
  const url = providerEndpointUrl(provider, "authorize", input.endpointParams);
  const params = url.searchParams;
  params.set("response_type", "code");
  params.set("client_id", provider.clientId);
  params.set("redirect_uri", input.redirectUri);
  const scopes = requestedScopes(provider, input.scopes);
  if (scopes.length > 0) params.set("scope", scopes.join(authorization.scopeSeparator));
  params.set("state", input.state);
  if (input.codeChallenge !== undefined) {
    params.set("code_challenge", input.codeChallenge);
    params.set("code_challenge_method", "S256");
  }
  for (const [name, value] of Object.entries(authorization.params)) params.set(name, value);
  for (const [name, value] of Object.entries(input.extraParams ?? {})) {
    if (RESERVED.has(name)) throw new TypeError(`"extraParams.${name}" cannot be overridden`);
    params.set(name, value);
  }
  return url;
}

/**
 * A started authorization: the URL plus what must be kept server-side until the callback.
 */
export interface AuthorizationRequest {
  readonly url: URL;
  readonly state: string;
  /** PKCE verifier to send with the code exchange; `undefined` when the provider does not do PKCE. */
  readonly codeVerifier: string | undefined;
  readonly scopes: readonly string[];
}

/**
 * Starts an authorization: a random `state` and, for providers that support PKCE, a random verifier and its
 * S256 challenge (oauth4webapi's `generateRandomState`, `generateRandomCodeVerifier`,
 * `calculatePKCECodeChallenge`: 32 random bytes, base64url), then {@link buildAuthorizationUrl}.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 * @see https://github.com/panva/oauth4webapi/blob/main/docs/functions/calculatePKCECodeChallenge.md
 */
export async function createAuthorizationRequest(
  provider: ResolvedProvider,
  input: Omit<AuthorizationUrlInput, "state" | "codeChallenge">,
): Promise<AuthorizationRequest> {
  const state = oauth.generateRandomState();
  const usePkce = provider.definition.authorization.pkce !== "none";
  const codeVerifier = usePkce ? oauth.generateRandomCodeVerifier() : undefined;
  const codeChallenge = codeVerifier === undefined ? undefined : await oauth.calculatePKCECodeChallenge(codeVerifier);
  const url = buildAuthorizationUrl(provider, { ...input, state, codeChallenge });
  return { url, state, codeVerifier, scopes: requestedScopes(provider, input.scopes) };
}
