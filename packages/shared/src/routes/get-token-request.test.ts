import { describe, expect, it } from "vitest";
import type { ApiError } from "../http/api-error.ts";
import type { Principal } from "../http/authenticate.ts";
import { parseGetTokenRequest } from "./get-token-request.ts";

const USER = "0b5e8c1e-6f0a-4f43-9a57-2d8f0c6b9d11";
const user: Principal = { kind: "user", userId: USER, claims: {} };
const service: Principal = { kind: "service" };
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return `${(e as ApiError).code}: ${(e as ApiError).message}`;
  }
  return "no error";
};

describe("parseGetTokenRequest", () => {
  it("a user reads their own connection, never another user's", () => {
    expect(parseGetTokenRequest(user, { provider: "github", account: "a1" })).toEqual({ userId: USER, provider: "github", account: "a1", by: "user" });
    expect(codeOf(() => parseGetTokenRequest(user, { provider: "github", user_id: USER })))
      .toBe('invalid_request: "user_id" is only accepted with the service role key');
  });

  it("the service names the user by a UUID, lower-cased", () => {
    expect(parseGetTokenRequest(service, { provider: "github", user_id: USER.toUpperCase() }))
      .toEqual({ userId: USER, provider: "github", account: undefined, by: "service" });
    expect(codeOf(() => parseGetTokenRequest(service, { provider: "github" }))).toBe('invalid_request: "user_id" is required with the service role key');
    expect(codeOf(() => parseGetTokenRequest(service, { provider: "github", user_id: "nope" }))).toBe('invalid_request: "user_id" must be a UUID');
  });

  it("refuses unknown fields and a missing provider, naming the field", () => {
    expect(codeOf(() => parseGetTokenRequest(user, { provider: "github", scope: "x" }))).toMatch(/^invalid_request: .*"scope"/);
    expect(codeOf(() => parseGetTokenRequest(user, {}))).toMatch(/^invalid_request: .*"provider"/);
  });
});
