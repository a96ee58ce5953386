import { describe, expect, it } from "vitest";
import { isProviderId, PROVIDER_IDS } from "./provider-ids.ts";

describe("isProviderId", () => {
  it("accepts exactly the 18 contract ids", () => {
    expect(PROVIDER_IDS).toHaveLength(18);
    for (const id of PROVIDER_IDS) expect(isProviderId(id)).toBe(true);
  });

  it.each([["Spotify"], ["google-calendar"], [""], ["toString"], [undefined], [42], [{}]])("rejects %j", (value) => {
    expect(isProviderId(value)).toBe(false);
  });
});
