import { describe, expect, it } from "vitest";
import { PROVIDER_IDS } from "./provider-ids.ts";
import { accountConfirmation, connectionEndpointParams, connectionMetadata, grantReachesManyAccounts, SIGNED_CALLBACK_PROVIDER } from "./provider-hooks.ts";

describe("provider hooks", () => {
  it("names the account the provider's way", () => {
    expect(connectionMetadata("quickbooks", "9130")).toEqual({ realmId: "9130" });
    expect(connectionMetadata("shopify", "s.myshopify.com")).toEqual({ shop: "s.myshopify.com" });
    expect(connectionMetadata("lightspeed", "acme")).toEqual({ domain_prefix: "acme" });
    expect(connectionMetadata("xero", "t-1")).toEqual({ tenant: "t-1" });
    expect(connectionMetadata("spotify", "u1")).toEqual({});
  });

  it("gives back the endpoint values a stored connection's endpoints use", () => {
    expect(connectionEndpointParams({ provider: "shopify", account_id: "a.myshopify.com", metadata: {} })).toEqual({ shop: "a.myshopify.com" });
    expect(connectionEndpointParams({ provider: "shopify", account_id: "a.myshopify.com", metadata: { shop: "b.myshopify.com" } })).toEqual({ shop: "b.myshopify.com" });
    expect(connectionEndpointParams({ provider: "lightspeed", account_id: "x", metadata: { domain_prefix: "acme" } })).toEqual({ domain_prefix: "acme" });
    expect(connectionEndpointParams({ provider: "lightspeed", account_id: "acme", metadata: null })).toEqual({ domain_prefix: "acme" });
    // Microsoft's {tenant} comes from metadata when a connection has one; else the catalog's `common` applies.
    expect(connectionEndpointParams({ provider: "microsoft", account_id: "u", metadata: { tenant: "contoso" } })).toEqual({ tenant: "contoso" });
    expect(connectionEndpointParams({ provider: "microsoft", account_id: "u", metadata: {} })).toEqual({});
    // Xero's metadata.tenant is a Xero tenant id, which no Xero endpoint uses.
    expect(connectionEndpointParams({ provider: "xero", account_id: "t", metadata: { tenant: "t" } })).toEqual({});
    expect(connectionEndpointParams({ provider: "spotify", account_id: "u", metadata: { shop: "s", domain_prefix: "d", tenant: "t" } })).toEqual({});
    expect(connectionEndpointParams({ provider: "nope", account_id: "u", metadata: { shop: "s" } })).toEqual({});
  });

  it("names the providers with quirks beyond their catalog entry", () => {
    expect(SIGNED_CALLBACK_PROVIDER).toBe("shopify");
    expect(PROVIDER_IDS.filter(grantReachesManyAccounts)).toEqual(["xero"]);
    expect(PROVIDER_IDS.filter((id) => accountConfirmation(id) !== undefined)).toEqual(["quickbooks", "lightspeed"]);
    expect(accountConfirmation("quickbooks")!.request("42").call.path).toBe("/company/42/companyinfo/42");
    expect(accountConfirmation("lightspeed")!.request("acme").endpointParams).toEqual({ domain_prefix: "acme" });
  });
});
