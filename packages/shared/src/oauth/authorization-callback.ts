import { normalizeShopDomain } from "../providers/endpoint-template.ts";
import type { EndpointParams } from "../providers/endpoint-template.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { CallbackError } from "./callback-error.ts";
import { MAX_DESCRIPTION_LENGTH } from "./redact.ts";

/**
 * What a successful callback carries.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 */
export interface AuthorizationCallback {
  readonly code: string;
  readonly state: string;
  /**
   * Account id delivered with the callback (QuickBooks `realmId`, Lightspeed `domain_prefix`, Shopify shop store
   * name), when the provider sends one.
   */
  readonly accountId: string | undefined;
  /** Endpoint values the code exchange needs (Lightspeed `domain_prefix`, Shopify `shop`). */
  readonly endpointParams: EndpointParams;
}

/**
 * Reads the provider's redirect (`?code&state`, or `?error`). Hand-written rather than oauth4webapi's
 * `validateAuthResponse`, which needs an issuer for RFC 9207 `iss` checks that most of these providers do not
 * send, and knows nothing of QuickBooks `realmId` or Lightspeed `domain_prefix`.
 *
 * For Shopify, verify the callback HMAC as well (`verifyShopifyHmac`).
 *
 * @param expectedState - When given, `state` must equal it (otherwise the caller looks the state up itself).
 * @throws CallbackError.
 */
export function parseAuthorizationCallback(
  provider: ResolvedProvider,
  input: URL | URLSearchParams | string,
  expectedState?: string,
): AuthorizationCallback {
  const params = input instanceof URL ? input.searchParams : input instanceof URLSearchParams ? input : new URL(input).searchParams;
  const error = params.get("error") ?? undefined;
  if (error !== undefined) {
    const description = params.get("error_description")?.slice(0, MAX_DESCRIPTION_LENGTH) ?? undefined;
    const upstream = { error: error.slice(0, 100), error_description: description };
    if (error === "access_denied") throw new CallbackError("access_denied", `${provider.id} authorization was denied by the user`, upstream);
    throw new CallbackError("authorization_failed", `${provider.id} authorization failed: ${upstream.error}`, upstream);
  }
  const state = params.get("state");
  if (state === null || state === "") throw new CallbackError("callback_invalid", '"state" is missing from the callback');
  if (expectedState !== undefined && state !== expectedState) throw new CallbackError("state_mismatch", '"state" does not match');
  const code = params.get("code");
  if (code === null || code === "") throw new CallbackError("callback_invalid", '"code" is missing from the callback');

  const identity = provider.definition.identity;
  const endpointParams: { shop?: string; domain_prefix?: string } = {};
  let accountId: string | undefined;
  if (identity.source === "callback") {
    const value = params.get(identity.param);
    if (value === null || value === "") throw new CallbackError("callback_invalid", `"${identity.param}" is missing from the callback`);
    // A QuickBooks realm id is digits, a Lightspeed domain prefix a host label: nothing here may reach a URL
    // path or host as anything else.
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) {
      throw new CallbackError("callback_invalid", `"${identity.param}" must be 1 to 64 letters, digits, "-" or "_"`);
    }
    accountId = value;
    if (identity.param === "domain_prefix") endpointParams.domain_prefix = value;
  } else if (identity.source === "authorize_input") {
    const shop = params.get("shop");
    if (shop !== null && shop !== "") {
      try {
        endpointParams.shop = normalizeShopDomain(shop);
      } catch {
        throw new CallbackError("callback_invalid", '"shop" in the callback is not a *.myshopify.com domain');
      }
      accountId = `${endpointParams.shop}.myshopify.com`;
    }
  }
  return { code, state, accountId, endpointParams };
}
