import { encryptForRow } from "../crypto/connection-tokens.ts";
import { ApiError } from "../http/api-error.ts";
import { userRef } from "../log/logger.ts";
import { createAuthorizationRequest } from "../oauth/authorization-url.ts";
import { normalizeShopDomain, type EndpointParams } from "../providers/endpoint-template.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { callbackUrlOf, type ConnectDeps } from "./connect-deps.ts";
import { OAUTH_STATES_TABLE, STATE_TTL_SECONDS, stateHashHex } from "./oauth-state.ts";
import { providerForRequest } from "./provider-for-request.ts";
import { checkRedirectTo } from "./redirect-allow-list.ts";
import { parseStartRequest, type StartRequest } from "./start-request.ts";

/**
 * What oauth-start answers: the provider URL to send the user's browser to, and when the authorization
 * stops being accepted.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1
 */
export interface StartResult {
  readonly authorize_url: string;
  readonly expires_at: string;
}

/** Pending authorizations kept per user; starting more invalidates the oldest. */
export const MAX_PENDING_STATES_PER_USER = 20;

/**
 * oauth-start: checks the request, builds the provider's authorization URL (RFC 6749 4.1.1) with a fresh
 * `state` and, where the provider does PKCE, an S256 challenge (RFC 7636), the catalog's scopes and
 * parameters that yield a refresh token, and Shopify's shop; then stores the pending authorization in
 * `oauth_states`: only the SHA-256 of the state, the PKCE verifier encrypted and bound to that row, the user,
 * provider, allow-listed `redirect_to`, scopes and expected account, valid {@link STATE_TTL_SECONDS} seconds.
 *
 * @throws ApiError `invalid_request` (naming the field), `unknown_provider`, `provider_not_configured`.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1
 */
export async function startAuthorization(deps: ConnectDeps, userId: string, body: Record<string, unknown>): Promise<StartResult> {
  const request = parseStartRequest(body);
  const provider = providerForRequest(request.provider, deps.env);
  const redirectTo = checkRedirectTo(request.redirectTo, deps.config.allowedRedirects);
  const target = accountTarget(provider, request);
  const redirectUri = callbackUrlOf(deps.config);

  let authorization: Awaited<ReturnType<typeof createAuthorizationRequest>>;
  try {
    authorization = await createAuthorizationRequest(provider, {
      redirectUri,
      scopes: request.scopes,
      endpointParams: target.endpointParams,
    });
  } catch (error) {
    // A template value the checks above let through but the endpoint rules refuse.
    if ((error as { code?: string }).code === "invalid_endpoint_parameter") {
      throw new ApiError("invalid_request", (error as Error).message);
    }
    throw error;
  }

  const id = crypto.randomUUID();
  let verifier: string | null = null;
  let keyId: string | null = null;
  if (authorization.codeVerifier !== undefined) {
    const ring = await deps.keyRing();
    verifier = await encryptForRow(ring, OAUTH_STATES_TABLE, id, "pkce_verifier", authorization.codeVerifier);
    keyId = ring.primaryKeyId;
  }
  const hash = await stateHashHex(authorization.state);
  // Arrays and JSON travel as text cast in SQL: postgres.js serialises a JS array correctly only once it has
  // fetched the array types, which a fresh connection may not have done yet.
  const [row] = await deps.sql<{ expires_at: Date }[]>`
    insert into public.oauth_states
      (id, state_hash, user_id, provider, code_verifier, encryption_key_id, redirect_to, scopes, account_id, metadata, expires_at)
    values (
      ${id}, decode(${hash}, 'hex'), ${userId}, ${provider.id}, ${verifier}, ${keyId}, ${redirectTo.href},
      array(select jsonb_array_elements_text(${JSON.stringify(authorization.scopes)}::text::jsonb)), ${target.accountId},
      ${JSON.stringify(target.metadata)}::text::jsonb,
      now() + make_interval(secs => ${STATE_TTL_SECONDS})
    )
    returning expires_at`;
  await deps.sql`
    delete from public.oauth_states
    where user_id = ${userId}
      and used_at is null
      and id not in (
        select s.id from public.oauth_states as s
        where s.user_id = ${userId} and s.used_at is null
        order by s.created_at desc
        limit ${MAX_PENDING_STATES_PER_USER}
      )`;
  deps.logger.info("authorization_started", { provider: provider.id, user: await userRef(userId), pkce: verifier !== null });
  return { authorize_url: authorization.url.href, expires_at: new Date(row!.expires_at).toISOString() };
}

/**
 * The account the authorization is for: Shopify's shop (required, a `*.myshopify.com` store) or the `account`
 * the caller expects (checked at the callback), with the endpoint values and metadata that go with it.
 */
function accountTarget(
  provider: ResolvedProvider,
  request: StartRequest,
): { accountId: string; endpointParams: EndpointParams; metadata: Record<string, string> } {
  if (provider.definition.identity.source !== "authorize_input") {
    if (request.shop !== undefined) throw new ApiError("invalid_request", `"shop" is only accepted for shopify, not ${provider.id}`);
    return { accountId: request.account ?? "", endpointParams: {}, metadata: {} };
  }
  const given = request.shop ?? request.account;
  if (given === undefined) throw new ApiError("invalid_request", '"shop" is required for shopify');
  const store = shopStore(given, request.shop !== undefined ? "shop" : "account");
  if (request.shop !== undefined && request.account !== undefined && shopStore(request.account, "account") !== store) {
    throw new ApiError("invalid_request", '"account" must name the same store as "shop"');
  }
  const domain = `${store}.myshopify.com`;
  return { accountId: domain, endpointParams: { shop: store }, metadata: { shop: domain } };
}

function shopStore(value: string, field: string): string {
  try {
    return normalizeShopDomain(value);
  } catch {
    throw new ApiError("invalid_request", `"${field}" must be a "<store>.myshopify.com" domain`);
  }
}
