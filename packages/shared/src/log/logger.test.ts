import { describe, expect, it } from "vitest";
import { createLogger, redact, userRef } from "./logger.ts";

describe("logger", () => {
  it("redacts secret-looking keys and token-shaped strings", () => {
    const out = JSON.stringify(redact({
      access_token: "abc", refresh_token: "def", authorization: "Bearer x", code_verifier: "v",
      note: "got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig and ya29.a0AfH6SMBxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
      nested: { client_secret: "s" },
    }));
    for (const secret of ["abc", "def", "Bearer x", '"v"', "eyJhbGci", "ya29.a0AfH6SMBxxxxxxxxxxxxxxxx", '"s"']) {
      expect(out).not.toContain(secret);
    }
  });

  it("keeps error codes under code-named fields, and redacts codes that are credentials", () => {
    const out = redact({
      code: "reauth_required", error_code: "rate_limited", nested: { code: "transient" },
      auth_code: "abcdef", authorization_code: "ghijkl", device_code: "mnopqr", user_code: "stuvwx", oauth_code: "abc", authcode: "xyz",
    }) as Record<string, unknown>;
    expect(out).toMatchObject({ code: "reauth_required", error_code: "rate_limited", nested: { code: "transient" } });
    for (const k of ["auth_code", "authorization_code", "device_code", "user_code", "oauth_code", "authcode"]) expect(out[k]).toBe("[redacted]");
  });

  it("redacts an authorization code logged under `code` (it does not look like an error code)", () => {
    for (const value of ["4/0AX4XfWh-code", "SplxlOBeZQQYbYS6WxSbIA", "ab12cd34ef56", "x".repeat(65), "Rate_Limited", 42]) {
      expect((redact({ code: value }) as Record<string, unknown>).code).toBe("[redacted]");
    }
    expect((redact({ error: { code: "c0de" } }) as { error: { code: string } }).error.code).toBe("[redacted]");
  });

  it("writes one JSON line with the event and fields", () => {
    const lines: string[] = [];
    createLogger("get-token", (l) => lines.push(l)).info("refreshed", { provider: "spotify", duration_ms: 12 });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "info", fn: "get-token", event: "refreshed", provider: "spotify" });
  });

  it("digests user ids stably without revealing them", async () => {
    const id = "5b0e8c6a-6f2e-4d0f-9a0c-2f1a7e7b9c01";
    const a = await userRef(id);
    expect(a).toBe(await userRef(id));
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(a).not.toBe(await userRef("5b0e8c6a-6f2e-4d0f-9a0c-2f1a7e7b9c02"));
  });
});
