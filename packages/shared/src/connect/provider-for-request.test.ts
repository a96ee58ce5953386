import { describe, expect, it } from "vitest";
import { ApiError } from "../http/api-error.ts";
import { TEST_ENV } from "../oauth/test-support.ts";
import { providerForRequest } from "./provider-for-request.ts";

function refusal(id: string, env: Record<string, string>): ApiError {
  try {
    providerForRequest(id, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error("resolved");
}

describe("providerForRequest", () => {
  it("resolves a configured provider", () => {
    expect(providerForRequest("twitch", TEST_ENV).id).toBe("twitch");
  });
  it("answers the contract's codes, naming variables and never their values", () => {
    expect(refusal("myspace", TEST_ENV)).toMatchObject({ code: "unknown_provider", status: 400 });
    const missing = refusal("spotify", { SPOTIFY_CLIENT_ID: "id-value" });
    expect(missing).toMatchObject({ code: "provider_not_configured", status: 400 });
    expect(missing.message).toContain("SPOTIFY_CLIENT_SECRET");
    expect(missing.message).not.toContain("id-value");
  });
});
