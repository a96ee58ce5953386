import { describe, expect, it } from "vitest";
import { boundedScopes, boundedSeconds, boundedTokenType, MAX_EXPIRES_IN_SECONDS, MAX_SCOPES } from "./token-values.ts";

describe("boundedSeconds", () => {
  it.each([[3600, 3600], ["3600", 3600], [" 28800 ", 28_800], [MAX_EXPIRES_IN_SECONDS, MAX_EXPIRES_IN_SECONDS]])("keeps %j", (value, seconds) => {
    expect(boundedSeconds("expires_in", value, MAX_EXPIRES_IN_SECONDS)).toEqual({ seconds });
  });

  it.each([[undefined], [null], [""], [0], ["0"]])("treats %j as absent without an adjustment", (value) => {
    expect(boundedSeconds("expires_in", value, MAX_EXPIRES_IN_SECONDS)).toEqual({ seconds: undefined });
  });

  it.each([[1e13, "out_of_range"], [MAX_EXPIRES_IN_SECONDS + 1, "out_of_range"], [-5, "out_of_range"], [Number.POSITIVE_INFINITY, "not_a_number"],
    [Number.NaN, "not_a_number"], ["1e13", "not_a_number"], ["99999999999999999999", "not_a_number"], ["soon", "not_a_number"], [{}, "not_a_number"]])(
    "treats %j as absent and says why (%s)",
    (value, reason) => {
      expect(boundedSeconds("expires_in", value, MAX_EXPIRES_IN_SECONDS)).toEqual({ seconds: undefined, adjustment: { field: "expires_in", reason } });
    },
  );
});

describe("boundedTokenType", () => {
  it("normalises bearer and defaults a missing type", () => {
    expect(boundedTokenType("bearer")).toEqual({ tokenType: "Bearer" });
    expect(boundedTokenType(" BEARER ")).toEqual({ tokenType: "Bearer" });
    expect(boundedTokenType(undefined)).toEqual({ tokenType: "Bearer" });
    expect(boundedTokenType("MAC")).toEqual({ tokenType: "MAC" });
  });

  it("replaces an oversized or malformed type by Bearer and says so", () => {
    expect(boundedTokenType("x".repeat(40))).toEqual({ tokenType: "Bearer", adjustment: { field: "token_type", reason: "too_long" } });
    expect(boundedTokenType("bear er")).toEqual({ tokenType: "Bearer", adjustment: { field: "token_type", reason: "malformed" } });
    expect(boundedTokenType("bearer\n")).toEqual({ tokenType: "Bearer" });
    expect(boundedTokenType(42)).toEqual({ tokenType: "Bearer", adjustment: { field: "token_type", reason: "malformed" } });
  });
});

describe("boundedScopes", () => {
  it("splits strings, reads arrays, removes duplicates", () => {
    expect(boundedScopes("a b,c a", undefined)).toEqual({ scopes: ["a", "b", "c"], adjustments: [] });
    expect(boundedScopes(["user:read:email", "chat:read"], undefined).scopes).toEqual(["user:read:email", "chat:read"]);
  });

  it("falls back to the stored scopes when the field is absent", () => {
    expect(boundedScopes(undefined, ["identity"])).toEqual({ scopes: ["identity"], adjustments: [] });
  });

  it("keeps at most MAX_SCOPES of 1,000 and says so", () => {
    const r = boundedScopes(Array.from({ length: 1000 }, (_, i) => `scope.${i}`).join(" "), undefined);
    expect(r.scopes).toHaveLength(MAX_SCOPES);
    expect(r.scopes[0]).toBe("scope.0");
    expect(r.adjustments).toEqual([{ field: "scope", reason: "too_many" }]);
  });

  it("drops entries that are not scope tokens or too long", () => {
    const r = boundedScopes(["ok", "x".repeat(300), 'quo"te', 7, "back\\slash"], undefined);
    expect(r.scopes).toEqual(["ok"]);
    expect(r.adjustments).toEqual([{ field: "scope", reason: "dropped_entries" }]);
  });

  it("refuses a non-string, non-array scope field and keeps the fallback", () => {
    expect(boundedScopes({ a: 1 }, ["stored"])).toEqual({ scopes: ["stored"], adjustments: [{ field: "scope", reason: "malformed" }] });
  });
});
