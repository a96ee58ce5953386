import { describe, expect, it } from "vitest";
import { expandEndpoint, normalizeShopDomain, templateParameters } from "./endpoint-template.ts";
import { ProviderConfigError } from "./provider-config-error.ts";
import { configError } from "./test-support.ts";


const SHOP = "https://{shop}.myshopify.com/admin/oauth/access_token";

describe("expandEndpoint", () => {
  it("substitutes shop, tenant, domain_prefix and client_id", () => {
    expect(expandEndpoint(SHOP, { shop: "cool-store" }).href).toBe("https://cool-store.myshopify.com/admin/oauth/access_token");
    expect(expandEndpoint(SHOP, { shop: "Cool-Store.MyShopify.com" }).href).toBe(
      "https://cool-store.myshopify.com/admin/oauth/access_token",
    );
    expect(expandEndpoint("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token", { tenant: "common" }).href).toBe(
      "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    );
    expect(
      expandEndpoint("https://{domain_prefix}.retail.lightspeed.app/api/1.0/token", { domain_prefix: "acme" }).href,
    ).toBe("https://acme.retail.lightspeed.app/api/1.0/token");
    expect(expandEndpoint("https://api.github.com/applications/{client_id}/token", { client_id: "Iv1.abc_9-z" }).href).toBe(
      "https://api.github.com/applications/Iv1.abc_9-z/token",
    );
  });

  it("keeps templates in http overrides (local emulator)", () => {
    expect(expandEndpoint("http://127.0.0.1:9999/shopify/{shop}/token", { shop: "s1" }).href).toBe(
      "http://127.0.0.1:9999/shopify/s1/token",
    );
  });

  it.each([
    ["evil.com/", "shop"],
    ["evil.com#", "shop"],
    ["a.myshopify.com.evil.com", "shop"],
    ["user@evil", "shop"],
    ["store:8080", "shop"],
    ["-store", "shop"],
    ["", "shop"],
  ])("rejects shop %j", (shop, field) => {
    const error = configError(() => expandEndpoint(SHOP, { shop }));
    expect(error.code).toBe("invalid_endpoint_parameter");
    expect(error.message).toContain(`"${field}"`);
  });

  it.each([["evil.com/x"], ["a/b"], ["../x"], ["a b"], ["a%2Fb"], ["a?x"]])("rejects tenant and domain_prefix %j", (value) => {
    expect(configError(() => expandEndpoint("https://x.test/{tenant}/t", { tenant: value })).code).toBe(
      "invalid_endpoint_parameter",
    );
    expect(configError(() => expandEndpoint("https://{domain_prefix}.x.test/t", { domain_prefix: value })).code).toBe(
      "invalid_endpoint_parameter",
    );
  });

  it.each([[".."], ["."], ["a/.."], ["x?y"]])("rejects client_id %j (path traversal)", (clientId) => {
    expect(
      configError(() => expandEndpoint("https://api.github.com/applications/{client_id}/token", { client_id: clientId })).code,
    ).toBe("invalid_endpoint_parameter");
  });

  it("requires a value for every placeholder, naming it", () => {
    expect(configError(() => expandEndpoint(SHOP, {}, "shopify token URL")).message).toBe(
      '"shop" is required to build the shopify token URL',
    );
  });

  it("rejects unknown placeholders and non-http URLs", () => {
    expect(() => expandEndpoint("https://x.test/{other}", {})).toThrow('unknown placeholder "{other}"');
    expect(() => expandEndpoint("ftp://x.test/", {})).toThrow("must be an http(s) URL");
    expect(() => expandEndpoint("not a url", {})).toThrow("is not a valid URL");
  });
});

describe("templateParameters / normalizeShopDomain", () => {
  it("lists placeholders once each", () => {
    expect(templateParameters("https://{shop}.x/{client_id}/{shop}")).toEqual(["shop", "client_id"]);
    expect(() => templateParameters("https://{nope}.x")).toThrow(TypeError);
  });

  it("normalises shop input to the store name", () => {
    expect(normalizeShopDomain(" My-Store.myshopify.com ")).toBe("my-store");
    expect(normalizeShopDomain("my-store")).toBe("my-store");
    expect(() => normalizeShopDomain("my-store.example.com")).toThrow(ProviderConfigError);
  });
});
