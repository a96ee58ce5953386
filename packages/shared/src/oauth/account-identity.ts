import type { EndpointParams } from "../providers/endpoint-template.ts";
import { accountConfirmation } from "../providers/provider-hooks.ts";
import type { ResolvedProvider } from "../providers/resolve-provider.ts";
import { buildApiCallRequest } from "./provider-request.ts";
import { failureOf, readProviderResponse } from "./classify-provider-failure.ts";
import { ProviderError } from "./provider-error.ts";

/**
 * Builds the call that tells which account a token belongs to, for providers whose identity comes from an API
 * call (Spotify /me, Xero /connections, Twitch /validate, ...). Providers whose identity arrives on the
 * callback (QuickBooks `realmId`, Lightspeed `domain_prefix`) or is the Shopify shop do not make this call.
 *
 * @throws TypeError when the provider's identity does not come from an API call.
 * @see https://developer.xero.com/documentation/guides/oauth2/tenants
 */
export function buildIdentityRequest(provider: ResolvedProvider, accessToken: string, context: { readonly endpointParams?: EndpointParams | undefined } = {}): Request {
  const identity = provider.definition.identity;
  if (identity.source !== "api") throw new TypeError(`provider "${provider.id}" takes its account id from the ${identity.source === "callback" ? "callback" : "authorization input"}`);
  return buildApiCallRequest(provider, identity.call, accessToken, context.endpointParams);
}

/**
 * Reads the account id at the catalog's dotted `idField` (e.g. `data.id`, `0.tenantId`); numbers become strings.
 *
 * @throws ProviderError classified for failures; `transient` when the field is missing.
 */
export async function parseIdentityResponse(
  provider: ResolvedProvider,
  response: Response,
  options: { readonly accessToken?: string | undefined; readonly now?: Date | undefined } = {},
): Promise<{ readonly accountId: string }> {
  const identity = provider.definition.identity;
  if (identity.source !== "api") throw new TypeError(`provider "${provider.id}" takes its account id from the ${identity.source}`);
  const body = await readProviderResponse(provider, "identity", response);
  if (!response.ok) throw failureOf(provider, "identity", response, body, { now: options.now, secrets: [options.accessToken] });
  const value = fieldAt(body.fields, identity.idField);
  if ((typeof value === "string" && value !== "") || (typeof value === "number" && Number.isFinite(value))) {
    return { accountId: String(value) };
  }
  throw new ProviderError("transient", `${provider.id} identity failed: response has no "${identity.idField}"`, {
    provider: provider.id,
    operation: "identity",
    status: response.status,
  });
}

/** Account ids that may go into a confirmation URL path: what QuickBooks realms and Lightspeed prefixes look like. */
const CONFIRMABLE_ACCOUNT = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Builds the call that confirms an account id the callback carried as an unsigned query parameter, with the
 * new access token, before it is trusted (the call is the provider's `accountConfirmation`, provider-hooks.ts).
 *
 * @returns `undefined` for providers whose account id does not come from the callback.
 * @throws TypeError when the account id cannot be a realm id or domain prefix (the callback is refused).
 * @see https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/companyinfo
 * @see https://x-series-api.lightspeedhq.com/reference/getretailer
 */
export function buildAccountConfirmationRequest(provider: ResolvedProvider, accessToken: string, accountId: string): Request | undefined {
  const confirmation = accountConfirmation(provider.id);
  if (confirmation === undefined) return undefined;
  if (!CONFIRMABLE_ACCOUNT.test(accountId)) {
    throw new TypeError(`"${callbackParamOf(provider)}" must be 1 to 64 letters, digits, "-" or "_"`);
  }
  const { call, endpointParams } = confirmation.request(accountId);
  return buildApiCallRequest(provider, call, accessToken, endpointParams);
}

function callbackParamOf(provider: ResolvedProvider): string {
  const identity = provider.definition.identity;
  return identity.source === "callback" ? identity.param : "account";
}

/**
 * Reads a confirmation answer: `false` when the token does not belong to the account (401, 403 or 404, or an
 * answer naming another company or store), `true` when it does.
 *
 * @throws ProviderError for any other failure (the callback reports `identity_failed`, not a mismatch).
 */
export async function parseAccountConfirmation(
  provider: ResolvedProvider,
  response: Response,
  accountId: string,
  options: { readonly accessToken?: string | undefined; readonly now?: Date | undefined } = {},
): Promise<boolean> {
  const body = await readProviderResponse(provider, "identity", response);
  if (response.status === 401 || response.status === 403 || response.status === 404) return false;
  if (!response.ok) throw failureOf(provider, "identity", response, body, { now: options.now, secrets: [options.accessToken] });
  const fields = accountConfirmation(provider.id)?.answerFields ?? [];
  const named = fields.map((path) => fieldAt(body.fields, path)).find((value) => value !== undefined && value !== null);
  if (named === undefined || named === null) {
    throw new ProviderError("transient", `${provider.id} identity failed: the answer names no ${fields.at(-1) ?? "account"}`, {
      provider: provider.id,
      operation: "identity",
      status: response.status,
    });
  }
  return String(named) === accountId;
}

function fieldAt(fields: unknown, path: string): unknown {
  let value = fields;
  for (const key of path.split(".")) {
    value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/**
 * The tenant ids of Xero's `GET /connections` answer (`[{ tenantId, tenantType, ... }]`), in Xero's order, without
 * duplicates. One Xero grant reaches every organisation the user picked on the consent screen.
 *
 * @throws ProviderError `transient` when the answer is not such a list or lists no tenant.
 */
export function xeroTenantIds(provider: ResolvedProvider, fields: unknown): string[] {
  // readResponseBody exposes a JSON array under numeric keys ("0", "1", ...).
  const list: any[] = Array.isArray(fields)
    ? fields
    : typeof fields === "object" && fields !== null
      ? Object.keys(fields).filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b)).map((k) => (fields as Record<string, unknown>)[k])
      : [];
  const ids = [...new Set(list.map((c) => (typeof c?.tenantId === "string" ? c.tenantId : "")).filter((id) => id !== "" && id.length <= 255))];
  if (ids.length === 0) {
    throw new ProviderError("transient", `${provider.id} identity failed: /connections lists no tenant`, { provider: provider.id, operation: "identity" });
  }
  return ids;
}
