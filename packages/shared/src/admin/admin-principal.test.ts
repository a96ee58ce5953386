import { describe, expect, it } from "vitest";
import { ApiError } from "../http/api-error.ts";
import { isAdmin, requireAdmin } from "./admin-principal.ts";

const user = (claims: Record<string, unknown>) => ({ kind: "user" as const, userId: "u", claims });

describe("isAdmin / requireAdmin", () => {
  it("accepts the service role and a user whose app_metadata says so", () => {
    expect(isAdmin({ kind: "service" })).toBe(true);
    expect(isAdmin(user({ app_metadata: { provider_tokens_admin: true } }))).toBe(true);
    expect(() => requireAdmin({ kind: "service" })).not.toThrow();
  });

  it("refuses look-alikes: a string, user_metadata, a top-level claim, no metadata", () => {
    for (const claims of [
      { app_metadata: { provider_tokens_admin: "true" } },
      { app_metadata: { provider_tokens_admin: 1 } },
      { user_metadata: { provider_tokens_admin: true } },
      { provider_tokens_admin: true },
      { app_metadata: null },
      {},
    ]) {
      expect(isAdmin(user(claims))).toBe(false);
      const err = (() => { try { requireAdmin(user(claims)); } catch (e) { return e; } })() as ApiError;
      expect(err.code).toBe("forbidden");
      expect(err.status).toBe(403);
    }
  });
});
