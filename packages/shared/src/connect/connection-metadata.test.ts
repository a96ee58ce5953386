import { describe, expect, it } from "vitest";
import { connectionEndpointParams, connectionMetadata } from "./connection-metadata.ts";

describe("connection metadata", () => {
  it("names the account the provider's way", () => {
    expect(connectionMetadata("quickbooks", "9130")).toEqual({ realmId: "9130" });
    expect(connectionMetadata("shopify", "s.myshopify.com")).toEqual({ shop: "s.myshopify.com" });
    expect(connectionMetadata("lightspeed", "acme")).toEqual({ domain_prefix: "acme" });
    expect(connectionMetadata("xero", "t-1")).toEqual({ tenant: "t-1" });
    expect(connectionMetadata("spotify", "u1")).toEqual({});
  });

  it("gives back the endpoint values a stored connection needs", () => {
    expect(connectionEndpointParams({ provider: "shopify", account_id: "a.myshopify.com", metadata: {} })).toEqual({ shop: "a.myshopify.com" });
    expect(connectionEndpointParams({ provider: "lightspeed", account_id: "x", metadata: { domain_prefix: "acme" } })).toEqual({ domain_prefix: "acme" });
    expect(connectionEndpointParams({ provider: "xero", account_id: "t", metadata: { tenant: "t" } })).toEqual({});
  });
});
