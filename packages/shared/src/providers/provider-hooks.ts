import { PROVIDER_CATALOG } from "./catalog.ts";
import { templateParameters, type EndpointParams, type TemplateParameter } from "./endpoint-template.ts";
import type { ProviderApiCall } from "./provider-definition.ts";
import { isProviderId, type ProviderId } from "./provider-ids.ts";

// What connecting to a few providers takes beyond their catalog entry, named once here so that connect/ and
// oauth/ never test a provider id. Everything else a provider does is data in catalog.ts.

/**
 * The provider whose callbacks carry an `hmac` of their query, signed with its client secret (Shopify). It is
 * checked before the state is looked up, so before the callback's provider is known.
 *
 * @see https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant#step-1-verify-the-installation-request
 */
export const SIGNED_CALLBACK_PROVIDER = "shopify" satisfies ProviderId;

/**
 * Whether one grant of the provider reaches several accounts, listed by its identity call (Xero: every
 * organisation the user picked on the consent screen, from `GET /connections`). The connection is made for one
 * of them and `metadata.tenants` lists them all.
 *
 * @see https://developer.xero.com/documentation/guides/oauth2/tenants
 */
export function grantReachesManyAccounts(provider: ProviderId): boolean {
  return provider === "xero";
}

/**
 * The metadata key under which a connection keeps its account id: the endpoint value its calls need (Shopify
 * `shop`, Lightspeed `domain_prefix`) or the provider's own name for the account (QuickBooks `realmId`, Xero
 * `tenant`, a Xero tenant id, not Microsoft's `{tenant}`).
 *
 * @see https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-6-receive-the-authorization-code
 * @see https://x-series-api.lightspeedhq.com/docs/authorization
 * @see https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
 */
const ACCOUNT_METADATA_KEY: Partial<Record<ProviderId, string>> = {
  shopify: "shop",
  quickbooks: "realmId",
  lightspeed: "domain_prefix",
  xero: "tenant",
};

/**
 * Non-secret facts about a connected account, kept in `platform_connections.metadata`: its account id under
 * the provider's {@link ACCOUNT_METADATA_KEY}, or nothing.
 */
export function connectionMetadata(provider: ProviderId, accountId: string): Record<string, string> {
  const key = ACCOUNT_METADATA_KEY[provider];
  return key === undefined ? {} : { [key]: accountId };
}

/**
 * The endpoint values of a stored connection, for its refresh, validation and revocation calls: for each
 * placeholder of its provider's catalog endpoints other than `{client_id}` (Shopify `{shop}`, Lightspeed
 * `{domain_prefix}`, Microsoft `{tenant}`), the non-empty metadata value of that name, else the account id when
 * the account id is kept under that name. Metadata that no endpoint uses (Xero's `tenant`) is no endpoint value.
 * Missing values are left out: the catalog's `endpointDefaults` (Microsoft `tenant=common`) still apply.
 */
export function connectionEndpointParams(row: {
  readonly provider: string;
  readonly account_id: string;
  readonly metadata?: Readonly<Record<string, unknown>> | null | undefined;
}): EndpointParams {
  if (!isProviderId(row.provider)) return {};
  const meta = row.metadata ?? {};
  const params: EndpointParams = {};
  for (const name of endpointPlaceholders(row.provider)) {
    const value = meta[name];
    if (typeof value === "string" && value !== "") params[name] = value;
    else if (ACCOUNT_METADATA_KEY[row.provider] === name && row.account_id !== "") params[name] = row.account_id;
  }
  return params;
}

function endpointPlaceholders(provider: ProviderId): TemplateParameter[] {
  const { authorize, token, revoke, api } = PROVIDER_CATALOG[provider].endpoints;
  const names = [authorize, token, revoke ?? "", api].flatMap((template) => templateParameters(template));
  return [...new Set(names)].filter((name) => name !== "client_id");
}

/**
 * How the account id a callback carried as an unsigned query parameter is confirmed with the new access token
 * before it is trusted: the call to make and where its answer names the account (the first field present).
 *
 * - QuickBooks `realmId`: `GET {api}/company/{realmId}/companyinfo/{realmId}`. An Intuit token is issued for one
 *   company; asking for another answers 401/403.
 * - Lightspeed `domain_prefix`: `GET https://{domain_prefix}.retail.lightspeed.app/api/2.0/retailer`. A token
 *   works only on its own store's domain, and the answer names the store's `domain_prefix`.
 *
 * @see https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/companyinfo
 * @see https://x-series-api.lightspeedhq.com/reference/getretailer
 */
export interface AccountConfirmation {
  /** The call for `accountId` and the endpoint values it needs; the caller checks the id's form first. */
  request(accountId: string): { readonly call: ProviderApiCall; readonly endpointParams: EndpointParams };
  /** Dotted paths in the answer, tried in order. */
  readonly answerFields: readonly string[];
}

const CONFIRMATIONS: Partial<Record<ProviderId, AccountConfirmation>> = {
  quickbooks: {
    request: (accountId) => ({
      call: {
        method: "GET",
        path: `/company/${accountId}/companyinfo/${accountId}`,
        auth: "bearer",
        body: "none",
        docs: "https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/companyinfo",
      },
      endpointParams: {},
    }),
    answerFields: ["CompanyInfo.Id"],
  },
  lightspeed: {
    request: (accountId) => ({
      call: { method: "GET", path: "/retailer", auth: "bearer", body: "none", docs: "https://x-series-api.lightspeedhq.com/reference/getretailer" },
      endpointParams: { domain_prefix: accountId },
    }),
    answerFields: ["data.domain_prefix", "domain_prefix"],
  },
};

/**
 * The provider's {@link AccountConfirmation}, or `undefined` for providers whose account id does not come from
 * the callback unsigned.
 */
export function accountConfirmation(provider: ProviderId): AccountConfirmation | undefined {
  return CONFIRMATIONS[provider];
}
