import { describe, expect, it } from "vitest";
import { PROVIDER_CATALOG } from "./catalog.ts";
import resolved from "./fixtures/resolved-catalog.json" with { type: "json" };
import { PROVIDER_IDS } from "./provider-ids.ts";

// The fixture is the resolved catalog as it stood before entries were written as differences from the
// defaults: resolving the sparse entries must give back exactly the same definitions.
describe("resolved catalog", () => {
  it.each(PROVIDER_IDS.map((id) => [id]))("resolves %s to the definition of the fixture", (id) => {
    expect(JSON.parse(JSON.stringify(PROVIDER_CATALOG[id]))).toStrictEqual((resolved as Record<string, unknown>)[id]);
  });

  it("has no entry the fixture lacks", () => {
    expect(Object.keys(PROVIDER_CATALOG).sort()).toEqual(Object.keys(resolved).sort());
  });
});
