import { describe, expect, it } from "vitest";
import { PROVIDER_CATALOG } from "./catalog.ts";
import resolved from "./fixtures/resolved-catalog.json" with { type: "json" };
import { PROVIDER_IDS } from "./provider-ids.ts";

// The fixture is the resolved catalog as it stood before entries were written as differences from the
// defaults: resolving the sparse entries must give back exactly the same definitions. A provider added later
// is not in it.
const FIXTURE_IDS = PROVIDER_IDS.filter((id) => Object.hasOwn(resolved, id));

describe("resolved catalog", () => {
  it.each(FIXTURE_IDS.map((id) => [id]))("resolves %s to the definition of the fixture", (id) => {
    expect(JSON.parse(JSON.stringify(PROVIDER_CATALOG[id]))).toStrictEqual((resolved as Record<string, unknown>)[id]);
  });

  it("still has every provider of the fixture", () => {
    expect(FIXTURE_IDS).toEqual(Object.keys(resolved));
    expect(FIXTURE_IDS.length).toBe(18);
  });
});
