import { describe, expect, it } from "vitest";
import { functionVariables, isFunctionVariable } from "./function-env.ts";

describe("function-env", () => {
  it("passes what the functions read and keeps the stack's own connection values", () => {
    for (const name of ["TOKEN_ENCRYPTION_KEYS", "SPOTIFY_CLIENT_ID", "GOOGLE_CALENDAR_CLIENT_SECRET", "SHOPIFY_TOKEN_URL", "REFRESH_LEASE_SECONDS", "ALLOWED_REDIRECT_URLS", "DB_POOLER_URL", "STACK_WORKERS"]) {
      expect(isFunctionVariable(name), name).toBe(true);
    }
    for (const name of ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "JWT_SECRET", "PATH", "HOME", "VITEST_POOL_ID", "npm_lifecycle_event", "NODE_OPTIONS"]) {
      expect(isFunctionVariable(name), name).toBe(false);
    }
  });

  it("selects them in a stable order, leaving out unset values", () => {
    expect(functionVariables({ PATH: "/bin", TWITCH_CLIENT_ID: "t", TOKEN_ENCRYPTION_KEYS: "k1:x", EMPTY_CLIENT_ID: undefined })).toEqual({
      TOKEN_ENCRYPTION_KEYS: "k1:x", TWITCH_CLIENT_ID: "t",
    });
    expect(Object.keys(functionVariables({ Z_API_URL: "z", A_API_URL: "a" }))).toEqual(["A_API_URL", "Z_API_URL"]);
  });
});
