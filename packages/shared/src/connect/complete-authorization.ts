import type { Sql } from "../db/create-sql.ts";
import { decryptForRow } from "../crypto/connection-tokens.ts";
import { userRef } from "../log/logger.ts";
import { parseAuthorizationCallback, type AuthorizationCallback } from "../oauth/authorization-callback.ts";
import { CallbackError } from "../oauth/callback-error.ts";
import { ProviderError } from "../oauth/provider-error.ts";
import { exchangeCode, resolveAccountId, revokeTokens } from "../oauth/token-client.ts";
import {
  buildAccountConfirmationRequest, buildIdentityRequest, parseAccountConfirmation, parseIdentityResponse, xeroTenantIds,
} from "../oauth/account-identity.ts";
import { readResponseBody } from "../oauth/response-body.ts";
import { sendProviderRequest } from "../oauth/send-provider-request.ts";
import type { TokenSet } from "../oauth/token-set.ts";
import { connectionMetadata, grantReachesManyAccounts, SIGNED_CALLBACK_PROVIDER } from "../providers/provider-hooks.ts";
import { isProviderId, type ProviderId } from "../providers/provider-ids.ts";
import { resolveIfConfigured } from "../providers/resolve-provider.ts";
import { verifyShopifyHmac } from "../providers/shopify-hmac.ts";
import { invalidCallbackResponse, redirectResponse, type ConnectErrorCode } from "./callback-response.ts";
import { callbackUrlOf, type ConnectDeps } from "./connect-deps.ts";
import { isWellFormedState, OAUTH_STATES_TABLE, stateHashHex } from "./oauth-state.ts";
import { connectIdRef } from "./parked-grant.ts";
import { parkGrant } from "./park-grant.ts";

interface StateRow {
  id: string;
  user_id: string;
  provider: string;
  code_verifier: string | null;
  redirect_to: string;
  scopes: string[];
  account_id: string;
  metadata: Record<string, unknown>;
}

const SINGLE_VALUED = ["state", "code", "hmac", "shop", "error", "realmId", "domain_prefix"];

/**
 * oauth-callback (first phase of connecting): where the provider sends the user's browser back (RFC 6749 4.1.2).
 *
 * 1. A Shopify `hmac` is verified first (with Shopify's client secret, constant time); a code-bearing Shopify
 *    callback without a valid one is refused before the state is spent or anything is exchanged.
 * 2. The `state` is looked up by its SHA-256 and consumed atomically (`consume_oauth_state`): unknown, expired
 *    or already used → a 400 page, never a redirect (there is no trusted `redirect_to` then).
 * 3. From here the stored `redirect_to` is trusted: a provider error (`access_denied`) or any failure returns
 *    there with `?error=<code>` ({@link ConnectErrorCode}); nothing is stored.
 * 4. The code is exchanged with the stored PKCE verifier and the same `redirect_uri`; the account id is read
 *    where the catalog says (callback `realmId`/`domain_prefix`, the Shopify shop, or an identity API call);
 *    the unsigned `realmId` and `domain_prefix` are confirmed with the new token (QuickBooks companyinfo,
 *    Lightspeed retailer), a mismatch is `account_mismatch`. Xero: one connection per grant, for the tenant
 *    oauth-start named or the first listed, with every tenant the token reaches in `metadata.tenants`. A grant
 *    refused after the exchange is revoked at once.
 * 5. The grant is parked, not stored ({@link parkGrant}: encrypted, 10 minutes, single use), and the browser
 *    goes to `redirect_to` with `?connect=<id>&provider=<provider>`. The state binds the user who started,
 *    not the browser that finishes (RFC 9700 4.7.1): whoever opens a forwarded authorization URL lands here
 *    with their own consent, so only oauth-complete, called with the starting user's JWT, makes it a
 *    connection ({@link claimConnection}).
 *
 * Codes, states and tokens never reach a log line or a redirect.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.5
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.7
 * @see https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant#step-1-verify-the-installation-request
 */
export async function completeAuthorization(deps: ConnectDeps, request: Request): Promise<Response> {
  const params = new URL(request.url).searchParams;
  for (const name of SINGLE_VALUED) {
    if (params.getAll(name).length > 1) return invalidCallbackResponse(request, `"${name}" must appear at most once`, deps.config.errorPageUrl);
  }
  const state = params.get("state");
  if (!isWellFormedState(state)) return invalidCallbackResponse(request, '"state" is missing or malformed', deps.config.errorPageUrl);

  let hmacValid: boolean | undefined;
  if (params.has("hmac")) {
    const signer = resolveIfConfigured(SIGNED_CALLBACK_PROVIDER, deps.env);
    hmacValid = signer.configured && (await verifyShopifyHmac(params, signer.provider.clientSecret));
  }

  const hash = await stateHashHex(state);
  const [pending] = await deps.sql<{ provider: string }[]>`
    select provider from public.oauth_states
    where state_hash = decode(${hash}, 'hex') and used_at is null and expires_at > now()`;
  if (pending === undefined) return invalidCallbackResponse(request, '"state" is unknown, expired or already used', deps.config.errorPageUrl);
  if (pending.provider === SIGNED_CALLBACK_PROVIDER && params.has("code") && hmacValid !== true) {
    deps.logger.warn("callback_refused", { provider: SIGNED_CALLBACK_PROVIDER, reason: hmacValid === undefined ? "hmac_missing" : "hmac_invalid" });
    return invalidCallbackResponse(request, 'the callback\'s "hmac" is missing or does not verify', deps.config.errorPageUrl);
  }

  const [row] = await deps.sql<StateRow[]>`
    select id, user_id, provider, code_verifier, redirect_to, scopes, account_id, metadata
    from provider_tokens.consume_oauth_state(decode(${hash}, 'hex'))`;
  if (row === undefined) return invalidCallbackResponse(request, '"state" is unknown, expired or already used', deps.config.errorPageUrl);

  const started = Date.now();
  const fail = async (code: ConnectErrorCode, detail: { status?: number | undefined; reason?: string | undefined } = {}) => {
    deps.logger.warn("connect_failed", { provider: row.provider, user: await userRef(row.user_id), error: code, reason: detail.reason, status: detail.status });
    await audit(deps.sql, row, "failure", code, detail.status, Date.now() - started).catch(() => {});
    return redirectResponse(row.redirect_to, { error: code });
  };

  try {
    if (!isProviderId(row.provider)) return await fail("server_error");
    const providerError = params.get("error");
    if (providerError !== null) return await fail(providerError === "access_denied" ? "access_denied" : "authorization_failed");
    const resolved = resolveIfConfigured(row.provider, deps.env);
    if (!resolved.configured) return await fail("provider_not_configured");
    const provider = resolved.provider;

    let callback: AuthorizationCallback;
    try {
      callback = parseAuthorizationCallback(provider, params, state);
    } catch (error) {
      if (error instanceof CallbackError) return await fail("callback_invalid", { reason: error.code });
      throw error;
    }
    const endpointParams = { ...callback.endpointParams };
    const identity = provider.definition.identity;
    if (identity.source === "authorize_input") {
      // The account oauth-start was given (the Shopify shop) is the one the callback must name.
      const stored = row.metadata[identity.param];
      const expected = typeof stored === "string" ? stored : row.account_id;
      if (callback.accountId !== undefined && callback.accountId !== expected) return await fail("account_mismatch");
      endpointParams[identity.param] ??= expected;
    }

    const codeVerifier = row.code_verifier === null
      ? undefined
      : await decryptForRow(await deps.keyRing(), OAUTH_STATES_TABLE, row.id, "pkce_verifier", row.code_verifier);
    let tokens: TokenSet;
    try {
      tokens = await exchangeCode(
        provider,
        { code: callback.code, redirectUri: callbackUrlOf(deps.config), codeVerifier, endpointParams, requestedScopes: row.scopes },
        { fetch: deps.fetch },
      );
    } catch (error) {
      if (error instanceof ProviderError) return await fail("exchange_failed", { status: error.status, reason: error.code });
      throw error;
    }

    // From here the grant is live: whatever refuses it also revokes it at the provider.
    const discard = async (code: ConnectErrorCode, detail: { status?: number | undefined; reason?: string | undefined } = {}) => {
      // Lightspeed has no revocation call: its tokens are forgotten and lapse.
      if (provider.definition.revocation === undefined) return await fail(code, detail);
      await revokeTokens(provider, { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }, { endpointParams, fetch: deps.fetch })
        .catch(() => deps.logger.warn("revocation_failed", { provider: provider.id, after: code }));
      return await fail(code, detail);
    };

    let accountId: string;
    const extraMetadata: Record<string, string> = {};
    try {
      if (grantReachesManyAccounts(provider.id)) {
        // One Xero grant reaches every organisation the user picked; it becomes one connection (one refresh
        // token must never be refreshed from two rows). Its account is the tenant oauth-start asked for, else
        // the first Xero lists; metadata.tenants lists them all (the token works for each, by xero-tenant-id).
        const response = await sendProviderRequest(provider, "identity", buildIdentityRequest(provider, tokens.accessToken), { fetch: deps.fetch });
        if (!response.ok) await parseIdentityResponse(provider, response, { accessToken: tokens.accessToken });
        const tenants = xeroTenantIds(provider, (await readResponseBody(response)).fields);
        if (row.account_id !== "" && !tenants.includes(row.account_id)) return await discard("account_mismatch");
        accountId = row.account_id !== "" ? row.account_id : tenants[0]!;
        extraMetadata["tenants"] = tenants.join(",").slice(0, 4000);
      } else {
        accountId = await resolveAccountId(provider, { accessToken: tokens.accessToken, callback: { ...callback, endpointParams } }, { fetch: deps.fetch });
      }
    } catch (error) {
      if (error instanceof ProviderError || error instanceof TypeError) {
        return await discard("identity_failed", { status: (error as ProviderError).status, reason: (error as ProviderError).code });
      }
      throw error;
    }
    if (accountId.length === 0 || accountId.length > 255) return await discard("identity_failed", { reason: "account_id_length" });
    if (row.account_id !== "" && row.account_id !== accountId) return await discard("account_mismatch");

    // realmId and domain_prefix came as unsigned query parameters: anyone can edit them on the way back.
    // Confirm them with the new token before they name the connection.
    let confirmation: Request | undefined;
    try {
      confirmation = buildAccountConfirmationRequest(provider, tokens.accessToken, accountId);
    } catch (error) {
      if (error instanceof TypeError) return await discard("callback_invalid", { reason: "account_id_form" });
      throw error;
    }
    if (confirmation !== undefined) {
      try {
        const response = await sendProviderRequest(provider, "identity", confirmation, { fetch: deps.fetch });
        if (!(await parseAccountConfirmation(provider, response, accountId, { accessToken: tokens.accessToken }))) {
          return await discard("account_mismatch", { reason: "not_confirmed" });
        }
      } catch (error) {
        if (error instanceof ProviderError) return await discard("identity_failed", { status: error.status, reason: error.code });
        throw error;
      }
    }

    // Not stored yet: the browser that finished the consent may not be the one of the user who started
    // (a forwarded authorization URL). The page at redirect_to claims the grant with its user's JWT.
    const parked = await parkGrant(deps.sql, await deps.keyRing(), {
      userId: row.user_id,
      provider: provider.id,
      accountId,
      tokens,
      metadata: { ...connectionMetadata(provider.id, accountId), ...extraMetadata },
    });
    deps.logger.info("grant_parked", {
      provider: provider.id,
      user: await userRef(row.user_id),
      connect: await connectIdRef(parked.connectId),
      refreshable: tokens.refreshToken !== undefined,
      duration_ms: Date.now() - started,
    });
    return redirectResponse(row.redirect_to, { connect: parked.connectId, provider: provider.id });
  } catch (error) {
    deps.logger.error("connect_error", { provider: row.provider, error: (error as Error)?.name ?? typeof error });
    return await fail("server_error");
  }
}

async function audit(
  sql: Sql,
  row: { user_id: string; provider: string },
  outcome: "success" | "failure",
  errorCode: string | undefined,
  httpStatus: number | undefined,
  durationMs: number,
  connectionId?: string,
): Promise<void> {
  const provider = isProviderId(row.provider) ? (row.provider as ProviderId) : null;
  await sql`
    select provider_tokens.log_token_event(
      ${connectionId ?? null}::uuid, 'connect', ${outcome}, ${httpStatus ?? null}::integer, ${errorCode ?? null}::text,
      ${Math.max(0, Math.round(durationMs))}::integer, ${row.user_id}::uuid, ${provider}::text)`;
}
