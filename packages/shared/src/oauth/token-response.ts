import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { failureOf, readProviderResponse } from "./classify-provider-failure.ts";
import { ProviderError, type ProviderOperation } from "./provider-error.ts";
import { tokenSetFromFields, type TokenSet } from "./token-set.ts";

/**
 * Options shared by the token-endpoint response parsers.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenResponseOptions {
  /** The stored RT (refresh), kept when the response has none. */
  readonly previousRefreshToken?: string | undefined;
  /** Stored or requested scopes, reported when the response omits `scope`. */
  readonly previousScopes?: readonly string[] | undefined;
  /** Reference time (default: now). */
  readonly now?: Date | undefined;
}

/**
 * Parses a token endpoint answer: a failure (non-2xx, or GitHub's HTTP 200 with an `error` field, JSON or
 * form-encoded) is classified and thrown; a success becomes a {@link TokenSet}.
 *
 * Hand-written instead of oauth4webapi's `process*Response`: those reject numeric-string `expires_in`, a 2xx
 * with `error` would not be classified per provider, non-JSON error bodies (Twitch, HTML pages) lose their text,
 * and ID tokens in Google/Microsoft responses would be validated against an issuer we do not configure.
 *
 * @throws ProviderError classified by `classifyHttpFailure`; `transient` for unreadable or non-JSON success bodies.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5
 */
export async function parseTokenEndpointResponse(
  provider: ResolvedProvider,
  operation: ProviderOperation,
  response: Response,
  options: TokenResponseOptions = {},
): Promise<TokenSet> {
  const now = options.now ?? new Date();
  const body = await readProviderResponse(provider, operation, response, provider.definition.oauth.formEncodedResponses);
  const secrets = [options.previousRefreshToken];
  const upstreamError = body.fields?.["error"];
  if (!response.ok || (typeof upstreamError === "string" && upstreamError !== "")) {
    throw failureOf(provider, operation, response, body, { now, secrets });
  }
  if (body.fields === undefined) {
    throw new ProviderError("transient", `${provider.id} ${operation} failed: HTTP ${response.status} response is not a JSON object`, {
      provider: provider.id,
      operation,
      status: response.status,
    });
  }
  return tokenSetFromFields(provider, body.fields, {
    operation,
    previousRefreshToken: options.previousRefreshToken,
    previousScopes: options.previousScopes,
    now,
  });
}
