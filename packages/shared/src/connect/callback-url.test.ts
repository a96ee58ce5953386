import { describe, expect, it } from "vitest";
import { oauthCallbackUrl } from "./callback-url.ts";

describe("oauthCallbackUrl", () => {
  it("derives the callback from SUPABASE_URL", () => {
    expect(oauthCallbackUrl({ SUPABASE_URL: "http://127.0.0.1:54321/" })).toBe("http://127.0.0.1:54321/functions/v1/oauth-callback");
  });
  it("prefers OAUTH_CALLBACK_URL", () => {
    expect(oauthCallbackUrl({ SUPABASE_URL: "https://x.supabase.co", OAUTH_CALLBACK_URL: "https://api.example.com/oauth/callback" }))
      .toBe("https://api.example.com/oauth/callback");
  });
  it("names the variable at fault", () => {
    expect(() => oauthCallbackUrl({})).toThrow(/"SUPABASE_URL"/);
    expect(() => oauthCallbackUrl({ OAUTH_CALLBACK_URL: "javascript:alert(1)" })).toThrow(/"OAUTH_CALLBACK_URL"/);
  });
});
