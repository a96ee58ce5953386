import { describe, expect, it } from "vitest";
import { ApiError } from "../http/api-error.ts";
import { parseStartRequest } from "./start-request.ts";

function message(body: Record<string, unknown>): string {
  try {
    parseStartRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("invalid_request");
    return (error as ApiError).message;
  }
  throw new Error("accepted");
}

describe("parseStartRequest", () => {
  it("reads the contract's fields", () => {
    expect(parseStartRequest({ provider: "shopify", redirect_to: "http://localhost:3000/x", scopes: ["a", "b:c", "a"], shop: "s", account: "s" }))
      .toEqual({ provider: "shopify", redirectTo: "http://localhost:3000/x", scopes: ["a", "b:c"], shop: "s", account: "s" });
    expect(parseStartRequest({ provider: "spotify", redirect_to: "x" })).toMatchObject({ scopes: undefined, shop: undefined, account: undefined });
  });

  it("names the field at fault", () => {
    expect(message({ redirect_to: "x" })).toBe('"provider" is required');
    expect(message({ provider: "spotify" })).toBe('"redirect_to" is required');
    expect(message({ provider: 7, redirect_to: "x" })).toBe('"provider" must be a string');
    expect(message({ provider: "spotify", redirect_to: ["x"] })).toBe('"redirect_to" must be a string');
    expect(message({ provider: "spotify", redirect_to: "x", scopes: "a b" })).toBe('"scopes" must be an array of strings');
    expect(message({ provider: "spotify", redirect_to: "x", scopes: ["ok", 3] })).toBe('"scopes[1]" must be a string');
    expect(message({ provider: "spotify", redirect_to: "x", scopes: ["a b"] })).toMatch(/^"scopes\[0\]" /);
    expect(message({ provider: "spotify", redirect_to: "x", scopes: ["a,b"] })).toMatch(/^"scopes\[0\]" /);
    expect(message({ provider: "spotify", redirect_to: "x", scopes: Array(51).fill("s") })).toMatch(/^"scopes" must have at most/);
    expect(message({ provider: "spotify", redirect_to: "x", account: "" })).toBe('"account" must not be empty');
    expect(message({ provider: "spotify", redirect_to: "x", redirectTo: "y" })).toBe('"redirectTo" is not a known field');
  });
});
