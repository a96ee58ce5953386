import { describe, expect, it } from "vitest";
import { keyIdsOf } from "./key-usage.ts";

describe("keyIdsOf", () => {
  it("lists the ring's key ids, primary first, without reading the keys", () => {
    expect(keyIdsOf(`k2:${"a".repeat(64)}, k1:${"b".repeat(64)}`)).toEqual(["k2", "k1"]);
    expect(keyIdsOf(undefined)).toEqual([]);
    expect(keyIdsOf("not a ring")).toEqual([]);
  });
});
