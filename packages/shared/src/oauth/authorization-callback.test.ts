import { describe, expect, it } from "vitest";
import { parseAuthorizationCallback } from "./authorization-callback.ts";
import { CallbackError } from "./callback-error.ts";
import { testProvider } from "./test-support.ts";

const CB = "https://proj.supabase.co/functions/v1/oauth-callback";

function callbackError(fn: () => unknown): CallbackError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CallbackError);
    return error as CallbackError;
  }
  throw new Error("expected a CallbackError");
}

describe("parseAuthorizationCallback", () => {
  it("reads code and state", () => {
    expect(parseAuthorizationCallback(testProvider("spotify"), `${CB}?code=abc&state=s1`, "s1")).toEqual({
      code: "abc",
      state: "s1",
      accountId: undefined,
      endpointParams: {},
    });
  });

  it("takes QuickBooks realmId as the account", () => {
    const cb = parseAuthorizationCallback(testProvider("quickbooks"), new URL(`${CB}?code=c&state=s&realmId=9130347`));
    expect(cb.accountId).toBe("9130347");
  });

  it("takes Lightspeed domain_prefix as the account and the token URL parameter", () => {
    const cb = parseAuthorizationCallback(testProvider("lightspeed"), new URLSearchParams("code=c&state=s&domain_prefix=acme&user_id=1"));
    expect(cb.accountId).toBe("acme");
    expect(cb.endpointParams).toEqual({ domain_prefix: "acme" });
  });

  it("takes the Shopify shop, normalised", () => {
    const cb = parseAuthorizationCallback(testProvider("shopify"), `${CB}?code=c&state=s&shop=Demo.myshopify.com&hmac=x&timestamp=1`);
    expect(cb.accountId).toBe("demo.myshopify.com");
    expect(cb.endpointParams).toEqual({ shop: "demo" });
    expect(callbackError(() => parseAuthorizationCallback(testProvider("shopify"), `${CB}?code=c&state=s&shop=evil.com`)).code).toBe("callback_invalid");
  });

  it("requires the callback account parameter", () => {
    const error = callbackError(() => parseAuthorizationCallback(testProvider("quickbooks"), `${CB}?code=c&state=s`));
    expect(error.code).toBe("callback_invalid");
    expect(error.message).toBe('"realmId" is missing from the callback');
  });

  it("refuses a realmId or domain_prefix that could reach a URL as anything but a name", () => {
    for (const bad of ["../x", "a/b", "a.b", "a%2fb", "x".repeat(65), "a b", "é"]) {
      const q = new URLSearchParams({ code: "c", state: "s", realmId: bad, domain_prefix: bad });
      for (const provider of ["quickbooks", "lightspeed"] as const) {
        expect(callbackError(() => parseAuthorizationCallback(testProvider(provider), `${CB}?${q}`)).code).toBe("callback_invalid");
      }
    }
  });

  it("maps access_denied and other errors, keeping upstream fields", () => {
    const denied = callbackError(() => parseAuthorizationCallback(testProvider("google"), `${CB}?error=access_denied&state=s`));
    expect(denied).toMatchObject({ code: "access_denied", error: "access_denied" });
    const other = callbackError(() => parseAuthorizationCallback(testProvider("xero"), `${CB}?error=invalid_scope&error_description=bad+scope&state=s`));
    expect(other).toMatchObject({ code: "authorization_failed", error: "invalid_scope", error_description: "bad scope" });
  });

  it("checks state and code", () => {
    expect(callbackError(() => parseAuthorizationCallback(testProvider("discord"), `${CB}?code=c`)).message).toBe('"state" is missing from the callback');
    expect(callbackError(() => parseAuthorizationCallback(testProvider("discord"), `${CB}?code=c&state=a`, "b")).code).toBe("state_mismatch");
    expect(callbackError(() => parseAuthorizationCallback(testProvider("discord"), `${CB}?state=a`)).message).toBe('"code" is missing from the callback');
  });
});
