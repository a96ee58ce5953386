/**
 * The emulator's account-identity endpoints, kept apart from the token machinery in server.ts: what the real
 * providers answer when asked which account a token belongs to.
 *
 * - QuickBooks `GET /v3/company/{realmId}/companyinfo/{realmId}`: 200 `{ CompanyInfo: { Id, CompanyName } }` for
 *   the token's own company; Intuit answers 403 `AuthorizationFailed` for another realm.
 * - Lightspeed X-Series `GET https://{domain_prefix}.retail.lightspeed.app/api/2.0/retailer`: 200
 *   `{ data: { id, name, domain_prefix } }` on the token's own store; another store's domain answers 401.
 * - Xero `GET /connections`: one entry per organisation the user picked at consent (`emulator_tenants=a,b` on
 *   the authorize URL adds organisations to the account's own).
 */

/** Organisations per Xero account beyond the account's own tenant (set at authorize, read by /connections). */
export class IdentityRegistry {
  private readonly xeroTenants = new Map<string, string[]>();

  /** Called at authorize: remembers the extra organisations an `emulator_tenants` parameter names. */
  consented(provider: string, account: string, url: URL): void {
    if (provider !== "xero") return;
    const extra = (url.searchParams.get("emulator_tenants") ?? "").split(",").map((t) => t.trim()).filter(Boolean);
    if (extra.length > 0) this.xeroTenants.set(account, [...new Set([account, ...extra])]);
    else this.xeroTenants.delete(account);
  }

  reset(): void {
    this.xeroTenants.clear();
  }

  /**
   * The answer to an identity call for a valid token of `account`, or undefined when `rest` is not one of
   * these endpoints (server.ts then answers its generic identity body).
   *
   * @param prefix - The templated path values before `/api` (Lightspeed's domain_prefix).
   */
  answer(provider: string, account: string, rest: string, prefix: readonly string[]): { status: number; body: unknown } | undefined {
    if (provider === "quickbooks") {
      const m = /^(?:v3\/)?company\/([^/]+)\/companyinfo\/([^/]+)$/.exec(rest);
      if (!m) return undefined;
      const [realm, id] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
      if (realm !== account || id !== account) {
        return { status: 403, body: { Fault: { Error: [{ Message: "AuthorizationFailed", code: "3100" }], type: "AUTHORIZATION" } } };
      }
      return { status: 200, body: { CompanyInfo: { Id: account, CompanyName: `Company ${account}` }, time: new Date().toISOString() } };
    }
    if (provider === "lightspeed" && /^(?:2\.0\/)?retailer$/.test(rest)) {
      const domain = prefix[0] ?? "";
      if (domain !== account) return { status: 401, body: { error: "invalid_token", error_description: "The access token is not valid for this store" } };
      return { status: 200, body: { data: { id: `retailer-${account}`, name: `Store ${account}`, domain_prefix: account } } };
    }
    if (provider === "xero" && /connections$/.test(rest)) {
      const tenants = this.xeroTenants.get(account) ?? [account];
      return {
        status: 200,
        body: tenants.map((t) => ({ id: `conn-${t}`, tenantId: t, tenantType: "ORGANISATION", tenantName: `Org ${t}` })),
      };
    }
    return undefined;
  }
}
