import { describe, expect, it } from "vitest";
import { verifyShopifyHmac } from "./shopify-hmac.ts";

// The example from Shopify's authorization code grant documentation (secret "hush").
const DOCUMENTED =
  "code=0907a61c0c8d55e99db179b68161bc00&hmac=700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173";

describe("verifyShopifyHmac", () => {
  it("accepts Shopify's documented example", async () => {
    expect(await verifyShopifyHmac(new URLSearchParams(DOCUMENTED), "hush")).toBe(true);
  });

  it("does not depend on parameter order", async () => {
    const shuffled = new URLSearchParams([...new URLSearchParams(DOCUMENTED)].reverse());
    expect(await verifyShopifyHmac(shuffled, "hush")).toBe(true);
  });

  it("rejects a changed parameter, another secret, or a missing hmac", async () => {
    expect(await verifyShopifyHmac(new URLSearchParams(DOCUMENTED.replace("some-shop", "evil-shop")), "hush")).toBe(false);
    expect(await verifyShopifyHmac(new URLSearchParams(DOCUMENTED), "other")).toBe(false);
    const without = new URLSearchParams(DOCUMENTED);
    without.delete("hmac");
    expect(await verifyShopifyHmac(without, "hush")).toBe(false);
    expect(await verifyShopifyHmac(new URLSearchParams(DOCUMENTED.replace("hmac=700e", "hmac=zz0e")), "hush")).toBe(false);
  });
});
