import type { EndpointParams } from "../providers/endpoint-template.ts";
import type { ProviderId } from "../providers/provider-ids.ts";

/**
 * Non-secret facts about a connected account, kept in `platform_connections.metadata`: the values later
 * provider calls need in their URLs (Shopify `shop`, Lightspeed `domain_prefix`) and the provider's own
 * names for the account (QuickBooks `realmId`, Xero `tenant`).
 *
 * @see https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-6-receive-the-authorization-code
 * @see https://x-series-api.lightspeedhq.com/docs/authorization
 * @see https://developer.xero.com/documentation/guides/oauth2/tenants
 * @see https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
 */
export function connectionMetadata(provider: ProviderId, accountId: string): Record<string, string> {
  switch (provider) {
    case "shopify":
      return { shop: accountId };
    case "quickbooks":
      return { realmId: accountId };
    case "lightspeed":
      return { domain_prefix: accountId };
    case "xero":
      return { tenant: accountId };
    default:
      return {};
  }
}

/**
 * The endpoint values (`{shop}`, `{domain_prefix}`) of a stored connection, for its refresh, validation and
 * revocation calls: from `metadata`, falling back to the account id for the providers whose account id is
 * that value.
 *
 * @see https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
 * @see https://x-series-api.lightspeedhq.com/docs/authorization
 */
export function connectionEndpointParams(row: {
  readonly provider: string;
  readonly account_id: string;
  readonly metadata?: Readonly<Record<string, unknown>> | null | undefined;
}): EndpointParams {
  const meta = row.metadata ?? {};
  const text = (key: string) => (typeof meta[key] === "string" && meta[key] !== "" ? (meta[key] as string) : undefined);
  switch (row.provider) {
    case "shopify":
      return { shop: text("shop") ?? row.account_id };
    case "lightspeed":
      return { domain_prefix: text("domain_prefix") ?? row.account_id };
    default:
      return {};
  }
}
